"""One package.json → the component(s) it is, each field with the evidence behind it.

The kind comes first (:mod:`.kinds`) because everything else depends on it: a library
gets no build or ports, a static site gets nginx on 8080 and its build output, a service
gets its start command, port, health route and metrics, and services and workers both
get env vars, backing services and migrations. ``worker``/``start:worker`` scripts add a
sibling worker component that runs from the same image.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.node.commands import Command, direct, entry_candidates, is_dev_server, start_command
from kubify.analyzers.node.context import PackageContext
from kubify.analyzers.node.draft import NodeDraft
from kubify.analyzers.node.frameworks import next_base_path
from kubify.analyzers.node.kinds import Shape, shape_of
from kubify.analyzers.node.node_version import node_version
from kubify.analyzers.node.package_json import PackageJson
from kubify.analyzers.node.package_manager import PackageManager
from kubify.analyzers.node.ports import PortResolver
from kubify.analyzers.node.routes import code_health, file_health
from kubify.analyzers.node.services import MigrationPlan, ServiceUse, migrations, prisma_env, services
from kubify.analyzers.node.source_scan import EnvRead, scan_sources, source_files
from kubify.analyzers.node.workspaces import NodeIndex
from kubify.diagnostics import Diagnostic, FileProblem, info, warning
from kubify.ir import Build, Component, EnvVar, Health, Metrics, Migration, Port, Run
from kubify.naming import dns_label
from kubify.scan import Inventory, join, relative_to
from kubify.signals.dotenv import read_env_example

STATIC_PORT = 8080
#: How the generated static-site image runs: nginx in the foreground (the nginx image's own CMD).
NGINX_COMMAND: tuple[str, ...] = ("nginx", "-g", "daemon off;")
FALLBACK_PORT = 3000
#: Frameworks whose server reads ``$PORT`` itself.
READS_PORT_ENV = frozenset({"next", "nuxt", "remix", "react-router", "sveltekit", "astro", "strapi", "adonisjs",
                            "solid-start", "tanstack-start", "create-react-app", "sails", "feathers"})
#: Names the code may read that the runtime provides; not part of the app's configuration.
RUNTIME_ENV = frozenset({"HOME", "PATH", "PWD", "USER", "SHELL", "TERM", "HOSTNAME", "TMPDIR", "TEMP", "TMP",
                         "INIT_CWD", "CI", "LANG", "OLDPWD", "SHLVL", "_"})
IMPORT_META_BUILTINS = frozenset({"MODE", "DEV", "PROD", "SSR", "BASE_URL"})
BUILD_TIME_PREFIXES = ("VITE_", "NEXT_PUBLIC_", "REACT_APP_", "PUBLIC_", "GATSBY_", "VUE_APP_")
#: Runtime dependency → (metrics library, default path).
METRICS_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("express-prom-bundle", "/metrics"), ("prom-client", "/metrics"), ("@willsoto/nestjs-prometheus", "/metrics"),
    ("fastify-metrics", "/metrics"), ("koa-prometheus-adv", "/metrics"), ("@opentelemetry/exporter-prometheus", ""),
)
OTEL_PROMETHEUS_PORT = 9464
_SCRIPT_PORT = re.compile(r"(?:^|\s)(?:-p|--port)[=\s]+(\d{2,5})\b|\bPORT=(\d{2,5})\b")
_WORKER_SCRIPT = re.compile(r"^(?:start[:-])?(worker|workers|queue|jobs|consumer|scheduler|cron)"
                            r"(?:[:-](?:start|prod))?$")
_EOL_MAJOR = 18
#: Workspace libraries (nearest first) whose env reads and drivers a component inherits.
MAX_LIBRARIES = 25


def describe(inventory: Inventory, index: NodeIndex, package: PackageJson, manager: PackageManager,
             name_fallback: str) -> tuple[list[Component], list[Diagnostic]]:
    """The component fragments of one package (none when it is not a component)."""
    workspace = index.workspace_of(package.root)
    root_package = index.package(workspace.root) if workspace else None
    version = node_version(inventory, package, root_package)
    ctx = PackageContext(inventory, index, package, workspace, root_package, manager, version)
    ctx.entries = entry_candidates(inventory, package)
    nested = [d for d in index.manifests if d != package.root and (package.root == "." or
                                                                     d.startswith(package.root + "/"))]
    files, truncated = source_files(inventory, package.root, ctx.entries, nested)
    ctx.facts = scan_sources(inventory, files)
    resolver = PortResolver(ctx.facts)
    ctx.resolved = [(listen, value) for listen in ctx.facts.listens if (value := resolver.resolve(listen))]
    if truncated or ctx.facts.truncated:
        ctx.notes.append(info("node.scan.truncated", "only part of the package's source was read for ports, env "
                              "vars and routes", file=package.file))
    shape = shape_of(ctx)
    if shape is None:
        return [], ctx.notes
    draft = _common(ctx, shape)
    name = dns_label(_nx_name(ctx) or package.name or
                     (package.root.rsplit("/", 1)[-1] if package.root != "." else name_fallback))
    main = draft.component(name, package.root)
    workers = _worker_scripts(ctx, draft, name) if shape.kind == "service" else []
    return [main, *workers], ctx.notes


def _nx_name(ctx: PackageContext) -> str | None:
    """The Nx project name of a ``project.json`` beside the package.json: an Nx standalone app's package is
    named for the workspace (``@org/source``), the project for the app (``api``)."""
    rel = join(ctx.package.root, "project.json")
    if not ctx.inventory.has(rel):
        return None
    try:
        data = ctx.inventory.json(rel)
    except FileProblem as problem:
        ctx.notes.append(problem.diagnostic.model_copy(update={"severity": "warning"}))
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name.strip() else None


# --- fields -------------------------------------------------------------------------------------

def _common(ctx: PackageContext, shape: Shape) -> NodeDraft:
    package, draft = ctx.package, NodeDraft()
    draft.set("kind", shape.kind, shape.rule, Site(shape.file, shape.line), shape.confidence)
    draft.set("language", "node", "node.detect.package-json", Site(package.file, 1), 0.9)
    _typescript(ctx, draft)
    version = ctx.version
    draft.set("language_version", str(version.major), version.rule, version.site, version.confidence,
              shown=f"{version.major} (from {version.declared})")
    if version.major < _EOL_MAJOR and version.file:
        ctx.notes.append(warning("node.version.eol", f"Node.js {version.major} is past end-of-life",
                                 file=version.file, line=version.line, hint="move to a supported LTS (22 or 24)"))
    manager = ctx.manager
    draft.set("package_manager", manager.name, manager.rule, Site(manager.file, manager.line), manager.confidence,
              shown=manager.label)
    if shape.framework is not None:
        framework = shape.framework
        draft.set("framework", framework.name, f"node.framework.{framework.name}",
                  Site(framework.file, framework.line), 0.9)
    if shape.kind in ("library",):
        return draft
    if shape.kind == "cli":
        _cli_run(ctx, draft)
        return draft
    _build(ctx, shape, draft)
    if shape.kind == "static-site":
        _static_site(shape, draft)
        env_fields(ctx, draft, None)
        return draft
    port = _service_fields(ctx, shape, draft) if shape.kind == "service" else None
    _start(ctx, shape, draft, port)
    env_fields(ctx, draft, port)
    _services_and_migrations(ctx, draft)
    return draft


def _typescript(ctx: PackageContext, draft: Draft) -> None:
    tsconfig = join(ctx.root, "tsconfig.json")
    if ctx.inventory.has(tsconfig):
        draft.note("language", "node (typescript)", "node.language.typescript", Site(tsconfig, 1), 0.9)
    elif ctx.package.has_dependency("typescript"):
        draft.note("language", "node (typescript)", "node.language.typescript",
                   Site(ctx.package.file, ctx.package.dependency_line("typescript")), 0.9)


def _cli_run(ctx: PackageContext, draft: Draft) -> None:
    bins = ctx.package.bin
    if bins:
        first = sorted(bins)[0]
        draft.set("run", Run(command=("node", bins[first].removeprefix("./"))), "node.run.bin",
                  Site(ctx.package.file, ctx.package.line("bin")), 0.5, shown=f"node {bins[first]}")


def _build(ctx: PackageContext, shape: Shape, draft: Draft) -> None:
    package, manager = ctx.package, ctx.manager
    steps = list(_prisma_generate(ctx)) + _build_steps(ctx)
    output = shape.static.output_dir if shape.static is not None else None
    build = Build(context=ctx.context, generated=True, base_image=manager.base_image(ctx.version.major),
                  install=manager.install(ctx.version.major), build=tuple(steps), output_dir=output)
    line = package.line("scripts", "build") if package.script("build") else 1
    rule = "node.build.generated-with-build-script" if package.script("build") else "node.build.generated"
    shown = "; ".join([*build.install, *build.build])
    draft.set("build", build, rule, Site(package.file, line), 0.5, shown=shown)


def _build_steps(ctx: PackageContext) -> list[str]:
    """Build commands, run in the component's directory (the generated Dockerfile's WORKDIR).

    A workspace member's own build needs its workspace libraries built first: the task
    runner (turbo, nx) does that itself, otherwise each library with a build script is
    built, dependencies before dependents.
    """
    package, manager, workspace = ctx.package, ctx.manager, ctx.workspace
    own = [shlex.join(manager.run("build"))] if package.script("build") else []
    if workspace is None or not own:
        return own
    if workspace.runner in ("turbo", "nx") and package.name:
        argv = (manager.exec("turbo", "run", "build", f"--filter={package.name}") if workspace.runner == "turbo"
                else manager.exec("nx", "run", f"{package.name}:build"))
        return [shlex.join(argv)]
    steps = []
    for member in ctx.index.internal_dependencies(ctx.root):
        dependency = ctx.index.package(member)
        if dependency is not None and dependency.script("build"):
            steps.append(manager.run_in("build", member, dependency.name, ctx.root))
    return steps + own


def _prisma_generate(ctx: PackageContext) -> tuple[str, ...]:
    """Prisma's client is generated code: build it unless a script already does."""
    package = ctx.package
    if not package.has_dependency("@prisma/client"):
        return ()
    if any("prisma generate" in s for s in package.scripts.values()):
        return ()
    return (shlex.join(ctx.manager.exec("prisma", "generate")),)


def _static_site(shape: Shape, draft: Draft) -> None:
    """The built files are served by nginx (unprivileged, port 8080) from ``build.output_dir``."""
    # These describe kubify's generated nginx image, so any existing Dockerfile's word beats them.
    at = Site(shape.file, shape.line)
    draft.set("run", Run(command=NGINX_COMMAND), "node.static.nginx-serve", at, 0.25, shown=" ".join(NGINX_COMMAND))
    draft.set("ports", (Port(port=STATIC_PORT, name="http"),), "node.static.nginx-port", at, 0.25,
              shown=str(STATIC_PORT))
    draft.set("health", Health(type="http", path="/", port=STATIC_PORT), "node.static.health-root", at, 0.25,
              shown=f"GET / on {STATIC_PORT}")


def _start(ctx: PackageContext, shape: Shape, draft: Draft, port: int | None) -> None:
    command = start_command(ctx.inventory, ctx.package, ctx.manager, shape.framework, port,
                            {listen.site.file for listen in ctx.facts.listens})
    if command is not None:
        _set_run(ctx, draft, command)
        return
    hint = 'add "start": "node server.js" to scripts'
    if shape.framework is not None and shape.framework.name == "sveltekit":
        hint = "use @sveltejs/adapter-node so 'vite build' produces a Node server ('node build')"
    ctx.notes.append(warning("node.run.unknown", "no start command found: no 'start' script, 'main' field or "
                             "index.js/server.js", file=ctx.package.file, line=ctx.package.line("scripts"), hint=hint))


def _service_fields(ctx: PackageContext, shape: Shape, draft: Draft) -> int:
    port = _ports(ctx, shape, draft)
    framework = shape.framework.name if shape.framework else None
    base = next_base_path(ctx.inventory, ctx.root) if framework == "next" else ""
    health = code_health(ctx.facts) or file_health(ctx.inventory, ctx.root, framework, base)
    if health is not None:
        draft.set("health", Health(type="http", path=health.path, port=port), health.rule,
                  Site(health.file, health.line), health.confidence, shown=f"GET {health.path} on {port}")
    _metrics(ctx, draft, port)
    return port


def _set_run(ctx: PackageContext, draft: Draft, command: Command) -> None:
    workdir = None if ctx.context == ctx.root else "/app/" + relative_to(ctx.root, ctx.context)
    argv = command.argv
    if ctx.manager.pnp and argv[:1] == ("node",):
        argv = ("yarn", *argv)  # Plug'n'Play resolves packages only through yarn's loader
    elif ctx.manager.name == "bun" and argv[:1] == ("node",) and not argv[1].startswith("-"):
        argv = ("bun", *argv[1:])  # the image is Bun's, which runs Node scripts
    draft.set("run", Run(command=argv, workdir=workdir, shell=command.shell), command.rule,
              Site(command.file, command.line), command.confidence, shown=" ".join(argv))


def _ports(ctx: PackageContext, shape: Shape, draft: Draft) -> int:
    """The primary port (and any other explicit ones); PORT env when the code or framework reads it."""
    package, facts = ctx.package, ctx.facts
    values = ctx.resolved
    for listen in facts.listens:
        if listen.host in ("localhost", "127.0.0.1", "::1"):
            ctx.notes.append(warning("node.listen.localhost", f"the server listens on {listen.host} only; it is "
                                     "unreachable from outside its container", file=listen.site.file,
                                     line=listen.site.line, hint="listen on '0.0.0.0' (or omit the host)"))
    framework = shape.framework
    default = framework.spec.default_port if framework and framework.spec.default_port else None
    script = _script_port(package)
    explicit = next((v for _listen, v in values if v.port is not None), None)
    env_name = next((v.env for _listen, v in values if v.env is not None), None)
    if script is not None:
        port, line, from_env = script
        draft.set("ports", (Port(port=port, name="http"),), "node.port.start-script", Site(package.file, line), 0.9,
                  shown=str(port))
        if from_env:
            draft.add_env(EnvVar(name="PORT", default=str(port)), "node.port.start-script-env",
                          Site(package.file, line), 0.9)
    elif explicit is not None and explicit.port is not None:
        port = explicit.port
        others = sorted({v.port for _l, v in values if v.port is not None and v.port != port})[:2]
        draft.set("ports", tuple(Port(port=p, name="http" if p == port else None) for p in (port, *others)),
                  "node.port.listen" if explicit.confidence >= 0.9 else "node.port.listen-resolved",
                  explicit.site, explicit.confidence, shown=str(port))
    elif values:
        port = default or FALLBACK_PORT
        site = values[0][1].site
        draft.set("ports", (Port(port=port, name="http"),), "node.port.env-without-default", site, 0.5,
                  shown=str(port))
    elif framework is not None and default:
        port = default
        draft.set("ports", (Port(port=port, name="http"),), f"node.port.{framework.name}-default",
                  Site(framework.file, framework.line), 0.5, shown=str(port))
    else:
        port = FALLBACK_PORT
        draft.set("ports", (Port(port=port, name="http"),), "node.port.fallback", Site(package.file, 1), 0.3,
                  shown=str(port))
    if env_name is not None:
        site = next(v.site for _l, v in values if v.env is not None)
        draft.add_env(EnvVar(name=env_name, default=str(port)), "node.port.env", site, 0.9)
    elif framework is not None and framework.name in READS_PORT_ENV:
        draft.add_env(EnvVar(name="PORT", default=str(port)), "node.port.framework-env",
                      Site(framework.file, framework.line), 0.5)
    if framework is not None and framework.name == "astro":
        draft.add_env(EnvVar(name="HOST", default="0.0.0.0"), "node.env.astro-host",
                      Site(framework.file, framework.line), 0.7)
    return port


def _script_port(package: PackageJson) -> tuple[int, int, bool] | None:
    for name in ("start", "start:prod", "serve"):
        script = package.script(name)
        found = _SCRIPT_PORT.search(script) if script else None
        if found:
            value = int(found.group(1) or found.group(2))
            if 0 < value < 65536:
                return value, package.line("scripts", name), found.group(2) is not None
    return None


def _metrics(ctx: PackageContext, draft: Draft, port: int) -> None:
    deps = ctx.package.dependencies
    for library, default in METRICS_LIBRARIES:
        if library not in deps:
            continue
        line = ctx.package.dependency_line(library)
        if library == "@opentelemetry/exporter-prometheus":
            draft.set("metrics", Metrics(path="/metrics", port=OTEL_PROMETHEUS_PORT),
                      "node.metrics.opentelemetry-prometheus", Site(ctx.package.file, line), 0.7,
                      shown=f"/metrics on {OTEL_PROMETHEUS_PORT}")
            return
        route = next((r for r in ctx.facts.routes if r.path.rstrip("/").endswith("/metrics")), None)
        if library == "prom-client" and route is None and not ctx.facts.metrics:
            continue
        path = route.path if route else default
        at = route.site if route else Site(ctx.package.file, line)
        draft.set("metrics", Metrics(path=path, port=port), f"node.metrics.{library.lstrip('@').replace('/', '-')}",
                  at, 0.9 if route else 0.7, shown=f"{path} on {port}")
        return


def env_fields(ctx: PackageContext, draft: Draft, port: int | None) -> None:
    """Env vars the code reads (build-time ones marked) and those ``.env.example`` declares."""
    for read in ctx.facts.env:
        name = read.name
        if name in RUNTIME_ENV or name.startswith(("npm_", "NPM_CONFIG_")):
            continue
        if read.build_time and name in IMPORT_META_BUILTINS:
            continue
        if name == "NODE_ENV":
            draft.add_env(EnvVar(name=name, default="production"), "node.env.node-env", read.site, 0.9)
            continue
        if name == "PORT" and port is not None:
            draft.add_env(EnvVar(name=name, default=str(port)), "node.env.port", read.site, 0.9)
            continue
        build_time = read.build_time or name.startswith(BUILD_TIME_PREFIXES)
        rule = "node.env.build-time" if build_time else "node.env.process-env"
        draft.add_env(EnvVar(name=name, default=read.default), rule, read.site, 0.9,
                      shown=f"{name} (build-time)" if build_time else name)
    for name, file, line in prisma_env(ctx.inventory, ctx.package):
        draft.add_env(EnvVar(name=name, secret=True), "node.env.prisma-datasource", Site(file, line), 0.9)
    for entry in read_env_example(ctx.inventory, ctx.root):
        draft.add_env(EnvVar(name=entry.name, default=entry.default), "node.env.example",
                      Site(entry.file, entry.line), 0.7)


def _services_and_migrations(ctx: PackageContext, draft: NodeDraft) -> None:
    mentions = "S3" if any("S3" in f.code for f in ctx.facts.files) else ""
    for use in services(ctx.inventory, ctx.package, mentions):
        draft.add_dependency(use.service, use.rule, Site(use.file, use.line), use.confidence)
    _workspace_libraries(ctx, draft)
    plans = migrations(ctx.inventory, ctx.package, ctx.manager) or _library_migrations(ctx)
    for plan in plans:
        draft.add_migration(Migration(tool=plan.tool, command=plan.command), plan.rule, Site(plan.file, plan.line),
                            plan.confidence)


def _library_migrations(ctx: PackageContext) -> list[MigrationPlan]:
    """The migrations of the nearest workspace db package (``@org/prisma``), run from this app's directory."""
    for member in ctx.index.nearest_dependencies(ctx.root, MAX_LIBRARIES):
        library = ctx.index.package(member)
        if library is None:
            continue
        for plan in migrations(ctx.inventory, library, ctx.manager):
            if plan.rule == "node.migrations.script":
                line = ctx.manager.run_in(plan.command[-1], member, library.name, ctx.root)
            else:
                line = f"cd {shlex.quote(posixpath.relpath(member, ctx.root))} && {shlex.join(plan.command)}"
            return [MigrationPlan(plan.tool, ("sh", "-c", line), "node.migrations.workspace-library", plan.file,
                                  plan.line, min(plan.confidence, 0.6))]
    return []


def _workspace_libraries(ctx: PackageContext, draft: Draft) -> None:
    """Workspace libraries run inside this process: their env reads and drivers are this component's too."""
    for member in ctx.index.nearest_dependencies(ctx.root, MAX_LIBRARIES):
        summary = _library_summary(ctx, member)
        for read in summary.reads:
            draft.add_env(EnvVar(name=read.name, default=read.default), "node.env.workspace-library", read.site, 0.7)
        for name, file, line in summary.prisma_env:
            draft.add_env(EnvVar(name=name, secret=True), "node.env.workspace-library-prisma", Site(file, line), 0.7)
        for use in summary.uses:
            draft.add_dependency(use.service, "node.dependency.workspace-library", Site(use.file, use.line), 0.6)


@dataclass(frozen=True)
class LibrarySummary:
    """What a workspace library brings into the process that imports it."""

    reads: list[EnvRead]
    uses: list[ServiceUse]
    prisma_env: list[tuple[str, str, int]]


def _library_summary(ctx: PackageContext, member: str) -> LibrarySummary:
    """A workspace library's runtime env reads (first per name), services and Prisma datasource env, computed
    once per repository (a shared ``@org/db`` package holds the schema its apps connect with)."""
    key = f"library:{member}"
    if key not in ctx.index.memo:
        library = ctx.index.package(member)
        summary = LibrarySummary([], [], [])
        if library is not None:
            nested = [d for d in ctx.index.manifests if d.startswith(member + "/")]
            files, _truncated = source_files(ctx.inventory, member, entry_candidates(ctx.inventory, library), nested)
            facts = scan_sources(ctx.inventory, files)
            reads: dict[str, EnvRead] = {}
            for read in facts.env:
                if read.name not in RUNTIME_ENV and not read.build_time and read.name != "NODE_ENV":
                    reads.setdefault(read.name, read)
            uses = services(ctx.inventory, library, "S3" if any("S3" in f.code for f in facts.files) else "")
            summary = LibrarySummary(list(reads.values()), uses, prisma_env(ctx.inventory, library))
        ctx.index.memo[key] = summary
    found: LibrarySummary = ctx.index.memo[key]
    return found


# --- sibling processes --------------------------------------------------------------------------

def _worker_scripts(ctx: PackageContext, draft: NodeDraft, name: str) -> list[Component]:
    """``worker``/``start:worker`` scripts run a second process from the same image: a worker component."""
    chosen: dict[str, str] = {}
    for script_name in sorted(ctx.package.scripts):
        found = _WORKER_SCRIPT.match(script_name)
        script = ctx.package.script(script_name)
        if found and script and not is_dev_server(script):
            chosen.setdefault(found.group(1), script_name)
    workers = []
    for word, script_name in sorted(chosen.items()):
        script = ctx.package.script(script_name) or ""
        sibling = draft.copy()
        sibling.drop("ports", "health", "metrics", "framework", "run", "migrations")
        line = ctx.package.line("scripts", script_name)
        sibling.set("kind", "worker", "node.kind.worker-script", Site(ctx.package.file, line), 0.8)
        argv = direct(script) or ctx.manager.run(script_name)
        _set_run(ctx, sibling, Command(argv, "node.run.worker-script", ctx.package.file, line, 0.8))
        sibling.remove_env("PORT")
        workers.append(sibling.component(dns_label(f"{name}-{word}"), ctx.root))
    return workers
