"""The pod a component runs in: named ports, probes, the container and the pod spec.

Decisions that are easy to get wrong live here, each once:

* **Ports** get IANA names (``http``, ``grpc``, ``tcp-9090``) so probes, Services and
  ServiceMonitors refer to them by name and survive a port change.
* **Probes** come from the IR's ``health``; with only a port known, a TCP probe on it
  (a process that declares a port serves it, a worker's metrics port included); a worker
  without ports and health gets none. A startup probe gives slow starters five minutes
  before liveness may restart them.
* **Command**: a generated image's ``CMD`` already is ``run.command``; an existing
  Dockerfile's ``ENTRYPOINT``/``CMD`` is kept when the run command came from that Dockerfile.
  Only a command from a higher-priority source (Procfile, compose, ``kubify.yaml``) is set,
  as ``command`` — Procfile semantics: the whole command line replaces ENTRYPOINT and CMD.
* **User**: 10001 (what generated images create), or the numeric non-root ``USER`` of an
  existing Dockerfile, whose files may only be readable by that user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kubify.ir import Component, Health, Volume
from kubify.k8s_names import port_name
from kubify.naming import dns_label

from .k8s_common import (
    APP_UID,
    Obj,
    Scope,
    anti_affinity,
    container_security,
    image_ref,
    pod_security,
    pull_policy,
    resources,
    tmp_volume,
)

#: What speaks on a port; ``metrics`` is a separate HTTP port only Prometheus calls.
Scheme = Literal["http", "grpc", "tcp", "udp", "metrics"]
HTTP_LIKE = ("service", "static-site")
STARTUP_PERIOD = 5
STARTUP_FAILURES = 60


@dataclass(frozen=True)
class NamedPort:
    name: str
    port: int
    protocol: Literal["TCP", "UDP"]
    scheme: Scheme


def named_ports(component: Component) -> tuple[NamedPort, ...]:
    """The component's ports with unique IANA names, plus a ``metrics`` port if it is separate."""
    ports: list[NamedPort] = []
    used: set[str] = set()
    seen: set[tuple[int, str]] = set()
    for index, port in enumerate(component.ports):
        if (port.port, port.protocol) in seen:
            continue
        seen.add((port.port, port.protocol))
        scheme = _scheme(component, port.port, port.protocol, port.name, first=index == 0)
        name = _port_name(port.name, scheme, port.port, used)
        used.add(name)
        ports.append(NamedPort(name, port.port, port.protocol, scheme))
    metrics = component.metrics
    if metrics is not None and metrics.port is not None and (metrics.port, "TCP") not in seen:
        name = _port_name("metrics", "metrics", metrics.port, used)
        ports.append(NamedPort(name, metrics.port, "TCP", "metrics"))
    return tuple(ports)


def _scheme(component: Component, number: int, protocol: str, name: str | None, *, first: bool) -> Scheme:
    if protocol == "UDP":
        return "udp"
    hint = (name or "").lower()
    health = component.health
    if hint.startswith("grpc") or (health is not None and health.type == "grpc"
                                   and (health.port == number or (health.port is None and first))):
        return "grpc"
    if hint.startswith(("http", "web")) or (first and component.kind in HTTP_LIKE):
        return "http"
    return "tcp"


def _port_name(wanted: str | None, scheme: Scheme, number: int, used: set[str]) -> str:
    for candidate in (wanted, scheme, f"{scheme}-{number}"):
        if candidate and port_name(candidate) is None and candidate not in used:
            return candidate
    return f"p-{number}"


def metrics_port(component: Component, ports: tuple[NamedPort, ...]) -> NamedPort | None:
    """The port Prometheus scrapes: the metrics port, else the first HTTP port."""
    if component.metrics is None:
        return None
    wanted = component.metrics.port
    if wanted is not None:
        return next((p for p in ports if p.port == wanted and p.protocol == "TCP"), None)
    return next((p for p in ports if p.scheme == "http"), None)


def probes(component: Component, ports: tuple[NamedPort, ...]) -> Obj:
    """readiness/liveness/startup probes, or none when nothing says how to check the process."""
    handler = _handler(component.health, ports) if component.health is not None else None
    tcp = [p for p in ports if p.protocol == "TCP"]
    if handler is None and tcp:
        handler = {"tcpSocket": {"port": tcp[0].name}}
    if handler is None:
        return {}
    return {
        "startupProbe": {**handler, "periodSeconds": STARTUP_PERIOD, "failureThreshold": STARTUP_FAILURES,
                         "timeoutSeconds": 3},
        "readinessProbe": {**handler, "periodSeconds": 10, "failureThreshold": 3, "timeoutSeconds": 3},
        "livenessProbe": {**handler, "periodSeconds": 20, "failureThreshold": 3, "timeoutSeconds": 3},
    }


def _handler(health: Health, ports: tuple[NamedPort, ...]) -> Obj | None:
    if health.type == "exec":
        return {"exec": {"command": list(health.command)}} if health.command else None
    if health.type == "grpc":
        number = health.port or next((p.port for p in ports if p.scheme == "grpc"), None)
        number = number or (ports[0].port if ports else None)
        return {"grpc": {"port": number}} if number else None
    target = _port_ref(health, ports)
    if target is None:
        return None
    if health.type == "http":
        return {"httpGet": {"path": health.path or "/", "port": target}}
    return {"tcpSocket": {"port": target}}


def _port_ref(health: Health, ports: tuple[NamedPort, ...]) -> str | int | None:
    if health.port is not None:
        return next((p.name for p in ports if p.port == health.port and p.protocol == "TCP"), health.port)
    preferred = [p for p in ports if p.scheme == "http"] if health.type == "http" else []
    candidates = preferred or [p for p in ports if p.protocol == "TCP"]
    return candidates[0].name if candidates else None


def run_uid(component: Component) -> int:
    """The user the container runs as (see the module docstring)."""
    build, run = component.build, component.run
    if build is None or build.generated or run is None or run.user is None:
        return APP_UID
    user = run.user.split(":", 1)[0]
    return int(user) if user.isdigit() and int(user) > 0 else APP_UID


def container_command(component: Component, *, owns_image: bool = True) -> list[str] | None:
    """The ``command`` to set, or None to keep the image's ENTRYPOINT/CMD.

    A component running a sibling's generated image (``owns_image`` false) needs its own command:
    that image's CMD starts the sibling.
    """
    run = component.run
    if run is None or not run.command:
        return None
    if component.build is not None and component.build.generated and owns_image:
        return None
    if _run_from_dockerfile(component):
        return None
    return ["/bin/sh", "-c", " ".join(run.command)] if run.shell else list(run.command)


def _run_from_dockerfile(component: Component) -> bool:
    evidence = component.evidence_for("run")
    if not evidence:
        return component.build is not None and component.build.dockerfile is not None
    best = max(evidence, key=lambda e: e.confidence)
    basename = (best.file or "").rsplit("/", 1)[-1].lower()
    return best.rule.startswith(("dockerfile", "containerfile")) or "dockerfile" in basename \
        or "containerfile" in basename


def claims(component: Component) -> list[tuple[str, Volume]]:
    """The component's volumes with unique, valid names (never ``tmp``), one per mount path."""
    result: list[tuple[str, Volume]] = []
    names: set[str] = {"tmp"}
    paths: set[str] = set()
    for volume in component.volumes:
        if volume.path in paths:
            continue
        base = dns_label(volume.name, fallback="data")
        name, number = base, 2
        while name in names:
            name, number = f"{base[:58]}-{number}", number + 1
        names.add(name)
        paths.add(volume.path)
        result.append((name, volume))
    return result


def volume_mounts(component: Component, *, persistent: bool = True) -> tuple[list[Obj], list[Obj]]:
    """Pod volumes and container mounts: /tmp scratch space plus the component's own volumes.

    In a StatefulSet (``persistent``) the component's volumes are claims from its
    volumeClaimTemplates, so only their mounts are listed; a Job gets generic ephemeral
    volumes of the same size instead. The /tmp emptyDir is skipped when a volume is mounted there.
    """
    own = claims(component)
    mounts = [{"name": name, "mountPath": volume.path} for name, volume in own]
    volumes: list[Obj] = [] if persistent else [_ephemeral(name, volume.size) for name, volume in own]
    if all(volume.path.rstrip("/") != "/tmp" for _name, volume in own):
        volume, mount = tmp_volume()
        volumes.insert(0, volume)
        mounts.insert(0, mount)
    return volumes, mounts


def _ephemeral(name: str, size: str) -> Obj:
    return {"name": name, "ephemeral": {"volumeClaimTemplate": {"spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}}}


def container(scope: Scope, component: Component, *, env: list[Obj], env_from: list[Obj],
              command: list[str] | None, serving: bool = True, name: str | None = None) -> Obj:
    """The component's container, locked down per the restricted profile.

    ``serving``: it is the long-running process, so it declares ports and gets probes
    (a Job's or a migration's container does neither).
    """
    ports = named_ports(component)
    uid = run_uid(component)
    _volumes, mounts = volume_mounts(component)
    spec: Obj = {"name": name or component.name, "image": image_ref(scope, component),
                 "imagePullPolicy": pull_policy(scope)}
    if command:
        spec["command" if component.run is None or component.run.replaces_entrypoint else "args"] = command
    if component.run is not None and component.run.workdir:
        spec["workingDir"] = component.run.workdir
    if serving and ports:
        spec["ports"] = [_container_port(p) for p in ports]
    if env_from:
        spec["envFrom"] = env_from
    if env:
        spec["env"] = env
    spec["resources"] = resources(component.resources)
    spec["securityContext"] = container_security(uid)
    spec["volumeMounts"] = mounts
    if serving:
        spec.update(probes(component, ports))
    return spec


def _container_port(port: NamedPort) -> Obj:
    entry: Obj = {"name": port.name, "containerPort": port.port}
    if port.protocol != "TCP":
        entry["protocol"] = port.protocol
    return entry


def pod_spec(scope: Scope, component: Component, containers: list[Obj], *, spread: bool, persistent: bool,
             restart_policy: str | None = None, init_containers: list[Obj] | None = None) -> Obj:
    """A pod spec with its own ServiceAccount (no token), restricted security and no service links."""
    volumes, _mounts = volume_mounts(component, persistent=persistent)
    spec: Obj = {
        "serviceAccountName": component.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security(run_uid(component)),
    }
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if spread:
        spec["affinity"] = anti_affinity(scope, component.name)
    if component.resources.gpu:
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    if volumes:
        spec["volumes"] = volumes
    return spec
