"""Node frameworks: which one a package uses, and whether it ships a server or static files.

A framework is recognised by its dependency; its *mode* by its config file. That split
matters: Next is a server unless ``output: 'export'``, Astro is static unless it has a
server adapter, SvelteKit depends on its adapter, Nuxt on ``nuxt generate``, Angular on
``@angular/ssr``. Static output is served by nginx from the directory the build writes,
which is read from the config (``outDir``, ``outputPath``, ``distDir``) when it is set.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from kubify.analyzers.node.package_json import PackageJson, line_of_text
from kubify.analyzers.node.source_scan import strip_comments
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join

Role = str  # "fullstack" | "server" | "frontend" | "native"


@dataclass(frozen=True)
class FrameworkSpec:
    name: str
    dependencies: tuple[str, ...]
    role: Role
    default_port: int | None = None


#: Precedence order: meta-frameworks first, then HTTP servers, then front-end builders.
FRAMEWORKS: tuple[FrameworkSpec, ...] = (
    FrameworkSpec("nestjs", ("@nestjs/core",), "server", 3000),
    FrameworkSpec("next", ("next",), "fullstack", 3000),
    FrameworkSpec("nuxt", ("nuxt", "nuxt3", "nuxt-edge"), "fullstack", 3000),
    FrameworkSpec("remix", ("@remix-run/node", "@remix-run/serve", "@remix-run/express"), "fullstack", 3000),
    FrameworkSpec("react-router", ("@react-router/node", "@react-router/serve", "@react-router/dev"), "fullstack",
                  3000),
    FrameworkSpec("sveltekit", ("@sveltejs/kit",), "fullstack", 3000),
    FrameworkSpec("astro", ("astro",), "fullstack", 4321),
    FrameworkSpec("solid-start", ("@solidjs/start", "solid-start"), "fullstack", 3000),
    FrameworkSpec("tanstack-start", ("@tanstack/react-start", "@tanstack/start"), "fullstack", 3000),
    FrameworkSpec("strapi", ("@strapi/strapi",), "fullstack", 1337),
    FrameworkSpec("adonisjs", ("@adonisjs/core",), "fullstack", 3333),
    FrameworkSpec("sails", ("sails",), "fullstack", 1337),
    FrameworkSpec("feathers", ("@feathersjs/feathers",), "server", 3030),
    FrameworkSpec("apollo-server", ("@apollo/server", "apollo-server", "apollo-server-express"), "server", 4000),
    FrameworkSpec("graphql-yoga", ("graphql-yoga",), "server", 4000),
    FrameworkSpec("fastify", ("fastify",), "server", 3000),
    FrameworkSpec("koa", ("koa",), "server", 3000),
    FrameworkSpec("hapi", ("@hapi/hapi", "hapi"), "server", 3000),
    FrameworkSpec("hono", ("@hono/node-server", "hono"), "server", 3000),
    FrameworkSpec("restify", ("restify",), "server", 8080),
    FrameworkSpec("polka", ("polka",), "server", 3000),
    FrameworkSpec("micro", ("micro",), "server", 3000),
    FrameworkSpec("slack-bolt", ("@slack/bolt",), "server", 3000),
    FrameworkSpec("express", ("express",), "server", 3000),
    FrameworkSpec("socket.io", ("socket.io",), "server", 3000),
    FrameworkSpec("gatsby", ("gatsby",), "frontend"),
    FrameworkSpec("docusaurus", ("@docusaurus/core",), "frontend"),
    FrameworkSpec("vitepress", ("vitepress",), "frontend"),
    FrameworkSpec("vuepress", ("vuepress", "@vuepress/cli"), "frontend"),
    FrameworkSpec("eleventy", ("@11ty/eleventy",), "frontend"),
    FrameworkSpec("angular", ("@angular/core",), "frontend", 4000),
    FrameworkSpec("create-react-app", ("react-scripts",), "frontend"),
    FrameworkSpec("vue-cli", ("@vue/cli-service",), "frontend"),
    FrameworkSpec("vite", ("vite",), "frontend"),
    FrameworkSpec("parcel", ("parcel", "parcel-bundler"), "frontend"),
    FrameworkSpec("expo", ("expo",), "native"),
    FrameworkSpec("react-native", ("react-native",), "native"),
    FrameworkSpec("electron", ("electron",), "native"),
)
CONFIG_FILES: dict[str, tuple[str, ...]] = {
    "next": ("next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs", "next.config.mts"),
    "astro": ("astro.config.mjs", "astro.config.js", "astro.config.ts", "astro.config.mts", "astro.config.cjs"),
    "sveltekit": ("svelte.config.js", "svelte.config.mjs", "svelte.config.ts"),
    "nuxt": ("nuxt.config.ts", "nuxt.config.js", "nuxt.config.mjs"),
    "vite": ("vite.config.ts", "vite.config.js", "vite.config.mjs", "vite.config.mts", "vite.config.cjs"),
    "vue-cli": ("vue.config.js", "vue.config.cjs", "vue.config.mjs"),
    "react-router": ("react-router.config.ts", "react-router.config.js", "react-router.config.mjs"),
    "angular": ("angular.json",),
}
#: Start scripts that only run a development server (never what production should run).
DEV_SERVER = re.compile(
    r"(?:^|[\s;&|/])(?:nodemon|ts-node-dev|tsnd|node-dev|supervisor|react-scripts\s+start|ng\s+serve|"
    r"vue-cli-service\s+serve|webpack(?:-dev-server|\s+serve)|next\s+dev|nuxt\s+dev|nuxi\s+dev|gatsby\s+develop|"
    r"astro\s+dev|remix\s+dev|react-router\s+dev|vite\s+dev|parcel(?!\s+build)|tsx\s+watch|node\s+--watch|"
    r"nest\s+start\s+--watch|docusaurus\s+start|vitepress\s+dev|eleventy\s+--serve|sirv\b[^;&|]*--dev|"
    r"storybook|start-storybook|microbundle\s+watch|(?:tsc|rollup|webpack|babel|esbuild|tsup|swc)\b[^;&|]*"
    r"\s(?:-w|--watch)\b|jest|vitest|mocha)")
#: Start scripts that preview a static build (a production site is better served by nginx).
STATIC_PREVIEW = re.compile(r"(?:^|[\s;&|])(?:vite\s+preview|serve\s+(?:-s\s+)?\S*|http-server|sirv|"
                            r"astro\s+preview|docusaurus\s+serve|gatsby\s+serve|vitepress\s+preview|"
                            r"live-server|lite-server)")
#: Astro adapters that turn the build into a server.
ASTRO_ADAPTERS = frozenset({"@astrojs/node", "@astrojs/vercel", "@astrojs/netlify", "@astrojs/cloudflare",
                            "@astrojs/deno"})
_OUT_DIR = re.compile(r"\boutDir\s*:\s*['\"`]([^'\"`]+)['\"`]")


@dataclass(frozen=True)
class Framework:
    """A framework found in a package, with the dependency line that says so."""

    spec: FrameworkSpec
    dependency: str
    file: str
    line: int

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class StaticOutput:
    """A static build: where its files land and why kubify thinks it is static."""

    framework: str
    output_dir: str
    rule: str
    file: str
    line: int


def frameworks(package: PackageJson) -> list[Framework]:
    """Every known framework the package depends on, in precedence order."""
    found = []
    runtime = package.dependencies
    deps = {**package.dev_dependencies, **runtime}  # a peerDependency is the host's framework, not this package's
    for spec in FRAMEWORKS:
        # An HTTP server library only in devDependencies is a test helper, not the app's server.
        available = runtime if spec.role == "server" else deps
        dependency = next((d for d in spec.dependencies if d in available), None)
        if dependency is not None:
            found.append(Framework(spec, dependency, package.file, package.dependency_line(dependency)))
    if any(f.name == "hono" for f in found) and "@hono/node-server" not in deps:
        found = [f for f in found if f.name != "hono"]  # Hono without its Node adapter runs on an edge runtime
    return found


def config_file(inventory: Inventory, root: str, framework: str) -> str | None:
    return next((join(root, n) for n in CONFIG_FILES.get(framework, ()) if inventory.has(join(root, n))), None)


def read_config(inventory: Inventory, rel: str | None) -> str:
    """A framework config file without its comments (a commented-out ``output: 'export'`` is not one)."""
    if rel is None:
        return ""
    try:
        return strip_comments(inventory.text(rel))
    except FileProblem:
        return ""


StaticHandler = Callable[[Inventory, PackageJson, Framework], StaticOutput | None]


def next_base_path(inventory: Inventory, root: str) -> str:
    """Next's ``basePath``: every route, API routes included, lives under it."""
    text = read_config(inventory, config_file(inventory, root, "next"))
    found = re.search(r"\bbasePath\s*:\s*['\"`](/[^'\"`]*)['\"`]", text)
    return found.group(1).rstrip("/") if found else ""


def static_output(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    """The static build of a front-end or fullstack framework in static mode, else None."""
    handler = _STATIC.get(framework.name)
    return handler(inventory, package, framework) if handler else None


def _found(framework: Framework, output: str, rule: str, file: str | None = None,
           line: int | None = None) -> StaticOutput:
    normal = posixpath.normpath(output.strip() or ".").strip("/") or "."
    return StaticOutput(framework.name, normal, rule, file or framework.file, line or framework.line)


def _search(text: str, pattern: str) -> tuple[str, int] | None:
    found = re.search(pattern, text)
    return (found.group(1), line_of_text(text, found.start())) if found else None


def _build_flag(package: PackageJson, *flags: str) -> str | None:
    build = package.script("build") or ""
    for flag in flags:
        found = re.search(re.escape(flag) + r"[=\s]+['\"]?([^\s'\";&|]+)", build)
        if found:
            return found.group(1)
    return None


def _vite(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    build = package.script("build") or ""
    config = config_file(inventory, package.root, "vite")
    if "vite build" not in build and not (config and build):
        return None
    text = read_config(inventory, config)
    if config and (found := _search(text, _OUT_DIR.pattern)):
        return _found(framework, found[0], "node.static.vite-outdir", config, found[1])
    flag = _build_flag(package, "--outDir")
    if flag:
        return _found(framework, flag, "node.static.vite-outdir", package.file, package.line("scripts", "build"))
    return _found(framework, "dist", "node.static.vite", package.file, package.line("scripts", "build"))


def _cra(_inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    build = package.script("build") or ""
    if "react-scripts build" not in build and "craco build" not in build:
        return None
    path = re.search(r"BUILD_PATH=['\"]?([^\s'\";&]+)", build)
    return _found(framework, path.group(1) if path else "build", "node.static.create-react-app", package.file,
                  package.line("scripts", "build"))


def _vue_cli(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    config = config_file(inventory, package.root, "vue-cli")
    found = _search(read_config(inventory, config), r"\boutputDir\s*:\s*['\"`]([^'\"`]+)['\"`]")
    if config and found:
        return _found(framework, found[0], "node.static.vue-cli-outdir", config, found[1])
    return _found(framework, "dist", "node.static.vue-cli")


def _angular(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    config = join(package.root, "angular.json")
    if package.has_dependency("@angular/ssr", "@nguniversal/express-engine", "@angular/platform-server"):
        return None
    try:
        data = inventory.json(config) if inventory.has(config) else {}
    except FileProblem:
        data = {}
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, dict) or not projects:
        return _found(framework, "dist", "node.static.angular")
    name = data.get("defaultProject") if isinstance(data.get("defaultProject"), str) else sorted(projects)[0]
    project = projects.get(name) if isinstance(projects.get(name), dict) else {}
    build = _dig(project, "architect", "build") or _dig(project, "targets", "build") or {}
    options = _dig(build, "options") or {}
    output = options.get("outputPath") or f"dist/{name}"
    application = str(build.get("builder", "")).endswith((":application", "build:application"))
    if isinstance(output, dict):
        base = str(output.get("base", f"dist/{name}"))
        return _found(framework, f"{base}/{output.get('browser', 'browser')}".rstrip("/"), "node.static.angular",
                      config, 1)
    output = str(output)
    return _found(framework, f"{output}/browser" if application else output, "node.static.angular", config, 1)


def _dig(data: object, *keys: str) -> dict[str, object] | None:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, dict) else None


def _next(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    config = config_file(inventory, package.root, "next")
    text = read_config(inventory, config)
    export = _search(text, r"\boutput\s*:\s*['\"`](export)['\"`]")
    if config and export:
        dist = _search(text, r"\bdistDir\s*:\s*['\"`]([^'\"`]+)['\"`]")
        return _found(framework, dist[0] if dist else "out", "node.static.next-export", config, export[1])
    build = package.script("build") or ""
    if "next export" in build:
        flag = _build_flag(package, "-o", "--outdir")
        return _found(framework, flag or "out", "node.static.next-export", package.file,
                      package.line("scripts", "build"))
    return None


def _nuxt(_inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    build = package.script("build") or ""
    if re.search(r"\bnuxi?\s+generate\b", build):
        return _found(framework, ".output/public", "node.static.nuxt-generate", package.file,
                      package.line("scripts", "build"))
    return None


def _astro(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    config = config_file(inventory, package.root, "astro")
    text = read_config(inventory, config)
    server = re.search(r"\boutput\s*:\s*['\"`](server|hybrid)['\"`]", text)
    adapter = [d for d in package.all_dependencies() if d in ASTRO_ADAPTERS]
    if server or adapter:
        return None
    found = _search(text, _OUT_DIR.pattern)
    if config and found:
        return _found(framework, found[0], "node.static.astro-outdir", config, found[1])
    return _found(framework, "dist", "node.static.astro", config, 1 if config else None)


def _sveltekit(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    if not package.has_dependency("@sveltejs/adapter-static"):
        return None
    config = config_file(inventory, package.root, "sveltekit")
    found = _search(read_config(inventory, config), r"\bpages\s*:\s*['\"`]([^'\"`]+)['\"`]")
    if config and found:
        return _found(framework, found[0], "node.static.sveltekit-static", config, found[1])
    return _found(framework, "build", "node.static.sveltekit-static", package.file,
                  package.dependency_line("@sveltejs/adapter-static"))


def _react_router(inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    config = config_file(inventory, package.root, "react-router")
    found = _search(read_config(inventory, config), r"\bssr\s*:\s*(false)\b")
    if config and found:
        return _found(framework, "build/client", "node.static.react-router-spa", config, found[1])
    return None


def _fixed(output: str, rule: str) -> StaticHandler:
    def handler(_inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
        flag = _build_flag(package, "--output", "--out-dir", "--dist-dir", "--outDir", "-o")
        return _found(framework, flag or output, rule, package.file, package.line("scripts", "build"))
    return handler


def _vitepress(_inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    build = package.script("build") or ""
    found = re.search(r"\b(vitepress|vuepress)\s+build\s+([^\s;&|-][^\s;&|]*)", build)
    source = found.group(2).rstrip("/") if found else "."
    hidden = ".vitepress" if framework.name == "vitepress" else ".vuepress"
    output = f"{source}/{hidden}/dist" if source != "." else f"{hidden}/dist"
    return _found(framework, output, f"node.static.{framework.name}", package.file, package.line("scripts", "build"))


def _parcel(_inventory: Inventory, package: PackageJson, framework: Framework) -> StaticOutput | None:
    if "parcel build" not in (package.script("build") or ""):
        return None
    flag = _build_flag(package, "--dist-dir", "--out-dir", "-d")
    return _found(framework, flag or "dist", "node.static.parcel", package.file, package.line("scripts", "build"))


_STATIC: dict[str, StaticHandler] = {
    "vite": _vite, "create-react-app": _cra, "vue-cli": _vue_cli, "angular": _angular, "next": _next,
    "nuxt": _nuxt, "astro": _astro, "sveltekit": _sveltekit, "react-router": _react_router,
    "gatsby": _fixed("public", "node.static.gatsby"), "docusaurus": _fixed("build", "node.static.docusaurus"),
    "eleventy": _fixed("_site", "node.static.eleventy"), "vitepress": _vitepress, "vuepress": _vitepress,
    "parcel": _parcel,
}
