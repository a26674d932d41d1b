"""A component being assembled: field values, each kept next to the evidence that justifies it.

An analyzer learns a component's fields one at a time from different files; a :class:`Draft`
holds each value with its :class:`~kubify.ir.Evidence`, so the finished
:class:`~kubify.ir.Component` never carries a field without saying where it came from. Every
analyzer subclasses it for what only it needs (Go's build image, Node's migrations...).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self

from kubify.ir import Component, Dependency, EnvVar, Evidence
from kubify.signals.secrets import looks_secret


@dataclass(frozen=True, order=True)
class Site:
    """A place in the repository: file (repo-relative) and 1-based line."""

    file: str
    line: int


@dataclass
class Draft:
    """Field values of a component being built, with their evidence; env and backing services by name."""

    #: The analyzer the finished component is credited to.
    analyzer: ClassVar[str]

    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    env: dict[str, EnvVar] = field(default_factory=dict)
    depends: dict[str, Dependency] = field(default_factory=dict)

    def set(self, name: str, value: Any, rule: str, at: Site | None, confidence: float, *,
            shown: str | None = None) -> None:
        """Set ``name``, replacing its earlier value and that value's evidence (the new value has new reasons)."""
        self.values[name] = value
        self.evidence = [e for e in self.evidence if e.field != name]
        self.note(name, shown if shown is not None else str(value), rule, at, confidence)

    def note(self, name: str, value: str, rule: str, at: Site | None, confidence: float) -> None:
        """Add supporting evidence for ``name`` without changing its value."""
        self.evidence.append(Evidence(field=name, value=value, rule=rule, file=at.file if at else None,
                                      line=at.line if at else None, confidence=confidence))

    def add_env(self, var: EnvVar, rule: str, at: Site | None, confidence: float, *,
                shown: str | None = None) -> None:
        """Add an env var: a secret never keeps a value, a later read may fill a missing default."""
        merged = self.merge_env(self.env.get(var.name), var)
        if self.notes_env(var.name, confidence):
            self.note("env", shown or var.name, rule, at, confidence)
        self.env[var.name] = merged

    def notes_env(self, name: str, confidence: float) -> bool:
        """Whether a read of ``name`` is shown as evidence: the first one is."""
        return name not in self.env

    def merge_env(self, known: EnvVar | None, var: EnvVar) -> EnvVar:
        """``var`` combined with what earlier reads of the same name said (required if any read requires it)."""
        secret = var.secret or looks_secret(var.name, var.default) or (known is not None and known.secret)
        earlier = known.default if known is not None else None
        default = None if secret else (earlier if earlier is not None else var.default)
        return EnvVar(name=var.name, default=default, secret=secret,
                      required=(known is not None and known.required) or var.required)

    def add_dependency(self, service: str, rule: str, at: Site | None, confidence: float) -> None:
        if service not in self.depends:
            self.depends[service] = Dependency.model_validate({"service": service})
            self.note("depends_on", service, rule, at, confidence)

    def copy(self) -> Self:
        """An independent draft that starts from what this one knows (a sibling component of the same code)."""
        return type(self)(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})

    def component(self, name: str, path: str) -> Component:
        return Component(name=name, path=path, analyzer=self.analyzer, **self.values, **self.collections(),
                         evidence=self.ordered_evidence())

    def collections(self) -> dict[str, tuple[Any, ...]]:
        """The list fields kept by key, in key order."""
        return {"env": tuple(self.env[k] for k in sorted(self.env)),
                "depends_on": tuple(self.depends[k] for k in sorted(self.depends))}

    def ordered_evidence(self) -> tuple[Evidence, ...]:
        """By field, then place: the same however the rules happened to run."""
        return tuple(sorted(self.evidence, key=lambda e: (e.field, e.file or "", e.line or 0, e.rule, e.value)))
