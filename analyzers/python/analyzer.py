"""The Python analyzer: one component per Python root, plus its worker processes.

``detect`` finds the roots (:mod:`.layout`). ``analyze`` reads the root's manifests
(:mod:`.manifests`) and code (:mod:`.codeindex`), decides what it is and how it starts
(:mod:`.entry`), then adds the build recipe, env vars, backing services, health probe,
metrics and migrations. A Procfile is the deployer's explicit word: its ``web:`` line
replaces the inferred start command, ``release:`` is a migration, every other process is
a worker component of its own; a Celery app next to a web app becomes a worker too.
"""

from __future__ import annotations

import posixpath
from typing import ClassVar

from kubify.analyzers.base import Analysis, Detection
from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.build import add_build
from kubify.analyzers.python.codeindex import CodeIndex
from kubify.analyzers.python.commands import command_port, migration_tool, split_migrations, to_argv
from kubify.analyzers.python.decision import Context, Outcome, set_port
from kubify.analyzers.python.django import DjangoProject, find_django
from kubify.analyzers.python.draft import PythonDraft
from kubify.analyzers.python.entry import decide
from kubify.analyzers.python.layout import STRONG_FILES, Layout, is_requirements_file
from kubify.analyzers.python.manifests import Project, read_project
from kubify.analyzers.python.migrations import add_migrations
from kubify.analyzers.python.probes import add_health, add_metrics
from kubify.analyzers.python.servers import DEFAULT_PORTS
from kubify.analyzers.python.services import add_services
from kubify.analyzers.python.workers import celery_argv
from kubify.diagnostics import Diagnostic, FileProblem
from kubify.ir import Component, EnvVar, Evidence, Health, Migration, Run, Scaling
from kubify.naming import dns_label
from kubify.scan import Inventory, relative_to
from kubify.signals.dotenv import read_env_example
from kubify.signals.procfile import Process, read_procfile

#: Fields a worker process shares with the web process of the same root.
SHARED_FIELDS: tuple[str, ...] = ("language", "language_version", "package_manager", "build")
#: Commands of task-queue workers → their framework (a Procfile ``worker: rq worker``).
_QUEUE_COMMANDS: dict[str, str] = {"celery": "celery", "rq": "rq", "dramatiq": "dramatiq", "arq": "arq",
                                   "huey_consumer": "huey", "huey_consumer.py": "huey", "faust": "faust"}
#: Manifests in the order they are cited as the reason a directory is Python.
_MANIFEST_ORDER: tuple[str, ...] = ("pyproject.toml", "setup.py", "Pipfile", "requirements.txt", "manage.py",
                                    "setup.cfg", "poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock",
                                    "environment.yml", "environment.yaml")


class PythonAnalyzer:
    name: ClassVar[str] = "python"
    priority: ClassVar[int] = 50

    def detect(self, inventory: Inventory) -> list[Detection]:
        layout = Layout(inventory)
        detections = []
        for root in layout.roots:
            score = 0.9 if root.strong else 0.5
            manifest = _cited_manifest(root.manifests)
            rule = "python.detect.manifest" if root.strong else "python.detect.main-script"
            evidence = Evidence(field="language", value="python", rule=rule, file=manifest, line=1, confidence=score)
            hints = (("manifests", "\n".join(root.manifests)), ("nested", "\n".join(layout.nested(root.path))))
            detections.append(Detection(self.name, root.path, score, (evidence,), hints))
        return detections

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis:
        try:
            return _analyze(inventory, detection)
        except FileProblem as problem:  # readers catch their own; this is the last line of defence
            return Analysis(diagnostics=[problem.diagnostic])


ANALYZER = PythonAnalyzer()


def _cited_manifest(manifests: tuple[str, ...]) -> str | None:
    def rank(rel: str) -> tuple[int, int, str]:
        name = posixpath.basename(rel)
        if name in _MANIFEST_ORDER:
            return _MANIFEST_ORDER.index(name), 0, rel
        return (3 if is_requirements_file(rel) else len(_MANIFEST_ORDER)), 1, rel

    return min(manifests, key=rank) if manifests else None


def _analyze(inventory: Inventory, detection: Detection) -> Analysis:
    root = detection.root
    manifests, nested = _hints(inventory, detection)
    owned = [f for f in inventory.under(root) if f.endswith(".py") and not any(_inside(f, n) for n in nested)]
    project = read_project(inventory, root, manifests)
    index = CodeIndex(inventory, root, owned)
    django = find_django(inventory, index, root, owned)
    notes: list[Diagnostic] = [*project.diagnostics, *index.diagnostics]
    draft = PythonDraft()
    cited = _cited_manifest(manifests)
    strong = any(posixpath.basename(m) in STRONG_FILES or is_requirements_file(m) for m in manifests)
    draft.set("language", "python", "python.detect.manifest" if strong else "python.detect.main-script",
              Site(cited, 1) if cited else None, 0.9 if strong else 0.5)
    ctx = Context(inventory, root, project, index, django)
    outcome = decide(ctx, draft)
    notes += outcome.notes
    _procfile_web(ctx, draft, notes)
    kind = str(draft.values.get("kind", "service"))
    notes += add_build(draft, inventory, root, project, kind)
    if kind not in ("library",):
        _env(draft, inventory, root, index)
    if kind not in ("library", "cli"):
        add_services(draft, project, index)
    if kind in ("service", "worker", "job", "cronjob"):
        _probes(draft, project, index)
        add_migrations(draft, inventory, root, nested, project, django, _flask_app(draft))
        _collectstatic(draft, django, index, root)
    name = _component_name(inventory, root, project)
    components = [draft.component(name, root)]
    components += _workers(ctx, draft, name, outcome)
    return Analysis(components=components, diagnostics=notes)


def _hints(inventory: Inventory, detection: Detection) -> tuple[tuple[str, ...], list[str]]:
    manifests_hint, nested_hint = detection.hint("manifests"), detection.hint("nested")
    if manifests_hint is None or nested_hint is None:
        layout = Layout(inventory)
        root = next((r for r in layout.roots if r.path == detection.root), None)
        return (root.manifests if root else ()), layout.nested(detection.root)
    return tuple(m for m in manifests_hint.split("\n") if m), [n for n in nested_hint.split("\n") if n]


def _inside(rel: str, root: str) -> bool:
    return root == "." or rel.startswith(root + "/")


def _component_name(inventory: Inventory, root: str, project: Project) -> str:
    if project.name:
        return dns_label(project.name)
    return dns_label(posixpath.basename(root) if root != "." else inventory.name)


# --- env, probes ----------------------------------------------------------------------------

def _env(draft: Draft, inventory: Inventory, root: str, index: CodeIndex) -> None:
    for read in index.env_reads():
        var = EnvVar(name=read.name, default=read.default, secret=read.secret, required=read.required)
        draft.add_env(var, "python.env.code", read.site, 0.9)
    for entry in read_env_example(inventory, root):
        var = EnvVar(name=entry.name, default=entry.default, secret=entry.secret)
        draft.add_env(var, "python.env.example", Site(entry.file, entry.line), 0.7)


def _port(draft: Draft) -> int | None:
    ports = draft.values.get("ports") or ()
    return int(ports[0].port) if ports else None


def _probes(draft: Draft, project: Project, index: CodeIndex) -> None:
    port = _port(draft)
    if draft.values.get("kind") != "service" or port is None:
        add_metrics(draft, project, index, None)
        return
    if draft.values.get("framework") == "streamlit":
        site = next((e for e in draft.evidence if e.field == "framework"), None)
        draft.set("health", Health(type="http", path="/_stcore/health", port=port), "python.streamlit.health",
                  Site(site.file, site.line or 1) if site and site.file else None, 0.7, shown="/_stcore/health")
    else:
        add_health(draft, index, port)
    add_metrics(draft, project, index, port)


def _flask_app(draft: Draft) -> str | None:
    run = draft.values.get("run")
    if draft.values.get("framework") != "flask" or not isinstance(run, Run):
        return None
    for word in run.command:
        if ":" in word and not word.startswith(("-", "0.0.0.0")) and " " not in word:
            return word
    return None


def _collectstatic(draft: Draft, django: DjangoProject | None, index: CodeIndex, root: str) -> None:
    """``collectstatic`` at build time when STATIC_ROOT is set and settings import without secrets."""
    build = draft.values.get("build")
    if django is None or django.static_root is None or build is None:
        return
    settings_files = {django.static_root.file}
    required = [r for f in settings_files if f in index.modules for r in index.modules[f].env if r.required]
    if required:
        return
    command = f"python {relative_to(django.manage, root)} collectstatic --noinput"
    draft.values["build"] = build.model_copy(update={"build": (*build.build, command)})
    draft.note("build", command, "python.django.collectstatic", django.static_root, 0.5)


# --- Procfile and workers -------------------------------------------------------------------------

def _procfile_web(ctx: Context, draft: Draft, notes: list[Diagnostic]) -> None:
    """``web:`` replaces the start command; ``release:`` and ``migrate &&`` become migrations."""
    procfile = read_procfile(ctx.inventory, ctx.root)
    if procfile is None:
        return
    notes += procfile.diagnostics
    release = procfile.get("release")
    if release is not None:
        for part in split_migrations(release.command).migrations or _as_migration(release):
            _add_migration(draft, part, "python.procfile.release", release)
    web = procfile.get("web")
    if web is None:
        workers = [p for p in procfile.processes if p.name not in ("web", "release")]
        if workers and draft.values.get("kind") != "service":
            _procfile_process(draft, workers[0], "worker")
        return
    split = split_migrations(web.command)
    for migration in split.migrations:
        _add_migration(draft, migration, "python.procfile.web-migrate", web)
    _procfile_process(draft, web, "service", command=split.start)
    _procfile_port(draft, web, split.start)


def _as_migration(release: Process) -> tuple[Migration, ...]:
    argv, _ = to_argv(release.command)
    return (Migration(tool=migration_tool(release.command) or "release", command=argv),)


def _add_migration(draft: Draft, migration: Migration, rule: str, process: Process) -> None:
    known = draft.values.get("migrations", ())
    if any(m.tool == migration.tool for m in known):
        draft.values["migrations"] = tuple(m for m in known if m.tool != migration.tool)
        draft.evidence = [e for e in draft.evidence if not (e.field == "migrations" and e.value == migration.tool)]
    draft.values["migrations"] = (*draft.values.get("migrations", ()), migration)
    draft.note("migrations", migration.tool, rule, Site(process.file, process.line), 0.95)


def _procfile_process(draft: Draft, process: Process, kind: str, command: str | None = None) -> None:
    argv, shell = to_argv(command or process.command)
    site = Site(process.file, process.line)
    draft.set("run", Run(command=argv, shell=shell), f"python.procfile.{process.name}", site, 0.95,
              shown=command or process.command)
    draft.set("kind", kind, f"python.procfile.{process.name}", site, 0.95)


def _procfile_port(draft: Draft, web: Process, command: str) -> None:
    """A port the Procfile names wins; with ``$PORT`` the inferred port stays and PORT is set to it."""
    site = Site(web.file, web.line)
    found = command_port(command)
    if found is not None and found.port is not None:
        set_port(draft, found.port, "python.procfile.port", site, 0.95, env="PORT" if found.from_env else None)
        return
    port = _port(draft)
    if port is None:
        server = next((s for s in ("gunicorn", "uvicorn", "hypercorn", "daphne", "waitress", "streamlit")
                       if s in command.split()[:3]), None)
        if server is None:
            return
        port = DEFAULT_PORTS[server]
        set_port(draft, port, f"python.{server}.default-port", site, 0.5)
    if found is not None or "$PORT" in command or "${PORT" in command or command.split()[:1] == ["gunicorn"]:
        draft.add_env(EnvVar(name="PORT", default=str(port)), "python.procfile.port-env", site, 0.95)


def _workers(ctx: Context, main: Draft, name: str, outcome: Outcome) -> list[Component]:
    """Procfile processes other than web/release; a Celery worker next to a web app, a beat for schedules."""
    procfile = read_procfile(ctx.inventory, ctx.root)
    taken = {name}
    workers: list[Component] = []
    processes = [p for p in (procfile.processes if procfile else ()) if p.name not in ("web", "release")]
    commands = [p.command for p in processes]
    if processes and main.values.get("kind") != "service" and procfile is not None and procfile.get("web") is None:
        processes = processes[1:]
    for process in processes:
        draft = _worker_base(main)
        _procfile_process(draft, process, "worker")
        queue = next((q for q in _QUEUE_COMMANDS if q in process.command.split()[:3]), None)
        if queue is not None:
            draft.set("framework", _QUEUE_COMMANDS[queue], f"python.procfile.{process.name}",
                      Site(process.file, process.line), 0.9)
        workers.append(draft.component(_unique(f"{name}-{process.name}", taken), ctx.root))
    workers += _celery_processes(ctx, main, name, outcome, commands, taken)
    return workers


def _celery_processes(ctx: Context, main: Draft, name: str, outcome: Outcome, commands: list[str],
                      taken: set[str]) -> list[Component]:
    """A Celery worker next to a web app, and a single ``beat`` when the code defines a schedule."""
    if outcome.celery_target is None:
        return []
    target, site = outcome.celery_target
    base = _django_base(ctx.django, ctx.root)
    found: list[Component] = []
    runs_worker = any(" worker" in c and "celery" in c for c in commands) or main.values.get("kind") != "service"
    if not runs_worker:
        draft = _worker_base(main)
        argv = celery_argv(target, base)
        draft.set("run", Run(command=argv), "python.celery.worker", site, 0.7, shown=" ".join(argv))
        draft.set("kind", "worker", "python.kind.task-queue", site, 0.8)
        draft.set("framework", "celery", "python.celery.app-object", site, 0.9)
        found.append(draft.component(_unique(f"{name}-worker", taken), ctx.root))
    schedule = _schedule(ctx)
    runs_beat = any("celery" in c and (" beat" in c or " -B" in c) for c in commands)
    if schedule is not None and not runs_beat and main.values.get("kind") in ("service", "worker"):
        scheduler = "django_celery_beat.schedulers:DatabaseScheduler" if ctx.project.has("django-celery-beat") \
            else None
        draft = _worker_base(main)
        argv = celery_argv(target, base, "beat", scheduler)
        draft.set("run", Run(command=argv), "python.celery.beat", schedule, 0.7, shown=" ".join(argv))
        draft.set("kind", "worker", "python.kind.scheduler", schedule, 0.8)
        draft.set("framework", "celery", "python.celery.app-object", site, 0.9)
        draft.set("scaling", Scaling(min_replicas=1, max_replicas=1), "python.celery.beat-singleton", schedule, 0.9,
                  shown="1 replica")
        found.append(draft.component(_unique(f"{name}-beat", taken), ctx.root))
    return found


def _schedule(ctx: Context) -> Site | None:
    """Where periodic Celery tasks are declared (a beat schedule, ``add_periodic_task``, django-celery-beat)."""
    for rel in sorted(ctx.index.modules):
        if ctx.index.modules[rel].schedule is not None:
            return ctx.index.modules[rel].schedule
    requirement = ctx.project.has("django-celery-beat")
    return Site(requirement.file, requirement.line) if requirement is not None else None


def _django_base(django: DjangoProject | None, root: str) -> str | None:
    if django is None:
        return None
    base = relative_to(django.base, root)
    return None if base == "." else base


def _worker_base(main: Draft) -> Draft:
    """A worker's draft: the main process's language, build, env and services; nothing about serving."""
    read_by_code = {e.value for e in main.evidence if e.field == "env" and e.rule.startswith("python.env.")}
    draft = PythonDraft(env={k: v for k, v in main.env.items() if k in read_by_code}, depends=dict(main.depends))
    draft.values = {k: v for k, v in main.values.items() if k in SHARED_FIELDS}
    draft.evidence = [e for e in main.evidence if e.field in (*SHARED_FIELDS, "depends_on")
                      or (e.field == "env" and e.value in read_by_code)]
    return draft


def _unique(wanted: str, taken: set[str]) -> str:
    name = dns_label(wanted)
    candidate, number = name, 2
    while candidate in taken:
        candidate = dns_label(f"{name}-{number}")
        number += 1
    taken.add(candidate)
    return candidate
