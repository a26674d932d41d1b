"""Compose projects as ``docker compose`` loads them: the file, its override, extends, merged.

In each directory (the root and two levels below it, outside docs/examples/tests) the
first of ``compose.yaml``, ``compose.yml``, ``docker-compose.yaml``, ``docker-compose.yml``
is the project file, and an override file beside it is merged on top with Compose's
rules: mappings merge, ``command``/``entrypoint``/``healthcheck.test`` are replaced,
``environment`` and ``depends_on`` merge by name, ``volumes`` by mount path, ``ports``
append. Files are read through the inventory's bounded loader; line numbers come from
the same bounded loader's located mode, so evidence can point at the exact line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from kubify import safeload
from kubify.diagnostics import Diagnostic, FileProblem, info, warning
from kubify.scan import Inventory, join, parent
from kubify.signals.compose_syntax import (
    ComposeBuild,
    ComposeCommand,
    ComposeDependency,
    ComposeDeploy,
    ComposeEnv,
    ComposeHealth,
    ComposePort,
    ComposeVolume,
    inside_repo,
    interpolate_tree,
    parse_build,
    parse_command,
    parse_depends_on,
    parse_deploy,
    parse_env_files,
    parse_environment,
    parse_healthcheck,
    parse_ports,
    parse_volumes,
    scalar,
)

PROJECT_FILES: tuple[str, ...] = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_FILES: tuple[str, ...] = ("compose.override.yaml", "compose.override.yml",
                                   "docker-compose.override.yaml", "docker-compose.override.yml")
#: How many directories below the root a compose file may sit and still describe the repository.
MAX_DEPTH = 2
#: Directories whose compose files set up docs, examples or tests, not the application.
SKIPPED_DIRS: frozenset[str] = frozenset({
    "docs", "doc", "examples", "example", "samples", "sample", "test", "tests", "testdata", "fixtures",
    "__tests__", "e2e", ".devcontainer", ".github", ".gitlab", ".circleci",
})
#: Attributes an override replaces instead of merging.
REPLACED: frozenset[str] = frozenset({"command", "entrypoint", "test"})
MAX_EXTENDS = 8


@dataclass(frozen=True)
class ComposeService:
    """One service after override and ``extends`` merging; secret values are already gone."""

    name: str
    file: str
    line: int
    project: str
    build: ComposeBuild | None = None
    image: str | None = None
    ports: tuple[ComposePort, ...] = ()
    expose: tuple[ComposePort, ...] = ()
    environment: tuple[ComposeEnv, ...] = ()
    env_files: tuple[str, ...] = ()
    command: ComposeCommand | None = None
    entrypoint: ComposeCommand | None = None
    working_dir: str | None = None
    user: str | None = None
    depends_on: tuple[ComposeDependency, ...] = ()
    healthcheck: ComposeHealth | None = None
    volumes: tuple[ComposeVolume, ...] = ()
    restart: str | None = None
    profiles: tuple[str, ...] = ()
    deploy: ComposeDeploy | None = None
    labels: tuple[tuple[str, str], ...] = ()
    #: (attribute, file, line) for attributes (``ports``) and variables (``environment.PORT``).
    origins: tuple[tuple[str, str, int], ...] = ()

    def where(self, attribute: str) -> tuple[str, int]:
        """File and line of an attribute (or of the service when the attribute has no line)."""
        known = {key: (file, line) for key, file, line in self.origins}
        return known.get(attribute) or known.get(attribute.split(".", 1)[0]) or (self.file, self.line)


def parse_labels(value: Any) -> tuple[tuple[str, str], ...]:
    """``labels`` in list (``key=value``) or map form, sorted."""
    pairs: dict[str, str] = {}
    if isinstance(value, dict):
        pairs = {str(k): "" if v is None else str(v) for k, v in value.items()}
    elif isinstance(value, list):
        for item in value:
            key, _, text = str(item).partition("=")
            pairs[key.strip()] = text.strip()
    return tuple(sorted(pairs.items()))


@dataclass(frozen=True)
class ComposeRead:
    files: tuple[str, ...]
    services: tuple[ComposeService, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass
class _Source:
    """One loaded compose file: its services (raw, interpolated) and where their keys are."""

    file: str
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    origins: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)


def compose_files(inventory: Inventory) -> list[tuple[str, str | None]]:
    """(project file, override file or None) per directory that has one, sorted by directory."""
    by_dir: dict[str, list[str]] = {}
    for rel in inventory.named(*PROJECT_FILES, *OVERRIDE_FILES):
        directory = parent(rel)
        parts = PurePosixPath(directory).parts if directory != "." else ()
        if len(parts) > MAX_DEPTH or any(p.lower() in SKIPPED_DIRS for p in parts):
            continue
        by_dir.setdefault(directory, []).append(PurePosixPath(rel).name)
    projects = []
    for directory in sorted(by_dir, key=lambda d: (d != ".", d.count("/"), d)):
        names = by_dir[directory]
        main = next((n for n in PROJECT_FILES if n in names), None)
        if main is None:
            continue
        override = next((n for n in OVERRIDE_FILES if n in names), None)
        projects.append((join(directory, main), join(directory, override) if override else None))
    return projects


def read_compose(inventory: Inventory) -> ComposeRead:
    """Every compose project of the repository, merged; never raises."""
    files: list[str] = []
    services: list[ComposeService] = []
    notes: list[Diagnostic] = []
    for main, override in compose_files(inventory):
        notes += _ignored_siblings(inventory, main)
        loaded = [s for s in (_load(inventory, rel, notes) for rel in (main, override) if rel) if s is not None]
        if not loaded:
            continue
        files += [s.file for s in loaded]
        services += _project_services(inventory, loaded, notes)
    return ComposeRead(tuple(files), tuple(services), tuple(notes))


def _ignored_siblings(inventory: Inventory, main: str) -> list[Diagnostic]:
    directory = parent(main)
    others = [join(directory, n) for n in PROJECT_FILES if inventory.has(join(directory, n)) and join(directory, n)
              != main]
    return [info("compose.ignored-file", f"{other} is ignored: docker compose reads {main} when both exist",
                 file=other, line=1, hint="delete one of the two files, or merge them") for other in others]


# --- loading one file -----------------------------------------------------------------------

def _load(inventory: Inventory, rel: str, notes: list[Diagnostic]) -> _Source | None:
    try:
        data = inventory.yaml(rel)
        text = inventory.text(rel)
    except FileProblem as problem:
        notes.append(problem.diagnostic.model_copy(update={"severity": "warning"}))
        return None
    try:
        located = safeload.load_yaml_located(text, rel)
    except FileProblem:
        located = None
    if data is None:
        return _Source(rel)
    services, prefix = _services_of(data)
    if services is None:
        notes.append(warning("compose.no-services", "compose file has no 'services' mapping; nothing to read",
                             file=rel, line=1, hint="declare the containers under a top-level 'services:' key"))
        return None
    source = _Source(rel)
    unresolved: list[str] = []
    for key, raw in services.items():
        name = str(key)
        if not isinstance(raw, dict):
            notes.append(warning("compose.service", f"service {name!r} is not a mapping; skipped", file=rel,
                                 line=_line(located, text, [*prefix, key], name) or 1))
            continue
        source.services[name] = _normalised(interpolate_tree(raw, unresolved))
        source.origins[name] = _origins(located, text, [*prefix, key], raw, rel)
    if unresolved:
        notes.append(_unresolved_note(rel, text, unresolved))
    return source


def _services_of(data: Any) -> tuple[dict[Any, Any] | None, list[str]]:
    """The services mapping, also of version-1 files (services at the top level)."""
    if not isinstance(data, dict):
        return None, []
    services = data.get("services")
    if isinstance(services, dict):
        return services, ["services"]
    if "services" in data:
        return ({} if services is None else None), ["services"]
    legacy = {k: v for k, v in data.items() if k != "version" and not str(k).startswith("x-")}
    if legacy and all(isinstance(v, dict) and ("image" in v or "build" in v) for v in legacy.values()):
        return legacy, []
    return None, []


def _origins(located: Any, text: str, path: list[Any], raw: dict[str, Any], rel: str) -> dict[str, tuple[str, int]]:
    service_line = _line(located, text, path, str(path[-1])) or 1
    origins = {"": (rel, service_line)}
    for key in raw:
        origins[str(key)] = (rel, _line(located, text, [*path, key], None) or service_line)
    environment = raw.get("environment")
    if isinstance(environment, dict):
        variables = [(str(k), k) for k in environment]
    elif isinstance(environment, list):
        variables = [(str(item).partition("=")[0].strip(), index) for index, item in enumerate(environment)]
    else:
        variables = []
    for name, key in variables:
        line = _line(located, text, [*path, "environment", key], None) or origins.get("environment", origins[""])[1]
        origins[f"environment.{name}"] = (rel, line)
    return origins


def _line(located: Any, text: str, path: list[Any], key: str | None) -> int | None:
    """1-based line of ``path`` in the located data, else of ``key:`` found in the text."""
    found = safeload.line_of(located, path) if located is not None else None
    if found is None and key is not None:
        match = re.search(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", text, re.MULTILINE)
        found = text.count("\n", 0, match.start()) + 1 if match else None
    return found


def _unresolved_note(rel: str, text: str, names: list[str]) -> Diagnostic:
    unique = sorted(set(names))
    first = min((m.start() for n in unique for m in [re.search(rf"\$\{{?{re.escape(n)}\b", text)] if m),
                default=0)
    shown = ", ".join(unique[:12]) + (f" and {len(unique) - 12} more" if len(unique) > 12 else "")
    return warning("compose.unresolved-variable", f"variables without a default are left unresolved: {shown}",
                   file=rel, line=text.count("\n", 0, first) + 1,
                   hint="kubify does not read .env or your shell; give defaults (${VAR:-value}) or set the "
                        "values in kubify.yaml")


def _normalised(service: dict[str, Any]) -> dict[str, Any]:
    """One shape per attribute, so that merging two files is a plain recursive merge."""
    result = dict(service)
    if isinstance(result.get("build"), str):
        result["build"] = {"context": result["build"]}
    environment = result.get("environment")
    if isinstance(environment, list):
        pairs = (str(i).partition("=") for i in environment if i is not None)
        result["environment"] = {k.strip(): (v if eq else None) for k, eq, v in pairs}
    depends = result.get("depends_on")
    if isinstance(depends, list):
        result["depends_on"] = {str(d): {"condition": "service_started"} for d in depends if scalar(d)}
    return result


# --- merging ------------------------------------------------------------------------------

def merge(base: Any, over: Any, key: str = "") -> Any:
    """``over`` merged onto ``base`` with Compose's override rules."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for name, value in over.items():
            merged[name] = merge(base[name], value, str(name)) if name in base else value
        return merged
    if isinstance(base, list) and isinstance(over, list) and key not in REPLACED:
        if key == "volumes":
            targets = {v.target for v in parse_volumes(over)}
            return [v for v in base if not {m.target for m in parse_volumes([v])} & targets] + over
        return base + [item for item in over if item not in base]
    return over


def _project_services(inventory: Inventory, sources: list[_Source], notes: list[Diagnostic]) -> list[ComposeService]:
    project = parent(sources[0].file)
    raw: dict[str, dict[str, Any]] = {}
    origins: dict[str, dict[str, tuple[str, int]]] = {}
    for source in sources:
        for name, declared in source.services.items():
            service = _extended(inventory, source, name, declared, notes, 0)
            previous = raw.get(name)
            raw[name] = merge(previous, service) if previous is not None else service
            origins[name] = _merged_origins(origins.get(name), source.origins[name], previous or {})
    return [_service(name, project, raw[name], origins[name], notes) for name in sorted(raw)]


def _merged_origins(before: dict[str, tuple[str, int]] | None, new: dict[str, tuple[str, int]],
                    previous: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Where each attribute now comes from: an override's line for what it replaced or added,
    the first file's line for mappings and lists it merged into."""
    if before is None:
        return dict(new)
    merged = dict(before)
    for key, where in new.items():
        attribute = key.split(".", 1)[0]
        if key and (key not in merged or "." in key or attribute in REPLACED
                    or not isinstance(previous.get(attribute), (dict, list))):
            merged[key] = where
    return merged


def _extended(inventory: Inventory, source: _Source, name: str, service: dict[str, Any],
              notes: list[Diagnostic], depth: int) -> dict[str, Any]:
    """``service`` on top of the service it ``extends`` (same file or another compose file)."""
    spec = service.get("extends")
    if spec is None:
        return service
    own = {k: v for k, v in service.items() if k != "extends"}
    target = spec if isinstance(spec, str) else scalar(spec.get("service")) if isinstance(spec, dict) else None
    other = scalar(spec.get("file")) if isinstance(spec, dict) else None
    file, line = source.origins.get(name, {}).get("extends", (source.file, 1))
    base_source = source if other is None else _other_file(inventory, source.file, other, notes, line)
    if base_source is None:
        return own
    base = base_source.services.get(target or "")
    if base is None or depth >= MAX_EXTENDS or (base_source is source and target == name):
        notes.append(warning("compose.extends", f"service {name!r} extends {target!r}, which is not defined "
                             "(or extends itself); its own attributes are used alone", file=file, line=line))
        return own
    merged: dict[str, Any] = merge(_extended(inventory, base_source, target or "", base, notes, depth + 1), own)
    return merged


def _other_file(inventory: Inventory, current: str, other: str, notes: list[Diagnostic], line: int) -> _Source | None:
    rel = inside_repo(parent(current), other)
    if rel is None or not inventory.has(rel):
        notes.append(warning("compose.extends", f"extends file {other!r} is not in the repository", file=current,
                             line=line, hint="keep extended compose files inside the repository"))
        return None
    return _load(inventory, rel, notes)


# --- one service ----------------------------------------------------------------------------

def _service(name: str, project: str, raw: dict[str, Any], origins: Mapping[str, tuple[str, int]],
             notes: list[Diagnostic]) -> ComposeService:
    file, line = origins[""]

    def note(attribute: str, problem: str, hint: str | None = None) -> None:
        at = origins.get(attribute, (file, line))
        notes.append(warning(f"compose.{attribute.replace('_', '-')}", f"service {name!r}: {problem}", file=at[0],
                             line=at[1], hint=hint))

    build, problems = parse_build(raw.get("build"), project)
    for problem in problems:
        note("build", problem)
    ports, port_problems = parse_ports(raw.get("ports"))
    expose, expose_problems = parse_ports(raw.get("expose"))
    for problem in port_problems + expose_problems:
        note("ports" if problem in port_problems else "expose", problem)
    health, health_problem = parse_healthcheck(raw.get("healthcheck"))
    if health_problem:
        note("healthcheck", health_problem)
    image = scalar(raw.get("image"))
    profiles = raw.get("profiles")
    return ComposeService(
        name=name, file=file, line=line, project=project, build=build, image=image.strip() if image else None,
        ports=tuple(ports), expose=tuple(expose), environment=tuple(parse_environment(raw.get("environment"))),
        env_files=tuple(parse_env_files(raw.get("env_file"), project)) if raw.get("env_file") else (),
        command=parse_command(raw.get("command")), entrypoint=parse_command(raw.get("entrypoint")),
        working_dir=scalar(raw.get("working_dir")), user=scalar(raw.get("user")),
        depends_on=tuple(parse_depends_on(raw.get("depends_on"))), healthcheck=health,
        volumes=tuple(parse_volumes(raw.get("volumes"))), restart=scalar(raw.get("restart")),
        profiles=tuple(p for item in profiles if (p := scalar(item))) if isinstance(profiles, list) else (),
        deploy=parse_deploy(raw), labels=parse_labels(raw.get("labels")),
        origins=tuple(sorted((k, f, n) for k, (f, n) in origins.items() if k)),
    )
