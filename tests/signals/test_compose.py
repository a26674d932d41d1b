"""The compose signal: records parsed from compose files, and the IR fragments made from them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify import emit, explain, pipeline
from kubify.ir import Build, Dependency, Health
from kubify.scan import scan
from kubify.signals import compose
from kubify.signals.compose_syntax import (
    cpu_quantity,
    interpolate,
    memory_quantity,
    parse_command,
    parse_environment,
    parse_healthcheck,
    parse_ports,
    parse_volumes,
)
from kubify.signals.images import backing_kind, backing_version, is_dev_tool

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "compose-app"
SECRET_VALUE = "correct-horse-battery-staple"


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """1-based line of the first ``needle`` (after the first ``after``) in a fixture file."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def services_of(root: Path) -> dict[str, compose.ComposeService]:
    return {s.name: s for s in compose.read_compose(scan(root)).services}


# --- the fixture ----------------------------------------------------------------------------

def test_fixture_records_merge_the_override_as_docker_does() -> None:
    read = compose.read_compose(scan(FIXTURE))
    assert read.files == ("docker-compose.yml", "docker-compose.override.yml")
    services = {s.name: s for s in read.services}
    assert sorted(services) == ["adminer", "cache", "db", "mailhog", "web", "worker"]
    web = services["web"]
    assert web.build == compose.ComposeBuild(context="web", dockerfile="web/Dockerfile", target=None,
                                             args={"PYTHON_VERSION": "3.12"})
    assert [(p.port, p.protocol) for p in web.ports] == [(8000, "TCP"), (5678, "TCP")]  # override appends
    env = {e.name: e for e in web.environment}
    assert env["FLASK_DEBUG"].value == "1"  # from the override
    assert env["LOG_LEVEL"].value == "info"  # ${LOG_LEVEL:-info}, merged from the x-app-env anchor
    assert env["DATABASE_PASSWORD"].secret and env["DATABASE_PASSWORD"].value is None
    assert env["SECRET_KEY"].value is None
    assert web.healthcheck is not None and (web.healthcheck.http_path, web.healthcheck.http_port) == ("/healthz", 8000)
    assert [(d.service, d.condition) for d in web.depends_on] == [("db", "service_healthy"),
                                                                   ("cache", "service_started")]
    assert {(v.kind, v.source, v.target) for v in web.volumes} == {("bind", "./web", "/app"),
                                                                   ("volume", "uploads", "/app/uploads")}
    assert web.restart == "unless-stopped"
    worker = services["worker"]
    assert worker.command is not None and worker.command.argv[:3] == ("python", "-m", "worker")
    assert worker.deploy is not None and (worker.deploy.replicas, worker.deploy.cpu_limit,
                                          worker.deploy.memory_limit) == (2, "500m", "256Mi")
    assert services["mailhog"].file == "docker-compose.override.yml"


def test_fixture_lines_point_at_the_service_and_its_attributes() -> None:
    services = services_of(FIXTURE)
    main = FIXTURE / "docker-compose.yml"
    web = services["web"]
    assert (web.file, web.line) == ("docker-compose.yml", line_of(main, "  web:"))
    assert web.where("build") == ("docker-compose.yml", line_of(main, "build:", after="  web:"))
    assert web.where("healthcheck") == ("docker-compose.yml", line_of(main, "healthcheck:", after="  web:"))
    assert web.where("environment.SECRET_KEY") == ("docker-compose.yml", line_of(main, "SECRET_KEY:"))
    override = FIXTURE / "docker-compose.override.yml"
    assert web.where("environment.FLASK_DEBUG") == ("docker-compose.override.yml", line_of(override, "FLASK_DEBUG"))
    assert web.where("ports")[0] == "docker-compose.yml"  # merged lists keep the first file's line


def test_fixture_fragments_components_and_backing_services() -> None:
    components, services, notes = compose.compose_fragments(scan(FIXTURE))
    by_name = {c.name: c for c in components}
    assert sorted(by_name) == ["web", "worker"]
    web, worker = by_name["web"], by_name["worker"]
    assert (web.path, web.kind, web.analyzer) == ("web", "service", "compose")
    assert web.build == Build(dockerfile="web/Dockerfile", context="web", args={"PYTHON_VERSION": "3.12"})
    assert web.run is not None and web.run.command[0] == "gunicorn"
    assert web.health == Health(type="http", path="/healthz", port=8000)
    assert set(web.depends_on) == {Dependency(service="postgres"), Dependency(service="redis")}
    assert [v.name for v in web.volumes] == ["uploads"]  # the bind mount of the source is dropped
    assert (worker.path, worker.kind) == ("worker", "worker")
    assert worker.scaling.min_replicas == 2
    assert {(s.name, s.kind, s.version, s.image) for s in services} == {
        ("db", "postgres", "16", "postgres:16-alpine"), ("cache", "redis", "7", "redis:7-alpine")}
    skipped = {d.message.split("'")[1] for d in notes if d.code == "compose.dev-tool"}
    assert skipped == {"adminer", "mailhog"}
    assert all(d.severity == "info" for d in notes if d.code == "compose.dev-tool")


def test_every_fragment_field_has_evidence_at_a_compose_line() -> None:
    components, services, _notes = compose.compose_fragments(scan(FIXTURE))
    main = FIXTURE / "docker-compose.yml"
    web = next(c for c in components if c.name == "web")
    for field in ("build", "run", "ports", "env", "health", "depends_on", "volumes", "kind"):
        evidence = web.evidence_for(field)
        assert evidence, field
        assert all(e.file in ("docker-compose.yml", "docker-compose.override.yml") and e.line for e in evidence)
    build = web.evidence_for("build")[0]
    assert (build.line, build.confidence) == (line_of(main, "build:", after="  web:"), 0.95)
    db = next(s for s in services if s.name == "db")
    assert db.evidence[0].line == line_of(main, "image: postgres")


def test_the_secret_value_appears_nowhere() -> None:
    components, services, notes = compose.compose_fragments(scan(FIXTURE))
    records = compose.read_compose(scan(FIXTURE))
    parsed = repr(records) + repr(components) + repr(services) + "".join(d.render() for d in notes)
    assert SECRET_VALUE not in parsed
    result = pipeline.compile_repository(FIXTURE, pipeline.BuildOptions(registry="registry.example.com/acme"))
    output = explain.render(result.inference.application, "json") + "".join(d.render() for d in result.diagnostics)
    output += "".join(emit.files(result.artifacts).values())
    assert "DATABASE_PASSWORD" in output  # the name is wired...
    assert SECRET_VALUE not in output  # ...its value never is


def test_unresolved_variables_are_one_warning_with_their_line() -> None:
    read = compose.read_compose(scan(FIXTURE))
    [note] = [d for d in read.diagnostics if d.code == "compose.unresolved-variable"]
    assert note.severity == "warning" and "SECRET_KEY" in note.message
    assert note.line == line_of(FIXTURE / "docker-compose.yml", "${SECRET_KEY}")


# --- attribute syntax -----------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    (["3000"], [(3000, "TCP")]),
    ([3000], [(3000, "TCP")]),
    (["8080:80"], [(80, "TCP")]),
    (["127.0.0.1:8080:80/udp"], [(80, "UDP")]),
    (["[::1]:6001:6001"], [(6001, "TCP")]),
    (["9090-9091:8080-8081"], [(8080, "TCP"), (8081, "TCP")]),
    (["3000-3002"], [(3000, "TCP"), (3001, "TCP"), (3002, "TCP")]),
    ([{"target": 80, "published": "8080", "protocol": "udp", "name": "web"}], [(80, "UDP")]),
    ("5000", [(5000, "TCP")]),
    (["80", "80"], [(80, "TCP")]),
])
def test_port_syntaxes(spec: object, expected: list[tuple[int, str]]) -> None:
    ports, problems = parse_ports(spec)
    assert [(p.port, p.protocol) for p in ports] == expected
    assert problems == []


@pytest.mark.parametrize("spec", [["http"], ["8080:0"], ["70000"], ["80/sctp"], [{"published": 80}], [True]])
def test_unreadable_ports_are_problems_not_crashes(spec: object) -> None:
    ports, problems = parse_ports(spec)
    assert ports == [] and len(problems) == 1


def test_a_huge_port_range_is_cut() -> None:
    ports, problems = parse_ports(["10000-60000"])
    assert len(ports) == 20 and "only the first" in problems[0]


@pytest.mark.parametrize(("text", "expected", "unresolved"), [
    ("${PORT:-8000}", "8000", []),
    ("${PORT-8000}", "8000", []),
    ("${A:-${B:-nested}}", "nested", []),
    ("x${A:+set}y", "xy", []),
    ("${TOKEN}", "${TOKEN}", ["TOKEN"]),
    ("$TOKEN/x", "$TOKEN/x", ["TOKEN"]),
    ("${TOKEN:?must be set}", "${TOKEN:?must be set}", ["TOKEN"]),
    ("cost $$5", "cost $5", []),
    ("${unclosed", "${unclosed", []),
    ("$", "$", []),
])
def test_interpolation_treats_every_variable_as_unset(text: str, expected: str, unresolved: list[str]) -> None:
    found: list[str] = []
    assert interpolate(text, found) == expected
    assert found == unresolved


def test_environment_list_and_map_forms_drop_secret_values() -> None:
    listed = parse_environment(["DEBUG=1", "API_KEY=abc123", "EMPTY=", "FROM_HOST"])
    mapped = parse_environment({"DEBUG": 1, "DB_PASSWORD": "hunter2", "URL": "postgres://u:p@db/x", "FLAG": True})
    assert [(e.name, e.value, e.secret) for e in listed] == [
        ("DEBUG", "1", False), ("API_KEY", None, True), ("EMPTY", "", False), ("FROM_HOST", None, False)]
    assert [(e.name, e.value, e.secret) for e in mapped] == [
        ("DEBUG", "1", False), ("DB_PASSWORD", None, True), ("URL", None, True), ("FLAG", "true", False)]


@pytest.mark.parametrize(("test", "expected"), [
    (["CMD", "curl", "-f", "http://localhost:3000/api/health"], ("http", "/api/health", 3000)),
    (["CMD-SHELL", "wget -qO- http://127.0.0.1/ || exit 1"], ("http", "/", 80)),
    ("curl --fail http://localhost:8080", ("http", "/", 8080)),
    (["CMD-SHELL", "nc -z localhost 5432"], ("tcp", None, 5432)),
    (["CMD", "grpc_health_probe", "-addr=:50051"], ("grpc", None, 50051)),
    (["CMD", "pg_isready"], ("exec", None, None)),
])
def test_healthchecks_become_http_tcp_grpc_or_exec(test: object, expected: tuple[str, str | None, int | None]) -> None:
    health, problem = parse_healthcheck({"test": test})
    assert problem is None and health is not None
    kind = "http" if health.http_path else "tcp" if health.tcp_port else "grpc" if health.grpc_port else "exec"
    port = health.http_port or health.tcp_port or health.grpc_port
    assert (kind, health.http_path, port) == expected


def test_disabled_and_malformed_healthchecks() -> None:
    assert parse_healthcheck({"test": ["NONE"]})[0] == parse_healthcheck({"disable": True})[0]
    assert parse_healthcheck({"test": ["BOGUS", "x"]})[1] is not None
    assert parse_healthcheck("curl")[1] is not None


def test_commands_are_split_like_compose_not_run_through_a_shell() -> None:
    assert parse_command("npm run start -- --port 3000") == compose.ComposeCommand(
        ("npm", "run", "start", "--", "--port", "3000"))
    assert parse_command(["python", "-m", "app", 8000]) == compose.ComposeCommand(("python", "-m", "app", "8000"))
    unbalanced = parse_command("sh -c 'echo hi")
    assert unbalanced is not None and unbalanced.shell
    assert parse_command({"not": "a command"}) is None


def test_volume_kinds() -> None:
    volumes = parse_volumes(["data:/var/lib/data", "./src:/app:ro", "/var/run/docker.sock:/var/run/docker.sock",
                             "/app/node_modules", {"type": "tmpfs", "target": "/tmp"},
                             {"type": "volume", "source": "cache", "target": "/cache", "read_only": True}])
    assert [(v.kind, v.source, v.target, v.read_only) for v in volumes] == [
        ("volume", "data", "/var/lib/data", False), ("bind", "./src", "/app", True),
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock", False),
        ("anonymous", None, "/app/node_modules", False), ("tmpfs", None, "/tmp", False),
        ("volume", "cache", "/cache", True)]


@pytest.mark.parametrize(("value", "cpu"), [("0.5", "500m"), (2, "2"), ("1.25", "1250m"), ("0", None),
                                            ("1g", None), (True, None)])
def test_cpu_quantities(value: object, cpu: str | None) -> None:
    assert cpu_quantity(value) == cpu


@pytest.mark.parametrize(("value", "memory"), [("512m", "512Mi"), ("1g", "1Gi"), ("1.5gb", "1536Mi"), ("256M", "256Mi"),
                                               (1048576, "1Mi"), ("100k", "100Ki"), ("lots", None), ("0", None)])
def test_memory_quantities(value: object, memory: str | None) -> None:
    assert memory_quantity(value) == memory


# --- images -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("image", "kind", "version"), [
    ("postgres:16-alpine", "postgres", "16"),
    ("docker.io/library/postgres:15.4", "postgres", "15.4"),
    ("postgis/postgis:16-3.4", "postgres", "16"),
    ("timescale/timescaledb:2.14.2-pg15", "postgres", "15"),
    ("bitnami/postgresql:16.2.0", "postgres", "16.2.0"),
    ("mariadb:11", "mysql", "11"),
    ("percona:8.0", "mysql", "8.0"),
    ("redis", "redis", None),
    ("valkey/valkey:8", "redis", None),
    ("eqalpha/keydb:latest", "redis", None),
    ("bitnami/redis:7.2", "redis", "7.2"),
    ("mongo:7", "mongodb", "7"),
    ("confluentinc/cp-kafka:7.6.0", "kafka", None),
    ("apache/kafka:3.7.0", "kafka", "3.7.0"),
    ("docker.redpanda.com/redpandadata/redpanda:v24.1.1", "kafka", None),
    ("rabbitmq:3-management", "rabbitmq", "3"),
    ("docker.elastic.co/elasticsearch/elasticsearch:8.13.0", "elasticsearch", "8.13.0"),
    ("opensearchproject/opensearch:2", "elasticsearch", "2"),
    ("quay.io/minio/minio", "s3", None),
    ("localstack/localstack:3", "s3", None),
    ("memcached:1.6", "memcached", "1.6"),
    ("nats:2.10", "nats", "2.10"),
    ("localhost:5000/postgres:16", "postgres", "16"),
    ("postgres@sha256:abcdef", "postgres", None),
    ("rediscommander/redis-commander", None, None),
    ("prometheuscommunity/postgres-exporter", None, None),
    ("nginx:1.27", None, None),
    ("", None, None),
])
def test_backing_images(image: str, kind: str | None, version: str | None) -> None:
    assert backing_kind(image) == kind
    assert backing_version(image) == version


def test_dev_tools_are_recognised_by_name() -> None:
    assert all(is_dev_tool(i) for i in ("adminer", "dpage/pgadmin4:8", "axllent/mailpit", "traefik:v3",
                                        "oliver006/redis_exporter", "portainer/portainer-ce"))
    assert not any(is_dev_tool(i) for i in ("nginx", "postgres:16", "ghcr.io/acme/api:1.0"))


# --- compose semantics on small repositories --------------------------------------------------

def test_override_replaces_commands_and_merges_maps(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "api/Dockerfile": "FROM python:3.12\n",
        "compose.yaml": "services:\n  api:\n    build: ./api\n    command: gunicorn app:app\n"
                        "    environment: [A=1, B=2]\n    volumes: ['data:/data', './x:/x']\n"
                        "    healthcheck:\n      test: [CMD, curl, 'http://localhost:8000/a']\n      retries: 3\n",
        "compose.override.yaml": "services:\n  api:\n    command: flask run\n    environment:\n      B: 3\n"
                                 "    volumes: ['other:/data']\n    healthcheck:\n      test: [CMD, 'true']\n",
    })
    api = services_of(root)["api"]
    assert api.command == compose.ComposeCommand(("flask", "run"))
    assert {e.name: e.value for e in api.environment} == {"A": "1", "B": "3"}
    assert {(v.source, v.target) for v in api.volumes} == {("./x", "/x"), ("other", "/data")}
    assert api.healthcheck is not None and api.healthcheck.command == ("true",)
    assert api.where("command") == ("compose.override.yaml", 3)


def test_extends_in_the_same_file_and_a_version_one_file(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "compose.yml": "x-base: &b {restart: always}\nservices:\n  base:\n    image: acme/app:1\n    ports: ['80']\n"
                       "  child:\n    extends: {service: base}\n    command: serve --port 81\n",
        "legacy/docker-compose.yml": "web:\n  build: .\n  ports: ['5000:5000']\nredis:\n  image: redis\n",
        "legacy/Dockerfile": "FROM python:3.12\n",
    })
    services = services_of(root)
    assert services["child"].image == "acme/app:1" and services["child"].ports[0].port == 80
    assert services["web"].project == "legacy" and services["web"].build is not None
    assert services["web"].build.context == "legacy"


def test_roles_jobs_workers_sibling_images_and_prebuilt_components(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "Dockerfile": "FROM node:20\n",
        "docker-compose.yaml": """
services:
  app:
    build: .
    image: acme/shop:dev
    command: npm start
    depends_on:
      migrate: {condition: service_completed_successfully}
      queue: {condition: service_started}
  migrate:
    build: .
    command: npx prisma migrate deploy
  jobs:
    image: acme/shop:dev
    command: node worker.js
  seed:
    build: .
    command: node scripts/seed.js --fixtures demo
  proxy:
    image: nginx:1.27
    ports: ['80:80']
    volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro']
    depends_on: [app]
  queue:
    image: rabbitmq:3-management
  zookeeper:
    image: confluentinc/cp-zookeeper:7.6.0
  debug:
    image: busybox
    profiles: [debug]
""",
    })
    components, services, notes = compose.compose_fragments(scan(root))
    by_name = {c.name: c for c in components}
    assert sorted(by_name) == ["app", "jobs", "migrate", "proxy", "seed"]
    assert by_name["migrate"].kind == by_name["seed"].kind == "job"
    assert by_name["app"].kind == "service"  # a web command without ports
    assert set(by_name["app"].depends_on) == {Dependency(component="migrate"), Dependency(service="rabbitmq")}
    assert (by_name["jobs"].kind, by_name["jobs"].path, by_name["jobs"].build) == ("worker", ".", by_name["app"].build)
    proxy = by_name["proxy"]
    assert proxy.build == Build(image="nginx:1.27") and proxy.evidence_for("build")[0].confidence == 0.8
    assert proxy.path == "docker-compose.yaml#proxy" and proxy.depends_on == (Dependency(component="app"),)
    assert [s.kind for s in services] == ["rabbitmq"]
    assert {d.message.split("'")[1] for d in notes if d.code == "compose.dev-tool"} == {"zookeeper", "debug"}
    [bind] = [d for d in notes if d.code == "compose.bind-mount"]
    assert "./nginx.conf" in bind.message and bind.line == line_of(root / "docker-compose.yaml", "volumes:")


def test_paths_leaving_the_repository_are_rejected(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "deploy/compose.yaml": "services:\n  a:\n    build: ../..\n  b:\n    build: https://github.com/x/y.git\n"
                               "  c:\n    build: {context: .., dockerfile: /etc/passwd}\n",
    })
    components, _services, notes = compose.compose_fragments(scan(root))
    assert components == []
    problems = [d for d in notes if d.code == "compose.build"]
    assert len(problems) == 3 and all(d.file == "deploy/compose.yaml" and d.line for d in problems)
    assert "/etc/passwd" not in repr(components)


def test_broken_files_are_warnings_with_lines(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: [unclosed\n",
        "a/compose.yml": "just a string\n",
        "b/compose.yml": "services:\n  web: 5\n",
        "c/d/e/compose.yml": "services:\n  deep:\n    image: x\n",
        "examples/compose.yml": "services:\n  sample:\n    image: y\n",
    })
    read = compose.read_compose(scan(root))
    assert read.services == ()
    codes = {(d.file, d.code, d.severity) for d in read.diagnostics}
    assert ("compose.yaml", "yaml.syntax", "warning") in codes
    assert ("a/compose.yml", "compose.no-services", "warning") in codes
    assert ("b/compose.yml", "compose.service", "warning") in codes
    assert all(d.line for d in read.diagnostics)
    assert not any("deep" in d.message or "sample" in d.message for d in read.diagnostics)


def test_a_yaml_bomb_in_a_compose_file_is_a_diagnostic(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    root = repo(tmp_path, {"compose.yaml": "x-lol:\n" + "".join(f"  {line}\n" for line in levels) +
                           "services:\n  web:\n    image: nginx\n"})
    read = compose.read_compose(scan(root))
    assert [d.code for d in read.diagnostics] == ["yaml.bomb"] and read.diagnostics[0].line


# --- property ---------------------------------------------------------------------------------

YAMLISH = st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#$%{}.,=/ \n\t0123456789")), max_size=300)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=20),
                    st.sampled_from(["8080:80", "${X:-1}", "./app", "../..", "CMD", "a=b", "80/udp", "-1"]))
TREES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(
                                                          ["build", "image", "ports", "expose", "environment",
                                                           "command", "healthcheck", "test", "depends_on",
                                                           "volumes", "deploy", "extends", "context", "target",
                                                           "condition", "x"]), inner, max_size=5)),
                     max_leaves=20)


def _fragments_of(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "compose.yaml").write_text(text)
        (Path(directory) / "docker-compose.override.yml").write_text("services:\n  web:\n    ports: ['1']\n")
        components, services, notes = compose.compose_fragments(scan(directory))
        assert all(c.analyzer == "compose" for c in components)
        assert all(d.file is None or d.line for d in notes if d.code.startswith("compose."))
        assert isinstance(services, list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_arbitrary_yamlish_text_never_raises(text: str) -> None:
    _fragments_of(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["web", "db", "1", "x-y"]), TREES, max_size=4))
def test_arbitrary_service_structures_never_raise(services: dict[str, object]) -> None:
    _fragments_of(json.dumps({"services": services}))
