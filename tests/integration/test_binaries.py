"""Locating the binaries, and the pins that decide which ones are built (no cluster needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubify.localcluster import versions
from kubify.localcluster.binaries import SCRIPT, STAGES_FILE, BinariesNotFound, cache_dir, find_binaries

from .helpers import REPO

NAMES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def _fill(directory: Path, names: tuple[str, ...] = NAMES, stages: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("#!/bin/sh\n")
        (directory / name).chmod(0o755)
    if stages:
        (directory / STAGES_FILE).write_text("kind: Stage\n")
    return directory


def test_wrapper_modules_require_the_pinned_versions() -> None:
    kube = (REPO / "hack" / "kubebins" / "go.mod").read_text()
    etcd = (REPO / "hack" / "etcd" / "go.mod").read_text()
    assert re.search(rf"^require k8s\.io/kubernetes {re.escape(versions.KUBERNETES)}$", kube, re.M)
    staging = f"v0.{versions.KUBERNETES.removeprefix('v1.')}"
    replaced = re.findall(r"^\s+(k8s\.io/\S+) => \1 (\S+)$", kube, re.M)
    assert len(replaced) > 30
    assert {version for _, version in replaced} == {staging}
    assert re.search(rf"^require go\.etcd\.io/etcd/server/v3 {re.escape(versions.ETCD)}$", etcd, re.M)
    assert f'KWOK = "{versions.KWOK}"' in (REPO / "kubify" / "localcluster" / "versions.py").read_text()


def test_missing_binaries_name_the_script_that_builds_them(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "KUBEBUILDER_ASSETS": str(_fill(tmp_path / "envtest", ("etcd",)))}
    with pytest.raises(BinariesNotFound) as missing:
        find_binaries(env)
    message = str(missing.value)
    assert SCRIPT in message
    assert "kube-apiserver" in message and "kwok" in message
    assert "etcd," not in message.split("(searched", maxsplit=1)[0]


def test_kubify_bin_dir_wins_over_envtest_assets_over_the_cache(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    cache = _fill(cache_dir(env))
    assert cache == tmp_path / "cache" / "kubify" / "bin" / versions.CACHE_KEY
    assert find_binaries(env).kwok == cache / "kwok"

    envtest = _fill(tmp_path / "envtest", ("etcd", "kube-apiserver"), stages=False)
    env["KUBEBUILDER_ASSETS"] = str(envtest)
    found = find_binaries(env)
    assert (found.etcd, found.kube_apiserver, found.kube_scheduler) == (
        envtest / "etcd",
        envtest / "kube-apiserver",
        cache / "kube-scheduler",
    )

    mine = _fill(tmp_path / "mine", ("etcd",), stages=False)
    env["KUBIFY_BIN_DIR"] = str(mine)
    assert find_binaries(env).etcd == mine / "etcd"


def test_a_file_that_is_not_executable_does_not_count(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    cache = _fill(cache_dir(env))
    (cache / "kube-scheduler").chmod(0o644)
    with pytest.raises(BinariesNotFound, match="kube-scheduler"):
        find_binaries(env)
