"""Starting and stopping leaves nothing behind, even when the test process is interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kubify.localcluster import Binaries, ClusterError, LocalCluster
from kubify.localcluster.cluster import STATE_FILE

from .helpers import REPO, wait_until

pytestmark = pytest.mark.realcluster

# Starts a cluster, reports its component pids and waits to be interrupted.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from kubify.localcluster import LocalCluster
    with LocalCluster(Path(sys.argv[1])) as cluster:
        print(json.dumps([p.pid for p in cluster.processes]), flush=True)
        time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_stop_ends_every_component_and_forgets_the_state(binaries: Binaries, tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path / "c", binaries=binaries).start()
    pids = [p.pid for p in cluster.processes]
    assert len(pids) == 5
    assert all(_alive(pid) for pid in pids)
    state = json.loads((tmp_path / "c" / STATE_FILE).read_text())
    assert [p["pid"] for p in state["processes"]] == pids
    assert cluster.rss_bytes() > 0

    cluster.stop()

    assert not any(_alive(pid) for pid in pids)
    assert not (tmp_path / "c" / STATE_FILE).exists()
    assert (tmp_path / "c" / "logs" / "kube-apiserver.log").stat().st_size > 0


@pytest.mark.parametrize(
    ("signum", "graceful"),
    [(signal.SIGINT, True), (signal.SIGTERM, True), (signal.SIGKILL, False)],
    ids=["SIGINT", "SIGTERM", "SIGKILL"],
)
def test_an_interrupted_test_process_leaves_no_component_behind(
    binaries: Binaries, tmp_path: Path, signum: signal.Signals, graceful: bool
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env["KUBIFY_BIN_DIR"] = str(binaries.etcd.parent)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "c")], stdout=subprocess.PIPE, env=env, text=True
    )
    assert child.stdout is not None
    pids = json.loads(child.stdout.readline() or "[]")
    assert len(pids) == 5, f"the child did not start a cluster; see {tmp_path / 'c' / 'logs'}"

    child.send_signal(signum)
    child.wait(timeout=60)

    wait_until(lambda: not any(_alive(pid) for pid in pids), f"the components to exit after {signum.name}")
    if graceful:
        # SIGINT and SIGTERM stop the components with SIGTERM first; SIGKILL leaves only
        # the kernel's parent-death signal, which is SIGKILL.
        log = (tmp_path / "c" / "logs" / "kube-apiserver.log").read_text()
        assert "Stopped listening on 127.0.0.1:" in log


def test_a_component_that_dies_fails_the_start_with_its_log(binaries: Binaries, tmp_path: Path) -> None:
    broken = tmp_path / "etcd"
    broken.write_text("#!/bin/sh\necho 'etcd: cannot start, disk on fire' >&2\nexit 3\n")
    broken.chmod(0o755)
    cluster = LocalCluster(
        tmp_path / "c",
        binaries=Binaries(
            etcd=broken,
            kube_apiserver=binaries.kube_apiserver,
            kube_controller_manager=binaries.kube_controller_manager,
            kube_scheduler=binaries.kube_scheduler,
            kwok=binaries.kwok,
            kwok_stages=binaries.kwok_stages,
        ),
        startup_timeout=60,
    )
    with pytest.raises(ClusterError, match="disk on fire") as failed:
        cluster.start()
    assert "etcd exited with status 3" in str(failed.value)
    assert cluster.processes == []
