"""Runtime version pins from version-manager files (.python-version, .nvmrc, .tool-versions, ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join

#: Files that pin one language's version, in precedence order (Railpack/Nixpacks order).
PIN_FILES: dict[str, tuple[str, ...]] = {
    "python": (".python-version", "runtime.txt"),
    "node": (".nvmrc", ".node-version"),
    "go": (".go-version",),
}
#: Names the language has in ``.tool-versions`` (asdf) and ``mise.toml``.
TOOL_NAMES: dict[str, tuple[str, ...]] = {"python": ("python",), "node": ("nodejs", "node"), "go": ("golang", "go")}
_VERSION = re.compile(r"v?(\d+(?:\.\d+){0,2})")


@dataclass(frozen=True)
class VersionPin:
    version: str
    file: str
    line: int


def read_version(inventory: Inventory, root: str, language: str) -> VersionPin | None:
    """The pinned version of ``language`` at ``root`` (or the repo root), if any file pins it."""
    for base in dict.fromkeys((root, ".")):
        pin = _pin_files(inventory, base, language) or _tool_versions(inventory, base, language)
        if pin is not None:
            return pin
    return None


def _pin_files(inventory: Inventory, base: str, language: str) -> VersionPin | None:
    for name in PIN_FILES.get(language, ()):
        rel = join(base, name)
        if not inventory.has(rel):
            continue
        for number, line in _lines(inventory, rel):
            found = _VERSION.search(line.removeprefix("python-"))
            if found:
                return VersionPin(found.group(1), rel, number)
    return None


def _tool_versions(inventory: Inventory, base: str, language: str) -> VersionPin | None:
    names = TOOL_NAMES.get(language, ())
    rel = join(base, ".tool-versions")
    if inventory.has(rel):
        for number, line in _lines(inventory, rel):
            parts = line.split()
            if len(parts) >= 2 and parts[0] in names and (found := _VERSION.match(parts[1])):
                return VersionPin(found.group(1), rel, number)
    rel = join(base, "mise.toml")
    if inventory.has(rel):
        try:
            tools = inventory.toml(rel).get("tools", {})
        except FileProblem:
            return None
        for name in names:
            value = tools.get(name) if isinstance(tools, dict) else None
            if isinstance(value, str) and (found := _VERSION.match(value)):
                return VersionPin(found.group(1), rel, 1)
    return None


def _lines(inventory: Inventory, rel: str) -> list[tuple[int, str]]:
    try:
        text = inventory.text(rel)
    except FileProblem:
        return []
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.strip().startswith("#")]
