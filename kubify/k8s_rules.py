"""The API server's own validations, which no offline OpenAPI schema carries.

A schema check passes ``name: Web_App``, ``cpu: lots``, ``imagePullPolicy: Sometimes``, a
Job whose pods restart ``Always`` or a Deployment whose selector misses its template: the
API server rejects each of them in Go code. These rules mirror that code for the kinds
kubify emits (names, labels, annotations, quantities, enums the schema leaves as strings,
ports, duplicates, selectors ↔ template labels), using :mod:`kubify.k8s_names` for syntax.
Every function reads untrusted shapes defensively and yields :class:`Problem` values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from kubify import k8s_names
from kubify.diagnostics import Severity
from kubify.k8s_objects import Container, PodTemplate, Subject, as_dict, as_list, containers

MESSAGE_LIMIT = 160


class Problem(NamedTuple):
    """One violation inside an object: ``path`` is the JSON path of the offending field."""

    code: str
    path: str
    message: str
    hint: str
    severity: Severity = "error"


def shorten(text: str) -> str:
    """Keep messages one line long when they quote user data."""
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 3] + "..."


_NAME_RULES = {
    "Service": k8s_names.dns1035_label, "Namespace": k8s_names.dns1123_label,
    **dict.fromkeys(("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"), k8s_names.path_segment_name),
}
_CRONJOB_NAME_MAX = 52
_PROTOCOLS = frozenset({"TCP", "UDP", "SCTP"})
_POD_ENUMS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("restartPolicy",), frozenset({"Always", "OnFailure", "Never"})),
    (("dnsPolicy",), frozenset({"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"})),
    (("preemptionPolicy",), frozenset({"PreemptLowerPriority", "Never"})),
    (("securityContext", "seccompProfile", "type"), frozenset({"RuntimeDefault", "Localhost", "Unconfined"})),
    (("securityContext", "fsGroupChangePolicy"), frozenset({"OnRootMismatch", "Always"})),
)
_CONTAINER_ENUMS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("imagePullPolicy",), frozenset({"Always", "Never", "IfNotPresent"})),
    (("ports", "*", "protocol"), _PROTOCOLS),
    (("terminationMessagePolicy",), frozenset({"File", "FallbackToLogsOnError"})),
    (("securityContext", "seccompProfile", "type"), frozenset({"RuntimeDefault", "Localhost", "Unconfined"})),
    (("securityContext", "procMount"), frozenset({"Default", "Unmasked"})),
    (("*", "httpGet", "scheme"), frozenset({"HTTP", "HTTPS"})),
    (("resizePolicy", "*", "restartPolicy"), frozenset({"NotRequired", "RestartContainer"})),
)
_ACCESS_MODES = frozenset({"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"})
_OBJECT_ENUMS: dict[str, tuple[tuple[tuple[str, ...], frozenset[str]], ...]] = {
    "Service": (
        (("spec", "type"), frozenset({"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})),
        (("spec", "ports", "*", "protocol"), _PROTOCOLS),
        (("spec", "sessionAffinity"), frozenset({"ClientIP", "None"})),
        (("spec", "externalTrafficPolicy"), frozenset({"Cluster", "Local"})),
        (("spec", "internalTrafficPolicy"), frozenset({"Cluster", "Local"})),
        (("spec", "ipFamilyPolicy"), frozenset({"SingleStack", "PreferDualStack", "RequireDualStack"})),
        (("spec", "ipFamilies", "*"), frozenset({"IPv4", "IPv6"})),
    ),
    "NetworkPolicy": (
        (("spec", "policyTypes", "*"), frozenset({"Ingress", "Egress"})),
        (("spec", "*", "*", "ports", "*", "protocol"), _PROTOCOLS),
    ),
    "PodDisruptionBudget": ((("spec", "unhealthyPodEvictionPolicy"), frozenset({"IfHealthyBudget", "AlwaysAllow"})),),
    "HorizontalPodAutoscaler": (
        (("spec", "metrics", "*", "type"), frozenset({"Object", "Pods", "Resource", "ContainerResource", "External"})),
        (("spec", "metrics", "*", "*", "target", "type"), frozenset({"Utilization", "Value", "AverageValue"})),
        (("spec", "behavior", "*", "selectPolicy"), frozenset({"Max", "Min", "Disabled"})),
        (("spec", "behavior", "*", "policies", "*", "type"), frozenset({"Pods", "Percent"})),
    ),
    "Deployment": ((("spec", "strategy", "type"), frozenset({"RollingUpdate", "Recreate"})),),
    "StatefulSet": (
        (("spec", "podManagementPolicy"), frozenset({"OrderedReady", "Parallel"})),
        (("spec", "updateStrategy", "type"), frozenset({"RollingUpdate", "OnDelete"})),
        (("spec", "persistentVolumeClaimRetentionPolicy", "*"), frozenset({"Retain", "Delete"})),
        (("spec", "volumeClaimTemplates", "*", "spec", "accessModes", "*"), _ACCESS_MODES),
    ),
    "DaemonSet": ((("spec", "updateStrategy", "type"), frozenset({"RollingUpdate", "OnDelete"})),),
    "CronJob": ((("spec", "concurrencyPolicy"), frozenset({"Allow", "Forbid", "Replace"})),),
    "Job": (
        (("spec", "completionMode"), frozenset({"NonIndexed", "Indexed"})),
        (("spec", "podReplacementPolicy"), frozenset({"TerminatingOrFailed", "Failed"})),
    ),
    "PersistentVolumeClaim": (
        (("spec", "accessModes", "*"), _ACCESS_MODES),
        (("spec", "volumeMode"), frozenset({"Filesystem", "Block"})),
    ),
    "Ingress": ((("spec", "rules", "*", "http", "paths", "*", "pathType"),
                 frozenset({"Exact", "Prefix", "ImplementationSpecific"})),),
}
#: Which restartPolicy a workload's pod template may have.
_TEMPLATE_RESTART = {
    **dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"),
                    frozenset({"Always"})),
    "Job": frozenset({"OnFailure", "Never"}), "CronJob": frozenset({"OnFailure", "Never"}),
}
_SELECTOR_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


def server_problems(subject: Subject) -> Iterator[Problem]:
    """Every server-side rule that applies to ``subject``'s kind."""
    yield from _metadata_problems(subject)
    yield from _enum_problems(subject.obj, "$", _OBJECT_ENUMS.get(subject.kind, ()))
    for pod in subject.pods:
        yield from _pod_problems(subject, pod)
    yield from _selector_problems(subject)
    if subject.kind == "Service":
        yield from _service_problems(as_dict(subject.obj.get("spec")))
    if subject.kind == "PodDisruptionBudget":
        spec = as_dict(subject.obj.get("spec"))
        if "minAvailable" in spec and "maxUnavailable" in spec:
            yield Problem("k8s.pdb", "$.spec", "minAvailable and maxUnavailable are both set",
                          "keep one of them")
    if subject.kind in ("ConfigMap", "Secret"):
        for field in ("data", "binaryData", "stringData"):
            for key in as_dict(subject.obj.get(field)):
                if problem := k8s_names.config_key(str(key)):
                    yield Problem("k8s.name", f"$.{field}", f"key {key!r} {problem}", "rename the key")
    if subject.kind == "PersistentVolumeClaim":
        yield from _quantity_problems(as_dict(subject.obj.get("spec")).get("resources"), "$.spec.resources")


def _metadata_problems(subject: Subject) -> Iterator[Problem]:
    metadata = subject.obj.get("metadata")
    if not isinstance(metadata, dict):
        yield Problem("k8s.name", "$.metadata", "metadata is missing", "add metadata.name")
        return
    name = metadata.get("name")
    if name is None and not metadata.get("generateName"):
        yield Problem("k8s.name", "$.metadata.name", "metadata.name is missing", "name the object")
    elif isinstance(name, str):
        rule = _NAME_RULES.get(subject.kind, k8s_names.dns1123_subdomain)
        if problem := rule(name):
            yield Problem("k8s.name", "$.metadata.name", f"name {name!r} {problem}",
                          "use a lowercase DNS name such as 'my-app'")
        if subject.kind == "CronJob" and len(name) > _CRONJOB_NAME_MAX:
            yield Problem("k8s.name", "$.metadata.name", f"CronJob name is longer than {_CRONJOB_NAME_MAX} "
                          "characters (its Jobs append a suffix)", "shorten the name")
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and (problem := k8s_names.dns1123_label(namespace)):
        yield Problem("k8s.name", "$.metadata.namespace", f"namespace {namespace!r} {problem}",
                      "use a lowercase DNS label")
    yield from _label_problems(metadata.get("labels"), "$.metadata.labels")
    yield from _annotation_problems(metadata.get("annotations"), "$.metadata.annotations")


def _label_problems(labels: Any, path: str) -> Iterator[Problem]:
    for key, value in as_dict(labels).items():
        if problem := k8s_names.qualified_name(str(key)):
            yield Problem("k8s.labels", path, f"label key {key!r} {problem}", "use keys like app.kubernetes.io/name")
        if isinstance(value, str) and (problem := k8s_names.label_value(value)):
            yield Problem("k8s.labels", f"{path}.{key}", f"label value {shorten(repr(value))} {problem}",
                          "shorten the value or move it to an annotation")


def _annotation_problems(annotations: Any, path: str) -> Iterator[Problem]:
    annotations = as_dict(annotations)
    for key in annotations:
        if problem := k8s_names.qualified_name(str(key)):
            yield Problem("k8s.annotations", path, f"annotation key {key!r} {problem}",
                          "use keys like example.com/purpose")
    size = k8s_names.annotations_size(annotations)
    if size > k8s_names.ANNOTATIONS_MAX_BYTES:
        yield Problem("k8s.annotations", path, f"annotations total {size} bytes, over the 256 KiB limit",
                      "move large data into a ConfigMap")


def _walk(obj: Any, pattern: Sequence[str], path: str) -> Iterator[tuple[str, Any]]:
    """Values at ``pattern`` below ``obj``; ``*`` steps into every list item or map value."""
    if not pattern:
        yield path, obj
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(obj, list):
            for index, item in enumerate(obj):
                yield from _walk(item, rest, f"{path}[{index}]")
        elif isinstance(obj, dict):
            for key, item in obj.items():
                yield from _walk(item, rest, f"{path}.{key}")
    elif isinstance(obj, dict) and head in obj:
        yield from _walk(obj[head], rest, f"{path}.{head}")


def _enum_problems(obj: Any, path: str, table: Sequence[tuple[tuple[str, ...], frozenset[str]]]) -> Iterator[Problem]:
    for pattern, allowed in table:
        for where, value in _walk(obj, pattern, path):
            if isinstance(value, str) and value not in allowed:
                yield Problem("k8s.enum", where, f"{value!r} is not one of {sorted(allowed)}",
                              "use one of the listed values (they are case-sensitive)")


def _pod_problems(subject: Subject, pod: PodTemplate) -> Iterator[Problem]:
    yield from _enum_problems(pod.spec, pod.path, _POD_ENUMS)
    if pod.metadata is not subject.obj.get("metadata"):
        yield from _label_problems(pod.labels, f"{pod.metadata_path}.labels")
        yield from _annotation_problems(pod.metadata.get("annotations"), f"{pod.metadata_path}.annotations")
    allowed_restart = _TEMPLATE_RESTART.get(subject.kind)
    restart = pod.spec.get("restartPolicy", "Always")
    if allowed_restart and isinstance(restart, str) and restart not in allowed_restart:
        yield Problem("k8s.restart-policy", f"{pod.path}.restartPolicy", f"a {subject.kind} pod template may not "
                      f"use restartPolicy {restart}", f"set restartPolicy to {' or '.join(sorted(allowed_restart))}")
    all_containers = list(containers(pod))
    names = Counter(name for c in all_containers if isinstance(name := c.spec.get("name"), str))
    for name in sorted(n for n, count in names.items() if count > 1):
        yield Problem("k8s.duplicate", f"{pod.path}", f"container name {name!r} is used {names[name]} times",
                      "give every container (init and regular) a unique name")
    volumes = [name for v in as_list(pod.spec.get("volumes")) if isinstance(name := as_dict(v).get("name"), str)]
    for name in sorted({n for n in volumes if volumes.count(n) > 1}):
        yield Problem("k8s.duplicate", f"{pod.path}.volumes", f"volume name {name!r} is used more than once",
                      "give every volume a unique name")
    port_names: Counter[str] = Counter()
    mountable = volumes + _claim_template_names(subject)
    for container in all_containers:
        yield from _container_problems(container, mountable, port_names)
    for name in sorted(n for n, count in port_names.items() if count > 1):
        yield Problem("k8s.duplicate", pod.path, f"port name {name!r} is used by more than one container port",
                      "port names must be unique within a pod")
    yield from _quantity_problems(pod.spec.get("resources"), f"{pod.path}.resources")


def _claim_template_names(subject: Subject) -> list[str]:
    """A StatefulSet's volumeClaimTemplates are volumes its pods may mount by name."""
    if subject.kind != "StatefulSet":
        return []
    templates = as_list(as_dict(subject.obj.get("spec")).get("volumeClaimTemplates"))
    return [name for t in templates if isinstance(name := as_dict(as_dict(t).get("metadata")).get("name"), str)]


def _container_problems(container: Container, volumes: list[str], port_names: Counter[str]) -> Iterator[Problem]:
    spec, path = container.spec, container.path
    yield from _enum_problems(spec, path, _CONTAINER_ENUMS)
    if isinstance(spec.get("name"), str) and (problem := k8s_names.dns1123_label(spec["name"])):
        yield Problem("k8s.name", f"{path}.name", f"container name {spec['name']!r} {problem}",
                      "use a lowercase DNS label")
    seen_ports: set[tuple[int, str]] = set()
    for index, item in enumerate(as_list(spec.get("ports"))):
        port = as_dict(item)
        where = f"{path}.ports[{index}]"
        yield from _port_number(port.get("containerPort"), f"{where}.containerPort")
        if port.get("hostPort") not in (None, 0):
            yield from _port_number(port.get("hostPort"), f"{where}.hostPort")
        number, protocol = port.get("containerPort"), port.get("protocol", "TCP")
        if isinstance(number, int) and isinstance(protocol, str):
            if (number, protocol) in seen_ports:
                yield Problem("k8s.duplicate", where, f"port {number}/{protocol} is listed twice",
                              "list each port once", "warning")
            seen_ports.add((number, protocol))
        name = port.get("name")
        if isinstance(name, str):
            port_names[name] += 1
            if problem := k8s_names.port_name(name):
                yield Problem("k8s.port", f"{where}.name", f"port name {name!r} {problem}",
                              "use a short IANA-style name such as 'http' or 'metrics'")
    env_names = [as_dict(env).get("name") for env in as_list(spec.get("env"))]
    for index, name in enumerate(env_names):
        if isinstance(name, str) and (problem := k8s_names.env_name(name)):
            yield Problem("k8s.env", f"{path}.env[{index}].name", f"env name {name!r} {problem}",
                          "rename the variable")
    for index, mount in enumerate(as_list(spec.get("volumeMounts"))):
        name = as_dict(mount).get("name")
        if isinstance(name, str) and name not in volumes:
            yield Problem("k8s.volume", f"{path}.volumeMounts[{index}].name", f"mounts volume {name!r}, which the "
                          "pod does not define", "add the volume to the pod's volumes or fix the name")
    yield from _quantity_problems(spec.get("resources"), f"{path}.resources")


def _port_number(value: Any, path: str, *, named: bool = False) -> Iterator[Problem]:
    if isinstance(value, str) and named:
        if problem := k8s_names.port_name(value):
            yield Problem("k8s.port", path, f"port name {value!r} {problem}", "refer to a container port's name")
    elif isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
        yield Problem("k8s.port", path, f"port {value} is outside 1-65535", "use a valid TCP/UDP port number")


def _quantity_problems(resources: Any, path: str) -> Iterator[Problem]:
    resources = as_dict(resources)
    amounts: dict[str, dict[str, Decimal]] = {"requests": {}, "limits": {}}
    for section, parsed in amounts.items():
        for name, value in as_dict(resources.get(section)).items():
            amount = k8s_names.parse_quantity(value)
            where = f"{path}.{section}.{name}"
            if amount is None and isinstance(value, str | int | float):
                yield Problem("k8s.quantity", where, f"{shorten(repr(value))} is not a quantity",
                              "write quantities like 500m, 0.5, 128Mi or 1Gi")
            elif amount is not None and amount < 0:
                yield Problem("k8s.quantity", where, f"{value!r} is negative", "quantities must be >= 0")
            elif amount is not None:
                parsed[str(name)] = amount
    for name, request in sorted(amounts["requests"].items()):
        limit = amounts["limits"].get(name)
        if limit is not None and request > limit:
            yield Problem("k8s.quantity", f"{path}.requests.{name}", f"the {name} request exceeds its limit",
                          "raise the limit or lower the request")


def _selector_problems(subject: Subject) -> Iterator[Problem]:
    spec = as_dict(subject.obj.get("spec"))
    selector = spec.get("selector")
    if subject.kind == "Service":
        yield from _label_problems(selector, "$.spec.selector")
        return
    if isinstance(selector, dict):
        yield from _label_problems(selector.get("matchLabels"), "$.spec.selector.matchLabels")
    if subject.kind == "Job" and selector is not None and spec.get("manualSelector") is not True:
        yield Problem("k8s.selector", "$.spec.selector", "a Job's selector is generated; setting it requires "
                      "manualSelector: true", "remove spec.selector")
        return
    if subject.kind not in _SELECTOR_KINDS | {"Job"} or not isinstance(selector, dict) or not subject.pods:
        return
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        yield Problem("k8s.selector", "$.spec.selector", "the selector is empty", "select the template's labels")
    elif not k8s_names.selector_matches(selector, subject.pods[0].labels):
        yield Problem("k8s.selector", "$.spec.selector", "selector does not match the pod template's labels",
                      "make spec.selector.matchLabels a subset of spec.template.metadata.labels")


def _service_problems(spec: dict[str, Any]) -> Iterator[Problem]:
    ports = [as_dict(port) for port in as_list(spec.get("ports"))]
    for index, port in enumerate(ports):
        where = f"$.spec.ports[{index}]"
        yield from _port_number(port.get("port"), f"{where}.port")
        yield from _port_number(port.get("targetPort"), f"{where}.targetPort", named=True)
        name = port.get("name")
        if isinstance(name, str) and (problem := k8s_names.dns1123_label(name)):
            yield Problem("k8s.port", f"{where}.name", f"port name {name!r} {problem}", "use a lowercase DNS label")
        if len(ports) > 1 and not name:
            yield Problem("k8s.port", f"{where}.name", "a Service with several ports must name each one",
                          "add name: http (or similar)")
    names = Counter(name for port in ports if isinstance(name := port.get("name"), str))
    for name in sorted(n for n, count in names.items() if count > 1):
        yield Problem("k8s.duplicate", "$.spec.ports", f"port name {name!r} is used twice", "name ports uniquely")
    if spec.get("type") == "ExternalName" and not spec.get("externalName"):
        yield Problem("k8s.service", "$.spec.externalName", "an ExternalName Service needs spec.externalName",
                      "set the DNS name to alias")
