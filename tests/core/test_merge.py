"""Merging fragments: strongest evidence wins per field, disagreements become conflicts."""

from __future__ import annotations

from kubify.ir import Build, Component, Dependency, EnvVar, Evidence, Health, Port, Run
from kubify.merge import align_health_port, align_port_env, group_by_root, merge_fragments, merge_root, settle_kind

PRIORITIES = {"dockerfile": 80, "python": 50, "compose": 90}


def ev(field: str, value: str, confidence: float, rule: str = "r", file: str = "f", line: int = 1) -> Evidence:
    return Evidence(field=field, value=value, rule=rule, file=file, line=line, confidence=confidence)


def python_fragment() -> Component:
    return Component(
        name="api", analyzer="python", language="python", framework="fastapi", ports=(Port(port=3000),),
        env=(EnvVar(name="PORT", default="3000"), EnvVar(name="API_KEY", secret=True)),
        depends_on=(Dependency(service="postgres"),),
        build=Build(generated=True, base_image="python:3.12-slim"),
        evidence=(ev("language", "python", 0.9), ev("framework", "fastapi", 0.9),
                  ev("ports", "3000", 0.5, "python.port-env-default", "main.py", 7),
                  ev("env", "PORT", 0.9), ev("depends_on", "postgres", 0.8), ev("build", "generated", 0.5)),
    )


def docker_fragment() -> Component:
    return Component(
        name="repo", analyzer="dockerfile", ports=(Port(port=8080),), language="python",
        build=Build(dockerfile="Dockerfile"), run=Run(command=("uvicorn", "main:app")),
        env=(EnvVar(name="API_KEY", default=None), EnvVar(name="LOG_LEVEL", default="info")),
        evidence=(ev("ports", "8080", 0.95, "dockerfile.expose", "Dockerfile", 14),
                  ev("language", "python", 0.3), ev("build", "Dockerfile", 0.95), ev("run", "uvicorn", 0.95),
                  ev("env", "LOG_LEVEL", 0.95)),
    )


def test_stronger_evidence_wins_each_field_and_the_loser_is_a_conflict() -> None:
    merged = merge_fragments([python_fragment(), docker_fragment()], PRIORITIES)
    assert merged.name == "api"
    assert [p.port for p in merged.ports] == [8080]
    assert merged.build == Build(dockerfile="Dockerfile")
    assert merged.framework == "fastapi"
    (conflict,) = [c for c in merged.conflicts if c.field == "ports"]
    assert conflict.chosen == "8080/TCP"
    assert conflict.alternatives[0].file == "main.py"


def test_lists_are_unioned_and_secrets_stay_secret() -> None:
    merged = merge_fragments([python_fragment(), docker_fragment()], PRIORITIES)
    names = [e.name for e in merged.env]
    assert names == sorted(names) == ["API_KEY", "LOG_LEVEL", "PORT"]
    api_key = next(e for e in merged.env if e.name == "API_KEY")
    assert api_key.secret and api_key.default is None
    assert merged.depends_on == (Dependency(service="postgres"),)


def test_port_env_follows_the_chosen_port() -> None:
    merged = align_port_env(merge_fragments([python_fragment(), docker_fragment()], PRIORITIES))
    assert next(e for e in merged.env if e.name == "PORT").default == "8080"
    assert any(e.rule == "merge.port-env" for e in merged.evidence)


def test_weak_disagreement_is_not_reported_as_conflict() -> None:
    weak = Component(name="x", analyzer="dockerfile", language="node",
                     evidence=(ev("language", "node", 0.3),))
    merged = merge_fragments([python_fragment(), weak], PRIORITIES)
    assert merged.language == "python"
    assert not [c for c in merged.conflicts if c.field == "language"]


def test_a_root_with_web_and_worker_shares_the_dockerfile_image() -> None:
    web = python_fragment()
    worker = Component(name="api-worker", analyzer="python", kind="worker",
                       run=Run(command=("celery", "-A", "app", "worker")),
                       evidence=(ev("kind", "worker", 0.95), ev("run", "celery", 0.95)))
    components = merge_root([web, worker, docker_fragment()], PRIORITIES)
    assert sorted(c.name for c in components) == ["api", "api-worker"]
    by_name = {c.name: c for c in components}
    assert by_name["api-worker"].build == Build(dockerfile="Dockerfile")
    assert by_name["api-worker"].run == Run(command=("celery", "-A", "app", "worker"))
    assert by_name["api"].build == Build(dockerfile="Dockerfile")


def test_siblings_follow_a_rename_of_their_primary() -> None:
    web = python_fragment().model_copy(update={"name": "shop-api"})
    worker = Component(name="shop-api-worker", analyzer="python", kind="worker",
                       evidence=(ev("kind", "worker", 0.95),))
    compose = Component(name="api", analyzer="compose", ports=(Port(port=8000),),
                        evidence=(ev("ports", "8000", 0.95),))
    names = sorted(c.name for c in merge_root([web, worker, compose], PRIORITIES))
    assert names == ["api", "api-worker"]


def test_a_portless_service_without_kind_evidence_is_a_worker() -> None:
    bare = Component(name="worker", analyzer="dockerfile", run=Run(command=("dotnet", "Worker.dll")))
    assert settle_kind(bare).kind == "worker"
    called = bare.model_copy(update={"evidence": (ev("kind", "service", 0.7),)})
    assert settle_kind(called).kind == "service"
    assert settle_kind(bare.model_copy(update={"ports": (Port(port=80),)})).kind == "service"


def test_a_health_check_follows_the_chosen_port() -> None:
    site = Component(name="web", ports=(Port(port=80),), health=Health(type="http", path="/", port=8080))
    aligned = align_health_port(site)
    assert aligned.health is not None and (aligned.health.path, aligned.health.port) == ("/", 80)
    assert align_health_port(aligned) == aligned


def test_a_compose_service_building_a_members_dockerfile_from_the_root_joins_that_member() -> None:
    """compose ``build: {context: ., dockerfile: apps/api/Dockerfile}`` describes the component at apps/api."""
    compose = Component(name="api", path=".", analyzer="compose", ports=(Port(port=3001),),
                        build=Build(dockerfile="apps/api/Dockerfile", context="."),
                        evidence=(ev("build", "apps/api/Dockerfile", 0.95), ev("ports", "3001", 0.95)))
    member = Component(name="api", path="apps/api", analyzer="dockerfile",
                       build=Build(dockerfile="apps/api/Dockerfile", context="."),
                       evidence=(ev("build", "apps/api/Dockerfile", 0.95),))
    other = Component(name="web", path=".", analyzer="compose", build=Build(dockerfile="Dockerfile", context="."),
                      evidence=(ev("build", "Dockerfile", 0.95),))
    groups = group_by_root([compose, member, other])
    assert sorted(groups) == [".", "apps/api"]
    assert [(c.analyzer, c.name) for c in groups["apps/api"]] == [("compose", "api"), ("dockerfile", "api")]
    assert [c.name for c in groups["."]] == ["web"]
    (merged,) = merge_root(groups["apps/api"], PRIORITIES)
    assert merged.path == "apps/api" and [p.port for p in merged.ports] == [3001]
