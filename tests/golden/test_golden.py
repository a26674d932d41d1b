"""Golden tests: every fixture repository compiles to exactly the checked-in output.

For each directory in ``tests/fixtures/`` (and each example in ``examples/``) the IR,
the diagnostics and the emitted files are compared byte for byte with ``golden/<name>/``.
``pytest --update-golden`` rewrites them; the diff is then reviewed like code.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from kubify import emit, explain, pipeline

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "golden"
REPOSITORIES = sorted(
    [p for p in (ROOT / "tests" / "fixtures").iterdir() if p.is_dir()]
    + [p for p in (ROOT / "examples").iterdir() if p.is_dir()],
    key=lambda p: p.name,
)
OPTIONS = pipeline.BuildOptions(registry="registry.example.com/acme")


def render(repository: Path) -> dict[str, str]:
    """Everything kubify says about a repository, as relative path → text."""
    result = pipeline.compile_repository(repository, OPTIONS)
    outputs = {
        "ir.json": explain.render(result.inference.application, "json"),
        "diagnostics.txt": "".join(d.render() + "\n" for d in result.diagnostics),
    }
    if not result.blocked:
        outputs.update({f"manifests/{k}": v for k, v in emit.files(result.artifacts).items()})
    return outputs


@pytest.mark.parametrize("repository", REPOSITORIES, ids=[p.name for p in REPOSITORIES])
def test_output_matches_golden(repository: Path, update_golden: bool) -> None:
    actual = render(repository)
    target = GOLDEN / repository.name
    if update_golden:
        shutil.rmtree(target, ignore_errors=True)
        for rel, text in actual.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_text(text, encoding="utf-8")
        return
    expected = {str(p.relative_to(target)): p.read_text(encoding="utf-8")
                for p in sorted(target.rglob("*")) if p.is_file()} if target.is_dir() else {}
    assert sorted(actual) == sorted(expected), f"golden/{repository.name}: files differ (--update-golden?)"
    for rel in sorted(actual):
        if actual[rel] != expected[rel]:
            diff = "".join(difflib.unified_diff(expected[rel].splitlines(True), actual[rel].splitlines(True),
                                                f"golden/{repository.name}/{rel}", "actual", n=2))
            pytest.fail(f"golden/{repository.name}/{rel} differs (rerun with --update-golden if intended):\n"
                        f"{diff[:6000]}")


@pytest.mark.parametrize("repository", REPOSITORIES[:3], ids=[p.name for p in REPOSITORIES[:3]])
def test_output_is_deterministic(repository: Path) -> None:
    assert render(repository) == render(repository)
