"""Go source files, read just enough: package clause, imports, ``func main``, and code without comments.

kubify does not type-check Go. It needs to know which directories are ``package main``
with a ``func main()``, what each file imports (framework, drivers), and a comment-free
copy of the code for the pattern scans in :mod:`.facts` (so a commented-out
``http.ListenAndServe(":9999")`` is not a port). String literals are kept verbatim and
newlines are preserved, so offsets map back to the user's line numbers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

_LEXEMES = re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|`[^`]*`|'(?:[^'\\\n]|\\.)*'""", re.S)
_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z_]\w*)", re.M)
_DECLARATION = re.compile(r"^(?:func|type|var|const)\b", re.M)
_IMPORT_BLOCK = re.compile(r"\bimport\s*\(([^)]*)\)")
_IMPORT_SPEC = re.compile(r"(?:^|[\s;(])(?:([A-Za-z_.]\w*)[ \t]+)?(\"[^\"\n]*\"|`[^`\n]*`)")
_IMPORT_ONE = re.compile(r"\bimport[ \t]+(?:([A-Za-z_.]\w*)[ \t]+)?(\"[^\"\n]*\"|`[^`\n]*`)")
_MAIN = re.compile(r"^func[ \t]+main[ \t]*\([ \t]*\)", re.M)
_GENERATED = re.compile(r"^// Code generated .* DO NOT EDIT\.\s*$", re.M)
_BUILD_IGNORE = re.compile(r"^//(?:go:build|\s*\+build)\s.*(?<![!\w])ignore\b", re.M)
#: Past this size a file is generated data (bindata, tables), not code worth scanning.
MAX_SCANNED_BYTES = 1_000_000


@dataclass(frozen=True)
class Import:
    path: str
    alias: str | None
    line: int


@dataclass(frozen=True)
class GoFile:
    """One ``.go`` file: its package, imports and comment-free code."""

    rel: str
    package: str | None
    imports: tuple[Import, ...]
    main_line: int | None
    generated: bool
    code: str = field(repr=False)

    @property
    def has_main(self) -> bool:
        return self.main_line is not None

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.code)]

    def line_of(self, offset: int) -> int:
        """1-based line of a character offset into :attr:`code`."""
        return bisect.bisect_right(self._line_starts, offset)

    def imports_path(self, prefix: str) -> Import | None:
        """The import of ``prefix`` or of a package below it."""
        return next((i for i in self.imports if i.path == prefix or i.path.startswith(prefix + "/")), None)


def strip_comments(text: str) -> str:
    """``text`` with comments blanked (newlines kept) and string literals untouched."""
    def keep(match: re.Match[str]) -> str:
        lexeme = match.group()
        if lexeme.startswith("/"):
            return "\n" * lexeme.count("\n")
        return lexeme
    return _LEXEMES.sub(keep, text)


def parse_go(text: str, rel: str) -> GoFile | None:
    """The file's facts, or None for files the Go tool would skip (``//go:build ignore``)."""
    header = text[:4096]
    package_at = _PACKAGE.search(header)
    if _BUILD_IGNORE.search(header[: package_at.start()] if package_at else header):
        return None
    code = strip_comments(text[:MAX_SCANNED_BYTES])
    package = _PACKAGE.search(code)
    body_start = package.end() if package else 0
    first_decl = _DECLARATION.search(code, body_start)
    imports = _imports(code, body_start, first_decl.start() if first_decl else len(code))
    main = _MAIN.search(code)
    return GoFile(
        rel=rel,
        package=package.group(1) if package else None,
        imports=imports,
        main_line=code.count("\n", 0, main.start()) + 1 if main else None,
        generated=bool(_GENERATED.search(header)),
        code=code,
    )


def _imports(code: str, start: int, end: int) -> tuple[Import, ...]:
    found: list[Import] = []
    section = code[start:end]

    def add(alias: str | None, literal: str, offset: int) -> None:
        found.append(Import(literal[1:-1], alias, code.count("\n", 0, start + offset) + 1))

    for block in _IMPORT_BLOCK.finditer(section):
        for spec in _IMPORT_SPEC.finditer(block.group(1)):
            add(spec.group(1), spec.group(2), block.start(1) + spec.start(2))
    for single in _IMPORT_ONE.finditer(section):
        add(single.group(1), single.group(2), single.start(2))
    return tuple(sorted(found, key=lambda i: (i.line, i.path)))


def call_args(code: str, open_paren: int, limit: int = 4000) -> list[str] | None:
    """The top-level, comma-separated arguments of the call whose ``(`` is at ``open_paren``.

    Strings, runes and nested brackets are skipped over; None when the call does not
    close within ``limit`` characters (a syntax error or a huge literal).
    """
    scanned = _scan_call(code, open_paren, limit)
    return scanned[0] if scanned else None


def closing_paren(code: str, open_paren: int, limit: int = 4000) -> int | None:
    """The offset of the ``)`` matching the ``(`` at ``open_paren``."""
    scanned = _scan_call(code, open_paren, limit)
    return scanned[1] if scanned else None


def _scan_call(code: str, open_paren: int, limit: int) -> tuple[list[str], int] | None:
    args: list[str] = []
    depth, start = 0, open_paren + 1
    for index, char in _code(code, open_paren + 1, min(len(code), open_paren + limit)):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                last = code[start:index].strip()
                if last or args:
                    args.append(last)
                return args, index
            depth -= 1
        elif char == "," and depth == 0:
            args.append(code[start:index].strip())
            start = index + 1
    return None


def expression_at(code: str, start: int, limit: int = 400) -> str:
    """The expression starting at ``start`` up to the next top-level ``,``, ``;``, newline or closing bracket."""
    depth, stop = 0, start
    for index, char in _code(code, start, min(len(code), start + limit)):
        if depth == 0 and char in ")]},;\n":
            return code[start:index].strip()
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        stop = index + 1
    return code[start:stop].strip()


def braced_body(code: str, open_brace: int, limit: int = 8000) -> str | None:
    """The text between ``{`` at ``open_brace`` and its matching ``}``."""
    depth = 0
    for index, char in _code(code, open_brace, min(len(code), open_brace + limit)):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return code[open_brace + 1:index]
    return None


def _code(code: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """``(offset, char)`` for each character of ``code[start:end]`` outside string and rune literals.

    A literal is skipped whole and reported once, as its closing quote (at the last offset it
    took), so nothing inside it looks like a bracket or a separator.
    """
    index = start
    while index < end:
        char = code[index]
        if char in "\"'`":
            index = _skip_literal(code, index, end)
            yield index - 1, char
        else:
            yield index, char
            index += 1


def _skip_literal(code: str, index: int, end: int) -> int:
    quote = code[index]
    index += 1
    while index < end and code[index] != quote:
        if code[index] == "\\" and quote != "`":
            index += 1
        elif code[index] == "\n" and quote != "`":
            break
        index += 1
    return index + 1


def unquote(literal: str) -> str | None:
    """The value of a Go string literal (``"..."`` or a raw string), or None if it is not one."""
    literal = literal.strip()
    if len(literal) >= 2 and literal[0] == literal[-1] == "`":
        return literal[1:-1]
    if len(literal) >= 2 and literal[0] == literal[-1] == '"':
        body = literal[1:-1]
        return re.sub(r"\\(.)", r"\1", body) if "\\" in body else body
    return None
