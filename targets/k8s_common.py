"""Shared pieces of every lowered Kubernetes object: names, labels, images, security contexts.

One place decides the label scheme, the restricted security context and the image reference,
so a Deployment, its Service, its NetworkPolicy and a backing StatefulSet can never disagree
about which pods they mean.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kubify.ir import Application, Component, Resources
from kubify.k8s_names import dns1035_label

from .options import LowerOptions

MANAGED_BY = "kubify"
NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
PART_OF = "app.kubernetes.io/part-of"
ROLE = "app.kubernetes.io/component"
MANAGED = "app.kubernetes.io/managed-by"
GRADE = "kubify.dev/grade"
#: The unprivileged user and group every generated image creates and every pod runs as.
APP_UID = 10001
#: Ephemeral storage: logs and the /tmp emptyDir count against it (the root filesystem is read-only).
EPHEMERAL_REQUEST = "100Mi"
EPHEMERAL_LIMIT = "512Mi"
TMP_SIZE = "256Mi"
LABEL_MAX = 63

Obj = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """What every object builder needs besides the component: the application and the options."""

    app: Application
    options: LowerOptions

    @property
    def namespace(self) -> str:
        return self.options.namespace_for(self.app)


def derived_name(base: str, suffix: str, limit: int = LABEL_MAX) -> str:
    """``base-suffix`` within ``limit`` characters; a long base is cut and disambiguated by a hash."""
    name = f"{base}-{suffix}" if suffix else base
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    keep = limit - len(suffix) - len(digest) - 2
    return f"{base[:keep].rstrip('-')}-{digest}-{suffix}" if suffix else f"{base[:limit - 7].rstrip('-')}-{digest}"


def service_name(name: str) -> str:
    """A Service name for ``name``: Services need a DNS-1035 label (starting with a letter)."""
    return name if dns1035_label(name) is None else derived_name(f"s-{name}", "")


def selector(scope: Scope, name: str) -> dict[str, str]:
    """The immutable pod selector: component name plus application instance."""
    return {NAME: name, INSTANCE: scope.app.name}


def labels(scope: Scope, name: str, role: str) -> dict[str, str]:
    """The recommended ``app.kubernetes.io/*`` labels, on every object and pod."""
    return {
        NAME: name,
        INSTANCE: scope.app.name,
        PART_OF: scope.app.name,
        ROLE: role,
        MANAGED: MANAGED_BY,
    }


def metadata(scope: Scope, name: str, object_labels: dict[str, str],
             annotations: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": scope.namespace, "labels": dict(object_labels)}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def content_tag(app: Application, component: Component) -> str:
    """``sha-<12 hex>``: a tag that changes whenever what goes into the image may have changed.

    The hash covers the component's IR without its evidence (line numbers are not content)
    and the source revision when known, so two commits never share a tag.
    """
    payload = {
        "app": app.name,
        "revision": app.source.revision,
        "component": component.model_dump(mode="json", exclude={"evidence", "conflicts", "analyzer"}),
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"sha-{digest[:12]}"


def image_owner(app: Application, component: Component) -> Component:
    """The component whose image ``component`` runs: itself, or — for processes of one root built
    by one recipe (a web app and its worker) — the first of them by name, so one image is built."""
    build = component.build
    if build is None or build.image:
        return component
    sharing = [c for c in app.components if c.path == component.path and c.build == build]
    return min(sharing, key=lambda c: c.name, default=component)


def image_ref(scope: Scope, component: Component) -> str:
    """The image a component runs: its prebuilt image, else the one kubify builds for it."""
    if component.build is not None and component.build.image:
        return component.build.image
    component = image_owner(scope.app, component)
    tag = content_tag(scope.app, component)
    registry = scope.options.registry
    if registry:
        return f"{registry.rstrip('/')}/{scope.app.name}-{component.name}:{tag}"
    return f"kubify.local/{scope.app.name}/{component.name}:{tag}"


def pull_policy(scope: Scope) -> str:
    """``Always`` from a registry; ``IfNotPresent`` for unpushed ``kubify.local`` images.

    Tags are content hashes, but a hash of the build recipe without a source revision can
    be rebuilt from different code, so pods re-check the registry (a cheap manifest HEAD;
    layers stay cached) — what checkov CKV_K8S_15 and Polaris ask. Images without a
    registry exist only on the node (``kind load``), where ``Always`` would fail the pull.
    """
    return "Always" if scope.options.registry else "IfNotPresent"


def pod_security(uid: int = APP_UID, gid: int | None = None) -> Obj:
    """Pod-level securityContext of the Pod Security Standards *restricted* profile."""
    group = gid if gid is not None else uid
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": group,
        "fsGroup": group,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(uid: int = APP_UID, gid: int | None = None, *, read_only: bool = True) -> Obj:
    """Container securityContext: no privilege escalation, no capabilities, read-only root."""
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": read_only,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid if gid is not None else uid,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(spec: Resources) -> Obj:
    """Requests and limits for CPU, memory, ephemeral storage and GPUs."""
    requests: Obj = {"cpu": spec.cpu_request, "memory": spec.memory_request, "ephemeral-storage": EPHEMERAL_REQUEST}
    limits: Obj = {"cpu": spec.cpu_limit, "memory": spec.memory_limit, "ephemeral-storage": EPHEMERAL_LIMIT}
    if spec.gpu:
        limits["nvidia.com/gpu"] = spec.gpu
    return {"requests": requests, "limits": limits}


def tmp_volume() -> tuple[Obj, Obj]:
    """An emptyDir at /tmp (volume, mount): apps still get scratch space on a read-only root."""
    return ({"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}}, {"name": "tmp", "mountPath": "/tmp"})


def anti_affinity(scope: Scope, name: str) -> Obj:
    """Prefer spreading replicas over nodes, so one node failure does not take them all."""
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchLabels": selector(scope, name)},
                },
            }],
        },
    }


def service_account(scope: Scope, name: str, object_labels: dict[str, str]) -> Obj:
    """A dedicated ServiceAccount that mounts no API token: the app never talks to the API."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(scope, name, object_labels),
        "automountServiceAccountToken": False,
    }
