"""``python -m kubify.localcluster up DIR`` / ``down DIR``: a cluster that outlives the command.

For poking at the control plane by hand (kubectl, k9s, the kopf operator) while
developing; tests use :class:`~kubify.localcluster.LocalCluster` as a context manager.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kubify.localcluster.binaries import BinariesNotFound
from kubify.localcluster.cluster import STATE_FILE, ClusterError, LocalCluster, NodeSpec
from kubify.localcluster.crds import crd_files, install_crds
from kubify.localcluster.processes import stop_detached


def _up(args: argparse.Namespace) -> int:
    nodes = [
        NodeSpec(name=f"kwok-node-{i}", cpu=args.cpu, memory=args.memory, gpus=args.gpus) for i in range(args.nodes)
    ]
    cluster = LocalCluster(args.dir, nodes=nodes, detach=True).start()
    try:
        for crds in args.crds:
            install_crds(cluster.api(), crd_files(crds))
    except BaseException:
        cluster.stop()
        raise
    print(f"cluster up at {cluster.server}; logs in {args.dir / 'logs'}")
    print(f"export KUBECONFIG={cluster.kubeconfig}")
    return 0


def _down(args: argparse.Namespace) -> int:
    state_path = args.dir / STATE_FILE
    if not state_path.exists():
        print(f"no running cluster recorded in {state_path}", file=sys.stderr)
        return 1
    processes = json.loads(state_path.read_text())["processes"]
    etcd = [(p["pid"], p["argv0"]) for p in processes if p["name"] == "etcd"]
    others = [(p["pid"], p["argv0"]) for p in processes if p["name"] != "etcd"]
    stop_detached(others)
    stop_detached(etcd)
    state_path.unlink()
    print(f"cluster in {args.dir} stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run ``up`` or ``down``."""
    parser = argparse.ArgumentParser(prog="python -m kubify.localcluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start a cluster in DIR and leave it running")
    up.add_argument("dir", type=Path)
    up.add_argument("--nodes", type=int, default=1, help="number of fake kwok nodes")
    up.add_argument("--cpu", default="32", help="CPU capacity of each node")
    up.add_argument("--memory", default="256Gi", help="memory capacity of each node")
    up.add_argument("--gpus", type=int, default=0, help="nvidia.com/gpu capacity of each node")
    up.add_argument("--crds", type=Path, action="append", default=[], help="install the CRDs below this directory")
    up.set_defaults(run=_up)
    down = commands.add_parser("down", help="stop the cluster recorded in DIR")
    down.add_argument("dir", type=Path)
    down.set_defaults(run=_down)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except (BinariesNotFound, ClusterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
