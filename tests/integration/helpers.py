"""Helpers shared by the real-cluster tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kubify.localcluster.api import ApiClient, ApiError
from kubify.localcluster.cluster import NodeSpec

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")
# The session cluster's one fake node, with GPUs so that GPU workloads can schedule.
NODE = NodeSpec(name="kwok-node-0", cpu="16", memory="64Gi", gpus=4)


def shared_dir() -> Path:
    """The read-only shared directory beside the repository (``$KUBIFY_SHARED_DIR``)."""
    return Path(os.environ.get("KUBIFY_SHARED_DIR") or REPO.parent / "shared")


def wait_until(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll ``probe`` until it returns something truthy, and return that.

    The timeout only bounds a hung test; nothing asserts on how long it took.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def condition(obj: dict[str, Any], kind: str) -> str | None:
    """The status ("True"/"False"/"Unknown") of condition ``kind``, if present."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status"))
    return None


def gone(api: ApiClient, path: str) -> bool:
    """Whether GET ``path`` answers 404."""
    try:
        api.get(path)
    except ApiError as err:
        if err.status == 404:
            return True
        raise
    return False
