"""What one Python file says about how it runs, read with :mod:`ast` (never executed).

For each file :func:`read_module` records the web/worker app objects it builds
(``app = FastAPI()``, ``def create_app(): return Flask(__name__)``, ``Celery("proj")``),
its routes (decorators, ``path()``, ``Route()``, ``add_url_rule``), the servers it starts
and on which port (``uvicorn.run(app, port=int(os.getenv("PORT", 8000)))``), the
environment variables it reads, its pydantic settings classes, its ``__main__`` block,
URL-like strings that name backing services, and module-level settings (Django's
``WSGI_APPLICATION``). Cross-file questions are answered by :mod:`.codeindex`.
"""

from __future__ import annotations

import ast
import re
from functools import cached_property

from kubify.analyzers.draft import Site
from kubify.analyzers.python.facts import AppObject, EnvRead, Include, ModuleFacts, Route, RunCall, Value
from kubify.analyzers.python.pyast import (
    EnvCall,
    argument,
    dotted,
    env_call,
    env_reader_names,
    env_scheme_defaults,
    environ_subscript,
    imports,
    literal_text,
    qualname,
    string,
    walk,
)
from kubify.analyzers.python.settings import settings_classes

#: (top-level package, class or function) → framework of the app object it constructs.
APP_CONSTRUCTORS: dict[tuple[str, str], str] = {
    ("fastapi", "FastAPI"): "fastapi", ("flask", "Flask"): "flask", ("quart", "Quart"): "quart",
    ("starlette", "Starlette"): "starlette", ("sanic", "Sanic"): "sanic", ("litestar", "Litestar"): "litestar",
    ("starlite", "Starlite"): "litestar", ("aiohttp", "Application"): "aiohttp", ("tornado", "Application"): "tornado",
    ("dash", "Dash"): "dash", ("falcon", "App"): "falcon", ("falcon", "API"): "falcon", ("bottle", "Bottle"): "bottle",
    ("connexion", "App"): "connexion", ("connexion", "FlaskApp"): "connexion", ("connexion", "AsyncApp"): "connexion",
    ("fasthtml", "FastHTML"): "fasthtml", ("fasthtml", "fast_app"): "fasthtml", ("celery", "Celery"): "celery",
    ("gradio", "Blocks"): "gradio", ("gradio", "Interface"): "gradio", ("gradio", "ChatInterface"): "gradio",
    ("gradio", "TabbedInterface"): "gradio", ("django", "get_wsgi_application"): "django",
    ("django", "get_asgi_application"): "django", ("channels", "ProtocolTypeRouter"): "django",
    ("robyn", "Robyn"): "robyn", ("responder", "API"): "responder", ("emmett", "App"): "emmett",
    ("nicegui", "ui"): "nicegui", ("pyramid", "Configurator"): "pyramid",
}
#: Decorator/method names that register an HTTP route, with the methods they imply.
ROUTE_METHODS: dict[str, tuple[str, ...]] = {
    "get": ("GET",), "route": ("GET",), "api_route": ("GET",), "head": ("HEAD",), "post": ("POST",),
    "put": ("PUT",), "patch": ("PATCH",), "delete": ("DELETE",), "add_url_rule": ("GET",),
    "add_api_route": ("GET",), "add_get": ("GET",), "add_route": ("GET",), "websocket": ("WS",),
}
#: Calls that keep a process alive without serving HTTP (bots, consumers, schedulers).
LONG_RUNNING_CALLS: frozenset[str] = frozenset({
    "run_polling", "start_polling", "infinity_polling", "polling", "run_forever", "serve_forever",
    "start_consuming", "run_until_disconnected", "idle", "consume", "run_webhook", "start_worker", "work",
})
_URL_SCHEMES = re.compile(r"^(postgres(?:ql)?(?:\+\w+)?|mysql(?:\+\w+)?|mariadb(?:\+\w+)?|redis|rediss|"
                          r"mongodb(?:\+srv)?|amqps?|kafka|nats|memcached?|elasticsearch|s3)://[^\s/]", re.IGNORECASE)
_ENGINE_STRINGS = re.compile(r"^(django\.db\.backends\.\w+|django\.contrib\.gis\.db\.backends\.\w+|"
                             r"django_redis\.cache\.RedisCache|django\.core\.cache\.backends\.\w+\.\w+|"
                             r"django_prometheus\.db\.backends\.\w+|channels_redis\.core\.RedisChannelLayer|"
                             r"storages\.backends\.s3\w*\.\w+)$")
_MAX_STRINGS = 200
#: Node types :meth:`_Reader._node` looks at (most nodes are names and operators it skips).
_VISITED: frozenset[type[ast.AST]] = frozenset({
    ast.Call, ast.Subscript, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.While, ast.With, ast.AsyncWith,
    ast.Constant, ast.Tuple, ast.Assign,
})
#: Names whose assignment gives Celery a periodic schedule (so a ``beat`` process is needed).
_SCHEDULE_NAMES = frozenset({"beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"})
#: Names an app object imported from another module usually has (``from app import app; app.run()``).
_APP_VARIABLES = frozenset({"app", "application", "server", "api"})


def read_module(tree: ast.Module, file: str) -> ModuleFacts:
    """The facts of one parsed file."""
    reader = _Reader(tree, file)
    reader.run()
    return reader.facts


class _Reader:
    def __init__(self, tree: ast.Module, file: str) -> None:
        self.tree = tree
        self.file = file
        self.nodes = walk(tree)
        self.aliases = imports(self.nodes)
        self.readers = env_reader_names(self.nodes, self.aliases)
        self.facts = ModuleFacts(file)
        self.names: dict[str, ast.expr] = {}
        self.main_span: tuple[int, int] | None = None

    def site(self, node: ast.AST) -> Site:
        return Site(self.file, getattr(node, "lineno", 1) or 1)

    def run(self) -> None:
        self._imports()
        self._module_level()
        self.facts.settings = settings_classes(self.nodes, self.file, self.aliases)
        for node in self.nodes:
            if type(node) in _VISITED:
                self._node(node)
        self._resolve_values()

    # --- module structure ---------------------------------------------------------------

    def _imports(self) -> None:
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.facts.imports.setdefault(alias.name.split(".")[0], self.site(node))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.facts.imports.setdefault(node.module.split(".")[0], self.site(node))

    def _module_level(self) -> None:
        for node in _top_level(self.tree.body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._assignment(target, node.value, node)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                self._assignment(node.target, node.value, node)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self._list_items(node.target.id, node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._factory(node)
            elif isinstance(node, ast.ClassDef):
                self._class_values(node)
        for node in self.tree.body:
            if isinstance(node, ast.If) and _is_main_guard(node.test):
                self.facts.main_guard = self.site(node)
                self.main_span = (node.lineno, node.end_lineno or node.lineno)

    def _assignment(self, target: ast.expr, value: ast.expr, node: ast.stmt) -> None:
        if isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name):
            framework = self._constructs(value)
            if framework is not None:
                self.facts.apps.append(AppObject(target.elts[0].id, framework, self.site(node)))
            return
        if not isinstance(target, ast.Name):
            return
        name = target.id
        self.names.setdefault(name, value)
        self.facts.defined.setdefault(name, self.site(node))
        if (text := string(value)) is not None:
            self.facts.assigns.setdefault(name, (text, self.site(node)))
        self._list_items(name, value)
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            self.facts.attributes[name] = f"{value.value.id}.{value.attr}"
        framework = self._constructs(value)
        if framework is not None:
            self.facts.apps.append(AppObject(name, framework, self.site(node)))
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and not value.func.id[:1].isupper():
            self._app_from_call(name, value, node)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "bind":
            self.facts.bindings.append((name, self.site(node)))

    def _app_from_call(self, name: str, value: ast.Call, node: ast.stmt) -> None:
        """``app = create_app()``: an app built by a factory defined elsewhere."""
        assert isinstance(value.func, ast.Name)
        callee = value.func.id
        if re.search(r"(create|make|build|get|init|setup)_?(app|application|api|server)|^(app|application)_?factory",
                     callee, re.IGNORECASE):
            self.facts.apps.append(AppObject(name, None, self.site(node), via=callee))

    def _list_items(self, name: str, value: ast.expr) -> None:
        if isinstance(value, (ast.List, ast.Tuple)):
            items = [(v, self.site(e)) for e in value.elts if (v := string(e)) is not None]
            if items:
                self.facts.lists.setdefault(name, []).extend(items)

    def _factory(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A function that builds and returns an app is an app factory (``create_app()``)."""
        if node.name.startswith("_"):
            return
        end = node.end_lineno or node.lineno
        for line, framework in self._constructions:
            if node.lineno <= line <= end and framework not in ("celery", "django"):
                self.facts.apps.append(AppObject(node.name, framework, self.site(node), factory=True))
                return

    @cached_property
    def _constructions(self) -> list[tuple[int, str]]:
        """(line, framework) of every ``return``/assignment whose value constructs an app object."""
        found = []
        for inner in self.nodes:
            if isinstance(inner, (ast.Return, ast.Assign)) and isinstance(inner.value, ast.Call):
                framework = self._constructs(inner.value)
                if framework is not None:
                    found.append((inner.lineno, framework))
        return found

    def _class_values(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name):
                self.names.setdefault(f"{node.name}.{statement.targets[0].id}", statement.value)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and statement.value is not None:
                self.names.setdefault(f"{node.name}.{statement.target.id}", statement.value)

    def _constructs(self, value: ast.expr | None) -> str | None:
        """The framework whose app object ``value`` constructs, if any."""
        if not isinstance(value, ast.Call):
            return None
        name = qualname(value.func, self.aliases)
        if name is None:
            return None
        parts = name.split(".")
        framework = APP_CONSTRUCTORS.get((parts[0], parts[-1]))
        if framework is None and len(parts) == 1:
            framework = next((f for (package, cls), f in APP_CONSTRUCTORS.items()
                              if cls == parts[0] and package in self.facts.imports), None)
        return framework

    # --- every node -------------------------------------------------------------------------

    def _node(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.Subscript):
            read = environ_subscript(node, self.aliases)
            if read is not None:
                self._env(read)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._decorators(node)
        elif isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            self.facts.long_running = self.facts.long_running or self.site(node)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self._with_app(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            self._string(node)
        elif isinstance(node, ast.Tuple) and "tornado" in self.facts.imports:
            self._tornado_route(node)
        elif isinstance(node, ast.Assign) and any(
                (t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else "") in _SCHEDULE_NAMES
                for t in node.targets):
            self.facts.schedule = self.facts.schedule or self.site(node)

    def _call(self, call: ast.Call) -> None:
        read = env_call(call, self.aliases, self.readers)
        if read is not None:
            self._env(read)
        name = qualname(call.func, self.aliases) or ""
        if name in ("environ.Env", "environ.FileAwareEnv"):
            for scheme in env_scheme_defaults(call):
                self._env(scheme)
        attr = call.func.attr if isinstance(call.func, ast.Attribute) else name.rsplit(".", 1)[-1]
        if attr in LONG_RUNNING_CALLS:
            self.facts.long_running = self.facts.long_running or self.site(call)
        if attr == "add_periodic_task":
            self.facts.schedule = self.facts.schedule or self.site(call)
        self._run_call(call, name, attr)
        self._option_default(call, attr)
        self._route_call(call, name, attr)
        self._prefix_call(call, name, attr)
        self._metrics_call(call, name, attr)

    def _env(self, read: EnvCall) -> None:
        self.facts.env.append(EnvRead(read.name, read.default, read.required, False, Site(self.file, read.line)))

    def _in_main(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        return self.main_span is not None and self.main_span[0] <= line <= self.main_span[1]

    # --- servers ----------------------------------------------------------------------------

    def _run_call(self, call: ast.Call, name: str, attr: str) -> None:
        found = self._server(call, name, attr)
        if found is None:
            return
        kind, target, port, host = found
        self.facts.runs.append(RunCall(kind, target, self._value(port), self._value(host), self.site(call),
                                       self._in_main(call)))

    def _server(self, call: ast.Call, name: str,
                attr: str) -> tuple[str, str | None, ast.expr | None, ast.expr | None] | None:
        first = call.args[0] if call.args else None
        target = string(first) if string(first) is not None else dotted(first) if first is not None else None
        if name in ("uvicorn.run", "uvicorn.Config", "uvicorn.main.run"):
            return "uvicorn", target, argument(call, None, "port"), argument(call, None, "host")
        if name in ("hypercorn.asyncio.serve", "granian.Granian"):
            server = name.split(".", maxsplit=1)[0]
            return server, target, argument(call, None, "port"), argument(call, None, "address", "host")
        if name in ("aiohttp.web.run_app", "aiohttp.web.TCPSite"):
            position = 2 if name.endswith("TCPSite") else None
            return "aiohttp", target, argument(call, position, "port"), argument(call, 1 if position else None, "host")
        if name in ("waitress.serve",):
            return "waitress", target, argument(call, None, "port", "listen"), argument(call, None, "host", "listen")
        if name == "bottle.run":
            return "bottle.run", target, argument(call, None, "port"), argument(call, None, "host")
        if name in ("werkzeug.serving.run_simple", "wsgiref.simple_server.make_server"):
            return "wsgiref", dotted(call.args[2]) if len(call.args) > 2 else None, argument(call, 1, "port"), \
                argument(call, 0, "hostname", "host")
        if name.endswith(("HTTPServer", "TCPServer", "ThreadingHTTPServer")) and isinstance(first, ast.Tuple) \
                and len(first.elts) == 2:
            return "http.server", None, first.elts[1], first.elts[0]
        if name == "asyncio.start_server":
            return "tcp", None, argument(call, 2, "port"), argument(call, 1, "host")
        return self._app_method_server(call, attr, target)

    def _app_method_server(self, call: ast.Call,
                           attr: str, target: str | None) -> tuple[str, str | None, ast.expr | None,
                                                                   ast.expr | None] | None:
        if not isinstance(call.func, ast.Attribute):
            return None
        owner = dotted(call.func.value)
        apps = {a.var: a.framework for a in self.facts.apps}
        if attr == "run" and owner in apps and apps[owner] not in ("celery", None):
            return f"{apps[owner]}.run", owner, argument(call, 1, "port"), argument(call, 0, "host")
        if attr == "run" and target in apps and owner is not None:
            return "socketio.run", target, argument(call, 2, "port"), argument(call, 1, "host")
        if attr == "run" and owner in _APP_VARIABLES and owner in self.aliases \
                and (argument(call, None, "port") is not None or argument(call, None, "host") is not None):
            return "app.run", owner, argument(call, None, "port"), argument(call, None, "host")
        if attr == "run_server" or (attr == "run" and "dash" in self.facts.imports and owner in apps):
            return "dash.run", owner, argument(call, None, "port"), argument(call, None, "host")
        if attr == "launch" and "gradio" in self.facts.imports:
            return "gradio.launch", owner, argument(call, None, "server_port"), argument(call, None, "server_name")
        if attr == "listen" and "tornado" in self.facts.imports and call.args:
            return "tornado.listen", owner, call.args[0], argument(call, 1, "address")
        if attr == "start" and "robyn" in self.facts.imports and owner in apps:
            return "robyn.start", owner, argument(call, None, "port"), argument(call, None, "host")
        return None

    def _value(self, node: ast.expr | None, depth: int = 0) -> Value | None:
        """What a port or host expression evaluates to, as far as the file tells."""
        if node is None or depth > 4:
            return None
        site = self.site(node)
        text = literal_text(node, typed=True)
        if text is not None:
            return Value(site, literal=text)
        if isinstance(node, ast.Call):
            read = env_call(node, self.aliases, self.readers)
            if read is not None:
                return Value(Site(self.file, read.line), literal=read.default, env=read.name)
            if isinstance(node.func, ast.Name) and node.func.id in ("int", "str", "float") and node.args:
                return self._value(node.args[0], depth + 1)
            return None
        if isinstance(node, ast.Subscript):
            read = environ_subscript(node, self.aliases)
            return Value(site, env=read.name) if read is not None else None
        if isinstance(node, ast.JoinedStr):
            # f"0.0.0.0:{port}": the interpolated part is what varies (a gunicorn ``bind``).
            parts = [self._value(v.value, depth + 1) for v in node.values if isinstance(v, ast.FormattedValue)]
            return next((p for p in parts if p is not None and (p.env or p.literal)), None)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
            left, right = self._value(node.values[0], depth + 1), self._value(node.values[1], depth + 1)
            if left is not None and left.env and right is not None:
                return Value(left.site, literal=right.literal, env=left.env)
            return left or right
        reference = dotted(node)
        if reference is not None and reference in self.names:
            return self._value(self.names[reference], depth + 1) or Value(site, ref=reference)
        return Value(site, ref=reference) if reference is not None else None

    def _resolve_values(self) -> None:
        """Module- and class-level constants (``PORT = int(os.getenv("PORT", 8000))``) for cross-file lookups."""
        for name, node in self.names.items():
            leaf = name.rsplit(".", 1)[-1].lower()
            if leaf in ("port", "server_port", "app_port", "http_port", "bind", "host", "listen_port"):
                value = self._value(node)
                if value is not None and (value.literal is not None or value.env is not None):
                    self.facts.values.setdefault(leaf, value)

    def _option_default(self, call: ast.Call, attr: str) -> None:
        """``parser.add_argument("--port", default=8000)`` / ``@click.option("--port", default=8000)``."""
        if attr not in ("add_argument", "option") or not call.args:
            return
        flags = [text for a in call.args if (text := string(a)) is not None]
        default = argument(call, None, "default")
        for flag in flags:
            leaf = flag.lstrip("-").replace("-", "_").lower()
            if flag.startswith("--") and leaf in ("port", "host", "bind") and default is not None:
                value = self._value(default)
                if value is not None:
                    self.facts.values.setdefault(leaf, value)

    # --- routes -----------------------------------------------------------------------------

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            name = qualname(decorator.func if isinstance(decorator, ast.Call) else decorator, self.aliases) or ""
            self.facts.decorators.setdefault(name, self.site(decorator))
            if not isinstance(decorator, ast.Call):
                continue
            func = decorator.func
            attr = func.attr if isinstance(func, ast.Attribute) else name.rsplit(".", 1)[-1]
            if attr not in ROUTE_METHODS or attr in ("add_url_rule", "add_api_route", "add_get", "add_route"):
                continue
            path = string(argument(decorator, 0, "path", "rule", "uri"))
            if path is None:
                continue
            owner = dotted(func.value) if isinstance(func, ast.Attribute) else None
            self.facts.routes.append(Route(path, owner, _methods(decorator, attr), self.site(decorator)))

    def _route_call(self, call: ast.Call, name: str, attr: str) -> None:
        path: str | None = None
        owner = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        if name.endswith("routing.Route") or name == "aiohttp.web.get":
            path, owner = string(argument(call, 0, "path")), None
        elif name.split(".", maxsplit=1)[0] == "django" and attr in ("path", "re_path", "url"):
            path, owner = _django_path(string(argument(call, 0, "route", "regex")), regex=attr != "path"), None
        elif attr in ("add_url_rule", "add_api_route", "add_get") and owner is not None:
            path = string(argument(call, 0, "rule", "path"))
        elif attr == "add_route" and owner is not None and call.args:
            method = string(call.args[0])
            path = string(argument(call, 1, "path")) if method in ("GET", "*") else string(argument(call, 0, "path"))
        if path is not None and path.startswith("/"):
            owner = owner.removesuffix(".router") if owner else owner  # aiohttp: app.router.add_get(...)
            self.facts.routes.append(Route(path, owner, _methods(call, attr), self.site(call)))

    def _tornado_route(self, node: ast.Tuple) -> None:
        if len(node.elts) >= 2 and (path := string(node.elts[0])) is not None and path.startswith(("/", "^/", "r\"/")):
            self.facts.routes.append(Route(_django_path(path, regex=True) or path, None, ("GET",), self.site(node)))

    def _prefix_call(self, call: ast.Call, name: str, attr: str) -> None:
        """Router prefixes and includes: how a route's path is prefixed before it is served."""
        container = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        if attr in ("include_router", "register_blueprint", "include_routes") and call.args:
            target = qualname(call.args[0], self.aliases)
            declared = argument(call, None, "prefix", "url_prefix")
            if target is not None:
                self.facts.includes.append(Include(container, target, self._prefix(declared), self.site(call)))
        elif attr == "mount" and len(call.args) > 1 and string(call.args[0]) is not None:
            target = qualname(call.args[1], self.aliases)
            if target is not None:
                self.facts.includes.append(Include(container, target, self._prefix(call.args[0]), self.site(call)))
        elif name.split(".", maxsplit=1)[0] in ("fastapi", "flask", "quart", "sanic", "litestar") \
                and attr in ("APIRouter", "Blueprint", "Router"):
            variable = _assigned_name(self.tree, call)
            if variable is not None:
                self.facts.prefixes[variable] = self._prefix(argument(call, None, "prefix", "url_prefix", "path"))
        if name.split(".", maxsplit=1)[0] == "django" and attr in ("path", "re_path", "url") and len(call.args) > 1:
            inner = call.args[1]
            if isinstance(inner, ast.Call) and (qualname(inner.func, self.aliases) or "").endswith("include"):
                module = string(inner.args[0]) if inner.args else None
                prefix = _django_path(string(call.args[0]), regex=attr != "path")
                if module is not None:
                    value = Value(self.site(call), literal=prefix)
                    self.facts.includes.append(Include(None, module, value, self.site(call)))

    def _prefix(self, node: ast.expr | None) -> Value:
        """A prefix argument: absent is the empty prefix; an unresolvable one has no literal."""
        if node is None:
            return Value(Site(self.file, 1), literal="")
        return self._value(node) or Value(self.site(node))

    def _with_app(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            framework = self._constructs(item.context_expr)
            if framework is not None and isinstance(item.optional_vars, ast.Name):
                self.facts.apps.append(AppObject(item.optional_vars.id, framework, self.site(node)))

    # --- strings and metrics ------------------------------------------------------------

    def _string(self, node: ast.Constant) -> None:
        if len(self.facts.strings) >= _MAX_STRINGS or not isinstance(node.value, str) or len(node.value) > 500:
            return
        if _URL_SCHEMES.match(node.value) or _ENGINE_STRINGS.match(node.value):
            self.facts.strings.append((node.value, self.site(node)))

    def _metrics_call(self, call: ast.Call, name: str, attr: str) -> None:
        package = name.split(".", maxsplit=1)[0]
        if name.endswith("start_http_server") and "prometheus_client" in self.facts.imports:
            self.facts.metrics.append(("prometheus_client.server", self._value(argument(call, 0, "port")),
                                       self.site(call)))
        elif attr == "expose" and "prometheus_fastapi_instrumentator" in self.facts.imports:
            path = string(argument(call, None, "endpoint")) or "/metrics"
            self.facts.metrics.append((path, None, self.site(call)))
        elif (attr in ("make_asgi_app", "make_wsgi_app") and "prometheus_client" in self.facts.imports) \
                or package in ("prometheus_flask_exporter", "starlette_exporter", "starlette_prometheus") \
                or attr in ("PrometheusMetrics", "GunicornPrometheusMetrics"):
            self.facts.metrics.append(("/metrics", None, self.site(call)))


def _methods(call: ast.Call, attr: str) -> tuple[str, ...]:
    declared = argument(call, None, "methods")
    if isinstance(declared, (ast.List, ast.Tuple, ast.Set)):
        return tuple(sorted({m.upper() for e in declared.elts if (m := string(e)) is not None}))
    return ROUTE_METHODS.get(attr, ("GET",))


def _django_path(route: str | None, *, regex: bool) -> str | None:
    """A URL path from a Django ``path()`` route or ``re_path()`` regex (``^healthz/?$`` → ``/healthz``)."""
    if route is None:
        return None
    text = route
    if regex:
        text = text.lstrip("^").rstrip("$")
        text = re.sub(r"/\?$", "/", text).replace("\\", "")
        if re.search(r"[()\[\]*+?|]", text):
            return None
    return "/" + text.lstrip("/")


def _top_level(body: list[ast.stmt], depth: int = 0) -> list[ast.stmt]:
    """Module-level statements, including those inside module-level ``if``/``try``/``with`` blocks."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if depth >= 3:
            continue
        if isinstance(node, ast.If):
            found += _top_level(node.body + node.orelse, depth + 1)
        elif isinstance(node, ast.Try):
            found += _top_level(node.body + node.orelse + node.finalbody
                                + [s for h in node.handlers for s in h.body], depth + 1)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            found += _top_level(node.body, depth + 1)
    return found


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) \
        and any(string(s) == "__main__" for s in sides)


def _assigned_name(tree: ast.Module, call: ast.Call) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.value is call and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
        if isinstance(node, ast.AnnAssign) and node.value is call and isinstance(node.target, ast.Name):
            return node.target.id
    return None
