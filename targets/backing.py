"""Lower the IR's backing services: the databases, caches and brokers the components need.

* Postgres of grade ``managed`` → a CloudNativePG ``Cluster`` (two instances, so a failover
  target exists; 1Gi storage; ``initdb`` creates the application's database and owner). The
  operator generates the ``<cluster>-app`` Secret the components' env is wired to, and runs
  the instances with its own restricted security context. kubify adds no NetworkPolicy for
  these pods: the operator must reach them, and CloudNativePG documents its own policies.
* Every other kind (and Postgres of grade ``development``) → a single-replica StatefulSet of
  the upstream image pinned to a version, a headless Service named like the service (so a
  compose URL such as ``redis://cache:6379`` still resolves), a ServiceAccount without a token,
  and a NetworkPolicy that admits only the application's own pods. These are
  development-grade — no replication, no backups — and are labelled ``kubify.dev/grade:
  development`` with the reason in the ``kubify.dev/grade-reason`` annotation, including
  where the image forces a writable root filesystem; the policy exemptions that follow from
  that grade (``policy.replicas``, ``policy.read-only-root-fs``) are declared with the policy's
  per-object ``kubify.dev/allow`` annotation beside the reason. No PodDisruptionBudget: with one
  replica it could only block node drains. Passwords come from ``<name>-credentials``,
  a Secret the user creates (see ``SECRETS.md``); no value is ever generated into a manifest.
"""

from __future__ import annotations

import re

from kubify.ir import Application, BackingService
from kubify.policy import ALLOW_ANNOTATION

from .k8s_common import (
    EPHEMERAL_LIMIT,
    EPHEMERAL_REQUEST,
    GRADE,
    INSTANCE,
    PART_OF,
    Obj,
    Scope,
    container_security,
    labels,
    metadata,
    pod_security,
    selector,
    service_account,
    tmp_volume,
)
from .k8s_network import dns_rule
from .k8s_services import ROLE, Backing, Engine, backings, database_name, fill
from .options import Artifact, LowerOptions

CNPG_IMAGE = "ghcr.io/cloudnative-pg/postgresql"
CNPG_INSTANCES = 2
STORAGE = "1Gi"
GRADE_REASON = "kubify.dev/grade-reason"
_VERSION = re.compile(r"^\d+(\.\d+)*")


def lower(app: Application, options: LowerOptions) -> list[Artifact]:
    """The objects of every backing service, sorted by service name."""
    scope = Scope(app, options)
    artifacts: list[Artifact] = []
    for backing in backings(scope):
        if backing.managed:
            artifacts.append(Artifact.of_object(f"backing/{backing.name}/cluster.yaml", cnpg_cluster(scope, backing)))
        else:
            artifacts += [Artifact.of_object(f"backing/{backing.name}/{file}.yaml", obj)
                          for file, obj in _development(scope, backing)]
    return artifacts


def version_of(service: BackingService, repositories: tuple[str, ...]) -> str | None:
    """The version asked for: ``version``, else the numeric part of the tag (``16-alpine`` → 16)
    of an image from one of ``repositories`` (a ``bitnami/kafka`` tag says nothing about
    ``apache/kafka``'s tags)."""
    if service.version:
        return service.version
    image = (service.image or "").split("@", 1)[0]
    repository, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    if not tag or _normal(repository) not in {_normal(r) for r in repositories}:
        return None
    match = _VERSION.match(tag)
    return match.group(0) if match else None


def _normal(repository: str) -> str:
    """Docker Hub's spellings of one repository: ``docker.io/library/redis`` is ``redis``."""
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        repository = repository.removeprefix(prefix)
    return repository


def cnpg_cluster(scope: Scope, backing: Backing) -> Obj:
    """A CloudNativePG Cluster whose ``initdb`` creates the application's database."""
    database = database_name(scope)
    spec: Obj = {"instances": CNPG_INSTANCES}
    version = version_of(backing.service, ("postgres", CNPG_IMAGE))
    if version:
        spec["imageName"] = f"{CNPG_IMAGE}:{version}"
    spec.update({
        "inheritedMetadata": {"labels": {INSTANCE: scope.app.name, PART_OF: scope.app.name}},
        "storage": {"size": STORAGE},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "bootstrap": {"initdb": {"database": database, "owner": database}},
    })
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": metadata(scope, backing.name, labels(scope, backing.name, "database")), "spec": spec}


def image_of(backing: Backing, engine: Engine) -> str:
    """The pinned upstream image, at the version the repository asked for when it did."""
    repository = engine.image.rsplit(":", 1)[0]
    version = version_of(backing.service, (repository,))
    return f"{repository}:{version}" if version else engine.image


def _development(scope: Scope, backing: Backing) -> list[tuple[str, Obj]]:
    engine = _engine(backing)
    reason = "development grade: a single replica without replication or backups"
    if not engine.read_only_root:
        reason += f"; root filesystem writable: {engine.root_fs_reason}"
    own = {**labels(scope, backing.name, ROLE[backing.kind]), GRADE: "development"}
    return [
        ("serviceaccount", service_account(scope, backing.name, own)),
        ("statefulset", _statefulset(scope, backing, engine, own, reason)),
        ("service", _headless_service(scope, backing, engine, own)),
        ("networkpolicy", _network_policy(scope, backing, own)),
    ]


def _engine(backing: Backing) -> Engine:
    engine = backing.engine
    if engine is None:
        raise ValueError(f"{backing.name} is operator-managed, not a StatefulSet")
    return engine


def _statefulset(scope: Scope, backing: Backing, engine: Engine, own: dict[str, str], reason: str) -> Obj:
    volume, tmp_mount = tmp_volume()
    volumes = [volume] + [{"name": _scratch(path), "emptyDir": {}} for path in engine.extra_writable]
    mounts = [tmp_mount] + [{"name": _scratch(path), "mountPath": path} for path in engine.extra_writable]
    if engine.data_path:
        mounts.append({"name": "data", "mountPath": engine.data_path})
    pod: Obj = {
        "serviceAccountName": backing.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security(engine.uid, engine.gid),
        "containers": [_container(scope, backing, engine, mounts)],
        "volumes": volumes,
    }
    spec: Obj = {
        "serviceName": backing.name,
        "replicas": 1,
        "selector": {"matchLabels": selector(scope, backing.name)},
        "template": {"metadata": {"labels": own}, "spec": pod},
    }
    if engine.data_path:
        spec["volumeClaimTemplates"] = [{
            "metadata": {"name": "data", "labels": selector(scope, backing.name)},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": STORAGE}}},
        }]
    allowed = ["policy.replicas"] + ([] if engine.read_only_root else ["policy.read-only-root-fs"])
    annotations = {GRADE_REASON: reason, ALLOW_ANNOTATION: ",".join(allowed)}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": metadata(scope, backing.name, own, annotations), "spec": spec}


def _scratch(path: str) -> str:
    return "scratch-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def _container(scope: Scope, backing: Backing, engine: Engine, mounts: list[Obj]) -> Obj:
    env: list[Obj] = [{"name": name, "valueFrom": {"secretKeyRef": {"name": backing.secret, "key": key}}}
                      for name, key in engine.secret_env]
    env += [{"name": name, "value": fill(value, scope, backing)} for name, value in engine.env]
    probe = {"tcpSocket": {"port": engine.port_name}}
    spec: Obj = {"name": backing.kind, "image": image_of(backing, engine), "imagePullPolicy": "Always"}
    if engine.args:
        spec["args"] = list(engine.args)
    spec["ports"] = [{"name": engine.port_name, "containerPort": engine.port}]
    if env:
        spec["env"] = env
    spec.update({
        "resources": {
            "requests": {"cpu": "100m", "memory": engine.memory_request, "ephemeral-storage": EPHEMERAL_REQUEST},
            "limits": {"cpu": "1", "memory": engine.memory_limit, "ephemeral-storage": EPHEMERAL_LIMIT},
        },
        "securityContext": container_security(engine.uid, engine.gid, read_only=engine.read_only_root),
        "volumeMounts": mounts,
        "startupProbe": {**probe, "periodSeconds": 10, "failureThreshold": 30, "timeoutSeconds": 3},
        "readinessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3, "timeoutSeconds": 3},
        "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3, "timeoutSeconds": 3},
    })
    return spec


def _headless_service(scope: Scope, backing: Backing, engine: Engine, own: dict[str, str]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(scope, backing.name, own),
        "spec": {
            "clusterIP": "None",
            "selector": selector(scope, backing.name),
            "ports": [{"name": engine.port_name, "port": engine.port, "targetPort": engine.port_name,
                       "protocol": "TCP"}],
        },
    }


def _network_policy(scope: Scope, backing: Backing, own: dict[str, str]) -> Obj:
    """Only the application's pods may connect; the service itself may only resolve names."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(scope, backing.name, own),
        "spec": {
            "podSelector": {"matchLabels": selector(scope, backing.name)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {PART_OF: scope.app.name}}}],
                         "ports": [{"protocol": "TCP", "port": backing.port}]}],
            "egress": [dns_rule()],
        },
    }
