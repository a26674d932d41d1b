"""A component being assembled: field values plus the evidence for each of them.

The analyzer learns fields one at a time from different files; :class:`Draft` keeps
each value next to the :class:`~kubify.ir.Evidence` that justifies it, so the finished
:class:`~kubify.ir.Component` never carries a field without saying where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubify.ir import Component, Dependency, EnvVar, Evidence
from kubify.signals.secrets import looks_secret


@dataclass(frozen=True, order=True)
class Site:
    """A place in the repository: file (repo-relative) and 1-based line."""

    file: str
    line: int


@dataclass
class Draft:
    """Field values of a component being built, with their evidence."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    env: dict[str, EnvVar] = field(default_factory=dict)
    depends: dict[str, Dependency] = field(default_factory=dict)

    def set(self, name: str, value: Any, rule: str, at: Site | None, confidence: float, *,
            shown: str | None = None) -> None:
        """Set ``name`` (replacing its earlier value and that value's evidence)."""
        self.values[name] = value
        self.evidence = [e for e in self.evidence if e.field != name]
        self.note(name, shown if shown is not None else str(value), rule, at, confidence)

    def note(self, name: str, value: str, rule: str, at: Site | None, confidence: float) -> None:
        """Add supporting evidence for ``name`` without changing its value."""
        self.evidence.append(Evidence(field=name, value=value[:300], rule=rule, file=at.file if at else None,
                                      line=at.line if at else None, confidence=confidence))

    def add_env(self, var: EnvVar, rule: str, at: Site | None, confidence: float) -> None:
        """Add an env var; secrets never keep a value, a later read may fill a missing default."""
        secret = var.secret or looks_secret(var.name, var.default)
        known = self.env.get(var.name)
        if known is None:
            self.env[var.name] = EnvVar(name=var.name, default=None if secret else var.default, secret=secret,
                                        required=var.required and var.default is None)
            self.note("env", var.name, rule, at, confidence)
            return
        secret = secret or known.secret
        default = None if secret else (known.default if known.default is not None else var.default)
        self.env[var.name] = EnvVar(name=var.name, default=default, secret=secret,
                                    required=(known.required or var.required) and default is None)

    def add_dependency(self, service: str, rule: str, at: Site | None, confidence: float) -> None:
        if service not in self.depends:
            self.depends[service] = Dependency.model_validate({"service": service})
            self.note("depends_on", service, rule, at, confidence)

    def copy(self) -> Draft:
        return Draft(dict(self.values), list(self.evidence), dict(self.env), dict(self.depends))

    def component(self, name: str, path: str) -> Component:
        return Component(
            name=name, path=path, analyzer="python", **self.values,
            env=tuple(self.env[k] for k in sorted(self.env)),
            depends_on=tuple(self.depends[k] for k in sorted(self.depends)),
            evidence=tuple(sorted(self.evidence, key=_evidence_order)),
        )


def _evidence_order(evidence: Evidence) -> tuple[str, str, int, str, str]:
    return (evidence.field, evidence.file or "", evidence.line or 0, evidence.rule, evidence.value)
