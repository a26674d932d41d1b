"""The analyzer protocol: the one seam through which kubify learns a package type.

An analyzer has a cheap :meth:`Analyzer.detect` that looks only at the file list (and
at most a few small files) and returns scored :class:`Detection` s, one per component
root it recognises; and an :meth:`Analyzer.analyze` that reads that root through the
:class:`~kubify.scan.Inventory` and returns IR *fragments* plus diagnostics.

Fragments are partial :class:`~kubify.ir.Component` values for one root. Several
analyzers may describe the same root (a Python app with a Dockerfile); the pipeline
merges their fragments field by field, preferring the evidence with the higher
confidence and recording a :class:`~kubify.ir.Conflict` when they disagree.

Analyzers never raise on bad user input: an unreadable or malformed file is a
:class:`~kubify.diagnostics.Diagnostic` (catch :class:`~kubify.diagnostics.FileProblem`).
They never open files or spawn processes themselves — only through the inventory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from kubify.diagnostics import Diagnostic
from kubify.ir import BackingService, Component, Evidence
from kubify.scan import Inventory


@dataclass(frozen=True)
class Detection:
    """An analyzer's claim that ``root`` holds a component it understands."""

    analyzer: str
    root: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    #: Extra facts detect() already learned and analyze() may reuse (e.g. the manifest path).
    hints: tuple[tuple[str, str], ...] = ()

    def hint(self, key: str) -> str | None:
        return dict(self.hints).get(key)


@dataclass
class Analysis:
    """What analyze() found: component fragments, backing services, diagnostics."""

    components: list[Component] = field(default_factory=list)
    services: list[BackingService] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class Analyzer(Protocol):
    #: Stable name, used in evidence rules and ``kubify.yaml``.
    name: ClassVar[str]
    #: Tie-break when two fragments' evidence is equally confident (higher wins).
    priority: ClassVar[int]

    def detect(self, inventory: Inventory) -> list[Detection]: ...

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis: ...
