"""Turn untrusted names (package.json ``name``, go module paths, directory names) into
DNS-1123 labels that are safe as Kubernetes object names and output file names."""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")


def dns_label(text: str, *, fallback: str = "app", max_length: int = 63) -> str:
    """A DNS-1123 label derived from ``text``.

    >>> dns_label("@acme/Web_App")
    'acme-web-app'
    >>> dns_label("..")
    'app'
    """
    # A scoped npm name keeps its scope ("@acme/web" -> "acme-web"); a path keeps its last part.
    base = text if text.startswith("@") else text.rsplit("/", 1)[-1]
    label = _DASHES.sub("-", _INVALID.sub("-", base.lower())).strip("-")
    label = label[:max_length].strip("-")
    return label or fallback
