"""Lower the IR's components to core Kubernetes objects, shaped like research/manifests/good.yaml.

Per component, sorted by name, in a fixed order: ServiceAccount, ConfigMap, the workload
(Deployment, StatefulSet when it declares volumes, Job, CronJob), Service, HPA, PDB,
NetworkPolicy, Ingress or HTTPRoute, ServiceMonitor, then the migration Job and its
NetworkPolicy. Libraries and CLIs produce nothing; Helm charts a note. Backing services are
the ``backing`` target's; ``SECRETS.md`` (which Secrets to create, never their values) and
``MIGRATIONS.md`` (what each migration Job needs in its image) are ours.

Migrations run as a Job ``<component>-migrate`` carrying Argo CD's hook annotations only:
a ``Sync`` hook in wave 1, with the component's workload in wave 2 and everything else
(its ConfigMap, ServiceAccount and the databases) in the default wave 0. That is Argo CD's
"migrate after the database exists, before the new version rolls out" order; a ``PreSync``
hook would run before a database created by the same sync exists. Under plain
``kubectl apply`` the Job simply retries (``backoffLimit``) until the database is reachable.
"""

from __future__ import annotations

from kubify.ir import Application, Component
from kubify.naming import dns_label

from .k8s_common import (
    Obj,
    Scope,
    derived_name,
    image_owner,
    labels,
    metadata,
    selector,
    service_account,
    service_name,
)
from .k8s_docs import chart_note, migrations_doc, secrets_doc
from .k8s_env import EnvPlan, config_map, plan_env
from .k8s_network import Exposure, exposures, network_policy, route
from .k8s_pod import (
    HTTP_LIKE,
    NamedPort,
    claims,
    container,
    container_command,
    metrics_port,
    named_ports,
    pod_spec,
)
from .options import Artifact, LowerOptions

CONFIG_HASH = "kubify.dev/config-hash"
HOOK = {"argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        "argocd.argoproj.io/sync-wave": "1"}
AFTER_MIGRATIONS = {"argocd.argoproj.io/sync-wave": "2"}
CRONJOB_NAME_MAX = 52
JOB_BACKOFF = 3
JOB_DEADLINE_SECONDS = 3600
JOB_TTL_SECONDS = 86400
PLACEHOLDER_SCHEDULE = "0 3 * * *"

Objects = list[tuple[str, Obj]]


def lower(app: Application, options: LowerOptions) -> list[Artifact]:
    """Every component's objects, then ``SECRETS.md`` and ``MIGRATIONS.md`` when they have something to say."""
    scope = Scope(app, options)
    exposed = exposures(scope)
    artifacts: list[Artifact] = []
    for component in sorted(app.components, key=lambda c: c.name):
        artifacts += lower_component(scope, component, exposed.get(component.name))
    for path, doc in (("SECRETS.md", secrets_doc(scope)), ("MIGRATIONS.md", migrations_doc(scope))):
        if doc:
            artifacts.append(Artifact.of_text(path, doc))
    return artifacts


def lower_component(scope: Scope, component: Component, exposure: Exposure | None = None) -> list[Artifact]:
    """The artifacts of one component (``exposure``: reachable from outside, and on which host)."""
    if component.kind in ("library", "cli"):
        return []
    if component.kind == "chart":
        return [Artifact.of_text(f"{component.name}/CHART.md", chart_note(scope, component))]
    plan = plan_env(scope, component)
    own = labels(scope, component.name, component.kind)
    objects: Objects = [("serviceaccount", service_account(scope, component.name, own))]
    if plan.config:
        objects.append(("configmap", config_map(plan, metadata(scope, plan.config_map, own))))
    if component.kind == "job":
        objects.append(("job", _job(scope, component, plan)))
    elif component.kind == "cronjob":
        objects.append(("cronjob", _cronjob(scope, component, plan)))
    else:
        objects += _long_running(scope, component, plan)
    objects.append(("networkpolicy", network_policy(scope, component, name=component.name,
                                                    pod_selector=selector(scope, component.name),
                                                    exposed=exposure is not None)))
    if exposure is not None:
        routed = route(scope, component, exposure, own)
        objects.append((routed["kind"].lower(), routed))
    monitor = _service_monitor(scope, component)
    if monitor is not None:
        objects.append(("servicemonitor", monitor))
    if component.migrations:
        objects += _migrations(scope, component, plan)
    return [Artifact.of_object(f"{component.name}/{file}.yaml", obj) for file, obj in objects]


def replicas(scope: Scope, component: Component) -> int:
    """Services get at least the policy's minimum (2: survive a drain); workers what they ask."""
    wanted = component.scaling.min_replicas
    return max(wanted, scope.options.min_service_replicas) if component.kind in HTTP_LIKE else wanted


def _template(scope: Scope, component: Component, plan: EnvPlan, pod_labels: dict[str, str], spec: Obj) -> Obj:
    meta: Obj = {"labels": pod_labels}
    if plan.config:
        meta["annotations"] = {CONFIG_HASH: plan.config_hash}
    return {"metadata": meta, "spec": spec}


def _main_container(scope: Scope, component: Component, plan: EnvPlan, *, serving: bool = True) -> Obj:
    command = container_command(component, owns_image=image_owner(scope.app, component) is component)
    return container(scope, component, env=plan.env, env_from=plan.env_from, command=command, serving=serving)


def _long_running(scope: Scope, component: Component, plan: EnvPlan) -> Objects:
    """Deployment or StatefulSet, its Service, HPA and PDB."""
    count = replicas(scope, component)
    autoscaled = component.kind in HTTP_LIKE and component.scaling.max_replicas > count
    stateful = bool(component.volumes)
    own = labels(scope, component.name, component.kind)
    pod = pod_spec(scope, component, [_main_container(scope, component, plan)], spread=count > 1, persistent=stateful)
    spec: Obj = {} if autoscaled else {"replicas": count}
    spec["selector"] = {"matchLabels": selector(scope, component.name)}
    if stateful:
        spec["serviceName"] = service_name(component.name)
    spec["template"] = _template(scope, component, plan, own, pod)
    if stateful:
        spec["volumeClaimTemplates"] = [_claim(scope, component, name, v.size) for name, v in claims(component)]
    kind = "StatefulSet" if stateful else "Deployment"
    workload = {"apiVersion": "apps/v1", "kind": kind,
                "metadata": metadata(scope, component.name, own, AFTER_MIGRATIONS if component.migrations else None),
                "spec": spec}
    objects: Objects = [(kind.lower(), workload)]
    service = _service(scope, component)
    if service is not None:
        objects.append(("service", service))
    if autoscaled:
        objects.append(("horizontalpodautoscaler", _hpa(scope, component, kind, count)))
    if count >= 2:
        objects.append(("poddisruptionbudget", _pdb(scope, component)))
    return objects


def _claim(scope: Scope, component: Component, name: str, size: str) -> Obj:
    return {"metadata": {"name": name, "labels": selector(scope, component.name)},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def service_ports(ports: tuple[NamedPort, ...]) -> list[Obj]:
    """Service ports: the first HTTP port on 80 (named ``http``) and on its own number too.

    Port 80 is what in-cluster clients and routes expect; keeping the container's number
    as well (``http-8000``) keeps URLs carried over from compose (``http://api:8000``) working.
    """
    result: list[Obj] = []
    names: set[str] = set()
    numbers: set[int] = set()

    def add(name: str, number: int, port: NamedPort) -> None:
        if name in names or number in numbers:
            return
        names.add(name)
        numbers.add(number)
        entry: Obj = {"name": name, "port": number, "targetPort": port.name, "protocol": port.protocol}
        if port.scheme in ("http", "grpc", "metrics"):
            entry["appProtocol"] = "kubernetes.io/h2c" if port.scheme == "grpc" else "http"
        result.append(entry)

    primary = next((p for p in ports if p.scheme == "http"), None)
    if primary is not None:
        add("http", 80, primary)
        add(f"http-{primary.port}", primary.port, primary)
    for port in ports:
        if port is not primary:
            add(port.name, port.port, port)
    return result


def _service(scope: Scope, component: Component) -> Obj | None:
    ports = named_ports(component)
    if not ports:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(scope, service_name(component.name), labels(scope, component.name, component.kind)),
        "spec": {"type": "ClusterIP", "selector": selector(scope, component.name), "ports": service_ports(ports)},
    }


def _hpa(scope: Scope, component: Component, kind: str, count: int) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(scope, component.name, labels(scope, component.name, component.kind)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": component.name},
            "minReplicas": count,
            "maxReplicas": component.scaling.max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": component.scaling.target_cpu_percent}}}],
        },
    }


def _pdb(scope: Scope, component: Component) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(scope, component.name, labels(scope, component.name, component.kind)),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": selector(scope, component.name)},
                 "unhealthyPodEvictionPolicy": "AlwaysAllow"},
    }


def _job_spec(scope: Scope, component: Component, plan: EnvPlan) -> Obj:
    own = labels(scope, component.name, component.kind)
    pod = pod_spec(scope, component, [_main_container(scope, component, plan, serving=False)], spread=False,
                   persistent=False, restart_policy="Never")
    return {"backoffLimit": JOB_BACKOFF, "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": JOB_TTL_SECONDS, "template": _template(scope, component, plan, own, pod)}


def _job(scope: Scope, component: Component, plan: EnvPlan) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": metadata(scope, component.name, labels(scope, component.name, component.kind)),
            "spec": _job_spec(scope, component, plan)}


def _cronjob(scope: Scope, component: Component, plan: EnvPlan) -> Obj:
    """A CronJob; without a known schedule it is emitted suspended, so nothing runs by surprise."""
    schedule = component.scaling.schedule
    annotations = None if schedule else {
        "kubify.dev/schedule": "unknown: set scaling.schedule in kubify.yaml; suspended until then"}
    spec: Obj = {
        "schedule": schedule or PLACEHOLDER_SCHEDULE,
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 300,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
    }
    if not schedule:
        spec["suspend"] = True
    spec["jobTemplate"] = {"spec": _job_spec(scope, component, plan)}
    name = derived_name(component.name, "", CRONJOB_NAME_MAX)
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": metadata(scope, name, labels(scope, component.name, component.kind), annotations),
            "spec": spec}


def _migrations(scope: Scope, component: Component, plan: EnvPlan) -> Objects:
    """One Job running every migration in order (all but the last as init containers)."""
    name = derived_name(component.name, "migrate")
    own = labels(scope, name, "migration")
    steps: list[Obj] = []
    used: set[str] = set()
    for migration in component.migrations:
        base = step_name = dns_label(f"migrate-{migration.tool}", fallback="migrate")
        number = 2
        while step_name in used:  # unique by construction: a tool may itself be named "2"
            step_name, number = f"{base[:55]}-{number}", number + 1
        used.add(step_name)
        step = container(scope, component, env=plan.env, env_from=plan.env_from, command=list(migration.command),
                         serving=False, name=step_name)
        steps.append(step)
    pod = pod_spec(scope, component, steps[-1:], spread=False, persistent=False, restart_policy="Never",
                   init_containers=steps[:-1])
    spec = {"backoffLimit": 6, "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": JOB_TTL_SECONDS, "template": _template(scope, component, plan, own, pod)}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(scope, name, own, HOOK), "spec": spec}
    policy = network_policy(scope, component, name=name, pod_selector=selector(scope, name), exposed=False,
                            accepts=False)
    return [("migrate-job", job), ("migrate-networkpolicy", policy)]


def _service_monitor(scope: Scope, component: Component) -> Obj | None:
    """A ServiceMonitor on the Service port that targets the metrics port."""
    if component.kind not in ("service", "worker", "static-site"):
        return None
    ports = named_ports(component)
    scraped = metrics_port(component, ports)
    if scraped is None or component.metrics is None:
        return None
    port = next((p["name"] for p in service_ports(ports) if p["targetPort"] == scraped.name), None)
    if port is None:
        return None
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": metadata(scope, component.name, labels(scope, component.name, component.kind)),
        "spec": {
            "selector": {"matchLabels": selector(scope, component.name)},
            "endpoints": [{"port": port, "path": component.metrics.path, "interval": "30s", "scheme": "http"}],
        },
    }
