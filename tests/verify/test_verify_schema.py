"""Core kinds against the bundled Kubernetes OpenAPI schemas, strict, with every error and its path."""

from __future__ import annotations

from typing import Any

import pytest

from kubify.diagnostics import Diagnostic
from kubify.verify import bundled_versions, core_validator, resolve_kubernetes_version, verify_objects

Objects = list[dict[str, Any]]


def schema_errors(obj: Any, **kwargs: Any) -> list[Diagnostic]:
    return [d for d in verify_objects([("app.yaml", obj, 7)], policy=False, **kwargs) if d.code.startswith("schema")]


def deployment(good: Objects) -> dict[str, Any]:
    return good[0]


def test_good_sample_is_schema_valid(good: Objects) -> None:
    assert verify_objects([("good.yaml", obj) for obj in good], policy=False) == []


def test_wrong_type_names_the_path(good: Objects) -> None:
    deployment(good)["spec"]["replicas"] = "two"
    [found] = schema_errors(deployment(good))
    assert found.code == "schema.core" and found.severity == "error"
    assert "Deployment/web $.spec.replicas" in found.message and "integer" in found.message


def test_unknown_field_is_an_error_in_strict_mode(good: Objects) -> None:
    deployment(good)["spec"]["template"]["spec"]["containers"][0]["imagePullSecret"] = "x"
    [found] = schema_errors(deployment(good))
    assert "$.spec.template.spec.containers[0].imagePullSecret" in found.message
    assert "unknown field" in found.message


def test_missing_required_field(good: Objects) -> None:
    deployment(good)["spec"].pop("selector")
    found = schema_errors(deployment(good))
    assert any("'selector' is a required field" in d.message and "$.spec" in d.message for d in found)


def test_all_errors_are_reported_not_just_the_first(good: Objects) -> None:
    spec = deployment(good)["spec"]
    spec["replicas"] = "two"
    spec["paused"] = "yes"
    spec["template"]["spec"]["containers"][0]["bogus"] = 1
    messages = " | ".join(d.message for d in schema_errors(deployment(good)))
    assert "$.spec.replicas" in messages and "$.spec.paused" in messages and ".bogus" in messages


def test_diagnostics_carry_file_and_line(good: Objects) -> None:
    deployment(good)["spec"]["replicas"] = "two"
    [found] = schema_errors(deployment(good))
    assert (found.file, found.line) == ("app.yaml", 7)
    assert found.render().startswith("app.yaml:7: error[schema.core]")


def test_removed_api_versions_are_not_served(good: Objects) -> None:
    deployment(good)["apiVersion"] = "apps/v1beta1"
    found = verify_objects([("app.yaml", deployment(good))])
    assert any(d.code == "schema.core" and "does not serve apps/v1beta1 Deployment" in d.message for d in found)
    assert any(d.code == "policy.deprecated-api" for d in found)


def test_unknown_core_kind_is_an_error() -> None:
    found = schema_errors({"apiVersion": "v1", "kind": "Deploymnet", "metadata": {"name": "x"}})
    assert [d.code for d in found] == ["schema.core"]


def test_kubernetes_version_is_configurable() -> None:
    # ValidatingAdmissionPolicy went GA (admissionregistration.k8s.io/v1) in 1.30.
    policy = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
              "metadata": {"name": "p"}, "spec": {"validations": [{"expression": "true"}]}}
    assert schema_errors(policy, kubernetes_version="1.30") == []
    assert [d.code for d in schema_errors(policy, kubernetes_version="1.29")] == ["schema.core"]


def test_version_resolution() -> None:
    assert resolve_kubernetes_version("1.35") == "1.35"
    assert resolve_kubernetes_version("v1.35.4") == "1.35"
    assert resolve_kubernetes_version("1.99") == bundled_versions()[-1]
    assert resolve_kubernetes_version("1.2") is None
    assert resolve_kubernetes_version("latest") is None


def test_unsupported_versions_are_diagnosed_not_raised(good: Objects) -> None:
    found = verify_objects([("a.yaml", deployment(good))], kubernetes_version="nope", policy=False)
    assert [(d.code, d.severity) for d in found] == [("schema.version", "error")]
    newer = verify_objects([("a.yaml", deployment(good))], kubernetes_version="1.99", policy=False)
    assert [(d.code, d.severity) for d in newer] == [("schema.version", "warning")]


def test_validators_are_built_once_per_kind_and_version() -> None:
    first = core_validator("1.35", "apps", "v1", "Deployment")
    assert first is not None and first is core_validator("1.35", "apps", "v1", "Deployment")
    assert core_validator("1.35", "apps", "v1", "Nope") is None


@pytest.mark.parametrize("obj", [[], "text", 3, None, {"kind": "Pod"}, {"apiVersion": "v1"},
                                 {"apiVersion": "a/b/c", "kind": "X"}, {"apiVersion": 1, "kind": ["Pod"]}])
def test_malformed_objects_are_diagnostics(obj: Any) -> None:
    found = verify_objects([("junk.yaml", obj, 3)])
    assert found and all(d.file == "junk.yaml" and d.line == 3 for d in found)
    assert any(d.code == "schema.object" and d.severity == "error" for d in found)


def test_lists_are_checked_item_by_item(good: Objects) -> None:
    deployment(good)["spec"]["replicas"] = "two"
    wrapped = {"apiVersion": "v1", "kind": "List", "items": good}
    found = verify_objects([("list.yaml", wrapped, 1)])
    assert any("Deployment/web $.spec.replicas" in d.message for d in found)
    assert not any(d.code == "policy.pdb" for d in found)  # the set-level rules saw the whole list
