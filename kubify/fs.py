"""The repository view: the only code in kubify that touches a repository's files.

A repository is untrusted input. Everything that reads it goes through :class:`Repo`,
which (after railpack's ``App`` abstraction) is also the security choke point:

* paths are confined to the root: a symlink that resolves outside it is never followed,
  for directories or files;
* only regular files are read (no FIFOs or devices), each up to a size cap;
* the walk is iterative with a depth cap, so a 2,000-level directory chain ends in a
  diagnostic instead of ``RecursionError`` or ``ENAMETOOLONG``;
* text is decoded by BOM (UTF-8/16/32), then strict UTF-8, then Latin-1 with a warning,
  and files with NUL bytes are treated as binary;
* ``.gitignore`` files (root and nested), a root ``.kubifyignore`` and a fixed list of
  dependency/build directories are honoured.

Nothing here ever writes into the repository.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from kubify.diagnostics import Diagnostic, FileProblem, error, warning

_Spec = pathspec.PathSpec[Any]

#: Directories that never hold a component's own source: dependencies, caches, build output.
PRUNED_DIRS: frozenset[str] = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", "jspm_packages", ".venv", "venv",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", ".eggs",
    "site-packages", "vendor", "third_party", "third-party", ".next", ".nuxt", ".svelte-kit",
    ".turbo", ".cache", ".parcel-cache", ".terraform", ".idea", ".vscode", ".gradle", "target",
    ".yarn", ".pnpm-store", "coverage", ".coverage", "htmlcov",
})

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Limits:
    """Bounds on what a scan may read; generous for real repositories, fatal to none."""

    max_file_bytes: int = 5 * 1024 * 1024
    max_files: int = 200_000
    max_depth: int = 48


@dataclass(frozen=True)
class Text:
    """Decoded file content and how it was decoded."""

    content: str
    encoding: str


@dataclass
class WalkResult:
    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def decode(data: bytes, rel: str) -> Text:
    """Decode bytes the way editors and pip do: BOM first, then UTF-8, then Latin-1."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Text(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise FileProblem(error("fs.encoding", f"file starts with a {encoding} byte-order mark "
                                        f"but is not valid {encoding}: {exc.reason}", file=rel,
                                        hint="re-save the file as UTF-8")) from None
    if b"\x00" in data[:8192]:
        raise FileProblem(error("fs.binary", "file looks binary (contains NUL bytes)", file=rel,
                                hint="binary files are skipped; check the file name"))
    try:
        return Text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return Text(data.decode("latin-1"), "latin-1")


class Repo:
    """A read-only, root-confined view of a repository directory."""

    def __init__(self, root: str | os.PathLike[str], limits: Limits | None = None) -> None:
        path = Path(root)
        if not path.is_dir():
            raise FileProblem(error("fs.not-a-directory", f"{root} is not a directory",
                                    hint="pass the path of a repository checkout"))
        self.root = path.resolve()
        self.limits = limits or Limits()

    def resolve(self, rel: str) -> Path:
        """The real path of ``rel``, or :class:`FileProblem` if it leaves the root."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            raise FileProblem(error("fs.outside-root", f"path {rel!r} is outside the repository",
                                    file=rel, hint="use a path relative to the repository root"))
        real = Path(os.path.realpath(self.root / pure))
        if real != self.root and not real.is_relative_to(self.root):
            raise FileProblem(error("fs.symlink-escape", "symlink points outside the repository; not followed",
                                    file=rel, hint="replace the link with a copy of the file"))
        return real

    def is_file(self, rel: str) -> bool:
        try:
            return stat.S_ISREG(self.resolve(rel).stat().st_mode)
        except (FileProblem, OSError):
            return False

    def is_dir(self, rel: str) -> bool:
        try:
            return self.resolve(rel).is_dir()
        except (FileProblem, OSError):
            return False

    def read_bytes(self, rel: str, *, max_bytes: int | None = None) -> bytes:
        cap = max_bytes or self.limits.max_file_bytes
        real = self.resolve(rel)
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            raise FileProblem(error("fs.unreadable", f"cannot open: {exc.strerror}", file=rel)) from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise FileProblem(error("fs.not-regular", "not a regular file; skipped", file=rel))
            if info.st_size > cap:
                raise FileProblem(error("fs.too-large", f"file is {info.st_size:,} bytes, over the "
                                        f"{cap:,}-byte limit; not read", file=rel,
                                        hint="large files are skipped; keep manifests small"))
            return handle.read(cap + 1)[:cap]

    def read_text(self, rel: str, *, max_bytes: int | None = None) -> Text:
        return decode(self.read_bytes(rel, max_bytes=max_bytes), rel)

    def walk(self) -> WalkResult:
        """Every regular file worth reading, as sorted POSIX paths relative to the root."""
        walker = _Walker(self)
        walker.run()
        walker.result.files.sort()
        return walker.result


class _Walker:
    """Iterative, confined, ignore-aware directory walk."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.result = WalkResult()

    def run(self) -> None:
        root_spec = self._root_ignores()
        stack: list[tuple[str, int, tuple[tuple[str, _Spec], ...]]] = [("", 0, root_spec)]
        while stack:
            rel_dir, depth, specs = stack.pop()
            specs = specs + self._nested_gitignore(rel_dir, depth)
            for name, is_dir in self._entries(rel_dir):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if _ignored(specs, rel, is_dir):
                    continue
                if is_dir:
                    if name in PRUNED_DIRS or _is_virtualenv(self.repo, rel):
                        continue
                    if depth + 1 >= self.repo.limits.max_depth:
                        self._note(warning("fs.too-deep", f"directory nesting exceeds {self.repo.limits.max_depth}"
                                           " levels; the deeper part was not read", file=rel))
                        continue
                    stack.append((rel, depth + 1, specs))
                elif len(self.result.files) < self.repo.limits.max_files:
                    self.result.files.append(rel)
                else:
                    self._note(warning("fs.too-many-files", f"stopped after {self.repo.limits.max_files:,} "
                                       "files; the rest of the tree was not read",
                                       hint="add a .kubifyignore for generated or vendored trees"))
                    return

    def _entries(self, rel_dir: str) -> list[tuple[str, bool]]:
        """(name, is_dir) of confined entries; escaping links and loops are skipped with a note."""
        path = self.repo.root / rel_dir if rel_dir else self.repo.root
        try:
            with os.scandir(path) as it:
                raw = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self._note(warning("fs.unreadable-dir", f"cannot list directory: {exc.strerror}", file=rel_dir or "."))
            return []
        entries: list[tuple[str, bool]] = []
        for entry in raw:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            kind = self._classify(entry, rel)
            if kind is not None:
                entries.append((entry.name, kind))
        return entries

    def _classify(self, entry: os.DirEntry[str], rel: str) -> bool | None:
        """True for a directory to descend, False for a regular file, None to skip.

        Directory links are never descended: one pointing inside the tree is walked under its
        real path anyway (as git stores it), one pointing outside must not be read at all.
        """
        try:
            if entry.is_symlink():
                info = self.repo.resolve(rel).stat()
                if stat.S_ISDIR(info.st_mode):
                    return None
            else:
                info = entry.stat(follow_symlinks=False)
        except FileProblem as problem:
            self._note(problem.diagnostic.model_copy(update={"severity": "warning"}))
            return None
        except OSError:
            self._note(warning("fs.dangling-link", "broken symlink; skipped", file=rel))
            return None
        if stat.S_ISDIR(info.st_mode):
            return True
        return False if stat.S_ISREG(info.st_mode) else None

    def _root_ignores(self) -> tuple[tuple[str, _Spec], ...]:
        specs = []
        for name in (".gitignore", ".kubifyignore"):
            spec = self._load_spec(name)
            if spec is not None:
                specs.append(("", spec))
        return tuple(specs)

    def _nested_gitignore(self, rel_dir: str, depth: int) -> tuple[tuple[str, _Spec], ...]:
        if depth == 0:
            return ()
        spec = self._load_spec(f"{rel_dir}/.gitignore")
        return ((rel_dir, spec),) if spec is not None else ()

    def _load_spec(self, rel: str) -> _Spec | None:
        if not self.repo.is_file(rel):
            return None
        try:
            text = self.repo.read_text(rel, max_bytes=1024 * 1024).content
        except FileProblem as problem:
            self._note(problem.diagnostic.model_copy(update={"severity": "warning"}))
            return None
        return pathspec.GitIgnoreSpec.from_lines(text.splitlines())

    def _note(self, diagnostic: Diagnostic) -> None:
        self.result.diagnostics.append(diagnostic)


def _ignored(specs: tuple[tuple[str, _Spec], ...], rel: str, is_dir: bool) -> bool:
    for base, spec in specs:
        local = rel[len(base) + 1:] if base else rel
        if spec.match_file(local + "/" if is_dir else local):
            return True
    return False


def _is_virtualenv(repo: Repo, rel_dir: str) -> bool:
    return repo.is_file(f"{rel_dir}/pyvenv.cfg")
