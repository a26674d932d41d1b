"""kubify's own cache directory (``$XDG_CACHE_HOME/kubify``), for results that are costly to
recompute and keyed by content, so a stale entry can never be read."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir(name: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kubify" / name


def read_json(path: Path) -> Any | None:
    """A cached JSON document, or None when absent or unreadable (a cache never fails a run)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, document: Any) -> None:
    """Write atomically, so a concurrent reader sees the old entry or the new one, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        return
