"""The pipeline around the analyzers: crashes are contained, unread files are always reported."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import ClassVar

from kubify import pipeline
from kubify.analyzers.base import Analysis, Detection
from kubify.diagnostics import FileProblem
from kubify.fs import Limits
from kubify.scan import Inventory


class SilentReader:
    """Reads a file and, like many real heuristics, ignores that it could not."""

    name: ClassVar[str] = "silent"
    priority: ClassVar[int] = 1

    def detect(self, inventory: Inventory) -> list[Detection]:
        with contextlib.suppress(FileProblem):
            inventory.text("huge.txt")
        return []

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis:
        return Analysis()


class Crashing(SilentReader):
    name: ClassVar[str] = "crashing"

    def detect(self, inventory: Inventory) -> list[Detection]:
        raise ZeroDivisionError("bug")


def test_a_file_nobody_reported_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "huge.txt").write_text("x" * 2000)
    inference = pipeline.infer(tmp_path, analyzers=[SilentReader(), SilentReader()],
                               limits=Limits(max_file_bytes=1000))
    found = [(d.code, d.file, d.severity) for d in inference.diagnostics]
    assert found == [("fs.too-large", "huge.txt", "warning")]


def test_an_analyzer_crash_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    inference = pipeline.infer(tmp_path, analyzers=[Crashing()])
    (crash,) = inference.diagnostics
    assert crash.code == "internal.analyzer" and "ZeroDivisionError" in crash.message and crash.hint
