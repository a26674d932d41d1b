"""The text artifacts of the k8s target: ``SECRETS.md`` (what to create by hand), ``MIGRATIONS.md``
(what each migration Job runs and how its tool gets into the image) and chart notes.

Rendered from Markdown templates in ``targets/templates/`` with ``StrictUndefined`` so a
missing value is a bug, not an empty line.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from kubify.ir import RUNNABLE_KINDS, Component

from .dockerfile import language_of
from .k8s_common import Scope, derived_name
from .k8s_env import plan_env
from .k8s_services import backings, credentials
from .migration_tools import provision


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("kubify.targets", "templates"), undefined=StrictUndefined,
                       autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


def chart_note(scope: Scope, component: Component) -> str:
    return render("CHART.md.j2", name=component.name, path=component.path, app=scope.app.name,
                  namespace=scope.namespace)


def secrets_doc(scope: Scope) -> str:
    """``SECRETS.md``, or "" when the application needs no Secret and leaves no setting unset."""
    components: list[dict[str, Any]] = []
    wired: list[dict[str, str]] = []
    unset: list[dict[str, str]] = []
    for component in sorted(scope.app.components, key=lambda c: c.name):
        if component.kind not in RUNNABLE_KINDS:
            continue
        plan = plan_env(scope, component)
        components.append({"component": component.name, "secret": plan.secret, "secret_keys": plan.secret_keys})
        for wire in plan.wired:
            source = f"Secret `{wire.secret}` key `{wire.key}`" if wire.secret else f"`{wire.value}`"
            wired.append({"component": component.name, "env": wire.name, "source": source})
        unset += [{"component": component.name, "env": name} for name in plan.unset]
    services = []
    for backing in backings(scope):
        if backing.secret:
            variables, values = credentials(scope, backing)
            services.append({"name": backing.name, "kind": backing.kind, "secret": backing.secret,
                             "managed": backing.managed, "variables": variables, "values": values})
    if not (any(c["secret_keys"] for c in components) or services or unset):
        return ""
    return render("SECRETS.md.j2", app=scope.app.name, namespace=scope.namespace, components=components,
                  backings=services, wired=wired, unset=unset)


def migrations_doc(scope: Scope) -> str:
    """``MIGRATIONS.md``, or "" when no component migrates a schema.

    For each migration Job: its steps and how each step's tool is in the image the Job runs —
    put there by the generated Dockerfile, or, for an image kubify does not build, what it must hold.
    """
    jobs: list[dict[str, Any]] = []
    for component in sorted(scope.app.components, key=lambda c: c.name):
        if not component.migrations or component.kind not in RUNNABLE_KINDS:
            continue
        build = component.build
        generated = build is not None and build.generated and not build.image
        family = language_of(component) if generated else None
        steps = [{"command": " ".join(m.command), "tool": m.tool,
                  "note": provision(m, family, prebuilt=build.image if build else None,
                                    dockerfile=build.dockerfile if build else None)}
                 for m in component.migrations]
        jobs.append({"component": component.name, "job": derived_name(component.name, "migrate"), "steps": steps})
    if not jobs:
        return ""
    return render("MIGRATIONS.md.j2", app=scope.app.name, namespace=scope.namespace, jobs=jobs)
