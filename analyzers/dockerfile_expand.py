"""Variable substitution in Dockerfile words, as BuildKit's shell lexer does it.

Docker expands ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:+alt}`` and ``${VAR+alt}`` in FROM, ENV, LABEL, ARG, EXPOSE, USER, WORKDIR,
VOLUME, COPY/ADD and STOPSIGNAL, removes quotes (single quotes stop expansion) and
honours the escape character. We need the same result to know which image a stage
starts from and which port ``EXPOSE $PORT`` opens — and we need to know when we could
*not* know (a build argument without a default), so every expansion also reports the
variables it found unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Nesting like ${A:-${B:-${C}}} deeper than this is read literally (Dockerfiles never come close).
MAX_DEPTH = 32
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class Expanded:
    """An expanded word and the variables it referenced that had no value."""

    value: str
    missing: tuple[str, ...] = ()


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> Expanded:
    """``word`` with quotes removed and variables from ``env`` substituted.

    >>> expand('${IMAGE:-python}:"3.12"-slim', {}).value
    'python:3.12-slim'
    >>> expand("$PORT", {}).missing
    ('PORT',)
    """
    lexer = _Lexer(word, env, escape)
    value = lexer.process(stop=None)
    return Expanded(value, tuple(dict.fromkeys(lexer.missing)))


class _Lexer:
    """A cursor over one word; ``process`` reads up to ``stop`` (or the end)."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.pos = 0
        self.depth = 0
        self.missing: list[str] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def process(self, stop: str | None) -> str:
        out = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == stop:
                break
            self.pos += 1
            if char == self.escape:
                out.append(self.take())
            elif char == "'":
                out.append(self._single_quoted())
            elif char == '"':
                out.append(self._double_quoted())
            elif char == "$":
                out.append(self._dollar())
            else:
                out.append(char)
        return "".join(out)

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        end = len(self.text) if end < 0 else end
        value = self.text[self.pos:end]
        self.pos = end + 1
        return value

    def _double_quoted(self) -> str:
        out = []
        while self.pos < len(self.text):
            char = self.take()
            if char == '"':
                break
            if char == self.escape and self.peek() in ('"', "$", self.escape) and self.peek():
                out.append(self.take())
            elif char == "$":
                out.append(self._dollar())
            else:
                out.append(char)
        return "".join(out)

    def _name(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        return self.text[start:self.pos]

    def _dollar(self) -> str:
        if self.peek() != "{":
            name = self._name()
            return self._lookup(name) if name else "$"
        self.pos += 1
        name = self._name()
        if not name or "}" not in self.text[self.pos:] or self.depth >= MAX_DEPTH:
            self.pos -= len(name) + 1
            return "$"
        self.depth += 1
        operator = self._operator()
        word = self.process(stop="}") if operator else ""
        self.depth -= 1
        self.pos += 1  # the closing brace
        return self._apply(name, operator, word)

    def _operator(self) -> str:
        for candidate in (":-", ":+", ":?", "-", "+", "?"):
            if self.text.startswith(candidate, self.pos):
                self.pos += len(candidate)
                return candidate
        if self.peek() != "}":  # ${VAR#x}, ${VAR%x}, ${VAR/x/y}: keep the plain value
            self.process(stop="}")
        return ""

    def _apply(self, name: str, operator: str, word: str) -> str:
        value = self.env.get(name)
        empty = not value
        if operator in (":-", "-"):
            unset = empty if operator == ":-" else value is None
            return word if unset else str(value)
        if operator in (":+", "+"):
            unset = empty if operator == ":+" else value is None
            return "" if unset else word
        return self._lookup(name)

    def _lookup(self, name: str) -> str:
        value = self.env.get(name)
        if value is None:
            self.missing.append(name)
            return ""
        return value
