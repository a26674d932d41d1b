"""The API server's own validations that no offline schema carries (``k8s.*`` diagnostics)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kubify import k8s_names
from kubify.diagnostics import Diagnostic
from kubify.verify import verify_objects

Objects = list[dict[str, Any]]


def server(obj: dict[str, Any]) -> list[Diagnostic]:
    return [d for d in verify_objects([("x.yaml", obj, 1)], policy=False) if d.code.startswith("k8s.")]


def messages(obj: dict[str, Any]) -> str:
    return " | ".join(f"{d.code} {d.message}" for d in server(obj))


def pod_of(good: Objects) -> dict[str, Any]:
    spec: dict[str, Any] = good[0]["spec"]["template"]["spec"]
    return spec


def container_of(good: Objects) -> dict[str, Any]:
    first: dict[str, Any] = pod_of(good)["containers"][0]
    return first


def test_hardened_sample_passes(good: Objects) -> None:
    assert [d for obj in good for d in server(obj)] == []


# --- names, labels, annotations ---------------------------------------------------------------

@pytest.mark.parametrize(("kind", "api", "name", "ok"), [
    ("Deployment", "apps/v1", "web.v2", True), ("Deployment", "apps/v1", "Web_App", False),
    ("Service", "v1", "web", True), ("Service", "v1", "1web", False), ("Service", "v1", "web.v2", False),
    ("Namespace", "v1", "shop", True), ("Namespace", "v1", "a" * 64, False),
    ("ClusterRole", "rbac.authorization.k8s.io/v1", "system:controller:web", True),
    ("ConfigMap", "v1", "x" * 254, False),
])
def test_object_names(kind: str, api: str, name: str, ok: bool) -> None:
    found = [d for d in server({"apiVersion": api, "kind": kind, "metadata": {"name": name}}) if d.code == "k8s.name"]
    assert (found == []) is ok


def test_missing_name_unless_generated() -> None:
    assert "metadata.name is missing" in messages({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    assert server({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "cfg-"}}) == []


def test_cronjob_names_leave_room_for_job_suffixes() -> None:
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c" * 53}, "spec": {}}
    assert "longer than 52" in messages(cron)


def test_labels_and_annotations(good: Objects) -> None:
    labels = good[0]["metadata"]["labels"]
    labels["bad key!"] = "v"
    labels["ok"] = "-starts-with-dash"
    labels["example.com/" + "n" * 64] = "v"
    good[0]["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    text = messages(good[0])
    assert "label key 'bad key!'" in text and "label value '-starts-with-dash'" in text
    assert "name part is longer than 63" in text
    assert "k8s.annotations" in text and "256 KiB" in text


def test_configmap_keys() -> None:
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"app.conf": "", "a/b": ""}}
    assert [d.message.split(": ", 1)[1] for d in server(cfg)] == ["key 'a/b' must be letters, digits, '-', '_' and '.'"]


# --- quantities -------------------------------------------------------------------------------

def test_bad_quantity_syntax(good: Objects) -> None:
    container_of(good)["resources"]["limits"]["cpu"] = "lots"
    container_of(good)["resources"]["requests"]["memory"] = "128MB"
    text = messages(good[0])
    assert "resources.limits.cpu: 'lots' is not a quantity" in text
    assert "resources.requests.memory: '128MB' is not a quantity" in text


def test_negative_quantity_and_request_over_limit(good: Objects) -> None:
    resources = container_of(good)["resources"]
    resources["requests"]["cpu"] = "2"
    resources["limits"]["ephemeral-storage"] = "-1Gi"
    text = messages(good[0])
    assert "the cpu request exceeds its limit" in text and "'-1Gi' is negative" in text


@pytest.mark.parametrize(("text", "value"), [
    ("500m", Decimal("0.5")), ("1Gi", Decimal(2**30)), ("1.5", Decimal("1.5")), ("2k", Decimal(2000)),
    ("1e3", Decimal(1000)), (".5", Decimal("0.5")), (3, Decimal(3)), (0.25, Decimal("0.25")),
])
def test_parse_quantity(text: Any, value: Decimal) -> None:
    assert k8s_names.parse_quantity(text) == value


@pytest.mark.parametrize("text", ["lots", "1K", "1 Gi", "", "1Gb", "--1", True, None, "1e99999999999"])
def test_parse_quantity_rejects(text: Any) -> None:
    assert k8s_names.parse_quantity(text) is None


# --- enums ------------------------------------------------------------------------------------

def test_enum_values_the_schema_leaves_open(good: Objects) -> None:
    container_of(good)["imagePullPolicy"] = "Sometimes"
    container_of(good)["ports"][0]["protocol"] = "tcp"
    good[1]["spec"]["type"] = "Internal"
    good[3]["spec"]["policyTypes"] = ["Ingress", "Outbound"]
    text = " | ".join(messages(obj) for obj in good)
    for value in ("'Sometimes'", "'tcp'", "'Internal'", "'Outbound'"):
        assert f"{value} is not one of" in text


def test_hpa_metric_and_target_types() -> None:
    hpa: dict[str, Any] = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3, "metrics": [
               {"type": "CPU", "resource": {"name": "cpu", "target": {"type": "Percent"}}}]}}
    text = messages(hpa)
    assert "'CPU' is not one of" in text and "'Percent' is not one of" in text


def test_pdb_may_not_set_both_bounds(good: Objects) -> None:
    good[2]["spec"]["maxUnavailable"] = 1
    good[2]["spec"]["unhealthyPodEvictionPolicy"] = "Sometimes"
    text = messages(good[2])
    assert "k8s.pdb" in text and "'Sometimes' is not one of" in text


def test_restart_policy_must_fit_the_workload(good: Objects) -> None:
    pod_of(good)["restartPolicy"] = "Never"
    assert "k8s.restart-policy" in messages(good[0])
    job: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                           "spec": {"template": {"spec": {"containers": [{"name": "j", "image": "busybox:1.36"}]}}}}
    assert "may not use restartPolicy Always" in messages(job)
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert server(job) == []


# --- ports, duplicates, volumes ---------------------------------------------------------------

def test_container_port_range_and_names(good: Objects) -> None:
    container_of(good)["ports"] = [{"containerPort": 70000, "name": "metrics-endpoint"},
                                   {"containerPort": 8080, "name": "HTTP"}, {"containerPort": 9090, "name": "123"}]
    text = messages(good[0])
    assert "port 70000 is outside 1-65535" in text
    assert "'metrics-endpoint' is longer than 15" in text
    assert "'HTTP' must be lowercase" in text and "'123' must contain at least one letter" in text


def test_duplicates_in_a_pod(good: Objects) -> None:
    first = container_of(good)
    pod_of(good)["containers"].append({"name": first["name"], "image": "busybox:1.36",
                                       "ports": [{"containerPort": 9000, "name": "http"}]})
    pod_of(good)["volumes"] = [{"name": "tmp", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    text = messages(good[0])
    assert "container name 'web' is used 2 times" in text
    assert "port name 'http' is used by more than one" in text
    assert "volume name 'tmp' is used more than once" in text


def test_volume_mounts_must_name_a_volume(good: Objects) -> None:
    pod_of(good)["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    container_of(good)["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "cache", "mountPath": "/c"}]
    found = [d for d in server(good[0]) if d.code == "k8s.volume"]
    assert len(found) == 1 and "volumeMounts[1].name" in found[0].message


def test_service_ports(good: Objects) -> None:
    good[1]["spec"]["ports"] = [{"port": 80, "targetPort": "http"}, {"port": 0, "name": "Admin", "targetPort": 9}]
    text = messages(good[1])
    assert "must name each one" in text and "port 0 is outside" in text and "'Admin' must be lowercase" in text


def test_env_names(good: Objects) -> None:
    container_of(good)["env"] = [{"name": "A=B", "value": "1"}, {"name": "my.setting", "value": "2"}]
    found = [d for d in server(good[0]) if d.code == "k8s.env"]
    assert len(found) == 1 and "'A=B'" in found[0].message


# --- selectors --------------------------------------------------------------------------------

def test_selector_must_match_template_labels(good: Objects) -> None:
    good[0]["spec"]["selector"]["matchLabels"] = {"app.kubernetes.io/name": "api"}
    assert "selector does not match the pod template's labels" in messages(good[0])


def test_empty_workload_selector(good: Objects) -> None:
    good[0]["spec"]["selector"] = {}
    assert "the selector is empty" in messages(good[0])


def test_job_selector_requires_manual_selector() -> None:
    job: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {
        "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}},
                     "spec": {"restartPolicy": "Never", "containers": [{"name": "j", "image": "busybox:1.36"}]}}}}
    assert "requires manualSelector: true" in messages(job)
    job["spec"]["manualSelector"] = True
    assert server(job) == []


@pytest.mark.parametrize(("selector", "labels", "selected"), [
    ({}, {"a": "b"}, True),
    ({"matchLabels": {"a": "b"}}, {"a": "b", "c": "d"}, True),
    ({"matchLabels": {"a": "x"}}, {"a": "b"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["b", "c"]}]}, {"a": "c"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["b"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Near"}]}, {"a": "b"}, False),
    ("junk", {"a": "b"}, False),
])
def test_selector_semantics(selector: Any, labels: dict[str, str], selected: bool) -> None:
    assert k8s_names.selector_matches(selector, labels) is selected


@pytest.mark.parametrize(("name", "ok"), [("http", True), ("grpc-web", True), ("h2c", True), ("a--b", False),
                                          ("-http", False), ("a" * 16, False), ("8080", False)])
def test_port_name_syntax(name: str, ok: bool) -> None:
    assert (k8s_names.port_name(name) is None) is ok


@pytest.mark.parametrize(("key", "ok"), [("app", True), ("app.kubernetes.io/name", True), ("a/b/c", False),
                                         ("/name", False), ("Example.com/x", False), ("x_y.z", True), ("", False)])
def test_qualified_name_syntax(key: str, ok: bool) -> None:
    assert (k8s_names.qualified_name(key) is None) is ok
