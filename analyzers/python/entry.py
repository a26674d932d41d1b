"""What the component is and how it starts: kind, framework, run command, port.

Strategies are tried in order — Django project, web app object, Streamlit, Ray Serve,
task queue, bot, main script, console scripts, library — and the first that recognises
the code decides. Each sets its fields on the :class:`~.draft.Draft` with the file and
line that justified them; the port is always the one the chosen process listens on.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from kubify.analyzers.python.codeindex import CodeIndex
from kubify.analyzers.python.django import DjangoProject
from kubify.analyzers.python.draft import Draft, Site
from kubify.analyzers.python.manifests import Project
from kubify.analyzers.python.servers import (
    ASGI_FRAMEWORKS,
    DEFAULT_PORTS,
    LOOPBACK,
    Target,
    asgi_command,
    asgi_server,
    wsgi_command,
    wsgi_server,
)
from kubify.analyzers.python.source import AppObject, ModuleFacts, RunCall, Value

from kubify.diagnostics import Diagnostic, FileProblem, info, warning
from kubify.ir import EnvVar, Port, Run
from kubify.scan import Inventory, relative_to

#: Frameworks started by running their own file (their ``run()``/``launch()`` is the server).
SELF_SERVING: frozenset[str] = frozenset({"gradio", "tornado", "aiohttp", "robyn", "nicegui", "dash", "sanic"})
#: Server calls that bind 127.0.0.1 unless told otherwise.
LOOPBACK_BY_DEFAULT: frozenset[str] = frozenset({
    "flask.run", "quart.run", "dash.run", "uvicorn", "gradio.launch", "sanic.run", "socketio.run", "robyn.start",
    "wsgiref", "bottle.run", "hypercorn", "granian", "app.run",
})
#: WSGI frameworks whose own ``run()`` is used when no production server is declared.
_DEV_SERVED: frozenset[str] = frozenset({"flask", "quart", "bottle", "falcon", "pyramid"})
#: Web frameworks, in the order a tie between two app objects is broken.
WEB_FRAMEWORKS: tuple[str, ...] = (
    "fastapi", "litestar", "starlette", "quart", "flask", "sanic", "aiohttp", "tornado", "falcon", "bottle",
    "connexion", "fasthtml", "dash", "robyn", "nicegui", "pyramid", "responder", "emmett", "django", "gradio",
)
#: Chat-bot libraries (PEP 503 names) → framework name; bots are workers.
BOT_PACKAGES: dict[str, str] = {
    "discord-py": "discord", "py-cord": "discord", "nextcord": "discord", "disnake": "discord", "hikari": "discord",
    "interactions-py": "discord", "python-telegram-bot": "telegram", "aiogram": "telegram",
    "pytelegrambotapi": "telegram", "pyrogram": "telegram", "telethon": "telegram", "slack-bolt": "slack",
    "twitchio": "twitch", "matrix-nio": "matrix",
}
#: Command-line frameworks, reported as the framework of a ``cli`` component.
CLI_PACKAGES: tuple[str, ...] = ("typer", "click", "fire", "cyclopts", "cleo", "docopt", "argh", "plac")
#: Distribution → the package it is imported as (for bots found by their imports).
_BOT_IMPORTS: dict[str, str] = {
    "discord-py": "discord", "py-cord": "discord", "nextcord": "nextcord", "disnake": "disnake", "hikari": "hikari",
    "interactions-py": "interactions", "python-telegram-bot": "telegram", "aiogram": "aiogram",
    "pytelegrambotapi": "telebot", "pyrogram": "pyrogram", "telethon": "telethon", "slack-bolt": "slack_bolt",
    "twitchio": "twitchio", "matrix-nio": "nio",
}
_BOT_FRAMEWORKS: dict[str, str] = {top: BOT_PACKAGES[dist] for dist, top in _BOT_IMPORTS.items()}
#: Message-consumer libraries: a main script using them without HTTP is a long-running worker.
CONSUMER_PACKAGES: frozenset[str] = frozenset({
    "kafka-python", "confluent-kafka", "aiokafka", "pika", "aio-pika", "nats-py", "paho-mqtt", "aiomqtt",
    "google-cloud-pubsub", "azure-servicebus", "boto3", "redis", "apscheduler", "schedule",
})
_GUNICORN_CONFIGS = frozenset({"gunicorn.conf.py", "gunicorn_conf.py", "gunicorn.config.py", "gunicorn_config.py"})
_MAIN_NAMES: tuple[str, ...] = ("main.py", "app.py", "bot.py", "server.py", "run.py", "start.py", "__main__.py",
                                "worker.py", "application.py", "service.py", "index.py", "hello.py", "cli.py")
_FILE_SCORES: dict[str, int] = {"main.py": 12, "app.py": 11, "server.py": 10, "asgi.py": 9, "wsgi.py": 9,
                                "api.py": 8, "application.py": 8, "run.py": 7, "__init__.py": 6, "web.py": 6}
_STREAMLIT_NAMES: tuple[str, ...] = ("streamlit_app.py", "app.py", "main.py", "Home.py", "home.py", "dashboard.py",
                                     "Hello.py")


@dataclass
class Context:
    """One root's inputs to the decision."""

    inventory: Inventory
    root: str
    project: Project
    index: CodeIndex
    django: DjangoProject | None


@dataclass
class Outcome:
    """What the decision learned beyond the draft's fields."""

    notes: list[Diagnostic] = field(default_factory=list)
    app_module: ModuleFacts | None = None
    celery_target: tuple[str, Site] | None = None


Strategy = Callable[[Context, Draft, Outcome], bool]


def decide(ctx: Context, draft: Draft) -> Outcome:
    """Set kind, framework, run and ports on ``draft``; the first strategy that applies wins."""
    outcome = Outcome()
    outcome.celery_target = _celery_target(ctx)
    strategies: tuple[Strategy, ...] = (_django, _web_app, _streamlit, _ray_serve, _task_queue, _bot, _main_script,
                                        _console_scripts, _library)
    for strategy in strategies:
        if strategy(ctx, draft, outcome):
            return outcome
    _unknown(ctx, draft, outcome)
    return outcome


# --- helpers ------------------------------------------------------------------------------

def set_port(draft: Draft, port: int, rule: str, site: Site | None, confidence: float, *,
             env: str | None = None) -> None:
    """The listen port, and the env var it is read from (with the port as default)."""
    draft.set("ports", (Port(port=port, name="http"),), rule, site, confidence, shown=str(port))
    if env is not None:
        draft.add_env(EnvVar(name=env, default=str(port)), rule, site, confidence)


def _run(draft: Draft, argv: tuple[str, ...], rule: str, site: Site | None, confidence: float, *,
         shell: bool = False) -> None:
    draft.set("run", Run(command=argv, shell=shell), rule, site, confidence, shown=" ".join(argv))


def _kind(draft: Draft, kind: str, rule: str, site: Site | None, confidence: float) -> None:
    draft.set("kind", kind, rule, site, confidence)


def _framework(ctx: Context, draft: Draft, framework: str, rule: str, site: Site | None, confidence: float) -> None:
    draft.set("framework", framework, rule, site, confidence)
    requirement = ctx.project.has(framework if framework != "ray-serve" else "ray", f"{framework}-slim")
    if requirement is not None and (site is None or site.file != requirement.file):
        draft.note("framework", framework, f"python.dependency.{requirement.name}",
                   Site(requirement.file, requirement.line), 0.7)


def _relative(ctx: Context, rel: str) -> str:
    return relative_to(rel, ctx.root)


def _port_value(ctx: Context, call: RunCall | None) -> tuple[int | None, str | None, Site | None]:
    """(port, env var it comes from, where) of a server call's port argument."""
    if call is None or call.port is None:
        return None, None, None
    value: Value | None = ctx.index.resolve(call.port, prefer=call.site.file)
    if value is None:
        return None, None, None
    port = int(value.literal) if value.literal and value.literal.isdigit() and 0 < int(value.literal) < 65536 \
        else None
    return port, value.env, value.site


def _loopback(ctx: Context, call: RunCall) -> bool:
    """True when the server call binds localhost only (explicitly, or by the server's default)."""
    host = ctx.index.resolve(call.host, prefer=call.site.file)
    if host is None:
        return call.kind in LOOPBACK_BY_DEFAULT
    return host.env is None and (host.literal or "") in LOOPBACK


# --- Django -------------------------------------------------------------------------------

def _django(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    project = ctx.django
    if project is None:
        return False
    manage = Site(project.manage, 1)
    _framework(ctx, draft, "django", "python.django.manage-py", manage, 0.9)
    _kind(draft, "service", "python.kind.web-framework", manage, 0.9)
    base = _relative(ctx, project.base)
    app_dir = None if base == "." else base
    manage_rel = _relative(ctx, project.manage)
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
        _run(draft, argv, f"python.django.{server}-asgi", project.channels or project.app_site or manage, 0.7,
             shell=shell)
    elif project.wsgi is not None and (config := _gunicorn_config(ctx)) is not None:
        module, var = project.wsgi.split(":")
        _gunicorn_with_config(ctx, draft, "django", Target(module, var, False, app_dir), config,
                              project.app_site or manage)
        return True
    elif project.wsgi is not None and (server_name := wsgi_server(ctx.project)) is not None:
        module, var = project.wsgi.split(":")
        command = wsgi_command(server_name, Target(module, var, False, app_dir), port)
        _run(draft, command.argv, f"python.django.{server_name}", project.app_site or manage, 0.7)
    else:
        _run(draft, ("python", manage_rel, "runserver", f"0.0.0.0:{port}", "--noreload"),
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
    score = _FILE_SCORES.get(posixpath.basename(facts.file), 0) - 3 * _relative(ctx, facts.file).count("/")
    score += 20 if not app.factory else 0
    score += 5 if app.var in ("app", "application", "api", "server", "demo") else 0
    score += 10 if any(r.owner == app.var for r in facts.routes) else 0
    for other in ctx.index.facts():
        for call in other.runs:
            if call.target == f"{module}:{app.var}" or (other is facts and call.target == app.var):
                score += 100
    rank = WEB_FRAMEWORKS.index(framework) if framework in WEB_FRAMEWORKS else len(WEB_FRAMEWORKS)
    return (-score, rank, facts.file, app.site.line)


def _web_app(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    candidates = []
    for facts, app in ctx.index.apps():
        framework = _resolved_framework(ctx, app)
        if framework in WEB_FRAMEWORKS:
            assert framework is not None
            candidates.append((_score(ctx, facts, app, framework), facts, app, framework))
    if not candidates:
        return _web_by_dependency(ctx, draft, outcome)
    _, facts, app, framework = min(candidates, key=lambda c: c[0])
    outcome.app_module = facts
    _framework(ctx, draft, framework, f"python.{framework}.app-object", app.site, 0.9)
    _kind(draft, "service", "python.kind.web-framework", app.site, 0.9)
    path = ctx.index.module_path(facts.file)
    target = Target(path.module, app.var, app.factory, path.app_dir)
    call = _server_call(ctx, facts, app, target, framework)
    port_info = _port_value(ctx, call)
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
        and call.in_main and call.kind.endswith(".run") and not _loopback(ctx, call)


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
        if posixpath.basename(rel) not in _GUNICORN_CONFIGS or _relative(ctx, rel).count("/") > 1:
            continue
        value = facts.values.get("bind")
        text = (value.literal or "") if value is not None else ""
        port = text.rsplit(":", 1)[-1]
        if value is not None and port.isdigit() and 0 < int(port) < 65536:
            return _GunicornConfig(_relative(ctx, rel), int(port), value.env, value.site)
    return None


def _gunicorn_with_config(ctx: Context, draft: Draft, framework: str, target: Target, config: _GunicornConfig,
                          site: Site) -> None:
    argv: tuple[str, ...] = ("gunicorn", "-c", config.file)
    argv += ("--chdir", target.app_dir) if target.app_dir else ()
    _run(draft, (*argv, target.spec(call=True)), "python.app.gunicorn-config", site, 0.7)
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
        _run(draft, asgi_command(server, target, port).argv, f"{rule}.{server}", site, confidence)
        return server
    server_name = wsgi_server(ctx.project)
    if server_name is not None:
        _run(draft, wsgi_command(server_name, target, port).argv, f"{rule}.{server_name}", site, confidence)
        return server_name
    if framework in ("flask", "quart"):
        argv: tuple[str, ...] = (framework, "--app", target.spec(call=True), "run", "--host", "0.0.0.0", "--port",
                                 str(port))
        if target.app_dir:
            argv = (f"cd {target.app_dir} && exec {' '.join(argv)}",)
        _run(draft, argv, f"{rule}.dev-server", site, min(confidence, 0.5), shell=bool(target.app_dir))
        outcome.notes.append(warning("python.server.dev-server", f"no WSGI server is a dependency: running the "
                                     f"{framework} development server", file=site.file, line=site.line,
                                     hint="add gunicorn to the dependencies for production"))
        return f"{framework}.run"
    _run(draft, wsgi_command("gunicorn", target, port).argv, f"{rule}.gunicorn", site, min(confidence, 0.5))
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
        _run(draft, wsgi_command("gunicorn", Target(path.module, "server", False, path.app_dir), port).argv,
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
        _run(draft, argv, "python.sanic.cli", app.site, 0.7)
        _ports_from(draft, framework, port_info, port, app.site)
        return
    main = _main_file(ctx)
    calling = ctx.index.modules.get(call.site.file) if call is not None else None
    runner = calling if calling is not None and ((call is not None and call.in_main) or main is None) \
        else main or calling or facts
    site = call.site if call is not None else runner.main_guard or Site(runner.file, 1)
    _run(draft, _python_argv(ctx, runner), f"python.{framework}.run-file", site, 0.8 if call is not None else 0.5)
    kind = call.kind if call is not None else framework
    _ports_from(draft, framework, port_info, DEFAULT_PORTS.get(kind, DEFAULT_PORTS.get(framework, 8000)), site)
    if framework == "gradio":
        draft.add_env(EnvVar(name="GRADIO_SERVER_NAME", default="0.0.0.0"), "python.gradio.server-env", site, 0.5)
    elif call is not None and _loopback(ctx, call):
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
                     and _relative(ctx, f).count("/") <= 1), None)
        if main is None:
            return False
        site = Site(requirement.file, requirement.line)
        path = ctx.index.module_path(main)
        _framework(ctx, draft, framework, f"python.dependency.{framework}", site, 0.7)
        _kind(draft, "service", "python.kind.web-framework-dependency", site, 0.5)
        port = _server_default(ctx, framework)
        server = _serve(ctx, draft, outcome, framework, Target(path.module, "app", False, path.app_dir), port,
                        (Site(main, 1), "python.app.guessed", 0.3))
        set_port(draft, port, f"python.{server}.default-port", site, 0.3)
        outcome.notes.append(info("python.app.guessed", f"no {framework} app object found; guessed '{path.module}:app'",
                                  file=main, hint="set the run command in kubify.yaml if it is elsewhere"))
        return True
    return False


# --- other servers --------------------------------------------------------------------------

def _streamlit(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    users = [f for f, m in ctx.index.modules.items() if "streamlit" in m.imports and "/pages/" not in f"/{f}"]
    requirement = ctx.project.has("streamlit")
    if not users or (requirement is None and not ctx.index.imported("streamlit")):
        return False
    chosen = min(users, key=lambda f: (_rank(posixpath.basename(f), _STREAMLIT_NAMES), f.count("/"), f))
    site = ctx.index.modules[chosen].imports["streamlit"]
    port, port_site = _streamlit_port(ctx)
    _framework(ctx, draft, "streamlit", "python.streamlit.import", site, 0.9)
    _kind(draft, "service", "python.kind.web-framework", site, 0.9)
    _run(draft, ("streamlit", "run", _relative(ctx, chosen), "--server.address", "0.0.0.0", "--server.port",
                 str(port)), "python.streamlit.run", site, 0.7)
    if port_site is not None:
        set_port(draft, port, "python.streamlit.config-port", port_site, 0.9)
    else:
        set_port(draft, port, "python.streamlit.default-port", site, 0.5)
    return True


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


def _ray_serve(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    for rel, facts in ctx.index.modules.items():
        deployment = facts.decorators.get("ray.serve.deployment")
        if deployment is None or not facts.bindings:
            continue
        binding, site = facts.bindings[0]
        module = ctx.index.module_path(rel).module
        _framework(ctx, draft, "ray-serve", "python.ray-serve.deployment", deployment, 0.9)
        _kind(draft, "service", "python.kind.web-framework", deployment, 0.9)
        port = DEFAULT_PORTS["ray-serve"]
        _run(draft, ("serve", "run", "--host", "0.0.0.0", "--port", str(port), f"{module}:{binding}"),
             "python.ray-serve.run", site, 0.7)
        set_port(draft, DEFAULT_PORTS["ray-serve"], "python.ray-serve.default-port", deployment, 0.5)
        outcome.notes.append(info("python.ray-serve", "Ray Serve application: a single-node pod is generated; use "
                                  "KubeRay's RayService for a cluster", file=rel, line=deployment.line))
        return True
    return False


# --- workers ------------------------------------------------------------------------------

def _celery_target(ctx: Context) -> tuple[str, Site] | None:
    """``proj`` (for ``proj/celery.py``'s ``app``) or ``module:var`` for ``celery -A``."""
    for rel, facts in sorted(ctx.index.modules.items(), key=lambda kv: (kv[0].count("/"), kv[0])):
        app = next((a for a in facts.apps if a.framework == "celery"), None)
        if app is None:
            continue
        path = ctx.index.module_path(rel)
        module = path.module
        if posixpath.basename(rel) == "celery.py" and "." in module and app.var in ("app", "celery"):
            module = module.rsplit(".", 1)[0]
        elif app.var not in ("app", "celery"):
            module = f"{module}:{app.var}"
        return module, app.site
    return None


def celery_argv(target: str, app_dir: str | None = None) -> tuple[str, ...]:
    argv: tuple[str, ...] = ("celery", "-A", target, "worker", "--loglevel=INFO")
    return (*argv, "--workdir", app_dir) if app_dir else argv


def _task_queue(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    if outcome.celery_target is not None:
        target, site = outcome.celery_target
        _framework(ctx, draft, "celery", "python.celery.app-object", site, 0.9)
        _kind(draft, "worker", "python.kind.task-queue", site, 0.8)
        _run(draft, celery_argv(target), "python.celery.worker", site, 0.7)
        return True
    for rel, facts in sorted(ctx.index.modules.items()):
        actor = facts.decorators.get("dramatiq.actor")
        if actor is not None:
            _framework(ctx, draft, "dramatiq", "python.dramatiq.actor", actor, 0.9)
            _kind(draft, "worker", "python.kind.task-queue", actor, 0.8)
            _run(draft, ("dramatiq", ctx.index.module_path(rel).module), "python.dramatiq.worker", actor, 0.7)
            return True
    requirement = ctx.project.has("rq")
    if requirement is not None and not ctx.project.has("flask", "fastapi", "django"):
        site = Site(requirement.file, requirement.line)
        _framework(ctx, draft, "rq", "python.dependency.rq", site, 0.7)
        _kind(draft, "worker", "python.kind.task-queue", site, 0.6)
        url = next((r.name for r in ctx.index.env_reads() if r.name in ("REDIS_URL", "RQ_REDIS_URL")), None)
        argv = (f'rq worker --url "${url}"',) if url else ("rq", "worker")
        _run(draft, argv, "python.rq.worker", site, 0.5, shell=url is not None)
        return True
    return False


def _main_file(ctx: Context) -> ModuleFacts | None:
    """The main script: a shallow, conventionally named file with an ``if __name__ == "__main__"`` block."""
    guarded = [m for f, m in ctx.index.modules.items() if m.main_guard is not None
               and _relative(ctx, f).count("/") <= 1 and posixpath.basename(f) in _MAIN_NAMES]
    guarded += [m for f, m in ctx.index.modules.items() if posixpath.basename(f) == "__main__.py" and m not in guarded
                and _relative(ctx, f).count("/") <= 2]
    if not guarded:
        return None
    return min(guarded, key=lambda m: (_relative(ctx, m.file).count("/"),
                                       _rank(posixpath.basename(m.file), _MAIN_NAMES), m.file))


def _bot(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    requirement = next((r for name in sorted(BOT_PACKAGES) if (r := ctx.project.has(name)) is not None), None)
    if requirement is not None:
        main = _main_file(ctx) or _script_using(ctx, _BOT_IMPORTS.get(requirement.name, requirement.name))
        site = Site(requirement.file, requirement.line)
        framework, rule = BOT_PACKAGES[requirement.name], f"python.dependency.{requirement.name}"
    else:
        main = _main_file(ctx)
        package = next((p for p in sorted(set(_BOT_IMPORTS.values())) if main and p in main.imports), None)
        if main is None or package is None:
            return False
        site = main.imports[package]
        framework, rule = _BOT_FRAMEWORKS[package], f"python.{_BOT_FRAMEWORKS[package]}.import"
    if main is None:
        return False
    _framework(ctx, draft, framework, rule, site, 0.8)
    _kind(draft, "worker", "python.kind.bot", site, 0.8)
    _run(draft, _python_argv(ctx, main), "python.bot.main-file", main.main_guard or Site(main.file, 1), 0.6)
    return True


def _script_using(ctx: Context, top: str) -> ModuleFacts | None:
    users = [m for f, m in ctx.index.modules.items() if top in m.imports and _relative(ctx, f).count("/") <= 1]
    return min(users, key=lambda m: (m.file.count("/"), m.file)) if users else None


def _python_argv(ctx: Context, facts: ModuleFacts) -> tuple[str, ...]:
    if posixpath.basename(facts.file) == "__main__.py":
        path = ctx.index.module_path(facts.file)
        return ("python", "-m", path.module.removesuffix(".__main__"))
    return ("python", _relative(ctx, facts.file))


def _main_script(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    main = _main_file(ctx)
    if main is None or (ctx.project.build_system is not None and posixpath.basename(main.file) == "__main__.py"
                        and ctx.project.scripts):
        return False
    site = main.main_guard or Site(main.file, 1)
    _run(draft, _python_argv(ctx, main), "python.main.file", site, 0.5)
    serving = next((c for c in main.runs if c.port is not None), None)
    if serving is not None:
        port, env, port_site = _port_value(ctx, serving)
        _kind(draft, "service", "python.kind.serves-port", serving.site, 0.7)
        if port is not None:
            set_port(draft, port, "python.main.code-port", port_site, 0.9, env=env)
        return True
    consumer = next((r for name in sorted(CONSUMER_PACKAGES) if (r := ctx.project.has(name)) is not None), None)
    if main.long_running is not None:
        _kind(draft, "worker", "python.kind.long-running-loop", main.long_running, 0.6)
    elif consumer is not None and consumer.name not in ("boto3", "redis"):
        _kind(draft, "worker", "python.kind.consumer", Site(consumer.file, consumer.line), 0.5)
    else:
        _kind(draft, "job", "python.kind.script", site, 0.4)
        outcome.notes.append(info("python.kind.script", "the main script neither serves a port nor loops; treated "
                                  "as a run-to-completion job", file=site.file, line=site.line,
                                  hint="set kind: worker in kubify.yaml if it runs forever"))
    return True


# --- not deployable ---------------------------------------------------------------------------

def _console_scripts(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    if not ctx.project.scripts:
        return False
    script = ctx.project.scripts[0]
    _kind(draft, "cli", "python.kind.console-scripts", script.site, 0.8)
    library = next((r for name in CLI_PACKAGES if (r := ctx.project.has(name)) is not None), None)
    if library is not None:
        draft.set("framework", library.name, f"python.dependency.{library.name}", Site(library.file, library.line),
                  0.7)
    _run(draft, (script.name,), "python.cli.console-script", script.site, 0.7)
    return True


def _library(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    if ctx.project.build_system is None:
        return False
    _kind(draft, "library", "python.kind.package-without-entry", ctx.project.build_system, 0.7)
    return True


def _unknown(ctx: Context, draft: Draft, outcome: Outcome) -> None:
    manifest = next(iter(sorted(ctx.project.dependencies.values(), key=lambda r: (r.file, r.line))), None)
    site = Site(manifest.file, 1) if manifest is not None else None
    _kind(draft, "library", "python.kind.no-entry-point", site, 0.3)
    outcome.notes.append(info("python.no-entry-point", "no web app, worker, main script or console script found; "
                              "not deployable as it stands", file=site.file if site else None,
                              hint="add a Procfile 'web:' line or set run.command in kubify.yaml"))


def _rank(name: str, order: tuple[str, ...]) -> int:
    return order.index(name) if name in order else len(order)
