"""What a compose file says about the application: component fragments and backing services.

Compose is explicit deployment configuration (confidence 0.95): a service that builds
from the repository is a component rooted at its build context; a service running a
database/cache/broker image is a backing service; a development helper (adminer,
mailhog, a dashboard) is skipped with a note; any other image-only service becomes a
component that runs the prebuilt image (0.8). The parsing lives in
:mod:`~kubify.signals.compose_files` and :mod:`~kubify.signals.compose_syntax`; the
image knowledge in :mod:`~kubify.signals.images`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from kubify.diagnostics import Diagnostic, info, warning
from kubify.ir import (
    ENV_NAME,
    BackingKind,
    BackingService,
    Build,
    Component,
    Dependency,
    EnvVar,
    Evidence,
    Health,
    Port,
    Resources,
    Run,
    Scaling,
    Volume,
)
from kubify.naming import dns_label
from kubify.scan import Inventory
from kubify.signals.compose_files import ComposeRead, ComposeService, compose_files, read_compose
from kubify.signals.compose_syntax import ComposeBuild, ComposeCommand, ComposeHealth, ComposePort
from kubify.signals.images import backing_kind, backing_version, is_companion, is_dev_tool

__all__ = [
    "ComposeBuild", "ComposeCommand", "ComposeHealth", "ComposePort", "ComposeRead", "ComposeService",
    "backing_kind", "backing_version", "compose_files", "compose_fragments", "read_compose",
]

EXPLICIT = 0.95
#: A command of a service that mounts its own source (live reload): below a Dockerfile's CMD.
DEVELOPMENT = 0.4
_PROXY_PORT_LABEL = re.compile(r"^traefik\.(?:http|tcp)\.services\.[^.]+\.loadbalancer\.server\.port$")
#: Debugger ports (Node inspector, debugpy, delve, JDWP) are for a developer's IDE, not a Service.
DEBUGGER_PORTS: frozenset[int] = frozenset({5005, 5678, 5858, 9229, 9230, 40000})
PREBUILT = 0.8
Role = Literal["built", "backing", "image", "tool", "skip"]
#: Profiles that mark a service as a developer convenience rather than part of the application.
DEV_PROFILES: frozenset[str] = frozenset({"dev", "debug", "test", "tests", "tools", "ci", "local", "docs"})
_WEB = re.compile(
    r"\b(gunicorn|uvicorn|hypercorn|daphne|waitress-serve|runserver|flask\s+run|fastapi\s+(run|dev)|"
    r"rails\s+s(erver)?|puma|unicorn|next\s+start|nuxt\s+start|serve|http-server|nginx|caddy|httpd|php-fpm|"
    r"npm\s+(run\s+)?start|yarn\s+start|pnpm\s+start|node\s+\S*(server|app|index|main)\S*|streamlit\s+run|"
    r"http\.server|--port|--bind|-b\s)",
    re.IGNORECASE)
_ONE_OFF = re.compile(
    r"\b(migrate|migration|migrations|alembic|flyway|liquibase|seed|fixtures|collectstatic|createsuperuser|"
    r"db:(migrate|seed|setup|create)|prisma\s+(migrate|db)|knex\s+migrate|sequelize|setup|init|bootstrap|"
    r"pytest|jest|vitest|mocha)\b",
    re.IGNORECASE)
_COMMAND_PORT = re.compile(
    r"(?:--port[= ]|-p\s+|--bind[= ](?:[\w.\[\]:]*:)?|-b\s*(?:[\w.\[\]:]*:)?|runserver\s+(?:[\w.]*:)?|"
    r"--listen[= ](?:[\w.]*:)?|--server\.port[= ])(\d{2,5})\b")
_ONE_OFF_NAME = re.compile(r"(migrat|seed|init|setup|bootstrap|provision|createbuckets|fixtures)", re.IGNORECASE)


@dataclass
class _Project:
    """The services of one compose project and what each one is."""

    services: dict[str, ComposeService]
    roles: dict[str, Role] = field(default_factory=dict)
    built_images: dict[str, ComposeService] = field(default_factory=dict)
    one_off: set[str] = field(default_factory=set)


def compose_fragments(inventory: Inventory) -> tuple[list[Component], list[BackingService], list[Diagnostic]]:
    """Component fragments (analyzer ``compose``), backing services and notes for every compose project."""
    read = read_compose(inventory)
    notes = list(read.diagnostics)
    components: dict[tuple[str, str], Component] = {}
    services: dict[str, BackingService] = {}
    for project in _projects(read.services):
        for name in sorted(project.services):
            service = project.services[name]
            role = project.roles[name]
            kind = backing_kind(service.image or "")
            if role == "backing" and kind is not None:
                services.setdefault(service.name, _backing(service, kind))
            elif role in ("built", "image"):
                component = _component(inventory, project, service, notes)
                components.setdefault((component.path, component.name), component)
            else:
                notes.append(_skip_note(service, role))
    return ([components[k] for k in sorted(components)], [services[k] for k in sorted(services)], notes)


def _projects(services: Iterable[ComposeService]) -> list[_Project]:
    grouped: dict[str, dict[str, ComposeService]] = {}
    for service in services:
        grouped.setdefault(service.project, {})[service.name] = service
    projects = []
    for directory in sorted(grouped):
        project = _Project(grouped[directory])
        for service in project.services.values():
            if service.build is not None and service.image:
                project.built_images[service.image] = service
            project.one_off |= {d.service for d in service.depends_on
                                if d.condition == "service_completed_successfully"}
        project.roles = {name: _role(project, s) for name, s in project.services.items()}
        projects.append(project)
    return projects


def _role(project: _Project, service: ComposeService) -> Role:
    if service.build is not None:
        return "built"
    if service.profiles and all(p.lower() in DEV_PROFILES for p in service.profiles):
        return "tool"
    if not service.image:
        return "skip"
    if service.image in project.built_images:
        return "image"
    if backing_kind(service.image):
        return "backing"
    if is_dev_tool(service.image) or is_companion(service.image):
        return "tool"
    return "image"


def _skip_note(service: ComposeService, role: Role) -> Diagnostic:
    if role == "skip":
        return warning("compose.service", f"service {service.name!r} has neither 'image' nor a local 'build'; "
                       "skipped", file=service.file, line=service.line,
                       hint="give it an image, or a build context inside the repository")
    why = f"profiles {', '.join(service.profiles)}" if service.profiles and not (
        service.image and (is_dev_tool(service.image) or is_companion(service.image))) else f"image {service.image}"
    return info("compose.dev-tool", f"service {service.name!r} ({why}) is a local development helper; "
                "not deployed", file=service.file, line=service.line,
                hint="add it as a component in kubify.yaml if the cluster needs it")


def _backing(service: ComposeService, kind: BackingKind) -> BackingService:
    image = service.image or ""
    file, line = service.where("image")
    evidence = Evidence(field="kind", value=kind, rule=f"compose.image.{kind}", file=file, line=line,
                        confidence=EXPLICIT)
    return BackingService(name=service.name, kind=kind, version=backing_version(image), image=image,
                          evidence=(evidence,))


# --- components -----------------------------------------------------------------------------

class _Fragment:
    """Field values of one component and the evidence for each."""

    def __init__(self, service: ComposeService) -> None:
        self.service = service
        self.values: dict[str, Any] = {}
        self.evidence: list[Evidence] = []

    def set(self, name: str, value: Any, shown: str, rule: str, attribute: str,
            confidence: float = EXPLICIT) -> None:
        file, line = self.service.where(attribute)
        self.values[name] = value
        self.evidence.append(Evidence(field=name, value=shown, rule=rule, file=file, line=line,
                                      confidence=confidence))

    def note(self, name: str, shown: str, rule: str, attribute: str, confidence: float = EXPLICIT) -> None:
        file, line = self.service.where(attribute)
        self.evidence.append(Evidence(field=name, value=shown, rule=rule, file=file, line=line,
                                      confidence=confidence))


def _component(inventory: Inventory, project: _Project, service: ComposeService,
               notes: list[Diagnostic]) -> Component:
    fragment = _Fragment(service)
    name = dns_label(service.name, fallback="service")
    fragment.note("name", name, "compose.service", "")
    path = _build(fragment, inventory, project, service, notes)
    live = _develops_in_place(service, path)
    ports = _ports(fragment, service) or _command_port(fragment, service)
    _run(fragment, service, DEVELOPMENT if live else EXPLICIT)
    _env(fragment, service, notes)
    _health(fragment, service)
    _depends_on(fragment, project, service, notes)
    _volumes(fragment, service, notes)
    _deploy(fragment, service)
    _kind(fragment, project, service, bool(ports))
    return Component(name=name, path=path, analyzer="compose", evidence=tuple(fragment.evidence),
                     **fragment.values)


def _build(fragment: _Fragment, inventory: Inventory, project: _Project, service: ComposeService,
           notes: list[Diagnostic]) -> str:
    """Sets ``build`` and returns the component's path: its build context, or a name for a prebuilt image."""
    build = service.build
    if build is None and service.image in project.built_images:
        builder = project.built_images[service.image or ""]
        build = builder.build
        fragment.note("build", f"image {service.image} built by service {builder.name}",
                      "compose.image.built-by-sibling", "image", PREBUILT)
    if build is None:
        image = service.image or ""
        fragment.set("build", Build(image=image), image, "compose.image", "image", PREBUILT)
        return f"{service.file}#{service.name}"
    file, line = service.where("build")
    if not inventory.has_dir(build.context):
        notes.append(warning("compose.build", f"service {service.name!r}: build context {build.context!r} is not "
                             "in the scanned repository", file=file, line=line,
                             hint="check the path (and that it is not git-ignored or a missing submodule)"))
    if build.inline:
        notes.append(info("compose.dockerfile-inline", f"service {service.name!r} builds an inline Dockerfile; "
                          "kubify generates one instead", file=file, line=line))
    elif build.dockerfile is not None and not inventory.has(build.dockerfile):
        notes.append(warning("compose.build", f"service {service.name!r}: Dockerfile {build.dockerfile!r} is not in "
                             "the repository; kubify generates one instead", file=file, line=line))
    elif build.dockerfile is not None:
        fragment.set("build", Build(dockerfile=build.dockerfile, context=build.context, target=build.target,
                                    args=build.args), build.dockerfile, "compose.build", "build")
    return build.context


def _develops_in_place(service: ComposeService, context: str) -> bool:
    """The service mounts its own source over the image (``./vote:/app``): a live-reload
    development setup, whose command (``nodemon``, ``python app.py``) is not how it runs in
    production; the image's own CMD is. Only when the mount and the command are written in the
    same file: a production command in compose.yaml is not demoted by a dev override's mount."""
    command_attribute = "entrypoint" if service.entrypoint else "command"
    if service.build is None or service.where("volumes")[0] != service.where(command_attribute)[0]:
        return False
    base = posixpath.dirname(service.file)
    for volume in service.volumes:
        if volume.kind == "bind" and volume.source and volume.source.startswith("."):
            source = posixpath.normpath(posixpath.join(base, volume.source))
            if context == source or context.startswith(source.rstrip("/") + "/") or source == ".":
                return True
    return False


def _ports(fragment: _Fragment, service: ComposeService) -> list[Port]:
    ports: list[Port] = []
    for attribute, found in (("ports", service.ports), ("expose", service.expose)):
        new = [Port(port=p.port, protocol=p.protocol, name=p.name) for p in found
               if p.port not in DEBUGGER_PORTS
               and all((q.port, q.protocol) != (p.port, p.protocol) for q in ports)]
        if new:
            ports += new
            fragment.note("ports", ", ".join(f"{p.port}/{p.protocol}" for p in new), f"compose.{attribute}",
                          attribute)
    if not ports:
        ports = _label_ports(fragment, service)
    if ports:
        fragment.values["ports"] = tuple(ports)
    return ports


def _label_ports(fragment: _Fragment, service: ComposeService) -> list[Port]:
    """Behind a reverse proxy a service publishes no port, but its proxy label names it
    (``traefik.http.services.<name>.loadbalancer.server.port=8000``)."""
    found = sorted({int(value) for key, value in service.labels
                    if _PROXY_PORT_LABEL.match(key) and value.isdigit() and 1 <= int(value) <= 65535})
    if found:
        fragment.note("ports", ", ".join(f"{p}/TCP" for p in found), "compose.label.proxy-port", "labels", 0.9)
    return [Port(port=p) for p in found]


def _command_port(fragment: _Fragment, service: ComposeService) -> list[Port]:
    """The port a web server's command line binds (``--port 8000``, ``-b 0.0.0.0:8000``, ``runserver :8000``)."""
    command = " ".join(word for c in (service.entrypoint, service.command) if c for word in c.argv)
    match = _COMMAND_PORT.search(command)
    if match is None or not 1 <= int(match.group(1)) <= 65535:
        return []
    port = Port(port=int(match.group(1)))
    fragment.set("ports", (port,), f"{port.port}/TCP", "compose.command.port",
                 "entrypoint" if service.entrypoint else "command", 0.9)
    return [port]


def _run(fragment: _Fragment, service: ComposeService, confidence: float) -> None:
    parts = [c for c in (service.entrypoint, service.command) if c is not None]
    if not parts and not service.working_dir and not service.user:
        return
    argv = tuple(word for part in parts for word in part.argv)
    run = Run(command=argv, workdir=service.working_dir, user=service.user, shell=any(p.shell for p in parts),
              replaces_entrypoint=service.entrypoint is not None)
    attribute = "entrypoint" if service.entrypoint else "command" if service.command else \
        "working_dir" if service.working_dir else "user"
    rule = f"compose.{attribute.replace('_', '-')}" + (".live-reload" if confidence < EXPLICIT else "")
    fragment.set("run", run, " ".join(argv) or f"workdir {service.working_dir or ''}".strip(), rule, attribute,
                 confidence)


def _env(fragment: _Fragment, service: ComposeService, notes: list[Diagnostic]) -> None:
    env: list[EnvVar] = []
    for entry in service.environment:
        if not ENV_NAME.match(entry.name):
            file, line = service.where(f"environment.{entry.name}")
            notes.append(warning("compose.environment", f"service {service.name!r}: {entry.name[:60]!r} is not a "
                                 "valid environment variable name; skipped", file=file, line=line))
            continue
        env.append(EnvVar(name=entry.name, default=entry.value, secret=entry.secret, required=entry.required))
        fragment.note("env", entry.name, "compose.environment.secret" if entry.secret else "compose.environment",
                      f"environment.{entry.name}")
    if env:
        fragment.values["env"] = tuple(sorted(env, key=lambda e: e.name))
    if service.env_files:
        file, line = service.where("env_file")
        notes.append(info("compose.env-file", f"service {service.name!r} reads {', '.join(service.env_files)}; "
                          "kubify does not read env files (they hold secrets)", file=file, line=line,
                          hint="list the variable names in .env.example so kubify can wire them"))


def _health(fragment: _Fragment, service: ComposeService) -> None:
    check = service.healthcheck
    if check is None or check.mode == "NONE":
        return
    health: Health
    if check.http_path is not None:
        health = Health(type="http", path=check.http_path, port=check.http_port)
        shown = f"http {check.http_path} on {check.http_port}"
    elif check.grpc_port is not None:
        health, shown = Health(type="grpc", port=check.grpc_port), f"grpc on {check.grpc_port}"
    elif check.tcp_port is not None:
        health, shown = Health(type="tcp", port=check.tcp_port), f"tcp {check.tcp_port}"
    else:
        health, shown = Health(type="exec", command=check.command), " ".join(check.command)
    fragment.set("health", health, shown, f"compose.healthcheck.{health.type}", "healthcheck")


def _depends_on(fragment: _Fragment, project: _Project, service: ComposeService, notes: list[Diagnostic]) -> None:
    dependencies: dict[str, Dependency] = {}
    for edge in service.depends_on:
        other = project.services.get(edge.service)
        role = project.roles.get(edge.service)
        if other is None:
            file, line = service.where("depends_on")
            notes.append(warning("compose.depends-on", f"service {service.name!r} depends on {edge.service!r}, "
                                 "which the compose file does not define", file=file, line=line))
            continue
        kind = backing_kind(other.image or "")
        if role == "backing" and kind is not None:
            dependency, shown = Dependency(service=kind), str(kind)
        elif role in ("built", "image"):
            shown = dns_label(other.name, fallback="service")
            dependency = Dependency(component=shown)
        else:
            continue
        if shown not in dependencies:
            dependencies[shown] = dependency
            fragment.note("depends_on", shown, f"compose.depends-on.{edge.condition.replace('_', '-')}",
                          "depends_on")
    if dependencies:
        fragment.values["depends_on"] = tuple(dependencies[k] for k in sorted(dependencies))


def _volumes(fragment: _Fragment, service: ComposeService, notes: list[Diagnostic]) -> None:
    volumes = {v.target: Volume(name=dns_label(v.source or "data", fallback="data"), path=v.target)
               for v in service.volumes if v.kind == "volume"}
    if volumes:
        fragment.values["volumes"] = tuple(volumes[k] for k in sorted(volumes))
        for volume in fragment.values["volumes"]:
            fragment.note("volumes", f"{volume.name}:{volume.path}", "compose.volumes.named", "volumes")
    binds = [v for v in service.volumes if v.kind == "bind" and (v.source or "").startswith(".")]
    if binds and service.build is None:
        file, line = service.where("volumes")
        notes.append(warning("compose.bind-mount", f"service {service.name!r} runs the prebuilt image "
                             f"{service.image} with {', '.join(v.source or '' for v in binds)} mounted from the "
                             "repository; the cluster will not have those files", file=file, line=line,
                             hint="build an image that copies them, or mount them from a ConfigMap"))


def _deploy(fragment: _Fragment, service: ComposeService) -> None:
    deploy = service.deploy
    if deploy is None:
        return
    if deploy.replicas is not None and deploy.replicas >= 1:
        scaling = Scaling(min_replicas=deploy.replicas, max_replicas=max(deploy.replicas, Scaling().max_replicas))
        fragment.set("scaling", scaling, f"replicas {deploy.replicas}", "compose.deploy.replicas", "deploy")
    sizes = {"cpu_limit": deploy.cpu_limit, "memory_limit": deploy.memory_limit,
             "cpu_request": deploy.cpu_request or deploy.cpu_limit,
             "memory_request": deploy.memory_request or deploy.memory_limit}
    given = {k: v for k, v in sizes.items() if v is not None}
    if given:
        resources = Resources(**given)
        fragment.set("resources", resources, ", ".join(f"{k}={v}" for k, v in sorted(given.items())),
                     "compose.deploy.resources", "deploy")


def _kind(fragment: _Fragment, project: _Project, service: ComposeService, serves: bool) -> None:
    command = " ".join(word for c in (service.entrypoint, service.command) if c for word in c.argv)
    restart = (service.restart or "").lower()
    one_off = service.name in project.one_off or (
        bool(command) and (restart in ("", "no", "false") or restart.startswith("on-failure"))
        and bool(_ONE_OFF.search(command) or _ONE_OFF_NAME.search(service.name)))
    if one_off:
        fragment.set("kind", "job", "job", "compose.kind.one-off", "restart" if service.restart else "command",
                     0.9)
    elif serves:
        # Something listens: a service or a static site, which the code's analyzer tells apart.
        fragment.set("kind", "service", "service", "compose.kind.ports", "ports" if service.ports else "expose",
                     0.6)
    elif command and _WEB.search(command):
        fragment.set("kind", "service", "service", "compose.kind.web-command", "command", 0.7)
    elif command:
        fragment.set("kind", "worker", "worker", "compose.kind.no-ports", "command", 0.8)
