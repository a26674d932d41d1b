"""Bounded parsers: bombs, deep nesting and broken syntax end in located diagnostics."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubify import safeload
from kubify.diagnostics import FileProblem

BOMB = "\n".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
) + "\n"


def test_billion_laughs_is_rejected_before_expansion() -> None:
    with pytest.raises(FileProblem) as problem:
        safeload.load_yaml(BOMB, "Chart.yaml")
    assert problem.value.diagnostic.code == "yaml.bomb"
    assert problem.value.diagnostic.file == "Chart.yaml"
    assert problem.value.diagnostic.line is not None


def test_ordinary_anchors_still_load() -> None:
    data = safeload.load_yaml("base: &b {cpu: 1}\nweb: *b\nworker: *b\n", "values.yaml")
    assert data["web"] == {"cpu": 1}


@pytest.mark.parametrize("text", ["[" * 50_000 + "]" * 50_000,
                                  "".join(f"{'  ' * i}k{i}:\n" for i in range(1100)) + ("  " * 1100) + "v\n"])
def test_deep_yaml_is_refused_not_crashed(text: str) -> None:
    with pytest.raises(FileProblem) as problem:
        safeload.load_yaml(text, "deep.yaml")
    assert problem.value.diagnostic.code == "yaml.too-deep"


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(FileProblem) as problem:
        safeload.load_yaml("a: 1\nb: [2\nc: 3\n", "c.yaml")
    assert problem.value.diagnostic.code == "yaml.syntax"
    assert problem.value.diagnostic.line is not None and problem.value.diagnostic.line >= 2


def test_duplicate_yaml_keys_are_errors() -> None:
    with pytest.raises(FileProblem):
        safeload.load_yaml("a: 1\na: 2\n", "dup.yaml")


def test_json_errors_carry_line_and_column() -> None:
    with pytest.raises(FileProblem) as problem:
        safeload.load_json('{\n  "name": "x",\n}\n', "package.json")
    assert (problem.value.diagnostic.line, problem.value.diagnostic.code) == (3, "json.syntax")


def test_deep_json_and_toml_are_refused() -> None:
    with pytest.raises(FileProblem):
        safeload.load_json("[" * 100_000 + "]" * 100_000, "deep.json")
    with pytest.raises(FileProblem) as problem:
        safeload.load_toml("a = " + "[" * 5000 + "]" * 5000, "deep.toml")
    assert problem.value.diagnostic.code == "toml.too-deep"


def test_toml_errors_carry_the_line() -> None:
    with pytest.raises(FileProblem) as problem:
        safeload.load_toml('[project]\nname = "x"\nversion = \n', "pyproject.toml")
    assert problem.value.diagnostic.line == 3


def test_located_yaml_reports_lines_of_nested_keys() -> None:
    data = safeload.load_yaml_located("components:\n  web:\n    ports: [80]\n", "kubify.yaml")
    assert safeload.line_of(data, ("components", "web", "ports")) == 3
    assert safeload.line_of(data, ("components", "missing")) == 1


@given(st.text(max_size=400))
def test_parsers_only_ever_raise_file_problems(text: str) -> None:
    for load in (safeload.load_yaml_all, safeload.load_json, safeload.load_toml):
        with contextlib.suppress(FileProblem):
            load(text, "any")
