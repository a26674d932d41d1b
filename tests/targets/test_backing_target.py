"""The backing target: CloudNativePG for Postgres, pinned development StatefulSets for the rest."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from target_support import everything, objects, one, pod_specs, shop_app, validate_object

from kubify.ir import Application, BackingKind, BackingService, Component, Dependency, EnvVar
from kubify.targets import backing, k8s
from kubify.targets.k8s_services import ENGINES
from kubify.targets.options import LowerOptions

OPTIONS = LowerOptions(namespace="prod")
DEVELOPMENT_KINDS = sorted(k for k in get_args(BackingKind) if k != "postgres")


def app_with(*services: BackingService, components: tuple[Component, ...] = ()) -> Application:
    return Application(name="acme-store", components=components, services=services)


def test_postgres_is_a_cloudnativepg_cluster_valid_against_its_crd() -> None:
    service = BackingService(name="db", kind="postgres", grade="managed", version="16.4")
    cluster = one(backing.lower(app_with(service), OPTIONS), "Cluster", "db")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["metadata"]["namespace"] == "prod"
    spec = cluster["spec"]
    assert spec["instances"] == 2
    assert spec["storage"] == {"size": "1Gi"}
    assert spec["bootstrap"]["initdb"] == {"database": "acme_store", "owner": "acme_store"}
    assert spec["imageName"] == "ghcr.io/cloudnative-pg/postgresql:16.4"
    validate_object(cluster)


@pytest.mark.parametrize(("image", "expected"), [
    ("postgres:16-alpine", "ghcr.io/cloudnative-pg/postgresql:16"),
    ("docker.io/library/postgres:15.6", "ghcr.io/cloudnative-pg/postgresql:15.6"),
    ("postgis/postgis:16-3.4", None),
    ("postgres", None),
])
def test_cnpg_image_follows_the_compose_image_version(image: str, expected: str | None) -> None:
    service = BackingService(name="db", kind="postgres", grade="managed", image=image)
    cluster = objects(backing.lower(app_with(service), OPTIONS), "Cluster")[0]
    assert cluster["spec"].get("imageName") == expected


@pytest.mark.parametrize("kind", DEVELOPMENT_KINDS)
def test_development_services_are_pinned_locked_down_statefulsets(kind: str) -> None:
    service = BackingService(name=f"my-{kind}", kind=kind)
    artifacts = backing.lower(app_with(service), OPTIONS)
    assert sorted(o["kind"] for o in objects(artifacts)) == ["NetworkPolicy", "Service", "ServiceAccount",
                                                              "StatefulSet"]
    for obj in objects(artifacts):
        validate_object(obj)
    statefulset = one(artifacts, "StatefulSet", f"my-{kind}")
    assert statefulset["metadata"]["labels"]["kubify.dev/grade"] == "development"
    assert "single replica" in statefulset["metadata"]["annotations"]["kubify.dev/grade-reason"]
    assert statefulset["spec"]["replicas"] == 1
    pod = next(pod_specs(statefulset))
    main = pod["containers"][0]
    assert re.fullmatch(r"[\w./-]+:[\w.-]+", main["image"]) and not main["image"].endswith(":latest")
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
    security = main["securityContext"]
    assert security["allowPrivilegeEscalation"] is False and security["capabilities"] == {"drop": ["ALL"]}
    allowed = statefulset["metadata"]["annotations"]["kubify.dev/allow"]
    if not security["readOnlyRootFilesystem"]:
        assert "policy.read-only-root-fs" in allowed
        assert "root filesystem writable" in statefulset["metadata"]["annotations"]["kubify.dev/grade-reason"]
    else:
        assert "policy.read-only-root-fs" not in allowed
    assert main["readinessProbe"]["tcpSocket"]["port"] == main["ports"][0]["name"]
    for env in main.get("env", []):
        assert "valueFrom" in env or not re.search(r"PASS|SECRET|TOKEN", env["name"]), env
    service_object = one(artifacts, "Service", f"my-{kind}")
    assert service_object["spec"]["clusterIP"] == "None"
    assert service_object["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]


def test_development_image_version_comes_from_the_service_or_its_own_image() -> None:
    def image(service: BackingService) -> str:
        statefulset = objects(backing.lower(app_with(service), OPTIONS), "StatefulSet")[0]
        return str(next(pod_specs(statefulset))["containers"][0]["image"])
    assert image(BackingService(name="cache", kind="redis", image="redis:7.2-alpine")) == "redis:7.2"
    assert image(BackingService(name="cache", kind="redis", version="6.2.14")) == "redis:6.2.14"
    assert image(BackingService(name="bus", kind="kafka", image="bitnami/kafka:3.6")) == ENGINES["kafka"].image, \
        "another repository's tag says nothing about ours"
    assert image(BackingService(name="cache", kind="redis")) == ENGINES["redis"].image


def test_passwords_are_secret_references_only() -> None:
    services = [BackingService(name=k, kind=k) for k in DEVELOPMENT_KINDS]
    artifacts = backing.lower(app_with(*services), OPTIONS)
    assert not objects(artifacts, "Secret")
    for statefulset in objects(artifacts, "StatefulSet"):
        for env in next(pod_specs(statefulset))["containers"][0].get("env", []):
            if "PASS" in env["name"]:
                assert env["valueFrom"]["secretKeyRef"]["name"] == f"{statefulset['metadata']['name']}-credentials"
    assert "openssl" not in everything(artifacts)


def test_redis_requires_the_password_from_its_secret() -> None:
    artifacts = backing.lower(app_with(BackingService(name="cache", kind="redis")), OPTIONS)
    main = next(pod_specs(one(artifacts, "StatefulSet", "cache")))["containers"][0]
    assert main["args"][:2] == ["--requirepass", "$(REDIS_PASSWORD)"]
    assert main["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "cache-credentials", "key": "password"}


def test_kafka_advertises_its_service_name() -> None:
    artifacts = backing.lower(app_with(BackingService(name="events", kind="kafka")), OPTIONS)
    env = {e["name"]: e.get("value") for e in next(pod_specs(one(artifacts, "StatefulSet", "events")))
           ["containers"][0]["env"]}
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://events:9092"


def test_only_the_application_may_connect() -> None:
    artifacts = backing.lower(app_with(BackingService(name="cache", kind="redis")), OPTIONS)
    policy = one(artifacts, "NetworkPolicy", "cache")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of":
                                                                            "acme-store"}}}],
                                  "ports": [{"protocol": "TCP", "port": 6379}]}]
    assert [rule["ports"][0]["port"] for rule in policy["egress"]] == [53]


def test_a_service_named_like_a_component_gets_a_distinct_name() -> None:
    clash = Component(name="redis", kind="worker", depends_on=(Dependency(service="redis"),))
    app = app_with(BackingService(name="redis", kind="redis"), components=(clash,))
    statefulsets = objects(backing.lower(app, OPTIONS), "StatefulSet")
    assert [s["metadata"]["name"] for s in statefulsets] == ["redis-redis"]
    env = next(pod_specs(one(k8s.lower(app, OPTIONS), "Deployment", "redis")))["containers"][0]["env"]
    assert env[0]["valueFrom"]["secretKeyRef"]["name"] == "redis-redis-credentials"


@pytest.mark.parametrize(("kind", "declared", "expected"), [
    ("mysql", "MYSQL_HOST", {"value": "sql"}),
    ("mysql", "DATABASE_URL", {"valueFrom": {"secretKeyRef": {"name": "sql-credentials", "key": "url"}}}),
    ("mongodb", "MONGO_URL", {"valueFrom": {"secretKeyRef": {"name": "sql-credentials", "key": "url"}}}),
    ("kafka", "KAFKA_BROKERS", {"value": "sql:9092"}),
    ("nats", "NATS_URL", {"value": "nats://sql:4222"}),
    ("memcached", "MEMCACHED_SERVERS", {"value": "sql:11211"}),
    ("s3", "AWS_ACCESS_KEY_ID", {"valueFrom": {"secretKeyRef": {"name": "sql-credentials", "key": "user"}}}),
    ("s3", "AWS_ENDPOINT_URL", {"value": "http://sql:9000"}),
    ("rabbitmq", "CELERY_BROKER_URL", {"valueFrom": {"secretKeyRef": {"name": "sql-credentials", "key": "url"}}}),
    ("elasticsearch", "ELASTICSEARCH_USERNAME", {"value": "elastic"}),
])
def test_component_env_is_wired_to_development_services(kind: str, declared: str, expected: dict[str, Any]) -> None:
    user = Component(name="app", kind="worker", env=(EnvVar(name=declared),),
                     depends_on=(Dependency(service=kind),))
    app = app_with(BackingService(name="sql", kind=kind), components=(user,))
    env = {e["name"]: e for e in next(pod_specs(one(k8s.lower(app, OPTIONS), "Deployment", "app")))
           ["containers"][0]["env"]}
    assert {k: v for k, v in env[declared].items() if k != "name"} == expected


def test_rabbitmq_claims_the_celery_broker_before_redis() -> None:
    celery = Component(name="tasks", kind="worker", env=(EnvVar(name="CELERY_BROKER_URL"),),
                       depends_on=(Dependency(service="redis"), Dependency(service="rabbitmq")))
    app = app_with(BackingService(name="cache", kind="redis"), BackingService(name="mq", kind="rabbitmq"),
                   components=(celery,))
    env = {e["name"]: e for e in next(pod_specs(one(k8s.lower(app, OPTIONS), "Deployment", "tasks")))
           ["containers"][0]["env"]}
    assert env["CELERY_BROKER_URL"]["valueFrom"]["secretKeyRef"]["name"] == "mq-credentials"
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "cache-credentials"


def test_backing_lowering_is_deterministic() -> None:
    services = tuple(BackingService(name=k, kind=k) for k in reversed(DEVELOPMENT_KINDS))
    first = backing.lower(app_with(*services), OPTIONS)
    assert first == backing.lower(app_with(*reversed(services)), OPTIONS)
    folders = [a.path.split("/")[1] for a in first]
    assert folders == sorted(folders)


def test_shop_backing_services() -> None:
    artifacts = backing.lower(shop_app(), LowerOptions())
    assert [a.path for a in artifacts] == ["backing/cache/serviceaccount.yaml", "backing/cache/statefulset.yaml",
                                           "backing/cache/service.yaml", "backing/cache/networkpolicy.yaml",
                                           "backing/db/cluster.yaml"]


def test_untrusted_service_names_become_unique_dns_names() -> None:
    services = (BackingService(name="My_DB", kind="mysql"), BackingService(name="my-db", kind="redis"),
                BackingService(name="9cache", kind="memcached"))
    names = [s["metadata"]["name"] for s in objects(backing.lower(app_with(*services), OPTIONS), "StatefulSet")]
    assert len(set(names)) == 3
    for name in names:
        assert re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name), name
