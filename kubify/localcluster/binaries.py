"""Locating the control-plane binaries.

Follows envtest's convention so that a developer who already has envtest assets can
reuse them: each binary is taken from ``$KUBIFY_BIN_DIR``, else ``$KUBEBUILDER_ASSETS``,
else kubify's cache, where ``scripts/control-plane-binaries`` builds what is missing.
This module never builds anything: building Kubernetes takes minutes and belongs to an
explicit step, not to a test run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kubify.localcluster import versions

SCRIPT = "scripts/control-plane-binaries"
ENV_DIRS = ("KUBIFY_BIN_DIR", "KUBEBUILDER_ASSETS")
STAGES_FILE = "kwok-stages.yaml"


class BinariesNotFound(RuntimeError):
    """Some binary is in none of the searched directories; the message says how to fix it."""


@dataclass(frozen=True)
class Binaries:
    """Paths of everything the local cluster executes or feeds to kwok."""

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kwok: Path
    kwok_stages: Path


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory the build script fills for the pinned versions."""
    env = os.environ if env is None else env
    root = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return root / "kubify" / "bin" / versions.CACHE_KEY


def search_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The directories searched, in order of precedence."""
    env = os.environ if env is None else env
    dirs = [Path(env[name]) for name in ENV_DIRS if env.get(name)]
    return [*dirs, cache_dir(env)]


def _find(name: str, dirs: list[Path], executable: bool) -> Path | None:
    for directory in dirs:
        path = directory / name
        if path.is_file() and (not executable or os.access(path, os.X_OK)):
            return path
    return None


def find_binaries(env: Mapping[str, str] | None = None) -> Binaries:
    """Locate every binary, or raise :class:`BinariesNotFound` naming the script to run."""
    dirs = search_dirs(env)
    wanted = {
        "etcd": True,
        "kube-apiserver": True,
        "kube-controller-manager": True,
        "kube-scheduler": True,
        "kwok": True,
        STAGES_FILE: False,
    }
    found = {name: _find(name, dirs, executable) for name, executable in wanted.items()}
    missing = sorted(name for name, path in found.items() if path is None)
    if missing:
        searched = ", ".join(str(d) for d in dirs)
        raise BinariesNotFound(
            f"control-plane binaries not found: {', '.join(missing)} (searched {searched}). "
            f"Run `{SCRIPT}` from the kubify checkout to build them (Go >= 1.26, a few minutes "
            f"the first time), or point KUBIFY_BIN_DIR / KUBEBUILDER_ASSETS at a directory holding them."
        )
    paths = {name: path for name, path in found.items() if path is not None}
    return Binaries(
        etcd=paths["etcd"],
        kube_apiserver=paths["kube-apiserver"],
        kube_controller_manager=paths["kube-controller-manager"],
        kube_scheduler=paths["kube-scheduler"],
        kwok=paths["kwok"],
        kwok_stages=paths[STAGES_FILE],
    )
