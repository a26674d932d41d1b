"""The Node analyzer: one detection per package.json, one component per app or library in it.

``detect`` claims every package.json outside test data (and outside sample directories
unless a workspace lists them). ``analyze`` reads the package with its workspace — the
root's lockfile, ``packageManager`` and task runner apply to every member — decides what
it is (:mod:`.describe`), and lets a Procfile, the deployer's explicit word, override the
web command and add release and worker processes. Each diagnostic is reported by exactly
one analysis (the one whose directory holds the file), so a broken root lockfile is not
repeated for every member.
"""

from __future__ import annotations

import shlex
from typing import ClassVar

from kubify.analyzers.base import Analysis, Detection
from kubify.analyzers.node.commands import split
from kubify.analyzers.node.describe import describe
from kubify.analyzers.node.nx import describe_nx, nx_projects
from kubify.analyzers.node.package_manager import detect_manager
from kubify.analyzers.node.workspaces import NodeIndex, index_for
from kubify.diagnostics import Diagnostic
from kubify.ir import Component, Evidence, Migration, Run
from kubify.naming import dns_label
from kubify.scan import Inventory, join, parent
from kubify.signals.procfile import Process, read_procfile


class NodeAnalyzer:
    name: ClassVar[str] = "node"
    priority: ClassVar[int] = 50

    def detect(self, inventory: Inventory) -> list[Detection]:
        index = index_for(inventory)
        detections = []
        for directory in index.manifests:
            if not index.candidate(directory):
                continue
            rel = join(directory, "package.json")
            evidence = Evidence(field="language", value="node", rule="node.detect.package-json", file=rel, line=1,
                                confidence=0.9)
            detections.append(Detection(self.name, directory, 0.9, (evidence,), (("manifest", rel),)))
        for project in nx_projects(index):
            evidence = Evidence(field="language", value="node", rule="node.detect.nx-project", file=project.file,
                                line=1, confidence=0.8)
            detections.append(Detection(self.name, project.root, 0.8, (evidence,), (("nx-project", project.file),)))
        return sorted(detections, key=lambda d: d.root)

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis:
        index = index_for(inventory)
        root = detection.root
        if detection.hint("nx-project"):
            return self._analyze_nx(index, root)
        package = index.package(root)
        notes: list[Diagnostic] = []
        components: list[Component] = []
        if package is not None:
            workspace = index.workspace_of(root)
            root_package = index.package(workspace.root) if workspace else None
            manager, manager_notes = detect_manager(inventory, package, workspace, root_package)
            notes += manager_notes
            # An integrated Nx root's dependencies serve its projects; it is not an app itself.
            if not any(p.workspace == root for p in nx_projects(index)):
                components, described = describe(inventory, index, package, manager, inventory.name)
                notes += described
                components = _apply_procfile(inventory, root, components, notes)
        notes += index.diagnostics
        owned = [d for d in dict.fromkeys(notes) if _owner(index, d) == root]
        return Analysis(components=components, diagnostics=owned)

    def _analyze_nx(self, index: NodeIndex, root: str) -> Analysis:
        project = next((p for p in nx_projects(index) if p.root == root), None)
        workspace_package = index.package(project.workspace) if project else None
        if project is None or workspace_package is None:
            return Analysis()
        manager, _notes = detect_manager(index.inventory, workspace_package, None, None)  # reported by the root
        components, notes = describe_nx(index, project, manager, workspace_package)
        return Analysis(components=components, diagnostics=notes)


def _owner(index: NodeIndex, diagnostic: Diagnostic) -> str:
    """The detection root that reports ``diagnostic``: the nearest package directory holding its file."""
    if diagnostic.file is None:
        return "."
    directory = parent(diagnostic.file)
    manifests = set(index.manifests)
    while directory not in manifests and directory != ".":
        directory = parent(directory)
    return directory if directory in manifests else (index.manifests[0] if index.manifests else ".")


def _apply_procfile(inventory: Inventory, root: str, components: list[Component],
                    notes: list[Diagnostic]) -> list[Component]:
    """Procfile ``web`` overrides the start command; ``release`` is a migration; others are workers."""
    procfile = read_procfile(inventory, root)
    if procfile is None or not components:
        return components
    notes += procfile.diagnostics
    main = components[0]
    if main.kind not in ("service", "worker", "static-site"):
        return components
    result = list(components)
    for process in procfile.processes:
        if process.name == "web":
            result[0] = _with_web(result[0], process)
        elif process.name == "release":
            result[0] = _with_release(result[0], process)
        else:
            result.append(_procfile_worker(main, process))
    return _unique(result)


def _evidence(field: str, value: str, rule: str, process: Process) -> Evidence:
    return Evidence(field=field, value=value, rule=rule, file=process.file, line=process.line, confidence=0.95)


def _with_web(component: Component, process: Process) -> Component:
    workdir = component.run.workdir if component.run else None
    kept = tuple(e for e in component.evidence if e.field not in ("run", "kind"))
    return component.model_copy(update={
        "kind": "service", "run": _procfile_run(process.command, workdir),
        "evidence": (*kept, _evidence("run", process.command, "node.procfile.web", process),
                     _evidence("kind", "service", "node.procfile.web", process)),
    })


def _with_release(component: Component, process: Process) -> Component:
    argv = _procfile_run(process.command, None).command
    command = ("sh", "-c", process.command) if len(argv) == 1 else argv
    migration = Migration(tool="procfile-release", command=command)
    return component.model_copy(update={
        "migrations": (*component.migrations, migration),
        "evidence": (*component.evidence, _evidence("migrations", process.command, "node.procfile.release", process)),
    })


def _procfile_worker(main: Component, process: Process) -> Component:
    dropped = ("ports", "health", "metrics", "run", "kind", "migrations", "framework")
    kept = tuple(e for e in main.evidence if e.field not in dropped)
    workdir = main.run.workdir if main.run else None
    return main.model_copy(update={
        "name": dns_label(f"{main.name}-{process.name}"), "kind": "worker", "ports": (), "health": None,
        "metrics": None, "migrations": (), "framework": None, "run": _procfile_run(process.command, workdir),
        "evidence": (*kept, _evidence("run", process.command, "node.procfile.process", process),
                     _evidence("kind", "worker", "node.procfile.process", process)),
    })


def _procfile_run(command: str, workdir: str | None) -> Run:
    """Procfile lines are shell lines; a plain one becomes an argv so signals reach the process."""
    tokens = split(command)
    if tokens and shlex.join(tokens) == command and not any(c in command for c in "$&|;<>`"):
        return Run(command=tuple(tokens), workdir=workdir)
    return Run(command=(command,), workdir=workdir, shell=True)


def _unique(components: list[Component]) -> list[Component]:
    """A Procfile worker may repeat a script worker's name: the Procfile one wins."""
    by_name: dict[str, Component] = {}
    for component in components:
        by_name[component.name] = component
    return list(by_name.values())
