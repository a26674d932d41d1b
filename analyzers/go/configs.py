"""Ports that frameworks read from their own config files rather than from code.

beego reads ``httpport`` from ``conf/app.conf``; go-zero services read ``Port`` (REST) or
``ListenOn`` (zRPC) from ``etc/<service>.yaml``. Only top-level keys count, so a database
``Port`` nested under ``DataSource:`` is not taken for the service's.
"""

from __future__ import annotations

import posixpath
import re

from kubify.analyzers.go.records import Site
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
