"""Every object in golden/ passes kubify's own schema and policy checks.

Each fixture's manifests are checked together, as ``kubectl apply -k`` would apply them, so
the rules that look across objects (a NetworkPolicy selects every pod, a PDB covers every
Deployment, a Service selects a pod template) see the whole set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubify import manifests, verify
from kubify.ir import RUNNABLE_KINDS

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = sorted(p for p in (ROOT / "golden").glob("*/manifests") if p.is_dir())


def test_golden_has_manifests() -> None:
    files = [p for out in OUTPUTS for p in out.rglob("*.yaml") if p.name != "kustomization.yaml"]
    assert len(OUTPUTS) >= 10 and len(files) > 50, "golden/ should hold the manifests of every fixture"


@pytest.mark.parametrize("output", OUTPUTS, ids=[p.parent.name for p in OUTPUTS])
def test_every_object_is_schema_valid_and_policy_clean(output: Path) -> None:
    loaded, problems = manifests.load_manifest_files([str(output / "kustomization.yaml")])
    assert problems == []
    if not loaded:
        components = json.loads((output.parent / "ir.json").read_text())["components"]
        runnable = [c["name"] for c in components if c["kind"] in RUNNABLE_KINDS]
        assert runnable == [], f"{output} lists no objects, yet {runnable} should run"
    found = verify.verify_objects(loaded)
    bad = [d.render() for d in found if d.severity in ("error", "warning")]
    assert bad == [], "\n".join(bad)
