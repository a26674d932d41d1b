"""Calls that open server sockets, and flags that name listen addresses.

A listener is recorded with its address *expression* (``":" + port``, ``*addr``,
``cfg.HTTP.Addr``) for :mod:`.resolve` to follow later. Framework methods (``r.Run``,
``e.Start``, ``app.Listen``) only count in files that import the framework, so a
``cmd.Run()`` is never mistaken for gin. A listener whose handler is ``promhttp`` is a
metrics endpoint, not the service's port; controller-runtime's probe and metrics bind
addresses are recorded as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.go.catalog import CONTROLLER_RUNTIME
from kubify.analyzers.go.records import Listener, ListenFlag, PackageFacts, site
from kubify.analyzers.go.source import GoFile, braced_body, call_args, expression_at, unquote

#: Package-level calls that listen: (pattern, framework, index of the address argument, kind, argument count).
_FUNCTIONS: tuple[tuple[re.Pattern[str], str, int, str, int], ...] = (
    (re.compile(r"\bhttp\.ListenAndServe(?:TLS)?\s*\("), "net/http", 0, "http", 1),
    (re.compile(r"\bfasthttp\.ListenAndServe(?:TLS)?\s*\("), "fasthttp", 0, "http", 1),
    (re.compile(r"\bnet\.Listen\s*\("), "net", 1, "tcp", 2),
    # Graceful-restart wrappers with net/http's (address, handler) signature: endless, manners, gracehttp.
    (re.compile(r"\b(?!http\.|fasthttp\.)[a-z]\w*\.ListenAndServe\s*\("), "net/http", 0, "http", 2),
)


@dataclass(frozen=True)
class _Method:
    """A framework method that listens, counted only in files importing ``prefix``."""

    prefix: str
    pattern: re.Pattern[str]
    framework: str
    #: The port it listens on when called without an address.
    default: int | None = None
    #: The config file the framework reads its port from, if any.
    config: str | None = None
    #: False when the argument is a config struct rather than an address.
    takes_address: bool = True
    #: The env var the framework reads its port from when called without an address.
    port_env: str | None = None
    kind: str = "http"


_METHODS: tuple[_Method, ...] = (
    _Method("github.com/gin-gonic/gin", re.compile(r"(\w+)\.Run(?:TLS)?\s*\("), "gin", 8080, port_env="PORT"),
    _Method("github.com/urfave/negroni", re.compile(r"(\w+)\.Run\s*\("), "negroni", 8080, port_env="PORT"),
    _Method("github.com/go-martini/martini", re.compile(r"(\w+)\.Run\s*\("), "martini", 3000, port_env="PORT"),
    _Method("github.com/gobuffalo/buffalo", re.compile(r"(\w+)\.Serve\s*\("), "buffalo", 3000, port_env="PORT",
            takes_address=False),
    _Method("github.com/go-kratos/kratos/v2/transport/http", re.compile(r"\b(http)\.Address\s*\("), "kratos"),
    _Method("github.com/go-kratos/kratos/v2/transport/grpc", re.compile(r"\b(grpc)\.Address\s*\("), "kratos",
            kind="grpc"),
    _Method("github.com/labstack/echo", re.compile(r"(\w+)\.Start(?:TLS|AutoTLS)?\s*\("), "echo"),
    _Method("github.com/gofiber/fiber", re.compile(r"(\w+)\.Listen(?:TLS)?\s*\("), "fiber"),
    _Method("github.com/kataras/iris", re.compile(r"(\w+)\.Listen\s*\(|\biris\.(Addr)\s*\("), "iris"),
    _Method("github.com/beego/beego", re.compile(r"\b(web|beego)\.Run\s*\("), "beego", 8080, "beego"),
    _Method("github.com/astaxie/beego", re.compile(r"\b(beego)\.Run\s*\("), "beego", 8080, "beego"),
    _Method("github.com/cloudwego/hertz", re.compile(r"\.(WithHostPorts)\s*\("), "hertz"),
    _Method("github.com/cloudwego/hertz", re.compile(r"\bserver\.(Default|New)\s*\("), "hertz", 8888,
            takes_address=False),
    _Method("github.com/valyala/fasthttp", re.compile(r"(\w+)\.ListenAndServe\s*\("), "fasthttp"),
    _Method("github.com/prometheus/exporter-toolkit/web", re.compile(r"\b(web)\.ListenAndServe\s*\("), "net/http",
            takes_address=False),
    _Method("github.com/zeromicro/go-zero/rest", re.compile(r"\brest\.(MustNewServer|NewServer)\s*\("), "go-zero",
            8888, "go-zero", takes_address=False),
    _Method("github.com/zeromicro/go-zero/zrpc", re.compile(r"\bzrpc\.(MustNewServer|NewServer)\s*\("),
            "go-zero", 8080, "go-zero-rpc", takes_address=False, kind="grpc"),
)
#: Receivers that are never servers (``cmd.Run()``, ``g.Run()``, ``net.Listen`` handled above).
_NOT_A_SERVER = frozenset({"net", "tls", "cmd", "exec", "os", "signal", "g", "eg", "wg", "group", "errgroup", "t",
                           "c", "ctx", "app_test", "suite", "m"})
_HTTP_SERVER = re.compile(r"\bhttp\.Server\s*\{")
_BIND_ADDRESS = re.compile(r"\b(HealthProbeBindAddress|MetricsBindAddress)\s*:\s*")
_METRICS_SERVER = re.compile(r"\bmetricsserver\.Options\s*\{")
_CONTROLLER_MANAGER = re.compile(r"\b(?:ctrl\.NewManager|manager\.New)\s*\(")
_DEBUG_ADDRESS = re.compile(r"pprof|debug", re.IGNORECASE)
_METRICS_HANDLER = re.compile(r"promhttp\.|\"/metrics\"")

# Flags that name a listen address: std flag/pflag, kingpin/kong chains, exporter-toolkit, urfave/cli.
_FLAG_CALL = re.compile(r"\.(String|Int|Uint)(Var)?(P)?\s*\(")
_KINGPIN_FLAG = re.compile(r"\bFlag\s*\(\s*\"([\w.-]+)\"[^\n]*?\.Default\s*\(\s*\"([^\"]+)\"")
_WEBFLAG = re.compile(r"\b\w*flag\.AddFlags\s*\(\s*[\w.]+\s*,\s*\"([^\"]+)\"")
_URFAVE_FLAG = re.compile(r"\bcli\.(?:String|Int|Uint)Flag\s*\{")
_FLAG_LIBRARIES = ("flag", "github.com/spf13/pflag", "github.com/spf13/cobra", "github.com/alecthomas/kingpin",
                   "gopkg.in/alecthomas/kingpin.v2", "github.com/urfave/cli", "github.com/alecthomas/kong",
                   "github.com/prometheus/exporter-toolkit", "github.com/peterbourgon/ff")
_LISTEN_NAME = re.compile(r"(?:^|[._-])(?:listen|addr|address|port|bind|http)(?:$|[._-])", re.IGNORECASE)


def scan_listeners(go: GoFile, facts: PackageFacts) -> None:
    if "Listen" in go.code:
        _functions(go, facts)
    _methods(go, facts)
    if "http.Server" in go.code:
        _server_literals(go, facts)
    if go.imports_path(CONTROLLER_RUNTIME) is not None:
        _controller_runtime(go, facts)
    if any(go.imports_path(p) for p in _FLAG_LIBRARIES):
        _listen_flags(go, facts)


def _kind(arguments: list[str], default: str) -> str:
    """``metrics`` when the handler is Prometheus's, ``debug`` for a pprof/debug address, else ``default``."""
    if default != "http":
        return default
    if _METRICS_HANDLER.search(" ".join(arguments[1:])):
        return "metrics"
    return "debug" if arguments and _DEBUG_ADDRESS.search(arguments[0]) else default


def _functions(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for pattern, framework, index, kind, count in _FUNCTIONS:
        for match in pattern.finditer(code):
            args = call_args(code, match.end() - 1)
            if args is None or len(args) < count:
                continue
            if kind == "tcp" and unquote(args[0]) in ("unix", "unixpacket", "unixgram"):
                continue
            facts.listeners.append(Listener(_kind(args, kind), framework, args[index], None, site(go, match.start())))


def _methods(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for method in _METHODS:
        if go.imports_path(method.prefix) is None:
            continue
        for match in method.pattern.finditer(code):
            receiver = next((g for g in match.groups() if g), None)
            args = call_args(code, match.end() - 1)
            if receiver in _NOT_A_SERVER or args is None or (not args and method.takes_address
                                                              and method.default is None):
                continue
            address = args[0] if args and method.takes_address else None
            facts.listeners.append(Listener(method.kind, method.framework, address, method.default,
                                            site(go, match.start()), method.config, method.port_env))


def _server_literals(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for match in _HTTP_SERVER.finditer(code):
        elements = call_args("(" + (braced_body(code, match.end() - 1) or "") + ")", 0) or []
        fields = {key.strip(): value.strip() for key, _, value in (e.partition(":") for e in elements)}
        if fields.get("Addr"):
            kind = "metrics" if _METRICS_HANDLER.search(fields.get("Handler", "")) else "http"
            facts.listeners.append(Listener(kind, "net/http", fields["Addr"], None, site(go, match.start())))


def _controller_runtime(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    manager = _CONTROLLER_MANAGER.search(code)
    if manager is not None and facts.controller is None:
        facts.controller = site(go, manager.start())
    for match in _BIND_ADDRESS.finditer(code):
        kind = "probe" if match.group(1).startswith("Health") else "metrics"
        address = expression_at(code, match.end())
        if address and address != '"0"':
            facts.listeners.append(Listener(kind, "controller-runtime", address, None, site(go, match.start())))
    for match in _METRICS_SERVER.finditer(code):
        elements = call_args("(" + (braced_body(code, match.end() - 1) or "") + ")", 0) or []
        for key, _, value in (e.partition(":") for e in elements):
            if key.strip() == "BindAddress" and value.strip() and value.strip() != '"0"':
                facts.listeners.append(Listener("metrics", "controller-runtime", value.strip(), None,
                                                site(go, match.start())))


def _listen_flags(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for match in _FLAG_CALL.finditer(code):
        args = call_args(code, match.end() - 1) or []
        name_at = 1 if match.group(2) else 0
        default_at = name_at + (2 if match.group(3) else 1)
        name = unquote(args[name_at]) if len(args) > default_at else None
        if name and _LISTEN_NAME.search(name):
            facts.listen_flags.append(ListenFlag(name, args[default_at], site(go, match.start())))
    for match in _KINGPIN_FLAG.finditer(code):
        if _LISTEN_NAME.search(match.group(1)):
            facts.listen_flags.append(ListenFlag(match.group(1), f'"{match.group(2)}"', site(go, match.start())))
    for match in _WEBFLAG.finditer(code):
        facts.listen_flags.append(ListenFlag("web.listen-address", f'"{match.group(1)}"', site(go, match.start())))
    for match in _URFAVE_FLAG.finditer(code):
        elements = call_args("(" + (braced_body(code, match.end() - 1) or "") + ")", 0) or []
        fields = {key.strip(): value.strip() for key, _, value in (e.partition(":") for e in elements)}
        name = unquote(fields.get("Name", ""))
        if name and _LISTEN_NAME.search(name) and fields.get("Value"):
            facts.listen_flags.append(ListenFlag(name, fields["Value"], site(go, match.start())))
