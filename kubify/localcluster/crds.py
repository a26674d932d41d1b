"""Installing CustomResourceDefinitions and waiting until they are served.

The YAML goes to the API server as it is: parsing the pinned upstream CRDs (6 MB, some
with a bare ``=`` that PyYAML rejects) in pure Python would cost seconds, and the
server parses YAML anyway. Objects are created with POST and, when one already exists,
server-side applied (never client-side apply: several CRDs exceed the 256 KiB
last-applied annotation).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

from kubify.localcluster.api import APPLY_PATCH, ApiClient, ApiError

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
_DOC_START = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_CONTENT = re.compile(r"^[ \t]*[^#\s]", re.MULTILINE)


def yaml_documents(text: str) -> list[str]:
    """Split a YAML stream into its non-empty documents.

    A ``---`` line at column 0 always starts a new document: block scalars are indented,
    so none can contain it.
    """
    return [doc for doc in _DOC_START.split(text) if _CONTENT.search(doc)]


def crd_files(root: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` file below ``root``, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml"})


def apply_crd(api: ApiClient, document: str, field_manager: str = "kubify") -> str:
    """Create (or server-side apply over) one CRD given as YAML; returns its name."""
    try:
        created = api.request("POST", CRD_PATH, raw=document.encode(), content_type="application/yaml")
    except ApiError as err:
        if err.reason != "AlreadyExists" or not err.body:
            raise
        name = str((err.body.get("details") or {}).get("name", ""))
        api.request(
            "PATCH",
            f"{CRD_PATH}/{name}",
            raw=document.encode(),
            query={"fieldManager": field_manager, "force": "true"},
            content_type=APPLY_PATCH,
        )
        return name
    return str(created["metadata"]["name"])


def established(api: ApiClient, name: str) -> bool:
    """Whether the CRD is Established (its resources are served)."""
    crd = api.get(f"{CRD_PATH}/{name}")
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def install_crds(api: ApiClient, files: Iterable[Path], timeout: float = 120.0) -> list[str]:
    """Install every CRD in ``files`` and wait until all are Established; returns the names."""
    names: list[str] = []
    for path in files:
        for document in yaml_documents(path.read_text()):
            try:
                names.append(apply_crd(api, document))
            except ApiError as err:
                raise ApiError(err.status, err.reason, f"{path}: {err.message}", err.body) from None
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        pending = [name for name in pending if not established(api, name)]
        if pending and time.monotonic() > deadline:
            raise TimeoutError(f"CRDs not Established after {timeout:.0f}s: {', '.join(pending)}")
        if pending:
            time.sleep(0.2)
    return names
