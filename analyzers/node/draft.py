"""A component being assembled: each field value stored together with the evidence for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubify.ir import Component, Dependency, EnvVar, Evidence, Migration
from kubify.signals.secrets import looks_secret


@dataclass
class Draft:
    """Field values with their evidence; lists (env, depends_on, migrations) deduplicated by key."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    env: dict[str, EnvVar] = field(default_factory=dict)
    depends: dict[str, Dependency] = field(default_factory=dict)
    migrations: dict[str, Migration] = field(default_factory=dict)

    def set(self, name: str, value: Any, rule: str, file: str | None, line: int | None, confidence: float,
            shown: str | None = None) -> None:
        """Set ``name`` (replacing its earlier evidence: the new value has new reasons)."""
        self.values[name] = value
        self.evidence = [e for e in self.evidence if e.field != name]
        self.note(name, shown if shown is not None else str(value), rule, file, line, confidence)

    def note(self, name: str, value: str, rule: str, file: str | None, line: int | None, confidence: float) -> None:
        self.evidence.append(Evidence(field=name, value=value, rule=rule, file=file, line=line,
                                      confidence=confidence))

    def add_env(self, name: str, default: str | None, rule: str, file: str | None, line: int | None,
                confidence: float, *, shown: str | None = None) -> None:
        """Add an env var; a secret never keeps a value, a later read may fill a missing default."""
        secret = looks_secret(name, default)
        known = self.env.get(name)
        if known is None:
            self.env[name] = EnvVar(name=name, default=None if secret else default, secret=secret)
            self.note("env", shown or name, rule, file, line, confidence)
            return
        secret = secret or known.secret
        merged = None if secret else (known.default if known.default is not None else default)
        self.env[name] = EnvVar(name=name, default=merged, secret=secret)

    def add_dependency(self, service: str, rule: str, file: str | None, line: int | None, confidence: float) -> None:
        if service not in self.depends:
            self.depends[service] = Dependency(service=service)
            self.note("depends_on", service, rule, file, line, confidence)

    def add_migration(self, migration: Migration, rule: str, file: str | None, line: int | None,
                      confidence: float) -> None:
        if migration.tool not in self.migrations:
            self.migrations[migration.tool] = migration
            self.note("migrations", " ".join(migration.command), rule, file, line, confidence)

    def remove_env(self, name: str) -> None:
        self.env.pop(name, None)
        self.evidence = [e for e in self.evidence if not (e.field == "env" and e.value.split(" ")[0] == name)]

    def copy(self) -> Draft:
        return Draft(dict(self.values), list(self.evidence), dict(self.env), dict(self.depends),
                     dict(self.migrations))

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

    def component(self, name: str, path: str, analyzer: str) -> Component:
        return Component(
            name=name, path=path, analyzer=analyzer, **self.values,
            env=tuple(self.env[k] for k in sorted(self.env)),
            depends_on=tuple(self.depends[k] for k in sorted(self.depends)),
            migrations=tuple(self.migrations[k] for k in sorted(self.migrations)),
            evidence=tuple(sorted(self.evidence, key=lambda e: (e.field, e.file or "", e.line or 0, e.rule, e.value))),
        )
