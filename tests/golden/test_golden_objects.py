"""Every object in golden/ passes kubify's own schema and policy checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubify import manifests, verify

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for p in (ROOT / "golden").glob("*/manifests/**/*.yaml") if p.name != "kustomization.yaml")


def test_golden_has_manifests() -> None:
    assert len(FILES) > 20, "golden/ should hold the manifests of every fixture"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT / "golden")) for p in FILES])
def test_object_is_schema_valid_and_policy_clean(path: Path) -> None:
    loaded, problems = manifests.load_manifest_files([str(path)])
    assert problems == []
    found = verify.verify_objects([(str(path.relative_to(ROOT)), obj) for _label, obj, _line in loaded])
    bad = [d.render() for d in found if d.severity in ("error", "warning")]
    assert bad == [], "\n".join(bad)
