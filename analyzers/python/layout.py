"""Where Python components live: component roots, and which files each root owns.

A root is a directory with a Python manifest (``pyproject.toml`` with project metadata,
``requirements*.txt`` — misspellings and UTF-16 files included —, ``setup.py``,
``Pipfile``, a lock file, ``manage.py``, ``environment.yml``), or, failing that, a
directory of ``.py`` files whose main file has an ``if __name__ == "__main__"`` block or
builds a web app. Nested roots are separate components (``services/api/pyproject.toml``
in a monorepo) unless they sit inside a Python package of the enclosing root; test,
documentation and example trees never become components of their own.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property

from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join, parent, relative_to

#: Manifests that make their directory a Python root by themselves.
STRONG_FILES: frozenset[str] = frozenset({
    "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock",
    "manage.py", "environment.yml", "environment.yaml", "conda.yml", "conda.yaml",
})
#: Misspelled requirement files that pip users really commit (Heroku's list).
MISSPELLED_REQUIREMENTS: frozenset[str] = frozenset({
    "requirement.txt", "requirments.txt", "requeriments.txt", "requirements.text", "requirements.txt.txt",
    "requirements", "requirement", "requirements.pip",
})
#: Files that only hint at Python (a root needs ``.py`` files next to them).
WEAK_FILES: frozenset[str] = frozenset({".python-version", "runtime.txt"})
#: Directory names that never hold a component: tests, docs, CI.
NEVER_ROOT_DIRS: frozenset[str] = frozenset({
    "tests", "test", "testing", "docs", "doc", "documentation", "fixtures", "testdata", "test_data", "e2e",
    "benchmarks", "benchmark", "site-packages", "dist", "build", "__pycache__", "migrations",
})
#: Directories whose projects are samples or tooling: roots only when nothing else is.
SECONDARY_DIRS: frozenset[str] = frozenset({
    "examples", "example", "samples", "sample", "demo", "demos", "tutorial", "tutorials", "cookbook",
    "playground", "sandbox", "scripts", "script", "tools", "tool", "hack", "ci", "contrib", "templates",
    "template", "bin",
})
#: Directories that hold only packaging files (a Dockerfile and the requirements it installs).
PACKAGING_DIRS: frozenset[str] = frozenset({
    "docker", "deploy", "deployment", "dockerfiles", "config", "conf", "reqs", "deps", "dependencies", "env", "envs",
    "environments", "pip", "container", "containers",
})
#: Main-file names a manifest-less directory of scripts is recognised by.
MAIN_FILES: tuple[str, ...] = ("main.py", "app.py", "server.py", "bot.py", "run.py", "start.py", "hello.py",
                               "streamlit_app.py", "application.py", "wsgi.py", "asgi.py", "api.py")
#: Manifests of other ecosystems: a repo with them and only sample Python is not a Python project.
OTHER_MANIFESTS: frozenset[str] = frozenset({"package.json", "go.mod", "Cargo.toml", "pom.xml", "build.gradle",
                                              "build.gradle.kts", "Gemfile", "composer.json", "mix.exs"})
_REQUIREMENTS = re.compile(r"^(?:[\w.-]*[-_.])?requirements?(?:[-_.][\w.-]+)?\.(?:txt|in)$", re.IGNORECASE)
_DEV_REQUIREMENTS = re.compile(r"(?:^|[-_./])(dev|develop|development|test|tests|testing|lint|linting|doc|docs|"
                               r"ci|tox|typing|mypy|local|style|format|debug|bench|benchmark)(?:[-_./]|$)",
                               re.IGNORECASE)
_PROJECT_TABLES = ("project", "build-system")
_PROJECT_TOOLS = ("poetry", "uv", "pdm", "setuptools", "hatch", "flit", "pixi")
_MAIN_SIGNS = re.compile(r"__name__\s*==\s*['\"]__main__['\"]|\b(?:FastAPI|Flask|Quart|Sanic|Litestar)\s*\(|"
                         r"^\s*(?:import|from)\s+(?:streamlit|gradio)\b", re.MULTILINE)
#: How many files detect() may read to recognise manifest-less script directories.
MAX_PROBES = 24


def is_requirements_file(rel: str) -> bool:
    """True for ``requirements.txt``, ``requirements-prod.txt``, ``requirements/base.txt``, misspellings."""
    name = posixpath.basename(rel)
    if name in MISSPELLED_REQUIREMENTS or name.lower() in MISSPELLED_REQUIREMENTS or _REQUIREMENTS.match(name):
        return True
    return posixpath.basename(parent(rel)) == "requirements" and name.endswith((".txt", ".in"))


def is_dev_requirements(rel: str) -> bool:
    """True for requirement files of development, tests, docs or linting (not what production runs)."""
    return bool(_DEV_REQUIREMENTS.search(posixpath.basename(rel).rsplit(".", 1)[0]))


def requirement_root(rel: str) -> str:
    """The component root of a requirements file: its directory, or the parent of ``requirements/``."""
    folder = parent(rel)
    return parent(folder) if posixpath.basename(folder) == "requirements" else folder


@dataclass(frozen=True)
class Root:
    """One Python component root and the manifests that made it one."""

    path: str
    manifests: tuple[str, ...]
    strong: bool


class Layout:
    """The Python roots of a repository and the ``.py`` files each of them owns."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    @cached_property
    def roots(self) -> list[Root]:
        candidates = self._manifest_candidates()
        strong = {path: files for path, files in candidates.items() if self._is_project(path, files)}
        roots = self._resolve_nesting(strong)
        roots = self._drop_umbrellas(roots)
        if not roots:
            roots = self._script_roots(candidates)
        return [Root(path, tuple(sorted(roots[path][0])), roots[path][1]) for path in sorted(roots)]

    @cached_property
    def python_files(self) -> list[str]:
        return [f for f in self.inventory.files if f.endswith(".py")]

    def nested(self, root: str) -> list[str]:
        return [r.path for r in self.roots if r.path != root and _inside(r.path, root)]

    # --- manifests --------------------------------------------------------------------

    def _manifest_candidates(self) -> dict[str, set[str]]:
        candidates: dict[str, set[str]] = {}
        for rel in self.inventory.files:
            name = posixpath.basename(rel)
            if name in STRONG_FILES or name in WEAK_FILES:
                candidates.setdefault(parent(rel), set()).add(rel)
            elif is_requirements_file(rel):
                candidates.setdefault(self._packaging_parent(requirement_root(rel)), set()).add(rel)
        return {path: files for path, files in candidates.items() if _may_be_root(path)}

    def _packaging_parent(self, folder: str) -> str:
        """``docker/requirements.txt`` next to the code it installs belongs to the code's directory."""
        if folder == "." or posixpath.basename(folder) not in PACKAGING_DIRS or self._has_own_python(folder):
            return folder
        return parent(folder)

    def _is_project(self, path: str, files: set[str]) -> bool:
        """A directory is a project when one of its manifests really describes Python code to install or run."""
        for rel in sorted(files):
            name = posixpath.basename(rel)
            if name in WEAK_FILES:
                continue
            if name == "pyproject.toml":
                if self._pyproject_is_project(rel):
                    return True
            elif name == "setup.cfg":
                if self._setup_cfg_is_project(rel):
                    return True
            elif is_requirements_file(rel):
                if not is_dev_requirements(rel) or self._has_own_python(path):
                    return True
            else:
                return True
        return any(posixpath.basename(f) in WEAK_FILES for f in files) and self._has_direct_python(path)

    def _pyproject_is_project(self, rel: str) -> bool:
        try:
            table = self.inventory.toml(rel)
        except FileProblem:
            return True
        tool = table.get("tool")
        tools = tool if isinstance(tool, dict) else {}
        return any(key in table for key in _PROJECT_TABLES) or any(key in tools for key in _PROJECT_TOOLS)

    def _setup_cfg_is_project(self, rel: str) -> bool:
        try:
            text = self.inventory.text(rel)
        except FileProblem:
            return False
        return bool(re.search(r"^\s*\[(metadata|options)\]", text, re.MULTILINE))

    def _has_own_python(self, path: str) -> bool:
        return any(_inside(f, path) for f in self.python_files)

    def _has_direct_python(self, path: str) -> bool:
        return any(parent(f) == path for f in self.python_files)

    # --- nesting ----------------------------------------------------------------------

    def _resolve_nesting(self, strong: dict[str, set[str]]) -> dict[str, tuple[set[str], bool]]:
        """Fold a nested candidate into its ancestor when it is a package of it or only a ``manage.py``."""
        roots: dict[str, tuple[set[str], bool]] = {}
        for path in sorted(strong, key=_depth_order):
            ancestor = _nearest(path, roots)
            if ancestor is not None and (self._inside_package(path, ancestor) or _only_manage(strong[path])):
                roots[ancestor][0].update(strong[path])
                continue
            roots[path] = (set(strong[path]), True)
        primary = {p: v for p, v in roots.items() if not _secondary(p)}
        if primary or self._other_ecosystem():
            return primary
        return roots

    def _inside_package(self, path: str, ancestor: str) -> bool:
        """True when ``path`` or a directory between it and ``ancestor`` is a Python package."""
        current = path
        while current not in (ancestor, "."):
            if self.inventory.has(join(current, "__init__.py")):
                return True
            current = parent(current)
        return False

    def _drop_umbrellas(self, roots: dict[str, tuple[set[str], bool]]) -> dict[str, tuple[set[str], bool]]:
        """Manifests without Python code are not components: a monorepo's top-level manifest (a uv workspace
        root), or a ``requirements.txt`` that only installs tooling (mkdocs) for a repository in another language."""
        kept = {}
        for path, value in roots.items():
            nested = [p for p in roots if p != path and _inside(p, path)]
            if not any(_inside(f, path) and not any(_inside(f, n) for n in nested) for f in self.python_files):
                continue
            if _only_requirements(value[0]) and not self._owns_code(path, nested):
                continue  # requirements.txt for tooling, Python only under scripts/ or docs/
            if nested and not self._owns_code(path, nested) and not _has_entry_manifest(value[0]):
                continue
            kept[path] = value
        return kept

    def _owns_code(self, path: str, nested: list[str]) -> bool:
        for rel in self.python_files:
            if _inside(rel, path) and not any(_inside(rel, n) for n in nested):
                local = relative_to(rel, path)
                if not any(part in NEVER_ROOT_DIRS or part in SECONDARY_DIRS for part in local.split("/")[:-1]) \
                        and posixpath.basename(rel) not in ("setup.py", "noxfile.py", "conftest.py"):
                    return True
        return False

    def _other_ecosystem(self) -> bool:
        return any(posixpath.basename(f) in OTHER_MANIFESTS and not _secondary(parent(f)) and _may_be_root(parent(f))
                   for f in self.inventory.files)

    # --- manifest-less script directories ---------------------------------------------

    def _script_roots(self, candidates: dict[str, set[str]]) -> dict[str, tuple[set[str], bool]]:
        roots: dict[str, tuple[set[str], bool]] = {}
        probes = 0
        directories = sorted({parent(f) for f in self.python_files}, key=_depth_order)
        for directory in directories:
            if probes >= MAX_PROBES:
                break
            if not _may_be_root(directory) or _secondary(directory) or _nearest(directory, roots) is not None:
                continue
            if self.inventory.has(join(directory, "__init__.py")):
                continue
            for name in MAIN_FILES:
                rel = join(directory, name)
                if not self.inventory.has(rel):
                    continue
                probes += 1
                if _looks_like_main(self.inventory, rel):
                    roots[directory] = ({rel, *candidates.get(directory, set())}, False)
                    break
        return roots


def _looks_like_main(inventory: Inventory, rel: str) -> bool:
    try:
        return bool(_MAIN_SIGNS.search(inventory.text(rel)[:200_000]))
    except FileProblem:
        return False


def _inside(rel: str, root: str) -> bool:
    return root in (".", rel) or rel.startswith(root + "/")


def _depth_order(path: str) -> tuple[int, str]:
    """Shallow directories first, the root before everything."""
    return (path.count("/") if path != "." else -1, path)


def _nearest(path: str, roots: dict[str, tuple[set[str], bool]]) -> str | None:
    current = path
    while current != ".":
        current = parent(current)
        if current in roots:
            return current
    return None


def _may_be_root(path: str) -> bool:
    parts = [] if path == "." else path.split("/")
    return not any(p in NEVER_ROOT_DIRS or (p.startswith(".") and p != ".") for p in parts)


def _secondary(path: str) -> bool:
    return path != "." and any(p in SECONDARY_DIRS for p in path.split("/"))


def _only_manage(files: set[str]) -> bool:
    return {posixpath.basename(f) for f in files} <= {"manage.py", *WEAK_FILES}


def _only_requirements(files: set[str]) -> bool:
    return all(is_requirements_file(f) or posixpath.basename(f) in WEAK_FILES for f in files)


def _has_entry_manifest(files: set[str]) -> bool:
    return any(posixpath.basename(f) in ("manage.py", "Procfile") for f in files)
