"""Which package manager installs a Node package, and the lockfile-aware commands it runs.

Precedence follows Railpack, which follows the tools themselves: the ``packageManager``
field (Corepack pins name and version) beats lockfiles, lockfiles beat ``engines``, and
npm is the fallback. Lockfiles are looked for in the package's directory and then up to
its workspace root, where monorepos keep the only one. A frozen install (``npm ci``) is
only chosen when the lockfile can be read — a truncated ``package-lock.json`` would make
``npm ci`` fail, so it is reported with its line and the plain install is used instead.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from kubify.analyzers.node.package_json import PackageJson
from kubify.analyzers.node.workspaces import Workspace
from kubify.diagnostics import Diagnostic, FileProblem, warning
from kubify.scan import Inventory, join, parent

#: Lockfile → manager, in Railpack's precedence order when several sit side by side.
LOCKFILES: tuple[tuple[str, str], ...] = (
    ("pnpm-lock.yaml", "pnpm"), ("bun.lockb", "bun"), ("bun.lock", "bun"), ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"),
)
_PACKAGE_MANAGER_FIELD = re.compile(r"^\s*(npm|pnpm|yarn|bun)(?:@v?([0-9][^+\s]*))?")
_MAJOR = re.compile(r"(\d+)")


@dataclass(frozen=True)
class PackageManager:
    """The chosen manager, where the choice came from and how its install must run."""

    name: str
    version: str | None
    lockfile: str | None
    lock_readable: bool
    berry: bool
    corepack: bool
    rule: str
    file: str
    line: int
    confidence: float
    #: Yarn Plug'n'Play: no node_modules, so plain ``node`` cannot resolve packages (``yarn node`` can).
    pnp: bool = False

    def base_image(self, node_major: int) -> str:
        """Bun projects build and run on Bun's image; everything else on Node's."""
        if self.name == "bun":
            return f"oven/bun:{self.version or '1'}"
        return f"node:{node_major}-slim"

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name

    def install(self, node_major: int) -> tuple[str, ...]:
        """Install commands, run in the component's directory (a workspace install covers every member)."""
        frozen = self.lockfile is not None and self.lock_readable
        setup: list[str] = []
        if self.name != "bun" and (self.corepack or self.name == "pnpm" or self.berry):
            if node_major >= 25:  # Node 25 stopped bundling Corepack.
                setup.append("npm install -g corepack")
            setup.append("corepack enable")
        commands = {
            "npm": "npm ci" if frozen else "npm install",
            "pnpm": "pnpm install --frozen-lockfile" if frozen else "pnpm install",
            "yarn": ("yarn install --immutable" if self.berry else "yarn install --frozen-lockfile")
            if frozen else "yarn install",
            "bun": "bun install --frozen-lockfile" if frozen else "bun install",
        }
        return (*setup, commands[self.name])

    def run(self, script: str) -> tuple[str, ...]:
        return (self.name, "run", script)

    def exec(self, *argv: str) -> tuple[str, ...]:
        """Run a dependency's binary (``npx next``, ``pnpm exec next``, ...)."""
        prefix = {"npm": ("npx",), "pnpm": ("pnpm", "exec"), "yarn": ("yarn",), "bun": ("bunx",)}[self.name]
        return (*prefix, *argv)

    def run_in(self, script: str, member: str, package_name: str | None, cwd: str) -> str:
        """A shell line, run in directory ``cwd``, that runs ``script`` of the workspace member at ``member``."""
        if package_name is None:
            path = posixpath.relpath(member, cwd)
            return f"cd {shlex.quote(path)} && {self.name} run {shlex.quote(script)}"
        name, quoted = shlex.quote(package_name), shlex.quote(script)
        return {
            "npm": f"npm run {quoted} --workspace={name}",
            "pnpm": f"pnpm --filter {name} run {quoted}",
            "yarn": f"yarn workspace {name} run {quoted}",
            "bun": f"bun run --filter {name} {quoted}",
        }[self.name]


def detect_manager(inventory: Inventory, package: PackageJson, workspace: Workspace | None,
                   root_package: PackageJson | None) -> tuple[PackageManager, list[Diagnostic]]:
    """The package manager of ``package`` (a workspace member inherits its root's)."""
    notes: list[Diagnostic] = []
    lock_dirs = _lock_dirs(package.root, workspace)
    lock = _find_lockfile(inventory, lock_dirs, notes)
    for source in (package, root_package):
        if source is None:
            continue
        declared = source.string("packageManager")
        found = _PACKAGE_MANAGER_FIELD.match(declared) if declared else None
        if found:
            name, version = found.group(1), found.group(2)
            lockfile = lock[0] if lock and lock[1] == name else None
            return _manager(inventory, name, version, lockfile, "node.package-manager.corepack", source.file,
                            source.line("packageManager"), 0.9, notes, corepack=True), notes
    if lock is not None:
        lockfile, name = lock
        return _manager(inventory, name, None, lockfile, f"node.package-manager.lockfile.{name}", lockfile, 1,
                        0.9, notes), notes
    for source in (package, root_package):
        for name in ("pnpm", "yarn", "bun"):
            if source is not None and name in source.engines:
                version = _MAJOR.search(source.engines[name])
                return _manager(inventory, name, None, None, "node.package-manager.engines", source.file,
                                source.line("engines", name), 0.5, notes,
                                version_hint=version.group(1) if version else None), notes
    return _manager(inventory, "npm", None, None, "node.package-manager.default", package.file, 1, 0.3, notes), notes


def _lock_dirs(directory: str, workspace: Workspace | None) -> list[str]:
    """The package's directory, then its parents up to the workspace root."""
    dirs = [directory]
    if workspace is None:
        return dirs
    current = directory
    while current not in (workspace.root, "."):
        current = parent(current)
        dirs.append(current)
    return dirs


def _find_lockfile(inventory: Inventory, dirs: list[str], notes: list[Diagnostic]) -> tuple[str, str] | None:
    for directory in dirs:
        present = [(join(directory, f), m) for f, m in LOCKFILES if inventory.has(join(directory, f))]
        managers = sorted({m for _f, m in present})
        if len(managers) > 1:
            notes.append(warning(
                "node.lockfile.several", f"lockfiles of several package managers ({', '.join(managers)}); "
                f"kubify uses {present[0][1]}", file=present[0][0], line=1,
                hint="delete the lockfiles of the managers the project does not use"))
        if present:
            return present[0]
    return None


def _manager(inventory: Inventory, name: str, version: str | None, lockfile: str | None, rule: str, file: str,
             line: int, confidence: float, notes: list[Diagnostic], *, corepack: bool = False,
             version_hint: str | None = None) -> PackageManager:
    readable = _lock_readable(inventory, lockfile, notes) if lockfile else False
    berry = name == "yarn" and _yarn_berry(inventory, lockfile, version or version_hint)
    pnp = berry and _plug_n_play(inventory, parent(lockfile) if lockfile else parent(file))
    return PackageManager(name, version, lockfile, readable, berry, corepack, rule, file, line, confidence, pnp)


def _lock_readable(inventory: Inventory, lockfile: str, notes: list[Diagnostic]) -> bool:
    """False when the lockfile is damaged: a frozen install would fail on it."""
    if not lockfile.endswith(".json"):
        return True
    try:
        data = inventory.json(lockfile)
    except FileProblem as problem:
        note = problem.diagnostic
        if note.code.startswith("fs."):  # too large or unreadable here; the installer will judge it
            return True
        notes.append(warning(
            "node.lockfile.broken", f"{lockfile.rsplit('/', 1)[-1]} cannot be parsed ({note.message}); "
            "the generated build runs 'npm install' instead of 'npm ci'", file=lockfile, line=note.line,
            column=note.column, hint="regenerate it with 'npm install' and commit the result"))
        return False
    if not isinstance(data, dict) or "lockfileVersion" not in data:
        notes.append(warning("node.lockfile.unversioned", "package-lock.json has no 'lockfileVersion'; "
                             "npm may refuse 'npm ci' with it", file=lockfile, line=1,
                             hint="regenerate it with a current npm ('npm install')"))
    return True


def _plug_n_play(inventory: Inventory, directory: str) -> bool:
    """Yarn 2+ uses Plug'n'Play unless ``nodeLinker`` says otherwise."""
    if inventory.has(join(directory, ".pnp.cjs")) or inventory.has(join(directory, ".pnp.js")):
        return True
    for name in (".yarnrc.yml", ".yarnrc.yaml"):
        rel = join(directory, name)
        if inventory.has(rel):
            try:
                text = inventory.text(rel)
            except FileProblem:
                return False
            linker = re.search(r"^\s*nodeLinker\s*:\s*['\"]?([\w-]+)", text, re.M)
            return linker is None or linker.group(1) == "pnp"
    return False


def _yarn_berry(inventory: Inventory, lockfile: str | None, version: str | None) -> bool:
    """Yarn 2+ ("berry"): a version ≥ 2, a .yarnrc.yml, or a lockfile with ``__metadata``."""
    if version and (major := _MAJOR.match(version)):
        return int(major.group(1)) >= 2
    if lockfile is None:
        return False
    directory = parent(lockfile)
    if inventory.has(join(directory, ".yarnrc.yml")) or inventory.has(join(directory, ".yarnrc.yaml")):
        return True
    try:
        head = inventory.text(lockfile)[:400]
    except FileProblem:
        return False
    return "__metadata:" in head
