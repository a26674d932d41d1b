"""Strategies for everything that does not serve HTTP: task queues, bots, scripts, CLIs, libraries.

A Celery app is a worker (``celery -A proj worker``); a bot or a consumer loop is a worker
running its main file; a script that neither serves nor loops is a run-to-completion job;
console scripts make a ``cli`` and a package without an entry point is a ``library`` — none of
them is forced into a Deployment.
"""

from __future__ import annotations

import posixpath

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.decision import (
    Context,
    Outcome,
    main_file,
    port_value,
    python_argv,
    relative,
    set_framework,
    set_kind,
    set_port,
    set_run,
)
from kubify.analyzers.python.facts import ModuleFacts
from kubify.diagnostics import info

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

# --- workers ------------------------------------------------------------------------------

def celery_target(ctx: Context) -> tuple[str, Site] | None:
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


def celery_argv(target: str, app_dir: str | None = None, role: str = "worker",
                scheduler: str | None = None) -> tuple[str, ...]:
    """``celery -A <target> worker`` (or ``beat``, with the scheduler the project installs)."""
    argv: tuple[str, ...] = ("celery", "-A", target, role, "--loglevel=INFO")
    argv += ("--scheduler", scheduler) if scheduler else ()
    return (*argv, "--workdir", app_dir) if app_dir else argv


def task_queue(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    if outcome.celery_target is not None:
        target, site = outcome.celery_target
        set_framework(ctx, draft, "celery", "python.celery.app-object", site, 0.9)
        set_kind(draft, "worker", "python.kind.task-queue", site, 0.8)
        set_run(draft, celery_argv(target), "python.celery.worker", site, 0.7)
        return True
    for rel, facts in sorted(ctx.index.modules.items()):
        actor = facts.decorators.get("dramatiq.actor")
        if actor is not None:
            set_framework(ctx, draft, "dramatiq", "python.dramatiq.actor", actor, 0.9)
            set_kind(draft, "worker", "python.kind.task-queue", actor, 0.8)
            set_run(draft, ("dramatiq", ctx.index.module_path(rel).module), "python.dramatiq.worker", actor, 0.7)
            return True
    requirement = ctx.project.has("rq")
    if requirement is not None and not ctx.project.has("flask", "fastapi", "django"):
        site = Site(requirement.file, requirement.line)
        set_framework(ctx, draft, "rq", "python.dependency.rq", site, 0.7)
        set_kind(draft, "worker", "python.kind.task-queue", site, 0.6)
        url = next((r.name for r in ctx.index.env_reads() if r.name in ("REDIS_URL", "RQ_REDIS_URL")), None)
        argv = (f'rq worker --url "${url}"',) if url else ("rq", "worker")
        set_run(draft, argv, "python.rq.worker", site, 0.5, shell=url is not None)
        return True
    return False


def bot(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    requirement = next((r for name in sorted(BOT_PACKAGES) if (r := ctx.project.has(name)) is not None), None)
    if requirement is not None:
        main = main_file(ctx) or _script_using(ctx, _BOT_IMPORTS.get(requirement.name, requirement.name))
        site = Site(requirement.file, requirement.line)
        framework, rule = BOT_PACKAGES[requirement.name], f"python.dependency.{requirement.name}"
    else:
        main = main_file(ctx)
        package = next((p for p in sorted(set(_BOT_IMPORTS.values())) if main and p in main.imports), None)
        if main is None or package is None:
            return False
        site = main.imports[package]
        framework, rule = _BOT_FRAMEWORKS[package], f"python.{_BOT_FRAMEWORKS[package]}.import"
    if main is None:
        return False
    set_framework(ctx, draft, framework, rule, site, 0.8)
    set_kind(draft, "worker", "python.kind.bot", site, 0.8)
    set_run(draft, python_argv(ctx, main), "python.bot.main-file", main.main_guard or Site(main.file, 1), 0.6)
    return True


def _script_using(ctx: Context, top: str) -> ModuleFacts | None:
    users = [m for f, m in ctx.index.modules.items() if top in m.imports and relative(ctx, f).count("/") <= 1]
    return min(users, key=lambda m: (m.file.count("/"), m.file)) if users else None


def main_script(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    main = main_file(ctx)
    if main is None or (ctx.project.build_system is not None and posixpath.basename(main.file) == "__main__.py"
                        and ctx.project.scripts):
        return False
    site = main.main_guard or Site(main.file, 1)
    set_run(draft, python_argv(ctx, main), "python.main.file", site, 0.5)
    serving = next((c for c in main.runs if c.port is not None), None)
    if serving is not None:
        port, env, port_site = port_value(ctx, serving)
        set_kind(draft, "service", "python.kind.serves-port", serving.site, 0.7)
        if port is not None:
            set_port(draft, port, "python.main.code-port", port_site, 0.9, env=env)
        return True
    if posixpath.basename(main.file) == "__main__.py" and main.long_running is None:
        set_kind(draft, "cli", "python.kind.package-main", site, 0.6)  # ``python -m pkg`` is a command
        return True
    consumer = next((r for name in sorted(CONSUMER_PACKAGES) if (r := ctx.project.has(name)) is not None), None)
    if main.long_running is not None:
        set_kind(draft, "worker", "python.kind.long-running-loop", main.long_running, 0.6)
    elif consumer is not None and consumer.name not in ("boto3", "redis"):
        set_kind(draft, "worker", "python.kind.consumer", Site(consumer.file, consumer.line), 0.5)
    else:
        set_kind(draft, "job", "python.kind.script", site, 0.4)
        outcome.notes.append(info("python.kind.script", "the main script neither serves a port nor loops; treated "
                                  "as a run-to-completion job", file=site.file, line=site.line,
                                  hint="set kind: worker in kubify.yaml if it runs forever"))
    return True


# --- not deployable ---------------------------------------------------------------------------

def console_scripts(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    if not ctx.project.scripts:
        return False
    script = ctx.project.scripts[0]
    set_kind(draft, "cli", "python.kind.console-scripts", script.site, 0.8)
    library = next((r for name in CLI_PACKAGES if (r := ctx.project.has(name)) is not None), None)
    if library is not None:
        draft.set("framework", library.name, f"python.dependency.{library.name}", Site(library.file, library.line),
                  0.7)
    set_run(draft, (script.name,), "python.cli.console-script", script.site, 0.7)
    return True


def library(ctx: Context, draft: Draft, outcome: Outcome) -> bool:
    if ctx.project.build_system is None:
        return False
    set_kind(draft, "library", "python.kind.package-without-entry", ctx.project.build_system, 0.7)
    return True


def unknown(ctx: Context, draft: Draft, outcome: Outcome) -> None:
    manifest = next(iter(sorted(ctx.project.dependencies.values(), key=lambda r: (r.file, r.line))), None)
    site = Site(manifest.file, 1) if manifest is not None else None
    set_kind(draft, "library", "python.kind.no-entry-point", site, 0.3)
    outcome.notes.append(info("python.no-entry-point", "no web app, worker, main script or console script found; "
                              "not deployable as it stands", file=site.file if site else None,
                              hint="add a Procfile 'web:' line or set run.command in kubify.yaml"))

