"""Where Go code lives in a repository: modules, workspaces, packages, main packages.

A ``go.mod`` makes its directory a module root; the module owns every package directory
below it except those under a nested module and those the Go tool ignores (``testdata``,
``_x``, ``.x``). ``go.work`` files and local ``replace`` directives map module paths to
directories, so an import can be followed to the package that implements it — how a
``cmd/api`` main package leads to the ``internal/server`` that actually listens.
"""

from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass
from functools import cached_property

from kubify.analyzers.go.facts import package_facts
from kubify.analyzers.go.gomod import ModFile, module_path, parse_modfile
from kubify.analyzers.go.records import PackageFacts
from kubify.analyzers.go.source import GoFile, parse_go
from kubify.diagnostics import Diagnostic, FileProblem
from kubify.scan import Inventory, join, parent, relative_to

#: Directory names whose main packages are tooling, samples or tests — never components.
NOT_COMPONENT_DIRS: frozenset[str] = frozenset({
    "tools", "tool", "hack", "scripts", "script", "examples", "example", "_examples", "test", "tests", "testing",
    "e2e", "integration", "testdata", "testutil", "docs", "benchmarks", "benchmark", "mocks", "fixtures", "demo",
    "demos", "sample", "samples", "playground", "gen", "codegen", "generator", "generators",
})
#: How many packages (a main and what it imports) one component's scan may read.
MAX_CLOSURE = 64
#: Go files read per module when looking for main packages (a huge module still ends).
MAX_GO_FILES_PER_MODULE = 6000


@dataclass(frozen=True)
class Module:
    root: str
    path: str
    modfile: ModFile | None
    workspace: ModFile | None

    @property
    def name(self) -> str:
        """The last element of the module path, without a ``/vN`` major-version suffix."""
        parts = [p for p in self.path.split("/") if p]
        if len(parts) > 1 and parts[-1][:1] == "v" and parts[-1][1:].isdigit():
            parts.pop()
        return parts[-1] if parts else "app"


def go_visible(relative: str) -> bool:
    """False for directories the Go tool skips (``testdata``, ``_hidden``, ``.hidden``)."""
    return not any(part.startswith((".", "_")) or part == "testdata" for part in relative.split("/") if part != ".")


def tooling(relative: str) -> bool:
    """True below directories of tools, examples and tests (``hack/``, ``examples/``, ``test/``)."""
    return any(part in NOT_COMPONENT_DIRS for part in relative.split("/"))


def normalize(base: str, relative: str) -> str | None:
    """``base``/``relative`` as a repository path, or None if it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(base, relative))
    if joined == ".." or joined.startswith(("../", "/")):
        return None
    return joined


class GoIndex:
    """The Go view of one inventory: parsed manifests, package files and facts, all cached."""

    def __init__(self, inventory: Inventory, focus: str = ".") -> None:
        self.inventory = inventory
        #: The module being analyzed: its local ``replace`` directives map imports to directories.
        self.focus = focus
        self._modfiles: dict[str, ModFile] = {}
        self._files: dict[str, list[GoFile]] = {}
        self._facts: dict[str, PackageFacts] = {}
        self._packages: dict[str, list[str]] = {}
        self.problems: dict[str, Diagnostic] = {}

    @cached_property
    def go_dirs(self) -> dict[str, list[str]]:
        """Directory → its non-test ``.go`` files, for every directory that has some."""
        found: dict[str, list[str]] = {}
        for rel in self.inventory.files:
            name = posixpath.basename(rel)
            if name.endswith(".go") and not name.endswith("_test.go") and not name.startswith((".", "_")):
                found.setdefault(parent(rel), []).append(rel)
        return found

    @cached_property
    def module_roots(self) -> list[str]:
        return sorted(parent(rel) for rel in self.inventory.named("go.mod"))

    def modfile(self, rel: str) -> ModFile:
        if rel not in self._modfiles:
            try:
                self._modfiles[rel] = parse_modfile(self.inventory.text(rel), rel)
            except FileProblem as problem:
                self._modfiles[rel] = ModFile(file=rel, diagnostics=(problem.diagnostic,))
        return self._modfiles[rel]

    @cached_property
    def workspaces(self) -> list[tuple[ModFile, list[str]]]:
        """Each go.work with the module directories its ``use`` directives name."""
        found = []
        for rel in self.inventory.named("go.work"):
            work = self.modfile(rel)
            dirs = [d for use in work.uses if (d := normalize(parent(rel), use.text)) is not None]
            found.append((work, dirs))
        return found

    def module(self, root: str) -> Module:
        """The module rooted at ``root`` (a pseudo-module named after the directory if it has no go.mod)."""
        rel = join(root, "go.mod")
        modfile = self.modfile(rel) if self.inventory.has(rel) else None
        path = modfile.module.text if modfile and modfile.module else posixpath.basename(
            root if root != "." else self.inventory.name)
        workspace = next((work for work, dirs in self.workspaces if root in dirs), None)
        return Module(root, path, modfile, workspace)

    @cached_property
    def module_paths(self) -> dict[str, str]:
        """Module path → directory, from every go.mod and the focus module's local ``replace`` lines."""
        paths: dict[str, str] = {}
        for root in self.module_roots:
            try:
                path = module_path(self.inventory.text(join(root, "go.mod")))
            except FileProblem:
                continue
            if path:
                paths.setdefault(path, root)
        focus = join(self.focus, "go.mod")
        for replacement in self.modfile(focus).replaces if self.inventory.has(focus) else ():
            target = normalize(self.focus, replacement.new_path) if replacement.local else None
            if target is not None and target in self.module_roots:
                paths[replacement.old_path] = target
        return paths

    @cached_property
    def _root_set(self) -> frozenset[str]:
        return frozenset(self.module_roots)

    @cached_property
    def _path_heads(self) -> frozenset[str]:
        """First elements of the repository's module paths: an import starting otherwise is not ours."""
        return frozenset(p.split("/", 1)[0] for p in self.module_paths)

    def owner(self, directory: str) -> str | None:
        """The module root that owns ``directory`` (the nearest go.mod above it)."""
        head = directory
        roots = self._root_set
        while True:
            if head in roots:
                return head
            if head == ".":
                return None
            head = parent(head)

    def packages(self, module: Module) -> list[str]:
        """Package directories of ``module`` (not nested modules', not ignored by Go), sorted."""
        if module.root not in self._packages:
            result = []
            for directory in sorted(self.go_dirs):
                owner = self.owner(directory) if self.module_roots else "."
                if owner == module.root and (directory == module.root
                                             or go_visible(relative_to(directory, module.root))):
                    result.append(directory)
            self._packages[module.root] = result
        return self._packages[module.root]

    def files(self, directory: str) -> list[GoFile]:
        """Parsed non-test files of a package directory; unreadable files become problems."""
        if directory not in self._files:
            parsed = []
            for rel in self.go_dirs.get(directory, []):
                try:
                    go = parse_go(self.inventory.text(rel), rel)
                except FileProblem as problem:
                    self.problems[rel] = problem.diagnostic
                    continue
                if go is not None:
                    parsed.append(go)
            self._files[directory] = parsed
        return self._files[directory]

    def is_main(self, directory: str) -> bool:
        """A ``package main`` with a ``func main()``: something ``go build`` makes a binary of."""
        return any(f.has_main and f.package == "main" for f in self.files(directory))

    def facts(self, directory: str) -> PackageFacts:
        if directory not in self._facts:
            self._facts[directory] = package_facts(directory, self.files(directory))
        return self._facts[directory]

    def resolve_import(self, import_path: str) -> str | None:
        """The directory implementing ``import_path``, if it is in this repository."""
        if import_path.split("/", 1)[0] not in self._path_heads:
            return None
        best = max((p for p in self.module_paths if import_path == p or import_path.startswith(p + "/")),
                   key=len, default=None)
        if best is None:
            return None
        directory = join(self.module_paths[best], import_path[len(best):].strip("/"))
        return directory if directory in self.go_dirs else None

    def closure(self, directory: str) -> list[str]:
        """``directory`` and the repository packages it imports, breadth first, bounded."""
        order = [directory]
        queue = deque([directory])
        while queue and len(order) < MAX_CLOSURE:
            current = queue.popleft()
            for go in self.files(current):
                for imported in go.imports:
                    target = self.resolve_import(imported.path)
                    if target is not None and target not in order and len(order) < MAX_CLOSURE:
                        order.append(target)
                        queue.append(target)
        return order
