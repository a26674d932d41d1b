"""go.mod and go.work, parsed with a lark grammar into records that keep their line numbers.

Both files share one line-oriented syntax (``analyzers/grammars/gomod.lark``); this module
turns the parse tree into a :class:`ModFile`. A syntax error never raises: it becomes a
diagnostic with file, line and a hint, the offending line is blanked out and the rest of the
file is parsed again (a bounded number of times), so one bad ``replace`` does not hide the
``module`` and ``go`` directives around it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from kubify.diagnostics import Diagnostic, warning

#: Blank out at most this many bad lines before giving up on a file.
MAX_RECOVERIES = 16
_GRAMMAR_HINT = ("write one directive per line ('require example.com/m v1.2.3') or a block "
                 "('require (' ... ')'); see https://go.dev/ref/mod#go-mod-file-grammar")
_TOKEN_NAMES = {"_NL": "unexpected end of line", "COMMENT": "unexpected comment"}
#: How each directive is written, for the hint of a syntax error inside it.
_HINTS: dict[str, str] = {
    "module": "write 'module example.com/name' (quote the path if it has spaces)",
    "go": "write 'go 1.22' (a single version)",
    "toolchain": "write 'toolchain go1.22.3'",
    "godebug": "write 'godebug key=value', one setting per line",
    "require": "write 'require example.com/m v1.2.3' (a path and a version)",
    "exclude": "write 'exclude example.com/m v1.2.3' (a path and a version)",
    "replace": "a replace line reads 'old/path [version] => new/path [version]' (or a local directory)",
    "retract": "write 'retract v1.0.1' or a range 'retract [v1.0.0, v1.0.5]'",
    "use": "write 'use ./module-dir', one directory per line",
    "tool": "write 'tool example.com/m/cmd/x', one package per line",
}


@dataclass(frozen=True)
class Requirement:
    path: str
    version: str
    indirect: bool
    line: int


@dataclass(frozen=True)
class Replacement:
    old_path: str
    old_version: str | None
    new_path: str
    new_version: str | None
    line: int

    @property
    def local(self) -> bool:
        """A replacement by a directory (``=> ../lib``) rather than by another module."""
        return self.new_path.startswith(("./", "../", "/")) or self.new_path in (".", "..")


@dataclass(frozen=True)
class Retraction:
    low: str
    high: str
    rationale: str | None
    line: int


@dataclass(frozen=True)
class Value:
    """A directive with one argument (``go 1.22``, ``use ./svc``, ``godebug k=v``)."""

    text: str
    line: int


@dataclass(frozen=True)
class ModFile:
    """What a go.mod or go.work says; absent directives are None or empty."""

    file: str
    module: Value | None = None
    go: Value | None = None
    toolchain: Value | None = None
    godebug: tuple[Value, ...] = ()
    requires: tuple[Requirement, ...] = ()
    excludes: tuple[Requirement, ...] = ()
    replaces: tuple[Replacement, ...] = ()
    retracts: tuple[Retraction, ...] = ()
    uses: tuple[Value, ...] = ()
    tools: tuple[Value, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)


@cache
def parser() -> Lark:
    """The LALR parser, built once per process from the packaged grammar."""
    grammar = (files("kubify.analyzers") / "grammars" / "gomod.lark").read_text(encoding="utf-8")
    # cache=True keeps the LALR tables in a temp file keyed by the grammar: ~25 ms per start.
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False, cache=True)


def parse_modfile(text: str, rel: str) -> ModFile:
    """Parse go.mod/go.work ``text`` (named ``rel`` in diagnostics); never raises."""
    lines = text.replace("\r\n", "\n").split("\n")
    notes: list[Diagnostic] = []
    for _attempt in range(MAX_RECOVERIES):
        try:
            tree = parser().parse("\n".join(lines) + "\n")
        except UnexpectedInput as problem:
            notes.append(_syntax_diagnostic(problem, lines, rel))
            if not _recover(problem, lines):
                break
            continue
        except LarkError as problem:  # grammar-level surprises are still the file's problem
            notes.append(warning("go.mod.syntax", f"cannot parse: {problem}"[:300], file=rel, hint=_GRAMMAR_HINT))
            break
        records = _Records().transform(tree)
        return _assemble(rel, records, notes)
    return ModFile(file=rel, diagnostics=tuple(notes))


def module_path(text: str) -> str | None:
    """Just the module path of a go.mod, without a full parse (``modfile.ModulePath`` in Go)."""
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if not line.startswith("module") or len(line) == len("module") or not line[6].isspace():
            continue
        value = line[6:].strip()
        if value[:1] in "\"`":
            value = value[1:-1] if len(value) >= 2 and value[-1] == value[0] else ""
        return value or None
    return None


def _recover(problem: UnexpectedInput, lines: list[str]) -> bool:
    """Make the next attempt progress: drop the bad line, or close a block left open at EOF."""
    if isinstance(problem, UnexpectedEOF) or (isinstance(problem, UnexpectedToken) and problem.token.type == "$END"):
        if lines and lines[-1].strip() == ")":
            return False
        lines.append(")")
        return True
    number = getattr(problem, "line", -1)
    if not 1 <= number <= len(lines) or not lines[number - 1].strip():
        return False
    lines[number - 1] = ""
    return True


def _syntax_diagnostic(problem: UnexpectedInput, lines: list[str], rel: str) -> Diagnostic:
    if isinstance(problem, UnexpectedEOF) or (isinstance(problem, UnexpectedToken) and problem.token.type == "$END"):
        opened = _open_block(lines)
        return warning("go.mod.syntax", "a '(' block is never closed; it is read up to the end of the file",
                       file=rel, line=opened, hint="close the block with ')' on a line of its own")
    line: int = problem.line if isinstance(problem.line, int) and problem.line >= 1 else 0
    column = problem.column if isinstance(problem.column, int) and problem.column >= 1 else None
    if isinstance(problem, UnexpectedCharacters):
        what = "unterminated string" if problem.char in "\"`" else f"unexpected character {problem.char!r}"
    else:
        token = getattr(problem, "token", None)
        kind = getattr(token, "type", "")
        what = _TOKEN_NAMES.get(kind, f"unexpected {str(token)!r}")
    verb = _verb_at(lines, line)
    where = f" in '{verb}'" if verb else ""
    return warning("go.mod.syntax", f"{what}{where}; the line is ignored", file=rel, line=line or None,
                   column=column, hint=_HINTS.get(verb or "", _GRAMMAR_HINT))


def _verb_at(lines: list[str], line: int) -> str | None:
    """The directive a line belongs to: its own first word, or the verb of the block it sits in."""
    for number in range(line, 0, -1):
        words = lines[number - 1].split("//", 1)[0].split()
        if number == line:
            if words and words[0] in _HINTS:
                return words[0]
        elif words == [")"]:
            return None
        elif words and words[-1] == "(":
            return words[0] if words[0] in _HINTS else None
    return None


def _open_block(lines: list[str]) -> int | None:
    """The line of the last ``verb (`` that opens a block."""
    for number in range(len(lines), 0, -1):
        if lines[number - 1].split("//", 1)[0].rstrip().endswith("("):
            return number
    return None


def _text(token: Token | Tree[Token]) -> str:
    """The value of a WORD, "quoted" or `raw` token (a ``path`` subtree holds one)."""
    if isinstance(token, Tree):
        return _text(token.children[0])
    value = str(token)
    if token.type == "STRING":
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return decoded if isinstance(decoded, str) else value[1:-1]
    if token.type == "RAW_STRING":
        return value[1:-1]
    return value


def _comment(children: list[Any]) -> str | None:
    comments = [str(c) for c in children if isinstance(c, Token) and c.type == "COMMENT"]
    return comments[-1][2:].strip() if comments else None


def _words(children: list[Any]) -> list[Token | Tree[Token]]:
    return [c for c in children if isinstance(c, Tree) or c.type in ("WORD", "STRING", "RAW_STRING")]


class _Records(Transformer[Token, Any]):
    """Parse tree → (directive, record) pairs, each record carrying its line."""

    @v_args(meta=True)
    def module_line(self, meta: Any, children: list[Any]) -> Value:
        return Value(_text(children[0]), meta.line)

    @v_args(meta=True)
    def version_line(self, meta: Any, children: list[Any]) -> Value:
        return Value(str(children[0]), meta.line)

    godebug_line = version_line

    @v_args(meta=True)
    def path_line(self, meta: Any, children: list[Any]) -> Value:
        return Value(_text(children[0]), meta.line)

    use_line = path_line

    @v_args(meta=True)
    def require_line(self, meta: Any, children: list[Any]) -> Requirement:
        comment = _comment(children) or ""
        indirect = comment == "indirect" or comment.startswith("indirect;")
        return Requirement(_text(children[0]), str(children[1]), indirect, meta.line)

    @v_args(meta=True)
    def exclude_line(self, meta: Any, children: list[Any]) -> Requirement:
        return Requirement(_text(children[0]), str(children[1]), False, meta.line)

    @v_args(meta=True)
    def replace_line(self, meta: Any, children: list[Any]) -> Replacement:
        arrow = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "ARROW")
        old, new = _words(children[:arrow]), _words(children[arrow + 1:])
        return Replacement(_text(old[0]), _text(old[1]) if len(old) > 1 else None,
                           _text(new[0]), _text(new[1]) if len(new) > 1 else None, meta.line)

    @v_args(meta=True)
    def retract_line(self, meta: Any, children: list[Any]) -> Retraction:
        versions = [str(c) for c in _words(children)]
        return Retraction(versions[0], versions[-1], _comment(children), meta.line)

    def module(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "module", _records(children)

    def go(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "go", _records(children)

    def toolchain(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "toolchain", _records(children)

    def godebug(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "godebug", _records(children)

    def require(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "require", _records(children)

    def exclude(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "exclude", _records(children)

    def replace(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "replace", _records(children)

    def retract(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "retract", _records(children)

    def use(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "use", _records(children)

    def tool(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "tool", _records(children)

    def ignore(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "ignore", _records(children)

    def unknown(self, children: list[Any]) -> tuple[str, list[Any]]:
        return "unknown", []

    def start(self, children: list[tuple[str, list[Any]]]) -> list[tuple[str, list[Any]]]:
        return [c for c in children if isinstance(c, tuple)]


def _records(children: list[Any]) -> list[Any]:
    """A directive's entries, without the block's own comment lines."""
    return [c for c in children if not isinstance(c, Token)]


def _assemble(rel: str, directives: list[tuple[str, list[Any]]], notes: list[Diagnostic]) -> ModFile:
    found: dict[str, list[Any]] = {}
    for name, records in directives:
        found.setdefault(name, []).extend(records)

    def first(name: str) -> Value | None:
        values: list[Value] = found.get(name, [])
        for extra in values[1:]:
            notes.append(warning("go.mod.repeated", f"repeated '{name}' directive is ignored", file=rel,
                                 line=extra.line, hint=f"keep a single '{name}' line"))
        return values[0] if values else None

    return ModFile(
        file=rel, module=first("module"), go=first("go"), toolchain=first("toolchain"),
        godebug=tuple(found.get("godebug", ())), requires=tuple(found.get("require", ())),
        excludes=tuple(found.get("exclude", ())), replaces=tuple(found.get("replace", ())),
        retracts=tuple(found.get("retract", ())), uses=tuple(found.get("use", ())),
        tools=tuple(found.get("tool", ())), diagnostics=tuple(notes),
    )
