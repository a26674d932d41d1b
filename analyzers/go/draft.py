"""A component being assembled: field values, each with the evidence that supports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubify.analyzers.go.records import Site
from kubify.ir import Component, Dependency, EnvVar, Evidence
from kubify.signals.secrets import looks_secret


@dataclass
class Draft:
    """Field values of a component being built, with their evidence."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    env: dict[str, EnvVar] = field(default_factory=dict)
    depends: dict[str, Dependency] = field(default_factory=dict)
    image: str = "golang:1"
    env_confidence: dict[str, float] = field(default_factory=dict)

    def set(self, name: str, value: Any, rule: str, at: Site | None, confidence: float, *,
            shown: str | None = None) -> None:
        self.values[name] = value
        self.note(name, shown if shown is not None else str(value), rule, at, confidence)

    def note(self, name: str, value: str, rule: str, at: Site | None, confidence: float) -> None:
        self.evidence.append(Evidence(field=name, value=value, rule=rule, file=at.file if at else None,
                                      line=at.line if at else None, confidence=confidence))

    def add_env(self, var: EnvVar, rule: str, at: Site | None, confidence: float) -> None:
        """Add an env var (secrets never keep a value); a later read may fill a missing default."""
        secret = var.secret or looks_secret(var.name, var.default)
        if confidence > self.env_confidence.get(var.name, 0.0):
            self.env_confidence[var.name] = confidence
            self.note("env", var.name, rule, at, confidence)
        known = self.env.get(var.name)
        if known is None:
            self.env[var.name] = EnvVar(name=var.name, default=None if secret else var.default, secret=secret,
                                        required=var.required)
            return
        secret = secret or known.secret
        default = None if secret else (known.default if known.default is not None else var.default)
        self.env[var.name] = EnvVar(name=var.name, default=default, secret=secret,
                                    required=known.required or var.required)

    def add_dependency(self, service: str, rule: str, at: Site, confidence: float) -> None:
        if service not in self.depends:
            self.depends[service] = Dependency(service=service)
            self.note("depends_on", service, rule, at, confidence)

    def copy(self) -> Draft:
        return Draft(dict(self.values), list(self.evidence), dict(self.env), dict(self.depends), self.image,
                     dict(self.env_confidence))

    def component(self, name: str, path: str) -> Component:
        return Component(
            name=name, path=path, analyzer="go", **self.values,
            env=tuple(self.env[k] for k in sorted(self.env)),
            depends_on=tuple(self.depends[k] for k in sorted(self.depends)),
            evidence=tuple(self.evidence),
        )
