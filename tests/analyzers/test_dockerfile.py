"""The Dockerfile analyzer: which Dockerfiles are components, and the IR fields (with evidence) they give."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify.analyzers.base import Analysis, Detection
from kubify.analyzers.dockerfile import ANALYZER
from kubify.analyzers.dockerfile_placement import classify
from kubify.ir import Component, EnvVar, Health, Port, Run, Volume
from kubify.scan import Inventory, scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def repo(tmp_path: Path, files: dict[str, str]) -> Inventory:
    root = tmp_path / "shop"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return scan(root)


def analyze_all(inventory: Inventory) -> list[tuple[Detection, Analysis]]:
    return [(d, ANALYZER.analyze(inventory, d)) for d in ANALYZER.detect(inventory)]


def only_component(inventory: Inventory) -> tuple[Component, Analysis]:
    results = analyze_all(inventory)
    assert len(results) == 1
    _detection, analysis = results[0]
    assert len(analysis.components) == 1
    return analysis.components[0], analysis


def lines(component: Component, field: str) -> list[tuple[str, int | None, float]]:
    return [(e.value, e.line, e.confidence) for e in component.evidence if e.field == field]


def codes(analysis: Analysis) -> list[tuple[str, int | None]]:
    return [(d.code, d.line) for d in analysis.diagnostics]


# --- the docker-multistage fixture ------------------------------------------------------------------

def test_multistage_fixture_fields_and_evidence_lines() -> None:
    inventory = scan(FIXTURES / "docker-multistage")
    detections = ANALYZER.detect(inventory)
    assert [(d.root, d.hint("dockerfile"), d.score) for d in detections] == [(".", "Dockerfile", 0.95)]
    analysis = ANALYZER.analyze(inventory, detections[0])
    component = analysis.components[0]

    assert (component.name, component.path, component.analyzer) == ("docker-multistage", ".", "dockerfile")
    assert component.build is not None
    assert (component.build.dockerfile, component.build.context, component.build.target) == ("Dockerfile", ".", None)
    assert component.build.base_image == "gcr.io/distroless/static-debian12:nonroot"
    assert component.run == Run(command=("/app/catalog", "serve"), workdir="/app", user="nonroot:nonroot")
    assert component.ports == (Port(port=8080),)
    assert component.health == Health(type="exec", command=("/app/catalog", "healthcheck"))
    assert component.volumes == (Volume(name="var-cache-catalog", path="/var/cache/catalog"),)
    assert component.env == (EnvVar(name="CATALOG_API_TOKEN", secret=True), EnvVar(name="LOG_LEVEL", default="info"),
                             EnvVar(name="PORT", default="8080"))
    assert (component.language, component.language_version) == ("go", "1.22")

    assert lines(component, "ports") == [("8080/TCP", 30, 0.95)]
    assert lines(component, "kind") == [("service", 30, 0.6)]
    assert [(e.rule, e.line) for e in component.evidence_for("run")] == [
        ("dockerfile.entrypoint", 35), ("dockerfile.cmd", 36), ("dockerfile.workdir", 25), ("dockerfile.user", 32)]
    assert lines(component, "health") == [("/app/catalog healthcheck", 33, 0.95)]
    assert lines(component, "volumes") == [("/var/cache/catalog", 31, 0.95)]
    assert lines(component, "env") == [("CATALOG_API_TOKEN", 29, 0.95), ("LOG_LEVEL", 28, 0.95), ("PORT", 27, 0.95)]
    assert lines(component, "language") == [("go", 7, 0.3)]
    assert lines(component, "build") == [("Dockerfile", 22, 0.95)]
    assert all(e.file == "Dockerfile" for e in component.evidence)
    assert analysis.diagnostics == []  # non-root user, pinned images, clean syntax


def test_secret_values_never_reach_the_ir() -> None:
    inventory = scan(FIXTURES / "docker-multistage")
    component = ANALYZER.analyze(inventory, ANALYZER.detect(inventory)[0]).components[0]
    assert "change-me" not in component.model_dump_json()


# --- which files are Dockerfiles, and which of them are components -----------------------------------

@pytest.mark.parametrize(("path", "role"), [
    ("Dockerfile", "main"), ("api/Containerfile", "main"), ("dockerfile", "main"),
    ("Dockerfile.prod", "production"), ("production.Dockerfile", "production"),
    ("Dockerfile.dev", "dev"), ("dev.Dockerfile", "dev"), ("Dockerfile.local", "dev"), ("Dockerfile.ci", "dev"),
    ("Dockerfile.test", "dev"), ("Dockerfile-dev", "dev"), ("api.dev.Dockerfile", "dev"),
    ("Dockerfile.alpine", "flavour"), ("Dockerfile.arm64", "flavour"),
    ("Dockerfile.worker", "service"), ("web.Dockerfile", "service"),
    ("Dockerfile.dockerignore", None), ("Dockerfile.j2", None), ("Dockerfile.template", None),
    ("Dockerfile.md", None), ("mydockerfile", None), ("docker-compose.yml", None),
])
def test_names_follow_skaffolds_rule_with_roles(path: str, role: str | None) -> None:
    candidate = classify(path)
    assert (candidate.role if candidate else None) == role


def test_dev_variant_is_skipped_next_to_a_production_dockerfile(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": "FROM nginx:1.27\n", "Dockerfile.dev": "FROM node:20\n"})
    assert [d.hint("dockerfile") for d in ANALYZER.detect(inventory)] == ["Dockerfile"]


def test_dev_only_dockerfile_is_used_with_a_lower_score_and_a_warning(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "web/Dockerfile.test": "FROM node:20\nCMD [\"npm\", \"test\"]\n",
        "web/Dockerfile.dev": "FROM node:20\nUSER node\nEXPOSE 5173\nCMD [\"npm\", \"run\", \"dev\"]\n",
        "web/package.json": "{}",
    })
    (detection, analysis), = analyze_all(inventory)
    assert (detection.root, detection.hint("dockerfile"), detection.score) == ("web", "web/Dockerfile.dev", 0.6)
    assert ("dockerfile.dev-only", 1) in codes(analysis)
    assert analysis.components[0].name == "web"


def test_production_variant_beats_plain_dockerfile_and_named_variants_are_components(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "Dockerfile": "FROM python:3.12\nCMD [\"flask\", \"run\", \"--debug\"]\n",
        "Dockerfile.prod": "FROM python:3.12-slim\nUSER 1000\nCMD [\"gunicorn\", \"app:app\"]\n",
        "Dockerfile.worker": "FROM python:3.12-slim\nUSER 1000\nCMD [\"celery\", \"-A\", \"app\", \"worker\"]\n",
        "Dockerfile.alpine": "FROM python:3.12-alpine\n",
        "requirements.txt": "flask\n",
    })
    results = analyze_all(inventory)
    assert [(d.root, d.hint("dockerfile")) for d, _ in results] == [
        (".", "Dockerfile.prod"), (".", "Dockerfile.worker")]
    commands = [(a.components[0].name, a.components[0].run.command if a.components[0].run else ())
                for _, a in results]
    assert commands == [("shop", ("gunicorn", "app:app")), ("worker", ("celery", "-A", "app", "worker"))]


def test_helper_variant_that_runs_nothing_is_not_a_component(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": "FROM golang:1.22\nCOPY . .\nCMD [\"app\"]\n",
                                "EmptyUbuntu.Dockerfile": "FROM ubuntu:20.04 as builder",
                                "Dockerfile.worker": "FROM golang:1.22\nCMD [\"worker\"]\n"})
    assert [d.hint("dockerfile") for d in ANALYZER.detect(inventory)] == ["Dockerfile", "Dockerfile.worker"]


@pytest.mark.parametrize("folder", ["docs", "examples/demo", "tests", "test", ".devcontainer", ".github/actions/x",
                                    "integration-test", "e2e_tests", "load-testing/k6"])
def test_dockerfiles_in_docs_examples_tests_and_devcontainers_are_not_components(tmp_path: Path,
                                                                                  folder: str) -> None:
    inventory = repo(tmp_path, {f"{folder}/Dockerfile": "FROM python:3.12\n"})
    assert ANALYZER.detect(inventory) == []


def test_folders_that_only_contain_a_test_word_are_still_components(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"contest-api/Dockerfile": "FROM python:3.12\nCMD [\"app\"]\n",
                                "attestation/Dockerfile": "FROM golang:1.22\nCMD [\"svc\"]\n",
                                "integration-test/Dockerfile": "FROM golang:1.22\nCMD [\"go\", \"test\"]\n"})
    assert sorted(d.root for d in ANALYZER.detect(inventory)) == ["attestation", "contest-api"]


def test_content_rule_first_instruction_after_args_is_from(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "a/Dockerfile": "# syntax=docker/dockerfile:1\nARG V=3.12\nFROM python:${V}\n",
        "b/Dockerfile": "#!/bin/sh\necho 'FROM is not here'\n",
        "c/Dockerfile": "RUN echo hi\nFROM alpine:3\n",
        "d/Dockerfile": "",
    })
    assert [d.root for d in ANALYZER.detect(inventory)] == ["a"]


def test_binary_garbage_named_dockerfile_is_skipped(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "Dockerfile").write_bytes(b"\x00\xff\xfe\x00FROM\x00" * 50)
    assert ANALYZER.detect(scan(root)) == []


def test_a_missing_file_is_a_diagnostic_not_a_crash(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"README.md": "# x\n"})
    analysis = ANALYZER.analyze(inventory, Detection("dockerfile", ".", 0.95, hints=(("dockerfile", "Dockerfile"),)))
    assert analysis.components == [] and [d.file for d in analysis.diagnostics] == ["Dockerfile"]


# --- placement: context and root ------------------------------------------------------------------

def test_docker_folder_dockerfile_builds_the_repository_root(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "docker/Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\nCOPY app/ /srv/app\nUSER 1\n",
        "requirements.txt": "fastapi\n",
        "app/main.py": "app = None\n",
    })
    (detection, analysis), = analyze_all(inventory)
    component = analysis.components[0]
    assert (detection.root, component.path, component.name) == (".", ".", "shop")
    assert component.build is not None
    assert (component.build.dockerfile, component.build.context) == ("docker/Dockerfile", ".")


def test_monorepo_app_keeps_its_root_but_builds_from_the_repository_context(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "apps/web/Dockerfile": ("FROM node:20-slim\nWORKDIR /repo\nCOPY package.json pnpm-lock.yaml ./\n"
                                "COPY apps/web ./apps/web\nUSER node\nCMD [\"node\", \"apps/web/server.js\"]\n"),
        "apps/web/package.json": "{}",
        "apps/web/server.js": "",
        "package.json": "{}",
        "pnpm-lock.yaml": "",
    })
    (detection, analysis), = analyze_all(inventory)
    component = analysis.components[0]
    assert (detection.root, component.name) == ("apps/web", "web")
    assert component.build is not None and component.build.context == "."


def test_self_contained_service_directory_is_its_own_context(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "services/api/Dockerfile": "FROM golang:1.22\nCOPY go.mod ./\nCOPY . .\n",
        "services/api/go.mod": "module api\n",
        "go.mod": "module root\n",
    })
    (detection, analysis), = analyze_all(inventory)
    assert detection.root == "services/api"
    assert analysis.components[0].build is not None and analysis.components[0].build.context == "services/api"


@pytest.mark.parametrize(("dockerfile", "context"), [
    # turbo prune needs the whole workspace: the context is the directory with turbo.json
    ("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN turbo prune api --docker\nCMD [\"node\", \"dist/index.js\"]\n", "."),
    # the image runs the member by its path from the workspace root
    ("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install\nCMD node apps/api/dist/index.js\n", "."),
    ("FROM node:20\nCOPY . /app\nWORKDIR /app/apps/api\nCMD [\"node\", \"dist/index.js\"]\n", "."),
    # a self-contained member that names nothing above it keeps its own context
    ("FROM node:20\nWORKDIR /usr/src/api\nCOPY . .\nCMD [\"node\", \"dist/index.js\"]\n", "apps/api"),
    ("FROM node:20\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"myapps/api/index.js\"]\n", "apps/api"),
])
def test_a_member_dockerfile_that_names_its_own_path_builds_from_the_workspace_root(tmp_path: Path,
                                                                                    dockerfile: str,
                                                                                    context: str) -> None:
    inventory = repo(tmp_path, {
        "apps/api/Dockerfile": dockerfile,
        "apps/api/package.json": "{}",
        "package.json": "{}",
        "turbo.json": "{}",
    })
    (detection, analysis), = analyze_all(inventory)
    assert detection.root == "apps/api"
    assert analysis.components[0].build is not None and analysis.components[0].build.context == context


def test_one_component_per_root(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "Dockerfile": "FROM python:3.12\n",
        "docker/Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\n",
        "requirements.txt": "flask\n",
    })
    assert [d.hint("dockerfile") for d in ANALYZER.detect(inventory)] == ["Dockerfile"]


# --- targets from compose and kubify.yaml ---------------------------------------------------------

MULTI_TARGET = (
    "FROM python:3.12-slim AS base\nWORKDIR /app\nUSER 1000\n"  # 1-3
    "FROM base AS runtime\nEXPOSE 8000\nCMD [\"gunicorn\", \"app:app\"]\n"  # 4-6
    "FROM base AS dev\nEXPOSE 5000\nCMD [\"flask\", \"run\"]\n"  # 7-9
)


def test_compose_target_and_context_are_used(tmp_path: Path) -> None:
    compose = ("services:\n  api:\n    build:\n      context: ./backend\n      dockerfile: docker/app.Dockerfile\n"
               "      target: runtime\n")
    inventory = repo(tmp_path, {"compose.yaml": compose, "backend/docker/app.Dockerfile": MULTI_TARGET,
                                "backend/requirements.txt": "gunicorn\n"})
    (detection, analysis), = analyze_all(inventory)
    component = analysis.components[0]
    assert detection.root == "backend"
    assert component.build is not None
    assert (component.build.context, component.build.target) == ("backend", "runtime")
    assert component.ports == (Port(port=8000),) and lines(component, "ports") == [("8000/TCP", 5, 0.95)]


def test_compose_dev_target_is_not_deployed_and_a_dev_last_stage_yields_to_production(tmp_path: Path) -> None:
    compose = "services:\n  api:\n    build:\n      context: .\n      target: dev\n"
    inventory = repo(tmp_path, {"docker-compose.yml": compose, "Dockerfile": MULTI_TARGET})
    component, analysis = only_component(inventory)
    assert component.build is not None and component.build.target == "runtime"
    assert component.run is not None and component.run.command == ("gunicorn", "app:app")
    assert codes(analysis) == [("dockerfile.dev-target", None), ("dockerfile.dev-last-stage", 4)]


def test_last_stage_is_the_default_target(tmp_path: Path) -> None:
    text = MULTI_TARGET.replace("AS dev", "AS web")
    component, _analysis = only_component(repo(tmp_path, {"Dockerfile": text}))
    assert component.build is not None and component.build.target is None
    assert component.run is not None and component.run.command == ("flask", "run")


def test_kubify_yaml_target_wins(tmp_path: Path) -> None:
    config = "components:\n  shop:\n    build:\n      target: runtime\n"
    inventory = repo(tmp_path, {"kubify.yaml": config, "Dockerfile": MULTI_TARGET})
    component, _analysis = only_component(inventory)
    assert component.build is not None and component.build.target == "runtime"
    assert component.run is not None and component.run.command == ("gunicorn", "app:app")


def test_unknown_target_falls_back_to_the_default_stage(tmp_path: Path) -> None:
    compose = "services:\n  api:\n    build:\n      context: .\n      target: prod\n"
    inventory = repo(tmp_path, {"compose.yaml": compose, "Dockerfile": MULTI_TARGET.replace("AS dev", "AS web")})
    component, analysis = only_component(inventory)
    assert component.build is not None and component.build.target is None
    assert "dockerfile.unknown-target" in [c for c, _ in codes(analysis)]


def test_compose_build_args_resolve_from(tmp_path: Path) -> None:
    compose = "services:\n  api:\n    build:\n      context: .\n      args:\n        - PY=3.11\n"
    inventory = repo(tmp_path, {"compose.yaml": compose, "Dockerfile": "ARG PY=3.9\nFROM python:${PY}-slim\n"})
    component, _analysis = only_component(inventory)
    assert (component.language, component.language_version) == ("python", "3.11")


# --- health, static sites, run defaults, env ------------------------------------------------------

@pytest.mark.parametrize(("check", "health"), [
    ("CMD curl -f http://localhost:8000/health || exit 1", Health(type="http", path="/health", port=8000)),
    ('CMD ["wget", "-qO-", "http://127.0.0.1:${PORT}/healthz"]', Health(type="http", path="/healthz", port=9000)),
    ("CMD curl --fail http://localhost/", Health(type="http", path="/", port=80)),
    ("CMD grpc_health_probe -addr=:50051", Health(type="grpc", port=50051)),
    ("CMD nc -z localhost 6379", Health(type="tcp", port=6379)),
    ("CMD nc -z localhost 99999", Health(type="exec", command=("/bin/sh", "-c", "nc -z localhost 99999"))),
    ("CMD curl -f http://localhost:0/", Health(type="exec", command=("/bin/sh", "-c", "curl -f http://localhost:0/"))),
    ("CMD curl -f https://example.com/", Health(type="exec", command=("/bin/sh", "-c", "curl -f https://example.com/"))),
    ('CMD ["/app/bin", "ping"]', Health(type="exec", command=("/app/bin", "ping"))),
])
def test_healthcheck_becomes_a_probe(tmp_path: Path, check: str, health: Health) -> None:
    inventory = repo(tmp_path, {"Dockerfile": f"FROM alpine:3.20\nENV PORT=9000\nUSER 1\nHEALTHCHECK {check}\n"})
    component, _analysis = only_component(inventory)
    assert component.health == health
    assert [e.line for e in component.evidence_for("health")] == [4]


def test_nginx_runtime_serving_a_node_build_is_a_static_site(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "Dockerfile": ("FROM node:20-alpine AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n"
                       "FROM nginx:1.27-alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\n"),
        "package.json": "{}",
    })
    component, analysis = only_component(inventory)
    assert (component.kind, component.ports, component.language) == ("static-site", (Port(port=80),), "node")
    assert lines(component, "ports") == [("80/TCP", 5, 0.3)]
    assert lines(component, "kind") == [("static-site", 5, 0.6)]
    assert lines(component, "language") == [("node", 1, 0.3)]
    assert ("dockerfile.root-user", 5) in codes(analysis)


def test_no_expose_leaves_kind_to_the_language_analyzers(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nUSER 1\nCMD [\"python\", \"worker.py\"]\n"})
    component, _analysis = only_component(inventory)
    assert component.evidence_for("kind") == () and component.ports == ()


def test_without_cmd_the_image_default_runs_with_weak_evidence(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1\n"})
    component, _analysis = only_component(inventory)
    assert component.run == Run(workdir="/app", user="1")
    assert {e.confidence for e in component.evidence_for("run")} == {0.3}


def test_shell_form_cmd_is_run_through_sh(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": "FROM python:3.12\nUSER 1\nCMD gunicorn app:app -b :$PORT\n"})
    component, _analysis = only_component(inventory)
    assert component.run == Run(command=("/bin/sh", "-c", "gunicorn app:app -b :$PORT"), user="1", shell=True)


def test_env_skips_system_and_unresolved_values(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": (
        "FROM python:3.12\nARG VERSION\nENV PATH=/app/.venv/bin:$PATH \\\n"
        "    APP_VERSION=$VERSION \\\n    DATABASE_URL=postgres://u:p@db/app \\\n    WORKERS=4\nUSER 1\n")})
    component, _analysis = only_component(inventory)
    assert component.env == (EnvVar(name="DATABASE_URL", secret=True), EnvVar(name="WORKERS", default="4"))
    assert lines(component, "env") == [("DATABASE_URL", 5, 0.95), ("WORKERS", 6, 0.95)]


def test_root_user_and_floating_tags_are_reported_with_lines(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": (
        "FROM node AS build\nRUN npm ci\nFROM python:latest AS unused\n"
        "FROM node:latest\nCOPY --from=build /app /app\nUSER root\nCMD [\"node\", \"/app\"]\n")})
    _component, analysis = only_component(inventory)
    assert sorted(codes(analysis)) == [("dockerfile.latest-tag", 1), ("dockerfile.latest-tag", 4),
                                       ("dockerfile.root-user", 6)]
    assert {d.severity for d in analysis.diagnostics if d.code == "dockerfile.root-user"} == {"info"}
    assert {d.severity for d in analysis.diagnostics if d.code == "dockerfile.latest-tag"} == {"warning"}


def test_syntax_problems_surface_as_diagnostics_of_the_analysis(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"Dockerfile": "FROM alpine:3.20\nUSER 1\nEXPOSE $PORT\nCOPYY a b\n"})
    _component, analysis = only_component(inventory)
    assert ("dockerfile.unknown-instruction", 4) in codes(analysis)
    assert ("dockerfile.unresolved-variable", 3) in codes(analysis)


@pytest.mark.parametrize(("dockerfile", "root"), [
    ("docker/Dockerfile", "."), ("deploy/docker/Dockerfile", "."), ("services/api/docker/Dockerfile", "services/api"),
    ("tools/Dockerfile", "tools"),
])
def test_packaging_folder_without_telling_sources_builds_the_folder_above(tmp_path: Path, dockerfile: str,
                                                                          root: str) -> None:
    inventory = repo(tmp_path, {dockerfile: "FROM python:3.12-slim\nCOPY . /app\nUSER 1\n", "main.py": ""})
    (detection, analysis), = analyze_all(inventory)
    assert detection.root == root
    assert analysis.components[0].build is not None and analysis.components[0].build.context == root


def test_service_dockerfiles_in_a_docker_folder_belong_to_the_code_they_copy(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {
        "docker/frontend.Dockerfile": ("FROM golang:1.23 AS builder\nCOPY src/frontend/go.mod src/frontend/go.sum ./\n"
                                       "COPY src/frontend .\nFROM scratch\nCOPY src/frontend/templates ./templates\n"
                                       "COPY --from=builder /out /server\nEXPOSE 8080\nENTRYPOINT [\"/server\"]\n"),
        "docker/cart.Dockerfile": "FROM node:20\nCOPY src/cart/package.json ./\nCOPY src/cart/lib ./lib\n",
        "src/frontend/go.mod": "module frontend\n", "src/frontend/go.sum": "", "src/frontend/main.go": "",
        "src/frontend/templates/home.html": "",
        "src/cart/package.json": "{}", "src/cart/lib/index.js": "",
    })
    results = analyze_all(inventory)
    found = [(d.root, a.components[0].name, a.components[0].build.context if a.components[0].build else None)
             for d, a in results]
    assert found == [("src/cart", "cart", "."), ("src/frontend", "frontend", ".")]


def test_packaging_folder_files_it_copies_keep_it_as_context(tmp_path: Path) -> None:
    inventory = repo(tmp_path, {"docker/Dockerfile": "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/\n",
                                "docker/nginx.conf": "", "index.html": ""})
    assert [d.root for d in ANALYZER.detect(inventory)] == ["docker"]


TOKENS = st.sampled_from([
    "FROM ", "python:3.12 ", "nginx ", "scratch", " AS web", "\n", "EXPOSE ", "80", "99999", "-", "/udp", "$P",
    "ENV ", "PORT=", "A_KEY=", "x ", "USER ", "root", "VOLUME ", "/data ", "[", "]", '"', "HEALTHCHECK CMD ",
    "curl http://localhost:", "/h", "grpc_health_probe -addr=:", "nc localhost ", "CMD ", "ENTRYPOINT ",
    "COPY --from=web ", "/usr/share/nginx/html", "ARG P=", "WORKDIR ", "..", "\\\n", "<<EOF", "EOF", "#",
])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(st.sampled_from(["", "FROM nginx:1.27\n", "ARG P=8080\nFROM python:3.12 AS web\n"]),
                 st.lists(TOKENS, max_size=60).map("".join)).map("".join),
       st.sampled_from(["Dockerfile", "api/Dockerfile.prod", "docker/Containerfile", "Dockerfile.dev"]))
def test_any_dockerfile_text_yields_a_valid_fragment_or_diagnostics(text: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        inventory = repo(Path(directory), {name: text, "compose.yaml": "services:\n  web:\n    build: .\n"})
        for detection, analysis in analyze_all(inventory):
            assert detection.root in (".", "api", "docker")
            for component in analysis.components:
                assert component.evidence and all(e.file == detection.hint("dockerfile") for e in component.evidence)
