"""The Dockerfile target: one multi-stage, non-root, cache-mounted Dockerfile per generated build."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kubify.targets import dockerfile
from kubify.targets.options import LowerOptions

from kubify.ir import Application, Build, Component, Port, Run

INSTRUCTIONS = frozenset({"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
                          "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"})


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; fails on anything that is not Dockerfile syntax."""
    lines: Iterator[str] = iter(text.splitlines())
    result: list[tuple[str, str]] = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        while line.endswith("\\"):
            line = line[:-1].rstrip() + " " + next(lines).strip()
        keyword, _, arguments = line.partition(" ")
        assert keyword in INSTRUCTIONS, f"not an instruction: {raw!r}"
        heredoc = re.search(r"<<-?'?([A-Za-z_]+)'?", arguments)
        if heredoc:
            for body in lines:
                if body.strip() == heredoc.group(1):
                    break
            else:
                pytest.fail(f"unterminated heredoc {heredoc.group(1)}")
        result.append((keyword, arguments))
    return result


def python_api(**update: object) -> Component:
    component = Component(
        name="api", path="api", kind="service", language="python", language_version="3.12.4", package_manager="uv",
        build=Build(generated=True, context="api", install=("uv sync --frozen --no-dev --no-install-project",)),
        run=Run(command=("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000")),
        ports=(Port(port=8000),))
    return component.model_copy(update=update)


COMPONENTS = {
    "python": python_api(),
    "node": Component(name="web", path="web", kind="service", language="typescript", language_version=">=20",
                      package_manager="npm",
                      build=Build(generated=True, context=".", install=("npm ci",), build=("npm run build",)),
                      run=Run(command=("node", "dist/server.js")), ports=(Port(port=3000),)),
    "go": Component(name="gateway", path="svc", kind="service", language="go", language_version="1.23",
                    build=Build(generated=True, context="svc", build=("go build -o bin/gw ./cmd/gateway",)),
                    run=Run(command=("./bin/gw", "--listen", ":8080")), ports=(Port(port=8080),)),
    "static": Component(name="site", path="site", kind="static-site", language="javascript", framework="vite",
                        package_manager="pnpm",
                        build=Build(generated=True, context="site", build=("pnpm run build",), output_dir="dist"),
                        ports=(Port(port=8080),)),
    "worker": Component(name="jobs", path=".", kind="worker", language="python", package_manager="poetry",
                        build=Build(generated=True), run=Run(command=("celery", "-A", "tasks", "worker"))),
}


def render(component: Component) -> tuple[str, str]:
    rendered = dockerfile.render(component)
    assert rendered is not None
    return rendered


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_every_dockerfile_is_multi_stage_non_root_and_starts_in_exec_form(name: str) -> None:
    component = COMPONENTS[name]
    text, ignore = render(component)
    assert text.startswith("# syntax=docker/dockerfile:1.7\n")
    parsed = instructions(text)
    keywords = [k for k, _ in parsed]
    assert keywords.count("FROM") >= (1 if name == "static" and not component.build else 2)
    users = [a for k, a in parsed if k == "USER"]
    assert users and users[-1].split(":")[0] == "10001", "the final stage runs as 10001"
    assert "HEALTHCHECK" not in keywords
    command = json.loads(next(a for k, a in reversed(parsed) if k == "CMD"))
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    for port in component.ports:
        assert ("EXPOSE", str(port.port)) in parsed
        assert any(k == "ENV" and f"PORT={port.port}" in a for k, a in parsed)
    assert any(k == "RUN" and "--mount=type=cache" in a for k, a in parsed), "BuildKit cache mounts"
    assert not re.search(r"FROM \S+:latest\b", text)
    assert ".env" in ignore and ".git" in ignore


def test_run_command_is_the_cmd() -> None:
    parsed = instructions(render(COMPONENTS["python"])[0])
    assert json.loads(parsed[-1][1]) == ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    go = instructions(render(COMPONENTS["go"])[0])
    assert json.loads(go[-1][1]) == ["/app", "--listen", ":8080"]


def test_python_venv_is_built_then_copied_into_a_slim_runtime() -> None:
    text = render(COMPONENTS["python"])[0]
    parsed = instructions(text)
    assert ("ARG", "PYTHON_VERSION=3.12.4") in parsed
    froms = [a for k, a in parsed if k == "FROM"]
    assert froms == ["python:${PYTHON_VERSION}-slim AS builder", "python:${PYTHON_VERSION}-slim"]
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in parsed
    copies = [a for k, a in parsed if k == "COPY"]
    install = next(i for i, (k, a) in enumerate(parsed) if k == "RUN" and "uv sync" in a)
    assert parsed.index(("COPY", "pyproject.toml uv.lock* ./")) < install < parsed.index(("COPY", ". /app/")), \
        "lockfile first, source after: the dependency layer survives code edits"
    assert any(a.startswith("--from=ghcr.io/astral-sh/uv:") for a in copies)
    assert "--mount=type=cache,target=/root/.cache/uv" in text


def test_install_that_needs_the_project_copies_the_source_first() -> None:
    project = python_api(package_manager="pip", build=Build(generated=True, context="api",
                                                            install=("pip install .",)))
    parsed = instructions(render(project)[0])
    copy_all = parsed.index(("COPY", ". /app/"))
    install = next(i for i, (k, a) in enumerate(parsed) if k == "RUN" and "pip install ." in a)
    assert copy_all < install


def test_requirements_in_a_folder_bring_the_folder() -> None:
    nested = python_api(package_manager="pip", build=Build(generated=True, context="api",
                                                           install=("pip install -r requirements/prod.txt",)))
    assert ("COPY", "requirements/ ./requirements/") in instructions(render(nested)[0])


def test_poetry_is_installed_outside_the_app_venv() -> None:
    parsed = instructions(render(COMPONENTS["worker"])[0])
    tool = next(a for k, a in parsed if k == "RUN" and "poetry==" in a)
    assert "/opt/tools/bin/pip install" in tool
    assert any(k == "RUN" and "poetry install --only main --no-root" in a for k, a in parsed)
    assert not any(k == "EXPOSE" for k, _ in parsed), "a worker without ports exposes nothing"


def test_node_prunes_dev_dependencies_and_uses_the_lockfile_install() -> None:
    parsed = instructions(render(COMPONENTS["node"])[0])
    runs = [a for k, a in parsed if k == "RUN"]
    assert runs[0] == "--mount=type=cache,target=/root/.npm npm ci"
    assert runs[1:] == ["npm run build", "npm prune --omit=dev"]
    assert ("ARG", "NODE_VERSION=22") in parsed, ">=20 is satisfied by the newer default"
    assert ("WORKDIR", "/app/web/") in parsed, "a component below the context runs from its own folder"


def test_go_builds_a_static_binary_on_distroless() -> None:
    text = render(COMPONENTS["go"])[0]
    parsed = instructions(text)
    assert [a for k, a in parsed if k == "FROM"][-1] == "gcr.io/distroless/static-debian12:nonroot"
    build = next(a for k, a in parsed if k == "RUN" and "go build" in a)
    assert "CGO_ENABLED=0" in build and build.endswith("-o /out/app ./cmd/gateway")
    assert ("COPY", "go.mod go.sum* ./") in parsed


def test_static_site_is_served_by_unprivileged_nginx_with_spa_fallback() -> None:
    text = render(COMPONENTS["static"])[0]
    parsed = instructions(text)
    assert [a for k, a in parsed if k == "FROM"][-1].startswith("nginxinc/nginx-unprivileged:")
    assert ("COPY", "--from=builder /app/dist/ /usr/share/nginx/html/") in parsed
    assert "try_files $uri $uri/ /index.html;" in text
    assert ("EXPOSE", "8080") in parsed
    assert "RUN corepack enable" in text
    prebuilt = COMPONENTS["static"].model_copy(update={"framework": None, "build": Build(
        generated=True, context="site", output_dir="public")})
    plain = render(prebuilt)[0]
    assert [k for k, _ in instructions(plain)].count("FROM") == 1
    assert "COPY public /usr/share/nginx/html/" in plain and "=404;" in plain


def test_only_generated_builds_of_runnable_kinds_get_a_dockerfile() -> None:
    existing = python_api(name="legacy", build=Build(dockerfile="Dockerfile"))
    library = python_api(name="sdk", kind="library")
    ruby = python_api(name="rails", language="ruby", package_manager="bundler")
    app = Application(name="mono", components=(COMPONENTS["python"], existing, library, ruby))
    artifacts = dockerfile.lower(app, LowerOptions())
    assert [a.path for a in artifacts] == ["api/Dockerfile", "api/Dockerfile.dockerignore"]
    assert all(a.kind == "text" and a.text for a in artifacts)
    assert dockerfile.lower(app, LowerOptions()) == artifacts


def test_missing_start_command_fails_loudly() -> None:
    silent = python_api(run=None)
    command = json.loads(instructions(render(silent)[0])[-1][1])
    assert command[:2] == ["/bin/sh", "-c"] and "exit 1" in command[2]


@pytest.mark.parametrize(("language", "pin", "expected"), [
    ("python", "3.11", "3.11"),
    ("python", "3.12.4", "3.12.4"),
    ("python", ">=3.9", "3.12"),
    ("python", ">=3.13", "3.13"),
    ("python", "python-3.10.2", "3.10.2"),
    ("python", None, "3.12"),
    ("node", "20.11.1", "20.11"),
    ("node", "^18", "22"),
    ("node", "lts/iron", "22"),
    ("go", "1.22.0", "1.22.0"),
    ("go", "1.21", "1.21"),
])
def test_version_pins(language: str, pin: str | None, expected: str) -> None:
    assert dockerfile.version(language, pin) == expected


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5))
def test_cmd_is_always_valid_json_exec_form(command: list[str]) -> None:
    text = render(python_api(run=Run(command=tuple(command))))[0]
    assert json.loads(instructions(text)[-1][1]) == command
