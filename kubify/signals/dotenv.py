"""``.env.example`` and friends: the environment contract a project documents for itself.

Only names and non-secret defaults are kept; the real ``.env`` is never read, because it
holds values that must not end up in manifests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join
from kubify.signals.secrets import looks_secret

EXAMPLE_FILES: tuple[str, ...] = (".env.example", ".env.sample", ".env.template", ".env.dist", "env.example",
                                  "example.env", "sample.env")
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class EnvEntry:
    name: str
    default: str | None
    secret: bool
    file: str
    line: int


def read_env_example(inventory: Inventory, root: str) -> list[EnvEntry]:
    """Entries of the first example env file at ``root`` (secret values dropped)."""
    for name in EXAMPLE_FILES:
        rel = join(root, name)
        if inventory.has(rel):
            try:
                return _parse(inventory.text(rel), rel)
            except FileProblem:
                return []
    return []


def _parse(text: str, rel: str) -> list[EnvEntry]:
    entries: dict[str, EnvEntry] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _ASSIGNMENT.match(raw)
        if match is None or raw.lstrip().startswith("#"):
            continue
        name, value = match.group(1), _unquote(match.group(2))
        secret = looks_secret(name, value)
        default = None if secret or value == "" else value
        entries.setdefault(name, EnvEntry(name, default, secret, rel, number))
    return sorted(entries.values(), key=lambda e: e.name)


def _unquote(value: str) -> str:
    if "#" in value and not value.startswith(("'", '"')):
        value = value.split("#", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
