"""One main package → its component fields, from its code and the repository packages it imports.

The facts of every package in the main package's import closure are weighed here:
listeners become ports (through :mod:`.resolve`), the kind follows from what the program
does (listens → service; runs a controller manager or consumes a queue → worker; parses
subcommands → cli), and routes, metrics handlers, env reads and driver imports fill the
rest, each with the site it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.go.catalog import FRAMEWORKS, HEALTH_NAMES, NET_HTTP_ROUTERS, SERVICES
from kubify.analyzers.go.configs import config_port, structured_config_port
from kubify.analyzers.go.modules import GoIndex
from kubify.analyzers.go.records import Listener, PackageFacts
from kubify.analyzers.go.resolve import Resolver
from kubify.ir import EnvVar, Health, Metrics, Port

#: The debug server (net/http/pprof) conventionally listens here: never the primary port.
DEBUG_PORTS = frozenset({6060})
#: Listener kinds in the order their ports are listed (the first is the component's main port).
_KIND_ORDER = {"http": 0, "grpc": 1, "metrics": 2, "probe": 3, "debug": 4}
_SERVING_KINDS = frozenset({"http", "grpc"})
_FALLBACK_PORT = {"grpc": 50051}
#: A port found this confidently makes the guesses next to it noise.
_RESOLVED = 0.6
#: Env vars that hold a whole listen address (":8080"), not just a port.
_ADDRESS_NAME = re.compile(r"ADDR|LISTEN|BIND", re.IGNORECASE)
_SELECTOR = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_WEB_FRAMEWORKS = frozenset(name for _prefix, name in FRAMEWORKS)
#: Subcommand names that start the long-running process of a cobra/urfave program.
_SERVE_WORDS = {"service": ("serve", "server", "start", "run", "api", "web", "http", "daemon", "grpc"),
                "worker": ("worker", "work", "consume", "consumer", "start", "run", "daemon")}


@dataclass(frozen=True)
class Program:
    """What the build and run of a main package need beyond the component fields."""

    run_site: Site
    cgo: Site | None = None
    run_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Finding:
    port: int
    kind: str
    framework: str
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
    findings = _ports(index, main, closure)
    framework = _framework(closure)
    kind = _kind(draft, closure, findings, framework, main_site)
    if kind == "service" and not findings:
        findings = [_fallback(closure, framework, main_site)]
    if framework is not None:
        name, at, confidence = framework
        draft.set("framework", name, f"go.framework.{name.replace('/', '-')}", at, confidence)
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
    serve = _subcommand(closure, kind)
    if serve is not None:
        return Program(run_site=serve[1], cgo=cgo, run_args=(serve[0],))
    return Program(run_site=main_site, cgo=cgo)


def _framework(closure: list[PackageFacts]) -> tuple[str, Site, float] | None:
    """The web framework the program imports, else grpc when it builds a server, else net/http."""
    listening = {listener.framework for f in closure for listener in f.listeners}
    for prefix, name in FRAMEWORKS:
        for facts in closure:
            at = facts.imported(prefix)
            if at is not None:
                listens = name in listening or (name in NET_HTTP_ROUTERS and "net/http" in listening)
                return name, at, 0.9 if listens else 0.7
    grpc = next((f.grpc_server for f in closure if f.grpc_server is not None), None)
    if grpc is not None:
        return "grpc", grpc, 0.9
    http = next((listener for f in closure for listener in f.listeners if listener.framework == "net/http"), None)
    return ("net/http", http.site, 0.9) if http is not None else None


# --- ports ------------------------------------------------------------------------------------

def _ports(index: GoIndex, main: str, closure: list[PackageFacts]) -> list[_Finding]:
    """One finding per distinct port, most useful first; guesses only when nothing was resolved."""
    grpc = any(f.grpc_server is not None for f in closure)
    findings: dict[int, _Finding] = {}
    for facts in closure:
        resolver = Resolver(facts, closure)
        for listener in facts.listeners:
            kind = ("grpc" if grpc else "http") if listener.kind == "tcp" else listener.kind
            finding = _finding(index, main, closure, resolver, listener=listener, kind=kind)
            known = findings.get(finding.port)
            if known is None or finding.confidence > known.confidence:
                findings[finding.port] = finding
    kept = list(findings.values())
    if any(f.confidence >= _RESOLVED and f.kind in _SERVING_KINDS for f in kept):
        kept = [f for f in kept if f.confidence >= _RESOLVED or f.kind not in _SERVING_KINDS]
    package = {listener.site: i for i, f in enumerate(closure) for listener in f.listeners}
    return sorted(kept, key=lambda f: (f.port in DEBUG_PORTS, _KIND_ORDER.get(f.kind, 9), -f.confidence,
                                       package.get(f.site, 0), f.site.file, f.site.line))


def _finding(index: GoIndex, main: str, closure: list[PackageFacts], resolver: Resolver, *, listener: Listener,
             kind: str) -> _Finding:
    rule = f"go.{listener.framework.replace('/', '-')}.listen"
    value = resolver.resolve(listener.address, listener.site) if listener.address else None
    if value is not None and value.port is not None:
        return _Finding(value.port, kind, listener.framework, 0.8 if value.flag else 0.9, rule, listener.site,
                        value.port_site, value.env)
    module_root = index.owner(main) or "."
    if listener.config is not None:
        configured = config_port(index.inventory, main, module_root, listener.config)
        if configured is not None:
            port, at = configured
            return _Finding(port, kind, listener.framework, 0.9, f"go.{listener.config}.config-port", listener.site,
                            at, None)
    selector = _config_selector(value.selector if value is not None and value.selector else listener.address)
    if selector and (found := structured_config_port(index.inventory, main, module_root, selector)) is not None:
        port, at = found
        env = value.env if value is not None else None
        return _Finding(port, kind, listener.framework, 0.7, "go.config-file.port", listener.site, at, env)
    if (listener.address is not None or listener.default_port is None) and (flag := _listen_flag(closure)):
        port, env, at = flag
        return _Finding(port, kind, listener.framework, 0.6, "go.flag.listen-default", listener.site, at, env)
    if listener.default_port is not None:
        env = listener.port_env if listener.address is None else None
        return _Finding(listener.default_port, kind, listener.framework, 0.5, f"{rule}-default-port", listener.site,
                        None, env)
    env = value.env if value is not None else None
    return _Finding(_FALLBACK_PORT.get(kind, 8080), kind, listener.framework, 0.5 if env else 0.3,
                    f"{rule}-unresolved", listener.site, None, env)


def _config_selector(address: str | None) -> list[str]:
    """``fmt.Sprintf(":%d", cfg.Server.Port)`` → ``["Server", "Port"]`` (the fields below the config value)."""
    selectors = [m.group(0) for m in _SELECTOR.finditer(address or "")
                 if not (address or "")[m.end():].lstrip().startswith("(")]
    return selectors[-1].split(".")[1:] if selectors else []


def _fallback(closure: list[PackageFacts], framework: tuple[str, Site, float] | None, main_site: Site) -> _Finding:
    """A service whose listener was not found: the conventional port (8080; gRPC 50051)."""
    grpc = next((f.grpc_server for f in closure if f.grpc_server is not None), None)
    kind, at = ("grpc", grpc) if grpc is not None else ("http", framework[1] if framework else main_site)
    return _Finding(_FALLBACK_PORT.get(kind, 8080), kind, framework[0] if framework else "go", 0.3,
                    "go.port.conventional-default", at, None, None)


def _listen_flag(closure: list[PackageFacts]) -> tuple[int, str | None, Site] | None:
    """The first ``--listen-address``-like flag (main package first) whose default is a port."""
    for facts in closure:
        resolver = Resolver(facts, closure)
        for flag in facts.listen_flags:
            value = resolver.resolve(flag.default, flag.site)
            if value.port is not None:
                return value.port, value.env, flag.site
    return None


def _set_ports(draft: Draft, findings: list[_Finding]) -> None:
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
            address = _ADDRESS_NAME.search(finding.env) is not None
            draft.add_env(EnvVar(name=finding.env, default=f":{finding.port}" if address else str(finding.port)),
                          "go.env.listen-address", finding.site, 0.9)
    draft.values["ports"] = tuple(ports)


# --- kind -------------------------------------------------------------------------------------

def _kind(draft: Draft, closure: list[PackageFacts], findings: list[_Finding],
          framework: tuple[str, Site, float] | None, main_site: Site) -> str:
    serving = next((f for f in findings if f.kind in _SERVING_KINDS), None)
    grpc = next((f.grpc_server for f in closure if f.grpc_server is not None), None)
    controller = next((f.controller for f in closure if f.controller is not None), None)
    consumer = next((at for f in closure for at in f.consumers), None)
    web = framework[1] if framework is not None and framework[0] in _WEB_FRAMEWORKS else None
    cli = next((at for f in closure for at in f.cli), None)
    daemon = next((f.daemon for f in closure if f.daemon is not None), None)
    choices: list[tuple[str, str, Site | None, float]] = [
        ("service", "go.kind.listener", serving.site if serving else None, 0.7),
        ("service", "go.kind.grpc-server", grpc, 0.6),
        ("worker", "go.kind.controller-manager", controller, 0.7),
        ("worker", "go.kind.consumer", consumer, 0.6),
        ("service", "go.kind.listener", findings[0].site if findings else None, 0.5),
        ("service", "go.kind.web-framework", web, 0.5),
        ("cli", "go.kind.command-line", cli, 0.5),
        ("worker", "go.kind.ticker-loop", daemon, 0.4),
    ]
    for kind, rule, at, confidence in choices:
        if at is not None:
            draft.set("kind", kind, rule, at, confidence)
            return kind
    draft.set("kind", "cli", "go.kind.no-listener", main_site, 0.3)
    return "cli"


def _subcommand(closure: list[PackageFacts], kind: str) -> tuple[str, Site] | None:
    """The cobra/urfave subcommand that starts a service or worker whose main package does not."""
    if kind not in _SERVE_WORDS or not closure or not any(f.cli for f in closure):
        return None
    main = closure[0]
    if (main.listeners or main.consumers) and not main.serve_commands:
        return None  # main() itself serves; the subcommands, if any, are elsewhere
    words = _SERVE_WORDS[kind]
    commands = [(word, at) for f in closure for word, at in f.serve_commands if word in words]
    return min(commands, key=lambda c: words.index(c[0])) if commands else None


# --- health, metrics, dependencies ----------------------------------------------------------

def _set_health(draft: Draft, closure: list[PackageFacts], findings: list[_Finding]) -> None:
    routes = [(path, at) for f in closure for path, at in f.routes if _health_rank(path) is not None]
    http = next((f for f in findings if f.kind == "http"), None)
    probe = next((f for f in findings if f.kind == "probe"), None)
    grpc = next((f for f in findings if f.kind == "grpc"), None)
    if routes and http is not None:
        path, at = min(routes, key=lambda r: (_health_rank(r[0]), r[1].file, r[1].line))
        draft.set("health", Health(type="http", path=path, port=http.port), "go.health.route", at, 0.8, shown=path)
        return
    if probe is not None:
        draft.set("health", Health(type="http", path="/healthz", port=probe.port), "go.health.controller-runtime",
                  probe.site, 0.8, shown="/healthz")
        return
    health = next((f.grpc_health for f in closure if f.grpc_health is not None), None)
    if health is not None and grpc is not None:
        draft.set("health", Health(type="grpc", port=grpc.port), "go.health.grpc-health-v1", health, 0.8,
                  shown=f"grpc:{grpc.port}")


def _health_rank(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return HEALTH_NAMES.index(last) if last in HEALTH_NAMES else None


def _set_metrics(draft: Draft, closure: list[PackageFacts], findings: list[_Finding]) -> None:
    handler = next((m for f in closure for m in f.metrics), None)
    listener = next((f for f in findings if f.kind == "metrics"), None)
    http = next((f for f in findings if f.kind == "http"), None)
    port = listener.port if listener is not None else http.port if http is not None else None
    if handler is not None:
        path, at = handler
        draft.set("metrics", Metrics(path=path, port=port), "go.metrics.promhttp", at, 0.8, shown=path)
    elif listener is not None:
        draft.set("metrics", Metrics(path="/metrics", port=port), "go.metrics.listener", listener.site, 0.7,
                  shown="/metrics")


def _set_dependencies(draft: Draft, closure: list[PackageFacts]) -> None:
    for facts in closure:
        for imported, at in facts.imports:
            for prefix, service in SERVICES:
                if imported == prefix or imported.startswith(prefix + "/"):
                    draft.add_dependency(service, "go.dependency." + prefix.rsplit("/", 1)[-1].lower(), at, 0.9)
