"""What Kubernetes objects run: containers, their images, ports and probes, and Service ports.

Rendered Helm charts (and, later, raw manifests and kustomize output) describe a
deployment exactly; this reads the handful of fields kubify's IR needs from them. The
objects are untrusted data: every field is type-checked and anything odd is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubify.ir import Health, Port

#: Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
#: Most preferred first: the workload that is "the application" of a chart.
WORKLOAD_ORDER: tuple[str, ...] = ("Deployment", "StatefulSet", "Rollout", "DaemonSet", "ReplicaSet", "Job",
                                   "CronJob", "Pod")
_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


@dataclass(frozen=True)
class Container:
    """One (non-init) container of a workload."""

    file: str
    workload_kind: str
    workload_name: str
    name: str
    image: str | None
    ports: tuple[Port, ...]
    health: Health | None
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServicePort:
    file: str
    service: str
    port: int
    target: int | str | None
    protocol: str
    name: str | None


def containers(objects: Iterable[tuple[str, dict[str, Any]]]) -> list[Container]:
    """The containers of every workload object, in workload-preference then file order."""
    found: list[Container] = []
    for file, body in objects:
        kind = body.get("kind")
        path = POD_SPEC_PATHS.get(kind) if isinstance(kind, str) else None
        pod = _dig(body, path) if path else None
        if not isinstance(pod, dict) or not isinstance(kind, str):
            continue
        metadata = body.get("metadata")
        workload = str(metadata.get("name", "")) if isinstance(metadata, dict) else ""
        for spec in _items(pod.get("containers")):
            if isinstance(spec, dict):
                found.append(_container(file, kind, workload, spec))
    return sorted(found, key=lambda c: (WORKLOAD_ORDER.index(c.workload_kind), c.file, c.workload_name))


def service_ports(objects: Iterable[tuple[str, dict[str, Any]]]) -> list[ServicePort]:
    """Ports of every Service object."""
    ports: list[ServicePort] = []
    for file, body in objects:
        spec = body.get("spec")
        if body.get("kind") != "Service" or not isinstance(spec, dict):
            continue
        metadata = body.get("metadata")
        service = str(metadata.get("name", "")) if isinstance(metadata, dict) else ""
        for item in _items(spec.get("ports")):
            number = _port_number(item.get("port") if isinstance(item, dict) else None)
            if number is None:
                continue
            target = item.get("targetPort")
            ports.append(ServicePort(file, service, number, target if isinstance(target, (int, str)) else None,
                                     _protocol(item.get("protocol")), _name(item.get("name"))))
    return ports


def _container(file: str, kind: str, workload: str, spec: dict[str, Any]) -> Container:
    ports: list[Port] = []
    named: dict[str, int] = {}
    for item in _items(spec.get("ports")):
        number = _port_number(item.get("containerPort") if isinstance(item, dict) else None)
        if number is None:
            continue
        name = _name(item.get("name"))
        ports.append(Port(port=number, protocol="UDP" if _protocol(item.get("protocol")) == "UDP" else "TCP",
                          name=name))
        if name:
            named[name] = number
    health = next((h for key in _PROBES if (h := probe_health(spec.get(key), named)) is not None), None)
    command = [str(w) for key in ("command", "args") for w in _items(spec.get(key)) if isinstance(w, (str, int))]
    image = spec.get("image")
    return Container(file, kind, workload, str(spec.get("name", "")), image if isinstance(image, str) else None,
                     tuple(ports), health, tuple(command))


def probe_health(probe: Any, named: dict[str, int] | None = None) -> Health | None:
    """A Kubernetes probe as IR health; a named port is resolved through ``named``."""
    named = named or {}
    if not isinstance(probe, dict):
        return None
    http, tcp, grpc, run = (probe.get(k) for k in ("httpGet", "tcpSocket", "grpc", "exec"))
    if isinstance(http, dict):
        path = http.get("path")
        return Health(type="http", path=path if isinstance(path, str) else "/", port=_port_ref(http.get("port"), named))
    if isinstance(tcp, dict):
        return Health(type="tcp", port=_port_ref(tcp.get("port"), named))
    if isinstance(grpc, dict):
        return Health(type="grpc", port=_port_ref(grpc.get("port"), named))
    if isinstance(run, dict) and isinstance(run.get("command"), list):
        return Health(type="exec", command=tuple(str(w) for w in run["command"] if isinstance(w, (str, int))))
    return None


def _port_ref(value: Any, named: dict[str, int]) -> int | None:
    number = _port_number(int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value)
    return number if number is not None else named.get(value) if isinstance(value, str) else None


def _port_number(value: Any) -> int | None:
    valid = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535
    return int(value) if valid else None


def _protocol(value: Any) -> str:
    return value.upper() if isinstance(value, str) and value.upper() in ("TCP", "UDP", "SCTP") else "TCP"


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
