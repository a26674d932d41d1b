"""The repository view survives hostile trees (research C4/C5) and never leaves the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubify.diagnostics import FileProblem
from kubify.fs import Limits, Repo
from kubify.scan import scan


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "requirements.txt").write_text("secret-internal-pkg==9.9.9\n")
    return secret


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "requirements.txt").write_text("flask==2.0.0\n")
    return root


def test_symlinks_out_of_the_tree_are_never_followed(repo: Path, outside: Path) -> None:
    (repo / "escape_dir").symlink_to(outside)
    (repo / "app" / "requirements-dev.txt").symlink_to(outside / "requirements.txt")
    (repo / "abs_link.txt").symlink_to((outside / "requirements.txt").resolve())
    (repo / "loop").symlink_to(repo)
    (repo / "dangling").symlink_to(repo / "nope")
    inventory = scan(repo)
    assert inventory.files == ("app/requirements.txt",)
    flagged = {d.file for d in inventory.diagnostics}
    assert {"escape_dir", "app/requirements-dev.txt", "abs_link.txt", "dangling"} <= flagged
    with pytest.raises(FileProblem) as problem:
        Repo(repo).read_text("app/requirements-dev.txt")
    assert problem.value.diagnostic.code == "fs.symlink-escape"


def test_links_inside_the_tree_are_read_once(repo: Path) -> None:
    (repo / "alias").symlink_to(repo / "app")
    inventory = scan(repo)
    assert inventory.files.count("app/requirements.txt") == 1
    assert len(inventory.files) == 1


def test_paths_with_dotdot_or_absolute_are_refused(repo: Path) -> None:
    for bad in ("../outside/requirements.txt", "/etc/passwd"):
        with pytest.raises(FileProblem) as problem:
            Repo(repo).read_bytes(bad)
        assert problem.value.diagnostic.code == "fs.outside-root"


def test_a_2000_level_directory_chain_ends_in_a_diagnostic(repo: Path) -> None:
    fd = os.open(repo, os.O_RDONLY)
    try:
        for _ in range(2000):  # relative mkdir/chdir: the absolute path is longer than PATH_MAX
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("requirements.txt", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    finally:
        os.close(fd)
    try:
        inventory = scan(repo, Limits(max_depth=48))
        assert "app/requirements.txt" in inventory.files
        assert any(d.code == "fs.too-deep" for d in inventory.diagnostics)
        assert max(f.count("/") for f in inventory.files) < 48
    finally:
        _remove_chain(repo / "d")


def _remove_chain(top: Path) -> None:
    """Dismantle a d/d/d/... chain one level at a time (shutil.rmtree recurses on 3.11)."""
    spare = top.with_name("spare")
    while top.exists():
        for entry in top.iterdir():
            if entry.is_dir():
                entry.rename(spare)
            else:
                entry.unlink()
        top.rmdir()
        if spare.exists():
            spare.rename(top)


def test_huge_and_binary_files_are_refused_with_a_reason(repo: Path) -> None:
    (repo / "big.txt").write_bytes(b"x" * 2048)
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    view = Repo(repo, Limits(max_file_bytes=1024))
    with pytest.raises(FileProblem) as big:
        view.read_text("big.txt")
    assert big.value.diagnostic.code == "fs.too-large"
    with pytest.raises(FileProblem) as binary:
        view.read_text("blob.bin")
    assert binary.value.diagnostic.code == "fs.binary"


def test_fifos_are_not_read(repo: Path) -> None:
    os.mkfifo(repo / "pipe")
    assert "pipe" not in scan(repo).files
    with pytest.raises(FileProblem):
        Repo(repo).read_bytes("pipe")


@pytest.mark.parametrize(("data", "encoding"), [
    ("flask==2.0\n".encode("utf-16"), "utf-16"),
    (b"\xef\xbb\xbfflask==2.0\n", "utf-8-sig"),
    ("flask==2.0\n".encode("utf-32"), "utf-32"),
    ("# caf\xe9\nflask==2.0\n".encode("latin-1"), "latin-1"),
])
def test_text_is_decoded_by_bom_then_utf8_then_latin1(repo: Path, data: bytes, encoding: str) -> None:
    (repo / "requirements.txt").write_bytes(data)
    text = Repo(repo).read_text("requirements.txt")
    assert text.encoding == encoding
    assert "flask==2.0" in text.content


def test_ignore_rules_prune_dependency_trees(repo: Path) -> None:
    for rel in ("node_modules/x/package.json", ".venv/pyvenv.cfg", "env2/pyvenv.cfg", "env2/lib/a.py",
                "build-out/gen.py", "svc/secret.key", "svc/keep.py", "docs/_site/x.html"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("x")
    (repo / ".gitignore").write_text("build-out/\n")
    (repo / "svc" / ".gitignore").write_text("*.key\n")
    (repo / ".kubifyignore").write_text("docs/\n")
    files = scan(repo).files
    assert "svc/keep.py" in files
    for pruned in ("node_modules/x/package.json", "env2/lib/a.py", "build-out/gen.py", "svc/secret.key",
                   "docs/_site/x.html"):
        assert pruned not in files


def test_file_count_cap_stops_the_walk_with_a_warning(repo: Path) -> None:
    for index in range(30):
        (repo / f"f{index}.txt").write_text("x")
    inventory = scan(repo, Limits(max_files=10))
    assert len(inventory.files) <= 11
    assert any(d.code == "fs.too-many-files" for d in inventory.diagnostics)


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileProblem) as problem:
        scan(tmp_path / "nope")
    assert problem.value.diagnostic.code == "fs.not-a-directory"
