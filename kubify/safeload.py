"""Bounded parsers for untrusted YAML, JSON and TOML.

Loading a billion-laughs YAML is cheap (aliases become shared references); the blow-up
comes later, when anything walks the tree. So YAML is composed first, its node graph is
measured (depth, and the node count *after* alias expansion, memoised over the DAG), and
only then constructed. The pure-Python ruamel loader is used so deep nesting raises
``RecursionError`` (caught) instead of crashing libyaml. Every failure is a
:class:`FileProblem` naming the file and line.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from kubify.diagnostics import FileProblem, error

MAX_DEPTH = 64
MAX_EXPANDED_NODES = 100_000
_TOML_LOCATION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml_all(text: str, file: str) -> list[Any]:
    """All documents of a YAML stream, after checking depth and expanded size."""
    yaml = _yaml()
    try:
        nodes = list(yaml.compose_all(StringIO(text)))
        for node in nodes:
            if node is not None:
                _check_yaml_size(node, file)
        return list(yaml.load_all(StringIO(text)))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise FileProblem(error("yaml.syntax", f"invalid YAML: {problem}", file=file, line=line,
                                hint="fix the YAML syntax at that line")) from None
    except YAMLError as exc:
        raise FileProblem(error("yaml.syntax", f"invalid YAML: {exc}", file=file)) from None
    except RecursionError:
        raise FileProblem(error("yaml.too-deep", f"YAML nesting is deeper than kubify reads "
                                f"(limit {MAX_DEPTH})", file=file, line=_too_deep_line(text),
                                hint="flatten the structure; kubify does not read deeper YAML")) from None


def _too_deep_line(text: str) -> int | None:
    """The first line nested past MAX_DEPTH, estimated from indentation and open brackets.

    The parser's own position is lost when it overflows the stack, so this light scan
    tells the user where the deep part starts.
    """
    indents: list[int] = []
    brackets = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.lstrip(" -")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        if brackets == 0:
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
        deepest = brackets
        for char in stripped:
            if char in "[{":
                brackets += 1
                deepest = max(deepest, brackets)
            elif char in "]}":
                brackets = max(0, brackets - 1)
        if len(indents) + deepest > MAX_DEPTH:
            return number
    return None


def load_yaml_located(text: str, file: str) -> Any:
    """The first document as ruamel round-trip data, whose maps and lists know their lines.

    For files whose errors must point at a line (``kubify.yaml``); bounded like the rest.
    """
    load_yaml_all(text, file)
    try:
        return YAML(typ="rt", pure=True).load(StringIO(text))
    except YAMLError as exc:  # pragma: no cover - the safe pass above already rejected bad YAML
        raise FileProblem(error("yaml.syntax", f"invalid YAML: {exc}", file=file)) from None


def line_of(data: Any, path: Sequence[str | int]) -> int | None:
    """1-based line of the value at ``path`` in :func:`load_yaml_located` data (deepest known)."""
    line: int | None = None
    node = data
    for key in path:
        position = _position(node, key)
        if position is None:
            break
        line = position + 1
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    return line


def _position(node: Any, key: str | int) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        row = lc.key(key)[0] if isinstance(key, str) else lc.item(key)[0]
    except (KeyError, IndexError, TypeError):
        return None
    return int(row)


def load_yaml(text: str, file: str) -> Any:
    """The first document of a YAML stream (``None`` for an empty file)."""
    documents = load_yaml_all(text, file)
    return documents[0] if documents else None


def _check_yaml_size(root: Node, file: str) -> None:
    sizes: dict[int, int] = {}

    def expanded(node: Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise FileProblem(error("yaml.too-deep", f"YAML nesting exceeds {MAX_DEPTH} levels",
                                    file=file, line=node.start_mark.line + 1,
                                    hint="flatten the structure; kubify does not read deeper YAML"))
        key = id(node)
        if key in sizes:
            return sizes[key]
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += expanded(k, depth + 1) + expanded(v, depth + 1)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += expanded(item, depth + 1)
        if total > MAX_EXPANDED_NODES:
            raise FileProblem(error("yaml.bomb", f"YAML expands to more than {MAX_EXPANDED_NODES:,} nodes "
                                    "through aliases (a 'billion laughs' document); not loaded",
                                    file=file, line=node.start_mark.line + 1,
                                    hint="remove the nested anchors/aliases"))
        sizes[key] = total
        return total

    expanded(root, 0)


def load_json(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(error("json.syntax", f"invalid JSON: {exc.msg}", file=file, line=exc.lineno,
                                column=exc.colno, hint="fix the JSON syntax (trailing commas and comments "
                                "are not JSON)")) from None
    except RecursionError:
        raise FileProblem(error("json.too-deep", "JSON nesting is too deep to read", file=file)) from None


def load_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LOCATION.search(str(exc))
        line = int(found.group(1)) if found else None
        message = _TOML_LOCATION.sub("", str(exc)).strip()
        raise FileProblem(error("toml.syntax", f"invalid TOML: {message}", file=file, line=line,
                                hint="fix the TOML syntax at that line")) from None
    except RecursionError:
        raise FileProblem(error("toml.too-deep", "TOML nesting is too deep to read", file=file)) from None
