"""The checked-in JSON Schemas match the models, and the IR round-trips."""

from __future__ import annotations

from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from kubify import schema
from kubify.emit import dump_yaml
from kubify.ir import Application, Component, Dependency, EnvVar, Evidence, Health, Port, Run
from kubify.safeload import load_yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_checked_in_schemas_are_fresh() -> None:
    for name, document in schema.schemas().items():
        assert (SCHEMAS / name).read_text() == schema.render(document), (
            f"schemas/{name} is stale: run `python -m kubify.schema`")


names = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
evidence = st.builds(Evidence, field=names, value=text, rule=names, file=st.none() | names,
                     line=st.none() | st.integers(1, 10_000), confidence=st.floats(0, 1))
components = st.builds(
    Component, name=names, kind=st.sampled_from(["service", "worker", "job", "library", "static-site"]),
    language=st.none() | names, ports=st.lists(st.builds(Port, port=st.integers(1, 65535)), max_size=3).map(tuple),
    run=st.none() | st.builds(Run, command=st.lists(text, max_size=4).map(tuple)),
    env=st.lists(st.builds(EnvVar, name=st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True),
                           default=st.none() | text), max_size=4).map(tuple),
    health=st.none() | st.builds(Health, type=st.sampled_from(["http", "tcp"]), path=st.none() | st.just("/h")),
    depends_on=st.lists(st.builds(Dependency, service=st.sampled_from(["postgres", "redis"])), max_size=2).map(tuple),
    evidence=st.lists(evidence, max_size=3).map(tuple),
)
applications = st.builds(Application, name=names,
                         components=st.lists(components, max_size=3, unique_by=lambda c: c.name).map(tuple))


@settings(max_examples=60, deadline=None)
@given(applications)
def test_ir_round_trips_through_json_and_yaml(app: Application) -> None:
    assert Application.model_validate_json(app.model_dump_json()) == app
    assert Application.model_validate(load_yaml(dump_yaml(app.model_dump(mode="json")), "ir.yaml")) == app
    jsonschema.validate(app.model_dump(mode="json"), schema.schemas()["ir.schema.json"])
