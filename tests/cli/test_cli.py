"""The command line as a user meets it: exit codes, messages, files — run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "shop"


def kubify(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "kubify", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300, check=False)


def test_build_writes_a_kustomize_tree(tmp_path: Path) -> None:
    done = kubify("build", str(EXAMPLE), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    kustomization = (tmp_path / "out" / "kustomization.yaml").read_text()
    listed = [line[2:] for line in kustomization.splitlines() if line.startswith("- ")]
    assert listed and all((tmp_path / "out" / rel).is_file() for rel in listed)
    assert any(rel.endswith("deployment.yaml") for rel in listed)


def test_build_is_byte_for_byte_deterministic() -> None:
    first, second = kubify("build", str(EXAMPLE)), kubify("build", str(EXAMPLE))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stdout.count("\n---\n") > 5


def test_secret_values_from_compose_never_reach_the_output() -> None:
    done = kubify("build", str(EXAMPLE))
    assert "devpassword" not in done.stdout


def test_explain_json_has_the_promised_fields() -> None:
    done = kubify("explain", str(EXAMPLE), "-o", "json")
    assert done.returncode == 0, done.stderr
    components = {c["name"]: c for c in json.loads(done.stdout)["components"]}
    for component in components.values():
        for key in ("name", "path", "kind", "language", "framework", "ports", "run", "build", "env", "health",
                    "depends_on", "evidence"):
            assert key in component
    api = next(c for c in components.values() if c["path"] == "api" and c["kind"] == "service")
    assert {"service": "postgres"} in api["depends_on"]


def test_explain_tree_shows_evidence() -> None:
    done = kubify("explain", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "←" in done.stdout and "api" in done.stdout


def test_a_missing_path_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    done = kubify("build", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert "is not a directory" in done.stderr and "Traceback" not in done.stderr


def test_an_invalid_kubify_yaml_blocks_the_build_and_names_the_line(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "kubify.yaml").write_text("components:\n  web:\n    kind: daemon\n")
    out = tmp_path / "out"
    done = kubify("build", str(repo), "-o", str(out))
    assert done.returncode == 1
    assert "kubify.yaml:3" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists(), "nothing is written when there are errors"


def test_validate_manifests_fails_on_a_bad_deployment(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: two\n"
                   "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
                   "    spec:\n      containers:\n      - {name: web, image: 'nginx:latest'}\n")
    done = kubify("validate", str(bad))
    assert done.returncode == 1
    assert "bad.yaml" in done.stderr and "replicas" in done.stderr


def test_validate_repository_passes_for_the_example() -> None:
    done = kubify("validate", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "0 errors" in done.stderr


def test_schema_command_prints_the_config_schema() -> None:
    done = kubify("schema", "config")
    assert json.loads(done.stdout)["title"] == "kubify.yaml"
