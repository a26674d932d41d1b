"""Every policy rule fires on a manifest that breaks it and stays quiet on the hardened sample."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from kubify.diagnostics import Diagnostic
from kubify.k8s_objects import Subject
from kubify.policy import ALLOW_ANNOTATION, RULE_IDS, RULES, check_policy
from kubify.verify import verify_objects

Objects = list[dict[str, Any]]


def run(objects: Objects, **kwargs: Any) -> list[Diagnostic]:
    return check_policy([Subject(f"obj{i}.yaml", obj, i + 1) for i, obj in enumerate(objects)], **kwargs)


def codes(diagnostics: Iterable[Diagnostic]) -> set[str]:
    return {d.code for d in diagnostics}


def pod(objects: Objects) -> dict[str, Any]:
    spec: dict[str, Any] = objects[0]["spec"]["template"]["spec"]
    return spec


def container(objects: Objects) -> dict[str, Any]:
    first: dict[str, Any] = pod(objects)["containers"][0]
    return first


def security(objects: Objects) -> dict[str, Any]:
    context: dict[str, Any] = container(objects)["securityContext"]
    return context


def bare_job(kind: str = "Job") -> dict[str, Any]:
    template = {"spec": {"restartPolicy": "Never", "containers": [{"name": "x", "image": "busybox:1.36"}]}}
    spec: dict[str, Any] = {"template": template}
    if kind == "CronJob":
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": spec}}
    return {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "task", "namespace": "shop"}, "spec": spec}


TRIGGERS: dict[str, Callable[[Objects], object]] = {
    "policy.host-namespaces": lambda o: pod(o).update(hostNetwork=True),
    "policy.privileged": lambda o: security(o).update(privileged=True),
    "policy.capabilities": lambda o: security(o).update(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
    "policy.volume-types": lambda o: pod(o).update(volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
    "policy.host-ports": lambda o: container(o)["ports"][0].update(hostPort=8080),
    "policy.apparmor": lambda o: pod(o)["securityContext"].update(appArmorProfile={"type": "Unconfined"}),
    "policy.selinux": lambda o: security(o).update(seLinuxOptions={"user": "root"}),
    "policy.proc-mount": lambda o: security(o).update(procMount="Unmasked"),
    "policy.sysctls": lambda o: pod(o)["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]),
    "policy.host-probes": lambda o: container(o)["readinessProbe"]["httpGet"].update(host="example.com"),
    "policy.windows-host-process": lambda o: security(o).update(windowsOptions={"hostProcess": True}),
    "policy.allow-privilege-escalation": lambda o: security(o).pop("allowPrivilegeEscalation"),
    "policy.run-as-non-root": lambda o: (security(o).pop("runAsNonRoot"),
                                         pod(o)["securityContext"].pop("runAsNonRoot")),
    "policy.run-as-user": lambda o: security(o).update(runAsUser=0),
    "policy.seccomp": lambda o: (security(o).pop("seccompProfile"), pod(o)["securityContext"].pop("seccompProfile")),
    "policy.image-tag": lambda o: container(o).update(image="nginx"),
    "policy.resources": lambda o: container(o)["resources"]["limits"].pop("memory"),
    "policy.ephemeral-storage": lambda o: container(o)["resources"]["requests"].pop("ephemeral-storage"),
    "policy.probes": lambda o: container(o).pop("livenessProbe"),
    "policy.read-only-root-fs": lambda o: security(o).update(readOnlyRootFilesystem=False),
    "policy.sa-token-automount": lambda o: pod(o).update(automountServiceAccountToken=True),
    "policy.secrets-in-env": lambda o: container(o).update(env=[{"name": "DB_PASSWORD", "value": "hunter2"}]),
    "policy.secret-object": lambda o: o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "creds", "namespace": "shop"}, "stringData": {"password": "hunter2"}}),
    "policy.duplicate-env": lambda o: container(o).update(env=[{"name": "A", "value": "1"},
                                                               {"name": "A", "value": "2"}]),
    "policy.default-namespace": lambda o: o[1]["metadata"].pop("namespace"),
    "policy.pdb": lambda o: o.pop(2),
    "policy.network-policy": lambda o: o.pop(3),
    "policy.service-selector": lambda o: o[1]["spec"].update(selector={"app.kubernetes.io/name": "other"}),
    "policy.job-ttl": lambda o: o.append(bare_job()),
    "policy.cronjob-deadline": lambda o: o.append(bare_job("CronJob")),
    "policy.deprecated-api": lambda o: o[0].update(apiVersion="extensions/v1beta1"),
    "policy.replicas": lambda o: o[0]["spec"].update(replicas=1),
}


def test_every_rule_has_a_trigger_case() -> None:
    assert set(TRIGGERS) == RULE_IDS


def test_rules_have_unique_ids_and_documented_severities() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert {rule.severity for rule in RULES} <= {"error", "warning", "info"}
    assert all(rule.id.startswith("policy.") and rule.summary for rule in RULES)


def test_hardened_sample_passes_every_rule(good: Objects) -> None:
    assert run(good) == []


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_fires_when_broken_and_not_otherwise(rule_id: str, good: Objects) -> None:
    assert rule_id not in codes(run(good))
    TRIGGERS[rule_id](good)
    found = [d for d in run(good) if d.code == rule_id]
    assert found, f"{rule_id} did not fire"
    rule = next(rule for rule in RULES if rule.id == rule_id)
    assert all(d.severity == rule.severity and d.file and d.line and d.hint for d in found)


def test_bad_sample_fails_the_required_checks(bad: Objects) -> None:
    found = codes(d for d in verify_objects([("bad.yaml", obj) for obj in bad]) if d.severity == "error")
    required = {"policy.allow-privilege-escalation", "policy.run-as-non-root", "policy.seccomp",
                "policy.capabilities", "policy.image-tag", "policy.resources", "policy.probes",
                "policy.read-only-root-fs", "policy.sa-token-automount"}
    assert required <= found


def test_good_sample_has_no_errors_or_warnings(good: Objects) -> None:
    diagnostics = verify_objects([("good.yaml", obj) for obj in good])
    assert [d.render() for d in diagnostics if d.severity != "info"] == []


# --- the boundaries of individual rules ---------------------------------------------------------

def test_net_bind_service_is_the_one_capability_allowed(good: Objects) -> None:
    security(good)["capabilities"] = {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    assert "policy.capabilities" not in codes(run(good))
    security(good)["capabilities"] = {"drop": ["NET_RAW"]}
    assert "policy.capabilities" in codes(run(good))


@pytest.mark.parametrize(("image", "flagged"), [
    ("nginx:1.27", False), ("registry.local:5000/app:1.0", False), ("app@sha256:" + "0" * 64, False),
    ("registry.local:5000/app", True), ("nginx:latest", True), ("nginx", True),
])
def test_image_tag_boundaries(good: Objects, image: str, flagged: bool) -> None:
    container(good)["image"] = image
    assert ("policy.image-tag" in codes(run(good))) is flagged


def test_run_as_non_root_honours_pod_level_and_container_override(good: Objects) -> None:
    security(good).pop("runAsNonRoot")
    assert "policy.run-as-non-root" not in codes(run(good))
    security(good)["runAsNonRoot"] = False
    assert "policy.run-as-non-root" in codes(run(good))
    pod(good)["hostUsers"] = False
    assert "policy.run-as-non-root" not in codes(run(good))


def test_seccomp_accepts_container_level_localhost_and_rejects_unconfined_pods(good: Objects) -> None:
    pod(good)["securityContext"].pop("seccompProfile")
    security(good)["seccompProfile"] = {"type": "Localhost", "localhostProfile": "p.json"}
    assert "policy.seccomp" not in codes(run(good))
    pod(good)["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
    assert "policy.seccomp" in codes(run(good))


def test_windows_pods_are_exempt_from_linux_only_restrictions(good: Objects) -> None:
    security(good).pop("allowPrivilegeEscalation")
    security(good).pop("capabilities")
    pod(good)["os"] = {"name": "windows"}
    assert not codes(run(good)) & {"policy.allow-privilege-escalation", "policy.capabilities"}


def test_token_automount_may_be_disabled_on_the_service_account(good: Objects) -> None:
    pod(good).pop("automountServiceAccountToken")
    assert "policy.sa-token-automount" not in codes(run(good))
    good.pop(4)  # the ServiceAccount
    assert "policy.sa-token-automount" in codes(run(good))


def test_probes_are_not_required_without_ports(good: Objects) -> None:
    for field in ("ports", "readinessProbe", "livenessProbe"):
        container(good).pop(field)
    good[1]["spec"]["ports"][0]["targetPort"] = 8080
    assert "policy.probes" not in codes(run(good))


def test_secret_references_and_plain_settings_are_fine_in_env(good: Objects) -> None:
    container(good)["env"] = [
        {"name": "PORT", "value": "8080"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    ]
    assert "policy.secrets-in-env" not in codes(run(good))
    container(good)["env"].append({"name": "UPSTREAM", "value": "https://user:pw@example.com"})
    assert "policy.secrets-in-env" in codes(run(good))


def test_secret_values_are_never_printed(good: Objects) -> None:
    container(good)["env"] = [{"name": "API_TOKEN", "value": "s3cr3t-value"}]
    assert all("s3cr3t-value" not in d.message for d in run(good))


def test_network_policy_must_be_in_the_same_namespace(good: Objects) -> None:
    good[3]["spec"]["podSelector"] = {}
    assert "policy.network-policy" not in codes(run(good))
    good[3]["metadata"]["namespace"] = "elsewhere"
    assert "policy.network-policy" in codes(run(good))


def test_pdb_selector_expressions_count(good: Objects) -> None:
    good[2]["spec"]["selector"] = {"matchExpressions": [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": ["web", "api"]}]}
    assert "policy.pdb" not in codes(run(good))
    good[2]["spec"]["selector"]["matchExpressions"][0]["operator"] = "NotIn"
    assert "policy.pdb" in codes(run(good))


def test_pss_checks_cover_init_and_ephemeral_containers(good: Objects) -> None:
    pod(good)["initContainers"] = [{"name": "init", "image": "busybox:1.36", "securityContext": {"privileged": True}}]
    pod(good)["ephemeralContainers"] = [{"name": "debug", "image": "busybox:1.36"}]
    found = [d for d in run(good) if d.code in ("policy.privileged", "policy.allow-privilege-escalation")]
    paths = " ".join(d.message for d in found)
    assert "initContainers[0]" in paths and "ephemeralContainers[0]" in paths


def test_cronjob_pod_templates_are_checked() -> None:
    found = [d for d in run([bare_job("CronJob")]) if d.code == "policy.run-as-non-root"]
    assert found and "$.spec.jobTemplate.spec.template.spec.containers[0]" in found[0].message


# --- turning rules off ------------------------------------------------------------------------

def test_allow_annotation_disables_listed_rules_for_that_object(bad: Objects) -> None:
    bad[0]["metadata"]["annotations"] = {ALLOW_ANNOTATION: "policy.image-tag, policy.probes"}
    found = codes(run(bad))
    assert not found & {"policy.image-tag", "policy.probes"}
    assert "policy.resources" in found


def test_allow_parameter_disables_rules_for_the_whole_set(bad: Objects) -> None:
    found = codes(run(bad, allow={"policy.default-namespace"}))
    assert "policy.default-namespace" not in found
    assert "policy.image-tag" in found


def test_unknown_rule_ids_in_allow_lists_are_reported(good: Objects) -> None:
    good[0]["metadata"]["annotations"] = {ALLOW_ANNOTATION: "policy.imagetag"}
    found = run(good, allow={"policy.nope"})
    unknown = [d for d in found if d.code == "policy.allow-unknown"]
    assert len(unknown) == 2
    assert any("policy.imagetag" in d.message and d.file == "obj0.yaml" for d in unknown)
