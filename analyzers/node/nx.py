"""Nx integrated monorepos: projects declared by ``project.json``, dependencies kept at the root.

In an integrated Nx workspace an app has no package.json of its own: ``apps/api/project.json``
names it and its build executor (``@nx/node``, ``@nx/webpack``, ``@nx/next``, ``@nx/vite``,
``@nx/angular``...) says what it is, ``options.outputPath`` where the build lands. Newer
workspaces infer targets from the project's config file instead (``next.config.js``,
``vite.config.ts``, a ``webpack.config.js`` with ``target: 'node'``). Everything installs and
builds from the workspace root (``nx build <name>``); the source is scanned like any package's.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Any

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.node.context import PackageContext
from kubify.analyzers.node.describe import env_fields
from kubify.analyzers.node.draft import NodeDraft
from kubify.analyzers.node.frameworks import FRAMEWORKS
from kubify.analyzers.node.node_version import node_version
from kubify.analyzers.node.package_json import PackageJson, key_lines
from kubify.analyzers.node.package_manager import PackageManager
from kubify.analyzers.node.ports import PortResolver
from kubify.analyzers.node.routes import code_health
from kubify.analyzers.node.services import DRIVERS
from kubify.analyzers.node.source_scan import scan_sources, source_files
from kubify.analyzers.node.workspaces import NodeIndex, tooling_dir
from kubify.diagnostics import Diagnostic, FileProblem
from kubify.ir import Build, Component, EnvVar, Health, Port, Run
from kubify.naming import dns_label
from kubify.scan import join, parent, relative_to

NEXT_CONFIGS = ("next.config.js", "next.config.mjs", "next.config.ts")
VITE_CONFIGS = ("vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs")
WEBPACK_CONFIGS = ("webpack.config.js", "webpack.config.ts", "webpack.config.cjs")
_NODE_TARGET = re.compile(r"\btarget\s*:\s*['\"`]node['\"`]")
_OUTPUT_PATH = re.compile(r"\b(?:outputPath|outDir)\s*:\s*['\"`]([^'\"`]+)['\"`]")
_SERVER_FRAMEWORKS = {d: spec for spec in FRAMEWORKS if spec.role == "server" for d in spec.dependencies}


@dataclass(frozen=True)
class NxProject:
    root: str
    file: str
    workspace: str
    data: dict[str, Any]
    lines: dict[tuple[str | int, ...], int]

    @property
    def name(self) -> str:
        name = self.data.get("name")
        return name if isinstance(name, str) and name else self.root.rsplit("/", 1)[-1]

    @property
    def application(self) -> bool:
        declared = self.data.get("projectType")
        if isinstance(declared, str):
            return declared == "application"
        return "/apps/" in f"/{self.root}/"

    def build_target(self) -> tuple[str, dict[str, Any]]:
        targets = self.data.get("targets")
        build = targets.get("build") if isinstance(targets, dict) else None
        if not isinstance(build, dict):
            return "", {}
        options = build.get("options")
        return str(build.get("executor") or ""), options if isinstance(options, dict) else {}


def nx_projects(index: NodeIndex) -> list[NxProject]:
    """Projects of integrated Nx workspaces: a project.json in a directory without a package.json."""
    if "nx-projects" not in index.memo:
        index.memo["nx-projects"] = _find(index)
    projects: list[NxProject] = index.memo["nx-projects"]
    return projects


def _find(index: NodeIndex) -> list[NxProject]:
    inventory = index.inventory
    workspaces = [parent(rel) for rel in inventory.named("nx.json") if parent(rel) in index.manifests]
    packaged = set(index.manifests)
    found = []
    for workspace in workspaces:
        for rel in inventory.named("project.json", under=workspace):
            root = parent(rel)
            if root in packaged or root == workspace or tooling_dir(root) or not index.candidate(root):
                continue
            try:
                data = inventory.json(rel)
                text = inventory.text(rel)
            except FileProblem as problem:
                index.diagnostics.append(problem.diagnostic.model_copy(update={"severity": "warning"}))
                continue
            if isinstance(data, dict):
                found.append(NxProject(root, rel, workspace, data, key_lines(text)))
    return sorted(found, key=lambda p: p.root)


def describe_nx(index: NodeIndex, project: NxProject, manager: PackageManager,
                root_package: PackageJson) -> tuple[list[Component], list[Diagnostic]]:
    """The component of one Nx project (a library, a static site or a service)."""
    inventory = index.inventory
    virtual = PackageJson(project.file, {"name": project.name}, project.lines)
    version = node_version(inventory, root_package, None)
    ctx = PackageContext(inventory, index, virtual, None, root_package, manager, version)
    draft = NodeDraft()
    draft.set("language", "node", "node.nx.project", Site(project.file, 1), 0.9)
    draft.set("language_version", str(version.major), version.rule, version.site, version.confidence)
    draft.set("package_manager", manager.name, manager.rule, Site(manager.file, manager.line), manager.confidence,
              shown=manager.label)
    name = dns_label(project.name)
    type_line = project.lines.get(("projectType",), 1)
    if not project.application:
        draft.set("kind", "library", "node.nx.library", Site(project.file, type_line), 0.7)
        return [draft.component(name, project.root)], []
    executor, options = project.build_target()
    flavor, configuration = _flavor(index, project, executor, options)
    if flavor is None:
        return [], []
    main = options.get("main")
    entries = [join(project.workspace, main)] if isinstance(main, str) else []
    files, _truncated = source_files(inventory, project.root, entries, [])
    ctx.facts = scan_sources(inventory, files)
    output = _output_path(inventory, project, options, configuration)
    build_line = project.lines.get(("targets", "build"), type_line)
    build = Build(context=project.workspace, generated=True, base_image=manager.base_image(version.major),
                  install=manager.install(version.major),
                  build=(shlex.join(manager.exec("nx", "build", project.name)),),
                  output_dir=_relative(_static_dir(output, executor), project) if flavor == "static" else None)
    draft.set("build", build, "node.nx.build", Site(configuration or project.file, 1 if configuration else build_line),
              0.6, shown="; ".join([*build.install, *build.build]))
    if flavor == "static":
        spa = _spa_framework(executor, configuration, root_package)
        if spa:
            draft.set("framework", spa, f"node.nx.framework.{spa}", Site(project.file, build_line), 0.7)
        return [_static(draft, name, project, configuration or project.file, build_line)], ctx.notes
    _service(ctx, draft, project, flavor, output, root_package)
    return [draft.component(name, project.root)], ctx.notes


def _flavor(index: NodeIndex, project: NxProject, executor: str,
            options: dict[str, Any]) -> tuple[str | None, str | None]:
    """("next" | "node" | "static" | None, the config file that said so)."""
    inventory = index.inventory
    config = next((join(project.root, n) for n in (*NEXT_CONFIGS, *VITE_CONFIGS, *WEBPACK_CONFIGS)
                   if inventory.has(join(project.root, n))), None)
    if "next" in executor or (config and config.rsplit("/", 1)[-1] in NEXT_CONFIGS):
        return "next", config
    if re.search(r"(?:^|/)(?:node|esbuild|js):|:node\b", executor) or options.get("target") == "node":
        return "node", None
    if config and config.rsplit("/", 1)[-1] in WEBPACK_CONFIGS and _NODE_TARGET.search(_read(index, config)):
        return "node", config
    if re.search(r"angular|vite|webpack|rspack", executor) or config:
        return "static", config
    return None, None


def _spa_framework(executor: str, config: str | None, root_package: PackageJson) -> str | None:
    """The front-end framework of a static Nx app (it decides the SPA fallback of the web server)."""
    if "angular" in executor:
        return "angular"
    if "vite" in executor or (config and config.rsplit("/", 1)[-1] in VITE_CONFIGS):
        return "vite"
    return next((f for f in ("react", "vue", "svelte", "preact") if root_package.has_dependency(f)), None)


def _read(index: NodeIndex, rel: str) -> str:
    try:
        return index.inventory.text(rel)
    except FileProblem:
        return ""


def _output_path(inventory: Any, project: NxProject, options: dict[str, Any], config: str | None) -> str:
    """Where the build lands, relative to the workspace root."""
    declared = options.get("outputPath")
    if isinstance(declared, str) and declared:
        return declared.removeprefix("./").rstrip("/")
    if config:
        try:
            found = _OUTPUT_PATH.search(inventory.text(config))
        except FileProblem:
            found = None
        if found:
            return relative_to(posixpath.normpath(join(project.root, found.group(1))), project.workspace)
    return f"dist/{relative_to(project.root, project.workspace)}"


def _static_dir(output: str, executor: str) -> str:
    return f"{output}/browser" if executor.endswith(":application") else output


def _relative(path_in_workspace: str, project: NxProject) -> str:
    """A workspace-relative path as seen from the project directory (the build's WORKDIR)."""
    return posixpath.relpath(join(project.workspace, path_in_workspace), project.root)


def _static(draft: Draft, name: str, project: NxProject, file: str, line: int) -> Component:
    draft.set("kind", "static-site", "node.nx.static", Site(file, line), 0.8)
    draft.set("run", Run(command=("nginx", "-g", "daemon off;")), "node.static.nginx-serve", Site(file, line), 0.5,
              shown="nginx -g daemon off;")
    draft.set("ports", (Port(port=8080, name="http"),), "node.static.nginx-port", Site(file, line), 0.7, shown="8080")
    draft.set("health", Health(type="http", path="/", port=8080), "node.static.health-root", Site(file, line), 0.5,
              shown="GET / on 8080")
    return draft.component(name, project.root)


def _service(ctx: PackageContext, draft: Draft, project: NxProject, flavor: str, output: str,
             root_package: PackageJson) -> None:
    imported = {_package_of(i) for f in ctx.facts.files for i in f.imports}
    framework = "next" if flavor == "next" else next(
        (spec.name for dependency, spec in sorted(_SERVER_FRAMEWORKS.items()) if dependency in imported), None)
    if framework == "express" and "@nestjs/core" in imported:
        framework = "nestjs"
    if framework:
        draft.set("framework", framework, f"node.nx.framework.{framework}", Site(project.file, 1), 0.8)
    resolver = PortResolver(ctx.facts)
    values = [(listen, value) for listen in ctx.facts.listens if (value := resolver.resolve(listen))]
    explicit = next((v for _listen, v in values if v.port is not None), None)
    port = explicit.port if explicit and explicit.port else 3000
    site = explicit.site if explicit else None
    draft.set("kind", "service", "node.nx.application", Site(project.file, project.lines.get(("projectType",), 1)), 0.8)
    draft.set("ports", (Port(port=port, name="http"),), "node.port.listen" if site else "node.port.nx-default",
              site or Site(project.file, 1), 0.9 if site else 0.5, shown=str(port))
    env = next((v.env for _l, v in values if v.env), None) or ("PORT" if flavor == "next" else None)
    if env:
        draft.add_env(EnvVar(name=env, default=str(port)), "node.port.env", site or Site(project.file, 1),
                      0.9 if site else 0.5)
    from_project = posixpath.relpath(output, relative_to(project.root, project.workspace))
    argv = (ctx.manager.exec("next", "start", from_project, "-p", str(port)) if flavor == "next"
            else ("node", f"{from_project}/main.js"))
    draft.set("run", Run(command=argv), f"node.nx.run-{flavor}",
              Site(project.file, project.lines.get(("targets", "build"), 1)), 0.6, shown=" ".join(argv))
    health = code_health(ctx.facts)
    if health is not None:
        draft.set("health", Health(type="http", path=health.path, port=port), health.rule,
                  Site(health.file, health.line), health.confidence, shown=f"GET {health.path} on {port}")
    env_fields(ctx, draft, port)
    for dependency in sorted(imported):
        service = DRIVERS.get(dependency)
        if service is not None and dependency in root_package.dependencies:
            draft.add_dependency(service, f"node.dependency.{dependency.lstrip('@').replace('/', '-')}",
                                 Site(root_package.file, root_package.dependency_line(dependency)), 0.7)


def _package_of(specifier: str) -> str:
    """``@nestjs/core/x`` → ``@nestjs/core``; ``express`` → ``express``."""
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]
