"""Procfile: ``name: command`` lines (Heroku, Railpack, Nixpacks, CNB all honour it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.diagnostics import Diagnostic, FileProblem, warning
from kubify.scan import Inventory, join

_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    file: str
    line: int


@dataclass(frozen=True)
class Procfile:
    file: str
    processes: tuple[Process, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def get(self, name: str) -> Process | None:
        return next((p for p in self.processes if p.name == name), None)


def read_procfile(inventory: Inventory, root: str) -> Procfile | None:
    """The Procfile at ``root``, or None; malformed lines become warnings."""
    rel = join(root, "Procfile")
    if not inventory.has(rel):
        return None
    try:
        text = inventory.text(rel)
    except FileProblem as problem:
        return Procfile(rel, (), (problem.diagnostic,))
    processes: list[Process] = []
    notes: list[Diagnostic] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            notes.append(warning("procfile.syntax", f"not a 'name: command' line: {line[:80]!r}",
                                 file=rel, line=number, hint="write each process as 'web: <command>'"))
            continue
        processes.append(Process(match.group(1), match.group(2), rel, number))
    return Procfile(rel, tuple(processes), tuple(notes))
