"""The Python analyzer's draft: the shared one, with long evidence cut short and defaults never required."""

from __future__ import annotations

from typing import ClassVar

from kubify.analyzers.draft import Draft, Site
from kubify.ir import EnvVar

#: Evidence values longer than this (a whole shell command line) are cut: they say where to look.
MAX_SHOWN = 300


class PythonDraft(Draft):
    analyzer: ClassVar[str] = "python"

    def note(self, name: str, value: str, rule: str, at: Site | None, confidence: float) -> None:
        super().note(name, value[:MAX_SHOWN], rule, at, confidence)

    def merge_env(self, known: EnvVar | None, var: EnvVar) -> EnvVar:
        """A variable that has a default anywhere is not required (Python reads only require those without)."""
        merged = super().merge_env(known, var)
        return merged.model_copy(update={"required": False}) if merged.default is not None else merged
