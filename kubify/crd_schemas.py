"""Custom resource schemas: find CRDs on a search path and turn their schemas into validators.

CRDs are large (a RayService CRD is 1.1 MB of YAML, about a second to parse), so the search
path is indexed from each file's head only, and a CRD is parsed, translated and compiled
the first time an object of its kind is checked. Its structural ``openAPIV3Schema`` becomes
draft-4 JSON Schema with the Kubernetes extensions honoured and unknown fields rejected
wherever the CRD does not preserve them (the API server would prune them silently).
CEL ``x-kubernetes-validations``, ``x-kubernetes-list-type: map`` key uniqueness and
``format`` values are not checked: there is no CEL engine offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from io import StringIO
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.protocols import Validator
from referencing import Registry
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError

from kubify import cache
from kubify.k8s_objects import as_dict, as_list

CRD_PATH_ENV = "KUBIFY_CRD_PATH"
MAX_CRD_FILE_BYTES = 32 * 1024 * 1024

_DOCUMENT_START = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_CRD_VERSIONS_KEY = re.compile(r"^ {0,4}versions:", re.MULTILINE)


def crd_search_path() -> tuple[Path, ...]:
    """``$KUBIFY_CRD_PATH`` directories, then ``shared/crds`` beside the checkout (dev/CI layout)."""
    dirs = [Path(part) for part in os.environ.get(CRD_PATH_ENV, "").split(os.pathsep) if part]
    beside_checkout = Path(__file__).resolve().parents[2] / "shared" / "crds"
    if beside_checkout.is_dir():
        dirs.append(beside_checkout)
    return tuple(dirs)


def find_crd(group: str, kind: str) -> tuple[Path, dict[str, Any]] | None:
    """The first CRD on the search path that defines ``group``/``kind``, with its file."""
    for path in _crd_index(crd_search_path()).get((group, kind), ()):
        crd = _crd_documents(path).get((group, kind))
        if crd is not None:
            return path, crd
    return None


def crd_versions(crd: dict[str, Any]) -> list[dict[str, Any]]:
    """The CRD's ``spec.versions`` entries (name, served, deprecated, schema)."""
    return [as_dict(entry) for entry in as_list(as_dict(crd.get("spec")).get("versions"))]


def _crd_yaml() -> YAML:
    """ruamel safe loader that also reads a bare ``=`` (Prometheus CRD enums) as a string."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _CrdConstructor
    return yaml


class _CrdConstructor(SafeConstructor):
    pass


_CrdConstructor.add_constructor("tag:yaml.org,2002:value", SafeConstructor.construct_yaml_str)


@lru_cache(maxsize=8)
def _crd_index(dirs: tuple[Path, ...]) -> dict[tuple[str, str], tuple[Path, ...]]:
    """(group, kind) → CRD files, from each file's head only: full parses take seconds.

    Cached on disk under a key made of every file's path, size and modification time.
    """
    files = [path for directory in dirs for path in _crd_files(directory)]
    signature = hashlib.sha256("\n".join(f"{p}|{s.st_size}|{s.st_mtime_ns}" for p in files
                                         for s in [p.stat()]).encode()).hexdigest()
    cached = cache.cache_dir("crds") / f"index-{signature}.json"
    entries = cache.read_json(cached)
    if not isinstance(entries, list):
        entries = [[group, kind, str(path)] for path in files for group, kind in _crd_headers(path)]
        cache.write_json(cached, entries)
    index: dict[tuple[str, str], list[Path]] = {}
    for group, kind, path in entries:
        index.setdefault((group, kind), []).append(Path(path))
    return {key: tuple(paths) for key, paths in index.items()}


def _crd_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    for root, subdirs, files in os.walk(directory):
        subdirs.sort()
        found += [Path(root) / name for name in sorted(files) if name.endswith((".yaml", ".yml", ".json"))]
    return [path for path in found if path.is_file() and path.stat().st_size <= MAX_CRD_FILE_BYTES]


def _crd_headers(path: Path) -> list[tuple[str, str]]:
    """(group, kind) of each CRD in a file, parsing each document only up to ``versions:``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if path.suffix == ".json":
        return list(_crd_documents(path))
    headers: list[tuple[str, str]] = []
    for chunk in _DOCUMENT_START.split(text):
        versions = _CRD_VERSIONS_KEY.search(chunk)
        head = _crd_key(_load_crd_yaml(chunk[:versions.start()] if versions else chunk))
        headers += [head] if head else [key for key in [_crd_key(_load_crd_yaml(chunk))] if key]
    return headers


def _load_crd_yaml(text: str) -> Any:
    try:
        return _crd_yaml().load(StringIO(text))
    except (YAMLError, RecursionError):
        return None


def _crd_key(document: Any) -> tuple[str, str] | None:
    spec = as_dict(as_dict(document).get("spec"))
    group, kind = spec.get("group"), as_dict(spec.get("names")).get("kind")
    if as_dict(document).get("kind") != "CustomResourceDefinition" or not isinstance(group, str):
        return None
    return (group, kind) if isinstance(kind, str) else None


@lru_cache(maxsize=64)
def _crd_documents(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every CRD in a file, fully parsed, by (group, kind).

    A large CRD takes about a second to parse in pure Python, so the parsed documents are
    cached as JSON keyed by the file's content hash.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    cached = cache.cache_dir("crds") / f"{hashlib.sha256(data).hexdigest()}.json"
    documents = cache.read_json(cached)
    if not isinstance(documents, list):
        documents = _parse_crd_file(data, path.suffix)
        if documents:
            cache.write_json(cached, documents)
    return {key: doc for doc in documents if (key := _crd_key(doc))}


def _parse_crd_file(data: bytes, suffix: str) -> list[Any]:
    try:
        text = data.decode("utf-8")
        if suffix == ".json":
            return [json.loads(text)]
        return _fast_yaml_documents(text) or list(_crd_yaml().load_all(StringIO(text)))
    except (UnicodeDecodeError, ValueError, YAMLError, RecursionError):
        return []


def _fast_yaml_documents(text: str) -> list[Any] | None:
    """libyaml's C parser, when PyYAML has it: CRDs are vetted upstream files, not repository input."""
    try:
        import yaml
    except ImportError:
        return None
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return None
    try:
        return list(yaml.load_all(text, Loader=_with_value_tag(loader)))
    except yaml.YAMLError:
        return None


@lru_cache(maxsize=1)
def _with_value_tag(loader: type[Any]) -> Any:
    """The loader, reading a bare ``=`` (Prometheus CRD enums) as a string."""
    subclass: Any = type("CrdLoader", (loader,), {})
    subclass.add_constructor("tag:yaml.org,2002:value", loader.construct_yaml_str)
    return subclass


@lru_cache(maxsize=256)
def crd_validator(path: Path, group: str, version: str, kind: str) -> Validator:
    """The compiled schema of one served version (callers check that it is served)."""
    crd = _crd_documents(path)[(group, kind)]
    served = next(entry for entry in crd_versions(crd) if entry.get("name") == version)
    schema = as_dict(as_dict(served.get("schema")).get("openAPIV3Schema"))
    return Draft4Validator(structural_to_jsonschema(schema), registry=Registry())


def structural_to_jsonschema(schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD's structural ``openAPIV3Schema`` as draft-4 JSON Schema, strict like kubify must be.

    The API server prunes unknown fields silently; kubify must never emit them, so objects
    without ``x-kubernetes-preserve-unknown-fields`` reject extra keys. ``metadata`` is left
    open at the root (the server validates it itself, and so does :func:`verify_objects`).
    """
    root = as_dict(_translate(schema, in_junctor=False))
    properties = root.setdefault("properties", {})
    if isinstance(properties, dict):
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        metadata = as_dict(properties.get("metadata")) or {"type": "object"}
        properties["metadata"] = {key: value for key, value in metadata.items() if key != "additionalProperties"}
    return root


def _translate(node: Any, *, in_junctor: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("description", "example", "externalDocs") or (isinstance(key, str) and key.startswith("x-")):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _translate(sub, in_junctor=in_junctor) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _translate(value, in_junctor=in_junctor)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_translate(sub, in_junctor=True) for sub in value]
        elif key == "not":
            out[key] = _translate(value, in_junctor=True)
        elif key != "nullable":
            out[key] = value
    if node.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("x-kubernetes-embedded-resource") is True:
        out["required"] = sorted({*as_list(out.get("required")), "apiVersion", "kind"})
        if not preserve:
            props = out.setdefault("properties", {})
            props.setdefault("apiVersion", {"type": "string"})
            props.setdefault("kind", {"type": "string"})
            props.setdefault("metadata", {"type": "object"})
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and not preserve and not in_junctor and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return {"anyOf": [{"type": "null"}, out]} if node.get("nullable") is True else out
