"""verify_objects never raises, whatever shape the objects have."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify.diagnostics import Diagnostic
from kubify.safeload import load_yaml_all
from kubify.verify import verify_objects

GOOD = load_yaml_all((Path(__file__).parent / "data" / "good.yaml").read_text(encoding="utf-8"), "good.yaml")
KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service", "NetworkPolicy",
         "PodDisruptionBudget", "HorizontalPodAutoscaler", "ConfigMap", "Secret", "List", "Cluster", "Widget"]
API_VERSIONS = ["v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1",
                "postgresql.cnpg.io/v1", "example.com/v1", "", "a/b/c"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["Always", "0", "500m", "ALL", "latest", "web"]))
keys = st.one_of(st.text(max_size=12), st.integers(-3, 3), st.none(), st.booleans(), st.sampled_from(
    ["spec", "template", "containers", "metadata", "labels", "name", "ports", "selector", "matchLabels",
     "securityContext", "resources", "limits", "env", "volumes", "items", "kind", "apiVersion", "hostPath"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(keys, inner, max_size=4)), max_leaves=30)
objects = st.fixed_dictionaries(
    {"apiVersion": st.one_of(st.sampled_from(API_VERSIONS), json_values),
     "kind": st.one_of(st.sampled_from(KINDS), json_values)},
    optional={"metadata": json_values, "spec": json_values, "items": json_values, "data": json_values})


def check(found: list[Diagnostic]) -> None:
    assert all(isinstance(d, Diagnostic) and d.code and d.message for d in found)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(objects, json_values), max_size=4))
def test_arbitrary_objects_never_raise(batch: list[Any]) -> None:
    check(verify_objects([(f"f{i}.yaml", obj) for i, obj in enumerate(batch)]))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        found += [p for key, value in node.items() for p in _paths(value, (*prefix, key))]
    elif isinstance(node, list):
        found += [p for index, value in enumerate(node) for p in _paths(value, (*prefix, index))]
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


PATHS = [(index, path) for index, obj in enumerate(GOOD) for path in _paths(obj) if path]
MAPPINGS = [(index, path) for index, obj in enumerate(GOOD) for path in _paths(obj) if isinstance(_at(obj, path), dict)]
FIELDS = st.one_of(keys, st.sampled_from(
    ["volumes", "volumeMounts", "initContainers", "ephemeralContainers", "hostPort", "hostNetwork", "capabilities",
     "seccompProfile", "appArmorProfile", "seLinuxOptions", "sysctls", "os", "hostUsers", "runAsUser", "env",
     "requests", "livenessProbe", "httpGet", "lifecycle", "annotations", "matchExpressions", "podSelector",
     "policyTypes", "minAvailable", "maxUnavailable", "type", "protocol", "containerPort", "targetPort"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=4))
def test_corrupting_a_valid_set_never_raises(edits: list[tuple[tuple[int, tuple[Any, ...]], Any]]) -> None:
    batch = copy.deepcopy(GOOD)
    for (index, path), value in edits:
        _replace(batch[index], path, value)
    check(verify_objects([("good.yaml", obj, 1) for obj in batch]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MAPPINGS), FIELDS, json_values), min_size=1, max_size=6))
def test_adding_fields_to_a_valid_set_never_raises(edits: list[tuple[tuple[int, tuple[Any, ...]], Any, Any]]) -> None:
    batch = copy.deepcopy(GOOD)
    for (index, path), key, value in edits:
        _replace(batch[index], (*path, key), value, create=True)
    check(verify_objects([("good.yaml", obj, 1) for obj in batch]))


def _replace(node: Any, path: tuple[Any, ...], value: Any, *, create: bool = False) -> None:
    """Set ``value`` at ``path`` if an earlier edit has not already changed the way there."""
    for step in path[:-1]:
        if not _has(node, step):
            return
        node = node[step]
    if _has(node, path[-1]) or (create and isinstance(node, dict)):
        node[path[-1]] = value


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node)


def test_non_string_keys_are_tolerated() -> None:
    """YAML allows ``1:`` or ``null:`` as keys; rules that sort or print keys must cope."""
    batch = copy.deepcopy(GOOD)
    pod = batch[0]["spec"]["template"]["spec"]
    pod["volumes"] = [{1: "x", "hostPath": {}, None: 2}]
    pod["containers"][0]["env"] = [{"name": 1}, {"name": None}, {2: "x"}]
    pod["containers"][0]["ports"].append({1: 2})
    pod["containers"][0]["resources"]["limits"][5] = "1"
    batch[0]["metadata"]["labels"][3] = "x"
    batch[0]["metadata"]["annotations"] = {None: 1, 2: [1]}
    found = verify_objects([("good.yaml", obj, 1) for obj in batch])
    check(found)
    assert {"policy.volume-types", "schema.core"} <= {d.code for d in found}
