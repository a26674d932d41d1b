"""The Node analyzer's draft: the shared one, plus migrations and what a sibling worker drops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from kubify.analyzers.draft import Draft, Site
from kubify.ir import Migration


@dataclass
class NodeDraft(Draft):
    analyzer: ClassVar[str] = "node"

    migrations: dict[str, Migration] = field(default_factory=dict)

    def add_migration(self, migration: Migration, rule: str, at: Site, confidence: float) -> None:
        if migration.tool not in self.migrations:
            self.migrations[migration.tool] = migration
            self.note("migrations", " ".join(migration.command), rule, at, confidence)

    def remove_env(self, name: str) -> None:
        self.env.pop(name, None)
        self.evidence = [e for e in self.evidence if not (e.field == "env" and e.value.split(" ")[0] == name)]

    def drop(self, *names: str) -> None:
        """Forget fields that do not apply (a library has no ports)."""
        for name in names:
            self.values.pop(name, None)
        self.evidence = [e for e in self.evidence if e.field not in names]
        if "env" in names:
            self.env.clear()
        if "depends_on" in names:
            self.depends.clear()
        if "migrations" in names:
            self.migrations.clear()

    def collections(self) -> dict[str, tuple[Any, ...]]:
        return {**super().collections(), "migrations": tuple(self.migrations[k] for k in sorted(self.migrations))}
