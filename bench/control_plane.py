"""Benchmark of kubify's local control plane (kubify.localcluster).

Prints the cold build time of each binary (as scripts/control-plane-binaries recorded
it), the start-up time with cached binaries, the time to install the shared upstream
CRDs, the teardown time, and the resident memory of the whole control plane at rest.

    python bench/control_plane.py [--runs 3] [--settle 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from kubify.localcluster import LocalCluster, find_binaries
from kubify.localcluster.crds import crd_files, install_crds

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def cold_build_times(times_file: Path) -> dict[str, float]:
    """The first (cold) recorded build of each binary: ``name seconds date go``."""
    first: dict[str, float] = {}
    if times_file.exists():
        for line in times_file.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 2:
                first.setdefault(fields[0], float(fields[1]))
    return first


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="start/stop cycles to time")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds at rest before measuring RSS")
    shared = Path(os.environ.get("KUBIFY_SHARED_DIR") or REPO.parent / "shared")
    parser.add_argument("--crds", type=Path, default=shared / "crds", help="CRDs to install in the last run")
    args = parser.parse_args()

    binaries = find_binaries()
    times = cold_build_times(binaries.kube_apiserver.parent / "build-times.txt")
    print(f"binaries: {binaries.kube_apiserver.parent}")
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok"):
        recorded = f"{times[name]:7.1f} s" if name in times else "    n/a (not built by the script)"
        print(f"cold build  {name:<24}{recorded}")
    if times:
        print(f"cold build  {'total':<24}{sum(times.values()):7.1f} s")

    starts: list[float] = []
    stops: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kubify-bench-") as scratch:
        for run in range(args.runs):
            began = time.monotonic()
            cluster = LocalCluster(Path(scratch) / f"run{run}", binaries=binaries).start()
            starts.append(time.monotonic() - began)
            if run == args.runs - 1:
                time.sleep(args.settle)
                print(f"rss at rest (no CRDs)               {cluster.rss_bytes() / MIB:7.0f} MiB")
                if args.crds.is_dir():
                    began = time.monotonic()
                    names = install_crds(cluster.api(), crd_files(args.crds))
                    print(f"install {len(names)} CRDs (Established)     {time.monotonic() - began:7.1f} s")
                    time.sleep(args.settle)
                    print(f"rss at rest (with CRDs)             {cluster.rss_bytes() / MIB:7.0f} MiB")
            began = time.monotonic()
            cluster.stop()
            stops.append(time.monotonic() - began)
    print(
        f"start-up (cached binaries, ready)   {statistics.median(starts):7.1f} s median of {args.runs}"
        f" (min {min(starts):.1f}, max {max(starts):.1f})"
    )
    print(
        f"teardown                            {statistics.median(stops):7.1f} s median of {args.runs}"
        f" (min {min(stops):.1f}, max {max(stops):.1f})"
    )


if __name__ == "__main__":
    main()
