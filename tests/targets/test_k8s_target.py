"""The k8s target: object shapes, security, env wiring, traffic rules, determinism, validity."""

from __future__ import annotations

import re
from typing import Any

import pytest
from target_support import (
    SECRET_VALUE,
    api_component,
    everything,
    evidence,
    objects,
    one,
    pod_specs,
    shop_app,
    validate_object,
)

from kubify.ir import (
    Application,
    Build,
    Component,
    Dependency,
    EnvVar,
    Health,
    Metrics,
    Migration,
    Port,
    Resources,
    Run,
    Scaling,
    Volume,
)
from kubify.k8s_names import dns1035_label, port_name
from kubify.targets import backing, k8s
from kubify.targets.options import Artifact, LowerOptions

OPTIONS = LowerOptions(registry="registry.example.com/acme", host="shop.example.com", tls_issuer="letsencrypt")


def lower(app: Application, options: LowerOptions = OPTIONS) -> list[Artifact]:
    return k8s.lower(app, options)


def container(obj: dict[str, Any]) -> dict[str, Any]:
    main: dict[str, Any] = next(pod_specs(obj))["containers"][0]
    return main


def env_of(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(obj).get("env", [])}


def solo(component: Component, **options: Any) -> list[Artifact]:
    return lower(Application(name="demo", components=(component,)), LowerOptions(**options))


# --- validity and determinism ------------------------------------------------------------------

def test_every_object_is_valid_for_kubernetes_or_its_crd() -> None:
    artifacts = lower(shop_app()) + backing.lower(shop_app(), OPTIONS)
    kinds = {o["kind"] for o in objects(artifacts)}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
            "ServiceAccount", "ConfigMap", "Ingress", "ServiceMonitor", "Job", "StatefulSet", "Cluster"} <= kinds
    for obj in objects(artifacts):
        validate_object(obj)


def test_lowering_is_deterministic_and_independent_of_component_order() -> None:
    app = shop_app()
    reordered = app.model_copy(update={"components": tuple(reversed(app.components))})
    first, second = lower(app), lower(app)
    assert first == second
    assert lower(reordered) == first
    paths = [a.path for a in first]
    assert len(paths) == len(set(paths)), "artifact paths are unique"
    assert [p.split("/")[0] for p in paths if "/" in p] == sorted(p.split("/")[0] for p in paths if "/" in p)


def test_objects_share_no_substructure() -> None:
    """A shared dict would become a YAML anchor (&id001) in the emitted file."""
    def walk(value: Any, seen: set[int]) -> None:
        if isinstance(value, dict | list):
            assert id(value) not in seen
            seen.add(id(value))
            for child in value.values() if isinstance(value, dict) else value:
                walk(child, seen)

    for obj in objects(lower(shop_app())):
        walk(obj, set())


# --- workloads ---------------------------------------------------------------------------------

def test_service_deployment_is_shaped_like_the_hardened_reference() -> None:
    artifacts = lower(shop_app())
    deployment = one(artifacts, "Deployment", "api")
    labels = deployment["metadata"]["labels"]
    assert labels == {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "shop",
                      "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/component": "service",
                      "app.kubernetes.io/managed-by": "kubify"}
    assert deployment["metadata"]["namespace"] == "shop", "namespace defaults to the application name"
    selector = deployment["spec"]["selector"]["matchLabels"]
    template = deployment["spec"]["template"]
    assert selector.items() <= template["metadata"]["labels"].items()
    pod = template["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "api"
    assert pod["enableServiceLinks"] is False
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                      "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term["podAffinityTerm"]["labelSelector"]["matchLabels"] == selector
    main = pod["containers"][0]
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert main["ports"] == [{"name": "http", "containerPort": 8000}]
    assert {"name": "tmp", "mountPath": "/tmp"} in main["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"]
    resources = main["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory", "ephemeral-storage"}
    service_account = one(artifacts, "ServiceAccount", "api")
    assert service_account["automountServiceAccountToken"] is False


def test_every_pod_template_meets_the_restricted_profile() -> None:
    app = shop_app(Component(name="nightly", kind="cronjob", build=Build(image="acme/nightly:1.0"),
                             scaling=Scaling(schedule="0 2 * * *")),
                   Component(name="seed", kind="job", build=Build(image="acme/seed:1.0")))
    checked = 0
    for obj in objects(lower(app)):
        for pod in pod_specs(obj):
            checked += 1
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] != 0
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
            assert pod["automountServiceAccountToken"] is False
            for box in pod.get("initContainers", []) + pod["containers"]:
                security = box["securityContext"]
                assert security["allowPrivilegeEscalation"] is False
                assert security["capabilities"]["drop"] == ["ALL"]
                assert security["readOnlyRootFilesystem"] is True
                assert not re.search(r":latest$", box["image"])
                assert "cpu" in box["resources"]["limits"] and "memory" in box["resources"]["limits"]
    assert checked == 6, "api, api-migrate, web, worker, nightly, seed"


def test_replicas_autoscaling_and_disruption_budget() -> None:
    artifacts = lower(shop_app())
    api = one(artifacts, "Deployment", "api")
    hpa = one(artifacts, "HorizontalPodAutoscaler", "api")
    assert "replicas" not in api["spec"], "the HPA owns the replica count"
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 5
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 75}
    pdb = one(artifacts, "PodDisruptionBudget", "api")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == api["spec"]["selector"]["matchLabels"]
    worker = one(artifacts, "Deployment", "worker")
    assert worker["spec"]["replicas"] == 2
    assert not [o for o in objects(artifacts, "HorizontalPodAutoscaler") if o["metadata"]["name"] == "worker"]


def test_single_replica_policy_drops_the_disruption_budget() -> None:
    fixed = api_component(scaling=Scaling(min_replicas=1, max_replicas=1))
    artifacts = solo(fixed, min_service_replicas=1)
    assert one(artifacts, "Deployment", "api")["spec"]["replicas"] == 1
    assert not objects(artifacts, "PodDisruptionBudget"), "a PDB on one replica only blocks drains"
    assert not objects(artifacts, "HorizontalPodAutoscaler")
    assert "affinity" not in next(pod_specs(one(artifacts, "Deployment", "api")))


def test_services_get_at_least_two_replicas_by_default() -> None:
    artifacts = solo(api_component(scaling=Scaling(min_replicas=1, max_replicas=2)))
    assert not objects(artifacts, "HorizontalPodAutoscaler"), "max 2 = min 2: nothing to autoscale"
    assert one(artifacts, "Deployment", "api")["spec"]["replicas"] == 2


def test_volumes_make_a_statefulset_with_claims() -> None:
    stateful = api_component(volumes=(Volume(name="Uploads", path="/srv/uploads", size="5Gi"),))
    statefulset = one(solo(stateful), "StatefulSet", "api")
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "uploads"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert {"name": "uploads", "mountPath": "/srv/uploads"} in container(statefulset)["volumeMounts"]
    assert statefulset["spec"]["serviceName"] == "api"
    validate_object(statefulset)


def test_job_volumes_become_ephemeral_claims() -> None:
    job = Component(name="export", kind="job", build=Build(image="acme/export:2"),
                    volumes=(Volume(name="scratch", path="/work", size="2Gi"),))
    pod = next(pod_specs(one(solo(job), "Job", "export")))
    volume = next(v for v in pod["volumes"] if v["name"] == "scratch")
    assert volume["ephemeral"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "2Gi"


def test_gpu_limits_and_toleration() -> None:
    gpu = api_component(resources=Resources(gpu=2))
    deployment = one(solo(gpu), "Deployment", "api")
    assert container(deployment)["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert next(pod_specs(deployment))["tolerations"][0]["key"] == "nvidia.com/gpu"
    validate_object(deployment)


def test_job_and_cronjob() -> None:
    job = Component(name="seed", kind="job", build=Build(image="acme/seed:1.0"), run=Run(command=("seed",)))
    cron = Component(name="nightly", kind="cronjob", build=Build(image="acme/nightly:1.0"),
                     scaling=Scaling(schedule="15 3 * * *"))
    unscheduled = Component(name="report", kind="cronjob", build=Build(image="acme/report:1.0"))
    artifacts = lower(Application(name="ops", components=(job, cron, unscheduled)))
    seed = one(artifacts, "Job", "seed")
    assert seed["spec"]["backoffLimit"] >= 1
    assert seed["spec"]["ttlSecondsAfterFinished"] > 0 and seed["spec"]["activeDeadlineSeconds"] > 0
    assert next(pod_specs(seed))["restartPolicy"] == "Never"
    assert "ports" not in container(seed) and "readinessProbe" not in container(seed)
    nightly = one(artifacts, "CronJob", "nightly")
    assert nightly["spec"]["schedule"] == "15 3 * * *"
    assert nightly["spec"]["concurrencyPolicy"] == "Forbid"
    assert nightly["spec"]["startingDeadlineSeconds"] > 0
    assert "suspend" not in nightly["spec"]
    report = one(artifacts, "CronJob", "report")
    assert report["spec"]["suspend"] is True, "without a schedule nothing runs by surprise"
    for obj in objects(artifacts):
        validate_object(obj)


def test_cronjob_names_fit_the_52_character_limit() -> None:
    name = "a" * 60
    cron = Component(name=name, kind="cronjob", build=Build(image="acme/x:1"), scaling=Scaling(schedule="@daily"))
    cronjob = objects(solo(cron), "CronJob")[0]
    assert len(cronjob["metadata"]["name"]) <= 52
    validate_object(cronjob)


def test_libraries_and_clis_produce_nothing_and_charts_a_note() -> None:
    library = Component(name="sdk", kind="library")
    tool = Component(name="tool", kind="cli")
    chart = Component(name="infra", kind="chart", path="deploy/chart")
    artifacts = lower(Application(name="mono", components=(library, tool, chart)))
    assert [a.path for a in artifacts] == ["infra/CHART.md"]
    assert "helm upgrade --install infra deploy/chart --namespace mono" in (artifacts[0].text or "")


# --- probes ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("health", "expected"), [
    (Health(type="http", path="/healthz"), {"httpGet": {"path": "/healthz", "port": "http"}}),
    (Health(type="http", path="/ready", port=9000), {"httpGet": {"path": "/ready", "port": 9000}}),
    (Health(type="tcp", port=8000), {"tcpSocket": {"port": "http"}}),
    (Health(type="grpc", port=50051), {"grpc": {"port": 50051}}),
    (Health(type="exec", command=("/bin/check", "--quick")), {"exec": {"command": ["/bin/check", "--quick"]}}),
])
def test_probes_follow_health(health: Health, expected: dict[str, Any]) -> None:
    main = container(one(solo(api_component(health=health)), "Deployment", "api"))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert {k: v for k, v in main[probe].items() if k in expected} == expected
    assert main["livenessProbe"]["periodSeconds"] > main["readinessProbe"]["periodSeconds"]
    assert main["startupProbe"]["failureThreshold"] * main["startupProbe"]["periodSeconds"] >= 120


def test_grpc_port_is_named_grpc() -> None:
    grpc = api_component(ports=(Port(port=50051),), health=Health(type="grpc"))
    artifacts = solo(grpc)
    assert container(one(artifacts, "Deployment", "api"))["ports"] == [{"name": "grpc", "containerPort": 50051}]
    assert container(one(artifacts, "Deployment", "api"))["readinessProbe"]["grpc"] == {"port": 50051}
    service_port = one(artifacts, "Service", "api")["spec"]["ports"][0]
    assert service_port["name"] == "grpc" and service_port["appProtocol"] == "kubernetes.io/h2c"


def test_a_known_port_without_health_gets_a_tcp_probe_but_a_portless_worker_none() -> None:
    service = api_component(health=None)
    main = container(one(solo(service), "Deployment", "api"))
    assert main["readinessProbe"]["tcpSocket"] == {"port": "http"}
    unusable = api_component(health=Health(type="exec"))
    assert container(one(solo(unusable), "Deployment", "api"))["livenessProbe"]["tcpSocket"] == {"port": "http"}
    worker = Component(name="jobs", kind="worker", build=Build(image="acme/jobs:3"))
    assert not any(k.endswith("Probe") for k in container(one(solo(worker), "Deployment", "jobs")))
    metrics = worker.model_copy(update={"metrics": Metrics(port=9100)})
    assert container(one(solo(metrics), "Deployment", "jobs"))["readinessProbe"]["tcpSocket"] == {"port": "metrics"}


def test_port_names_are_valid_and_unique() -> None:
    multi = api_component(ports=(Port(port=8000), Port(port=8000), Port(port=9000, name="Admin Port!"),
                                 Port(port=5353, protocol="UDP"), Port(port=7000, name="grpc-internal")),
                          metrics=Metrics(port=9100))
    main = container(one(solo(multi), "Deployment", "api"))
    names = [p["name"] for p in main["ports"]]
    assert len(names) == len(set(names)) == 5
    assert all(port_name(n) is None for n in names)
    assert {"name": "metrics", "containerPort": 9100} in main["ports"]
    assert next(p for p in main["ports"] if p["containerPort"] == 5353)["protocol"] == "UDP"


# --- command and user --------------------------------------------------------------------------

def test_command_is_set_only_when_the_image_does_not_already_run_it() -> None:
    artifacts = lower(shop_app())
    assert "command" not in container(one(artifacts, "Deployment", "api")), "generated image: CMD is the command"
    assert "command" not in container(one(artifacts, "Deployment", "web")), "Dockerfile CMD is kept"
    procfile = Component(name="jobs", kind="worker", build=Build(dockerfile="Dockerfile"),
                         run=Run(command=("bundle", "exec", "sidekiq")),
                         evidence=(evidence("run", "procfile.process", "Procfile"),
                                   evidence("run", "dockerfile.cmd", "Dockerfile", 0.9)))
    assert container(one(solo(procfile), "Deployment", "jobs"))["command"] == ["bundle", "exec", "sidekiq"]
    shell = procfile.model_copy(update={"run": Run(command=("sidekiq -C config/sidekiq.yml",), shell=True)})
    assert container(one(solo(shell), "Deployment", "jobs"))["command"] == [
        "/bin/sh", "-c", "sidekiq -C config/sidekiq.yml"]


def test_existing_dockerfile_numeric_user_is_kept() -> None:
    existing = api_component(build=Build(dockerfile="api/Dockerfile", context="api"),
                             run=Run(command=("serve",), user="1000:1000"))
    pod = next(pod_specs(one(solo(existing), "Deployment", "api")))
    assert pod["securityContext"]["runAsUser"] == 1000
    assert pod["containers"][0]["securityContext"]["runAsUser"] == 1000
    root = existing.model_copy(update={"run": Run(command=("serve",), user="root")})
    assert next(pod_specs(one(solo(root), "Deployment", "api")))["securityContext"]["runAsUser"] == 10001


# --- images ------------------------------------------------------------------------------------

def test_images_have_content_tags_never_latest() -> None:
    artifacts = lower(shop_app())
    image = container(one(artifacts, "Deployment", "api"))["image"]
    assert re.fullmatch(r"registry\.example\.com/acme/shop-api:sha-[0-9a-f]{12}", image)
    assert container(one(artifacts, "Deployment", "api"))["imagePullPolicy"] == "Always"
    local = container(one(lower(shop_app(), LowerOptions()), "Deployment", "api"))
    assert re.fullmatch(r"kubify\.local/shop/api:sha-[0-9a-f]{12}", local["image"])
    assert local["imagePullPolicy"] == "IfNotPresent", "unpushed images exist only on the node"
    migrate = one(artifacts, "Job", "api-migrate")
    assert container(migrate)["image"] == image, "migrations run the component's image"


def test_tag_follows_content_and_revision_but_not_evidence() -> None:
    def tag(app: Application) -> str:
        return str(container(one(lower(app), "Deployment", "api"))["image"]).rsplit(":", 1)[1]

    base = shop_app()
    annotated = shop_app(components=(api_component(evidence=(evidence("ports", "x.y", "api/main.py"),)),))
    changed = shop_app(components=(api_component(ports=(Port(port=8080),)),))
    revised = base.model_copy(update={"source": base.source.model_copy(update={"revision": "abc123"})})
    assert tag(base) == tag(annotated)
    assert tag(base) != tag(changed)
    assert tag(base) != tag(revised)


def test_prebuilt_images_are_used_verbatim() -> None:
    prebuilt = Component(name="proxy", kind="service", build=Build(image="ghcr.io/acme/proxy:2.3.1"),
                         ports=(Port(port=8080),))
    assert container(one(solo(prebuilt), "Deployment", "proxy"))["image"] == "ghcr.io/acme/proxy:2.3.1"


# --- environment and secrets -------------------------------------------------------------------

def test_config_map_holds_plain_defaults_sorted() -> None:
    artifacts = lower(shop_app())
    config = one(artifacts, "ConfigMap", "api-config")
    assert config["data"] == {"LOG_LEVEL": "info"}, "REDIS_URL is wired to the cache, not its localhost default"
    assert list(config["data"]) == sorted(config["data"])
    deployment = one(artifacts, "Deployment", "api")
    assert container(deployment)["envFrom"] == [{"configMapRef": {"name": "api-config"}}]
    assert "kubify.dev/config-hash" in deployment["spec"]["template"]["metadata"]["annotations"]
    assert not [o for o in objects(artifacts, "ConfigMap") if o["metadata"]["name"] == "worker-config"]


def test_config_change_changes_the_pod_template() -> None:
    def digest(level: str) -> str:
        changed = api_component(env=(EnvVar(name="LOG_LEVEL", default=level),))
        return str(one(solo(changed), "Deployment", "api")["spec"]["template"]["metadata"]["annotations"])
    assert digest("info") != digest("debug")


def test_secret_env_references_the_component_secret_and_never_a_value() -> None:
    artifacts = lower(shop_app()) + backing.lower(shop_app(), OPTIONS)
    env = env_of(one(artifacts, "Deployment", "api"))
    assert env["STRIPE_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "shop-api-secrets", "key": "STRIPE_API_KEY", "optional": True}
    assert env["SESSION_SECRET"]["valueFrom"]["secretKeyRef"]["optional"] is False, "required: the pod waits for it"
    assert SECRET_VALUE not in everything(artifacts)
    assert not objects(artifacts, "Secret"), "kubify never emits a Secret"
    for item in env.values():
        assert "value" not in item or not re.search(r"://[^/@]*:[^/@]+@", item["value"]), item


def test_postgres_connection_env_comes_from_the_cnpg_secret() -> None:
    wired = api_component(env=(EnvVar(name="PGHOST"), EnvVar(name="PGPORT"), EnvVar(name="PGDATABASE"),
                               EnvVar(name="PGUSER"), EnvVar(name="PGPASSWORD", secret=True)))
    env = env_of(one(lower(shop_app(components=(wired,))), "Deployment", "api"))
    keys = {name: env[name]["valueFrom"]["secretKeyRef"] for name in ("PGHOST", "PGPORT", "PGDATABASE",
                                                                       "PGUSER", "PGPASSWORD")}
    assert {name: ref["key"] for name, ref in keys.items()} == {
        "PGHOST": "host", "PGPORT": "port", "PGDATABASE": "dbname", "PGUSER": "user", "PGPASSWORD": "password"}
    assert {ref["name"] for ref in keys.values()} == {"db-app"}
    assert "DATABASE_URL" not in env, "the code reads PG* variables; no URL is added"


def test_a_dependency_without_declared_env_gets_the_default_url() -> None:
    bare = api_component(env=())
    env = env_of(one(lower(shop_app(components=(bare,))), "Deployment", "api"))
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "db-app", "key": "uri"}
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "cache-credentials", "key": "url"}


def test_secrets_doc_lists_every_secret_and_how_to_create_it() -> None:
    doc = next(a.text for a in lower(shop_app()) if a.path == "SECRETS.md")
    assert doc is not None
    assert "kubectl -n shop create secret generic shop-api-secrets" in doc
    assert "--from-literal=SESSION_SECRET=" in doc and "`SESSION_SECRET` (required)" in doc
    assert "cache-credentials" in doc and 'url="redis://:$PASSWORD@cache:6379/0"' in doc
    assert "`db-app`" in doc and "nothing to do" in doc
    assert "`FEATURE_FLAGS`" in doc, "required settings without a value are listed"
    assert SECRET_VALUE not in doc


def test_no_secrets_doc_when_nothing_is_needed() -> None:
    plain = Component(name="site", kind="static-site", build=Build(image="acme/site:1"), ports=(Port(port=8080),))
    assert all(a.path != "SECRETS.md" for a in solo(plain))


# --- traffic -----------------------------------------------------------------------------------

def test_network_policy_denies_by_default_and_allows_known_paths() -> None:
    artifacts = lower(shop_app())
    policy = one(artifacts, "NetworkPolicy", "api")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "api",
                                                    "app.kubernetes.io/instance": "shop"}
    same_app = policy["ingress"][0]
    assert same_app["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}}]
    assert same_app["ports"] == [{"protocol": "TCP", "port": 8000}]
    sources = [rule["from"][0].get("namespaceSelector", {}).get("matchLabels", {}) for rule in policy["ingress"]]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in sources, "exposed: the ingress controller may call"
    assert {"kubernetes.io/metadata.name": "monitoring"} in sources, "metrics: Prometheus may scrape"
    dns = policy["egress"][0]
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    targets = [(rule["to"][0]["podSelector"]["matchLabels"], rule["ports"]) for rule in policy["egress"][1:]]
    assert ({"cnpg.io/cluster": "db"}, [{"protocol": "TCP", "port": 5432}]) in targets
    assert ({"app.kubernetes.io/name": "cache", "app.kubernetes.io/instance": "shop"},
            [{"protocol": "TCP", "port": 6379}]) in targets
    assert not any("ipBlock" in peer for rule in policy["egress"] for peer in rule["to"]), "no internet by default"
    web = one(artifacts, "NetworkPolicy", "web")["spec"]
    assert ({"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "shop"},
            [{"protocol": "TCP", "port": 8000}]) in [(r["to"][0]["podSelector"]["matchLabels"], r["ports"])
                                                     for r in web["egress"][1:]]
    worker = one(artifacts, "NetworkPolicy", "worker")["spec"]
    assert worker["ingress"] == [], "a worker without ports accepts nothing"


def test_internet_egress_is_opt_in_and_keeps_private_ranges_closed() -> None:
    options = LowerOptions(egress_to_internet=True)
    policy = one(lower(shop_app(), options), "NetworkPolicy", "api")["spec"]
    blocks = [peer["ipBlock"] for rule in policy["egress"] for peer in rule["to"] if "ipBlock" in peer]
    assert {b["cidr"] for b in blocks} == {"0.0.0.0/0", "::/0"}
    assert "169.254.0.0/16" in blocks[0]["except"], "cloud metadata endpoint stays closed"


def test_service_ports_keep_port_80_and_the_container_port() -> None:
    service = one(lower(shop_app()), "Service", "api")["spec"]
    assert service["type"] == "ClusterIP"
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["ports"]] == [
        ("http", 80, "http"), ("http-8000", 8000, "http")]


def test_ingress_with_tls_and_subdomains() -> None:
    artifacts = lower(shop_app())
    web = one(artifacts, "Ingress", "web")
    assert web["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert web["spec"]["rules"][0]["host"] == "shop.example.com", "the front end gets the bare host"
    assert web["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "web-tls"}]
    backend = web["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "web", "port": {"name": "http"}}
    api = one(artifacts, "Ingress", "api")
    assert api["spec"]["rules"][0]["host"] == "api.shop.example.com"
    assert not [o for o in objects(artifacts, "Ingress") if o["metadata"]["name"] == "worker"]


def test_ingress_class_and_no_tls_without_issuer() -> None:
    options = LowerOptions(host="demo.example.com", ingress_class="nginx")
    ingress = one(lower(shop_app(), options), "Ingress", "web")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert "tls" not in ingress["spec"] and "annotations" not in ingress["metadata"]


def test_gateway_routes() -> None:
    options = LowerOptions(gateway_name="public", gateway_namespace="gateways", host="shop.example.com")
    artifacts = lower(shop_app(), options)
    assert not objects(artifacts, "Ingress")
    route = one(artifacts, "HTTPRoute", "web")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateways"}]
    assert route["spec"]["hostnames"] == ["shop.example.com"]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 80}]
    validate_object(route)
    policy = one(artifacts, "NetworkPolicy", "web")["spec"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateways"}}} in [
        rule["from"][0] for rule in policy["ingress"]]


def test_no_exposure_without_host_or_gateway() -> None:
    artifacts = lower(shop_app(), LowerOptions())
    assert not objects(artifacts, "Ingress") and not objects(artifacts, "HTTPRoute")
    assert LowerOptions(ingress="none", host="x.example.com").exposure == "none"


def test_gateway_without_a_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="gateway_name"):
        LowerOptions(ingress="gateway")


def test_service_names_are_dns_1035_even_for_digit_names() -> None:
    digit = Component(name="3d-viewer", kind="service", build=Build(image="acme/v:1"), ports=(Port(port=8080),))
    artifacts = lower(Application(name="viz", components=(digit,)), LowerOptions(host="viz.example.com"))
    service = objects(artifacts, "Service")[0]
    assert dns1035_label(service["metadata"]["name"]) is None
    backend = one(artifacts, "Ingress", "3d-viewer")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == service["metadata"]["name"]
    validate_object(service)


# --- monitoring and migrations -----------------------------------------------------------------

def test_service_monitor_scrapes_the_http_port() -> None:
    monitor = one(lower(shop_app()), "ServiceMonitor", "api")
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s",
                                             "scheme": "http"}]
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "api",
                                                          "app.kubernetes.io/instance": "shop"}
    validate_object(monitor)


def test_separate_metrics_port_gets_a_service_port() -> None:
    worker = Component(name="jobs", kind="worker", build=Build(image="acme/jobs:1"),
                       metrics=Metrics(path="/stats", port=9100))
    artifacts = solo(worker)
    service = one(artifacts, "Service", "jobs")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9100, "targetPort": "metrics",
                                         "protocol": "TCP", "appProtocol": "http"}]
    monitor = one(artifacts, "ServiceMonitor", "jobs")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["path"] == "/stats"


def test_migrations_run_before_rollout() -> None:
    two = api_component(migrations=(Migration(tool="alembic", command=("alembic", "upgrade", "head")),
                                    Migration(tool="Seed Data!", command=("python", "-m", "seed"))))
    artifacts = lower(shop_app(components=(two,)))
    job = one(artifacts, "Job", "api-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "Sync"
    assert annotations["argocd.argoproj.io/sync-wave"] == "1"
    assert one(artifacts, "Deployment", "api")["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "2"
    pod = next(pod_specs(job))
    assert [c["command"] for c in pod["initContainers"]] == [["alembic", "upgrade", "head"]]
    assert pod["containers"][0]["command"] == ["python", "-m", "seed"]
    assert pod["containers"][0]["name"] == "migrate-seed-data"
    assert pod["serviceAccountName"] == "api"
    assert env_of(job)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "db-app"
    policy = one(artifacts, "NetworkPolicy", "api-migrate")["spec"]
    assert policy["ingress"] == []
    assert policy["podSelector"]["matchLabels"].items() <= job["spec"]["template"]["metadata"]["labels"].items()
    assert {"cnpg.io/cluster": "db"} in [r["to"][0].get("podSelector", {}).get("matchLabels") for r in
                                        policy["egress"]]
    validate_object(job)


def test_migrations_doc_says_how_each_tool_gets_into_the_image() -> None:
    orders = Component(
        name="orders", path=".", kind="service", language="go",
        build=Build(generated=True, args={"MAIN_PACKAGE": "./cmd/orders", "CGO_ENABLED": "0"}),
        run=Run(command=("/app/orders",)), ports=(Port(port=8080),),
        migrations=(Migration(tool="golang-migrate",
                              command=("migrate", "-path", "db/migrations", "-database", "$(DATABASE_URL)", "up")),))
    web = shop_app().component("web")
    assert web is not None
    legacy = web.model_copy(update={"migrations": (Migration(tool="prisma",
                                                             command=("npx", "prisma", "migrate", "deploy")),)})
    app = shop_app(components=(api_component(), legacy, orders))
    artifacts = lower(app)
    doc = next(a.text for a in artifacts if a.path == "MIGRATIONS.md")
    assert doc is not None
    sections = {part.split("\n", 1)[0]: part for part in doc.split("\n## ")[1:]}
    assert set(sections) == {"api: Job `api-migrate`", "orders: Job `orders-migrate`", "web: Job `web-migrate`"}
    assert "`alembic upgrade head`" in sections["api: Job `api-migrate`"]
    assert "keep alembic among the runtime dependencies" in sections["api: Job `api-migrate`"]
    assert "`migrate/migrate:v4.18.1`" in sections["orders: Job `orders-migrate`"]
    assert "`db/migrations/` into /app" in sections["orders: Job `orders-migrate`"]
    web_note = sections["web: Job `web-migrate`"]
    assert "`web/Dockerfile`, which kubify does not change" in web_note and "`npx` on its PATH" in web_note
    for name in ("api-migrate", "orders-migrate", "web-migrate"):
        assert container(one(artifacts, "Job", name))["image"] == container(
            one(artifacts, "Deployment", name.removesuffix("-migrate")))["image"], "the Job runs the app's image"


def test_a_migration_the_generated_go_image_cannot_run_is_called_out() -> None:
    custom = Component(name="orders", kind="service", language="go", build=Build(generated=True),
                       ports=(Port(port=8080),),
                       migrations=(Migration(tool="release", command=("./bin/migrate-db", "up")),))
    doc = next(a.text for a in solo(custom) if a.path == "MIGRATIONS.md")
    assert doc is not None and "`migrate-db` is not in it" in doc


def test_no_migrations_doc_without_migrations() -> None:
    assert all(a.path != "MIGRATIONS.md" for a in solo(api_component(migrations=())))


def test_dependencies_on_missing_components_are_ignored() -> None:
    lonely = api_component(depends_on=(Dependency(component="ghost"),))
    policy = one(solo(lonely), "NetworkPolicy", "api")["spec"]
    assert len(policy["egress"]) == 1, "only DNS"


def test_kubify_verify_finds_no_errors() -> None:
    from kubify import verify

    app = shop_app(Component(name="nightly", kind="cronjob", build=Build(image="acme/nightly:1.0"),
                             scaling=Scaling(schedule="0 2 * * *")))
    artifacts = lower(app) + backing.lower(app, OPTIONS)
    found = verify.verify_objects([(a.path, a.object) for a in artifacts if a.object is not None])
    # Known false positive of kubify.verify (reported): a StatefulSet's volumeClaimTemplates
    # define volumes too. Tolerated only where the claim really exists.
    claims = {(o["metadata"]["name"], c["metadata"]["name"]) for o in objects(artifacts, "StatefulSet")
              for c in o["spec"].get("volumeClaimTemplates", [])}
    errors = [d.render() for d in found if d.severity == "error" and not (
        d.code == "k8s.volume" and any(f"StatefulSet/{s} " in d.message and f"volume {c!r}" in d.message
                                       for s, c in claims))]
    assert errors == []
