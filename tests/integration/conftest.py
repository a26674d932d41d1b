"""Fixtures for tests against a real control plane (kubify.localcluster).

One cluster per test session (per xdist worker), with every pinned upstream CRD from
``<repo>/../shared/crds`` (or ``$KUBIFY_SHARED_DIR/crds``) installed and Established.
Without the binaries the tests skip locally and fail in CI (``$CI`` set): a CI run
that silently skipped them would prove nothing.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest

from kubify.localcluster import Binaries, BinariesNotFound, LocalCluster, find_binaries
from kubify.localcluster.api import ApiClient, ApiError
from kubify.localcluster.crds import crd_files, install_crds

from .helpers import NODE, shared_dir


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "realcluster: needs the local control plane binaries (scripts/control-plane-binaries)"
    )


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    """The control-plane binaries, or a skip (locally) / failure (CI) saying how to get them."""
    try:
        return find_binaries()
    except BinariesNotFound as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-cluster tests: {err}", pytrace=False)
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def cluster(binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A started cluster with all shared CRDs Established."""
    crds = shared_dir() / "crds"
    if not crds.is_dir():
        pytest.fail(f"{crds} not found; set KUBIFY_SHARED_DIR to the directory holding crds/", pytrace=False)
    with LocalCluster(tmp_path_factory.mktemp("cluster"), nodes=[NODE], binaries=binaries) as running:
        install_crds(running.api(), crd_files(crds))
        yield running


@pytest.fixture(scope="session")
def api(cluster: LocalCluster) -> ApiClient:
    """An admin client for the session's cluster."""
    return cluster.api()


@pytest.fixture
def namespace(api: ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards (without waiting for it to go)."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{stem}-{uuid.uuid4().hex[:6]}"
    api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    try:
        api.request("DELETE", f"/api/v1/namespaces/{name}")
    except ApiError as err:
        if err.status != 404:
            raise
