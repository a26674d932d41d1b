"""kubify's policy rules: Pod Security Standards *restricted* plus the checks linters agree on.

A schema says a manifest is well-formed; policy says it is safe to run. The PSS rules follow
the pod-security-admission code (every baseline and restricted check, on containers,
initContainers and ephemeralContainers of every pod template); the rest are the checks
kube-score, Polaris, kube-linter and checkov share (see research C1/C2), each a small
function with a stable id. Severities:

* ``error`` — the object is unsafe or will misbehave (all PSS checks, image tag, resources,
  probes, read-only root filesystem, token automount, secrets in env/objects, duplicate env);
* ``warning`` — a gap in the set as a whole (PDB, NetworkPolicy, Service selector, default
  namespace, ephemeral storage, Job/CronJob hygiene, deprecated APIs);
* ``info`` — a suggestion (replicas).

A rule is turned off for one object with the annotation ``kubify.dev/allow:
"policy.image-tag,policy.probes"``, or for the whole run with ``check_policy(..., allow=...)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kubify.diagnostics import Diagnostic, Severity
from kubify.k8s_names import map_selector_matches, selector_matches
from kubify.k8s_objects import Container, PodTemplate, Subject, as_dict, as_list, containers
from kubify.signals.secrets import looks_secret

ALLOW_ANNOTATION = "kubify.dev/allow"
_SERVICE_WORKLOADS = frozenset({"Deployment", "StatefulSet"})
_NAMESPACED = frozenset({
    "Pod", "PodTemplate", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
    "CronJob", "Service", "ConfigMap", "Secret", "ServiceAccount", "Ingress", "NetworkPolicy",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "Role", "RoleBinding", "PersistentVolumeClaim",
    "LimitRange", "ResourceQuota",
})

_ALLOWED_VOLUMES = frozenset({"configMap", "downwardAPI", "emptyDir", "projected", "secret", "csi",
                              "persistentVolumeClaim", "ephemeral", "image"})
_SAFE_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})
_SAFE_APPARMOR = frozenset({"RuntimeDefault", "Localhost"})
_SAFE_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
_SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
})
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"

#: apiVersion (and kind, or "*") → what to use instead and when it went away.
_DEPRECATED: dict[tuple[str, str], tuple[str, str]] = {
    ("extensions/v1beta1", "Ingress"): ("networking.k8s.io/v1", "removed in 1.22"),
    ("extensions/v1beta1", "NetworkPolicy"): ("networking.k8s.io/v1", "removed in 1.16"),
    ("extensions/v1beta1", "*"): ("apps/v1", "removed in 1.16"),
    ("apps/v1beta1", "*"): ("apps/v1", "removed in 1.16"),
    ("apps/v1beta2", "*"): ("apps/v1", "removed in 1.16"),
    ("batch/v1beta1", "CronJob"): ("batch/v1", "removed in 1.25"),
    ("policy/v1beta1", "PodDisruptionBudget"): ("policy/v1", "removed in 1.25"),
    ("policy/v1beta1", "PodSecurityPolicy"): ("Pod Security Admission namespace labels", "removed in 1.25"),
    ("autoscaling/v2beta1", "*"): ("autoscaling/v2", "removed in 1.25"),
    ("autoscaling/v2beta2", "*"): ("autoscaling/v2", "removed in 1.26"),
    ("networking.k8s.io/v1beta1", "*"): ("networking.k8s.io/v1", "removed in 1.22"),
    ("rbac.authorization.k8s.io/v1beta1", "*"): ("rbac.authorization.k8s.io/v1", "removed in 1.22"),
    ("admissionregistration.k8s.io/v1beta1", "*"): ("admissionregistration.k8s.io/v1", "removed in 1.22"),
    ("apiextensions.k8s.io/v1beta1", "*"): ("apiextensions.k8s.io/v1", "removed in 1.22"),
    ("certificates.k8s.io/v1beta1", "*"): ("certificates.k8s.io/v1", "removed in 1.22"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): ("storage.k8s.io/v1", "removed in 1.27"),
    ("storage.k8s.io/v1beta1", "*"): ("storage.k8s.io/v1", "removed in 1.22"),
    ("scheduling.k8s.io/v1beta1", "*"): ("scheduling.k8s.io/v1", "removed in 1.22"),
    ("coordination.k8s.io/v1beta1", "*"): ("coordination.k8s.io/v1", "removed in 1.22"),
    ("discovery.k8s.io/v1beta1", "*"): ("discovery.k8s.io/v1", "removed in 1.25"),
    ("events.k8s.io/v1beta1", "*"): ("events.k8s.io/v1", "removed in 1.25"),
    ("node.k8s.io/v1beta1", "*"): ("node.k8s.io/v1", "removed in 1.25"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "*"): ("flowcontrol.apiserver.k8s.io/v1", "removed in 1.26"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "*"): ("flowcontrol.apiserver.k8s.io/v1", "removed in 1.29"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "*"): ("flowcontrol.apiserver.k8s.io/v1", "removed in 1.32"),
    ("v1", "Endpoints"): ("discovery.k8s.io/v1 EndpointSlice", "deprecated since 1.33"),
    ("v1", "ComponentStatus"): ("the /livez and /readyz endpoints", "deprecated since 1.19"),
}


def _one_of(value: Any, allowed: frozenset[str]) -> bool:
    """Set membership that tolerates unhashable junk from untrusted manifests."""
    return isinstance(value, str) and value in allowed


def _security_contexts(pod: PodTemplate) -> list[tuple[str, dict[str, Any]]]:
    """The pod's securityContext and each container's, with their paths: PSS checks some fields at both levels."""
    return [(pod.path, pod.security)] + [(c.path, c.security) for c in containers(pod)]


def _user_namespaced(pod: PodTemplate) -> bool:
    """A pod in its own user namespace (``hostUsers: false``) is exempt from the run-as checks (its root is not
    the node's)."""
    return pod.spec.get("hostUsers") is False


@dataclass(frozen=True)
class Finding:
    """What one rule found: ``path`` is the JSON path of the offending field."""

    path: str
    message: str
    hint: str


Check = Callable[[Subject, Sequence[Subject]], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Check


# --- Pod Security Standards: baseline ---------------------------------------------------------

def _host_namespaces(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.spec.get(field) is True:
                yield Finding(f"{pod.path}.{field}", f"{field} shares the node's namespace with the pod",
                              f"remove {field} (PSS baseline)")


def _privileged(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            if container.security.get("privileged") is True:
                yield Finding(f"{container.path}.securityContext.privileged",
                              f"container {container.name!r} runs privileged",
                              "set securityContext.privileged: false (PSS baseline)")


def _capabilities(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        if pod.windows:
            continue
        for container in containers(pod):
            caps = as_dict(container.security.get("capabilities"))
            path = f"{container.path}.securityContext.capabilities"
            added = sorted(str(cap) for cap in as_list(caps.get("add")) if cap != "NET_BIND_SERVICE")
            if added:
                yield Finding(f"{path}.add", f"container {container.name!r} adds capabilities {added}",
                              "add no capabilities except NET_BIND_SERVICE (PSS restricted)")
            if "ALL" not in as_list(caps.get("drop")):
                yield Finding(f"{path}.drop", f"container {container.name!r} does not drop ALL capabilities",
                              "set securityContext.capabilities.drop: [ALL] (PSS restricted)")


def _volume_types(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for index, volume in enumerate(as_list(pod.spec.get("volumes"))):
            sources = sorted(str(key) for key in as_dict(volume) if key != "name" and key not in _ALLOWED_VOLUMES)
            for source in sources:
                why = "mounts a directory of the node" if source == "hostPath" else "is not allowed"
                yield Finding(f"{pod.path}.volumes[{index}].{source}", f"volume type {source!r} {why}",
                              "use configMap, secret, emptyDir, projected, csi, persistentVolumeClaim or "
                              "ephemeral volumes (PSS restricted)")


def _host_ports(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            for index, port in enumerate(as_list(container.spec.get("ports"))):
                host_port = as_dict(port).get("hostPort")
                if host_port not in (None, 0):
                    yield Finding(f"{container.path}.ports[{index}].hostPort",
                                  f"container {container.name!r} binds host port {host_port}",
                                  "remove hostPort; expose the port through a Service (PSS baseline)")


def _apparmor(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for path, context in _security_contexts(pod):
            profile = as_dict(context.get("appArmorProfile")).get("type")
            if profile is not None and not _one_of(profile, _SAFE_APPARMOR):
                yield Finding(f"{path}.securityContext.appArmorProfile.type",
                              f"AppArmor profile {profile!r} is not allowed",
                              "use RuntimeDefault or Localhost (PSS baseline)")
        for key, value in as_dict(pod.metadata.get("annotations")).items():
            if (isinstance(key, str) and key.startswith(_APPARMOR_ANNOTATION) and value != "runtime/default"
                    and not str(value).startswith("localhost/")):
                yield Finding(f"{pod.metadata_path}.annotations", f"AppArmor annotation {key}={value!r} is not "
                              "allowed", "use runtime/default or localhost/<profile> (PSS baseline)")


def _selinux(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for path, context in _security_contexts(pod):
            options = as_dict(context.get("seLinuxOptions"))
            if not _one_of(options.get("type", ""), _SAFE_SELINUX_TYPES) or options.get("user") or options.get("role"):
                yield Finding(f"{path}.securityContext.seLinuxOptions", "SELinux options set a custom user, role "
                              "or type", "leave user/role unset; type may be container_t, container_init_t, "
                              "container_kvm_t or container_engine_t (PSS baseline)")


def _proc_mount(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            mount = container.security.get("procMount")
            if mount not in (None, "Default"):
                yield Finding(f"{container.path}.securityContext.procMount",
                              f"container {container.name!r} uses procMount {mount!r}",
                              "use the Default proc mount (PSS baseline/restricted)")


def _sysctls(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for index, sysctl in enumerate(as_list(pod.security.get("sysctls"))):
            name = as_dict(sysctl).get("name")
            if not _one_of(name, _SAFE_SYSCTLS):
                yield Finding(f"{pod.path}.securityContext.sysctls[{index}]", f"sysctl {name!r} is not in the "
                              "safe set", "remove it or move the workload to a dedicated node (PSS baseline)")


def _host_probes(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            handlers = [(f"{container.path}.{probe}", container.spec.get(probe))
                        for probe in ("livenessProbe", "readinessProbe", "startupProbe")]
            lifecycle = as_dict(container.spec.get("lifecycle"))
            handlers += [(f"{container.path}.lifecycle.{hook}", lifecycle.get(hook))
                         for hook in ("postStart", "preStop")]
            for path, handler in handlers:
                for action in ("httpGet", "tcpSocket"):
                    if as_dict(as_dict(handler).get(action)).get("host"):
                        yield Finding(f"{path}.{action}.host", f"container {container.name!r} probes another host",
                                      "remove the host field; probes target the pod (PSS baseline)")


def _windows_host_process(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for path, context in _security_contexts(pod):
            if as_dict(context.get("windowsOptions")).get("hostProcess") is True:
                yield Finding(f"{path}.securityContext.windowsOptions.hostProcess", "Windows HostProcess "
                              "containers have node access", "remove hostProcess (PSS baseline)")


# --- Pod Security Standards: restricted -------------------------------------------------------

def _allow_privilege_escalation(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        if pod.windows:
            continue
        for container in containers(pod):
            if container.security.get("allowPrivilegeEscalation") is not False:
                yield Finding(f"{container.path}.securityContext.allowPrivilegeEscalation",
                              f"container {container.name!r} does not set allowPrivilegeEscalation: false",
                              "set securityContext.allowPrivilegeEscalation: false (PSS restricted)")


def _run_as_non_root(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        if _user_namespaced(pod):
            continue
        pod_level = pod.security.get("runAsNonRoot")
        for container in containers(pod):
            own = container.security.get("runAsNonRoot")
            if (own if own is not None else pod_level) is not True:
                yield Finding(f"{container.path}.securityContext.runAsNonRoot",
                              f"container {container.name!r} may run as root",
                              "set securityContext.runAsNonRoot: true on the pod (PSS restricted)")


def _run_as_user(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        if _user_namespaced(pod):
            continue
        for path, context in _security_contexts(pod):
            user = context.get("runAsUser")
            if user == 0 and not isinstance(user, bool):
                yield Finding(f"{path}.securityContext.runAsUser", "runAsUser is 0 (root)",
                              "run as a non-zero UID, e.g. 10001 (PSS restricted)")


def _seccomp(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        pod_type = as_dict(pod.security.get("seccompProfile")).get("type")
        if pod_type == "Unconfined":
            yield Finding(f"{pod.path}.securityContext.seccompProfile.type", "the pod's seccomp profile is "
                          "Unconfined", "use RuntimeDefault (PSS baseline)")
        for container in containers(pod):
            own = as_dict(container.security.get("seccompProfile")).get("type")
            effective = own if own is not None else pod_type
            if own == "Unconfined" or (not _one_of(effective, _SAFE_SECCOMP) and not pod.windows):
                yield Finding(f"{container.path}.securityContext.seccompProfile.type",
                              f"container {container.name!r} has seccomp profile {effective or 'unset'}",
                              "set securityContext.seccompProfile.type: RuntimeDefault on the pod "
                              "(PSS restricted)")


# --- Linter checks ----------------------------------------------------------------------------

def _image_tag(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            image = container.spec.get("image")
            if not isinstance(image, str) or "@" in image:
                continue
            colon, tag = image.rpartition(":")[1:]
            untagged = not colon or "/" in tag
            if untagged or tag == "latest":
                yield Finding(f"{container.path}.image", f"container {container.name!r} image {image!r} is "
                              f"{'untagged' if untagged else 'tagged latest'}",
                              "pin a version tag or, better, a digest (image@sha256:...)")


def _missing_resources(container: Container, resources: Sequence[str]) -> Iterator[Finding]:
    spec = as_dict(container.spec.get("resources"))
    missing = [f"{section}.{resource}" for section in ("requests", "limits") for resource in resources
               if resource not in as_dict(spec.get(section))]
    if missing:
        yield Finding(f"{container.path}.resources", f"container {container.name!r} does not set "
                      f"{', '.join(missing)}", "set requests (what it needs) and limits (its ceiling) for "
                      f"{' and '.join(resources)}")


def _resources(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod, ("initContainers", "containers")):
            yield from _missing_resources(container, ("cpu", "memory"))


def _ephemeral_storage(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod, ("initContainers", "containers")):
            yield from _missing_resources(container, ("ephemeral-storage",))


def _probes(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind not in _SERVICE_WORKLOADS:
        return
    for pod in subject.pods:
        for container in containers(pod, ("containers",)):
            ports = [as_dict(p) for p in as_list(container.spec.get("ports"))]
            if not ports or all(p.get("protocol") == "UDP" for p in ports):
                continue  # nothing to probe over TCP/HTTP/gRPC
            for probe in ("readinessProbe", "livenessProbe"):
                if not isinstance(container.spec.get(probe), dict):
                    yield Finding(f"{container.path}.{probe}", f"container {container.name!r} serves ports but "
                                  f"has no {probe}", f"add a {probe} (an HTTP health path or the TCP port)")


def _read_only_root_fs(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod, ("initContainers", "containers")):
            if container.security.get("readOnlyRootFilesystem") is not True:
                yield Finding(f"{container.path}.securityContext.readOnlyRootFilesystem",
                              f"container {container.name!r} can write its root filesystem",
                              "set readOnlyRootFilesystem: true and mount an emptyDir where it must write")


def _sa_token_automount(subject: Subject, objects: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        setting = pod.spec.get("automountServiceAccountToken")
        if setting is False:
            continue
        account = pod.spec.get("serviceAccountName") or "default"
        disabled_on_account = any(
            other.kind == "ServiceAccount" and other.name == account and subject.same_namespace(other)
            and other.obj.get("automountServiceAccountToken") is False for other in objects)
        if setting is True or not disabled_on_account:
            yield Finding(f"{pod.path}.automountServiceAccountToken", "the pod mounts a service account token",
                          "set automountServiceAccountToken: false unless the app calls the Kubernetes API")


def _default_namespace(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind in _NAMESPACED and subject.namespace in (None, "default"):
        yield Finding("$.metadata.namespace", "the object lands in the default namespace",
                      "set metadata.namespace to the application's own namespace")


def _selects(selector_owner: Subject, selector: Any, workload: Subject, *, service: bool = False) -> bool:
    """Whether ``selector`` (of a PDB, NetworkPolicy or Service) picks ``workload``'s pods."""
    match = map_selector_matches if service else selector_matches
    return selector_owner.same_namespace(workload) and any(match(selector, pod.labels) for pod in workload.pods)


def _pdb(subject: Subject, objects: Sequence[Subject]) -> Iterator[Finding]:
    replicas = as_dict(subject.obj.get("spec")).get("replicas")
    if subject.kind not in _SERVICE_WORKLOADS or not isinstance(replicas, int) or replicas <= 1:
        return
    if not any(_selects(other, as_dict(other.obj.get("spec")).get("selector"), subject)
               for other in objects if other.kind == "PodDisruptionBudget"):
        yield Finding("$.spec.replicas", f"{replicas} replicas but no PodDisruptionBudget selects them",
                      "add a PodDisruptionBudget (minAvailable: 1) with the template's labels as selector")


def _network_policy(subject: Subject, objects: Sequence[Subject]) -> Iterator[Finding]:
    if not subject.pods:
        return
    if not any(_selects(other, as_dict(other.obj.get("spec")).get("podSelector"), subject)
               for other in objects if other.kind == "NetworkPolicy"):
        yield Finding("$.metadata", "no NetworkPolicy selects these pods; all traffic is allowed",
                      "add a NetworkPolicy whose podSelector matches the pod labels")


def _service_selector(subject: Subject, objects: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind != "Service":
        return
    selector = as_dict(subject.obj.get("spec")).get("selector")
    if isinstance(selector, dict) and selector and not any(
            _selects(subject, selector, other, service=True) for other in objects if other.pods):
        yield Finding("$.spec.selector", f"selector {selector} matches no pod template in this set",
                      "make the selector equal to the workload's pod template labels")


def _secrets_in_env(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            for index, env in enumerate(as_list(container.spec.get("env"))):
                name, value = as_dict(env).get("name"), as_dict(env).get("value")
                if isinstance(name, str) and isinstance(value, str) and value and _literal_secret(name, value):
                    yield Finding(f"{container.path}.env[{index}].value", f"container {container.name!r} has a "
                                  f"literal value for the secret-looking variable {name}",
                                  "reference a Secret with valueFrom.secretKeyRef instead of a literal value")


def _literal_secret(name: str, value: str) -> bool:
    """A secret-looking name with a value — except a connection URL that carries no credentials
    (``KAFKA_URL=kafka:9092`` names a host, it hides nothing)."""
    if not looks_secret(name, value):
        return False
    if name.upper().endswith(("_URL", "_URI", "_HOST", "_ADDR", "_ADDRESS", "_BROKERS")):
        return looks_secret("", value)
    return True


def _secret_object(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind != "Secret":
        return
    for field in ("data", "stringData"):
        if subject.obj.get(field):
            yield Finding(f"$.{field}", "the Secret carries values; kubify never writes secret values",
                          "create the Secret out of band (kubectl create secret, External Secrets, "
                          "sealed-secrets) and reference it by name")


def _duplicate_env(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    for pod in subject.pods:
        for container in containers(pod):
            names = Counter(name for env in as_list(container.spec.get("env"))
                            if isinstance(name := as_dict(env).get("name"), str))
            for name, count in sorted(item for item in names.items() if item[1] > 1):
                yield Finding(f"{container.path}.env", f"container {container.name!r} sets {name} {count} times; "
                              "only the last one takes effect", f"keep one definition of {name}")


def _job_ttl(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind == "Job" and as_dict(subject.obj.get("spec")).get("ttlSecondsAfterFinished") is None:
        yield Finding("$.spec.ttlSecondsAfterFinished", "finished Job and its pods are never cleaned up",
                      "set spec.ttlSecondsAfterFinished (e.g. 86400)")


def _cronjob_deadline(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind == "CronJob" and as_dict(subject.obj.get("spec")).get("startingDeadlineSeconds") is None:
        yield Finding("$.spec.startingDeadlineSeconds", "missed runs pile up after controller downtime",
                      "set spec.startingDeadlineSeconds (e.g. 300)")


def _deprecated_api(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    api_version = subject.obj.get("apiVersion")
    if not isinstance(api_version, str):
        return
    found = _DEPRECATED.get((api_version, subject.kind)) or _DEPRECATED.get((api_version, "*"))
    if found:
        replacement, when = found
        yield Finding("$.apiVersion", f"{api_version} {subject.kind} is {when}", f"use {replacement}")


def _replicas(subject: Subject, _: Sequence[Subject]) -> Iterator[Finding]:
    if subject.kind not in _SERVICE_WORKLOADS:
        return
    spec = as_dict(subject.obj.get("spec"))
    if "replicas" not in spec and subject.kind == "Deployment":
        return  # left to a HorizontalPodAutoscaler, as the Kubernetes docs recommend
    replicas = spec.get("replicas", 1)
    if isinstance(replicas, int) and replicas < 2:
        yield Finding("$.spec.replicas", f"runs {replicas} replica(s): any restart is downtime",
                      "run at least 2 replicas for a service")


RULES: tuple[Rule, ...] = (
    Rule("policy.host-namespaces", "error", "no hostNetwork/hostPID/hostIPC", _host_namespaces),
    Rule("policy.privileged", "error", "no privileged containers", _privileged),
    Rule("policy.capabilities", "error", "drop ALL; add at most NET_BIND_SERVICE", _capabilities),
    Rule("policy.volume-types", "error", "only restricted volume types (no hostPath)", _volume_types),
    Rule("policy.host-ports", "error", "no hostPort", _host_ports),
    Rule("policy.apparmor", "error", "AppArmor RuntimeDefault/Localhost only", _apparmor),
    Rule("policy.selinux", "error", "no custom SELinux user/role/type", _selinux),
    Rule("policy.proc-mount", "error", "default /proc mount", _proc_mount),
    Rule("policy.sysctls", "error", "only safe sysctls", _sysctls),
    Rule("policy.host-probes", "error", "probes and hooks target the pod", _host_probes),
    Rule("policy.windows-host-process", "error", "no Windows HostProcess", _windows_host_process),
    Rule("policy.allow-privilege-escalation", "error", "allowPrivilegeEscalation: false",
         _allow_privilege_escalation),
    Rule("policy.run-as-non-root", "error", "runAsNonRoot: true", _run_as_non_root),
    Rule("policy.run-as-user", "error", "runAsUser is not 0", _run_as_user),
    Rule("policy.seccomp", "error", "seccomp RuntimeDefault or Localhost", _seccomp),
    Rule("policy.image-tag", "error", "images pinned by tag or digest, never latest", _image_tag),
    Rule("policy.resources", "error", "cpu and memory requests and limits", _resources),
    Rule("policy.ephemeral-storage", "warning", "ephemeral-storage requests and limits", _ephemeral_storage),
    Rule("policy.probes", "error", "readiness and liveness probes on serving containers", _probes),
    Rule("policy.read-only-root-fs", "error", "readOnlyRootFilesystem: true", _read_only_root_fs),
    Rule("policy.sa-token-automount", "error", "no service account token unless needed", _sa_token_automount),
    Rule("policy.secrets-in-env", "error", "no literal secret values in env", _secrets_in_env),
    Rule("policy.secret-object", "error", "no Secret values in kubify's output", _secret_object),
    Rule("policy.duplicate-env", "error", "each env name once per container", _duplicate_env),
    Rule("policy.default-namespace", "warning", "objects name their namespace", _default_namespace),
    Rule("policy.pdb", "warning", "replicated services have a PodDisruptionBudget", _pdb),
    Rule("policy.network-policy", "warning", "every pod is selected by a NetworkPolicy", _network_policy),
    Rule("policy.service-selector", "warning", "every Service selects pods of the set", _service_selector),
    Rule("policy.job-ttl", "warning", "Jobs are cleaned up after they finish", _job_ttl),
    Rule("policy.cronjob-deadline", "warning", "CronJobs have a starting deadline", _cronjob_deadline),
    Rule("policy.deprecated-api", "warning", "no deprecated or removed API versions", _deprecated_api),
    Rule("policy.replicas", "info", "services run at least 2 replicas", _replicas),
)
RULE_IDS = frozenset(rule.id for rule in RULES)


def check_policy(objects: Sequence[Subject], *, allow: Collection[str] = ()) -> list[Diagnostic]:
    """Run every rule over ``objects`` (one emitted set: set-level rules look across it).

    ``allow`` turns rules off for all objects; unknown rule ids there or in an object's
    ``kubify.dev/allow`` annotation are reported, since a typo would silently keep a rule on.
    """
    diagnostics = [_unknown_rule(rule_id, None) for rule_id in sorted(set(allow) - RULE_IDS)]
    for subject in objects:
        diagnostics += [_unknown_rule(rule_id, subject) for rule_id in sorted(_allowed(subject) - RULE_IDS)]
        for rule in RULES:
            if rule.id in allow or rule.id in _allowed(subject):
                continue
            diagnostics += [_diagnostic(rule, subject, finding) for finding in rule.check(subject, objects)]
    return diagnostics


def _allowed(subject: Subject) -> frozenset[str]:
    """Rule ids listed in the object's ``kubify.dev/allow`` annotation."""
    annotations = as_dict(as_dict(subject.obj.get("metadata")).get("annotations"))
    value = annotations.get(ALLOW_ANNOTATION)
    if not isinstance(value, str):
        return frozenset()
    return frozenset(item.strip() for item in value.split(",") if item.strip())


def _diagnostic(rule: Rule, subject: Subject, finding: Finding) -> Diagnostic:
    return Diagnostic(severity=rule.severity, code=rule.id, file=subject.source, line=subject.line,
                      message=f"{subject.kind or 'object'}/{subject.name} {finding.path}: {finding.message}",
                      hint=f"{finding.hint}; or allow it with the annotation {ALLOW_ANNOTATION}: \"{rule.id}\"")


def _unknown_rule(rule_id: str, subject: Subject | None) -> Diagnostic:
    where = f"{subject.kind}/{subject.name}: " if subject else ""
    return Diagnostic(severity="warning", code="policy.allow-unknown",
                      message=f"{where}unknown policy rule {rule_id!r} in the allow list",
                      file=subject.source if subject else None, line=subject.line if subject else None,
                      hint=f"known rules: {', '.join(sorted(RULE_IDS))}")
