"""pip requirement files and PEP 508 requirement strings.

A requirements file is more than ``name==version`` lines: it has comments, line
continuations, options (``--index-url``, ``--hash``), includes (``-r base.txt``),
editable and URL requirements and environment markers. Only the names (normalised the
PEP 503 way, so ``Flask_SQLAlchemy`` and ``flask-sqlalchemy`` are one package), their
extras and the line each was declared on matter to kubify.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from kubify.diagnostics import Diagnostic, FileProblem, warning
from kubify.scan import Inventory

#: How deep ``-r`` includes may nest before we assume a cycle or a mistake.
MAX_INCLUDE_DEPTH = 8
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)$", re.DOTALL)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?")
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=\S))(\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(\S+)")
_COMMENT = re.compile(r"(^|\s)#.*$")


def normalize(name: str) -> str:
    """The PEP 503 normalised form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One declared dependency: normalised name, extras, where it was declared."""

    name: str
    extras: tuple[str, ...]
    file: str
    line: int
    text: str


def parse_requirement(text: str, file: str, line: int) -> Requirement | None:
    """A PEP 508 string (``fastapi[standard]>=0.110; python_version>'3.8'``), or None if it names nothing."""
    body = text.strip()
    if not body:
        return None
    egg = _EGG.search(body)
    if egg is not None:
        return Requirement(normalize(egg.group(1)), _extras(egg.group(2)), file, line, body)
    if "://" in body.split("@", 1)[0] or body.startswith((".", "/", "~")):
        return None
    match = _NAME.match(body)
    if match is None:
        return None
    rest = match.group(3).strip()
    if rest and rest[0] not in "<>=!~;@(,":
        return None
    return Requirement(normalize(match.group(1)), _extras(match.group(2)), file, line, body)


def _extras(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(sorted({normalize(e.strip()) for e in text.split(",") if e.strip()}))


@dataclass
class RequirementsFile:
    """The requirements of one file and of the files it includes (``-r``)."""

    requirements: list[Requirement]
    includes: list[str]
    editable_self: bool
    diagnostics: list[Diagnostic]


def read_requirements(inventory: Inventory, rel: str) -> RequirementsFile:
    """Requirements of ``rel`` and its includes; unreadable files become diagnostics."""
    result = RequirementsFile([], [], False, [])
    _read(inventory, rel, result, (), 0)
    return result


def _read(inventory: Inventory, rel: str, result: RequirementsFile, stack: tuple[str, ...], depth: int) -> None:
    try:
        text = inventory.text(rel)
    except FileProblem as problem:
        result.diagnostics.append(problem.diagnostic.model_copy(update={"severity": "warning"}))
        return
    for number, line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include is not None:
            _include(inventory, rel, number, include.group(1), result, (*stack, rel), depth)
            continue
        editable = _EDITABLE.match(line)
        if editable is not None:
            target = editable.group(1)
            if target in (".", "./") or target.startswith(".["):
                result.editable_self = True
            elif (found := parse_requirement(target, rel, number)) is not None:
                result.requirements.append(found)
            continue
        if line.startswith("-"):
            continue
        found = parse_requirement(line.split(" --", 1)[0], rel, number)
        if found is not None:
            result.requirements.append(found)


def _include(inventory: Inventory, rel: str, number: int, target: str, result: RequirementsFile,
             stack: tuple[str, ...], depth: int) -> None:
    path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if path.startswith(("../", "/")) or path == "..":
        result.diagnostics.append(warning("python.requirements.include-outside", f"'-r {target}' points outside "
                                          "the repository; not read", file=rel, line=number))
        return
    if path in stack or depth >= MAX_INCLUDE_DEPTH:
        result.diagnostics.append(warning("python.requirements.include-cycle", f"'-r {target}' includes a file "
                                          "already being read (a cycle) or nests too deep; skipped", file=rel,
                                          line=number, hint="remove the circular -r include"))
        return
    if not inventory.has(path):
        result.diagnostics.append(warning("python.requirements.include-missing", f"'-r {target}' names a file "
                                          "that is not in the repository", file=rel, line=number,
                                          hint="commit the included file or fix the path"))
        return
    result.includes.append(path)
    _read(inventory, path, result, stack, depth + 1)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, text) of each non-empty logical line, comments removed."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        stripped = _COMMENT.sub("", raw.replace("\x00", "")).strip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(p for p in pending if p).strip()
        pending = []
        if joined:
            lines.append((start, joined))
    if pending and (joined := " ".join(p for p in pending if p).strip()):
        lines.append((start, joined))
    return lines
