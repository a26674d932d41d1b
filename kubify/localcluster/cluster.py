"""``LocalCluster``: a real Kubernetes control plane as local processes, without containers.

etcd, kube-apiserver (with the flags controller-runtime's envtest uses: RBAC, loopback
only, free ports, client-certificate auth, a service-account issuer), the
kube-controller-manager and kube-scheduler, plus kwok, which plays the kubelet for fake
Nodes: it marks them Ready, runs Pods and completes Job Pods. Everything the cluster
writes (certificates, etcd data, kubeconfigs, one log per component) stays in its
directory, so a failed run can be inspected afterwards.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from kubify.localcluster.api import JSON, ApiClient, ApiError
from kubify.localcluster.binaries import Binaries, find_binaries
from kubify.localcluster.kubeconfig import write_kubeconfig
from kubify.localcluster.pki import CertificateAuthority, ClientIdentity, KeyPair, service_account_keys
from kubify.localcluster.ports import free_port
from kubify.localcluster.processes import ManagedProcess, group_rss_bytes, stop_processes

FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
# On by default but useless without a cloud provider; they would only log errors.
CLOUD_CONTROLLERS = ("cloud-node-lifecycle-controller", "service-lb-controller", "node-route-controller")
STATE_FILE = "cluster.json"


class ClusterError(RuntimeError):
    """The cluster could not start (or a component died); the message carries its log tail."""


@dataclass(frozen=True)
class NodeSpec:
    """A fake Node that kwok manages; capacity is what the scheduler sees."""

    name: str = "kwok-node-0"
    cpu: str = "32"
    memory: str = "256Gi"
    pods: str = "110"
    gpus: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)

    def manifest(self) -> JSON:
        """The Node object, annotated so that kwok (and only kwok) manages it."""
        capacity = {"cpu": self.cpu, "memory": self.memory, "pods": self.pods}
        if self.gpus:
            capacity["nvidia.com/gpu"] = str(self.gpus)
        labels = {
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "type": "kwok",
            **self.labels,
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            },
            "spec": {},
            "status": {"capacity": capacity, "allocatable": dict(capacity)},
        }


@dataclass(frozen=True)
class _Layout:
    """Where everything of one cluster lives inside its directory."""

    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd-data"

    @property
    def kubeconfigs(self) -> Path:
        return self.root / "kubeconfigs"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def state(self) -> Path:
        return self.root / STATE_FILE


class LocalCluster:
    """Start, use and stop a local control plane; use it as a context manager.

    >>> with LocalCluster(tmp_path) as cluster:          # doctest: +SKIP
    ...     cluster.api().get("/api/v1/nodes")
    """

    def __init__(
        self,
        directory: Path,
        nodes: Sequence[NodeSpec] = (NodeSpec(),),
        binaries: Binaries | None = None,
        startup_timeout: float = 90.0,
        detach: bool = False,
    ) -> None:
        self.layout = _Layout(directory.resolve())
        self.nodes = tuple(nodes)
        self.binaries = binaries
        self.startup_timeout = startup_timeout
        self.detach = detach
        self.processes: list[ManagedProcess] = []
        self.server = ""
        self._ca: KeyPair | None = None
        self._admin: KeyPair | None = None

    # -- public API ------------------------------------------------------------------

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (user in ``system:masters``)."""
        return self.layout.admin_kubeconfig

    def api(self) -> ApiClient:
        """A client authenticated as the cluster admin."""
        if self._ca is None or self._admin is None or not self.server:
            raise ClusterError("the cluster is not started")
        return ApiClient(self.server, str(self._ca.cert), self._admin)

    def start(self) -> LocalCluster:
        """Start every component and return once the cluster can run Pods."""
        binaries = self.binaries or find_binaries()
        self.layout.root.mkdir(parents=True, exist_ok=True)
        if self.layout.etcd_data.exists():
            raise ClusterError(f"{self.layout.root} already holds a cluster; use a fresh directory")
        deadline = time.monotonic() + self.startup_timeout
        try:
            self._start(binaries, deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every component: the API clients first, etcd last."""
        by_name = {p.name: p for p in self.processes}
        etcd = [by_name.pop("etcd")] if "etcd" in by_name else []
        stop_processes(list(by_name.values()))
        stop_processes(etcd)
        self.processes = []
        self.layout.state.unlink(missing_ok=True)

    def rss_bytes(self) -> int:
        """Resident memory of the whole control plane, summed over its process groups."""
        return sum(group_rss_bytes(p.pid) for p in self.processes if p.running())

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- start-up --------------------------------------------------------------------

    def _start(self, binaries: Binaries, deadline: float) -> None:
        layout = self.layout
        ca = CertificateAuthority(layout.pki)
        self._ca = ca.pair
        apiserver_port = free_port()
        self.server = f"https://127.0.0.1:{apiserver_port}"
        serving = ca.serving(
            "apiserver",
            ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
            ["127.0.0.1", "10.96.0.1"],
        )
        self._admin = ca.client("admin", ClientIdentity("kubify-admin", ("system:masters",)))
        sa = service_account_keys(layout.pki)

        etcd_url = f"http://127.0.0.1:{free_port()}"
        self._launch(
            "etcd",
            [
                str(binaries.etcd),
                f"--data-dir={layout.etcd_data}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{free_port()}",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
        )
        # kube-apiserver retries etcd until it answers, so it need not wait for it.
        self._launch(
            "kube-apiserver",
            [
                str(binaries.kube_apiserver),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={apiserver_port}",
                f"--tls-cert-file={serving.cert}",
                f"--tls-private-key-file={serving.key}",
                f"--client-ca-file={ca.pair.cert}",
                "--authorization-mode=RBAC",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--allow-privileged=true",
                f"--service-account-issuer={self.server}",
                f"--service-account-key-file={sa.cert}",
                f"--service-account-signing-key-file={sa.key}",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
            ],
        )
        api = self.api()
        self._wait(deadline, "kube-apiserver /readyz", lambda: _readyz(api))

        kcm = ca.client("kube-controller-manager", ClientIdentity("system:kube-controller-manager"))
        scheduler = ca.client("kube-scheduler", ClientIdentity("system:kube-scheduler"))
        kwok = ca.client("kwok", ClientIdentity("kwok", ("system:masters",)))
        self._launch(
            "kube-controller-manager",
            [
                str(binaries.kube_controller_manager),
                f"--kubeconfig={self._component_kubeconfig('kube-controller-manager', kcm)}",
                "--controllers=*," + ",".join(f"-{name}" for name in CLOUD_CONTROLLERS),
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                # The default 20 QPS throttles its start-up (one ServiceAccount and token per
                # controller) to ~5 s; a private API server can take more.
                "--kube-api-qps=200",
                "--kube-api-burst=400",
                f"--service-account-private-key-file={sa.key}",
                f"--root-ca-file={ca.pair.cert}",
                f"--cluster-signing-cert-file={ca.pair.cert}",
                f"--cluster-signing-key-file={ca.pair.key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--secure-port=0",
                "--profiling=false",
            ],
        )
        self._launch(
            "kube-scheduler",
            [
                str(binaries.kube_scheduler),
                f"--kubeconfig={self._component_kubeconfig('kube-scheduler', scheduler)}",
                "--leader-elect=false",
                "--secure-port=0",
                "--profiling=false",
            ],
        )
        kwok_home = layout.root / "kwok-home"
        kwok_home.mkdir(exist_ok=True)
        self._launch(
            "kwok",
            [
                str(binaries.kwok),
                f"--kubeconfig={self._component_kubeconfig('kwok', kwok)}",
                f"--config={binaries.kwok_stages}",
                "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                f"--cidr={POD_CIDR}",
                "--node-ip=127.0.0.1",
            ],
            # kwok also reads ~/.kwok/kwok.yaml when it exists; keep the user's out.
            env={**os.environ, "HOME": str(kwok_home)},
        )
        for node in self.nodes:
            api.request("POST", "/api/v1/nodes", node.manifest())
        for node in self.nodes:
            self._wait(deadline, f"node {node.name} Ready", functools.partial(_node_ready, api, node.name))
        # Pods are admitted only once the namespace's default ServiceAccount exists.
        self._wait(
            deadline,
            "the default ServiceAccount (kube-controller-manager)",
            lambda: _exists(api, "/api/v1/namespaces/default/serviceaccounts/default"),
        )
        write_kubeconfig(layout.admin_kubeconfig, self.server, ca.pair.cert, self._admin)
        self._write_state()

    def _component_kubeconfig(self, name: str, client: KeyPair) -> Path:
        assert self._ca is not None
        return write_kubeconfig(self.layout.kubeconfigs / f"{name}.kubeconfig", self.server, self._ca.cert, client)

    def _launch(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> None:
        process = ManagedProcess(name, argv, self.layout.logs / f"{name}.log", env=env, cwd=self.layout.root)
        process.start(detach=self.detach)
        self.processes.append(process)

    def _wait(self, deadline: float, what: str, ready: Callable[[], bool]) -> None:
        """Poll ``ready`` until it holds; fail early, with its log, if a component dies."""
        delay = 0.05
        while True:
            for process in self.processes:
                if not process.running():
                    raise ClusterError(
                        f"{process.name} exited with status {process.exit_code()} while waiting for {what}; "
                        f"log {process.log_path}:\n{process.log_tail()}"
                    )
            if ready():
                return
            if time.monotonic() > deadline:
                logs = "\n".join(f"  {p.name}: {p.log_path}" for p in self.processes)
                raise ClusterError(f"timed out after {self.startup_timeout:.0f}s waiting for {what}; logs:\n{logs}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _write_state(self) -> None:
        state = {
            "server": self.server,
            "kubeconfig": str(self.layout.admin_kubeconfig),
            "processes": [{"name": p.name, "pid": p.pid, "argv0": p.argv[0]} for p in self.processes],
        }
        self.layout.state.write_text(json.dumps(state, indent=2) + "\n")


def _readyz(api: ApiClient) -> bool:
    try:
        api.request("GET", "/readyz", timeout=5.0)
    except (ApiError, OSError):
        return False
    return True


def _exists(api: ApiClient, path: str) -> bool:
    try:
        api.get(path)
    except ApiError as err:
        if err.status == 404:
            return False
        raise
    return True


def _node_ready(api: ApiClient, name: str) -> bool:
    node = api.get(f"/api/v1/nodes/{name}")
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in _conditions(node))


def _conditions(obj: JSON) -> Iterator[JSON]:
    yield from (obj.get("status") or {}).get("conditions") or []
