"""Monorepos: which package.json files belong to which workspace, and who depends on whom.

npm, Yarn and Bun list members in the root manifest's ``workspaces`` (an array or
``{"packages": [...]}``), pnpm in ``pnpm-workspace.yaml``, Lerna in ``lerna.json``; Turborepo
and Nx ride on top of those. A member shares the workspace root's lockfile, install and
build context, and a member other members depend on is a library, not a deployable.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kubify.analyzers.node.package_json import PackageJson, load
from kubify.diagnostics import Diagnostic, FileProblem
from kubify.scan import Inventory, join, parent

#: Directory names whose package.json files are test data, never components.
TEST_DIRS = frozenset({"test", "tests", "__tests__", "fixtures", "__fixtures__", "__mocks__", "testdata",
                       "test-fixtures", "e2e", "cypress", "playwright", "spec", "__snapshots__"})
#: Directory names holding samples; skipped unless a workspace lists them as members.
SAMPLE_DIRS = frozenset({"examples", "example", "samples", "sample", "demos", "demo", "templates", "template",
                         "boilerplates", "starters", "playground", "playgrounds", "benchmarks", "benchmark"})
#: Monorepo task runners that build members in dependency order.
TASK_RUNNERS: tuple[tuple[str, str], ...] = (("turbo.json", "turbo"), ("nx.json", "nx"), ("lerna.json", "lerna"))


@dataclass(frozen=True)
class Workspace:
    """A workspace root and the member directories it declares."""

    root: str
    file: str
    line: int
    tool: str
    members: tuple[str, ...]
    runner: str | None = None


@dataclass
class NodeIndex:
    """Every package.json of the repository, parsed once per analysis, and the workspaces over them."""

    inventory: Inventory
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Facts derived once per repository and reused by every package's analysis (library summaries).
    memo: dict[str, Any] = field(default_factory=dict)
    _packages: dict[str, PackageJson | None] = field(default_factory=dict)

    @cached_property
    def manifests(self) -> list[str]:
        """Directories holding a package.json that may be a component (test data excluded)."""
        dirs = [parent(rel) for rel in self.inventory.named("package.json")]
        return sorted(d for d in dirs if not tooling_dir(d))

    def package(self, directory: str) -> PackageJson | None:
        """The parsed package.json of ``directory`` (None when absent or broken; the reason is noted)."""
        if directory not in self._packages:
            rel = join(directory, "package.json")
            if not self.inventory.has(rel):
                self._packages[directory] = None
            else:
                package, notes = load(self.inventory, rel)
                self._packages[directory] = package
                self.diagnostics += notes
        return self._packages[directory]

    @cached_property
    def workspaces(self) -> list[Workspace]:
        found = [w for d in self.manifests if (w := self._workspace_at(d)) is not None]
        return sorted(found, key=lambda w: w.root)

    def workspace_of(self, directory: str) -> Workspace | None:
        """The workspace ``directory`` is a member of (the nearest enclosing one wins)."""
        owners = [w for w in self.workspaces if directory in w.members]
        return max(owners, key=lambda w: len(w.root)) if owners else None

    def workspace_rooted_at(self, directory: str) -> Workspace | None:
        return next((w for w in self.workspaces if w.root == directory), None)

    def candidate(self, directory: str) -> bool:
        """Sample directories count only when a workspace lists them."""
        return not _in_dirs(directory, SAMPLE_DIRS) or self.workspace_of(directory) is not None

    def dependents(self, directory: str) -> list[str]:
        """Member directories of the same workspace whose manifests depend on this package."""
        workspace = self.workspace_of(directory)
        package = self.package(directory)
        if workspace is None or package is None or package.name is None:
            return []
        users = []
        for member in workspace.members:
            other = self.package(member)
            if member != directory and other is not None and package.name in other.all_dependencies():
                users.append(member)
        return users

    def nearest_dependencies(self, directory: str, limit: int) -> list[str]:
        """Up to ``limit`` member directories this member depends on, nearest first (breadth-first)."""
        seen, frontier = {directory}, [directory]
        order: list[str] = []
        while frontier and len(order) < limit:
            following = []
            for current in frontier:
                for member in self._direct(current):
                    if member not in seen:
                        seen.add(member)
                        order.append(member)
                        following.append(member)
            frontier = following
        return order[:limit]

    def _direct(self, directory: str) -> list[str]:
        workspace = self.workspace_of(directory)
        package = self.package(directory)
        if workspace is None or package is None:
            return []
        names = self.member_names(workspace)
        return [names[n] for n in sorted(package.all_dependencies()) if n in names]

    def member_names(self, workspace: Workspace) -> dict[str, str]:
        """Package name → member directory of a workspace."""
        key = f"names:{workspace.root}"
        if key not in self.memo:
            self.memo[key] = {p.name: m for m in workspace.members if (p := self.package(m)) is not None and p.name}
        names: dict[str, str] = self.memo[key]
        return names

    def internal_dependencies(self, directory: str) -> list[str]:
        """Member directories this member depends on, dependencies before dependents (for builds)."""
        order: list[str] = []
        self._visit(directory, order, set())
        return [d for d in order if d != directory]

    def _visit(self, directory: str, order: list[str], seen: set[str]) -> None:
        if directory in seen:
            return
        seen.add(directory)
        for member in self._direct(directory):
            self._visit(member, order, seen)
        order.append(directory)

    def _workspace_at(self, directory: str) -> Workspace | None:
        package = self.package(directory)
        patterns, file, line, tool = self._declared(directory, package)
        if patterns is None:
            return None
        members = _expand(directory, patterns, self.manifests)
        runner = next((name for f, name in TASK_RUNNERS if self.inventory.has(join(directory, f))), None)
        return Workspace(directory, file, line, tool, members, runner)

    def _declared(self, directory: str, package: PackageJson | None) -> tuple[list[str] | None, str, int, str]:
        pnpm = join(directory, "pnpm-workspace.yaml")
        if self.inventory.has(pnpm):
            globs = _strings(self._yaml(pnpm).get("packages"))
            return globs, pnpm, 1, "pnpm"
        if package is not None:
            declared = package.data.get("workspaces")
            globs = _strings(declared.get("packages") if isinstance(declared, dict) else declared)
            if globs:
                return globs, package.file, package.line("workspaces"), "workspaces"
        lerna = join(directory, "lerna.json")
        if self.inventory.has(lerna):
            data = self._json(lerna)
            return _strings(data.get("packages")) or ["packages/*"], lerna, 1, "lerna"
        return None, "", 1, ""

    def _yaml(self, rel: str) -> dict[str, Any]:
        try:
            data = self.inventory.yaml(rel)
        except FileProblem as problem:
            self.diagnostics.append(problem.diagnostic.model_copy(update={"severity": "warning"}))
            return {}
        return data if isinstance(data, dict) else {}

    def _json(self, rel: str) -> dict[str, Any]:
        try:
            data = self.inventory.json(rel)
        except FileProblem as problem:
            self.diagnostics.append(problem.diagnostic.model_copy(update={"severity": "warning"}))
            return {}
        return data if isinstance(data, dict) else {}


_INDEXES: dict[int, NodeIndex] = {}


def index_for(inventory: Inventory) -> NodeIndex:
    """The repository's index, shared by ``detect`` and every ``analyze`` of one inventory.

    Analyses run one package at a time; sharing the parsed manifests and library summaries
    keeps a 200-package monorepo linear instead of quadratic. The entry goes with the inventory.
    """
    key = id(inventory)
    index = _INDEXES.get(key)
    if index is None or index.inventory is not inventory:
        index = NodeIndex(inventory)
        _INDEXES[key] = index
        weakref.finalize(inventory, _INDEXES.pop, key, None)
    return index


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _expand(root: str, patterns: list[str], directories: list[str]) -> tuple[str, ...]:
    """Member directories: those matched by a pattern and by no ``!negation``."""
    include = [_pattern(p) for p in patterns if not p.startswith("!")]
    exclude = [_pattern(p[1:]) for p in patterns if p.startswith("!")]
    members = []
    for directory in directories:
        if directory == root:
            continue
        local = directory if root == "." else directory[len(root) + 1:] if directory.startswith(root + "/") else None
        if local is None:
            continue
        if any(p.fullmatch(local) for p in include) and not any(p.fullmatch(local) for p in exclude):
            members.append(directory)
    return tuple(sorted(members))


def _pattern(glob: str) -> re.Pattern[str]:
    """A workspace glob as a regex: ``*`` stays in one segment, ``**`` crosses them."""
    glob = glob.strip().removeprefix("./").rstrip("/")
    glob = glob.removesuffix("/package.json")
    out = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif glob[index] == "*":
            out.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(glob[index]))
            index += 1
    return re.compile("".join(out))


def _in_dirs(directory: str, names: frozenset[str]) -> bool:
    return directory != "." and any(part.lower() in names for part in directory.split("/"))


def tooling_dir(directory: str) -> bool:
    """Test data, end-to-end suites and hidden tool directories: never a component."""
    return _in_dirs(directory, TEST_DIRS) or _e2e(directory) or _hidden(directory)


def _hidden(directory: str) -> bool:
    """``.github/actions/x``, ``.devcontainer``: tooling, never an app."""
    return any(part.startswith(".") for part in directory.split("/") if part != ".")


def _e2e(directory: str) -> bool:
    """``web-e2e``, ``e2e-tests``, ``integration-tests``: test suites shaped like packages."""
    return any(_TEST_SUITE.search(part.lower()) for part in directory.split("/"))


_TEST_SUITE = re.compile(r"(?:^|[-_.])(?:e2e|tests?|specs?)(?:$|[-_.])")
