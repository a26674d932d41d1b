"""The Dockerfile target: one multi-stage, non-root, cache-mounted Dockerfile per generated build."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubify.ir import Application, Build, Component, Evidence, Migration, Port, Run
from kubify.targets import dockerfile, migration_tools
from kubify.targets.options import LowerOptions

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
    assert json.loads(go[-1][1]) == ["/app/gateway", "--listen", ":8080"]


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
    assert "CGO_ENABLED=0" in build and build.endswith("-o /out/gateway ./cmd/gateway")
    assert ("COPY", "go.mod go.sum* ./") in parsed
    assert ("COPY", "--from=builder /out/gateway /app/gateway") in parsed


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


def go_service(name: str = "api", main: str = "./cmd/api", **update: object) -> Component:
    """A Go service as the Go analyzer describes it: MAIN_PACKAGE and CGO_ENABLED build args."""
    component = Component(
        name=name, path=".", kind="service", language="go", language_version="1.23.2",
        build=Build(generated=True, base_image="golang:1.24", args={"MAIN_PACKAGE": main, "CGO_ENABLED": "0"},
                    install=("go mod download",),
                    build=(f"go build -trimpath -ldflags='-s -w' -o /out/{name} {main}",)),
        run=Run(command=(f"/app/{name}",)), ports=(Port(port=8080),))
    return component.model_copy(update=update)


def froms(parsed: list[tuple[str, str]]) -> list[str]:
    return [a for k, a in parsed if k == "FROM"]


def index_of(parsed: list[tuple[str, str]], keyword: str, contains: str) -> int:
    return next(i for i, (k, a) in enumerate(parsed) if k == keyword and contains in a)


def test_go_builds_the_main_package_the_analyzer_names() -> None:
    parsed = instructions(render(go_service())[0])
    build = parsed[index_of(parsed, "RUN", "go build")][1]
    assert build.endswith("CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/api ./cmd/api")
    assert froms(parsed) == ["golang:1.24 AS builder", dockerfile.GO_STATIC_RUNTIME]
    assert not any(k == "ARG" for k, _ in parsed), "the analyzer's base image is used as is"
    assert json.loads(parsed[-1][1]) == ["/app/api"]


def test_main_package_wins_over_build_and_run_commands() -> None:
    odd = go_service(build=Build(generated=True, args={"MAIN_PACKAGE": "./cmd/server"},
                                 build=("go build -o bin/x ./cmd/other",)),
                     run=Run(command=("go", "run", "./cmd/other", "--verbose")))
    parsed = instructions(render(odd)[0])
    assert parsed[index_of(parsed, "RUN", "go build")][1].endswith(" ./cmd/server")
    assert json.loads(parsed[-1][1]) == ["/app/api", "--verbose"], "go run's arguments are the binary's"


def test_every_multi_cmd_component_builds_its_own_main() -> None:
    api, worker = go_service("api", "./cmd/api"), go_service("worker", "./cmd/worker", kind="worker", ports=())
    artifacts = {a.path: a.text or "" for a in dockerfile.lower(Application(name="orders", components=(api, worker)),
                                                               LowerOptions())}
    assert "-o /out/api ./cmd/api" in artifacts["api/Dockerfile"]
    assert "-o /out/worker ./cmd/worker" in artifacts["worker/Dockerfile"]
    assert "./cmd/api" not in artifacts["worker/Dockerfile"]
    assert 'CMD ["/app/worker"]' in artifacts["worker/Dockerfile"]


def test_cgo_builds_on_bookworm_and_runs_with_glibc() -> None:
    cgo = go_service(build=go_service().build.model_copy(update={"args": {"MAIN_PACKAGE": ".", "CGO_ENABLED": "1"}}))
    parsed = instructions(render(cgo)[0])
    assert froms(parsed) == ["golang:1.24-bookworm AS builder", dockerfile.GO_GLIBC_RUNTIME]
    assert "CGO_ENABLED=1 go build" in parsed[index_of(parsed, "RUN", "go build")][1]
    pinned = cgo.model_copy(update={"build": cgo.build.model_copy(update={"base_image": None})})
    assert froms(instructions(render(pinned)[0]))[0] == "golang:${GO_VERSION}-bookworm AS builder"


def test_go_workspace_copies_go_work_and_every_module_before_downloading() -> None:
    users = go_service("users", ".", path="services/users",
                       build=go_service().build.model_copy(update={"context": ".", "args": {"MAIN_PACKAGE": "."}}))
    common = Component(name="common", path="libs/common", kind="library", language="go")
    web = Component(name="web", path="web", kind="library", language="node")
    rendered = dockerfile.render(users, (users, common, web))
    assert rendered is not None
    parsed = instructions(rendered[0])
    assert ("WORKDIR", "/src/services/users/") in parsed, "the module directory is the build's working directory"
    download = index_of(parsed, "RUN", "go mod download")
    copies = [a for k, a in parsed[:download] if k == "COPY"]
    assert copies == ["go.work* /src/", "services/users/go.mod services/users/go.sum* ./",
                      "libs/common/go.mod libs/common/go.sum* /src/libs/common/"]
    assert download < parsed.index(("COPY", ". /src/")) < index_of(parsed, "RUN", "go build")


def test_replace_targets_outside_the_context_are_not_copied() -> None:
    api = go_service(path="backend/api", build=go_service().build.model_copy(update={"context": "backend"}))
    shared = Component(name="shared", path="backend/shared", kind="library", language="go")
    elsewhere = Component(name="tools", path="tools/gen", kind="cli", language="go")
    rendered = dockerfile.render(api, (api, shared, elsewhere))
    assert rendered is not None
    copies = [a for k, a in instructions(rendered[0]) if k == "COPY"]
    assert "shared/go.mod shared/go.sum* /src/shared/" in copies
    assert not any("tools" in c for c in copies)


@pytest.mark.parametrize(("tool", "command", "expected"), [
    ("golang-migrate", ("migrate", "-path", "db/migrations", "-database", "$(DATABASE_URL)", "up"),
     "--from=migrate/migrate:v4.18.1 /usr/local/bin/migrate /usr/local/bin/migrate"),
    ("goose", ("goose", "-dir", "db/migrations", "postgres", "$(DATABASE_URL)", "up"),
     "--from=builder /out/tools/goose /usr/local/bin/goose"),
    ("atlas", ("atlas", "migrate", "apply", "--dir", "file://db/migrations", "--url", "$(DATABASE_URL)"),
     f"--from={migration_tools.ATLAS_IMAGE} /atlas /usr/local/bin/atlas"),
])
def test_go_migration_tool_and_migrations_are_in_the_image(tool: str, command: tuple[str, ...],
                                                             expected: str) -> None:
    component = go_service(migrations=(Migration(tool=tool, command=command),))
    parsed = instructions(render(component)[0])
    runtime = index_of(parsed, "FROM", "distroless")
    assert index_of(parsed, "COPY", expected) > runtime
    assert ("COPY", "db/migrations/ /app/db/migrations/") in parsed[runtime:]
    assert ("WORKDIR", "/app") in parsed[runtime:], "the command's relative path resolves from /app"
    if tool == "goose":
        assert "go install" in parsed[index_of(parsed, "RUN", "goose")][1]
    expected_runtime = dockerfile.GO_GLIBC_RUNTIME if tool == "atlas" else dockerfile.GO_STATIC_RUNTIME
    assert parsed[runtime][1] == expected_runtime


def test_a_go_component_without_migrations_gets_no_migration_tool() -> None:
    text = render(go_service())[0]
    assert "migrate" not in text and "goose" not in text and "atlas" not in text


@pytest.mark.parametrize(("command", "expected"), [
    (("migrate", "-path", "db/migrations", "up"), "db/migrations"),
    (("migrate", "-path=./migrations/", "up"), "migrations"),
    (("migrate", "-source", "file://sql", "up"), "sql"),
    (("atlas", "migrate", "apply", "--dir=file://migrations"), "migrations"),
    (("sh", "-c", "goose -dir schema up"), None),
    (("migrate", "-path", "/abs/migrations", "up"), None),
    (("migrate", "-path", "../shared/migrations", "up"), None),
    (("migrate", "-path"), None),
])
def test_migrations_dir_is_read_from_the_command(command: tuple[str, ...], expected: str | None) -> None:
    assert migration_tools.migrations_dir(Migration(tool="x", command=command)) == expected


@given(st.lists(st.text(max_size=30), max_size=6))
def test_migrations_dir_is_a_safe_relative_path_or_none(command: list[str]) -> None:
    found = migration_tools.migrations_dir(Migration(tool="x", command=tuple(command)))
    assert found is None or (not found.startswith(("/", "..")) and " " not in found and "\n" not in found)


def test_node_keeps_dev_dependencies_when_a_migration_needs_its_cli() -> None:
    prisma = COMPONENTS["node"].model_copy(update={"migrations": (
        Migration(tool="prisma", command=("npx", "prisma", "migrate", "deploy")),)})
    parsed = instructions(render(prisma)[0])
    runs = [a for k, a in parsed if k == "RUN"]
    assert not any("prune" in r for r in runs), "prisma is usually a devDependency"
    assert sum("install -y --no-install-recommends openssl" in r for r in runs) == 2, "Prisma's engines need OpenSSL"
    plain = [a for k, a in instructions(render(COMPONENTS["node"])[0]) if k == "RUN"]
    assert "npm prune --omit=dev" in plain and not any("openssl" in r for r in plain)


def test_prisma_client_without_migrations_still_gets_openssl() -> None:
    client = COMPONENTS["node"].model_copy(update={"evidence": (
        Evidence(field="depends_on", value="postgres", rule="node.dependency.prisma-provider"),)})
    assert "openssl" in render(client)[0]


def test_corepack_package_manager_runs_offline_in_the_runtime() -> None:
    pnpm = COMPONENTS["node"].model_copy(update={"package_manager": "pnpm", "build": Build(
        generated=True, install=("corepack enable", "pnpm install --frozen-lockfile"), build=("pnpm run build",))})
    parsed = instructions(render(pnpm)[0])
    runtime = [i for i, (k, _) in enumerate(parsed) if k == "FROM"][-1]
    for stage in (parsed[:runtime], parsed[runtime:]):
        env = [a for k, a in stage if k == "ENV"]
        assert any("COREPACK_HOME=/opt/corepack" in a for a in env)
        enables = [a for k, a in stage if k == "RUN" and "corepack enable" in a]
        assert len(enables) == 1 and enables[0].endswith("corepack enable"), \
            "once per stage: the analyzer's own 'corepack enable' is not run again"
    assert ("COPY", "--from=builder /opt/corepack /opt/corepack") in parsed[runtime:]
    assert index_of(parsed, "ENV", "COREPACK_HOME") < index_of(parsed, "RUN", "pnpm install")


def test_python_does_not_install_the_package_manager_into_the_app_venv() -> None:
    poetry = python_api(package_manager="poetry", build=Build(generated=True, context="api", install=(
        "pip install --no-cache-dir poetry", "poetry config virtualenvs.in-project true",
        "poetry install --only main --no-root --no-interaction")))
    parsed = instructions(render(poetry)[0])
    runs = [a for k, a in parsed if k == "RUN"]
    assert not any(r.endswith("pip install --no-cache-dir poetry") for r in runs)
    assert any("/opt/tools/bin/pip install --no-cache-dir poetry==" in r for r in runs)
    assert parsed.index(("COPY", "pyproject.toml poetry.lock* ./")) < index_of(parsed, "RUN", "poetry install"), \
        "poetry config needs no source, so the lockfile layer still comes first"


@pytest.mark.parametrize(("line", "expected"), [
    ("gunicorn app:app --bind 0.0.0.0:$PORT", "exec gunicorn app:app --bind 0.0.0.0:$PORT"),
    ("python manage.py migrate && gunicorn app:app", "python manage.py migrate && gunicorn app:app"),
    ("exec node server.js", "exec node server.js"),
    ("NODE_OPTIONS=--max-old-space-size=512 node server.js", "NODE_OPTIONS=--max-old-space-size=512 node server.js"),
])
def test_a_shell_start_command_execs_the_app(line: str, expected: str) -> None:
    shell = python_api(run=Run(command=(line,), shell=True))
    assert json.loads(instructions(render(shell)[0])[-1][1]) == ["/bin/sh", "-c", expected]


def test_a_base_image_replaces_the_version_arg() -> None:
    pinned = COMPONENTS["node"].model_copy(update={"build": COMPONENTS["node"].build.model_copy(
        update={"base_image": "node:20-slim"})})
    parsed = instructions(render(pinned)[0])
    assert not any(k == "ARG" for k, _ in parsed)
    assert froms(parsed) == ["node:20-slim AS builder", "node:20-slim"]


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
