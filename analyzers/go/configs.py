"""Ports that frameworks read from their own config files rather than from code.

beego reads ``httpport`` from ``conf/app.conf``; go-zero services read ``Port`` (REST) or
``ListenOn`` (zRPC) from ``etc/<service>.yaml``. Only top-level keys count, so a database
``Port`` nested under ``DataSource:`` is not taken for the service's.
"""

from __future__ import annotations

import posixpath
import re

from kubify.analyzers.draft import Site
from kubify.analyzers.go.resolve import port_in
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join

_BEEGO_PORT = re.compile(r"^\s*httpport\s*=\s*\"?(\d+)", re.IGNORECASE | re.M)
_ZERO_PORT = re.compile(r"^Port\s*:\s*(\d+)\s*$", re.M)
_ZERO_LISTEN = re.compile(r"^ListenOn\s*:\s*\"?([^\s\"#]+)", re.M)


def config_port(inventory: Inventory, main: str, module_root: str, config: str) -> tuple[int, Site] | None:
    """The port ``config`` (``beego``, ``go-zero``, ``go-zero-rpc``) names for the main package in ``main``."""
    if config == "beego":
        candidates = [join(base, "conf", "app.conf") for base in dict.fromkeys((main, module_root))]
        return _first(inventory, candidates, _BEEGO_PORT)
    pattern = _ZERO_LISTEN if config == "go-zero-rpc" else _ZERO_PORT
    candidates = [f for base in dict.fromkeys((main, module_root)) for f in inventory.children(join(base, "etc"))
                  if posixpath.splitext(f)[1] in (".yaml", ".yml")]
    return _first(inventory, candidates, pattern)


def _first(inventory: Inventory, candidates: list[str], pattern: re.Pattern[str]) -> tuple[int, Site] | None:
    for rel in candidates:
        if not inventory.has(rel):
            continue
        try:
            text = inventory.text(rel)
        except FileProblem:
            continue
        match = pattern.search(text)
        port = port_in(match.group(1)) if match else None
        if match and port is not None:
            return port, Site(rel, text.count("\n", 0, match.start()) + 1)
    return None


#: Application config files a service commonly loads its listen port from.
_CONFIG_NAMES = ("config.yaml", "config.yml", "config.toml", "config.json", "config.ini", "app.yaml", "app.yml",
                 "app.ini", "application.yaml", "application.yml", "settings.yaml", "settings.yml")
_CONFIG_DIRS = ("config", "configs", "conf", "etc")
_CONFIG_TYPES = (".yaml", ".yml", ".toml", ".json", ".ini")
#: Keys too common to trust anywhere but at their full path (a database has a ``port`` too).
_GENERIC_KEYS = frozenset({"port", "addr", "address", "host", "listen", "bind"})


def structured_config_port(inventory: Inventory, main: str, module_root: str,
                           path: list[str]) -> tuple[int, Site] | None:
    """The port at key ``path`` (``["Server", "Port"]`` for ``cfg.Server.Port``) of the service's config file."""
    wanted = [_key(p) for p in path if p]
    if not wanted:
        return None
    for rel in _config_files(inventory, main, module_root):
        document = _load(inventory, rel)
        for start in range(len(wanted)):
            suffix = wanted[start:]
            value = _lookup(document, suffix) if len(suffix) == 1 else _lookup_anywhere(document, suffix)
            port = _as_port(value)
            if port is not None:
                return port, Site(rel, _key_line(inventory, rel, suffix))
        if wanted[-1] not in _GENERIC_KEYS:
            values = _all_values(document, wanted[-1])
            ports = {p for v in values if (p := _as_port(v)) is not None}
            if len(values) == 1 and len(ports) == 1:
                return ports.pop(), Site(rel, _key_line(inventory, rel, wanted[-1:]))
    return None


def _as_port(value: object) -> int | None:
    return port_in(str(value)) if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _all_values(document: object, key: str, depth: int = 0) -> list[object]:
    """Every value of ``key`` at any depth (a distinctive key such as ``HttpPort`` found once is trusted)."""
    if not isinstance(document, dict) or depth > 4:
        return []
    found = [v for k, v in document.items() if isinstance(k, str) and _key(k) == key]
    for child in document.values():
        found += _all_values(child, key, depth + 1)
    return found


def _config_files(inventory: Inventory, main: str, module_root: str) -> list[str]:
    files = []
    for base in dict.fromkeys((main, module_root)):
        files += [join(base, name) for name in _CONFIG_NAMES if inventory.has(join(base, name))]
        for directory in _CONFIG_DIRS:
            files += sorted(f for f in inventory.children(join(base, directory))
                            if posixpath.splitext(f)[1] in _CONFIG_TYPES)
    return list(dict.fromkeys(files))[:12]


def _load(inventory: Inventory, rel: str) -> object:
    try:
        if rel.endswith(".toml"):
            return inventory.toml(rel)
        if rel.endswith(".json"):
            return inventory.json(rel)
        if rel.endswith(".ini"):
            return _ini(inventory.text(rel))
        return inventory.yaml(rel)
    except FileProblem:
        return None


def _ini(text: str) -> dict[str, object]:
    """``[section]`` / ``key = value`` as nested mappings (keys before any section at the top)."""
    document: dict[str, object] = {}
    section: dict[str, object] = document
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = {}
            document[line[1:-1].strip()] = section
        elif "=" in line:
            key, _, value = line.partition("=")
            section[key.strip()] = value.strip().strip("\"'")
    return document


def _key(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "")


def _lookup(document: object, path: list[str]) -> object:
    """The value at ``path`` (keys compared without case, ``_`` or ``-``); the full path must match."""
    node = document
    for part in path:
        if not isinstance(node, dict):
            return None
        node = next((v for k, v in node.items() if isinstance(k, str) and _key(k) == part), None)
    return node


def _lookup_anywhere(document: object, path: list[str], depth: int = 0) -> object:
    """The value at ``path`` below the root or below any nested mapping (first in document order)."""
    found = _lookup(document, path)
    if found is not None or depth >= 4 or not isinstance(document, dict):
        return found
    for child in document.values():
        found = _lookup_anywhere(child, path, depth + 1)
        if found is not None:
            return found
    return None


def _key_line(inventory: Inventory, rel: str, path: list[str]) -> int:
    """The line of the last key of ``path``, looking for each key after the previous one."""
    try:
        text = inventory.text(rel)
    except FileProblem:
        return 1
    offset, line = 0, 1
    for key in path:
        spelled = "[_-]?".join(re.escape(char) for char in key)
        match = re.compile(rf"^[ \t]*\[?[\"']?{spelled}[\"']?[ \t]*[:=\]]", re.IGNORECASE | re.M).search(text, offset)
        if match is None:
            return line
        offset, line = match.end(), text.count("\n", 0, match.start()) + 1
    return line
