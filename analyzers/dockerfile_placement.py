"""Which Dockerfiles describe components, and where each component and its build context are.

* Names: ``Dockerfile``, ``Containerfile``, ``Dockerfile.<variant>`` and ``<variant>.Dockerfile``
  (Skaffold's rule, plus ``-``/``_`` separators). Templates and ignore files are not Dockerfiles.
* Variants: ``prod``/``production`` beat a plain ``Dockerfile`` in the same directory;
  ``dev``/``test``/``local``/``ci`` images are used only when nothing else is there;
  flavours of one image (``alpine``, ``arm64``, ``gpu``…) only when there is no main one;
  any other variant (``Dockerfile.worker``) is a component of its own.
* Places: documentation, examples, tests, CI config and dev containers hold no components.
* Context: a compose file that builds the Dockerfile says where its context is; otherwise
  the directory (the Dockerfile's own, or an ancestor) in which most of its COPY sources exist.
* Root: the Dockerfile's directory when that holds the code (a manifest), else the code
  directory everything it copies lives in, else the context — so ``docker/Dockerfile``
  describes the repository root and ``docker/web.Dockerfile`` copying ``src/web`` describes ``src/web``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from kubify.analyzers.dockerfile_model import DockerfileModel
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join, parent, relative_to

IGNORED_DIRS: frozenset[str] = frozenset({
    "docs", "doc", "examples", "example", "samples", "sample", "test", "tests", "testdata", "fixtures",
    "__tests__", "e2e", ".devcontainer", ".github", ".gitlab", ".circleci", ".vscode",
})
#: A folder whose name has one of these words (``integration-test``, ``e2e-tests``) holds test harnesses.
_TEST_TOKENS: frozenset[str] = frozenset({"test", "tests", "testing", "e2e", "testdata"})
_PATH_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "WORKDIR"})
_TURBO_PRUNE = re.compile(r"\bturbo\s+prune\b")
COMPOSE_FILES: tuple[str, ...] = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
#: Folders that hold build files for code that lives above them (``docker/Dockerfile``).
PACKAGING_DIRS: frozenset[str] = frozenset({
    "docker", ".docker", "dockerfiles", "container", "containers", "build", "deploy", "deployment", "deployments",
    "packaging", "infra", "ops", "ci", ".ci",
})
#: Files that mean "the code of an application lives in this directory".
MANIFESTS: tuple[str, ...] = (
    "package.json", "pyproject.toml", "requirements.txt", "setup.py", "Pipfile", "go.mod", "Cargo.toml",
    "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile", "composer.json", "mix.exs", "deno.json",
)

_NAME = re.compile(r"^(?:(?P<before>.+?)[._-])?(?:dockerfile|containerfile)(?:[._-](?P<after>.+))?$", re.IGNORECASE)
_NOT_DOCKERFILE = frozenset({
    "dockerignore", "md", "txt", "j2", "jinja", "jinja2", "tmpl", "tpl", "template", "in", "erb", "sh", "bak",
    "orig", "swp", "old", "disabled", "example", "sample", "yml", "yaml", "json", "py", "lock",
})
_DEV = frozenset({"dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci", "debug",
                  "e2e", "devcontainer", "gitpod", "codespaces", "hotreload", "watch"})
_PRODUCTION = frozenset({"prod", "production", "release", "deploy", "dist"})
_FLAVOURS = frozenset({
    "alpine", "slim", "debian", "ubuntu", "bullseye", "bookworm", "buster", "jammy", "focal", "noble", "windows",
    "win", "nanoserver", "servercore", "arm", "arm64", "armhf", "armv7", "amd64", "aarch64", "x86", "x64", "i386",
    "ppc64le", "s390x", "gpu", "cuda", "cpu", "rocm", "musl", "glibc", "distroless", "static", "rhel", "ubi",
    "centos", "fedora", "nvidia", "multiarch", "cross", "base", "builder", "build", "deps", "scratch", "full",
    "minimal",
})
#: Dev-image names in order of preference when only dev images exist.
_DEV_ORDER = ("local", "dev", "development", "develop", "devel")
_DEV_TARGET = re.compile(r"(^|[-_.])(dev|develop|development|debug|test|testing|tests|local)($|[-_.])",
                         re.IGNORECASE)
_PRODUCTION_TARGET = re.compile(r"(^|[-_.])(prod|production|release|runtime|final|runner)($|[-_.])", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A file named like a Dockerfile, and what its name says it is for."""

    path: str
    role: str  # "main" | "production" | "service" | "flavour" | "dev"
    variant: str | None = None


@dataclass(frozen=True)
class ComposeBuild:
    """A compose service that builds a Dockerfile: its context, target and build args."""

    file: str
    service: str
    context: str
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)


def classify(path: str) -> Candidate | None:
    """The candidate a file name describes, or None when it is not a Dockerfile by name."""
    match = _NAME.match(PurePosixPath(path).name)
    if match is None:
        return None
    variant = match.group("before") or match.group("after")
    if variant is None:
        return Candidate(path, "main")
    tokens = [t for t in re.split(r"[._-]+", variant.lower()) if t]
    if not tokens or tokens[-1] in _NOT_DOCKERFILE:
        return None
    if any(t in _DEV for t in tokens):
        role = "dev"
    elif any(t in _PRODUCTION for t in tokens):
        role = "production"
    elif all(t in _FLAVOURS or t.isdigit() for t in tokens):
        role = "flavour"
    else:
        role = "service"
    return Candidate(path, role, variant)


def in_ignored_dir(path: str) -> bool:
    """Under docs/examples/tests — including compound test folders (``integration-test``, ``e2e_tests``)."""
    return any(part.lower() in IGNORED_DIRS or _is_test_dir(part) for part in PurePosixPath(path).parts[:-1])


def _is_test_dir(part: str) -> bool:
    return any(token in _TEST_TOKENS for token in re.split(r"[-_.]", part.lower()))


def select(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The Dockerfiles of one directory that describe components (see the module docstring)."""
    by_role: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: (PurePosixPath(c.path).name.lower() != "dockerfile", c.path)):
        by_role.setdefault(candidate.role, []).append(candidate)
    chosen = by_role.get("production", [])[:1] or by_role.get("main", [])[:1]
    chosen += by_role.get("service", [])
    if not chosen:
        chosen = by_role.get("flavour", [])[:1]
    if not chosen and by_role.get("dev"):
        chosen = [min(by_role["dev"], key=_dev_rank)]
    return chosen


def _dev_rank(candidate: Candidate) -> tuple[int, str]:
    tokens = re.split(r"[._-]+", (candidate.variant or "").lower())
    ranks = [_DEV_ORDER.index(t) for t in tokens if t in _DEV_ORDER]
    return (min(ranks) if ranks else len(_DEV_ORDER), candidate.path)


def is_dev_target(target: str) -> bool:
    """A stage name like ``dev`` or ``test``: compose often builds it for local work, not production."""
    return bool(_DEV_TARGET.search(target))


def is_production_target(target: str) -> bool:
    """A stage name like ``production``, ``runtime`` or ``final``."""
    return bool(_PRODUCTION_TARGET.search(target))


def compose_build(inventory: Inventory, dockerfile: str) -> ComposeBuild | None:
    """The first compose service (by file, then service name) whose build uses ``dockerfile``."""
    for rel in inventory.named(*COMPOSE_FILES):
        if in_ignored_dir(rel):
            continue
        try:
            document = inventory.yaml(rel)
        except FileProblem:
            continue  # the compose reader reports it
        services = document.get("services") if isinstance(document, dict) else None
        if not isinstance(services, dict):
            continue
        for name in sorted(services, key=str):
            build = _compose_service_build(rel, str(name), services[name])
            if build is not None and _dockerfile_of(build, services[name]) == dockerfile:
                return build
    return None


def _compose_service_build(file: str, name: str, service: Any) -> ComposeBuild | None:
    build = service.get("build") if isinstance(service, dict) else None
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        return None
    context = _inside(parent(file), str(build.get("context", ".")))
    if context is None:
        return None
    target = build.get("target")
    return ComposeBuild(file=file, service=name, context=context, target=str(target) if target else None,
                        args=_compose_args(build.get("args")))


def _dockerfile_of(build: ComposeBuild, service: Any) -> str | None:
    spec = service.get("build") if isinstance(service, dict) else None
    name = spec.get("dockerfile", "Dockerfile") if isinstance(spec, dict) else "Dockerfile"
    return _inside(build.context, str(name))


def _compose_args(args: Any) -> dict[str, str]:
    if isinstance(args, dict):
        return {str(k): str(v) for k, v in args.items() if v is not None}
    if isinstance(args, list):
        pairs = (str(item).partition("=") for item in args)
        return {k: v for k, eq, v in pairs if eq}
    return {}


def _inside(base: str, relative: str) -> str | None:
    """``relative`` resolved against ``base``; None for URLs and paths that leave the repository."""
    if "://" in relative or relative.startswith(("/", "git@")):
        return None
    resolved = posixpath.normpath(join(base, relative))
    return None if resolved == ".." or resolved.startswith("../") else resolved


def infer_context(inventory: Inventory, dockerfile: str, model: DockerfileModel) -> str:
    """The directory, from the Dockerfile's own up to the root, where most COPY sources exist
    (the nearest wins a tie, so a self-contained directory keeps its own context). When the
    sources do not decide (``COPY . .``) a Dockerfile in a packaging folder such as ``docker/``
    builds the directory above it, as ``docker build -f docker/Dockerfile .`` does."""
    sources = _local_sources(model)
    directory = parent(dockerfile)
    best, best_score = directory, _present(inventory, directory, sources)
    candidate = directory
    while candidate != ".":
        candidate = parent(candidate)
        score = _present(inventory, candidate, sources)
        if score > best_score:
            best, best_score = candidate, score
    if best == directory and (named := _context_naming_directory(inventory, directory, model)) is not None:
        return named
    if best == directory and not _has_manifest(inventory, directory):
        above = _outside_packaging(directory)
        if above != directory and _present(inventory, above, sources) >= best_score:
            return above
    return best


def _context_naming_directory(inventory: Inventory, directory: str, model: DockerfileModel) -> str | None:
    """The workspace root for a monorepo member's Dockerfile built from there: it runs ``turbo prune`` or
    names its own directory from above (``CMD node apps/api/dist/index.js``, ``WORKDIR /app/apps/api``)."""
    words = " ".join(" ".join(i.args) for i in model.instructions if i.keyword in _PATH_KEYWORDS)
    ancestors = []
    candidate = directory
    while candidate != ".":
        candidate = parent(candidate)
        ancestors.append(candidate)
    if _TURBO_PRUNE.search(words):
        return next((a for a in ancestors if inventory.has(join(a, "turbo.json"))), None)
    for ancestor in reversed(ancestors):  # the farthest ancestor names the longest, least ambiguous path
        below = relative_to(directory, ancestor)
        if "/" in below and re.search(rf"(?<![\w.-]){re.escape(below)}(?:/|\b)", words):
            return ancestor
    return None


def _outside_packaging(directory: str) -> str:
    """The nearest ancestor of ``directory`` that is not inside a packaging folder."""
    parts = PurePosixPath(directory).parts if directory != "." else ()
    while parts and parts[-1].lower() in PACKAGING_DIRS:
        parts = parts[:-1]
    return str(PurePosixPath(*parts)) if parts else "."


def _has_manifest(inventory: Inventory, directory: str) -> bool:
    return any(inventory.has(join(directory, name)) for name in MANIFESTS)


def _local_sources(model: DockerfileModel) -> list[str]:
    """COPY/ADD sources that name files of the build context (no stage, URL, heredoc or variable)."""
    sources = []
    for image in model.images:
        for step in image.copies:
            if step.source_stage is not None or step.keyword == "RUN":
                continue
            for source in step.sources:
                cleaned = source.strip("/").removeprefix("./").rstrip("/")
                if cleaned and cleaned != "." and not source.startswith("<<") and "://" not in source:
                    sources.append(cleaned)
    return sorted(set(sources))


def _present(inventory: Inventory, base: str, sources: list[str]) -> int:
    count = 0
    for source in sources:
        if any(ch in source for ch in "*?["):
            count += bool(inventory.glob(source, under=base))
        else:
            rel = join(base, source)
            count += inventory.has(rel) or inventory.has_dir(rel)
    return count


def component_root(inventory: Inventory, dockerfile: str, context: str, model: DockerfileModel) -> str:
    """Where the component's code is: the Dockerfile's directory when it holds a manifest; else
    the nearest directory with a manifest above everything the Dockerfile copies (a
    ``docker/frontend.Dockerfile`` that copies ``src/frontend``); else the build context."""
    directory = parent(dockerfile)
    if _has_manifest(inventory, directory):
        return directory
    copied = [join(context, source) for source in _local_sources(model)]
    present = [path if inventory.has_dir(path) else parent(path) for path in copied
               if inventory.has(path) or inventory.has_dir(path)]
    if not present:
        return context
    common = posixpath.commonpath(present) or "."
    while common != context and common.startswith("" if context == "." else context + "/"):
        if _has_manifest(inventory, common):
            return common
        common = parent(common)
    return context
