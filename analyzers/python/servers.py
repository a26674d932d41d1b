"""Start commands for a located app object: which server, which flags, which default port.

Railpack hard-codes ``uvicorn main:app``; kubify starts exactly the object it found
(``uvicorn app.main:api --factory``, ``gunicorn 'app:create_app()'``), with the server the
project depends on, bound to ``0.0.0.0`` on an explicit port.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubify.analyzers.python.manifests import Project

#: Frameworks whose app object is an ASGI application.
ASGI_FRAMEWORKS: frozenset[str] = frozenset({"fastapi", "starlette", "litestar", "quart", "fasthtml", "connexion"})
#: Frameworks whose app object is a WSGI application (Dash through its ``server`` attribute).
#: Ports servers and frameworks listen on when nothing says otherwise.
DEFAULT_PORTS: dict[str, int] = {
    "uvicorn": 8000, "hypercorn": 8000, "granian": 8000, "daphne": 8000, "gunicorn": 8000, "uwsgi": 8000,
    "waitress": 8080, "flask": 5000, "flask.run": 5000, "quart.run": 5000, "sanic": 8000, "sanic.run": 8000,
    "aiohttp": 8080, "tornado": 8888, "dash": 8050, "dash.run": 8050, "gradio": 7860, "gradio.launch": 7860,
    "streamlit": 8501, "robyn": 8080, "robyn.start": 8080, "nicegui": 8080, "fasthtml": 5001, "django": 8000,
    "ray-serve": 8000, "bottle.run": 8080, "falcon.run": 8000, "socketio.run": 5000, "wsgiref": 8000,
    "fastapi.run": 8000, "app.run": 5000, "chainlit": 8000, "panel": 5006,
}
#: Hosts that make a server unreachable from outside its pod.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Target:
    """An app object to serve: ``module:var`` (or a factory to call), importable from ``app_dir``."""

    module: str
    var: str
    factory: bool
    app_dir: str | None

    def spec(self, *, call: bool = False) -> str:
        return f"{self.module}:{self.var}()" if self.factory and call else f"{self.module}:{self.var}"


@dataclass(frozen=True)
class ServerCommand:
    argv: tuple[str, ...]
    server: str
    warning: str | None = None


def asgi_server(project: Project, framework: str) -> str:
    """The ASGI server the project installs (uvicorn when it declares none)."""
    for name, dependency in (("uvicorn", "uvicorn"), ("uvicorn", "uvicorn-worker"), ("granian", "granian"),
                             ("hypercorn", "hypercorn"), ("daphne", "daphne")):
        if project.has(dependency):
            return name
    for host in ("fastapi", "litestar", "fastapi-slim"):
        requirement = project.has(host)
        if requirement is not None and {"standard", "all", "uvicorn"} & set(requirement.extras):
            return "uvicorn"
    return "hypercorn" if framework == "quart" else "uvicorn"


def wsgi_server(project: Project) -> str | None:
    for name in ("gunicorn", "waitress", "uwsgi"):
        if project.has(name):
            return name
    return None


def asgi_command(server: str, target: Target, port: int) -> ServerCommand:
    host, text = "0.0.0.0", str(port)
    if server == "hypercorn":
        return ServerCommand(("hypercorn", target.spec(call=True), "--bind", f"{host}:{text}"), server)
    if server == "granian":
        argv: tuple[str, ...] = ("granian", "--interface", "asgi", "--host", host, "--port", text)
        argv += ("--factory",) if target.factory else ()
        argv += ("--working-dir", target.app_dir) if target.app_dir else ()
        return ServerCommand((*argv, target.spec()), server)
    if server == "daphne":
        return ServerCommand(("daphne", "-b", host, "-p", text, target.spec()), server)
    argv = ("uvicorn", target.spec(), "--host", host, "--port", text)
    argv += ("--factory",) if target.factory else ()
    argv += ("--app-dir", target.app_dir) if target.app_dir else ()
    return ServerCommand(argv, "uvicorn")


def wsgi_command(server: str, target: Target, port: int) -> ServerCommand:
    bind = f"0.0.0.0:{port}"
    if server == "waitress":
        spec = ("--call", target.spec()) if target.factory else (target.spec(),)
        return ServerCommand(("waitress-serve", f"--listen={bind}", *spec), server)
    if server == "uwsgi":
        return ServerCommand(("uwsgi", "--http", bind, "--master", "--module", target.spec(call=True)), server)
    argv: tuple[str, ...] = ("gunicorn", "--bind", bind)
    argv += ("--chdir", target.app_dir) if target.app_dir else ()
    return ServerCommand((*argv, target.spec(call=True)), "gunicorn")
