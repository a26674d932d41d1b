"""package.json: the manifest every Node decision starts from, with the line of every key.

Evidence must cite a line, and :mod:`json` forgets positions, so after the bounded loader
has validated the text a small tokenizer walks it once more and records the 1-based line
of each key (``("scripts", "start")`` → 7). Accessors never trust the shape of the data:
a ``"scripts": 3`` is treated as no scripts, not as a crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kubify.diagnostics import Diagnostic, FileProblem, warning
from kubify.scan import Inventory, parent

#: How deep key lines are recorded; deeper keys cite their nearest recorded ancestor.
MAX_KEY_DEPTH = 4
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class PackageJson:
    """One parsed package.json: its data, directory and key lines."""

    file: str
    data: dict[str, Any]
    lines: dict[Path, int] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return parent(self.file)

    def line(self, *path: str | int) -> int:
        """Line of the deepest recorded key on ``path`` (1 when none is)."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return 1

    def string(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) and value.strip() else None

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str | None:
        return self.string("name")

    @property
    def scripts(self) -> dict[str, str]:
        return {k: v for k, v in self.table("scripts").items() if isinstance(v, str)}

    def script(self, name: str) -> str | None:
        value = self.scripts.get(name)
        return value.strip() if value and value.strip() else None

    @property
    def dependencies(self) -> dict[str, str]:
        """Runtime dependencies (``dependencies`` plus ``optionalDependencies``)."""
        return {**_strings(self.table("optionalDependencies")), **_strings(self.table("dependencies"))}

    @property
    def dev_dependencies(self) -> dict[str, str]:
        return _strings(self.table("devDependencies"))

    def all_dependencies(self) -> dict[str, str]:
        return {**_strings(self.table("peerDependencies")), **self.dev_dependencies, **self.dependencies}

    def has_dependency(self, *names: str) -> bool:
        every = self.all_dependencies()
        return any(n in every for n in names)

    def dependency_section(self, name: str) -> str | None:
        """Which section lists ``name`` (runtime sections first), for citing its line."""
        for section in ("dependencies", "optionalDependencies", "devDependencies", "peerDependencies"):
            if name in self.table(section):
                return section
        return None

    def dependency_line(self, name: str) -> int:
        section = self.dependency_section(name)
        return self.line(section, name) if section else 1

    @property
    def engines(self) -> dict[str, str]:
        return _strings(self.table("engines"))

    @property
    def bin(self) -> dict[str, str]:
        value = self.data.get("bin")
        if isinstance(value, str) and value.strip():
            return {self.name or "bin": value}
        return _strings(value) if isinstance(value, dict) else {}

    def entry_fields(self) -> list[str]:
        """The library entry fields present (``main``, ``exports``, ``types``, ...)."""
        return [k for k in ("main", "module", "exports", "types", "typings", "browser") if self.data.get(k)]


def _strings(table: Any) -> dict[str, str]:
    if not isinstance(table, dict):
        return {}
    return {str(k): v for k, v in table.items() if isinstance(v, str)}


def load(inventory: Inventory, rel: str) -> tuple[PackageJson | None, list[Diagnostic]]:
    """The package.json at ``rel``, or None with a warning saying why it was skipped."""
    try:
        data = inventory.json(rel)
        text = inventory.text(rel)
    except FileProblem as problem:
        note = problem.diagnostic
        return None, [note.model_copy(update={
            "severity": "warning",
            "hint": (note.hint or "fix the file") + "; kubify skipped this package (npm cannot read it either)",
        })]
    if not isinstance(data, dict):
        return None, [warning("node.package-json.not-object", "package.json is not a JSON object; package skipped",
                              file=rel, line=1, hint='a package.json starts with "{" and holds a "name"')]
    return PackageJson(rel, data, key_lines(text)), []


@lru_cache(maxsize=512)
def key_lines(text: str) -> dict[Path, int]:
    """1-based line of each key (and array item) of a JSON document, up to :data:`MAX_KEY_DEPTH`.

    >>> key_lines('{\\n "a": {\\n  "b": 1\\n }\\n}')[("a", "b")]
    3
    """
    lines: dict[Path, int] = {}
    # Each frame: [path, is_object, expecting_key, current_key_or_index].
    stack: list[list[Any]] = []
    line, last = 1, 0
    for match in _TOKEN.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        token = match.group()
        frame = stack[-1] if stack else None
        if token in ("{", "["):
            path: Path = () if frame is None else (*frame[0], frame[3])
            _record_item(frame, lines, line)
            stack.append([path, token == "{", token == "{", 0 if token == "[" else None])
        elif token in ("}", "]"):
            if stack:
                stack.pop()
        elif frame is None:
            continue
        elif token == ",":
            if frame[1]:
                frame[2] = True
            else:
                frame[3] += 1
        elif token == ":":
            frame[2] = False
        elif frame[1] and frame[2] and token.startswith('"'):
            frame[3] = _decode(token)
            if len(frame[0]) < MAX_KEY_DEPTH:
                lines.setdefault((*frame[0], frame[3]), line)
        else:
            _record_item(frame, lines, line)
    return lines


def _record_item(frame: list[Any] | None, lines: dict[Path, int], line: int) -> None:
    """Array items get a line too (``workspaces[2]``)."""
    if frame is not None and not frame[1] and len(frame[0]) < MAX_KEY_DEPTH:
        lines.setdefault((*frame[0], frame[3]), line)


def _decode(token: str) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        return token[1:-1]
    return value if isinstance(value, str) else token[1:-1]


def line_of_text(text: str, offset: int) -> int:
    """1-based line of a character offset."""
    return text.count("\n", 0, offset) + 1
