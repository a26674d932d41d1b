"""Analyzers: one module per package type, registered in :data:`REGISTRY`.

Adding a package type means adding one module here that implements
:class:`~kubify.analyzers.base.Analyzer` and one line in :func:`builtin`. Third-party
analyzers register through the ``kubify.analyzers`` entry-point group.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from kubify.analyzers.base import Analyzer

#: Built-in analyzer modules; each defines ``ANALYZER``.
BUILTIN_MODULES: tuple[str, ...] = (
    "kubify.analyzers.dockerfile",
    "kubify.analyzers.python",
    "kubify.analyzers.node",
    "kubify.analyzers.go",
    "kubify.analyzers.helm",
)


def builtin() -> list[Analyzer]:
    return [import_module(name).ANALYZER for name in BUILTIN_MODULES]


def registered() -> list[Analyzer]:
    """Built-in analyzers, then any installed through the ``kubify.analyzers`` entry points."""
    analyzers = builtin()
    for entry in sorted(entry_points(group="kubify.analyzers"), key=lambda e: e.name):
        analyzers.append(entry.load())
    return analyzers
