"""merge: several analyzers' fragments of one component root → one component.

A Python app with a Dockerfile is seen by two analyzers; a compose file describes it a
third time. Each fragment carries evidence with a confidence per field. For every
single-valued field the value backed by the most confident evidence wins (ties go to
the analyzer with the higher priority); list-valued fields are unioned. When the losing
value was itself well supported, the disagreement is kept as a :class:`Conflict` so
``kubify explain`` can show it instead of hiding it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from kubify.ir import Component, Conflict, Dependency, EnvVar, Evidence, Migration, Volume

#: Single-valued fields decided by the strongest evidence.
SCALAR_FIELDS: tuple[str, ...] = (
    "kind", "language", "language_version", "framework", "package_manager", "build", "run",
    "ports", "health", "metrics", "scaling", "resources",
)
#: List fields whose items are unioned, keyed so that duplicates collapse.
UNION_FIELDS: tuple[str, ...] = ("env", "depends_on", "migrations", "volumes")
#: A losing value at least this well supported is reported as a conflict.
CONFLICT_THRESHOLD = 0.5
#: Where a component's name comes from, most trusted first; others follow by priority.
NAME_SOURCES: tuple[str, ...] = ("kubify.yaml", "compose")
_DEFAULTS = Component(name="x")


def field_confidence(component: Component, field: str) -> float:
    """How strongly ``component`` supports its value of ``field`` (0 when it has no value)."""
    evidence = component.evidence_for(field)
    if evidence:
        return max(e.confidence for e in evidence)
    return 0.05 if getattr(component, field) != getattr(_DEFAULTS, field) else 0.0


def merge_fragments(fragments: Sequence[Component], priorities: Mapping[str, int]) -> Component:
    """One component from fragments that describe the same thing."""
    if len(fragments) == 1:
        return fragments[0]
    ranked = sorted(fragments, key=lambda c: -priorities.get(c.analyzer or "", 0))
    values: dict[str, Any] = {"name": _pick_name(ranked), "path": ranked[0].path}
    evidence: list[Evidence] = [e for c in ranked for e in c.evidence if e.field == "name"]
    conflicts: list[Conflict] = [c for f in ranked for c in f.conflicts]
    for field in SCALAR_FIELDS:
        winner, losers = _decide(ranked, field, priorities)
        if winner is None:
            continue
        values[field] = getattr(winner, field)
        evidence.extend(winner.evidence_for(field))
        conflicts.extend(_conflicts(field, winner, losers))
    for field in UNION_FIELDS:
        values[field] = _union(field, ranked)
        evidence.extend(e for c in ranked for e in c.evidence_for(field))
    values["analyzer"] = "+".join(sorted({c.analyzer or "?" for c in ranked}))
    values["evidence"] = tuple(dict.fromkeys(evidence))
    values["conflicts"] = tuple(dict.fromkeys(conflicts))
    return Component(**values)


def _pick_name(ranked: Sequence[Component]) -> str:
    for source in NAME_SOURCES:
        for fragment in ranked:
            if fragment.analyzer == source:
                return fragment.name
    language = [c for c in ranked if c.analyzer != "dockerfile"]
    return (language or list(ranked))[0].name


def _decide(ranked: Sequence[Component], field: str,
            priorities: Mapping[str, int]) -> tuple[Component | None, list[Component]]:
    candidates = [c for c in ranked if field_confidence(c, field) > 0]
    if not candidates:
        return None, []
    candidates.sort(key=lambda c: (-field_confidence(c, field), -priorities.get(c.analyzer or "", 0)))
    return candidates[0], candidates[1:]


def _conflicts(field: str, winner: Component, losers: Sequence[Component]) -> list[Conflict]:
    chosen = getattr(winner, field)
    found = []
    for loser in losers:
        value = getattr(loser, field)
        if _same(field, value, chosen) or field_confidence(loser, field) < CONFLICT_THRESHOLD:
            continue
        found.append(Conflict(
            field=field,
            chosen=render(chosen),
            message=f"{loser.analyzer} says {render(value)}, {winner.analyzer} says {render(chosen)}; "
                    f"kept {winner.analyzer}'s (stronger evidence)",
            alternatives=loser.evidence_for(field),
        ))
    return found


def _same(field: str, a: Any, b: Any) -> bool:
    """Equal for the user's purposes: the same port numbers, or the same Dockerfile and context."""
    if field == "ports":
        return {p.port for p in a} == {p.port for p in b}
    if field == "build" and a is not None and b is not None and a.dockerfile:
        return bool((a.dockerfile, a.context) == (b.dockerfile, b.context))
    return bool(a == b)


def render(value: Any) -> str:
    """A short human rendering of an IR value, for conflicts and ``explain``."""
    if isinstance(value, tuple) and value and hasattr(value[0], "port"):
        return ", ".join(f"{p.port}/{p.protocol}" for p in value)
    if hasattr(value, "command") and hasattr(value, "workdir"):
        return " ".join(value.command) or "(image default)"
    if hasattr(value, "model_dump"):
        dumped = value.model_dump(exclude_defaults=True)
        return ", ".join(f"{k}={v}" for k, v in dumped.items()) or "(defaults)"
    return str(value)


def _union(field: str, ranked: Sequence[Component]) -> tuple[Any, ...]:
    merged: dict[str, Any] = {}
    for fragment in ranked:
        for item in getattr(fragment, field):
            key = _item_key(item)
            merged[key] = _combine(merged[key], item) if key in merged else item
    return tuple(merged[k] for k in sorted(merged))


def _item_key(item: EnvVar | Dependency | Migration | Volume) -> str:
    if isinstance(item, EnvVar):
        return item.name
    if isinstance(item, Dependency):
        return f"service:{item.service}" if item.service else f"component:{item.component}"
    if isinstance(item, Migration):
        return item.tool
    return item.path


def _combine(first: Any, second: Any) -> Any:
    """Two env vars of one name: secret if either says so, first known default otherwise."""
    if isinstance(first, EnvVar) and isinstance(second, EnvVar):
        secret = first.secret or second.secret
        default = None if secret else (first.default if first.default is not None else second.default)
        return EnvVar(name=first.name, default=default, secret=secret, required=first.required or second.required)
    return first


def group_by_root(fragments: Sequence[Component]) -> dict[str, list[Component]]:
    groups: dict[str, list[Component]] = defaultdict(list)
    for fragment in _follow_dockerfile_roots(fragments):
        groups[fragment.path].append(fragment)
    return dict(sorted(groups.items()))


def _follow_dockerfile_roots(fragments: Sequence[Component]) -> list[Component]:
    """A compose service that builds ``apps/api/Dockerfile`` from the repository root (``context: .``) is the
    component the Dockerfile analyzer rooted at ``apps/api``, not a second one at ``.``."""
    roots = {f.build.dockerfile: f.path for f in fragments
             if f.analyzer == "dockerfile" and f.build is not None and f.build.dockerfile}
    moved = []
    for fragment in fragments:
        dockerfile = fragment.build.dockerfile if fragment.build is not None else None
        root = roots.get(dockerfile) if fragment.analyzer == "compose" and dockerfile else None
        moved.append(fragment.model_copy(update={"path": root}) if root and root != fragment.path else fragment)
    return moved


def merge_root(fragments: Sequence[Component], priorities: Mapping[str, int]) -> list[Component]:
    """Components of one root: the analyzer with the most fragments sets how many there are,
    every other analyzer's fragments fold into the one they describe."""
    by_analyzer: dict[str, list[Component]] = defaultdict(list)
    for fragment in fragments:
        by_analyzer[fragment.analyzer or "?"].append(fragment)
    skeleton_name = max(sorted(by_analyzer), key=lambda a: (len(by_analyzer[a]), a != "dockerfile",
                                                            priorities.get(a, 0)))
    skeleton = by_analyzer.pop(skeleton_name)
    buckets: list[list[Component]] = [[c] for c in skeleton]
    for others in by_analyzer.values():
        for fragment in others:
            buckets[_best_match(fragment, skeleton)].append(fragment)
    merged = [merge_fragments(bucket, priorities) for bucket in buckets]
    renames = {bucket[0].name: c.name for bucket, c in zip(buckets, merged, strict=True) if bucket[0].name != c.name}
    return _share_image_build([_follow_rename(c, renames) for c in merged])


def _follow_rename(component: Component, renames: Mapping[str, str]) -> Component:
    """``shop-api-worker`` becomes ``api-worker`` when compose names its sibling ``shop-api`` ``api``."""
    for old, new in renames.items():
        if component.name.startswith(old + "-"):
            return component.model_copy(update={"name": new + component.name[len(old):]})
    return component


def _best_match(fragment: Component, skeleton: Sequence[Component]) -> int:
    for index, candidate in enumerate(skeleton):
        if candidate.name == fragment.name:
            return index
    for index, candidate in enumerate(skeleton):
        if candidate.kind in ("service", "static-site"):
            return index
    return 0


def _share_image_build(components: list[Component]) -> list[Component]:
    """Siblings of one root (a web process and its worker) run the same Dockerfile's image —
    unless a sibling's own recipe builds something else (a Go ``cmd/worker`` binary)."""
    built = next((c for c in components if c.build is not None and c.build.dockerfile), None)
    if built is None or built.build is None:
        return components
    shared = built.build
    note = Evidence(field="build", value=shared.dockerfile or "", rule="merge.shared-image",
                    file=shared.dockerfile, confidence=0.8)
    return [
        c.model_copy(update={"build": shared, "evidence": (*(e for e in c.evidence if e.field != "build"), note)})
        if c is not built and (c.build is None or (c.build.generated and not c.build.args)) else c
        for c in components
    ]


def settle_kind(component: Component) -> Component:
    """A "service" nobody gave a port and no signal called a service is a background worker."""
    if component.kind != "service" or component.ports or field_confidence(component, "kind") >= 0.5:
        return component
    note = Evidence(field="kind", value="worker", rule="merge.no-port-worker", confidence=0.5)
    evidence = (*(e for e in component.evidence if e.field != "kind"), note)
    return component.model_copy(update={"kind": "worker", "evidence": evidence})


def align_health_port(component: Component) -> Component:
    """A health check aimed at a port the component does not listen on follows the chosen port."""
    health = component.health
    numbers = [p.port for p in component.ports]
    if health is None or health.port is None or not numbers or health.port in numbers:
        return component
    note = Evidence(field="health", value=f"port {numbers[0]}", rule="merge.health-port", confidence=0.9)
    return component.model_copy(update={"health": health.model_copy(update={"port": numbers[0]}),
                                        "evidence": (*component.evidence, note)})


def align_port_env(component: Component) -> Component:
    """Code that reads ``$PORT`` listens wherever we say: make PORT match the chosen port."""
    port_var = next((e for e in component.env if e.name == "PORT"), None)
    if port_var is None or not component.ports:
        return component
    chosen = str(component.ports[0].port)
    if port_var.default == chosen:
        return component
    env = tuple(e.model_copy(update={"default": chosen}) if e.name == "PORT" else e for e in component.env)
    note = Evidence(field="env", value=f"PORT={chosen}", rule="merge.port-env",
                    confidence=0.9)
    return component.model_copy(update={"env": env, "evidence": (*component.evidence, note)})
