"""Properties of lowering over arbitrary valid IR: it never raises, every object it emits is
valid for Kubernetes (or its CRD), the output is deterministic, and no secret value leaks."""

from __future__ import annotations

from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from target_support import everything, objects, validate_object

from kubify.ir import (
    Application,
    BackingKind,
    BackingService,
    Build,
    Component,
    ComponentKind,
    Dependency,
    EnvVar,
    Health,
    Metrics,
    Migration,
    Port,
    Resources,
    Run,
    Scaling,
    Volume,
)
from kubify.targets import backing, dockerfile, k8s
from kubify.targets.options import LowerOptions

LEAK = "leaked-value-0451"
names = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
env_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True) | st.sampled_from(
    ["DATABASE_URL", "REDIS_URL", "PGHOST", "PORT", "CELERY_BROKER_URL", "AWS_ACCESS_KEY_ID", "MONGO_URL"])
words = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)

ports = st.builds(Port, port=st.integers(1, 65535), protocol=st.sampled_from(["TCP", "UDP"]),
                  name=st.none() | st.sampled_from(["http", "grpc", "metrics", "Admin UI", "web", "x" * 20]))
env = st.builds(EnvVar, name=env_names, default=st.none() | words, secret=st.booleans(), required=st.booleans())
health = st.none() | st.builds(Health, type=st.sampled_from(["http", "tcp", "grpc", "exec"]),
                               path=st.none() | st.just("/healthz"), port=st.none() | st.integers(1, 65535),
                               command=st.lists(words, max_size=3).map(tuple))
builds = st.one_of(
    st.builds(Build, generated=st.just(True), context=st.just("."), install=st.lists(words, max_size=2).map(tuple),
              build=st.lists(words, max_size=2).map(tuple), output_dir=st.none() | st.just("dist")),
    st.builds(Build, image=st.just("ghcr.io/acme/prebuilt:1.2.3")),
    st.builds(Build, dockerfile=st.just("Dockerfile")),
)
volumes = st.builds(Volume, name=words, path=st.sampled_from(["/data", "/tmp", "/var/lib/app", "/srv"]),
                    size=st.sampled_from(["1Gi", "500Mi"]))


@st.composite
def applications(draw: st.DrawFn) -> Application:
    component_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    kinds = draw(st.lists(st.sampled_from(get_args(BackingKind)), max_size=3, unique=True))
    components = []
    for name in component_names:
        dependencies = [Dependency(service=k) for k in draw(st.lists(st.sampled_from(kinds), unique=True))] \
            if kinds else []
        dependencies += [Dependency(component=c) for c in draw(st.lists(st.sampled_from(component_names),
                                                                       max_size=2, unique=True))]
        components.append(Component(
            name=name,
            kind=draw(st.sampled_from(get_args(ComponentKind))),
            language=draw(st.sampled_from([None, "python", "node", "go", "ruby"])),
            package_manager=draw(st.sampled_from([None, "pip", "uv", "poetry", "npm", "pnpm", "yarn"])),
            build=draw(builds),
            run=draw(st.none() | st.builds(Run, command=st.lists(words, max_size=3).map(tuple),
                                           shell=st.booleans(), user=st.none() | st.sampled_from(["1000", "app"]))),
            ports=tuple(draw(st.lists(ports, max_size=3))),
            env=(*draw(st.lists(env, max_size=4)), EnvVar(name="LEAKY_TOKEN", secret=True, default=LEAK)),
            health=draw(health),
            depends_on=tuple(dependencies),
            migrations=tuple(draw(st.lists(st.builds(Migration, tool=words, command=st.lists(
                words, min_size=1, max_size=3).map(tuple)), max_size=2))),
            volumes=tuple(draw(st.lists(volumes, max_size=2))),
            resources=Resources(gpu=draw(st.integers(0, 1))),
            scaling=draw(st.builds(Scaling, min_replicas=st.integers(0, 3), max_replicas=st.integers(1, 6),
                                   schedule=st.none() | st.just("*/5 * * * *"))),
            metrics=draw(st.none() | st.builds(Metrics, port=st.none() | st.integers(1, 65535))),
        ))
    services = tuple(BackingService(name=f"svc-{k}", kind=k, grade=draw(st.sampled_from(["managed", "development"])))
                     for k in kinds)
    return Application(name=draw(names), components=tuple(components), services=services)


options = st.builds(LowerOptions, namespace=st.none() | st.just("team-a"),
                    registry=st.none() | st.just("registry.example.com/acme"),
                    host=st.none() | st.just("app.example.com"), gateway_name=st.none() | st.just("public"),
                    tls_issuer=st.none() | st.just("letsencrypt"), egress_to_internet=st.booleans(),
                    min_service_replicas=st.integers(1, 3))



@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applications(), options)
def test_lowering_any_application_yields_valid_deterministic_leak_free_output(app: Application,
                                                                               lower_options: LowerOptions) -> None:
    artifacts = [*k8s.lower(app, lower_options), *backing.lower(app, lower_options),
                 *dockerfile.lower(app, lower_options)]
    for obj in objects(artifacts):
        validate_object(obj)
        assert obj["kind"] != "Secret"
    assert LEAK not in everything(artifacts)
    paths = [a.path for a in artifacts]
    assert len(paths) == len(set(paths))
    assert artifacts == [*k8s.lower(app, lower_options), *backing.lower(app, lower_options),
                         *dockerfile.lower(app, lower_options)]
