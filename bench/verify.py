"""Benchmark ``kubify.verify``: cold validator build, objects/s warm, and the per-call baseline.

The objects are the research sample ``good.yaml`` (Deployment, Service, PDB, NetworkPolicy,
ServiceAccount) repeated. Cold figures clear verify's caches first (the OS file cache stays
warm); each figure is the median of several runs. The baseline is
``kubernetes_validate.validate(obj, version, strict=True)`` per object, which re-reads the
schema JSON on every call. Custom resources are timed against the CRDs in ``shared/crds``.

    python bench/verify.py [--copies 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kubify import crd_schemas, verify
from kubify.safeload import load_yaml_all

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "verify" / "data" / "good.yaml"
RAY_SERVICE = {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "rs", "namespace": "shop"},
               "spec": {"serveConfigV2": "applications: []",
                        "rayClusterConfig": {"headGroupSpec": {"rayStartParams": {}, "template": {"spec": {
                            "containers": [{"name": "head", "image": "rayproject/ray:2.40.0"}]}}}}}}


def median_seconds(action: Callable[[], Any], runs: int, *, before: Callable[[], None] = lambda: None) -> float:
    samples = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


FRESH_PROCESS = """
import sys, time
start = time.perf_counter()
from kubify.safeload import load_yaml_all
from kubify.verify import verify_objects
imported = time.perf_counter()
objects = load_yaml_all(open(sys.argv[1], encoding="utf-8").read(), "good.yaml")
verify_objects([("good.yaml", obj) for obj in objects])
print(imported - start, time.perf_counter() - imported)
"""


def fresh_process(runs: int) -> tuple[float, float]:
    """Median import time and first-verify time in new interpreters (nothing cached)."""
    samples = []
    for _ in range(runs):
        output = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(SAMPLE)], check=True,
                                capture_output=True, text=True).stdout.split()
        samples.append((float(output[0]), float(output[1])))
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def clear_core_caches() -> None:
    verify._core_catalog.cache_clear()
    verify.core_validator.cache_clear()


def clear_crd_caches() -> None:
    for cache in (crd_schemas._crd_index, crd_schemas._crd_documents, crd_schemas.crd_validator):
        cache.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=200, help="how many times good.yaml is repeated")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    sample = load_yaml_all(SAMPLE.read_text(encoding="utf-8"), str(SAMPLE))
    objects = [("good.yaml", obj) for _ in range(args.copies) for obj in sample]
    version = verify.DEFAULT_KUBERNETES_VERSION
    rows: list[tuple[str, str]] = []

    imported, first = fresh_process(args.runs)
    rows.append(("fresh process: import kubify.verify", f"{imported * 1000:.0f} ms"))
    rows.append(("fresh process: first verify of good.yaml (all checks, cold caches)", f"{first * 1000:.0f} ms"))
    catalog = median_seconds(lambda: verify._core_catalog(version), args.runs, before=clear_core_caches)
    cold = median_seconds(lambda: verify.verify_objects([("good.yaml", o) for o in sample], policy=False),
                          args.runs, before=clear_core_caches)
    rows.append(("cold caches, warm process: load bundled definitions (1 version)", f"{catalog * 1000:.1f} ms"))
    rows.append((f"cold caches, warm process: first verify of good.yaml ({len(sample)} kinds)",
                 f"{cold * 1000:.1f} ms"))

    for label, policy in (("schema + server rules", False), ("schema + server rules + policy", True)):
        seconds = median_seconds(partial(verify.verify_objects, objects, policy=policy), args.runs)
        rows.append((f"warm: {label}", f"{len(objects) / seconds:,.0f} objects/s "
                                        f"({seconds / len(objects) * 1000:.3f} ms/object)"))

    import kubernetes_validate

    baseline_objects = sample * 10
    seconds = median_seconds(lambda: [kubernetes_validate.validate(o, version, strict=True) for o in baseline_objects],
                             max(1, args.runs // 2))
    rows.append(("baseline: kubernetes_validate.validate() per object",
                 f"{len(baseline_objects) / seconds:,.0f} objects/s ({seconds / len(baseline_objects) * 1000:.2f} "
                 "ms/object, first error only)"))

    if crd_schemas.crd_search_path():
        index = median_seconds(lambda: crd_schemas._crd_index(crd_schemas.crd_search_path()), args.runs,
                               before=clear_crd_caches)
        first = median_seconds(lambda: verify.verify_objects([("rs.yaml", RAY_SERVICE)], policy=False),
                               max(1, args.runs // 2), before=clear_crd_caches)
        many = [("rs.yaml", RAY_SERVICE)] * 200
        warm = median_seconds(lambda: verify.verify_objects(many, policy=False), args.runs)
        indexed = len(crd_schemas._crd_index(crd_schemas.crd_search_path()))
        rows.append((f"cold: index CRD search path ({indexed} CRDs)",
                     f"{index * 1000:.0f} ms"))
        rows.append(("cold: first RayService (parse 1 CRD + translate + build)", f"{first * 1000:.0f} ms"))
        rows.append(("warm: RayService custom resources", f"{len(many) / warm:,.0f} objects/s"))

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
