"""Dockerfile syntax: text in, instructions (with 1-based lines) and diagnostics out.

Two small steps, mirroring BuildKit's parser:

1. A line reader turns physical lines into logical instructions: parser directives
   (``# syntax=``, ``# escape=``) at the top, comments, line continuations with the
   escape character (comment and blank lines inside a continuation are skipped, as
   BuildKit does) and heredoc bodies (``RUN <<EOF`` … ``EOF``), which are read after the
   instruction that opens them.
2. Each logical instruction is parsed by the lark grammar ``grammars/dockerfile.lark``;
   bodies that Docker reads as "JSON array, else plain text" are decoded here.

No variable substitution happens here (see :mod:`dockerfile_model`). Nothing raises on
bad input: an instruction that does not parse becomes a diagnostic and is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedInput

from kubify.diagnostics import Diagnostic, warning

#: Every instruction Docker knows; anything else is reported, not guessed at.
KEYWORDS: frozenset[str] = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")
#: A shell word with its quotes kept: what BuildKit scans for ``<<EOF`` markers.
_SHELL_WORD = re.compile(r"""(?:"(?:\\.|[^"\\])*"?|'[^']*'?|\\.|[^\s"'\\])+""")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Heredoc:
    """A here-document attached to RUN/COPY/ADD; ``expand`` is False for a quoted name."""

    name: str
    content: str
    expand: bool = True
    chomp: bool = False


@dataclass(frozen=True)
class Instruction:
    """One instruction as written: keyword upper-cased, words still quoted, no substitution.

    ``args`` depends on the keyword: FROM ``(image,)`` or ``(image, stage)``; EXPOSE,
    COPY/ADD/VOLUME the words (or JSON items); RUN/CMD/ENTRYPOINT/SHELL the JSON items
    (``json=True``) or ``(text,)`` for the shell form; USER/WORKDIR/STOPSIGNAL/MAINTAINER
    ``(text,)``; HEALTHCHECK ``("NONE",)`` or ``()`` with the command in ``child``.
    ENV/LABEL/ARG carry ``pairs`` of raw name and raw value (``None``: ARG without default).
    ONBUILD carries its trigger in ``child``.
    """

    keyword: str
    line: int = 0
    end_line: int = 0
    flags: tuple[tuple[str, str | None], ...] = ()
    args: tuple[str, ...] = ()
    json: bool = False
    pairs: tuple[tuple[str, str | None], ...] = ()
    heredocs: tuple[Heredoc, ...] = ()
    child: Instruction | None = None
    text: str = ""
    #: The physical line of each of ``pairs`` (an ENV spread over continuation lines).
    pair_lines: tuple[int, ...] = ()

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (``""`` for a bare ``--name``), or None."""
        for key, value in self.flags:
            if key == name:
                return "" if value is None else value
        return None


@dataclass(frozen=True)
class Syntax:
    """A parsed Dockerfile: its directives, escape character, instructions and problems."""

    file: str
    escape: str = "\\"
    directives: tuple[tuple[str, str], ...] = ()
    instructions: tuple[Instruction, ...] = ()
    #: The first word of every logical line, parsed or not (for the "starts with FROM" check).
    keywords: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = field(default=())


class _Invalid(Exception):
    """A body Docker itself would reject (e.g. a JSON array of numbers)."""


class _ToInstruction(Transformer[Token, Instruction]):
    """Grammar tree → :class:`Instruction` (lines and heredocs are added by the caller)."""

    def start(self, children: list[Instruction]) -> Instruction:
        return children[0]

    def from_(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        words = tuple(str(t) for t in rest if t.type == "WORD")
        return Instruction(keyword, flags=flags, args=words, text=_joined(rest))

    def arg(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        return Instruction(keyword, flags=flags, pairs=tuple(_pair(str(t)) for t in rest), text=_joined(rest))

    def name_value(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        if rest[0].type == "WORD":  # legacy form: ENV NAME the rest of the line
            if len(rest) < 2:
                raise _Invalid(f"{keyword} must have two arguments")
            return Instruction(keyword, flags=flags, pairs=((str(rest[0]), str(rest[1])),), text=_joined(rest))
        pairs = tuple((name, value or "") for name, value in (_pair(str(t)) for t in rest))
        return Instruction(keyword, flags=flags, pairs=pairs, text=_joined(rest))

    def expose(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        return Instruction(keyword, flags=flags, args=tuple(str(t) for t in rest), text=_joined(rest))

    def command(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        body = _joined(rest)
        args, is_json = _maybe_json(body)
        if not is_json:
            args = (body,) if body else ()
        return Instruction(keyword, flags=flags, args=args, json=is_json, text=body)

    def listing(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        body = _joined(rest)
        args, is_json = _maybe_json(body)
        if not is_json:
            args = tuple(body.split())
        return Instruction(keyword, flags=flags, args=args, json=is_json, text=body)

    def text(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        body = _joined(rest)
        return Instruction(keyword, flags=flags, args=(body,) if body else (), text=body)

    def healthcheck(self, children: list[Token]) -> Instruction:
        keyword, flags, rest = _split(children)
        if rest[0].type == "NONE":
            return Instruction(keyword, flags=flags, args=("NONE",), text=str(rest[0]))
        return Instruction(keyword, flags=flags, child=self.command(rest), text=_joined(rest))

    def onbuild(self, children: list[Token | Instruction]) -> Instruction:
        trigger = children[1]
        if not isinstance(trigger, Instruction):
            raise _Invalid("ONBUILD needs an instruction")
        return Instruction("ONBUILD", child=trigger, text=f"{trigger.keyword} {trigger.text}")


def _split(children: list[Token]) -> tuple[str, tuple[tuple[str, str | None], ...], list[Token]]:
    """Keyword, ``--flags`` and the remaining tokens of an instruction."""
    keyword = str(children[0]).upper()
    flags = []
    rest = []
    for token in children[1:]:
        if token.type == "FLAG":
            name, eq, value = str(token)[2:].partition("=")
            flags.append((name.lower(), _unquote(value) if eq else None))
        else:
            rest.append(token)
    return keyword, tuple(flags), rest


def _joined(tokens: list[Token]) -> str:
    return " ".join(str(t) for t in tokens)


def _pair(word: str) -> tuple[str, str | None]:
    name, eq, value = word.partition("=")
    return name, value if eq else None


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _maybe_json(body: str) -> tuple[tuple[str, ...], bool]:
    """Docker's rule: a body starting with ``[`` that decodes as a JSON array of strings is
    the exec form; one that does not decode is plain text; an array of non-strings is an error."""
    if not body.startswith("["):
        return (), False
    try:
        items = json.loads(body)
    except ValueError:
        return (), False
    if not isinstance(items, list):
        return (), False
    if not all(isinstance(item, str) for item in items):
        raise _Invalid("when using JSON array syntax, arrays must be comprised of strings only")
    return tuple(items), True


@cache
def _parser(escape: str) -> Lark:
    grammar = resources.files("kubify.analyzers").joinpath("grammars/dockerfile.lark").read_text("utf-8")
    if escape == "`":
        grammar += '\n%override ESCAPE: "`"\n%override OTHER_ESCAPE: "\\\\"\n'
    # cache=True keeps the LALR tables in a temp file keyed by the grammar: ~15 ms per start.
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_ToInstruction(), cache=True)


class _Lines:
    """Physical lines with a cursor, so heredoc bodies can be read after their instruction."""

    def __init__(self, text: str) -> None:
        text = text.removeprefix("\ufeff")
        self.lines = [line.rstrip("\r") for line in text.removesuffix("\n").split("\n")]
        self.position = 0  # index of the next unread line; equals the 1-based number of the last read

    def next_logical(self, continuation: re.Pattern[str]) -> tuple[str, list[tuple[int, int]]] | None:
        """The next instruction with its continuation lines joined, and where each physical
        line starts in it: ``(offset, line number)`` pairs, the first being the instruction's line."""
        while self.position < len(self.lines):
            raw = self.lines[self.position].lstrip()
            self.position += 1
            if raw.startswith("#"):
                continue
            line, more = _trim_continuation(raw, continuation)
            if not more and not line.strip():
                continue
            starts = [(0, self.position)]
            while more and self.position < len(self.lines):
                raw = self.lines[self.position]
                self.position += 1
                if raw.lstrip().startswith("#") or not raw.strip():
                    continue
                part, more = _trim_continuation(raw, continuation)
                starts.append((len(line), self.position))
                line += part
            if line.strip():
                indent = len(line) - len(line.lstrip())
                return line.strip(), [(max(offset - indent, 0), number) for offset, number in starts]
        return None

    def heredoc(self, name: str, chomp: bool) -> tuple[str, bool]:
        """The body up to the line equal to ``name``; False when the file ends first."""
        body: list[str] = []
        while self.position < len(self.lines):
            line = self.lines[self.position]
            self.position += 1
            if (line.lstrip("\t") if chomp else line) == name:
                return "".join(body), True
            body.append((line.lstrip("\t") if chomp else line) + "\n")
        return "".join(body), False


def _trim_continuation(line: str, continuation: re.Pattern[str]) -> tuple[str, bool]:
    match = continuation.search(line)
    if match is None:
        return line, False
    return line[:match.start()] + match.group(1), True


def _continuation_pattern(escape: str) -> re.Pattern[str]:
    """BuildKit's rule: the escape character, then only blanks, ends the line — unless escaped."""
    e = re.escape(escape)
    return re.compile(f"(^|[^{e}]){e}[ \\t]*$")


def _directives(lines: list[str], file: str) -> tuple[dict[str, str], list[Diagnostic]]:
    """Parser directives: ``# name=value`` lines at the very top, before anything else."""
    found: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.match(line.lstrip())
        if match is None or match.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        name, value = match.group(1).lower(), match.group(2)
        if name in found:
            problems.append(warning("dockerfile.directive", f"only one '{name}' parser directive can be used",
                                    file=file, line=number, hint="delete the repeated directive"))
            continue
        if name == "escape" and value not in ("\\", "`"):
            problems.append(warning("dockerfile.directive", f"invalid escape character {value!r}",
                                    file=file, line=number, hint="use '# escape=\\' or '# escape=`'"))
            continue
        found[name] = value
    return found, problems


def _heredoc_markers(line: str) -> list[tuple[str, bool, bool]]:
    """``(name, expand, chomp)`` for every ``<<NAME``/``<<-NAME``/``<<"NAME"`` word of the line."""
    markers = []
    for word in _SHELL_WORD.findall(line):
        match = _HEREDOC_WORD.match(word)
        if match is None or not match.group(3):
            continue
        raw = match.group(3)
        name = raw.replace('"', "").replace("'", "")
        if name and not any(c.isspace() for c in name):
            markers.append((name, raw == name, match.group(2) == "-"))
    return markers


def _takes_heredoc(instruction: Instruction) -> Instruction | None:
    """The instruction (or ONBUILD trigger) whose shell-form body may open heredocs."""
    target = instruction.child if instruction.keyword == "ONBUILD" else instruction
    if target is not None and target.keyword in _HEREDOC_KEYWORDS and not target.json:
        return target
    return None


def parse_syntax(text: str, file: str = "Dockerfile") -> Syntax:
    """Parse Dockerfile ``text`` (named ``file`` in diagnostics); never raises."""
    lines = _Lines(text)
    directives, diagnostics = _directives(lines.lines, file)
    escape = directives.get("escape", "\\")
    continuation = _continuation_pattern(escape)
    instructions: list[Instruction] = []
    keywords: list[str] = []
    while (logical := lines.next_logical(continuation)) is not None:
        line, starts = logical
        start = starts[0][1]
        keyword = line.split(None, 1)[0].upper()
        keywords.append(keyword)
        instruction, problem = _parse_instruction(line, keyword, escape, file, start)
        if problem is not None:
            diagnostics.append(problem)
        if instruction is None:
            continue
        instruction = _attach_heredocs(instruction, lines, file, start, diagnostics)
        instructions.append(replace(instruction, line=start, end_line=lines.position,
                                    pair_lines=_pair_lines(instruction, line, starts)))
    return Syntax(file=file, escape=escape, directives=tuple(sorted(directives.items())),
                  instructions=tuple(instructions), keywords=tuple(keywords), diagnostics=tuple(diagnostics))


def _pair_lines(instruction: Instruction, line: str, starts: list[tuple[int, int]]) -> tuple[int, ...]:
    """The physical line of each name=value pair: found in order in the joined line."""
    found = []
    offset = 0
    for name, _value in instruction.pairs:
        position = line.find(name, offset)
        offset = position + len(name) if position >= 0 else offset
        found.append(next(number for start, number in reversed(starts) if start <= max(position, 0)))
    return tuple(found)


def _parse_instruction(line: str, keyword: str, escape: str, file: str,
                       start: int) -> tuple[Instruction | None, Diagnostic | None]:
    if keyword not in KEYWORDS:
        return None, warning("dockerfile.unknown-instruction", f"unknown instruction {keyword[:40]!r}",
                             file=file, line=start,
                             hint="Docker rejects this line; check the spelling or remove it")
    try:
        parsed = _parser(escape).parse(line)
    except _Invalid as problem:
        return None, warning("dockerfile.syntax", f"{keyword}: {problem}", file=file, line=start,
                             hint='write the exec form as a JSON array of strings, e.g. ["app", "--port", "80"]')
    except UnexpectedInput as problem:
        return None, warning("dockerfile.syntax", f"cannot parse this {keyword} instruction "
                             f"(unexpected input at column {problem.column})", file=file, line=start,
                             hint=_HINTS.get(keyword, "compare with the Dockerfile reference for this instruction"))
    except LarkError as problem:  # a grammar-level failure is still only this line's problem
        return None, warning("dockerfile.syntax", f"cannot parse this {keyword} instruction: {problem}"[:300],
                             file=file, line=start)
    if not isinstance(parsed, Instruction):  # the transformer always builds one; this narrows the type
        return None, None
    return parsed, None


_HINTS: dict[str, str] = {
    "FROM": "use FROM [--platform=<platform>] <image> [AS <name>]",
    "ENV": "use ENV NAME=value [NAME2=value2 ...]; quote values that contain spaces",
    "LABEL": "use LABEL key=value [key2=value2 ...]; quote values that contain spaces",
    "ARG": "use ARG NAME[=default]",
    "HEALTHCHECK": "use HEALTHCHECK [options] CMD <command> or HEALTHCHECK NONE",
}


def _attach_heredocs(instruction: Instruction, lines: _Lines, file: str, start: int,
                     diagnostics: list[Diagnostic]) -> Instruction:
    target = _takes_heredoc(instruction)
    if target is None:
        return instruction
    docs = []
    for name, expand, chomp in _heredoc_markers(target.text):
        content, terminated = lines.heredoc(name, chomp)
        if not terminated:
            diagnostics.append(warning("dockerfile.heredoc", f"heredoc <<{name} is never terminated",
                                       file=file, line=start, hint=f"end it with a line containing only {name}"))
        docs.append(Heredoc(name=name, content=content, expand=expand, chomp=chomp))
    if not docs:
        return instruction
    if instruction.keyword == "ONBUILD":
        return replace(instruction, child=replace(target, heredocs=tuple(docs)))
    return replace(instruction, heredocs=tuple(docs))
