"""``kubify explain``: the IR as a person reads it — every value beside its reasons.

``port 8000 ← Dockerfile:14 EXPOSE 8000 (dockerfile.expose, 0.95)``. Conflicts are shown
where they happened, so a wrong guess is visible and one ``kubify.yaml`` line away from
fixed. JSON and YAML output is the IR itself (see ``schemas/ir.schema.json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape

from kubify.diagnostics import Diagnostic
from kubify.emit import dump_json, dump_yaml
from kubify.ir import Application, Component, Evidence
from kubify.merge import render as render_value

#: Fields shown in the tree, in reading order.
TREE_FIELDS: tuple[str, ...] = (
    "kind", "language", "language_version", "framework", "package_manager", "build", "run", "ports", "env",
    "health", "metrics", "depends_on", "migrations", "volumes",
)


def document(app: Application) -> dict[str, Any]:
    """The IR as plain data; a dependency shows only the key it uses ({service: …} or {component: …})."""
    data = app.model_dump(mode="json")
    for component in data["components"]:
        component["depends_on"] = [{k: v for k, v in d.items() if v is not None} for d in component["depends_on"]]
    return data


def render(app: Application, fmt: str) -> str:
    return dump_json(document(app)) if fmt == "json" else dump_yaml(document(app))


def print_tree(app: Application, diagnostics: Sequence[Diagnostic], *, verbose: bool = False) -> None:
    from rich.console import Console
    from rich.tree import Tree

    console = Console()
    root = Tree(f"[bold]{app.name}[/] — {len(app.components)} components, {len(app.services)} backing services")

    for component in app.components:
        _component_node(root, component)
    for service in app.services:
        version = f" {service.version}" if service.version else ""
        node = root.add(f"[bold magenta]{service.name}[/] backing service: {service.kind}{escape(version)} "
                        f"({service.grade}-grade)")
        for evidence in service.evidence:
            node.add(_because(evidence))
    console.print(root)
    shown = [d for d in diagnostics if verbose or d.severity != "info"]
    for diagnostic in shown:
        style = {"error": "red", "warning": "yellow"}.get(diagnostic.severity, "dim")
        console.print(f"[{style}]{escape(diagnostic.render())}[/]", highlight=False)


def _component_node(root: Any, component: Component) -> None:
    deployable = "" if component.deployable or component.kind in ("job", "cronjob") else " [dim](not deployed)[/]"
    node = root.add(f"[bold cyan]{component.name}[/] ({component.kind}) at {escape(component.path)}{deployable}")
    for field in TREE_FIELDS:
        value = getattr(component, field)
        if value in (None, (), "") or (field == "kind"):
            continue
        branch = node.add(f"{field}: {escape(_show(field, value))}")
        for evidence in component.evidence_for(field):
            branch.add(_because(evidence))
    for conflict in component.conflicts:
        node.add(f"[yellow]conflict on {conflict.field}[/]: {escape(conflict.message)}")


def _show(field: str, value: Any) -> str:
    if field == "env":
        return ", ".join(e.name + (" (secret)" if e.secret else "") for e in value)
    if field == "depends_on":
        return ", ".join(d.service or d.component or "?" for d in value)
    if field in ("migrations", "volumes"):
        return "; ".join(render_value(v) for v in value)
    return render_value(value)


def _because(evidence: Evidence) -> str:
    where = evidence.file or "(inferred)"
    if evidence.line:
        where += f":{evidence.line}"
    return f"[dim]← {escape(f'{where} {evidence.value} ({evidence.rule}, {evidence.confidence:.2f})')}[/]"
