"""Line numbers for values parsed by libraries that forget them (``tomllib``, ``configparser``).

Users are shown ``pyproject.toml:14``; the parsed value says *what*, these helpers find
*where* by locating the table header and then the key or text inside that table.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_INI_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*$")


def _table_name(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


class SectionLines:
    """Tables (TOML) or sections (INI) of a text, each with its line range."""

    def __init__(self, text: str, *, ini: bool = False) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []
        pattern = _INI_HEADER if ini else _HEADER
        for number, line in enumerate(self.lines, start=1):
            match = pattern.match(line)
            if match is not None:
                self.headers.append((number, _table_name(match.group(1))))

    def table(self, name: str) -> tuple[int, int] | None:
        """(header line, last line) of table ``name``; the root table is ``""``."""
        if name == "":
            end = self.headers[0][0] - 1 if self.headers else len(self.lines)
            return (1, max(end, 1))
        for index, (number, header) in enumerate(self.headers):
            if header == name:
                end = self.headers[index + 1][0] - 1 if index + 1 < len(self.headers) else len(self.lines)
                return (number, end)
        return None

    def key(self, table: str, key: str) -> int | None:
        """The line of ``key = ...`` inside ``table`` (also ``table.key = ...`` in a parent table)."""
        span = self.table(table)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]", re.IGNORECASE)
        if span is not None:
            found = self._search(span, pattern)
            if found is not None:
                return found
        if "." in table:
            head, _, tail = table.rpartition(".")
            return self.key(head, f"{tail}.{key}") if head != table else None
        return None

    def find(self, table: str, needle: str, after: int | None = None) -> int | None:
        """The first line in ``table`` (after line ``after``) that contains ``needle``."""
        span = self.table(table)
        if span is None:
            return None
        start = max(span[0], after or span[0])
        for number in range(start, span[1] + 1):
            if needle in self.lines[number - 1]:
                return number
        return None

    def header(self, table: str) -> int | None:
        span = self.table(table)
        return span[0] if span is not None and table else None

    def _search(self, span: tuple[int, int], pattern: re.Pattern[str]) -> int | None:
        for number in range(span[0], span[1] + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None


def find_line(text: str, needle: str, default: int = 1) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``text`` (``default`` if absent)."""
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else default
