"""scan: a directory in, an :class:`Inventory` out — the files worth reading, safely.

The inventory is what every analyzer sees. It answers cheap questions from the file
list (``has``, ``named``, ``under``) without touching the disk, and reads and parses
files through :mod:`kubify.fs` and :mod:`kubify.safeload` with a per-file cache, so
two analyzers reading the same ``package.json`` cost one read.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from kubify import safeload
from kubify.diagnostics import Diagnostic, FileProblem
from kubify.fs import Limits, Repo, Text


def join(base: str, *names: str) -> str:
    """Join repo-relative POSIX paths; the root is ``.`` and never appears as a prefix."""
    parts = [p for p in (base, *names) if p not in ("", ".")]
    return str(PurePosixPath(*parts)) if parts else "."


def parent(rel: str) -> str:
    """The directory holding ``rel`` (``.`` for top-level files)."""
    head = os.path.dirname(rel)
    return head or "."


def relative_to(rel: str, base: str) -> str:
    """``rel`` as seen from directory ``base`` (both repo-relative)."""
    if base in ("", "."):
        return rel
    return rel[len(base) + 1:] if rel.startswith(base + "/") else rel


@dataclass
class Inventory:
    """The scanned repository: its file list, its scan diagnostics and safe, cached readers."""

    repo: Repo
    files: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    _index: frozenset[str] = field(default=frozenset(), repr=False)
    _dirs: frozenset[str] = field(default=frozenset(), repr=False)
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = frozenset(self.files)
        dirs = {"."}
        for rel in self.files:
            head = parent(rel)
            while head not in dirs:
                dirs.add(head)
                head = parent(head)
        self._dirs = frozenset(dirs)

    @property
    def name(self) -> str:
        return self.repo.root.name

    def has(self, rel: str) -> bool:
        return rel in self._index

    def has_dir(self, rel: str) -> bool:
        return rel in self._dirs

    def named(self, *names: str, under: str = ".") -> list[str]:
        """Files whose base name is one of ``names``, anywhere below ``under``, sorted."""
        wanted = set(names)
        return [f for f in self.under(under) if PurePosixPath(f).name in wanted]

    def under(self, directory: str = ".") -> list[str]:
        """All files below ``directory`` (recursive), sorted."""
        if directory in ("", "."):
            return list(self.files)
        prefix = directory.rstrip("/") + "/"
        return [f for f in self.files if f.startswith(prefix)]

    def children(self, directory: str = ".") -> list[str]:
        """Files directly inside ``directory``."""
        return [f for f in self.under(directory) if parent(f) == (directory or ".")]

    def glob(self, pattern: str, under: str = ".") -> list[str]:
        """Files matching a glob relative to ``under`` (``*`` does not cross ``/``; ``**/`` does)."""
        results = []
        for f in self.under(under):
            if _glob_match(relative_to(f, under), pattern):
                results.append(f)
        return results

    def text(self, rel: str) -> str:
        """Decoded text of a repository file; :class:`FileProblem` if unreadable."""
        text: str = self._cached("text", rel, lambda: self._read(rel).content)
        return text

    def yaml(self, rel: str) -> Any:
        return self._cached("yaml", rel, lambda: safeload.load_yaml(self.text(rel), rel))

    def json(self, rel: str) -> Any:
        return self._cached("json", rel, lambda: safeload.load_json(self.text(rel), rel))

    def toml(self, rel: str) -> dict[str, Any]:
        table: dict[str, Any] = self._cached("toml", rel, lambda: safeload.load_toml(self.text(rel), rel))
        return table

    def problems(self) -> list[Diagnostic]:
        """Every file some reader could not read or parse, once each (in file order)."""
        found = {(p.diagnostic.file, p.diagnostic.code): p.diagnostic
                 for p in self._cache.values() if isinstance(p, FileProblem)}
        return [found[key] for key in sorted(found, key=lambda k: (k[0] or "", k[1]))]

    def _read(self, rel: str) -> Text:
        if not self.has(rel):
            raise FileProblem(Diagnostic(severity="error", code="fs.not-scanned",
                                         message="file is not part of the scanned repository", file=rel))
        return self.repo.read_text(rel)

    def _cached(self, kind: str, rel: str, load: Any) -> Any:
        key = (kind, rel)
        if key not in self._cache:
            try:
                self._cache[key] = load()
            except FileProblem as problem:
                self._cache[key] = problem
        value = self._cache[key]
        if isinstance(value, FileProblem):
            raise value
        return value


def _glob_match(local: str, pattern: str) -> bool:
    if pattern.startswith("**/"):
        return fnmatch.fnmatchcase(PurePosixPath(local).name, pattern[3:])
    return fnmatch.fnmatchcase(local, pattern) and ("/" in pattern or "/" not in local)


def scan(root: str | os.PathLike[str], limits: Limits | None = None) -> Inventory:
    """Walk ``root`` safely and return its inventory."""
    repo = Repo(root, limits)
    walked = repo.walk()
    return Inventory(repo=repo, files=tuple(walked.files), diagnostics=tuple(walked.diagnostics))
