"""Diagnostics: what went wrong (or looks wrong), where, and how to fix it.

Every problem kubify reports about a user's input is a :class:`Diagnostic`, never a
traceback. Passes return diagnostics next to their result; a :class:`KubifyError`
carries the ones that stop the run, and the CLI turns it into a message and exit code.
This module is the innermost layer: everything may import it, it imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning", "info"]


class Diagnostic(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.file is None:
            return ""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")

    def render(self) -> str:
        """One human line (plus an indented hint), e.g. ``Chart.yaml:3: error[yaml.bomb]: ...``."""
        where = self.location()
        head = f"{where}: " if where else ""
        text = f"{head}{self.severity}[{self.code}]: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


def error(code: str, message: str, *, file: str | None = None, line: int | None = None,
          column: int | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity="error", code=code, message=message, file=file, line=line,
                      column=column, hint=hint)


def warning(code: str, message: str, *, file: str | None = None, line: int | None = None,
            column: int | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity="warning", code=code, message=message, file=file, line=line,
                      column=column, hint=hint)


def info(code: str, message: str, *, file: str | None = None, line: int | None = None,
         hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity="info", code=code, message=message, file=file, line=line, hint=hint)


def has_errors(diagnostics: Sequence[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


class KubifyError(Exception):
    """A problem that stops the run; carries the diagnostics that explain it."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic) -> None:
        self.diagnostics = [diagnostics] if isinstance(diagnostics, Diagnostic) else list(diagnostics)
        super().__init__("; ".join(d.render() for d in self.diagnostics))


class FileProblem(KubifyError):
    """One repository file could not be read or parsed safely.

    Analyzers catch it and keep going: a broken ``package.json`` is a diagnostic about
    that file, not the end of the analysis.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic)
        self.diagnostic = diagnostic
