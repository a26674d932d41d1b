"""Lowering any valid IR yields objects that kubify's own verify pass accepts: schemas
(core and CRD) and every policy rule, checked together as one set, as ``kubify build`` does."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from test_target_properties import applications, options

from kubify import verify
from kubify.ir import Application, Build, Component, Migration
from kubify.targets import backing, k8s
from kubify.targets.options import LowerOptions


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applications(), options)
def test_lowered_objects_pass_schema_and_policy(app: Application, lower_options: LowerOptions) -> None:
    artifacts = [*k8s.lower(app, lower_options), *backing.lower(app, lower_options)]
    found = verify.verify_objects([(a.path, a.object) for a in artifacts if a.object is not None])
    problems = [d.render() for d in found if d.severity in ("error", "warning")]
    assert problems == []


def test_migration_steps_get_distinct_container_names() -> None:
    migrations = tuple(Migration(tool=tool, command=("run", tool)) for tool in ("2", "2", "migrate-2", "x"))
    app = Application(name="shop", components=(Component(name="api", migrations=migrations,
                                                         build=Build(image="ghcr.io/acme/api:1.0")),))
    job = next(a.object for a in k8s.lower(app, LowerOptions()) if a.object and a.object["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    names = [c["name"] for c in [*pod.get("initContainers", []), *pod["containers"]]]
    assert len(names) == len(set(names)) == 4
