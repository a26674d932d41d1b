"""From a version constraint (``>=3.10,<3.13``, ``^3.11``, ``~=3.12``, ``3.12.4``) to one minor.

A generated image needs one concrete ``python:<minor>-slim`` tag. An exact pin wins; a
range resolves to the lowest allowed minor that is still supported upstream (the one
the project is most surely tested on), and the evidence says so. The table of supported
minors is fixed in code, not computed from the clock, so output is deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Minors kubify knows about, oldest first.
KNOWN_MINORS: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(6, 16))
#: Minors with upstream security support (as of 2026-11: 3.10 reached end of life in 2026-10).
SUPPORTED_MINORS: tuple[tuple[int, int], ...] = ((3, 11), (3, 12), (3, 13), (3, 14))
#: The image used when nothing constrains the version.
DEFAULT_MINOR: tuple[int, int] = (3, 13)

_CLAUSE = re.compile(r"^(===|==|!=|~=|>=|<=|>|<|\^|~|=)?\s*v?(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?")
_EXACT = re.compile(r"^\s*(?:python-?)?v?(\d+)\.(\d+)")


@dataclass(frozen=True)
class Choice:
    """The chosen minor (``"3.12"``) and why, for the evidence."""

    version: str
    reason: str


def exact_minor(text: str) -> str | None:
    """``3.12`` from a pin like ``3.12.4``, ``python-3.12.1`` or ``3.12``."""
    match = _EXACT.match(text)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def choose_minor(spec: str) -> Choice | None:
    """The minor a constraint allows; None when the text is not a version constraint."""
    allowed = _allowed(spec) if spec.strip() not in ("", "*") else None
    if allowed is None:
        return None
    if not allowed:
        return Choice(_text(DEFAULT_MINOR), f"'{spec}' allows no known Python; using the default")
    if len(allowed) == 1:
        return Choice(_text(allowed[0]), f"'{spec}' allows only {_text(allowed[0])}")
    supported = [m for m in allowed if m in SUPPORTED_MINORS]
    if supported:
        return Choice(_text(supported[0]), f"lowest still-supported minor allowed by '{spec}'")
    newest = allowed[-1]
    return Choice(_text(newest), f"'{spec}' allows only end-of-life minors; using the newest, {_text(newest)}")


def is_end_of_life(version: str) -> bool:
    match = _EXACT.match(version)
    if match is None:
        return False
    minor = (int(match.group(1)), int(match.group(2)))
    return minor < SUPPORTED_MINORS[0]


def _text(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def _allowed(spec: str) -> list[tuple[int, int]] | None:
    alternatives = [a for a in spec.split("||") if a.strip()]
    if not alternatives:
        return None
    allowed: set[tuple[int, int]] = set()
    for alternative in alternatives:
        compact = re.sub(r"([<>=!~^])\s+", r"\1", alternative.strip())
        clauses = [c for c in re.split(r"[,\s]+(?=[<>=!~^\d*])", compact) if c.strip()]
        matching = set(KNOWN_MINORS)
        for clause in clauses:
            if clause.strip() == "*":
                continue
            accepted = _accepts(clause.strip())
            if accepted is None:
                return None
            matching = {m for m in matching if accepted(m)}
        allowed |= matching
    return sorted(allowed)


def _accepts(clause: str) -> _Predicate | None:
    match = _CLAUSE.match(clause)
    if match is None:
        return None
    op = match.group(1) or "=="
    major = int(match.group(2))
    minor_text, patch_text = match.group(3), match.group(4)
    wildcard = minor_text == "*" or patch_text == "*"
    minor = int(minor_text) if minor_text and minor_text != "*" else None
    patch = int(patch_text) if patch_text and patch_text != "*" else None
    return _Predicate(op, major, minor, patch, wildcard)


@dataclass(frozen=True)
class _Predicate:
    """One clause evaluated at minor granularity: does some patch release of the minor satisfy it?"""

    op: str
    major: int
    minor: int | None
    patch: int | None
    wildcard: bool

    def __call__(self, candidate: tuple[int, int]) -> bool:
        if self.minor is None:
            return self._major_only(candidate)
        bound = (self.major, self.minor)
        if self.op in ("==", "===", "="):
            return candidate == bound
        if self.op == "!=":
            return candidate != bound or (self.patch is not None and not self.wildcard)
        if self.op == ">=":
            return candidate >= bound
        if self.op == ">":
            return candidate >= bound if self.patch is not None else candidate > bound
        if self.op == "<=":
            return candidate <= bound
        if self.op == "<":
            return candidate <= bound if self.patch else candidate < bound
        if self.op == "~=":
            return candidate == bound if self.patch is not None else (candidate[0] == self.major
                                                                       and candidate >= bound)
        if self.op == "^":
            return candidate[0] == self.major and candidate >= bound
        return candidate == bound  # poetry "~3.11": the 3.11 series

    def _major_only(self, candidate: tuple[int, int]) -> bool:
        major = candidate[0]
        if self.op in (">=", ">"):
            return major > self.major or (self.op == ">=" and major == self.major)
        if self.op in ("<=", "<"):
            return major < self.major or (self.op == "<=" and major == self.major)
        return (major != self.major) if self.op == "!=" else (major == self.major)
