"""Load the manifest files a user asks kubify to check (``kubify validate``), safely.

The paths come from the user, but their content may not be theirs (a cloned repository's
``deploy/`` folder): so files are size-capped, parsed with the bounded loaders of
:mod:`kubify.safeload`, and symlinks or kustomization ``resources:`` that lead outside the
given roots are not followed. Each object keeps its file and the line its document starts
on, so every later diagnostic points at it. Directories are recursed for YAML/JSON; a
directory with a ``kustomization.yaml`` contributes what its ``resources:`` list names
(patches are not applied: kubify checks the inputs, it is not kustomize); Helm charts are
skipped, since their templates are not YAML until rendered.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubify.diagnostics import Diagnostic, FileProblem, error, info, warning
from kubify.fs import decode
from kubify.safeload import load_json, load_yaml, load_yaml_all

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_FILES = 10_000
MAX_DEPTH = 32
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

_DOCUMENT_MARKER = re.compile(r"---(?=\s|$)")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=")

LoadedObject = tuple[str, Any, int | None]


def load_manifest_files(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[LoadedObject], list[Diagnostic]]:
    """Objects of the given files and directories as ``(file label, object, line)``, plus diagnostics.

    Labels are the paths as given (joined with the relative path inside a directory).
    """
    loader = _Loader()
    for path in paths:
        loader.load_root(os.fspath(path))
    return loader.objects, loader.diagnostics


def document_lines(text: str) -> list[int]:
    """The 1-based line each YAML document starts on, in the order ``load_all`` returns them.

    The plain loader forgets positions, so the ``---`` separators are counted instead: text
    before the first separator is a document only if it has content; every separator opens
    one (possibly empty). A document's line is its first line of content.
    """
    starts: list[int] = []
    content: int | None = None  # first content line of the open document
    marker: int | None = None  # its '---' line, if it has one
    for number, raw in enumerate(text.splitlines(), 1):
        if _DOCUMENT_MARKER.match(raw):
            if marker is not None or content is not None:
                starts.append(content or marker or number)
            marker, content = number, None
            rest = raw[3:].strip()
            if rest and not rest.startswith("#"):
                content = number
        elif content is None and _is_content(raw):
            content = number
    if marker is not None or content is not None:
        starts.append(content or marker or 1)
    return starts


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and not line.startswith("%")


class _Loader:
    """One load: what was read (so a file shared by overlays loads once) and what was found."""

    def __init__(self) -> None:
        self.objects: list[LoadedObject] = []
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[Path] = set()
        self._files = 0
        self._bytes = 0

    def load_root(self, given: str) -> None:
        path = Path(given)
        if not path.exists():
            self.diagnostics.append(error("manifests.missing", "no such file or directory", file=given,
                                          hint="check the path"))
            return
        real = path.resolve()
        if real.is_dir():
            self._directory(real, given.rstrip("/") or "/", real, depth=0)
        elif real.name in KUSTOMIZATION_FILES:
            self._kustomization(real, given, real.parent, depth=0)
        else:
            self._file(real, given, explicit=True)

    def _directory(self, directory: Path, label: str, root: Path, *, depth: int) -> None:
        if depth > MAX_DEPTH:
            self._note(warning("manifests.too-deep", f"directories nest deeper than {MAX_DEPTH}; not read further",
                               file=label))
            return
        if (directory / "Chart.yaml").is_file():
            self._note(info("manifests.helm-chart", "Helm chart skipped: its templates are not YAML until "
                            "rendered", file=label, hint="run `helm template` and check the output"))
            return
        for name in KUSTOMIZATION_FILES:
            if (directory / name).is_file():
                self._kustomization(directory / name, f"{label}/{name}", root, depth=depth)
                return
        if directory in self._seen:
            return
        self._seen.add(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            self._note(warning("manifests.unreadable", f"cannot list directory: {exc.strerror}", file=label))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = f"{label}/{entry.name}"
            real = Path(os.path.realpath(entry.path))
            if not real.is_relative_to(root):
                self._note(warning("manifests.symlink-escape", "symlink points outside the given directory; not "
                                   "followed", file=child, hint="pass the link's target explicitly"))
            elif real.is_dir():
                self._directory(real, child, root, depth=depth + 1)
            elif entry.name.endswith(MANIFEST_SUFFIXES):
                self._file(real, child, explicit=False)

    def _kustomization(self, file: Path, label: str, root: Path, *, depth: int) -> None:
        if file in self._seen:
            return
        self._seen.add(file)
        text = self._read(file, label)
        try:
            data = load_yaml(text, label) if text is not None else None
        except FileProblem as problem:
            self._note(problem.diagnostic)
            return
        if not isinstance(data, dict):
            return
        for field in ("resources", "bases"):
            for entry in data.get(field) or []:
                self._resource(entry, field, file, label=label, text=text or "", root=root, depth=depth)
        if data.get("helmCharts"):
            self._note(info("manifests.helm-chart", "kustomize helmCharts are not rendered; not checked",
                            file=label, hint="run `kustomize build --enable-helm` and check the output"))

    def _resource(self, entry: Any, field: str, file: Path, *, label: str, text: str, root: Path,
                  depth: int) -> None:
        """Follow one ``resources:`` entry of the kustomization ``file`` (shown as ``label``)."""
        line = _line_containing(text, str(entry))
        if not isinstance(entry, str) or not entry:
            self._note(error("manifests.kustomization", f"{field} entry {entry!r} is not a path", file=label,
                             line=line, hint="list file or directory paths"))
            return
        if _REMOTE.search(entry):
            self._note(warning("manifests.remote", f"remote resource {entry} not fetched; not checked", file=label,
                               line=line, hint="check it where it is maintained, or vendor it"))
            return
        target = Path(os.path.realpath(file.parent / entry))
        child = posixpath.normpath(posixpath.join(posixpath.dirname(label), entry))
        if not target.is_relative_to(root):
            self._note(warning("manifests.outside-root", f"resource {entry} is outside {root.name or '/'}; not read",
                               file=label, line=line, hint="pass a directory that holds both (e.g. the "
                               "repository root)"))
        elif target.is_dir():
            self._directory(target, child, root, depth=depth + 1)
        elif target.is_file():
            self._file(target, child, explicit=True)
        else:
            self._note(error("manifests.kustomization", f"resource {entry} does not exist", file=label, line=line,
                             hint="fix the path in the kustomization"))

    def _file(self, file: Path, label: str, *, explicit: bool) -> None:
        if file in self._seen:
            return
        self._seen.add(file)
        text = self._read(file, label)
        if text is None:
            return
        lines: list[int | None]
        try:
            if file.suffix == ".json":
                documents, lines = [load_json(text, label)], [1]
            else:
                documents = load_yaml_all(text, label)
                lines = list(document_lines(text))
        except FileProblem as problem:
            self._note(_with_template_hint(problem.diagnostic, text))
            return
        if len(lines) != len(documents):  # an unusual layout (e.g. '...' markers): lines unknown
            lines = [None] * len(documents)
        for document, line in zip(documents, lines, strict=True):
            self._document(document, label, line, explicit=explicit)

    def _document(self, document: Any, label: str, line: int | None, *, explicit: bool) -> None:
        if document is None:
            return
        if isinstance(document, dict) and document.get("kind") == "List" and isinstance(document.get("items"), list):
            for item in document["items"]:
                self._document(item, label, line, explicit=explicit)
        elif not isinstance(document, dict):
            self._note(error("manifests.not-object", "document is not a Kubernetes object (a mapping)", file=label,
                             line=line, hint="remove it or fix its indentation"))
        elif explicit or ("apiVersion" in document and "kind" in document):
            self.objects.append((label, document, line))

    def _read(self, file: Path, label: str) -> str | None:
        """Text of a regular file within the caps, or None with a diagnostic."""
        if self._files >= MAX_FILES or self._bytes >= MAX_TOTAL_BYTES:
            self._note(warning("manifests.too-many", f"stopped after {self._files} files / {self._bytes} bytes",
                               file=label, hint="pass fewer or smaller paths"))
            return None
        try:
            fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    self._note(warning("manifests.not-regular", "not a regular file; skipped", file=label))
                    return None
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self._note(error("manifests.unreadable", f"cannot read: {exc.strerror}", file=label))
            return None
        if len(data) > MAX_FILE_BYTES:
            self._note(error("manifests.too-large", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read",
                             file=label, hint="split the file"))
            return None
        self._files += 1
        self._bytes += len(data)
        try:
            return decode(data, label).content
        except FileProblem as problem:
            self._note(problem.diagnostic)
            return None

    def _note(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)


def _with_template_hint(diagnostic: Diagnostic, text: str) -> Diagnostic:
    if "{{" in text:
        return diagnostic.model_copy(update={"hint": "this looks like a Helm/Go template; render it (helm "
                                             "template) and check the output"})
    return diagnostic


def _line_containing(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle and needle in line:
            return number
    return None
