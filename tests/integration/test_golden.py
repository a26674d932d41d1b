"""Every object the compiler emits (``golden/**/*.yaml``) is accepted by a real API server.

Server-side apply with ``dryRun=All`` runs the whole write path (defaulting, schema
and CEL validation, admission) without storing anything. CustomResourceDefinitions
found in ``golden/`` or ``schemas/`` are installed for real first, so that the custom
resources the compiler emits (kubify's own included) can be validated against them.
"""

from __future__ import annotations

import functools
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kubify.localcluster.api import ApiClient, ApiError
from kubify.localcluster.crds import CRD_PATH, established

from .helpers import REPO, wait_until

pytestmark = pytest.mark.realcluster

GOLDEN = REPO / "golden"
SCHEMAS = REPO / "schemas"
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"


def _golden_files() -> list[Path]:
    if not GOLDEN.is_dir():
        return []
    return sorted(p for p in GOLDEN.rglob("*.yaml") if p.is_file() and p.name != "kustomization.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    if path.suffix == ".json":
        loaded: list[Any] = [json.loads(text)]
    else:
        loaded = list(YAML(typ="safe", pure=True).load_all(StringIO(text)))
    # Round-trip through JSON: the API takes JSON, and YAML may hold dates or other non-JSON scalars.
    return [json.loads(json.dumps(doc, default=str)) for doc in loaded if isinstance(doc, dict) and doc]


def _is_server_object(obj: dict[str, Any]) -> bool:
    return not str(obj.get("apiVersion", "")).startswith(f"{KUSTOMIZE_GROUP}/")


def _describe(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('apiVersion')} {obj.get('kind')} {where}{meta.get('name')}"


def _ensure_namespace(api: ApiClient, name: str) -> None:
    try:
        api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    except ApiError as err:
        if err.reason != "AlreadyExists":
            raise


@pytest.fixture(scope="module")
def golden_crds(api: ApiClient) -> list[str]:
    """Install, for real, every CRD that golden/ or schemas/ defines."""
    candidates = _golden_files()
    if SCHEMAS.is_dir():
        candidates += sorted(p for p in SCHEMAS.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})
    names = []
    for path in candidates:
        for obj in _documents(path):
            if obj.get("kind") == "CustomResourceDefinition" and obj.get("apiVersion") == "apiextensions.k8s.io/v1":
                api.apply(obj)
                names.append(obj["metadata"]["name"])
    for name in names:
        wait_until(functools.partial(established, api, name), f"CRD {name} to be Established")
        assert api.get(f"{CRD_PATH}/{name}")["metadata"]["name"] == name
    return names


def test_golden_directory_is_not_empty() -> None:
    if not GOLDEN.is_dir():
        pytest.skip("no golden/ directory yet")
    assert _golden_files(), f"{GOLDEN} exists but holds no *.yaml file"


@pytest.mark.parametrize("path", _golden_files(), ids=lambda p: str(p.relative_to(GOLDEN)))
def test_golden_objects_pass_server_side_dry_run_apply(api: ApiClient, golden_crds: list[str], path: Path) -> None:
    objects = [obj for obj in _documents(path) if _is_server_object(obj)]
    assert objects, f"{path} holds no Kubernetes object"
    rejected: list[str] = []
    for obj in objects:
        try:
            resource = api.resource(obj["apiVersion"], obj["kind"])
        except LookupError as err:
            rejected.append(f"{_describe(obj)}: {err}")
            continue
        if resource.namespaced:
            _ensure_namespace(api, (obj.get("metadata") or {}).get("namespace") or "default")
        try:
            applied = api.apply(obj, field_manager="kubify", dry_run=True)
        except (ApiError, ValueError) as err:
            rejected.append(f"{_describe(obj)}: {err}")
            continue
        if applied.get("kind") != obj["kind"]:
            rejected.append(f"{_describe(obj)}: the server answered with {applied.get('kind')}")
    assert not rejected, f"{path.relative_to(REPO)}: the API server rejected:\n  " + "\n  ".join(rejected)
