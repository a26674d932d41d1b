"""The upstream CRDs are installed, served, and enforce their schemas."""

from __future__ import annotations

from typing import Any

import pytest

from kubify.localcluster.api import ApiClient, ApiError
from kubify.localcluster.crds import CRD_PATH, crd_files, yaml_documents

from .helpers import shared_dir

pytestmark = pytest.mark.realcluster


def _ray_service(namespace: str, **spec: object) -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": {"name": "serve", "namespace": namespace},
        "spec": {
            **spec,
            "rayClusterConfig": {
                "rayVersion": "2.9.0",
                "headGroupSpec": {
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.9.0"}]}},
                },
            },
        },
    }


def test_every_shared_crd_is_established_and_served(api: ApiClient) -> None:
    files = crd_files(shared_dir() / "crds")
    expected = sum(len(yaml_documents(path.read_text())) for path in files)
    crds = api.get(CRD_PATH)["items"]
    assert len(crds) >= expected >= 50
    for crd in crds:
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions.get("Established") == "True", crd["metadata"]["name"]
        group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
        for version in (v["name"] for v in crd["spec"]["versions"] if v["served"]):
            served = {r["name"] for r in api.get(f"/apis/{group}/{version}")["resources"]}
            assert plural in served, f"{plural}.{group}/{version} is not served"


def test_a_valid_ray_service_is_accepted(api: ApiClient, namespace: str) -> None:
    accepted = api.apply(_ray_service(namespace, serviceUnhealthySecondThreshold=90), dry_run=True)
    assert accepted["spec"]["serviceUnhealthySecondThreshold"] == 90


def test_a_ray_service_with_a_wrongly_typed_field_is_rejected_with_the_servers_message(
    api: ApiClient, namespace: str
) -> None:
    wrong = _ray_service(namespace, serviceUnhealthySecondThreshold="ninety")
    with pytest.raises(ApiError) as created:
        api.request("POST", f"/apis/ray.io/v1/namespaces/{namespace}/rayservices", wrong)
    assert (created.value.status, created.value.reason) == (422, "Invalid")
    assert 'RayService.ray.io "serve" is invalid' in created.value.message
    assert "spec.serviceUnhealthySecondThreshold" in created.value.message
    assert "must be of type integer" in created.value.message
    # Server-side apply type-checks the patch before validation, and says so differently.
    with pytest.raises(ApiError) as applied:
        api.apply(wrong)
    assert ".spec.serviceUnhealthySecondThreshold: expected numeric" in applied.value.message


def test_server_side_apply_enforces_the_crd_schema_bounds(api: ApiClient, namespace: str) -> None:
    with pytest.raises(ApiError) as rejected:
        api.apply(_ray_service(namespace, rayClusterDeletionDelaySeconds=-5))
    assert (rejected.value.status, rejected.value.reason) == (422, "Invalid")
    assert "spec.rayClusterDeletionDelaySeconds" in rejected.value.message
    assert "greater than or equal to 0" in rejected.value.message
