"""The compiler's front half: a directory in, a validated IR out.

scan → detect → analyze → merge → enrich → override → validate, each a function of the
previous one's value. Analyzers are isolated from each other and from the run: one
that crashes on a strange repository costs a diagnostic, not the whole analysis.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from kubify import enrich, manifests, merge, overrides, validate, verify
from kubify.analyzers import registered
from kubify.analyzers.base import Analysis, Analyzer, Detection
from kubify.diagnostics import Diagnostic, error, has_errors
from kubify.fs import Limits
from kubify.ir import Application, BackingService, Component, Source
from kubify.naming import dns_label
from kubify.scan import Inventory, scan
from kubify.signals import compose

#: Target modules run by ``kubify build``, each with ``lower(app, options) -> list[Artifact]``.
BUILD_TARGETS: tuple[str, ...] = ("kubify.targets.k8s", "kubify.targets.backing", "kubify.targets.dockerfile")
#: Priority of non-analyzer sources of fragments (analyzers declare their own).
SOURCE_PRIORITIES: dict[str, int] = {"compose": 90}

Progress = Callable[[str], None]


@dataclass
class Inference:
    """The IR of a repository and everything said about it on the way."""

    inventory: Inventory
    application: Application
    diagnostics: list[Diagnostic] = field(default_factory=list)


def infer(path: str | os.PathLike[str], *, sbom: bool = False, limits: Limits | None = None,
          analyzers: Sequence[Analyzer] | None = None, progress: Progress | None = None) -> Inference:
    """Read the repository at ``path`` and return its validated IR."""
    say = progress or (lambda _message: None)
    say("scanning files")
    inventory = scan(path, limits)
    diagnostics = list(inventory.diagnostics)
    chosen = list(analyzers) if analyzers is not None else registered()
    priorities = {a.name: a.priority for a in chosen} | SOURCE_PRIORITIES
    say(f"detecting components in {len(inventory.files):,} files")
    fragments, services = _analyze(inventory, chosen, diagnostics)
    extra, extra_services, compose_notes = compose.compose_fragments(inventory)
    fragments += extra
    services += extra_services
    diagnostics += compose_notes
    diagnostics += _unreported_file_problems(inventory, diagnostics)
    components = _merge(fragments, priorities)
    application = Application(name=dns_label(inventory.name), source=Source(path="."),
                              components=tuple(components), services=_unique_services(services))
    say("enriching")
    application, notes = enrich.enrich(application, inventory, use_sbom=sbom)
    diagnostics += notes
    application, notes = overrides.apply(application, inventory)
    diagnostics += notes
    diagnostics += validate.validate(application)
    return Inference(inventory, application, diagnostics)


def _analyze(inventory: Inventory, analyzers: Sequence[Analyzer],
             diagnostics: list[Diagnostic]) -> tuple[list[Component], list[BackingService]]:
    fragments: list[Component] = []
    services: list[BackingService] = []
    for analyzer in analyzers:
        for detection in _detect(analyzer, inventory, diagnostics):
            analysis = _run(analyzer, inventory, detection, diagnostics)
            fragments += analysis.components
            services += analysis.services
            diagnostics += analysis.diagnostics
    return fragments, services


def _detect(analyzer: Analyzer, inventory: Inventory, diagnostics: list[Diagnostic]) -> list[Detection]:
    try:
        return analyzer.detect(inventory)
    except Exception as exc:  # an analyzer bug must not take the run down with it
        diagnostics.append(_crash(analyzer.name, "detect", exc))
        return []


def _run(analyzer: Analyzer, inventory: Inventory, detection: Detection,
         diagnostics: list[Diagnostic]) -> Analysis:
    try:
        return analyzer.analyze(inventory, detection)
    except Exception as exc:  # an analyzer bug must not take the run down with it
        diagnostics.append(_crash(analyzer.name, f"analyze {detection.root}", exc))
        return Analysis()


def _unreported_file_problems(inventory: Inventory, reported: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Files an analyzer tried to read but could not, which no analyzer mentioned: the user
    learns that ``big/requirements.txt`` was skipped even when it decided nothing. Warnings,
    because the analysis went on without them."""
    seen = {d.file for d in reported}
    return [d.model_copy(update={"severity": "warning"}) if d.severity == "error" else d
            for d in inventory.problems() if d.file not in seen]


def _crash(analyzer: str, stage: str, exc: Exception) -> Diagnostic:
    return error("internal.analyzer", f"the {analyzer} analyzer failed during {stage}: "
                 f"{type(exc).__name__}: {exc}"[:500],
                 hint="this is a kubify bug; please report it with the repository layout (rerun with --verbose)")


def _merge(fragments: list[Component], priorities: dict[str, int]) -> list[Component]:
    components: list[Component] = []
    for group in merge.group_by_root(fragments).values():
        components += merge.merge_root(group, priorities)
    components = [merge.settle_kind(merge.align_health_port(merge.align_port_env(c))) for c in components]
    return _unique_names(components)


def _unique_names(components: list[Component]) -> list[Component]:
    """Give every component a distinct name: a clash is resolved by its path, then a number."""
    counts: dict[str, int] = {}
    for component in components:
        counts[component.name] = counts.get(component.name, 0) + 1
    taken: set[str] = set()
    result = []
    for component in sorted(components, key=lambda c: (c.path, c.name)):
        name = component.name
        if counts[name] > 1 and component.path != ".":
            name = dns_label(f"{component.path.replace('/', '-')}-{name}")
        base, number = name, 2
        while name in taken:
            name, number = f"{base[:60]}-{number}", number + 1
        taken.add(name)
        result.append(component if name == component.name else component.model_copy(update={"name": name}))
    return sorted(result, key=lambda c: c.name)


def _unique_services(services: list[BackingService]) -> tuple[BackingService, ...]:
    """One backing service per name; the first (best-evidenced) description wins."""
    unique: dict[str, BackingService] = {}
    for service in services:
        unique.setdefault(service.name, service)
    return tuple(unique[k] for k in sorted(unique))


@dataclass(frozen=True)
class BuildOptions:
    """What ``kubify build`` was asked for, beyond the repository itself."""

    namespace: str | None = None
    registry: str | None = None
    host: str | None = None
    gateway: str | None = None
    tls_issuer: str | None = None
    ingress_class: str | None = None
    kubernetes_version: str = "1.35"
    sbom: bool = False


@dataclass
class Compilation:
    inference: Inference
    artifacts: list[Any]
    diagnostics: list[Diagnostic]

    @property
    def blocked(self) -> bool:
        """Errors mean nothing is written: kubify never emits what it knows is wrong."""
        return has_errors(self.diagnostics)


def compile_repository(path: str | os.PathLike[str], options: BuildOptions,
                       *, progress: Progress | None = None) -> Compilation:
    """Repository → IR → lowered, verified artifacts."""
    inference = infer(path, sbom=options.sbom, progress=progress)
    diagnostics = list(inference.diagnostics)
    if has_errors(diagnostics):
        return Compilation(inference, [], diagnostics)
    (progress or (lambda _m: None))("lowering and verifying")
    artifacts = lower(inference.application, _lower_options(inference, options))
    objects = [(a.path, a.object) for a in artifacts if a.object is not None]
    diagnostics += verify.verify_objects(objects, kubernetes_version=options.kubernetes_version)
    return Compilation(inference, artifacts, diagnostics)


def lower(app: Application, options: Any) -> list[Any]:
    artifacts: list[Any] = []
    for name in BUILD_TARGETS:
        artifacts += import_module(name).lower(app, options)
    return artifacts


def _lower_options(inference: Inference, options: BuildOptions) -> Any:
    from kubify.targets.options import LowerOptions

    config, _raw, _rel, _notes = overrides.load_config(inference.inventory)
    namespace = options.namespace or (config.namespace if config else None) or inference.application.name
    return LowerOptions(namespace=namespace, registry=options.registry, host=options.host,
                        gateway_name=options.gateway, tls_issuer=options.tls_issuer,
                        ingress_class=options.ingress_class)


def validate_manifests(paths: Sequence[Path], *, kubernetes_version: str = "1.35") -> list[Diagnostic]:
    """Schema and policy checks of existing manifest files (``kubify validate --manifests``)."""
    loaded, diagnostics = manifests.load_manifest_files([str(p) for p in paths])
    return [*diagnostics, *verify.verify_objects(loaded, kubernetes_version=kubernetes_version)]
