"""What a Python root's manifests declare: name, dependencies, scripts, Python version, tools.

Reads ``pyproject.toml`` (PEP 621, Poetry, uv, PDM), ``requirements*.txt`` (with
includes), ``Pipfile``, ``setup.py`` (statically, with :mod:`ast` — never executed),
``setup.cfg`` and conda ``environment.yml`` into one :class:`Project`. Every value keeps
the file and line it was declared on. Broken files are diagnostics; the rest still counts.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass, field
from typing import Any

from kubify.analyzers.draft import Site
from kubify.analyzers.python.layout import is_dev_requirements, is_requirements_file
from kubify.analyzers.python.lines import SectionLines, find_line
from kubify.analyzers.python.requirements import Requirement, normalize, parse_requirement, read_requirements
from kubify.diagnostics import Diagnostic, FileProblem, warning
from kubify.scan import Inventory, join

#: Preferred production requirement files, best first (relative to the root).
REQUIREMENT_PREFERENCE: tuple[str, ...] = (
    "requirements.txt", "requirements/production.txt", "requirements/prod.txt", "requirements/base.txt",
    "requirements/requirements.txt", "requirements/common.txt", "requirements-prod.txt", "requirements_prod.txt",
    "requirements.prod.txt", "requirements-production.txt", "requirements.in",
)
_POETRY_BACKENDS = ("poetry.core.masonry.api", "poetry.masonry.api")


@dataclass(frozen=True)
class Script:
    """A console script: ``name = "module:function"``."""

    name: str
    target: str
    site: Site


@dataclass(frozen=True)
class Pinned:
    """A version constraint and where it was declared."""

    text: str
    site: Site


@dataclass
class Project:
    """Everything the manifests of one root declare."""

    root: str
    name: str | None = None
    dependencies: dict[str, Requirement] = field(default_factory=dict)
    scripts: list[Script] = field(default_factory=list)
    requires_python: Pinned | None = None
    poetry_python: Pinned | None = None
    pipfile_python: Pinned | None = None
    conda_python: Pinned | None = None
    build_system: Site | None = None
    metadata: Site | None = None
    tools: dict[str, Site] = field(default_factory=dict)
    requirement_file: str | None = None
    editable_self: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def has(self, *names: str) -> Requirement | None:
        """The first of ``names`` (PEP 503 normalised) the project depends on."""
        for name in names:
            found = self.dependencies.get(normalize(name))
            if found is not None:
                return found
        return None

    def unreadable(self, problem: FileProblem) -> None:
        """A manifest that cannot be read is a warning: the others still count."""
        self.diagnostics.append(problem.diagnostic.model_copy(update={"severity": "warning"}))

    def add(self, requirement: Requirement) -> None:
        known = self.dependencies.get(requirement.name)
        if known is None:
            self.dependencies[requirement.name] = requirement
        elif requirement.extras and not set(requirement.extras) <= set(known.extras):
            extras = tuple(sorted({*known.extras, *requirement.extras}))
            self.dependencies[requirement.name] = Requirement(known.name, extras, known.file, known.line, known.text)


def read_project(inventory: Inventory, root: str, manifests: tuple[str, ...]) -> Project:
    """The :class:`Project` of ``root`` from the manifests ``detect`` found there."""
    project = Project(root)
    _pyproject(inventory, project)
    _requirements(inventory, project, manifests)
    _pipfile(inventory, project)
    _setup_py(inventory, project)
    _setup_cfg(inventory, project)
    _conda(inventory, project)
    return project


# --- pyproject.toml -------------------------------------------------------------------

def _pyproject(inventory: Inventory, project: Project) -> None:
    manifest = _toml(inventory, project, "pyproject.toml")
    if manifest is None:
        return
    rel, table, lines = manifest
    meta = _dict(table.get("project"))
    tool = _dict(table.get("tool"))
    poetry = _dict(tool.get("poetry"))
    if meta:
        project.metadata = Site(rel, lines.header("project") or 1)
    _pyproject_name(project, meta, poetry)
    _pep621(project, rel, lines, meta)
    _poetry(project, rel, lines, poetry)
    build = _dict(table.get("build-system"))
    if build:
        project.build_system = Site(rel, lines.header("build-system") or 1)
        if build.get("build-backend") in _POETRY_BACKENDS:
            project.tools.setdefault("poetry", Site(rel, lines.key("build-system", "build-backend") or 1))
    for name in ("uv", "poetry", "pdm", "hatch", "aerich", "setuptools"):
        if name == "pdm" and not set(_dict(tool.get(name))) - {"build", "version"}:
            continue
        if name in tool and isinstance(tool[name], dict):
            project.tools.setdefault(name, Site(rel, lines.header(f"tool.{name}") or _first_subtable(lines, name)))


def _first_subtable(lines: SectionLines, tool: str) -> int:
    prefix = f"tool.{tool}."
    return next((n for n, h in lines.headers if h.startswith(prefix)), 1)


def _pyproject_name(project: Project, meta: dict[str, Any], poetry: dict[str, Any]) -> None:
    for source in (meta, poetry):
        name = source.get("name")
        if isinstance(name, str) and name.strip():
            project.name = name.strip()
            return


def _pep621(project: Project, rel: str, lines: SectionLines, meta: dict[str, Any]) -> None:
    start = lines.key("project", "dependencies")
    for item in _strings(meta.get("dependencies")):
        line = lines.find("project", item, after=start) or start or 1
        if (found := parse_requirement(item, rel, line)) is not None:
            project.add(found)
    requires = meta.get("requires-python")
    if isinstance(requires, str):
        project.requires_python = Pinned(requires, Site(rel, lines.key("project", "requires-python") or 1))
    scripts = _dict(meta.get("scripts"))
    for name in sorted(scripts):
        if isinstance(scripts[name], str):
            project.scripts.append(Script(name, scripts[name], Site(rel, lines.key("project.scripts", name)
                                                                   or lines.find("project", name) or 1)))


def _poetry(project: Project, rel: str, lines: SectionLines, poetry: dict[str, Any]) -> None:
    deps = _dict(poetry.get("dependencies"))
    for key in sorted(deps):
        line = lines.key("tool.poetry.dependencies", key) or 1
        if key.lower() == "python":
            if isinstance(deps[key], str):
                project.poetry_python = Pinned(deps[key], Site(rel, line))
            continue
        extras = _dict(deps[key]).get("extras")
        extra_text = f"[{','.join(_strings(extras))}]" if _strings(extras) else ""
        if (found := parse_requirement(f"{key}{extra_text}", rel, line)) is not None:
            project.add(found)
    scripts = _dict(poetry.get("scripts"))
    for name in sorted(scripts):
        value = scripts[name]
        target = value if isinstance(value, str) else _dict(value).get("callable")
        if isinstance(target, str) and not any(s.name == name for s in project.scripts):
            project.scripts.append(Script(name, target, Site(rel, lines.key("tool.poetry.scripts", name) or 1)))


# --- requirements -----------------------------------------------------------------------

def _requirements(inventory: Inventory, project: Project, manifests: tuple[str, ...]) -> None:
    files = [m for m in manifests if is_requirements_file(m)]
    production = [f for f in files if not is_dev_requirements(f)]
    chosen = _preferred(project.root, production)
    if chosen is None:
        return
    project.requirement_file = chosen
    parsed = read_requirements(inventory, chosen)
    project.diagnostics += parsed.diagnostics
    project.editable_self = parsed.editable_self
    for requirement in parsed.requirements:
        project.add(requirement)
    for other in production:
        if other != chosen and other not in parsed.includes and not other.endswith(".in"):
            for requirement in read_requirements(inventory, other).requirements:
                project.add(requirement)


def _preferred(root: str, files: list[str]) -> str | None:
    for name in REQUIREMENT_PREFERENCE:
        rel = join(root, name)
        if rel in files:
            return rel
    return sorted(files, key=lambda f: (f.count("/"), len(f), f))[0] if files else None


# --- Pipfile ----------------------------------------------------------------------------

def _pipfile(inventory: Inventory, project: Project) -> None:
    manifest = _toml(inventory, project, "Pipfile")
    if manifest is None:
        return
    rel, table, lines = manifest
    packages = _dict(table.get("packages"))
    for key in sorted(packages):
        extras = _strings(_dict(packages[key]).get("extras"))
        text = f"{key}[{','.join(extras)}]" if extras else key
        if (found := parse_requirement(text, rel, lines.key("packages", key) or 1)) is not None:
            project.add(found)
    requires = _dict(table.get("requires"))
    for key in ("python_full_version", "python_version"):
        if isinstance(requires.get(key), str):
            project.pipfile_python = Pinned(requires[key], Site(rel, lines.key("requires", key) or 1))
            break


# --- setup.py / setup.cfg ---------------------------------------------------------------

def _setup_py(inventory: Inventory, project: Project) -> None:
    rel = join(project.root, "setup.py")
    if not inventory.has(rel):
        return
    try:
        tree = ast.parse(inventory.text(rel), filename=rel)
    except FileProblem as problem:
        project.unreadable(problem)
        return
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        project.diagnostics.append(warning("python.setup-py.syntax", f"setup.py does not parse: {exc}"[:300],
                                           file=rel, line=getattr(exc, "lineno", None)))
        return
    project.build_system = project.build_system or Site(rel, 1)
    names = _module_assignments(tree)
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n.func) == "setup"), None)
    if call is None:
        return
    for keyword in call.keywords:
        value = names.get(keyword.value.id, keyword.value) if isinstance(keyword.value, ast.Name) else keyword.value
        _setup_keyword(project, rel, keyword.arg, value, keyword.lineno)


def _setup_keyword(project: Project, rel: str, key: str | None, value: ast.expr, line: int) -> None:
    if key == "name" and isinstance(value, ast.Constant) and isinstance(value.value, str) and project.name is None:
        project.name = value.value
    elif key == "install_requires" and isinstance(value, (ast.List, ast.Tuple)):
        for element in value.elts:
            if isinstance(element, ast.Constant) and isinstance(element.value, str):
                found = parse_requirement(element.value, rel, element.lineno)
                if found is not None:
                    project.add(found)
    elif key == "python_requires" and isinstance(value, ast.Constant) and isinstance(value.value, str):
        project.requires_python = project.requires_python or Pinned(value.value, Site(rel, line))
    elif key == "entry_points" and isinstance(value, ast.Dict):
        for name, scripts in zip(value.keys, value.values, strict=True):
            if isinstance(name, ast.Constant) and name.value == "console_scripts" \
                    and isinstance(scripts, (ast.List, ast.Tuple)):
                for element in scripts.elts:
                    if isinstance(element, ast.Constant) and isinstance(element.value, str):
                        _add_script(project, element.value, Site(rel, element.lineno))


def _add_script(project: Project, spec: str, site: Site) -> None:
    name, sep, target = spec.partition("=")
    if sep and name.strip() and not any(s.name == name.strip() for s in project.scripts):
        project.scripts.append(Script(name.strip(), target.strip(), site))


def _module_assignments(tree: ast.Module) -> dict[str, ast.expr]:
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found.setdefault(node.targets[0].id, node.value)
    return found


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _setup_cfg(inventory: Inventory, project: Project) -> None:
    rel = join(project.root, "setup.cfg")
    if not inventory.has(rel):
        return
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        text = inventory.text(rel)
        parser.read_string(text, source=rel)
    except FileProblem as problem:
        project.unreadable(problem)
        return
    except configparser.Error as exc:
        project.diagnostics.append(warning("python.setup-cfg.syntax", f"setup.cfg does not parse: {exc}"[:300],
                                           file=rel, line=getattr(exc, "lineno", None)))
        return
    lines = SectionLines(text, ini=True)
    if parser.has_section("metadata") or parser.has_section("options"):
        project.build_system = project.build_system or Site(rel, lines.header("metadata") or 1)
    if project.name is None and parser.has_option("metadata", "name"):
        project.name = parser.get("metadata", "name").strip() or None
    if parser.has_option("options", "install_requires"):
        start = lines.key("options", "install_requires")
        for item in parser.get("options", "install_requires").splitlines():
            line = lines.find("options", item.strip(), after=start) or start or 1
            if item.strip() and (found := parse_requirement(item.split("#")[0], rel, line)) is not None:
                project.add(found)
    if parser.has_option("options", "python_requires") and project.requires_python is None:
        project.requires_python = Pinned(parser.get("options", "python_requires").strip(),
                                         Site(rel, lines.key("options", "python_requires") or 1))
    if parser.has_option("options.entry_points", "console_scripts"):
        start = lines.key("options.entry_points", "console_scripts") or 1
        for item in parser.get("options.entry_points", "console_scripts").splitlines():
            if item.strip():
                line = lines.find("options.entry_points", item.strip(), after=start) or start
                _add_script(project, item.strip(), Site(rel, line))


# --- conda ------------------------------------------------------------------------------

def _conda(inventory: Inventory, project: Project) -> None:
    rel = next((join(project.root, n) for n in ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml")
                if inventory.has(join(project.root, n))), None)
    if rel is None:
        return
    try:
        document = inventory.yaml(rel)
        text = inventory.text(rel)
    except FileProblem as problem:
        project.unreadable(problem)
        return
    project.tools.setdefault("conda", Site(rel, 1))
    for item in _list(_dict(document).get("dependencies")):
        if isinstance(item, str):
            _conda_item(project, rel, text, item)
        elif isinstance(item, dict):
            for pip_item in _strings(item.get("pip")):
                found = parse_requirement(pip_item, rel, find_line(text, pip_item))
                if found is not None:
                    project.add(found)


def _conda_item(project: Project, rel: str, text: str, item: str) -> None:
    name = item.rsplit("::", maxsplit=1)[-1].strip()
    base = name.split("=")[0].split("<")[0].split(">")[0].split(" ")[0].strip()
    if base.lower() == "python":
        version = name[len(base):].lstrip("=<>! ").strip()
        if version:
            project.conda_python = Pinned(version, Site(rel, find_line(text, item)))
        return
    found = parse_requirement(base, rel, find_line(text, item))
    if found is not None:
        project.add(found)


# --- helpers ----------------------------------------------------------------------------

def _toml(inventory: Inventory, project: Project, name: str) -> tuple[str, dict[str, Any], SectionLines] | None:
    """The TOML manifest ``name`` in the root, its table and lines; None when absent or unreadable."""
    rel = join(project.root, name)
    if not inventory.has(rel):
        return None
    try:
        return rel, inventory.toml(rel), SectionLines(inventory.text(rel))
    except FileProblem as problem:
        project.unreadable(problem)
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in _list(value) if isinstance(v, str)]
