"""Strategies for components that serve HTTP: Django, web app objects, Streamlit, Ray Serve.

Railpack hard-codes ``uvicorn main:app``; these strategies start exactly the object the code
builds (``uvicorn app.main:api``, ``gunicorn 'app:create_app()'``, ``celery -A``), with the
server the project depends on, on the port that process will really listen on.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.decision import (
    Context,
    Outcome,
    loopback,
    main_file,
    port_value,
    python_argv,
    rank,
    relative,
    set_framework,
    set_kind,
    set_port,
    set_run,
)
from kubify.analyzers.python.facts import AppObject, ModuleFacts, RunCall
from kubify.analyzers.python.servers import (
    ASGI_FRAMEWORKS,
    DEFAULT_PORTS,
    Target,
    asgi_command,
    asgi_server,
    wsgi_command,
    wsgi_server,
)
from kubify.diagnostics import FileProblem, info, warning
from kubify.ir import EnvVar

#: Frameworks started by running their own file (their ``run()``/``launch()`` is the server).
SELF_SERVING: frozenset[str] = frozenset({"gradio", "tornado", "aiohttp", "robyn", "nicegui", "dash", "sanic"})
#: WSGI frameworks whose own ``run()`` is used when no production server is declared.
_DEV_SERVED: frozenset[str] = frozenset({"flask", "quart", "bottle", "falcon", "pyramid"})
#: Web frameworks, in the order a tie between two app objects is broken.
WEB_FRAMEWORKS: tuple[str, ...] = (
    "fastapi", "litestar", "starlette", "quart", "flask", "sanic", "aiohttp", "tornado", "falcon", "bottle",
    "connexion", "fasthtml", "dash", "robyn", "nicegui", "pyramid", "responder", "emmett", "django", "gradio",
)
_GUNICORN_CONFIGS = frozenset({"gunicorn.conf.py", "gunicorn_conf.py", "gunicorn.config.py", "gunicorn_config.py"})
_FILE_SCORES: dict[str, int] = {"main.py": 12, "app.py": 11, "server.py": 10, "asgi.py": 9, "wsgi.py": 9,
                                "api.py": 8, "application.py": 8, "run.py": 7, "__init__.py": 6, "web.py": 6}
_STREAMLIT_NAMES: tuple[str, ...] = ("streamlit_app.py", "app.py", "main.py", "Home.py", "home.py", "dashboard.py",
                                     "Hello.py")



# --- Django -------------------------------------------------------------------------------

def django_project(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    project = ctx.django
    if project is None:
        return False
    manage = Site(project.manage, 1)
    set_framework(ctx, draft, "django", "python.django.manage-py", manage, 0.9)
    set_kind(draft, "service", "python.kind.web-framework", manage, 0.9)
    base = relative(ctx, project.base)
    app_dir = None if base == "." else base
    manage_rel = relative(ctx, project.manage)
    port = DEFAULT_PORTS["django"]
    asgi_wanted = project.asgi is not None and (project.channels is not None or wsgi_server(ctx.project) is None) \
        and (ctx.project.has("uvicorn", "daphne", "hypercorn", "channels", "granian") is not None)
    if asgi_wanted and project.asgi is not None:
        module, var = project.asgi.split(":")
        server = "daphne" if ctx.project.has("daphne") or (project.channels and not ctx.project.has("uvicorn")) \
            else asgi_server(ctx.project, "django")
        command = asgi_command(server, Target(module, var, False, app_dir), port)
        argv, shell = command.argv, False
        if app_dir and server in ("daphne", "hypercorn"):
            argv, shell = (f"cd {app_dir} && exec {' '.join(command.argv)}",), True
        set_run(draft, argv, f"python.django.{server}-asgi", project.channels or project.app_site or manage, 0.7,
             shell=shell)
    elif project.wsgi is not None and (config := _gunicorn_config(ctx)) is not None:
        module, var = project.wsgi.split(":")
        _gunicorn_with_config(ctx, draft, "django", Target(module, var, False, app_dir), config,
                              project.app_site or manage)
        return True
    elif project.wsgi is not None and (server_name := wsgi_server(ctx.project)) is not None:
        module, var = project.wsgi.split(":")
        command = wsgi_command(server_name, Target(module, var, False, app_dir), port)
        set_run(draft, command.argv, f"python.django.{server_name}", project.app_site or manage, 0.7)
    else:
        set_run(draft, ("python", manage_rel, "runserver", f"0.0.0.0:{port}", "--noreload"),
             "python.django.runserver", manage, 0.5)
        outcome.notes.append(warning("python.django.dev-server", "no WSGI server (gunicorn, uwsgi, waitress) is a "
                                     "dependency: running Django's development server", file=project.manage, line=1,
                                     hint="add gunicorn to the dependencies for production"))
    set_port(draft, port, "python.django.default-port", project.app_site or manage, 0.5)
    return True


# --- web app objects ----------------------------------------------------------------------

def _resolved_framework(ctx: Context, app: AppObject) -> str | None:
    if app.framework is not None or app.via is None:
        return app.framework
    return next((a.framework for _, a in ctx.index.apps() if a.factory and a.var == app.via), None)


def _score(ctx: Context, facts: ModuleFacts, app: AppObject, framework: str) -> tuple[int, int, str, int]:
    """Sort key (lower is better): referenced by a server call, module-level, conventional file, shallow."""
    module = ctx.index.module_path(facts.file).module
    score = _FILE_SCORES.get(posixpath.basename(facts.file), 0) - 3 * relative(ctx, facts.file).count("/")
    score += 20 if not app.factory else 0
    score += 5 if app.var in ("app", "application", "api", "server", "demo") else 0
    score += 10 if any(r.owner == app.var for r in facts.routes) else 0
    for other in ctx.index.facts():
        for call in other.runs:
            if call.target == f"{module}:{app.var}" or (other is facts and call.target == app.var):
                score += 100
    rank = WEB_FRAMEWORKS.index(framework) if framework in WEB_FRAMEWORKS else len(WEB_FRAMEWORKS)
    return (-score, rank, facts.file, app.site.line)


def web_app(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    candidates = []
    for facts, app in ctx.index.apps():
        framework = _resolved_framework(ctx, app)
        if framework in WEB_FRAMEWORKS:
            assert framework is not None
            candidates.append((_score(ctx, facts, app, framework), facts, app, framework))
    if not candidates:
        return _web_by_dependency(ctx, draft, outcome)
    _, facts, app, framework = min(candidates, key=lambda c: c[0])
    set_framework(ctx, draft, framework, f"python.{framework}.app-object", app.site, 0.9)
    set_kind(draft, "service", "python.kind.web-framework", app.site, 0.9)
    path = ctx.index.module_path(facts.file)
    target = Target(path.module, app.var, app.factory, path.app_dir)
    call = _server_call(ctx, facts, app, target, framework)
    port_info = port_value(ctx, call)
    if _runs_itself(ctx, framework, call):
        _self_served(ctx, draft, outcome, facts, framework, call, port_info)
        return True
    port, env, port_site = port_info
    rule = "python.app.factory" if app.factory else "python.app.object"
    config = _gunicorn_config(ctx) if framework not in ASGI_FRAMEWORKS and call is None else None
    if config is not None:
        _gunicorn_with_config(ctx, draft, framework, target, config, app.site)
        return True
    server = _serve(ctx, draft, outcome, framework, target, port or _server_default(ctx, framework),
                    (app.site, rule, 0.7))
    if port is not None:
        set_port(draft, port, f"python.{framework}.code-port", port_site, 0.9, env=env)
    else:
        set_port(draft, _server_default(ctx, framework), f"python.{server}.default-port", app.site, 0.5, env=env)
    if call is not None:
        draft.note("run", call.kind, "python.app.server-call", call.site, 0.7)
        if port is not None and port_site != call.site:
            draft.note("ports", str(port), "python.app.server-call", call.site, 0.9)
    return True


def _runs_itself(ctx: Context, framework: str, call: RunCall | None) -> bool:
    """Self-serving frameworks, and a dev-server-only Flask app whose ``__main__`` already binds 0.0.0.0."""
    if framework in SELF_SERVING or (call is not None and call.kind in ("gradio.launch", "tornado.listen")):
        return True
    return framework in _DEV_SERVED and wsgi_server(ctx.project) is None and call is not None \
        and call.in_main and call.kind.endswith(".run") and not loopback(ctx, call)


def _server_call(ctx: Context, facts: ModuleFacts, app: AppObject, target: Target, framework: str) -> RunCall | None:
    """The code's own server call for this app: ``uvicorn.run("main:app")``, ``app.run(port=...)``."""
    spec = target.spec()
    calls = [c for m in ctx.index.facts() for c in m.runs if c.target == spec]
    calls += [c for c in facts.runs if c.target in (app.var, None) or c.in_main]
    kinds = ("uvicorn", "hypercorn", "granian") if framework in ASGI_FRAMEWORKS else (framework, "app.run")
    calls += [c for m in ctx.index.facts() for c in m.runs if c.in_main and c.kind.startswith(kinds)]
    return calls[0] if calls else None


@dataclass(frozen=True)
class _GunicornConfig:
    file: str
    port: int
    env: str | None
    site: Site


def _gunicorn_config(ctx: Context) -> _GunicornConfig | None:
    """A gunicorn config file whose ``bind`` names the port (``bind = f"0.0.0.0:{os.getenv('PORT', 8080)}"``)."""
    if wsgi_server(ctx.project) != "gunicorn":
        return None
    for rel, facts in sorted(ctx.index.modules.items()):
        if posixpath.basename(rel) not in _GUNICORN_CONFIGS or relative(ctx, rel).count("/") > 1:
            continue
        value = facts.values.get("bind")
        text = (value.literal or "") if value is not None else ""
        port = text.rsplit(":", 1)[-1]
        if value is not None and port.isdigit() and 0 < int(port) < 65536:
            return _GunicornConfig(relative(ctx, rel), int(port), value.env, value.site)
    return None


def _gunicorn_with_config(ctx: Context, draft: Draft, framework: str, target: Target, config: _GunicornConfig,
                          site: Site) -> None:
    argv: tuple[str, ...] = ("gunicorn", "-c", config.file)
    argv += ("--chdir", target.app_dir) if target.app_dir else ()
    set_run(draft, (*argv, target.spec(call=True)), "python.app.gunicorn-config", site, 0.7)
    draft.note("run", config.file, "python.gunicorn.config-file", Site(config.site.file, 1), 0.7)
    set_port(draft, config.port, "python.gunicorn.config-bind", config.site, 0.9, env=config.env)


def _server_default(ctx: Context, framework: str) -> int:
    if framework in ASGI_FRAMEWORKS:
        return DEFAULT_PORTS[asgi_server(ctx.project, framework)]
    server = wsgi_server(ctx.project)
    if server is not None:
        return DEFAULT_PORTS[server]
    return DEFAULT_PORTS.get(framework, 8000)


def _serve(ctx: Context, draft: Draft, outcome: Outcome, framework: str, target: Target, port: int,
           why: tuple[Site, str, float]) -> str:
    """Start ``target`` with the server the project depends on; returns the server's name."""
    site, rule, confidence = why
    if framework in ASGI_FRAMEWORKS:
        server = asgi_server(ctx.project, framework)
        if not ctx.project.has(server) and server == "uvicorn" and not _has_server_extra(ctx):
            outcome.notes.append(info("python.server.undeclared", f"{framework} app found but no ASGI server "
                                      "(uvicorn, hypercorn, granian) is a dependency; the start command uses uvicorn",
                                      file=site.file, line=site.line, hint="add uvicorn to the dependencies"))
        set_run(draft, asgi_command(server, target, port).argv, f"{rule}.{server}", site, confidence)
        return server
    server_name = wsgi_server(ctx.project)
    if server_name is not None:
        set_run(draft, wsgi_command(server_name, target, port).argv, f"{rule}.{server_name}", site, confidence)
        return server_name
    if framework in ("flask", "quart"):
        argv: tuple[str, ...] = (framework, "--app", target.spec(call=True), "run", "--host", "0.0.0.0", "--port",
                                 str(port))
        if target.app_dir:
            argv = (f"cd {target.app_dir} && exec {' '.join(argv)}",)
        set_run(draft, argv, f"{rule}.dev-server", site, min(confidence, 0.5), shell=bool(target.app_dir))
        outcome.notes.append(warning("python.server.dev-server", f"no WSGI server is a dependency: running the "
                                     f"{framework} development server", file=site.file, line=site.line,
                                     hint="add gunicorn to the dependencies for production"))
        return f"{framework}.run"
    set_run(draft, wsgi_command("gunicorn", target, port).argv, f"{rule}.gunicorn", site, min(confidence, 0.5))
    outcome.notes.append(info("python.server.undeclared", f"{framework} app found but gunicorn is not a "
                              "dependency; the start command assumes it", file=site.file, line=site.line,
                              hint="add gunicorn to the dependencies"))
    return "gunicorn"


def _has_server_extra(ctx: Context) -> bool:
    return any({"standard", "all"} & set(r.extras) for r in ctx.project.dependencies.values())


def _self_served(ctx: Context, draft: Draft, outcome: Outcome, facts: ModuleFacts, framework: str,
                 call: RunCall | None, port_info: tuple[int | None, str | None, Site | None]) -> None:
    """Frameworks whose own ``run()``/``launch()`` is the server: run the file that calls it."""
    if framework == "dash" and wsgi_server(ctx.project) == "gunicorn" and "server" in facts.attributes:
        path = ctx.index.module_path(facts.file)
        port = port_info[0] or DEFAULT_PORTS["gunicorn"]
        site = facts.defined.get("server")
        set_run(draft, wsgi_command("gunicorn", Target(path.module, "server", False, path.app_dir), port).argv,
             "python.dash.gunicorn", site, 0.7)
        set_port(draft, port, "python.gunicorn.default-port", site, 0.5)
        return
    if framework == "sanic":
        path = ctx.index.module_path(facts.file)
        app = next(a for a in facts.apps if _resolved_framework(ctx, a) == "sanic")
        port = port_info[0] or DEFAULT_PORTS["sanic"]
        argv: tuple[str, ...] = ("sanic", Target(path.module, app.var, app.factory, None).spec(), "--host",
                                 "0.0.0.0", "--port", str(port))
        argv += ("--factory",) if app.factory else ()
        set_run(draft, argv, "python.sanic.cli", app.site, 0.7)
        _ports_from(draft, framework, port_info, port, app.site)
        return
    main = main_file(ctx)
    calling = ctx.index.modules.get(call.site.file) if call is not None else None
    runner = calling if calling is not None and ((call is not None and call.in_main) or main is None) \
        else main or calling or facts
    site = call.site if call is not None else runner.main_guard or Site(runner.file, 1)
    set_run(draft, python_argv(ctx, runner), f"python.{framework}.run-file", site, 0.8 if call is not None else 0.5)
    kind = call.kind if call is not None else framework
    _ports_from(draft, framework, port_info, DEFAULT_PORTS.get(kind, DEFAULT_PORTS.get(framework, 8000)), site)
    if framework == "gradio":
        draft.add_env(EnvVar(name="GRADIO_SERVER_NAME", default="0.0.0.0"), "python.gradio.server-env", site, 0.5)
    elif call is not None and loopback(ctx, call):
        outcome.notes.append(warning("python.server.loopback", f"the {framework} server listens on localhost only; "
                                     "it is unreachable from outside the pod", file=call.site.file,
                                     line=call.site.line, hint="pass host='0.0.0.0'"))


def _ports_from(draft: Draft, framework: str, port_info: tuple[int | None, str | None, Site | None], port: int,
                site: Site) -> None:
    found, env, port_site = port_info
    if found is not None:
        set_port(draft, found, f"python.{framework}.code-port", port_site, 0.9, env=env)
    else:
        set_port(draft, port, f"python.{framework}.default-port", site, 0.5, env=env)


def _web_by_dependency(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    """A web framework dependency without a visible app object: the conventional ``main:app`` guess."""
    for framework in ("fastapi", "flask", "starlette", "litestar", "quart"):
        requirement = ctx.project.has(framework)
        if requirement is None:
            continue
        main = next((f for f in ctx.index.modules if posixpath.basename(f) in ("main.py", "app.py")
                     and relative(ctx, f).count("/") <= 1), None)
        if main is None:
            return False
        site = Site(requirement.file, requirement.line)
        path = ctx.index.module_path(main)
        set_framework(ctx, draft, framework, f"python.dependency.{framework}", site, 0.7)
        set_kind(draft, "service", "python.kind.web-framework-dependency", site, 0.5)
        port = _server_default(ctx, framework)
        server = _serve(ctx, draft, outcome, framework, Target(path.module, "app", False, path.app_dir), port,
                        (Site(main, 1), "python.app.guessed", 0.3))
        set_port(draft, port, f"python.{server}.default-port", site, 0.3)
        outcome.notes.append(info("python.app.guessed", f"no {framework} app object found; guessed '{path.module}:app'",
                                  file=main, hint="set the run command in kubify.yaml if it is elsewhere"))
        return True
    return False


# --- other servers --------------------------------------------------------------------------

@dataclass(frozen=True)
class _FileApp:
    """A framework whose CLI serves a script file (``streamlit run app.py``)."""

    framework: str
    names: tuple[str, ...]
    argv: Callable[[str, int], tuple[str, ...]]


_FILE_APPS: tuple[_FileApp, ...] = (
    _FileApp("streamlit", _STREAMLIT_NAMES, lambda file, port: (
        "streamlit", "run", file, "--server.address", "0.0.0.0", "--server.port", str(port))),
    _FileApp("chainlit", ("app.py", "main.py", "chainlit_app.py"), lambda file, port: (
        "chainlit", "run", file, "--host", "0.0.0.0", "--port", str(port), "--headless")),
    _FileApp("panel", ("app.py", "main.py", "dashboard.py"), lambda file, port: (
        "panel", "serve", file, "--address", "0.0.0.0", "--port", str(port), "--allow-websocket-origin", "*")),
)


def file_app(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    """Streamlit, Chainlit, Panel: the framework's CLI serves the script that imports it."""
    for app in _FILE_APPS:
        users = [f for f, m in ctx.index.modules.items() if app.framework in m.imports and "/pages/" not in f"/{f}"]
        if not users or (ctx.project.has(app.framework) is None and app.framework != "streamlit"):
            continue
        chosen = _best_file(users, app.names)
        site = ctx.index.modules[chosen].imports[app.framework]
        port, port_site = _streamlit_port(ctx) if app.framework == "streamlit" else (DEFAULT_PORTS[app.framework],
                                                                                     None)
        set_framework(ctx, draft, app.framework, f"python.{app.framework}.import", site, 0.9)
        set_kind(draft, "service", "python.kind.web-framework", site, 0.9)
        set_run(draft, app.argv(relative(ctx, chosen), port), f"python.{app.framework}.run", site, 0.7)
        if port_site is not None:
            set_port(draft, port, f"python.{app.framework}.config-port", port_site, 0.9)
        else:
            set_port(draft, port, f"python.{app.framework}.default-port", site, 0.5)
        return True
    return False


def _best_file(files: list[str], names: tuple[str, ...]) -> str:
    return min(files, key=lambda f: (rank(posixpath.basename(f), names), f.count("/"), f))


def _streamlit_port(ctx: Context) -> tuple[int, Site | None]:
    rel = posixpath.join(ctx.root, ".streamlit/config.toml") if ctx.root != "." else ".streamlit/config.toml"
    if not ctx.inventory.has(rel):
        return DEFAULT_PORTS["streamlit"], None
    try:
        server = ctx.inventory.toml(rel).get("server")
        text = ctx.inventory.text(rel)
    except FileProblem:  # a broken config file only means the default port
        return DEFAULT_PORTS["streamlit"], None
    port = server.get("port") if isinstance(server, dict) else None
    if isinstance(port, int) and 0 < port < 65536:
        line = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith("port")), 1)
        return port, Site(rel, line)
    return DEFAULT_PORTS["streamlit"], None


def ray_serve(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    for rel, facts in ctx.index.modules.items():
        deployment = facts.decorators.get("ray.serve.deployment")
        if deployment is None or not facts.bindings:
            continue
        binding, site = facts.bindings[0]
        module = ctx.index.module_path(rel).module
        set_framework(ctx, draft, "ray-serve", "python.ray-serve.deployment", deployment, 0.9)
        set_kind(draft, "service", "python.kind.web-framework", deployment, 0.9)
        port = DEFAULT_PORTS["ray-serve"]
        set_run(draft, ("serve", "run", "--host", "0.0.0.0", "--port", str(port), f"{module}:{binding}"),
             "python.ray-serve.run", site, 0.7)
        set_port(draft, DEFAULT_PORTS["ray-serve"], "python.ray-serve.default-port", deployment, 0.5)
        outcome.notes.append(info("python.ray-serve", "Ray Serve application: a single-node pod is generated; use "
                                  "KubeRay's RayService for a cluster", file=rel, line=deployment.line))
        return True
    return False

