"""The Node.js major to build with: ``engines.node`` > version files > the current LTS.

``engines.node`` is a semver range (``>=18``, ``^20.11``, ``18.x || 20.x``); an image tag
needs one major. Like Railpack (via mise) kubify picks a supported release inside the
range — the current LTS when it qualifies, else the newest qualifying major — so
``>=18`` builds on 22 rather than on an end-of-life 18.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.draft import Site
from kubify.analyzers.node.package_json import PackageJson
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join
from kubify.signals.versions import read_version

DEFAULT_MAJOR = 22
#: Majors kubify will pick from a range, newest last (even = LTS lines).
KNOWN_MAJORS: tuple[int, ...] = tuple(range(10, 27))
LTS_MAJORS = frozenset({18, 20, 22, 24})
#: ``lts/<codename>`` in .nvmrc.
LTS_CODENAMES: dict[str, int] = {
    "argon": 4, "boron": 6, "carbon": 8, "dubnium": 10, "erbium": 12, "fermium": 14, "gallium": 16,
    "hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24,
}
_COMPARATOR = re.compile(r"(>=|<=|>|<|=|\^|~)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?")
_HYPHEN = re.compile(r"v?(\d+)[.\dxX*]*\s+-\s+v?(\d+)[.\dxX*]*")


@dataclass(frozen=True)
class NodeVersion:
    major: int
    rule: str
    file: str | None
    line: int | None
    confidence: float
    declared: str

    @property
    def site(self) -> Site | None:
        return Site(self.file, self.line) if self.file is not None and self.line is not None else None


def node_version(inventory: Inventory, package: PackageJson, root_package: PackageJson | None) -> NodeVersion:
    for source in (package, root_package):
        declared = source.engines.get("node") if source is not None else None
        major = pick_major(declared) if declared else None
        if source is not None and declared and major is not None:
            return NodeVersion(major, "node.version.engines", source.file, source.line("engines", "node"), 0.9,
                               declared)
    pin = read_version(inventory, package.root, "node")
    if pin is not None and (major := pick_major(pin.version)) is not None:
        return NodeVersion(major, "node.version.pin-file", pin.file, pin.line, 0.9, pin.version)
    codename = _lts_codename(inventory, package.root)
    if codename is not None:
        return codename
    return NodeVersion(DEFAULT_MAJOR, "node.version.default-lts", None, None, 0.3, "lts")


def pick_major(range_text: str) -> int | None:
    """A concrete major satisfying a semver range.

    >>> pick_major(">=18"), pick_major("^20.11.0"), pick_major("18.x || 20.x"), pick_major("16")
    (22, 20, 20, 16)
    """
    text = range_text.strip().lower()[:200]
    if text in ("", "*", "x", "latest", "node", "current", "lts", "lts/*", "stable"):
        return DEFAULT_MAJOR
    alternatives = [a.strip() for a in text.split("||") if a.strip()]
    satisfying = [m for m in KNOWN_MAJORS if any(_satisfies(m, a) for a in alternatives)]
    if not satisfying:
        mentioned = [int(n) for n in re.findall(r"(?<![\d.])(\d{1,3})(?![\d])", text) if 0 < int(n) <= 40]
        return max(mentioned) if mentioned else None
    if DEFAULT_MAJOR in satisfying:
        return DEFAULT_MAJOR
    lts = [m for m in satisfying if m in LTS_MAJORS]
    return max(lts or satisfying)


def _satisfies(major: int, comparator_set: str) -> bool:
    hyphen = _HYPHEN.fullmatch(comparator_set)
    if hyphen:
        return int(hyphen.group(1)) <= major <= int(hyphen.group(2))
    comparators = list(_COMPARATOR.finditer(comparator_set))
    if not comparators:
        return False
    return all(_compare(major, c) for c in comparators)


def _compare(major: int, match: re.Match[str]) -> bool:
    operator, first = match.group(1) or "=", match.group(2)
    if not first.isdigit():
        return True
    wanted = int(first)
    refined = any(part and part.isdigit() and int(part) > 0 for part in (match.group(3), match.group(4)))
    if operator in ("=", "^", "~"):
        return major == wanted
    if operator == ">=":
        return major >= wanted
    if operator == ">":
        return major >= wanted if refined else major > wanted
    if operator == "<=":
        return major <= wanted
    return major <= wanted if refined else major < wanted


def _lts_codename(inventory: Inventory, root: str) -> NodeVersion | None:
    for base in dict.fromkeys((root, ".")):
        rel = join(base, ".nvmrc")
        if not inventory.has(rel):
            continue
        try:
            text = inventory.text(rel)
        except FileProblem:
            return None
        found = re.search(r"lts/([a-z*]+)|^\s*(node|stable|latest)\s*$", text.lower(), re.M)
        if found and (found.group(1) in LTS_CODENAMES or found.group(1) == "*" or found.group(2)):
            major = LTS_CODENAMES.get(found.group(1) or "", DEFAULT_MAJOR)
            return NodeVersion(major, "node.version.pin-file", rel, text.count("\n", 0, found.start()) + 1, 0.9,
                               found.group(0).strip())
    return None
