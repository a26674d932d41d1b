"""The facts scanned from Go code, each with the site (file, line) where it was seen."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubify.analyzers.draft import Site
from kubify.analyzers.go.source import GoFile


def site(go: GoFile, offset: int) -> Site:
    """The site of a character offset into a file's code."""
    return Site(go.rel, go.line_of(offset))


@dataclass(frozen=True)
class Listener:
    """A call that opens a server socket.

    ``kind`` is ``http``, ``tcp`` (``net.Listen``: gRPC or HTTP, decided later),
    ``metrics`` (serves only Prometheus metrics) or ``probe`` (health endpoints only).
    ``address`` is the address expression as written; None when the call has none and the
    framework's ``default_port`` (or its config file, named by ``config``) applies.
    """

    kind: str
    framework: str
    address: str | None
    default_port: int | None
    site: Site
    config: str | None = None
    #: The env var the framework reads the port from when no address is given (gin: PORT).
    port_env: str | None = None


@dataclass(frozen=True)
class EnvRead:
    name: str
    default: str | None
    required: bool
    site: Site
    rule: str
    #: The fallback as written when it is not a literal (a constant's name), resolved per package.
    fallback: str | None = None


@dataclass(frozen=True)
class Assignment:
    """``expression`` assigned to a name or field at ``site`` (what the resolver follows)."""

    expression: str
    site: Site


@dataclass(frozen=True)
class ListenFlag:
    """A command-line flag that names a listen address (``--listen-address``, ``-port``) and its default."""

    name: str
    default: str
    site: Site


@dataclass
class PackageFacts:
    """Everything one package's non-test files say, with sites."""

    directory: str
    files: tuple[GoFile, ...] = ()
    imports: list[tuple[str, Site]] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    listen_flags: list[ListenFlag] = field(default_factory=list)
    env: list[EnvRead] = field(default_factory=list)
    routes: list[tuple[str, Site]] = field(default_factory=list)
    metrics: list[tuple[str, Site]] = field(default_factory=list)
    grpc_server: Site | None = None
    grpc_health: Site | None = None
    controller: Site | None = None
    consumers: list[Site] = field(default_factory=list)
    cli: list[Site] = field(default_factory=list)
    serve_commands: list[tuple[str, Site]] = field(default_factory=list)
    cgo: Site | None = None
    daemon: Site | None = None
    #: Assignments seen while scanning (flag targets, env-tagged fields); the rest are looked up on demand.
    assignments: dict[str, list[Assignment]] = field(default_factory=dict)
    fields: dict[str, list[Assignment]] = field(default_factory=dict)
    lookups: dict[tuple[str, str], list[Assignment]] = field(default_factory=dict, repr=False)
    viper_defaults: dict[str, Assignment] = field(default_factory=dict)
    viper_env: dict[str, str] = field(default_factory=dict)

    def imported(self, prefix: str) -> Site | None:
        return next((s for p, s in self.imports if p == prefix or p.startswith(prefix + "/")), None)
