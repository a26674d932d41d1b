"""Schema migrations of a Go module: golang-migrate, goose and atlas, run once per release.

A migrations directory (``migrations/``, ``db/migrations/``) of ``*.up.sql`` files, goose
annotations or an ``atlas.sum`` — confirmed by the tool's module in go.mod when present —
becomes one :class:`~kubify.ir.Migration`, attached to the first service that talks to a
SQL database so that it runs once, not once per component.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from kubify.analyzers.go.modules import GoIndex, Module, tooling
from kubify.diagnostics import FileProblem
from kubify.ir import Component, Evidence, Migration
from kubify.scan import Inventory, join, relative_to

_SQL_SERVICES = ("postgres", "mysql")


def with_migrations(inventory: Inventory, index: GoIndex, module: Module,
                     components: list[Component]) -> list[Component]:
    """Attach the module's schema migrations to one component: the first service that uses SQL."""
    migration = _migration(inventory, index, module, components)
    if migration is None:
        return components
    record, evidence = migration
    runnable = [c for c in components if c.kind in ("service", "worker")]
    sql = [c for c in runnable if any(d.service in _SQL_SERVICES for d in c.depends_on)]
    if not runnable:
        return components
    target = (sql or runnable)[0]
    return [c.model_copy(update={"migrations": (*c.migrations, record), "evidence": (*c.evidence, evidence)})
            if c is target else c for c in components]


@dataclass(frozen=True)
class _Tool:
    name: str
    requires: tuple[str, ...]
    marker: str


_TOOLS = (
    _Tool("golang-migrate", ("github.com/golang-migrate/migrate",), ".up.sql"),
    _Tool("goose", ("github.com/pressly/goose",), "-- +goose up"),
    _Tool("atlas", ("ariga.io/atlas",), "atlas.sum"),
)
_MIGRATION_DIRS = frozenset({"migrations", "migration", "migrate", "schema_migrations", "db_migrations"})


def _migration(inventory: Inventory, index: GoIndex, module: Module,
               components: list[Component]) -> tuple[Migration, Evidence] | None:
    directory = _migrations_dir(inventory, index, module)
    if directory is None:
        return None
    files = [f for f in inventory.children(directory) if f.endswith((".sql", ".sum"))]
    tool = _migration_tool(inventory, module, files)
    if tool is None:
        return None
    path = relative_to(directory, module.root)
    url = f"$({_database_env(components)})"
    commands = {
        "golang-migrate": ("migrate", "-path", path, "-database", url, "up"),
        "goose": ("goose", "-dir", path, _goose_driver(components), url, "up"),
        "atlas": ("atlas", "migrate", "apply", "--dir", f"file://{path}", "--url", url),
    }
    requirement = next((r for r in (module.modfile.requires if module.modfile else ())
                        if any(r.path.startswith(p) for p in tool.requires)), None)
    first = next((f for f in files if f.endswith(".up.sql")), files[0])
    source_file, line = (module.modfile.file, requirement.line) if requirement and module.modfile else (first, 1)
    evidence = Evidence(field="migrations", value=tool.name, rule=f"go.migrations.{tool.name}", file=source_file,
                        line=line, confidence=0.7 if requirement else 0.5)
    return Migration(tool=tool.name, command=commands[tool.name]), evidence


def _migrations_dir(inventory: Inventory, index: GoIndex, module: Module) -> str | None:
    candidates = sorted({posixpath.dirname(f) for f in inventory.under(module.root)
                         if f.endswith((".sql", "atlas.sum"))
                         and posixpath.basename(posixpath.dirname(f)) in _MIGRATION_DIRS
                         and index.owner(posixpath.dirname(f)) in (module.root, None)
                         and not tooling(relative_to(f, module.root))},
                        key=lambda d: (d.count("/"), d))
    return candidates[0] if candidates else None


def _migration_tool(inventory: Inventory, module: Module, files: list[str]) -> _Tool | None:
    required = {r.path for r in (module.modfile.requires if module.modfile else ())}
    for tool in _TOOLS:
        if any(path.startswith(prefix) for path in required for prefix in tool.requires):
            return tool
    if any(f.endswith(".up.sql") for f in files):
        return _TOOLS[0]
    if any(f.endswith("atlas.sum") for f in files) or inventory.has(join(module.root, "atlas.hcl")):
        return _TOOLS[2]
    for rel in files[:3]:
        try:
            if _TOOLS[1].marker in inventory.text(rel)[:2000].lower():
                return _TOOLS[1]
        except FileProblem:
            continue
    return None


def _database_env(components: list[Component]) -> str:
    pattern = re.compile(r"^(?:DATABASE|DB|POSTGRES|PG|MYSQL)\w*_(?:URL|DSN|URI)$|^DSN$|^DATABASE_URL$")
    names = sorted({e.name for c in components for e in c.env if pattern.match(e.name)})
    return "DATABASE_URL" if "DATABASE_URL" in names or not names else names[0]


def _goose_driver(components: list[Component]) -> str:
    services = {d.service for c in components for d in c.depends_on}
    return "mysql" if "mysql" in services and "postgres" not in services else "postgres"
