"""One repository with every attack of the research corpus (C4/C5), compiled end to end.

The run must finish, name each problem with its file, never read outside the tree, and
still understand the honest part of the repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubify import emit, explain, pipeline

OUTSIDE_SECRET = "secret-internal-pkg==9.9.9"
BOMB = "\n".join(["apiVersion: v2", "name: bomb", "version: 0.1.0", f"l0: &l0 [{', '.join(['lol'] * 9)}]"]
                 + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]) + "\n"


def chain(top: Path, depth: int) -> None:
    """A ``d/d/d/...`` chain deeper than PATH_MAX allows as one absolute path."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        with os.fdopen(os.open("requirements.txt", os.O_CREAT | os.O_WRONLY, dir_fd=fd), "w") as handle:
            handle.write("django\n")
    finally:
        os.close(fd)


def unchain(top: Path) -> None:
    spare = top.with_name("spare")
    while top.exists():
        for entry in top.iterdir():
            entry.rename(spare) if entry.is_dir() else entry.unlink()
        top.rmdir()
        if spare.exists():
            spare.rename(top)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "requirements.txt").write_text(OUTSIDE_SECRET + "\n")
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "requirements.txt").write_bytes("flask==3.0.0\ngunicorn==22.0.0\n".encode("utf-16"))
    (repo / "app" / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n\n"
                                         "@app.get('/healthz')\ndef health():\n    return 'ok'\n")
    (repo / "app" / "requirements-dev.txt").symlink_to(outside / "requirements.txt")
    (repo / "vendored").symlink_to(outside)
    (repo / "loop").symlink_to(repo)
    (repo / "charts" / "bomb").mkdir(parents=True)
    (repo / "charts" / "bomb" / "Chart.yaml").write_text(BOMB)
    (repo / "web" / "tools").mkdir(parents=True)
    (repo / "web" / "package.json").write_text(json.dumps({"name": "web", "scripts": {"start": "node server.js"},
                                                          "dependencies": {"express": "^4.19.0"}}))
    (repo / "web" / "package-lock.json").write_text('{"name": "web", "lockfileVersion": 3, "packages": {"": {')
    (repo / "web" / "server.js").write_text("require('express')().listen(process.env.PORT || 3000);\n")
    (repo / "web" / "tools" / "package.json").write_text("[" * 60_000 + "]" * 60_000)
    (repo / "web" / "tsconfig.json").write_bytes(b"\x00\x01binary\x00" * 100)
    (repo / "big").mkdir()
    (repo / "big" / "requirements.txt").write_text("flask\n" + "# padding\n" * 700_000)
    (repo / "big" / "main.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (repo / "deep").mkdir()
    chain(repo / "deep", 2000)
    yield repo
    unchain(repo / "deep" / "d")


def test_a_hostile_repository_compiles_safely(hostile: Path) -> None:
    result = pipeline.compile_repository(hostile, pipeline.BuildOptions())
    rendered = "".join(d.render() for d in result.diagnostics)
    everything = rendered + explain.render(result.inference.application, "json") + \
        "".join(emit.files(result.artifacts).values())
    assert OUTSIDE_SECRET not in everything
    assert not [d for d in result.diagnostics if d.code.startswith("internal.")], rendered
    codes = {(d.code, d.file) for d in result.diagnostics}
    assert ("yaml.bomb", "charts/bomb/Chart.yaml") in codes
    assert ("fs.symlink-escape", "app/requirements-dev.txt") in codes
    assert ("fs.symlink-escape", "vendored") in codes
    assert any(code == "fs.too-deep" for code, _ in codes)
    components = {c.path: c for c in result.inference.application.components}
    assert components["app"].framework == "flask", "the UTF-16 requirements were read"
    assert components["web"].ports[0].port == 3000, "a truncated lockfile does not hide the app"
    assert ("fs.too-large", "big/requirements.txt") in codes, "an unread file is always reported"
    assert ("json.too-deep", "web/tools/package.json") in codes
