"""What a package is: service, worker, static site, library, CLI — or not a component at all.

A package that listens (or runs a server framework) is a service; a static front end
(Vite, CRA, Angular, Next export, Astro static, ...) is a static site served by nginx on
8080; a queue consumer that never listens is a worker; a ``bin`` without a server is a
CLI; a package with only entry fields, or one its workspace siblings import, is a
library. A workspace root that only delegates to its members, and a package.json that
only builds another language's assets, are not components.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubify.analyzers.node.commands import delegates, is_dev_server, is_static_preview
from kubify.analyzers.node.context import PackageContext
from kubify.analyzers.node.frameworks import Framework, StaticOutput, config_file, frameworks, static_output
from kubify.analyzers.node.package_json import PackageJson
from kubify.analyzers.node.source_scan import Listen
from kubify.diagnostics import info
from kubify.scan import join

#: Manifests of other languages: a package.json beside them that only builds front-end assets is theirs.
OTHER_LANGUAGE_MANIFESTS = ("composer.json", "Gemfile", "manage.py", "pyproject.toml", "requirements.txt",
                            "go.mod", "pom.xml", "build.gradle", "build.gradle.kts", "mix.exs", "Cargo.toml")
ASSET_PLUGINS = ("laravel-vite-plugin", "vite-plugin-ruby", "@rails/webpacker", "jsbundling-rails",
                 "django-vite", "@symfony/webpack-encore", "laravel-mix", "@inertiajs/inertia-laravel")


@dataclass(frozen=True)
class Shape:
    """What the package is: kind, framework, static output, and the evidence for the kind."""

    kind: str
    framework: Framework | None
    static: StaticOutput | None
    rule: str
    file: str
    line: int
    confidence: float


def shape_of(ctx: PackageContext) -> Shape | None:
    """What the package is, or None when it is not a component."""
    package = ctx.package
    found = frameworks(package)
    by_role = {role: next((f for f in found if f.spec.role == role), None)
               for role in ("fullstack", "server", "frontend", "native")}
    full = _first(by_role["fullstack"], next((f for f in found if f.name == "nestjs"), None))
    server, front = by_role["server"], by_role["frontend"]
    listens = ctx.serving()
    runs_server = _start_runs_server(ctx)
    workspace_root = ctx.index.workspace_rooted_at(ctx.root) is not None
    if workspace_root and not _root_has_app(ctx, full or front, listens):
        return None
    runtime = package.dependencies
    if _published(package) and not runs_server and not any(
            f.dependency in runtime for f in found if f.spec.role in ("fullstack", "server")):
        # A published package that builds with a framework (a component library, a Next plugin) is a library.
        return _published_shape(ctx)
    if full is not None and full.name != "nestjs":
        static = static_output(ctx.inventory, package, full)
        if static is not None and not (listens and runs_server):
            return Shape("static-site", full, static, f"node.kind.static-{full.name}", static.file, static.line, 0.8)
        return Shape("service", full, None, f"node.kind.{full.name}-server", full.file, full.line, 0.8)
    if full is not None:
        return Shape("service", full, None, "node.kind.nestjs-server", full.file, full.line, 0.8)
    if front is not None and not (server and (listens or runs_server)):
        static = static_output(ctx.inventory, package, front)
        if static is not None:
            if _asset_pipeline(ctx):
                return None
            return Shape("static-site", front, static, f"node.kind.static-{front.name}", static.file, static.line,
                         0.8)
    return _runtime_shape(ctx, server, listens, runs_server, by_role["native"])


def _runtime_shape(ctx: PackageContext, server: Framework | None, listens: list[Listen], runs_server: bool,
                   native: Framework | None) -> Shape | None:
    package, facts = ctx.package, ctx.facts
    if listens:
        site = listens[0].site
        return Shape("service", server, None, "node.kind.listens", site.file, site.line, 0.9)
    if facts.consumers:
        what, site = facts.consumers[0]
        return Shape("worker", None, None, f"node.kind.consumer.{what.replace(' ', '-')}", site.file, site.line, 0.7)
    if server is not None:
        return Shape("service", server, None, f"node.kind.{server.name}-dependency", server.file, server.line, 0.6)
    if native is not None:
        kind = "cli" if native.name == "electron" else "library"
        return Shape(kind, native, None, f"node.kind.{native.name}-app", native.file, native.line, 0.7)
    if package.bin:
        return Shape("cli", None, None, "node.kind.bin", package.file, package.line("bin"), 0.7)
    if runs_server and not package.entry_fields():
        # A process that never listens (a bot, a scheduler, a poller) is a worker, not a service without a port.
        return Shape("worker", None, None, "node.kind.start-without-listener", package.file,
                     package.line("scripts", "start"), 0.5)
    return _library_shape(ctx)


def _published_shape(ctx: PackageContext) -> Shape | None:
    package = ctx.package
    if package.bin and not package.script("start"):
        return Shape("cli", None, None, "node.kind.published-bin", package.file, package.line("bin"), 0.7)
    return _library_shape(ctx)


def _start_runs_server(ctx: PackageContext) -> bool:
    """A ``start`` script that runs this package's own long-lived process.

    Not a dev server or a static preview, and not a script that starts nested packages
    (``concurrently "npm:server" "npm:client"``, ``cd server && npm start``).
    """
    start = ctx.package.script("start")
    if not start or is_dev_server(start) or is_static_preview(start):
        return False
    nested = any(d != ctx.root and (ctx.root == "." or d.startswith(ctx.root + "/")) for d in ctx.index.manifests)
    return not (nested and (delegates(start) or "--prefix" in start))


def _published(package: PackageJson) -> str | None:
    """The field that marks a package published to a registry as a library (``exports``, ``types``, ...)."""
    if package.data.get("private") is True:
        return None
    return next((k for k in ("exports", "types", "typings", "module", "files") if package.data.get(k)), None)


def _library_shape(ctx: PackageContext) -> Shape | None:
    package = ctx.package
    users = ctx.index.dependents(ctx.root)
    if users:
        user = ctx.index.package(users[0])
        line = user.dependency_line(package.name or "") if user and package.name else 1
        return Shape("library", None, None, "node.kind.workspace-dependency", join(users[0], "package.json"), line,
                     0.7)
    entry = package.entry_fields()
    if entry:
        return Shape("library", None, None, "node.kind.library-entry", package.file, package.line(entry[0]), 0.7)
    if ctx.workspace is not None:
        return Shape("library", None, None, "node.kind.workspace-package", ctx.workspace.file, ctx.workspace.line,
                     0.5)
    return None


def _first(*options: Framework | None) -> Framework | None:
    return next((o for o in options if o is not None), None)


def _root_has_app(ctx: PackageContext, framework: Framework | None, listens: list[Listen]) -> bool:
    """A workspace root is a component only when it holds an app, not just its members' scripts."""
    start = ctx.package.script("start")
    if listens or (start and not delegates(start)):
        return True
    if framework is None:
        return False
    has_config = config_file(ctx.inventory, ctx.root, framework.name) is not None
    build = ctx.package.script("build")
    return has_config and bool(build) and not delegates(build)


def _asset_pipeline(ctx: PackageContext) -> bool:
    """package.json that builds the assets of another language's web app (Laravel, Rails, Django)."""
    beside = [n for n in OTHER_LANGUAGE_MANIFESTS if ctx.inventory.has(join(ctx.root, n))]
    plugin = ctx.package.has_dependency(*ASSET_PLUGINS)
    if (beside or plugin) and ctx.workspace is None:
        ctx.notes.append(info("node.package.asset-pipeline", "package.json builds front-end assets of the "
                              f"{', '.join(beside) or 'server'} app beside it; not a separate component",
                              file=ctx.package.file, line=1))
        return True
    return False
