"""override: a ``kubify.yaml`` in the repository pins or overrides any IR field.

Inference gets most of a repository right; ``kubify.yaml`` is how a user fixes the rest
without forking kubify::

    name: shop
    components:
      web:                       # an inferred component, by name
        ports: [8080]
        run: {command: [gunicorn, "shop.wsgi:application", --bind, "0.0.0.0:8080"]}
        health: {type: http, path: /livez}
      docs: {exclude: true}      # inferred, but not to be deployed
      cron:                      # one kubify could not infer
        path: jobs
        kind: cronjob
        scaling: {schedule: "0 3 * * *"}
    services:
      db: {kind: postgres, version: "16"}

The file is validated against a schema generated from the IR (``schemas/kubify.schema.json``);
every error names the line. Overridden fields carry ``kubify.yaml`` evidence with
confidence 1.0, so ``explain`` shows the user's word as the reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from kubify.diagnostics import Diagnostic, FileProblem, error
from kubify.ir import DNS_LABEL, Application, BackingService, Component, Evidence, Port
from kubify.safeload import line_of, load_yaml_located
from kubify.scan import Inventory

CONFIG_FILES: tuple[str, ...] = ("kubify.yaml", "kubify.yml")
_NOT_OVERRIDABLE = {"name", "evidence", "conflicts", "analyzer"}


def _component_override_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {"exclude": (bool, Field(default=False, description="Do not deploy this component."))}
    for name, info in Component.model_fields.items():
        if name not in _NOT_OVERRIDABLE:
            annotation: Any = tuple[Port | int, ...] if name == "ports" else info.annotation
            fields[name] = (annotation | None, Field(default=None, description=info.description))
    return fields


class _OverrideBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("ports", mode="before", check_fields=False)
    @classmethod
    def _bare_ports(cls, value: Any) -> Any:
        """``ports: [8080]`` is shorthand for ``ports: [{port: 8080}]``."""
        if isinstance(value, list):
            return [{"port": v} if isinstance(v, int) else v for v in value]
        return value


ComponentOverride: type[BaseModel] = create_model(
    "ComponentOverride", __base__=_OverrideBase, **_component_override_fields())


class ServiceOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    version: str | None = None
    image: str | None = None


class KubifyConfig(BaseModel):
    """The schema of ``kubify.yaml``."""

    model_config = ConfigDict(extra="forbid", title="kubify.yaml")
    name: str | None = Field(default=None, pattern=DNS_LABEL.pattern, description="Application name.")
    namespace: str | None = Field(default=None, pattern=DNS_LABEL.pattern,
                                  description="Default namespace for `kubify build`.")
    components: dict[str, ComponentOverride] = Field(default_factory=dict)
    services: dict[str, ServiceOverride] = Field(default_factory=dict)


def find_config(inventory: Inventory) -> str | None:
    return next((name for name in CONFIG_FILES if inventory.has(name)), None)


def load_config(inventory: Inventory) -> tuple[KubifyConfig | None, Any, str | None, list[Diagnostic]]:
    """The parsed ``kubify.yaml`` (with its located raw data for line numbers), or diagnostics."""
    rel = find_config(inventory)
    if rel is None:
        return None, None, None, []
    try:
        raw = load_yaml_located(inventory.text(rel), rel)
    except FileProblem as problem:
        return None, None, rel, [problem.diagnostic]
    if raw is None:
        return KubifyConfig(), raw, rel, []
    try:
        return KubifyConfig.model_validate(_plain(raw)), raw, rel, []
    except ValidationError as exc:
        return None, raw, rel, [_validation_diagnostic(e, raw, rel) for e in exc.errors()]


def apply(app: Application, inventory: Inventory) -> tuple[Application, list[Diagnostic]]:
    """``app`` with the repository's ``kubify.yaml`` applied (unchanged when there is none)."""
    config, raw, rel, notes = load_config(inventory)
    if config is None or rel is None:
        return app, notes
    components = {c.name: c for c in app.components}
    for name, override in sorted(config.components.items()):
        located = ("components", name)
        updated, problems = _override_component(components.get(name), name, override, raw, rel, located)
        notes += problems
        if override.exclude:  # type: ignore[attr-defined]
            components.pop(name, None)
        elif updated is not None:
            components[name] = updated
    services = {s.name: s for s in app.services}
    for name, service in sorted(config.services.items()):
        services[name], problems = _override_service(name, service, raw, rel)
        notes += problems
    update: dict[str, Any] = {"components": tuple(components[k] for k in sorted(components)),
                              "services": tuple(services[k] for k in sorted(services))}
    if config.name:
        update["name"] = config.name
    return app.model_copy(update=update), notes


def _override_component(current: Component | None, name: str, override: BaseModel, raw: Any, rel: str,
                        located: tuple[str, ...]) -> tuple[Component | None, list[Diagnostic]]:
    given = override.model_dump(exclude_unset=True, exclude={"exclude"})
    if not given:
        return current, []
    base = current.model_dump() if current is not None else {"name": name}
    kept = [e for e in (current.evidence if current else ()) if e.field.split(".")[0] not in given]
    pinned = [Evidence(field=f, value=_short(v), rule="kubify.yaml", file=rel,
                       line=line_of(raw, (*located, f)), confidence=1.0) for f, v in sorted(given.items())]
    try:
        component = Component.model_validate({**base, **given, "evidence": [*kept, *pinned],
                                              "analyzer": "kubify.yaml" if current is None else base["analyzer"]})
    except ValidationError as exc:
        return current, [_validation_diagnostic(e, raw, rel, prefix=located) for e in exc.errors()]
    return component, []


def _override_service(name: str, service: ServiceOverride, raw: Any,
                      rel: str) -> tuple[BackingService, list[Diagnostic]]:
    evidence = Evidence(field="services", value=f"{name}: {service.kind}", rule="kubify.yaml", file=rel,
                        line=line_of(raw, ("services", name)), confidence=1.0)
    data = {"name": name, **service.model_dump(exclude_none=True), "evidence": [evidence]}
    try:
        return BackingService.model_validate(data), []
    except ValidationError as exc:
        fallback = BackingService(name=name, kind="postgres", evidence=(evidence,))
        return fallback, [_validation_diagnostic(e, raw, rel, prefix=("services", name)) for e in exc.errors()]


def _validation_diagnostic(problem: Any, raw: Any, rel: str, prefix: tuple[str, ...] = ()) -> Diagnostic:
    # pydantic adds validator names like "function-after[...]" to locations; they are not keys.
    location = tuple(part for part in problem["loc"] if not (isinstance(part, str) and "[" in part))
    path = (*prefix, *location)
    dotted = ".".join(str(p) for p in path) or "(top level)"
    return error("config.invalid", f"{dotted}: {problem['msg']}", file=rel, line=line_of(raw, path),
                 hint="see schemas/kubify.schema.json for what kubify.yaml accepts")


def _plain(value: Any) -> Any:
    """ruamel round-trip containers → plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."
