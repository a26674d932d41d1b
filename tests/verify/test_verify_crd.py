"""Custom resources against their CRD's structural schema (real upstream CRDs and small local ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubify.crd_schemas import CRD_PATH_ENV, crd_search_path, structural_to_jsonschema
from kubify.diagnostics import Diagnostic
from kubify.verify import verify_objects

SHARED = Path(__file__).resolve().parents[3] / "shared" / "crds"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/crds is not beside this checkout")


def crd_problems(obj: dict[str, Any]) -> list[Diagnostic]:
    return [d for d in verify_objects([("cr.yaml", obj, 4)], policy=False) if d.code.startswith("schema")]


@needs_shared
def test_search_path_includes_shared_crds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRD_PATH_ENV, raising=False)
    assert SHARED.resolve() in [p.resolve() for p in crd_search_path()]


@needs_shared
def test_valid_cloudnative_pg_cluster_passes() -> None:
    cluster = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
               "metadata": {"name": "db", "namespace": "shop", "labels": {"app": "db"}},
               "spec": {"instances": 3, "imageName": "ghcr.io/cloudnative-pg/postgresql:17.2",
                        "storage": {"size": "10Gi"},
                        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                        "bootstrap": {"initdb": {"database": "app", "owner": "app"}}}}
    assert crd_problems(cluster) == []


@needs_shared
def test_rayservice_with_a_string_cluster_config_fails_with_its_path() -> None:
    service = {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "rs"},
               "spec": {"rayClusterConfig": "x"}}
    [found] = crd_problems(service)
    assert found.code == "schema.crd" and (found.file, found.line) == ("cr.yaml", 4)
    assert "RayService/rs $.spec.rayClusterConfig" in found.message and "expected object" in found.message


@needs_shared
def test_unknown_fields_of_custom_resources_are_errors() -> None:
    cluster = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "db"},
               "spec": {"instances": 1, "storage": {"size": "1Gi", "sise": "2Gi"}}}
    [found] = crd_problems(cluster)
    assert "$.spec.storage.sise" in found.message and "unknown field" in found.message


@needs_shared
def test_preserve_unknown_fields_are_left_open() -> None:
    chart = {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}}
    release: dict[str, Any] = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "h"},
        "spec": {"interval": "5m", "values": {"any": {"nested": [1, {"x": None}]}}, "chart": chart}}
    assert crd_problems(release) == []
    release["spec"]["valuez"] = {}
    assert ["$.spec.valuez" in d.message for d in crd_problems(release)] == [True]


@needs_shared
def test_prometheus_crds_with_bare_equals_load() -> None:
    config: dict[str, Any] = {"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
              "metadata": {"name": "a"},
              "spec": {"route": {"receiver": "null", "matchers": [{"name": "team", "value": "x", "matchType": "="}]},
                       "receivers": [{"name": "null"}]}}
    assert crd_problems(config) == []
    config["spec"]["route"]["matchers"][0]["matchType"] = "=="
    assert [d.code for d in crd_problems(config)] == ["schema.crd"]


@needs_shared
def test_unserved_and_deprecated_versions() -> None:
    old = crd_problems({"apiVersion": "ray.io/v1beta9", "kind": "RayService", "metadata": {"name": "r"}})
    assert [d.code for d in old] == ["schema.crd"] and "does not serve version 'v1beta9'" in old[0].message
    deprecated = crd_problems({"apiVersion": "ray.io/v1alpha1", "kind": "RayService", "metadata": {"name": "r"}})
    assert ("schema.crd-deprecated", "warning") in [(d.code, d.severity) for d in deprecated]


def test_missing_crd_is_a_warning_not_an_error() -> None:
    [found] = crd_problems({"apiVersion": "widgets.example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert (found.severity, found.code) == ("warning", "schema.crd-missing")
    assert "not schema-checked: CRD for widgets.example.com/Widget not found" in found.message
    assert CRD_PATH_ENV in (found.hint or "")


WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
              note: {type: string, nullable: true}
              tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
              mode: {type: string, enum: [fast, slow]}
"""


@pytest.fixture
def widget_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "widget.yaml").write_text("# a comment first\n---\n" + WIDGET_CRD, encoding="utf-8")
    monkeypatch.setenv(CRD_PATH_ENV, str(tmp_path))
    return tmp_path


def widget(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "annotations": {"a": "b"}},
            "spec": spec}


def test_crd_path_from_environment(widget_path: Path) -> None:
    assert widget_path in crd_search_path()
    spec = {"size": "10", "note": None, "tags": ["a", "b"], "extra": {"free": {"form": 1}},
            "template": {"apiVersion": "v1", "kind": "Pod", "spec": {}}, "mode": "fast"}
    assert crd_problems(widget(spec)) == []


@pytest.mark.parametrize(("spec", "path"), [
    ({"size": 1.5}, "$.spec.size"),
    ({}, "$.spec"),
    ({"size": 1, "tags": ["a", "a"]}, "$.spec.tags"),
    ({"size": 1, "template": {"metadata": {}}}, "$.spec.template"),
    ({"size": 1, "mode": "medium"}, "$.spec.mode"),
    ({"size": 1, "colour": "red"}, "$.spec.colour"),
    ({"size": 1, "tags": None}, "$.spec.tags"),
])
def test_structural_extensions_are_honoured(widget_path: Path, spec: dict[str, Any], path: str) -> None:
    found = crd_problems(widget(spec))
    assert found and all(d.code == "schema.crd" for d in found)
    assert any(f"Widget/w {path}" in d.message for d in found), [d.message for d in found]


def test_translation_is_strict_only_outside_junctors() -> None:
    schema = structural_to_jsonschema({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}},
                                "oneOf": [{"required": ["a"]}, {"properties": {"a": {"type": "string"}}}]}}})
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False
    assert all("additionalProperties" not in branch for branch in spec["oneOf"])
    assert "additionalProperties" not in schema["properties"]["metadata"]
    assert {"apiVersion", "kind"} <= set(schema["properties"])
