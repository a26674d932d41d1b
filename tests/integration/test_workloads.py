"""The control plane is real: controllers, scheduler and kwok's fake kubelet all act."""

from __future__ import annotations

from typing import Any

import pytest

from kubify.localcluster.api import ApiClient
from kubify.localcluster.cluster import FAKE_NODE_ANNOTATION

from .helpers import NODE, condition, gone, wait_until

pytestmark = pytest.mark.realcluster


def _container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "registry.example/kubify/app:1", "resources": {"requests": {"cpu": "100m"}}}


def _pods(api: ApiClient, namespace: str, selector: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/api/v1/namespaces/{namespace}/pods", query={"labelSelector": selector})[
        "items"
    ]
    return items


def test_deployment_becomes_available_with_pods_running_on_the_kwok_node(api: ApiClient, namespace: str) -> None:
    labels = {"app": "web"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [_container("web")]}},
        },
    }
    api.apply(deployment)
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web"

    def available() -> dict[str, Any] | None:
        current = api.get(path)
        ready = current.get("status", {}).get("availableReplicas") == 2
        return current if ready and condition(current, "Available") == "True" else None

    wait_until(available, "Deployment web to become Available")
    pods = _pods(api, namespace, "app=web")
    assert len(pods) == 2
    assert {pod["status"]["phase"] for pod in pods} == {"Running"}
    assert {pod["spec"]["nodeName"] for pod in pods} == {NODE.name}
    node = api.get(f"/api/v1/nodes/{NODE.name}")
    assert node["metadata"]["annotations"][FAKE_NODE_ANNOTATION] == "fake"
    assert all(pod["status"].get("podIP") for pod in pods), "kwok assigns pod IPs"


def test_job_completes(api: ApiClient, namespace: str) -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "namespace": namespace},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {"restartPolicy": "Never", "containers": [_container("migrate")]}},
        },
    }
    api.apply(job)
    path = f"/apis/batch/v1/namespaces/{namespace}/jobs/migrate"

    def complete() -> dict[str, Any] | None:
        current = api.get(path)
        return current if condition(current, "Complete") == "True" else None

    done = wait_until(complete, "Job to complete")
    assert done["status"]["succeeded"] == 1
    assert condition(done, "Failed") in (None, "False")
    pods = _pods(api, namespace, "batch.kubernetes.io/job-name=migrate")
    assert [pod["status"]["phase"] for pod in pods] == ["Succeeded"]


def test_deleting_an_owner_garbage_collects_its_dependents(api: ApiClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}"
    owner = api.request(
        "POST",
        f"{base}/configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}, "data": {"k": "v"}},
    )
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    api.request(
        "POST",
        f"{base}/configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "child", "ownerReferences": [reference]}},
    )
    api.request(
        "POST",
        f"{base}/secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "child", "ownerReferences": [reference]}},
    )
    untouched = api.request(
        "POST", f"{base}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bystander"}}
    )
    assert not gone(api, f"{base}/configmaps/child")

    api.request("DELETE", f"{base}/configmaps/owner", {"propagationPolicy": "Background"})

    wait_until(lambda: gone(api, f"{base}/configmaps/child"), "the dependent ConfigMap to be collected")
    wait_until(lambda: gone(api, f"{base}/secrets/child"), "the dependent Secret to be collected")
    bystander = api.get(f"{base}/configmaps/bystander")
    assert bystander["metadata"]["uid"] == untouched["metadata"]["uid"]


def test_deleting_a_deployment_collects_its_replicasets_and_pods(api: ApiClient, namespace: str) -> None:
    labels = {"app": "gc"}
    api.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "gc", "namespace": namespace},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [_container("gc")]}},
            },
        }
    )
    replicasets = f"/apis/apps/v1/namespaces/{namespace}/replicasets"
    wait_until(lambda: _pods(api, namespace, "app=gc"), "the Deployment's Pod")
    assert api.get(replicasets)["items"]

    api.request("DELETE", f"/apis/apps/v1/namespaces/{namespace}/deployments/gc", {"propagationPolicy": "Background"})

    wait_until(lambda: not api.get(replicasets)["items"], "the ReplicaSet to be collected")
    wait_until(lambda: not _pods(api, namespace, "app=gc"), "the Pod to be collected")


def test_a_namespace_with_running_pods_finishes_terminating(api: ApiClient) -> None:
    name = "terminate-me"
    api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    labels = {"app": "doomed"}
    api.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "doomed", "namespace": name},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [_container("doomed")]}},
            },
        }
    )
    wait_until(
        lambda: [p for p in _pods(api, name, "app=doomed") if p["status"].get("phase") == "Running"],
        "the Pod to run",
    )

    api.request("DELETE", f"/api/v1/namespaces/{name}")

    assert api.get(f"/api/v1/namespaces/{name}")["status"]["phase"] == "Terminating"
    wait_until(lambda: gone(api, f"/api/v1/namespaces/{name}"), "the namespace controller to finish")


def test_the_scheduler_honours_the_fake_nodes_gpu_capacity(api: ApiClient, namespace: str) -> None:
    def gpu_pod(name: str, gpus: int) -> dict[str, Any]:
        container = _container(name)
        container["resources"] = {"limits": {"nvidia.com/gpu": str(gpus)}}
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [container]},
        }

    pods = f"/api/v1/namespaces/{namespace}/pods"
    # Pods are admitted only once the namespace's default ServiceAccount exists.
    wait_until(lambda: not gone(api, f"/api/v1/namespaces/{namespace}/serviceaccounts/default"), "default SA")
    api.request("POST", pods, gpu_pod("fits", NODE.gpus))
    api.request("POST", pods, gpu_pod("too-big", NODE.gpus + 1))

    running = wait_until(
        lambda: (p := api.get(f"{pods}/fits"))["status"].get("phase") == "Running" and p, "the fitting Pod to run"
    )
    assert running["spec"]["nodeName"] == NODE.name

    def unschedulable() -> str | None:
        conditions = api.get(f"{pods}/too-big")["status"].get("conditions") or []
        reasons = [c.get("message", "") for c in conditions if c.get("reason") == "Unschedulable"]
        return reasons[0] if reasons else None

    message = wait_until(unschedulable, "the scheduler to reject the oversized Pod")
    assert "Insufficient nvidia.com/gpu" in message
    assert api.get(f"{pods}/too-big")["status"]["phase"] == "Pending"
