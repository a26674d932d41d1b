"""The facts :mod:`.source` reads from one Python file, as plain frozen records.

Kept apart from the reader so the modules that reason over many files (:mod:`.codeindex`,
:mod:`.web`, :mod:`.probes`) depend on the data, not on how it is extracted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubify.analyzers.draft import Site
from kubify.analyzers.python.settings import SettingsClass


@dataclass(frozen=True)
class AppObject:
    """An app object (or a factory returning one) and the framework it belongs to."""

    var: str
    framework: str | None
    site: Site
    factory: bool = False
    via: str | None = None


@dataclass(frozen=True)
class Route:
    path: str
    owner: str | None
    methods: tuple[str, ...]
    site: Site


@dataclass(frozen=True)
class Value:
    """A statically known value: a literal, an env var (with its default), or a reference to resolve."""

    site: Site
    literal: str | None = None
    env: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class RunCall:
    """Code that starts a server: which kind, for which app, on which host and port."""

    kind: str
    target: str | None
    port: Value | None
    host: Value | None
    site: Site
    in_main: bool


@dataclass(frozen=True)
class Include:
    """``container.include_router(target, prefix=...)``: target's routes are served under the prefix."""

    container: str | None
    target: str
    prefix: Value
    site: Site


@dataclass(frozen=True)
class EnvRead:
    name: str
    default: str | None
    required: bool
    secret: bool
    site: Site


@dataclass
class ModuleFacts:
    """Everything :func:`read_module` learned from one file."""

    file: str
    imports: dict[str, Site] = field(default_factory=dict)
    apps: list[AppObject] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    runs: list[RunCall] = field(default_factory=list)
    env: list[EnvRead] = field(default_factory=list)
    settings: list[SettingsClass] = field(default_factory=list)
    main_guard: Site | None = None
    long_running: Site | None = None
    schedule: Site | None = None
    values: dict[str, Value] = field(default_factory=dict)
    strings: list[tuple[str, Site]] = field(default_factory=list)
    assigns: dict[str, tuple[str, Site]] = field(default_factory=dict)
    defined: dict[str, Site] = field(default_factory=dict)
    lists: dict[str, list[tuple[str, Site]]] = field(default_factory=dict)
    prefixes: dict[str, Value] = field(default_factory=dict)
    includes: list[Include] = field(default_factory=list)
    metrics: list[tuple[str, Value | None, Site]] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    decorators: dict[str, Site] = field(default_factory=dict)
    bindings: list[tuple[str, Site]] = field(default_factory=list)

    def imported(self, *packages: str) -> Site | None:
        return next((self.imports[p] for p in packages if p in self.imports), None)
