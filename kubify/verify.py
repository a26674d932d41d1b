"""Verify Kubernetes objects before anyone applies them: schema, server-side rules, policy.

Three layers, because no single offline tool covers what an API server rejects:

* **schema** — core kinds against the OpenAPI schemas bundled with the pinned
  ``kubernetes-validate`` package (strict: unknown fields are errors); custom resources
  against their CRD's schema (:mod:`kubify.crd_schemas`). Validators are built once per
  (apiVersion, kind, Kubernetes version) and cached — ``kubernetes_validate.validate()``
  re-reads the schema JSON on every call — and every error is reported with its JSON
  path, not just the first.
* **server-side rules** the schemas leave to Go code (:mod:`kubify.k8s_rules`).
* **policy** — :mod:`kubify.policy` (PSS restricted and linter checks).

Known limits: CRD CEL rules (``x-kubernetes-validations``), list-map key uniqueness and
``format`` values are not checked. Nothing here raises on malformed objects: every
problem is a :class:`Diagnostic`."""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Collection, Iterator, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from kubify import crd_schemas
from kubify.diagnostics import Diagnostic
from kubify.k8s_objects import Subject, as_dict, as_list
from kubify.k8s_rules import Problem, server_problems, shorten
from kubify.policy import check_policy

DEFAULT_KUBERNETES_VERSION = "1.35"

_SCHEMA_ROOT = "kubernetes-json-schema"
_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_VERSION_DIR = re.compile(r"v(\d+)\.(\d+)\.0-local-strict")

ObjectInput = tuple[str, Any] | tuple[str, Any, int | None]


def verify_objects(objects: Sequence[ObjectInput], *, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
                   policy: bool = True, allow: Collection[str] = ()) -> list[Diagnostic]:
    """Check a set of objects; ``(source, object[, line])`` each, source a file or artifact path.

    ``allow`` disables policy rules for the whole set (see :mod:`kubify.policy`).
    """
    schema_version = resolve_kubernetes_version(kubernetes_version)
    diagnostics: list[Diagnostic] = _version_note(kubernetes_version, schema_version)
    subjects: list[Subject] = []
    for entry in objects:
        source, obj = entry[0], entry[1]
        line = entry[2] if len(entry) > 2 else None
        for item in _flatten(obj):
            if not isinstance(item, dict):
                diagnostics.append(Diagnostic(severity="error", code="schema.object", file=source, line=line,
                                              message=f"expected a Kubernetes object (a mapping), got "
                                              f"{_json_type(item)}", hint="remove this document"))
                continue
            subject = Subject(source, item, line)
            subjects.append(subject)
            diagnostics += _verify_one(subject, schema_version)
    if policy:
        diagnostics += check_policy(subjects, allow=allow)
    return diagnostics


def _flatten(obj: Any) -> list[Any]:
    """A ``v1 List`` (what ``kubectl get -o yaml`` writes) stands for its items."""
    if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        return [item for nested in obj["items"] for item in _flatten(nested)]
    return [obj]


def _verify_one(subject: Subject, schema_version: str | None) -> list[Diagnostic]:
    api_version, kind = subject.obj.get("apiVersion"), subject.obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        return [_diagnostic(subject, Problem("schema.object", "$", "missing apiVersion or kind",
                                             "every object needs a string apiVersion and kind"))]
    group, slash, version = api_version.rpartition("/")
    if (slash and not group) or "/" in group or not version:
        return [_diagnostic(subject, Problem("schema.object", "$.apiVersion", f"malformed apiVersion "
                                             f"{api_version!r}", "write it as 'group/version' or 'v1'"))]
    problems = _schema_problems(subject, group, version, kind, schema_version)
    problems += sorted(server_problems(subject), key=lambda problem: problem.path)
    return [_diagnostic(subject, problem) for problem in problems]


def _diagnostic(subject: Subject, problem: Problem) -> Diagnostic:
    return Diagnostic(severity=problem.severity, code=problem.code, file=subject.source, line=subject.line,
                      message=f"{subject.kind or 'object'}/{subject.name} {problem.path}: {problem.message}",
                      hint=problem.hint)


# --- schema: core kinds -----------------------------------------------------------------------

@lru_cache(maxsize=1)
def bundled_versions() -> tuple[str, ...]:
    """Kubernetes minor versions whose strict schemas kubernetes-validate ships, oldest first."""
    root = importlib.resources.files("kubernetes_validate") / _SCHEMA_ROOT
    found = [match.groups() for entry in root.iterdir() if (match := _VERSION_DIR.fullmatch(entry.name))]
    return tuple(f"{major}.{minor}" for major, minor in sorted(found, key=lambda v: (int(v[0]), int(v[1]))))


def resolve_kubernetes_version(requested: str) -> str | None:
    """The newest bundled version not newer than ``requested`` (``"v1.35.2"`` → ``"1.35"``)."""
    wanted = _minor(requested)
    if wanted is None:
        return None
    candidates = [v for v in bundled_versions() if (_minor(v) or (0, 0)) <= wanted]
    return candidates[-1] if candidates else None


def _minor(version: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _version_note(requested: str, resolved: str | None) -> list[Diagnostic]:
    """An unknown version is an error; one newer than the bundled schemas a warning."""
    if resolved is None:
        return [Diagnostic(severity="error", code="schema.version", message=f"Kubernetes {requested!r} is not a "
                           f"version kubify has schemas for (bundled: {', '.join(bundled_versions())})",
                           hint="pass a version like 1.35")]
    if _minor(requested) != _minor(resolved) and resolved == bundled_versions()[-1]:
        return [Diagnostic(severity="warning", code="schema.version", message=f"no schemas for Kubernetes "
                           f"{requested}; checked against {resolved}, the newest bundled",
                           hint="upgrade kubernetes-validate")]
    return []


class _CoreCatalog(NamedTuple):
    registry: Registry[Any]
    definitions: dict[tuple[str, str, str], str]  # (group, version, kind) → $defs name
    groups: frozenset[str]


@lru_cache(maxsize=4)
def _core_catalog(version: str) -> _CoreCatalog:
    """The bundled definitions of one Kubernetes version, read once (1.5 MB of JSON)."""
    path = importlib.resources.files("kubernetes_validate") / _SCHEMA_ROOT / f"v{version}.0-local-strict"
    contents = json.loads((path / "_definitions.json").read_text(encoding="utf-8"))
    definitions: dict[tuple[str, str, str], str] = {}
    for name, schema in contents["$defs"].items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            definitions.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    registry: Registry[Any] = Registry().with_resource(_DEFINITIONS_ID, Resource.from_contents(contents))
    return _CoreCatalog(registry, definitions, frozenset(group for group, _, _ in definitions))


@lru_cache(maxsize=512)
def core_validator(version: str, group: str, api_version: str, kind: str) -> Validator | None:
    """A strict validator for a built-in kind, or None when the version does not serve it."""
    catalog = _core_catalog(version)
    name = catalog.definitions.get((group, api_version, kind))
    if name is None:
        return None
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"{_DEFINITIONS_ID}#/$defs/{name}"}
    return Draft202012Validator(schema, registry=catalog.registry)


def _schema_problems(subject: Subject, group: str, version: str, kind: str,
                     schema_version: str | None) -> list[Problem]:
    if group not in _core_catalog(schema_version or bundled_versions()[-1]).groups:
        return _custom_resource_problems(subject, group, version, kind)
    if schema_version is None:  # already reported once for the whole set
        return []
    validator = core_validator(schema_version, group, version, kind)
    if validator is None:
        return [Problem("schema.core", "$.apiVersion", f"Kubernetes {schema_version} does not serve "
                        f"{subject.obj['apiVersion']} {kind}", "use an API version that this Kubernetes version "
                        "serves (kubectl api-resources)")]
    return _validate(validator, subject.obj, "schema.core")


def _validate(validator: Validator, obj: dict[str, Any], code: str) -> list[Problem]:
    try:
        errors = sorted(validator.iter_errors(obj), key=lambda e: (e.json_path, e.message))
    except (Unresolvable, RecursionError, TypeError) as exc:  # a malformed third-party CRD schema
        return [Problem(code, "$", f"the schema could not be applied: {type(exc).__name__}",
                        "report this to kubify with the object's kind")]
    return [problem for error in errors for problem in _explain(error, code)]


def _explain(error: ValidationError, code: str) -> Iterator[Problem]:
    """Turn a jsonschema error into a message a Kubernetes user recognises."""
    path, keyword, instance = error.json_path, error.validator, error.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = as_dict(as_dict(error.schema).get("properties"))
        for field in sorted(str(key) for key in instance if key not in known):
            yield Problem(code, f"{path}.{field}", f"unknown field {field!r}",
                          "remove it or fix its spelling/indentation; the API server would drop it silently")
    elif keyword == "required":
        yield Problem(code, path, shorten(error.message.replace("property", "field")), "add the missing field")
    elif keyword == "type":
        wanted = [t for t in as_list(error.validator_value) or [error.validator_value] if t != "null"]
        yield Problem(code, path, f"expected {' or '.join(map(str, wanted))}, got {_json_type(instance)}",
                      "fix the value's type (quote numbers meant as strings)")
    elif keyword in ("oneOf", "anyOf"):
        yield Problem(code, path, f"{shorten(repr(instance))} is not any of the allowed forms",
                      "check the field's documentation (kubectl explain)")
    else:
        yield Problem(code, path, shorten(error.message), "check the field's documentation (kubectl explain)")


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# --- schema: custom resources -----------------------------------------------------------------

def _custom_resource_problems(subject: Subject, group: str, version: str, kind: str) -> list[Problem]:
    found = crd_schemas.find_crd(group, kind)
    if found is not None:
        path, crd = found
        served = [entry.get("name") for entry in crd_schemas.crd_versions(crd) if entry.get("served") is True]
        if version not in served:
            return [Problem("schema.crd", "$.apiVersion", f"the {kind} CRD ({path.name}) does not serve version "
                            f"{version!r}; it serves {served}", f"use apiVersion {group}/{served[-1]}"
                            if served else "install a CRD that serves this version")]
        validator = crd_schemas.crd_validator(path, group, version, kind)
        return _deprecation(crd, version) + _validate(validator, subject.obj, "schema.crd")
    return [Problem("schema.crd-missing", "$", f"not schema-checked: CRD for {group}/{kind} not found",
                    f"set {crd_schemas.CRD_PATH_ENV} to a directory holding the CRD YAML", "warning")]


def _deprecation(crd: dict[str, Any], version: str) -> list[Problem]:
    for entry in crd_schemas.crd_versions(crd):
        if entry.get("name") == version and entry.get("deprecated") is True:
            note = entry.get("deprecationWarning") or f"version {version} is deprecated"
            return [Problem("schema.crd-deprecated", "$.apiVersion", shorten(str(note)),
                            "move to the CRD's storage version", "warning")]
    return []
