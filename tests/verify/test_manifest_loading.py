"""Loading user-given manifest files: documents with lines, kustomizations, Lists, hostile YAML."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from kubify import manifests
from kubify.manifests import document_lines, load_manifest_files
from kubify.verify import verify_objects

CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: shop\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names(loaded: list[manifests.LoadedObject]) -> list[str]:
    return [obj["metadata"]["name"] for _label, obj, _line in loaded]


def test_multi_document_file_keeps_the_line_of_each_document(tmp_path: Path) -> None:
    text = ("# leading comment\n---\n" + CONFIG.format(name="a") + "---\n---\n\n# about b\n"
            + CONFIG.format(name="b") + "--- # trailing\n")
    path = write(tmp_path / "all.yaml", text)
    loaded, diagnostics = load_manifest_files([path])
    assert diagnostics == []
    assert [(label, obj["metadata"]["name"], line) for label, obj, line in loaded] == [
        (str(path), "a", 3), (str(path), "b", 12)]
    assert text.splitlines()[11].startswith("apiVersion")


def test_lines_reach_the_verifier_diagnostics(tmp_path: Path) -> None:
    path = write(tmp_path / "cm.yaml", CONFIG.format(name="ok") + "---\n" + CONFIG.format(name="Not_OK"))
    loaded, _ = load_manifest_files([path])
    [found] = [d for d in verify_objects(loaded) if d.code == "k8s.name"]
    assert (found.file, found.line) == (str(path), 7)


def test_json_and_list_kinds_are_flattened(tmp_path: Path) -> None:
    items = ", ".join(f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "{n}"}}}}' for n in "xy")
    write(tmp_path / "list.json", f'{{"apiVersion": "v1", "kind": "List", "items": [{items}]}}')
    loaded, diagnostics = load_manifest_files([tmp_path / "list.json"])
    assert diagnostics == [] and names(loaded) == ["x", "y"] and {line for *_, line in loaded} == {1}


def test_directories_are_recursed_in_order_and_skip_non_objects(tmp_path: Path) -> None:
    write(tmp_path / "b" / "two.yml", CONFIG.format(name="two"))
    write(tmp_path / "a.yaml", CONFIG.format(name="one"))
    write(tmp_path / "values.yaml", "replicas: 3\n")
    write(tmp_path / "notes.txt", CONFIG.format(name="ignored"))
    write(tmp_path / ".github" / "ci.yaml", CONFIG.format(name="hidden"))
    loaded, diagnostics = load_manifest_files([tmp_path])
    assert diagnostics == []
    assert names(loaded) == ["one", "two"]
    assert [label for label, *_ in loaded] == [f"{tmp_path}/a.yaml", f"{tmp_path}/b/two.yml"]


def test_kustomization_resources_are_followed(tmp_path: Path) -> None:
    base = tmp_path / "base"
    write(base / "cm.yaml", CONFIG.format(name="base"))
    write(base / "kustomization.yaml", "resources:\n- cm.yaml\n")
    overlay = tmp_path / "overlays" / "prod"
    write(overlay / "extra.yaml", CONFIG.format(name="extra"))
    write(overlay / "patch.yaml", "metadata:\n  name: base\ndata: {a: b}\n")
    write(overlay / "kustomization.yaml", "resources:\n- ../../base\n- extra.yaml\n"
          "- https://github.com/org/repo//deploy?ref=v1\npatches:\n- path: patch.yaml\n")
    loaded, diagnostics = load_manifest_files([tmp_path])
    assert sorted(names(loaded)) == ["base", "extra"]  # base once, although two kustomizations reach it
    [remote] = diagnostics
    assert (remote.code, remote.severity, remote.line) == ("manifests.remote", "warning", 4)


def test_kustomization_cannot_reach_outside_the_given_root(tmp_path: Path) -> None:
    write(tmp_path / "secret" / "cm.yaml", CONFIG.format(name="outside"))
    app = tmp_path / "app"
    write(app / "kustomization.yaml", "resources:\n- ../secret/cm.yaml\n- missing.yaml\n- 7\n")
    loaded, diagnostics = load_manifest_files([app])
    assert loaded == []
    assert [d.code for d in diagnostics] == ["manifests.outside-root", "manifests.kustomization",
                                             "manifests.kustomization"]
    assert diagnostics[0].hint and "repository root" in diagnostics[0].hint


def test_helm_charts_are_skipped_with_info(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    write(chart / "Chart.yaml", "apiVersion: v2\nname: x\nversion: 0.1.0\n")
    write(chart / "templates" / "deploy.yaml", "kind: {{ .Values.kind }}\n")
    write(tmp_path / "cm.yaml", CONFIG.format(name="plain"))
    loaded, diagnostics = load_manifest_files([tmp_path])
    assert names(loaded) == ["plain"]
    assert [(d.code, d.severity) for d in diagnostics] == [("manifests.helm-chart", "info")]


def test_a_template_given_directly_gets_a_render_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "deploy.yaml", "metadata:\n  labels: {{ include \"labels\" . }}\n  x: [\n")
    loaded, [found] = load_manifest_files([path])
    assert loaded == [] and found.code == "yaml.syntax" and found.line is not None
    assert found.hint and "helm" in found.hint.lower()


def test_broken_yaml_reports_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", CONFIG.format(name="a") + "  labels: [unclosed\n")
    loaded, [found] = load_manifest_files([path])
    assert loaded == [] and found.file == str(path) and found.line is not None and found.line >= 5


def test_yaml_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    loaded, [found] = load_manifest_files([path])
    assert loaded == [] and found.code == "yaml.bomb" and found.line is not None


def test_non_mapping_documents_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.yaml", CONFIG.format(name="a") + "---\n- just\n- a list\n")
    loaded, [found] = load_manifest_files([path])
    assert names(loaded) == ["a"] and (found.code, found.line) == ("manifests.not-object", 7)


def test_symlinks_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "cm.yaml", CONFIG.format(name="outside"))
    root = tmp_path / "root"
    write(root / "cm.yaml", CONFIG.format(name="inside"))
    os.symlink(outside, root / "link.yaml")
    os.symlink(outside.parent, root / "linkdir")
    os.symlink(root / "cm.yaml", root / "alias.yaml")
    loaded, diagnostics = load_manifest_files([root])
    assert names(loaded) == ["inside"]  # the in-root alias reads the same file once
    assert sorted(d.code for d in diagnostics) == ["manifests.symlink-escape"] * 2


def test_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifests, "MAX_FILE_BYTES", 100)
    path = write(tmp_path / "big.yaml", CONFIG.format(name="a") * 3)
    loaded, [found] = load_manifest_files([path])
    assert loaded == [] and found.code == "manifests.too-large"


def test_missing_paths_and_binary_files(tmp_path: Path) -> None:
    (tmp_path / "blob.yaml").write_bytes(b"\x00\x01\x02")
    loaded, diagnostics = load_manifest_files([tmp_path / "nope.yaml", tmp_path / "blob.yaml"])
    assert loaded == [] and [d.code for d in diagnostics] == ["manifests.missing", "fs.binary"]


documents = st.lists(st.one_of(st.none(), st.dictionaries(st.sampled_from(["a", "b", "kind"]),
                                                          st.integers(0, 9), min_size=1, max_size=3)),
                     min_size=0, max_size=5)


@given(documents, st.booleans(), st.booleans())
def test_document_lines_agree_with_the_yaml_loader(docs: list[dict[str, int] | None], lead: bool,
                                                   comments: bool) -> None:
    parts = []
    for doc in docs:
        body = "".join(f"{key}: {value}\n" for key, value in (doc or {}).items())
        parts.append(("# note\n\n" if comments else "") + body)
    text = ("---\n" if lead else "") + "---\n".join(parts)
    loaded = list(YAML(typ="safe", pure=True).load_all(StringIO(text)))
    lines = document_lines(text)
    assert len(lines) == len(loaded)
    text_lines = text.splitlines()
    for doc, line in zip(loaded, lines, strict=True):
        if doc:
            assert text_lines[line - 1].split(":")[0] in doc
