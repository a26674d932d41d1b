"""Kubernetes' syntax rules for names, labels, selectors and quantities.

The API server enforces these in Go code that no OpenAPI schema carries, so an offline
schema check passes ``name: Web_App`` or ``cpu: lots`` that a real cluster rejects. Each
checker returns ``None`` when the value is valid, or a short reason a user can act on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15
ANNOTATIONS_MAX_BYTES = 256 * 1024

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_IANA_SVC_NAME = re.compile(r"[-a-z0-9]+")
_QUANTITY = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?")

_SUFFIX_FACTORS: dict[str, Decimal] = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
    **{suffix: Decimal(1024) ** power for power, suffix in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), 1)},
}


def dns1123_label(name: str) -> str | None:
    """Namespaces, port names of Services, container names: ``my-app`` (≤ 63)."""
    if len(name) > DNS1123_LABEL_MAX:
        return f"is longer than {DNS1123_LABEL_MAX} characters"
    if not _DNS1123_LABEL.fullmatch(name):
        return "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
    return None


def dns1123_subdomain(name: str) -> str | None:
    """Most object names: DNS-1123 labels joined by dots (≤ 253)."""
    if len(name) > DNS1123_SUBDOMAIN_MAX:
        return f"is longer than {DNS1123_SUBDOMAIN_MAX} characters"
    if not _DNS1123_SUBDOMAIN.fullmatch(name):
        return ("must be lowercase letters, digits, '-' and '.', starting and ending with a letter "
                "or digit")
    return None


def dns1035_label(name: str) -> str | None:
    """Service names: a DNS-1123 label that starts with a letter (it becomes a DNS name)."""
    if len(name) > DNS1123_LABEL_MAX:
        return f"is longer than {DNS1123_LABEL_MAX} characters"
    if not _DNS1035_LABEL.fullmatch(name):
        return "must be lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
    return None


def path_segment_name(name: str) -> str | None:
    """RBAC object names (``system:controller:foo`` is fine): anything usable in a URL path."""
    if name in (".", ".."):
        return f"may not be {name!r}"
    if "/" in name or "%" in name:
        return "may not contain '/' or '%'"
    return None


def qualified_name(key: str) -> str | None:
    """Label and annotation keys: ``[prefix/]name``, prefix a DNS subdomain, name ≤ 63."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix:
            return "has an empty prefix before '/'"
        problem = dns1123_subdomain(prefix)
        if problem:
            return f"prefix {prefix!r} {problem}"
    if not name:
        return "has an empty name"
    if len(name) > LABEL_VALUE_MAX:
        return f"name part is longer than {LABEL_VALUE_MAX} characters"
    if not _QUALIFIED_NAME.fullmatch(name):
        return "name part must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    return None


def label_value(value: str) -> str | None:
    """Label values (and selector values): empty, or ≤ 63 of ``[A-Za-z0-9-_.]`` with alphanumeric ends."""
    if len(value) > LABEL_VALUE_MAX:
        return f"is longer than {LABEL_VALUE_MAX} characters"
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return "must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    return None


def annotations_size(annotations: Mapping[str, Any]) -> int:
    """Bytes the API server counts against its 256 KiB limit (keys plus values)."""
    return sum(len(str(key).encode()) + len(str(value).encode()) for key, value in annotations.items())


def config_key(key: str) -> str | None:
    """ConfigMap and Secret data keys: they become file names in a mounted volume."""
    if len(key) > DNS1123_SUBDOMAIN_MAX:
        return f"is longer than {DNS1123_SUBDOMAIN_MAX} characters"
    if key in (".", "..") or key.startswith(".."):
        return "may not be '.' or start with '..'"
    if not _CONFIG_KEY.fullmatch(key):
        return "must be letters, digits, '-', '_' and '.'"
    return None


def port_name(name: str) -> str | None:
    """Container port names (IANA_SVC_NAME): ≤ 15 of ``[a-z0-9-]``, one letter at least, no ``--``."""
    if len(name) > PORT_NAME_MAX:
        return f"is longer than {PORT_NAME_MAX} characters"
    if not _IANA_SVC_NAME.fullmatch(name):
        return "must be lowercase letters, digits and '-'"
    if not any(c.isalpha() for c in name):
        return "must contain at least one letter"
    if "--" in name or name.startswith("-") or name.endswith("-"):
        return "may not start or end with '-' or contain '--'"
    return None


def env_name(name: str) -> str | None:
    """Environment variable names: printable ASCII without '=' (relaxed rule, GA in 1.34)."""
    if not name:
        return "is empty"
    if "=" in name or any(not " " <= c <= "~" for c in name):
        return "must be printable ASCII and may not contain '='"
    return None


def parse_quantity(value: Any) -> Decimal | None:
    """The numeric value of a resource quantity (``500m`` → 0.5, ``1Gi`` → 1073741824), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value)) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    match = _QUANTITY.fullmatch(value)
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number) * Decimal(10) ** int(suffix[1:])
        return Decimal(number) * _SUFFIX_FACTORS[suffix]
    except (ArithmeticError, ValueError):  # absurd exponents overflow Decimal or int()
        return None


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a LabelSelector (``matchLabels`` + ``matchExpressions``) selects ``labels``.

    An empty selector selects everything, as the API defines; a malformed one selects nothing.
    """
    if not isinstance(selector, Mapping):
        return False
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(expressions, list):
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    return all(_expression_matches(expression, labels) for expression in expressions)


def map_selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a Service-style ``{key: value}`` selector selects ``labels`` (empty selects none)."""
    if not isinstance(selector, Mapping) or not selector:
        return False
    return all(labels.get(key) == value for key, value in selector.items())


def _expression_matches(expression: Any, labels: Mapping[str, Any]) -> bool:
    if not isinstance(expression, Mapping):
        return False
    key, operator = expression.get("key"), expression.get("operator")
    values = expression.get("values") or []
    if not isinstance(key, str) or not isinstance(values, list):
        return False
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False
