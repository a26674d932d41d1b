"""Shared samples: the research's hardened (good.yaml) and naive (bad.yaml) manifest sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubify.safeload import load_yaml_all

DATA = Path(__file__).parent / "data"


def load_sample(name: str) -> list[dict[str, Any]]:
    return [doc for doc in load_yaml_all((DATA / name).read_text(encoding="utf-8"), name) if doc]


@pytest.fixture
def good() -> list[dict[str, Any]]:
    """A fresh copy of good.yaml's objects: Deployment, Service, PDB, NetworkPolicy, ServiceAccount."""
    return load_sample("good.yaml")


@pytest.fixture
def bad() -> list[dict[str, Any]]:
    return load_sample("bad.yaml")
