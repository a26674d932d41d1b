"""Shared ground of the entry-point strategies: their inputs, their outcome, how they set fields.

Every strategy (:mod:`.web`, :mod:`.workers`) reads a :class:`Context` and writes fields on
a :class:`~kubify.analyzers.draft.Draft` through these helpers, so each value is set together with its
evidence and the port always comes with the env var it is read from.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.codeindex import CodeIndex
from kubify.analyzers.python.django import DjangoProject
from kubify.analyzers.python.facts import ModuleFacts, RunCall, Value
from kubify.analyzers.python.manifests import Project
from kubify.analyzers.python.servers import LOOPBACK
from kubify.diagnostics import Diagnostic
from kubify.ir import EnvVar, Port, Run
from kubify.scan import Inventory, relative_to

#: Server calls that bind 127.0.0.1 unless told otherwise.
LOOPBACK_BY_DEFAULT: frozenset[str] = frozenset({
    "flask.run", "quart.run", "dash.run", "uvicorn", "gradio.launch", "sanic.run", "socketio.run", "robyn.start",
    "wsgiref", "bottle.run", "hypercorn", "granian", "app.run",
})
#: Conventional main-script names, best first.
MAIN_NAMES: tuple[str, ...] = ("main.py", "app.py", "bot.py", "server.py", "run.py", "start.py", "__main__.py",
                               "worker.py", "application.py", "service.py", "index.py", "hello.py", "cli.py")


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
    celery_target: tuple[str, Site] | None = None


Strategy = Callable[[Context, Draft, Outcome], bool]


def set_port(draft: Draft, port: int, rule: str, site: Site | None, confidence: float, *,
             env: str | None = None) -> None:
    """The listen port, and the env var it is read from (with the port as default)."""
    draft.set("ports", (Port(port=port, name="http"),), rule, site, confidence, shown=str(port))
    if env is not None:
        draft.add_env(EnvVar(name=env, default=str(port)), rule, site, confidence)


def set_run(draft: Draft, argv: tuple[str, ...], rule: str, site: Site | None, confidence: float, *,
         shell: bool = False) -> None:
    draft.set("run", Run(command=argv, shell=shell), rule, site, confidence, shown=" ".join(argv))


def set_kind(draft: Draft, kind: str, rule: str, site: Site | None, confidence: float) -> None:
    draft.set("kind", kind, rule, site, confidence)


def set_framework(ctx: Context, draft: Draft, framework: str, rule: str, site: Site | None, confidence: float) -> None:
    draft.set("framework", framework, rule, site, confidence)
    requirement = ctx.project.has(framework if framework != "ray-serve" else "ray", f"{framework}-slim")
    if requirement is not None and (site is None or site.file != requirement.file):
        draft.note("framework", framework, f"python.dependency.{requirement.name}",
                   Site(requirement.file, requirement.line), 0.7)


def relative(ctx: Context, rel: str) -> str:
    return relative_to(rel, ctx.root)


def port_value(ctx: Context, call: RunCall | None) -> tuple[int | None, str | None, Site | None]:
    """(port, env var it comes from, where) of a server call's port argument."""
    if call is None or call.port is None:
        return None, None, None
    value: Value | None = ctx.index.resolve(call.port, prefer=call.site.file)
    if value is None:
        return None, None, None
    port = int(value.literal) if value.literal and value.literal.isdigit() and 0 < int(value.literal) < 65536 \
        else None
    return port, value.env, value.site


def loopback(ctx: Context, call: RunCall) -> bool:
    """True when the server call binds localhost only (explicitly, or by the server's default)."""
    host = ctx.index.resolve(call.host, prefer=call.site.file)
    if host is None:
        return call.kind in LOOPBACK_BY_DEFAULT
    return host.env is None and (host.literal or "") in LOOPBACK


def main_file(ctx: Context) -> ModuleFacts | None:
    """The main script: a shallow, conventionally named file with an ``if __name__ == "__main__"`` block."""
    guarded = [m for f, m in ctx.index.modules.items() if m.main_guard is not None
               and relative(ctx, f).count("/") <= 1 and posixpath.basename(f) in MAIN_NAMES]
    guarded += [m for f, m in ctx.index.modules.items() if posixpath.basename(f) == "__main__.py" and m not in guarded
                and relative(ctx, f).count("/") <= 2]
    if not guarded:
        return None
    return min(guarded, key=lambda m: (relative(ctx, m.file).count("/"),
                                       rank(posixpath.basename(m.file), MAIN_NAMES), m.file))


def python_argv(ctx: Context, facts: ModuleFacts) -> tuple[str, ...]:
    if posixpath.basename(facts.file) == "__main__.py":
        path = ctx.index.module_path(facts.file)
        return ("python", "-m", path.module.removesuffix(".__main__"))
    return ("python", relative(ctx, facts.file))


def rank(name: str, order: tuple[str, ...]) -> int:
    return order.index(name) if name in order else len(order)
