"""Package manager, Python version and the generated image recipe of a Python component.

Lock files decide the manager (``uv.lock`` → uv, ``poetry.lock`` → Poetry, ``pdm.lock`` →
PDM, ``Pipfile`` → pipenv), then tool tables, then requirement files, then plain
``pyproject.toml``/``setup.py`` (``pip install .``), then conda. Installs are lockfile-aware
and production-only, into the virtualenv the image activates (``VIRTUAL_ENV``); services run from
their source tree, so the project itself is installed only for CLIs (whose console scripts need it).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.manifests import Project
from kubify.analyzers.python.pyversion import DEFAULT_MINOR, choose_minor, exact_minor, is_end_of_life
from kubify.diagnostics import Diagnostic, FileProblem, warning
from kubify.ir import Build
from kubify.scan import Inventory, join, parent
from kubify.signals.versions import read_version

#: Image for conda environments (pinned: reproducible builds).
CONDA_IMAGE = "condaforge/miniforge3:24.9.2-0"


@dataclass(frozen=True)
class Manager:
    """The package manager, why, and how to install production dependencies with it."""

    name: str
    site: Site | None
    rule: str
    confidence: float
    install: tuple[str, ...]
    context: str


def choose_manager(inventory: Inventory, root: str, project: Project, kind: str) -> Manager:
    installs_project = kind in ("cli", "library")
    workspace = _uv_workspace(inventory, root)
    if inventory.has(join(root, "uv.lock")) or workspace is not None:
        lock = join(workspace or root, "uv.lock")
        member = f" --package {project.name}" if workspace is not None and project.name else ""
        bootstrap, sync = _install("uv", locked=True, installs_project=installs_project or bool(member))
        return Manager("uv", Site(lock, 1), "python.package-manager.uv-lock", 0.9, (bootstrap, sync + member),
                       workspace or root)
    for lock, name in (("poetry.lock", "poetry"), ("pdm.lock", "pdm"), ("Pipfile.lock", "pipenv")):
        if inventory.has(join(root, lock)):
            return Manager(name, Site(join(root, lock), 1), f"python.package-manager.{name}-lock", 0.9,
                           _install(name, locked=True, installs_project=installs_project), root)
    if inventory.has(join(root, "Pipfile")):
        return Manager("pipenv", Site(join(root, "Pipfile"), 1), "python.package-manager.pipfile", 0.8,
                       _install("pipenv", locked=False, installs_project=installs_project), root)
    if project.requirement_file is not None:
        local = posixpath.relpath(project.requirement_file, root) if root != "." else project.requirement_file
        requirements: tuple[str, ...] = (f"pip install --no-cache-dir -r {local}",)
        if installs_project and (project.build_system is not None) and not project.editable_self:
            requirements += ("pip install --no-cache-dir --no-deps .",)
        return Manager("pip", Site(project.requirement_file, 1), "python.package-manager.requirements", 0.8,
                       requirements, root)
    for tool in ("poetry", "uv", "pdm"):
        if tool in project.tools:
            return Manager(tool, project.tools[tool], f"python.package-manager.tool-{tool}", 0.7,
                           _install(tool, locked=False, installs_project=installs_project), root)
    if project.build_system is not None or project.metadata is not None:
        return Manager("pip", project.build_system or project.metadata, "python.package-manager.pip-install-project",
                       0.6, ("pip install --no-cache-dir .",), root)
    if "conda" in project.tools:
        conda = project.tools["conda"]
        return Manager("conda", conda, "python.package-manager.conda", 0.8,
                       (f"conda env update --name base --file {posixpath.basename(conda.file)}",
                        "conda clean --all --yes"), root)
    return Manager("pip", None, "python.package-manager.default", 0.3, (), root)


def _install(manager: str, *, locked: bool, installs_project: bool) -> tuple[str, ...]:
    """Production-only installs into the active virtualenv; the project itself only when its scripts are needed."""
    bootstrap = f"pip install --no-cache-dir {manager}"
    if manager == "poetry":
        return (bootstrap, f"poetry install --only main{'' if installs_project else ' --no-root'} --no-interaction")
    if manager == "pdm":
        frozen = " --frozen-lockfile" if locked else ""
        return (bootstrap, f"pdm install --prod{frozen}{' --no-editable' if installs_project else ' --no-self'}")
    if manager == "uv":
        frozen = " --frozen" if locked else ""
        return (bootstrap, f"uv sync{frozen} --no-dev{'' if installs_project else ' --no-install-project'}")
    return (bootstrap, "pipenv install --deploy" if locked else "pipenv install --skip-lock")


def _uv_workspace(inventory: Inventory, root: str) -> str | None:
    """The uv workspace root above ``root`` whose ``uv.lock`` covers it, if any."""
    current = root
    while current != ".":
        current = parent(current)
        pyproject = join(current, "pyproject.toml")
        if inventory.has(join(current, "uv.lock")) and inventory.has(pyproject):
            try:
                tool = inventory.toml(pyproject).get("tool")
            except FileProblem:
                return None
            uv = tool.get("uv") if isinstance(tool, dict) else None
            return current if isinstance(uv, dict) and "workspace" in uv else None
    return None


@dataclass(frozen=True)
class PythonVersion:
    minor: str
    site: Site | None
    rule: str
    confidence: float
    shown: str


def choose_version(inventory: Inventory, root: str, project: Project) -> PythonVersion | None:
    """The Python minor: pin files first, then Pipfile, conda, requires-python, Poetry's python."""
    pin = read_version(inventory, root, "python")
    if pin is not None and (minor := exact_minor(pin.version)) is not None:
        return PythonVersion(minor, Site(pin.file, pin.line), "python.version.pin-file", 0.9, pin.version)
    for pinned, rule in ((project.pipfile_python, "python.version.pipfile"),
                         (project.conda_python, "python.version.conda")):
        if pinned is not None and (minor := exact_minor(pinned.text)) is not None:
            return PythonVersion(minor, pinned.site, rule, 0.9, pinned.text)
    for pinned, rule in ((project.requires_python, "python.version.requires-python"),
                         (project.poetry_python, "python.version.poetry")):
        if pinned is None:
            continue
        choice = choose_minor(pinned.text)
        if choice is not None:
            confidence = 0.9 if "allows only" in choice.reason else 0.7
            return PythonVersion(choice.version, pinned.site, rule, confidence, f"{choice.version} ({choice.reason})")
    return None


def add_build(draft: Draft, inventory: Inventory, root: str, project: Project, kind: str) -> list[Diagnostic]:
    """Set ``package_manager``, ``language_version`` and the generated ``build`` on ``draft``."""
    notes: list[Diagnostic] = []
    manager = choose_manager(inventory, root, project, kind)
    if manager.site is not None:
        draft.set("package_manager", manager.name, manager.rule, manager.site, manager.confidence)
    version = choose_version(inventory, root, project)
    minor = f"{DEFAULT_MINOR[0]}.{DEFAULT_MINOR[1]}"
    if version is not None:
        minor = version.minor
        draft.set("language_version", version.minor, version.rule, version.site, version.confidence,
                  shown=version.shown)
        if is_end_of_life(version.minor) and version.site is not None:
            notes.append(warning("python.version.end-of-life", f"Python {version.minor} no longer receives security "
                                 "fixes", file=version.site.file, line=version.site.line,
                                 hint="move to a supported Python (3.11 or newer)"))
    if kind == "library":
        return notes
    base_image = CONDA_IMAGE if manager.name == "conda" else f"python:{minor}-slim"
    build = Build(context=manager.context, generated=True, base_image=base_image, install=manager.install)
    draft.set("build", build, f"python.build.{manager.name}", manager.site, 0.5, shown=base_image)
    return notes
