"""emit: stable bytes, kustomization, atomic and non-clobbering writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubify import emit
from kubify.diagnostics import KubifyError


@dataclass(frozen=True)
class Art:
    path: str
    kind: str
    object: dict[str, Any] | None = None
    text: str | None = None


ARTIFACTS = [
    Art("web/deployment.yaml", "object", {"apiVersion": "apps/v1", "kind": "Deployment",
                                          "metadata": {"name": "web", "labels": {"z": "1", "a": "2"}}}),
    Art("web/service.yaml", "object", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}),
    Art("web/Dockerfile", "text", text="FROM scratch\n"),
]


def test_files_are_stable_and_listed_in_a_kustomization() -> None:
    first, second = emit.files(ARTIFACTS), emit.files(list(ARTIFACTS))
    assert first == second
    assert "resources:\n- web/deployment.yaml\n- web/service.yaml\n" in first["kustomization.yaml"]
    assert first["web/Dockerfile"] == "FROM scratch\n"
    assert first["web/deployment.yaml"].startswith("apiVersion: apps/v1\nkind: Deployment\n")
    labels = first["web/deployment.yaml"]
    assert labels.index("\n    z: '1'") < labels.index("\n    a: '2'"), "insertion order is kept, not sorted"


def test_stream_is_multi_document_and_json_is_a_list() -> None:
    assert emit.stream(ARTIFACTS).count("---\n") == 2
    assert '"kind": "List"' in emit.stream(ARTIFACTS, "json")


def test_write_tree_replaces_its_own_output_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    emit.write_tree(emit.files(ARTIFACTS), out)
    emit.write_tree({"only.yaml": "a: 1\n"}, out)
    assert sorted(p.name for p in out.iterdir()) == [emit.MARKER, "only.yaml"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep")
    with pytest.raises(KubifyError):
        emit.write_tree({"x.yaml": "a: 1\n"}, foreign)
    assert (foreign / "precious.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign", "out"]


def test_paths_escaping_the_output_are_refused() -> None:
    with pytest.raises(KubifyError):
        emit.files([Art("../evil.yaml", "text", text="x")])


def test_yaml_11_boolean_words_stay_strings_for_kubectl() -> None:
    import yaml  # PyYAML reads YAML 1.1, like kubectl

    values = {"a": "yes", "b": "No", "c": "ON", "d": "off", "e": "y", "f": "true", "g": "plain"}
    assert yaml.safe_load(emit.dump_yaml(values)) == values
