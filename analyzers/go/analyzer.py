"""The Go analyzer: one component per main package, a library for a module without one.

``detect`` claims every ``go.mod`` outside tooling/example directories (and, for code that
predates modules, a repository with ``.go`` files and no ``go.mod`` at all). ``analyze``
finds the module's main packages — each server or worker binary is its own component, all
sharing the module root as path and build context — and reads each one's code together
with the repository packages it imports: framework, listen port (resolved through
variables, env fallbacks, flags and config tags), env vars, health routes, metrics,
backing services, migrations. Every value carries the file and line it came from.
"""

from __future__ import annotations

import posixpath
import re
from typing import ClassVar

from kubify.analyzers.base import Analysis, Detection
from kubify.analyzers.draft import Site
from kubify.analyzers.go.catalog import SERVICES
from kubify.analyzers.go.draft import GoDraft
from kubify.analyzers.go.migrations import with_migrations
from kubify.analyzers.go.modules import MAX_GO_FILES_PER_MODULE, GoIndex, Module, go_visible, normalize, tooling
from kubify.analyzers.go.program import Program, describe_program
from kubify.diagnostics import Diagnostic, info, warning
from kubify.ir import Build, Component, Dependency, EnvVar, Evidence, Run
from kubify.naming import dns_label
from kubify.scan import Inventory, join, relative_to
from kubify.signals.dotenv import read_env_example
from kubify.signals.procfile import read_procfile
from kubify.signals.versions import read_version

#: Main-package directory names that say nothing; a module's only main is named after the module.
GENERIC_MAIN_NAMES = frozenset({"main", "cmd", "src", "app", "server", "service", "bin"})
#: The generated build's base image when nothing pins a Go version.
DEFAULT_GO_IMAGE = "golang:1"
#: The oldest Go release that still gets security fixes. The ``go`` directive is a *minimum*
#: (newer toolchains build older modules), so an older one is built with this release.
SUPPORTED_GO = (1, 24)
_MAJOR_MINOR = re.compile(r"^(?:go)?(\d+)\.(\d+)")


class GoAnalyzer:
    """Go modules (go.mod, go.work) and the programs in them."""

    name: ClassVar[str] = "go"
    priority: ClassVar[int] = 50

    def detect(self, inventory: Inventory) -> list[Detection]:
        detections = []
        for rel in inventory.named("go.mod"):
            root = posixpath.dirname(rel) or "."
            if root != "." and (tooling(root) or not go_visible(root)):
                continue
            evidence = Evidence(field="language", value="go", rule="go.detect.go-mod", file=rel, line=1,
                                confidence=0.9)
            detections.append(Detection(self.name, root, 0.9, (evidence,), (("manifest", rel),)))
        if not detections and not inventory.named("go.mod"):
            legacy = [f for f in inventory.files if f.endswith(".go") and not tooling(f) and go_visible(f)]
            if legacy:
                evidence = Evidence(field="language", value="go", rule="go.detect.gopath", file=legacy[0],
                                    line=1, confidence=0.6)
                detections.append(Detection(self.name, ".", 0.6, (evidence,), (("manifest", ""),)))
        return sorted(detections, key=lambda d: d.root)

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis:
        index = GoIndex(inventory, detection.root)
        module = index.module(detection.root)
        notes: list[Diagnostic] = list(module.modfile.diagnostics if module.modfile else ())
        notes += _workspace_notes(index, module)
        if module.modfile is not None and module.modfile.module is None and not module.modfile.diagnostics:
            notes.append(warning("go.mod.no-module", "go.mod has no 'module' directive", file=module.modfile.file,
                                 line=1, hint="start go.mod with 'module example.com/name'"))
        if not index.packages(module):
            return Analysis(diagnostics=notes)  # a go.mod without Go code (a Hugo module, a stub)
        mains, truncated = _main_packages(index, module)
        if truncated:
            notes.append(info("go.scan.truncated", f"only the first {MAX_GO_FILES_PER_MODULE} Go files of the "
                              "module were read to find main packages", file=join(module.root, "go.mod")))
        base = _module_draft(inventory, module)
        if not mains:
            components = [_library(base, module)]
        else:
            names = _names(module, mains)
            context = _build_context(index, module)
            programs = [_program(index, base, module, main, name=names[main], context=context) for main in mains]
            programs = _required_services(index, module, programs)
            components = with_migrations(inventory, index, module, programs)
            components = _apply_procfile(inventory, module, components, notes)
            notes += _go_sum_notes(inventory, module)
        notes += [index.problems[rel] for rel in sorted(index.problems)]
        return Analysis(components=components, diagnostics=notes)


ANALYZER = GoAnalyzer()


# --- modules and main packages ------------------------------------------------------------

def _main_packages(index: GoIndex, module: Module) -> tuple[list[str], bool]:
    mains: list[str] = []
    read = 0
    for directory in index.packages(module):
        if tooling(relative_to(directory, module.root)) and directory != module.root:
            continue
        read += len(index.go_dirs.get(directory, []))
        if read > MAX_GO_FILES_PER_MODULE:
            return mains, True
        if index.is_main(directory):
            mains.append(directory)
    return mains, False


def _names(module: Module, mains: list[str]) -> dict[str, str]:
    """Component names: the main package's directory name (the module's name for a root main)."""
    names: dict[str, str] = {}
    for main in mains:
        base = module.name if main == module.root else posixpath.basename(main)
        if len(mains) == 1 and base in GENERIC_MAIN_NAMES:
            base = module.name
        name = dns_label(base, fallback="app")
        if name in names.values():
            name = dns_label(relative_to(main, module.root).replace("/", "-"), fallback="app")
        names[main] = name
    return names


def _workspace_notes(index: GoIndex, module: Module) -> list[Diagnostic]:
    """A go.work's own diagnostics, reported once: by the first module it uses."""
    for work, dirs in index.workspaces:
        members = sorted(d for d in dirs if d in index.module_roots)
        if members and members[0] == module.root:
            return list(work.diagnostics)
    return []


def _go_version(inventory: Inventory, module: Module) -> tuple[str | None, Evidence | None, str]:
    """language_version, its evidence, and the golang image tag for the generated build."""
    modfile = module.modfile
    directive = modfile.go if modfile else None
    if directive is None and module.workspace is not None:
        directive = module.workspace.go
        modfile = module.workspace
    if directive is not None and modfile is not None:
        evidence = Evidence(field="language_version", value=directive.text, rule="go.version.go-directive",
                            file=modfile.file, line=directive.line, confidence=0.9)
        tag = _image_tag(directive.text, modfile.toolchain.text if modfile.toolchain else None)
        return directive.text, evidence, tag
    pin = read_version(inventory, module.root, "go")
    if pin is not None:
        evidence = Evidence(field="language_version", value=pin.version, rule="go.version.pin-file",
                            file=pin.file, line=pin.line, confidence=0.9)
        return pin.version, evidence, _image_tag(pin.version, None)
    return None, None, DEFAULT_GO_IMAGE


def _image_tag(version: str, toolchain: str | None) -> str:
    """``golang:<major.minor>`` of the newest of the go directive, the toolchain line and :data:`SUPPORTED_GO`."""
    found = [m for text in (version, toolchain) if text and (m := _MAJOR_MINOR.match(text))]
    if not found:
        return DEFAULT_GO_IMAGE
    major, minor = max([(int(m.group(1)), int(m.group(2))) for m in found] + [SUPPORTED_GO])
    return f"golang:{major}.{minor}"


def _module_draft(inventory: Inventory, module: Module) -> GoDraft:
    """The fields every component of the module shares: language, version, package manager."""
    draft = GoDraft()
    line = module.modfile.module.line if module.modfile and module.modfile.module else 1
    manifest = Site(module.modfile.file, line) if module.modfile else None
    draft.set("language", "go", "go.detect.go-mod" if manifest else "go.detect.gopath", manifest, 0.9)
    version, evidence, tag = _go_version(inventory, module)
    if version is not None and evidence is not None:
        draft.values["language_version"] = version
        draft.evidence.append(evidence)
        toolchain = module.modfile.toolchain if module.modfile else None
        if toolchain is not None and module.modfile is not None:
            draft.note("language_version", toolchain.text, "go.version.toolchain",
                       Site(module.modfile.file, toolchain.line), 0.5)
    draft.image = tag
    if manifest:
        draft.set("package_manager", "go modules", "go.package-manager.go-mod", manifest, 0.9)
    else:
        for name, manager in (("Gopkg.toml", "dep"), ("glide.yaml", "glide")):
            if inventory.has(join(module.root, name)):
                # Not ``set``: with both files present, the evidence of both is kept.
                draft.values["package_manager"] = manager
                draft.note("package_manager", manager, f"go.package-manager.{manager}",
                           Site(join(module.root, name), 1), 0.7)
    for entry in read_env_example(inventory, module.root):
        draft.add_env(EnvVar(name=entry.name, default=entry.default, secret=entry.secret), "go.env.example",
                      Site(entry.file, entry.line), 0.7)
    return draft


def _library(base: GoDraft, module: Module) -> Component:
    draft = base.copy()
    manifest = Site(module.modfile.file, 1) if module.modfile else None
    draft.set("kind", "library", "go.kind.no-main-package", manifest, 0.7)
    return draft.component(dns_label(module.name), module.root)


# --- programs -----------------------------------------------------------------------------

def _build_context(index: GoIndex, module: Module) -> str:
    """The module root, unless a go.work lists the module (then the workspace root) or a local
    ``replace`` points outside it (then the directory holding both)."""
    for work, dirs in index.workspaces:
        if module.root in dirs:
            return posixpath.dirname(work.file) or "."
    context = module.root
    for replacement in module.modfile.replaces if module.modfile else ():
        target = normalize(module.root, replacement.new_path) if replacement.local else None
        if target is not None and index.inventory.has_dir(target):
            common = posixpath.commonpath([p for p in (context, target) if p != "."] or ["."])
            context = common if context != "." and target != "." and common else "."
    return context


def _program(index: GoIndex, base: GoDraft, module: Module, main: str, *, name: str,
             context: str) -> Component:
    draft = base.copy()
    program: Program = describe_program(index, main, draft)
    # Commands run in the module's directory inside the context (where go.mod is; a go.work above
    # it is found by the go tool), so the main package is named relative to the module root.
    package = "./" + relative_to(main, module.root) if main != module.root else "."
    manifest = Site(module.modfile.file, 1) if module.modfile else program.run_site
    # CGO_ENABLED is a build arg rather than a "CGO_ENABLED=0 go build" prefix: the Dockerfile
    # generator recognises the main package by a command that starts with "go build".
    build = Build(
        context=context, generated=True, base_image=draft.image,
        args={"MAIN_PACKAGE": package, "CGO_ENABLED": "1" if program.cgo else "0"},
        install=("go mod download",),
        build=(f"go build -trimpath -ldflags='-s -w' -o /out/{name} {package}",),
    )
    draft.set("build", build, "go.build.generated", manifest, 0.5, shown=f"{draft.image}: {build.build[0]}")
    if program.cgo is not None:
        draft.note("build", "cgo", "go.build.cgo-required", program.cgo, 0.5)
    rule = "go.run.serve-subcommand" if program.run_args else "go.run.binary"
    command = (f"/app/{name}", *program.run_args)
    draft.set("run", Run(command=command), rule, program.run_site, 0.6 if program.run_args else 0.5,
              shown=" ".join(command))
    return draft.component(name, module.root)


def _required_services(index: GoIndex, module: Module, components: list[Component]) -> list[Component]:
    """go.mod's direct requirements of database/broker clients, for a module with one runnable program.

    Its code may reach the client through a package the bounded import walk did not visit;
    a requirement only tests import (no non-test file of the module does) is not counted.
    """
    runnable = [c for c in components if c.kind in ("service", "worker")]
    if len(runnable) != 1 or module.modfile is None:
        return components
    target = runnable[0]
    imported = {i.path for d in index.packages(module) for f in index.files(d) for i in f.imports}
    direct = [r for r in module.modfile.requires if not r.indirect]
    have: set[str | None] = {d.service for d in target.depends_on}
    added: list[tuple[str, Evidence]] = []
    for prefix, service in SERVICES:
        requirement = next((r for r in direct if prefix == r.path or prefix.startswith(r.path + "/")
                            or r.path.startswith(prefix + "/")), None)
        used = any(path == prefix or path.startswith(prefix + "/") for path in imported)
        if requirement is None or not used or service in have:
            continue
        have.add(service)
        added.append((service, Evidence(field="depends_on", value=service, rule="go.dependency.require",
                                        file=module.modfile.file, line=requirement.line, confidence=0.7)))
    if not added:
        return components
    update = {"depends_on": tuple(sorted((*target.depends_on, *(Dependency(service=k) for k, _ in added)),
                                         key=lambda d: d.service or "")),
              "evidence": (*target.evidence, *(e for _, e in added))}
    return [c.model_copy(update=update) if c is target else c for c in components]


def _apply_procfile(inventory: Inventory, module: Module, components: list[Component],
                    notes: list[Diagnostic]) -> list[Component]:
    """A Procfile ``web:`` line is the deployer's explicit start command for the web process."""
    procfile = read_procfile(inventory, module.root)
    if procfile is None:
        return components
    notes += procfile.diagnostics
    web = procfile.get("web")
    services = [c for c in components if c.kind == "service"] or components
    if web is None or not services:
        return components
    target = services[0]
    evidence = Evidence(field="run", value=web.command, rule="go.procfile.web", file=web.file, line=web.line,
                        confidence=0.95)
    run = Run(command=(web.command,), shell=True)
    kept = tuple(e for e in target.evidence if e.field != "run")
    return [c.model_copy(update={"run": run, "evidence": (*kept, evidence)}) if c is target else c
            for c in components]


def _go_sum_notes(inventory: Inventory, module: Module) -> list[Diagnostic]:
    modfile = module.modfile
    if modfile is None or not modfile.requires or inventory.has(join(module.root, "go.sum")):
        return []
    if module.workspace is not None:
        return []
    return [warning("go.sum.missing", "go.mod requires modules but go.sum is missing; 'go build' refuses to "
                    "download them without checksums", file=modfile.file, line=modfile.requires[0].line,
                    hint="run 'go mod tidy' and commit go.sum")]
