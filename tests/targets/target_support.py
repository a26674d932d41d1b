"""Hand-built IR values and the validators every target test uses.

Core objects are checked with ``kubernetes_validate`` (strict, Kubernetes 1.35); custom
resources with their CRD's ``openAPIV3Schema`` from ``/work/shared/crds`` (or
``$KUBIFY_CRD_PATH``), made strict: an unknown field is an error, not silently pruned.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

from kubify.ir import (
    Application,
    BackingService,
    Build,
    Component,
    Dependency,
    EnvVar,
    Evidence,
    Health,
    Metrics,
    Migration,
    Port,
    Run,
)
from kubify.targets.options import Artifact

CORE_GROUPS = ("v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1")
CRD_FILES = ("cloudnative-pg/postgresql.cnpg.io_clusters.yaml", "prometheus-operator/crd-servicemonitors.yaml",
             "gateway-api/gateway.networking.k8s.io_httproutes.yaml")
#: A value no artifact may ever contain (it is put where an analyzer might wrongly leak it).
SECRET_VALUE = "sk_live_do-not-leak-4242"


def crd_dirs() -> list[Path]:
    configured = [Path(p) for p in os.environ.get("KUBIFY_CRD_PATH", "").split(os.pathsep) if p]
    return [d for d in [*configured, Path(__file__).resolve().parents[3] / "shared" / "crds"] if d.is_dir()]


class _CrdConstructor(SafeConstructor):
    """Prometheus' CRDs use a bare ``=`` as a value, which YAML's safe loader has no type for."""


_CrdConstructor.add_constructor("tag:yaml.org,2002:value", SafeConstructor.construct_yaml_str)


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → strict JSON Schema, for the CRDs of the resources kubify emits."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _CrdConstructor
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for directory in crd_dirs():
        for path in [directory / name for name in CRD_FILES if (directory / name).is_file()]:
            for doc in yaml.load_all(path.read_text(encoding="utf-8")):
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for version in spec.get("versions", []):
                    schema = version.get("schema", {}).get("openAPIV3Schema")
                    if schema:
                        key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                        schemas.setdefault(key, _strict(schema))
    return schemas


def _strict(schema: Any) -> Any:
    """Close every object schema that lists properties (the API server would prune the rest)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-validations")}
    if ("properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        result["additionalProperties"] = False
    return result


def validate_object(obj: dict[str, Any]) -> None:
    """Raise if ``obj`` is not valid for Kubernetes 1.35 (core) or its CRD (custom resources)."""
    if obj["apiVersion"] in CORE_GROUPS:
        import kubernetes_validate

        kubernetes_validate.validate(obj, "1.35", strict=True)
        return
    schemas = crd_schemas()
    if not schemas:
        pytest.skip("no CRDs found (set KUBIFY_CRD_PATH)")
    schema = schemas[(obj["apiVersion"], obj["kind"])]
    jsonschema.validate({k: v for k, v in obj.items() if k != "metadata"} | {"metadata": {}}, schema)


def objects(artifacts: list[Artifact], kind: str | None = None) -> list[dict[str, Any]]:
    found = [a.object for a in artifacts if a.kind == "object" and a.object is not None]
    return [o for o in found if kind is None or o["kind"] == kind]


def one(artifacts: list[Artifact], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects(artifacts, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def everything(artifacts: list[Artifact]) -> str:
    """All artifact content as one string, to search for leaks."""
    return "\n".join(json.dumps(a.object, sort_keys=True) if a.object is not None else a.text or ""
                     for a in artifacts)


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif "template" in spec and obj["kind"] in ("Deployment", "StatefulSet", "Job"):
        yield spec["template"]["spec"]


def evidence(field: str, rule: str, file: str, confidence: float = 0.95) -> Evidence:
    return Evidence(field=field, value="x", rule=rule, file=file, line=1, confidence=confidence)


def api_component(**update: Any) -> Component:
    """A FastAPI service: generated build, Postgres + Redis, a secret, a migration, metrics."""
    base = Component(
        name="api", path="api", kind="service", language="python", language_version="3.12", framework="fastapi",
        package_manager="uv",
        build=Build(generated=True, context="api", install=("uv sync --frozen --no-dev --no-install-project",)),
        run=Run(command=("uvicorn", "shop_api.main:app", "--host", "0.0.0.0", "--port", "8000")),
        ports=(Port(port=8000),),
        env=(EnvVar(name="DATABASE_URL", secret=True, required=True),
             EnvVar(name="REDIS_URL", default="redis://localhost:6379/0"),
             EnvVar(name="STRIPE_API_KEY", secret=True, default=SECRET_VALUE),
             EnvVar(name="SESSION_SECRET", secret=True, required=True),
             EnvVar(name="LOG_LEVEL", default="info"),
             EnvVar(name="FEATURE_FLAGS", required=True)),
        health=Health(type="http", path="/healthz"),
        depends_on=(Dependency(service="postgres"), Dependency(service="redis")),
        migrations=(Migration(tool="alembic", command=("alembic", "upgrade", "head")),),
        metrics=Metrics(path="/metrics"),
    )
    return base.model_copy(update=update)


def shop_app(*extra: Component, **update: Any) -> Application:
    """api (service), worker, web (existing Dockerfile), with a CNPG Postgres and a Redis."""
    worker = Component(name="worker", path="api", kind="worker", language="python",
                       build=Build(generated=True, context="api"),
                       run=Run(command=("celery", "-A", "shop_api.tasks", "worker")),
                       depends_on=(Dependency(service="redis"), Dependency(component="api")),
                       evidence=(evidence("run", "procfile.process", "api/Procfile"),))
    web = Component(name="web", path="web", kind="service", language="node",
                    build=Build(dockerfile="web/Dockerfile", context="web"),
                    run=Run(command=("node", "src/server.js")), ports=(Port(port=3000),),
                    env=(EnvVar(name="API_URL", default="http://api:8000"),),
                    depends_on=(Dependency(component="api"),),
                    evidence=(evidence("run", "dockerfile.cmd", "web/Dockerfile"),))
    app = Application(
        name="shop", components=(api_component(), web, worker, *extra),
        services=(BackingService(name="db", kind="postgres", grade="managed", image="postgres:16"),
                  BackingService(name="cache", kind="redis", image="redis:7.2")),
    )
    return app.model_copy(update=update)
