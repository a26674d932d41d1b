"""One main package → its component fields, from its code and the repository packages it imports.

The facts of every package in the main package's import closure are weighed here:
listeners become ports (through :mod:`.resolve`), the kind follows from what the program
does (listens → service; consumes a queue → worker; parses subcommands → cli), and
routes, metrics handlers, env reads and driver imports fill the rest. :class:`Draft`
collects each value together with the :class:`~kubify.ir.Evidence` that supports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubify.analyzers.go.facts import FRAMEWORKS, HEALTH_NAMES, SERVICES, PackageFacts, Site
from kubify.analyzers.go.modules import GoIndex
from kubify.analyzers.go.resolve import Resolver

from kubify.ir import Component, Dependency, EnvVar, Evidence, Health, Metrics, Port
from kubify.signals.secrets import looks_secret

#: A port the debug server (net/http/pprof) conventionally uses: never the primary port.
DEBUG_PORTS = frozenset({6060})
_FALLBACK_PORT = {"grpc": 50051}
_WEB_FRAMEWORKS = frozenset(name for _prefix, name in FRAMEWORKS)


@dataclass
class Draft:
    """Field values of a component being built, with their evidence."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    env: dict[str, EnvVar] = field(default_factory=dict)
    depends: dict[str, Dependency] = field(default_factory=dict)
    image: str = "golang:1"
    env_confidence: dict[str, float] = field(default_factory=dict)

    def set(self, name: str, value: Any, rule: str, at: Site | None, confidence: float, *,
            shown: str | None = None) -> None:
        self.values[name] = value
        self.note(name, shown if shown is not None else str(value), rule, at, confidence)

    def note(self, name: str, value: str, rule: str, at: Site | None, confidence: float) -> None:
        self.evidence.append(Evidence(field=name, value=value, rule=rule, file=at.file if at else None,
                                      line=at.line if at else None, confidence=confidence))

    def add_env(self, var: EnvVar, rule: str, at: Site | None, confidence: float) -> None:
        """Add an env var (secrets never keep a value); a later read may fill a missing default."""
        secret = var.secret or looks_secret(var.name, var.default)
        if confidence > self.env_confidence.get(var.name, 0.0):
            self.env_confidence[var.name] = confidence
            self.note("env", var.name, rule, at, confidence)
        known = self.env.get(var.name)
        if known is None:
            self.env[var.name] = EnvVar(name=var.name, default=None if secret else var.default, secret=secret,
                                        required=var.required)
            return
        secret = secret or known.secret
        default = None if secret else (known.default if known.default is not None else var.default)
        self.env[var.name] = EnvVar(name=var.name, default=default, secret=secret,
                                    required=known.required or var.required)

    def add_dependency(self, service: str, rule: str, at: Site, confidence: float) -> None:
        if service not in self.depends:
            self.depends[service] = Dependency(service=service)
            self.note("depends_on", service, rule, at, confidence)

    def copy(self) -> Draft:
        return Draft(dict(self.values), list(self.evidence), dict(self.env), dict(self.depends), self.image,
                     dict(self.env_confidence))

    def component(self, name: str, path: str) -> Component:
        return Component(
            name=name, path=path, analyzer="go", **self.values,
            env=tuple(self.env[k] for k in sorted(self.env)),
            depends_on=tuple(self.depends[k] for k in sorted(self.depends)),
            evidence=tuple(self.evidence),
        )


@dataclass(frozen=True)
class Program:
    """What the build and run of a main package need beyond the component fields."""

    run_site: Site
    cgo: Site | None = None
    run_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class _PortFinding:
    port: int
    kind: str
    confidence: float
    rule: str
    site: Site
    value_site: Site | None
    env: str | None


def describe_program(index: GoIndex, main: str, draft: Draft) -> Program:
    """Fill ``draft`` with what the main package in ``main`` (and what it imports) does."""
    closure = [index.facts(directory) for directory in index.closure(main)]
    main_site = next((Site(f.rel, f.main_line) for f in index.files(main)
                      if f.main_line is not None and f.package == "main"), Site(main, 1))
    framework = _framework(closure)
    findings = _ports(closure)
    kind = _kind(draft, closure, findings, framework, main_site)
    if framework is not None:
        name, site, confidence = framework
        draft.set("framework", name, f"go.framework.{name.replace('/', '-')}", site, confidence)
    for facts in closure:
        for read in facts.env:
            draft.add_env(EnvVar(name=read.name, default=read.default, required=read.required), read.rule,
                          read.site, 0.9)
    if kind in ("service", "worker"):
        _set_ports(draft, findings)
        _set_health(draft, closure, findings)
        _set_metrics(draft, closure, findings)
        _set_dependencies(draft, closure)
    cgo = next((f.cgo for f in closure if f.cgo is not None), None)
    listens_in_main = any(closure[0].listeners) if closure else False
    serve = _serve_command(closure) if kind == "service" and not listens_in_main and any(
        f.cli for f in closure) else None
    if serve is not None:
        return Program(run_site=serve[1], cgo=cgo, run_args=(serve[0],))
    return Program(run_site=main_site, cgo=cgo)


def _framework(closure: list[PackageFacts]) -> tuple[str, Site, float] | None:
    """The web framework the program imports, else grpc when it builds a server, else net/http."""
    for prefix, name in FRAMEWORKS:
        for facts in closure:
            site = facts.imported(prefix)
            if site is not None:
                listens = any(listener.framework == name for f in closure for listener in f.listeners)
                return name, site, 0.9 if listens else 0.7
    grpc = next((f.grpc_server for f in closure if f.grpc_server is not None), None)
    if grpc is not None:
        return "grpc", grpc, 0.9
    http = next((listener for f in closure for listener in f.listeners if listener.framework == "net/http"), None)
    return ("net/http", http.site, 0.9) if http is not None else None


def _ports(closure: list[PackageFacts]) -> list[_PortFinding]:
    """One finding per distinct port, the main package's listeners first, debug ports last."""
    grpc = any(f.grpc_server is not None for f in closure)
    findings: dict[int, _PortFinding] = {}
    for facts in closure:
        resolver = Resolver(facts, closure)
        for listener in facts.listeners:
            kind = ("grpc" if grpc else "http") if listener.kind == "tcp" else listener.kind
            value = resolver.resolve(listener.address, listener.site) if listener.address else None
            rule = f"go.{listener.framework.replace('/', '-')}.listen"
            if value is not None and value.port is not None:
                finding = _PortFinding(value.port, kind, 0.8 if value.flag else 0.9, rule, listener.site,
                                       value.port_site, value.env)
            elif listener.default_port is not None and listener.address is None:
                env = "PORT" if listener.framework == "gin" else None
                finding = _PortFinding(listener.default_port, kind, 0.5, f"{rule}-default-port", listener.site,
                                       None, env)
            else:
                env = value.env if value is not None else None
                port = _FALLBACK_PORT.get(kind, 8080)
                finding = _PortFinding(port, kind, 0.5 if env else 0.3, f"{rule}-unresolved", listener.site, None,
                                       env)
            known = findings.get(finding.port)
            if known is None or (finding.confidence > known.confidence):
                findings[finding.port] = finding
    return sorted(findings.values(), key=lambda f: (f.port in DEBUG_PORTS, -f.confidence, _order(closure, f)))


def _order(closure: list[PackageFacts], finding: _PortFinding) -> tuple[int, str, int]:
    package = next((i for i, f in enumerate(closure) if any(lst.site == finding.site for lst in f.listeners)), 0)
    return package, finding.site.file, finding.site.line


def _kind(draft: Draft, closure: list[PackageFacts], findings: list[_PortFinding],
          framework: tuple[str, Site, float] | None, main_site: Site) -> str:
    consumer = next((site for f in closure for site in f.consumers), None)
    cli = next((site for f in closure for site in f.cli), None)
    daemon = next((f.daemon for f in closure if f.daemon is not None), None)
    grpc = next((f.grpc_server for f in closure if f.grpc_server is not None), None)
    choices: list[tuple[bool, str, str, Site | None, float]] = [
        (bool(findings), "service", "go.kind.listener", findings[0].site if findings else None, 0.7),
        (grpc is not None, "service", "go.kind.grpc-server", grpc, 0.6),
        (consumer is not None, "worker", "go.kind.consumer", consumer, 0.6),
        (framework is not None and framework[0] in _WEB_FRAMEWORKS, "service", "go.kind.web-framework",
         framework[1] if framework else None, 0.5),
        (cli is not None, "cli", "go.kind.command-line", cli, 0.5),
        (daemon is not None, "worker", "go.kind.ticker-loop", daemon, 0.4),
    ]
    for matched, kind, rule, site, confidence in choices:
        if matched and site is not None:
            draft.set("kind", kind, rule, site, confidence)
            return kind
    draft.set("kind", "cli", "go.kind.no-listener", main_site, 0.3)
    return "cli"


def _set_ports(draft: Draft, findings: list[_PortFinding]) -> None:
    if not findings:
        return
    ports: list[Port] = []
    for finding in findings:
        name = finding.kind if finding.kind not in {p.name for p in ports} else f"{finding.kind}-{finding.port}"
        ports.append(Port(port=finding.port, name=name))
        draft.note("ports", str(finding.port), finding.rule, finding.site, finding.confidence)
        if finding.value_site is not None and finding.value_site != finding.site:
            draft.note("ports", str(finding.port), "go.port.resolved-value", finding.value_site, finding.confidence)
        if finding.env is not None:
            draft.add_env(EnvVar(name=finding.env, default=str(finding.port)), "go.env.listen-address",
                          finding.site, 0.9)
    draft.values["ports"] = tuple(ports)


def _set_health(draft: Draft, closure: list[PackageFacts], findings: list[_PortFinding]) -> None:
    routes = [(path, site) for f in closure for path, site in f.routes if _health_rank(path) is not None]
    http = next((f.port for f in findings if f.kind == "http"), None)
    grpc = next((f.port for f in findings if f.kind == "grpc"), None)
    if routes and http is not None:
        path, site = min(routes, key=lambda r: (_health_rank(r[0]), r[1].file, r[1].line))
        draft.set("health", Health(type="http", path=path, port=http), "go.health.route", site, 0.8, shown=path)
        return
    health = next((f.grpc_health for f in closure if f.grpc_health is not None), None)
    if health is not None and grpc is not None:
        draft.set("health", Health(type="grpc", port=grpc), "go.health.grpc-health-v1", health, 0.8,
                  shown=f"grpc:{grpc}")


def _health_rank(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return HEALTH_NAMES.index(last) if last in HEALTH_NAMES else None


def _set_metrics(draft: Draft, closure: list[PackageFacts], findings: list[_PortFinding]) -> None:
    found = next((m for f in closure for m in f.metrics), None)
    if found is None:
        return
    path, site = found
    http = next((f.port for f in findings if f.kind == "http"), None)
    draft.set("metrics", Metrics(path=path, port=http), "go.metrics.promhttp", site, 0.8, shown=path)


def _set_dependencies(draft: Draft, closure: list[PackageFacts]) -> None:
    for facts in closure:
        for imported, site in facts.imports:
            for prefix, service in SERVICES:
                if imported == prefix or imported.startswith(prefix + "/"):
                    rule = "go.dependency." + prefix.rsplit("/", 1)[-1].lower()
                    draft.add_dependency(service, rule, site, 0.9)


def _serve_command(closure: list[PackageFacts]) -> tuple[str, Site] | None:
    """A cobra/urfave ``serve`` subcommand: the service only listens when started with it."""
    return next((command for f in closure for command in f.serve_commands), None)
