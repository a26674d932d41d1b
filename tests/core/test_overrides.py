"""kubify.yaml: pins fields with evidence, adds and excludes components, errors have lines."""

from __future__ import annotations

from pathlib import Path

from kubify import overrides
from kubify.ir import Application, Component, Evidence, Port
from kubify.scan import scan


def app() -> Application:
    web = Component(name="web", ports=(Port(port=3000),), analyzer="node",
                    evidence=(Evidence(field="ports", value="3000", rule="node.listen", confidence=0.9),))
    docs = Component(name="docs", kind="static-site", analyzer="node")
    return Application(name="shop", components=(docs, web))


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "kubify.yaml").write_text(text)
    return tmp_path


def test_fields_are_pinned_with_kubify_yaml_evidence(tmp_path: Path) -> None:
    inventory = scan(write(tmp_path, "name: store\ncomponents:\n  web:\n    ports: [8080]\n"
                                     "    health: {type: http, path: /livez}\n  docs: {exclude: true}\n"))
    result, notes = overrides.apply(app(), inventory)
    assert notes == []
    assert result.name == "store"
    (web,) = result.components
    assert [p.port for p in web.ports] == [8080]
    assert web.health is not None and web.health.path == "/livez"
    pinned = [e for e in web.evidence if e.field == "ports"]
    assert [(e.rule, e.file, e.line, e.confidence) for e in pinned] == [("kubify.yaml", "kubify.yaml", 4, 1.0)]


def test_new_components_and_services_can_be_declared(tmp_path: Path) -> None:
    inventory = scan(write(tmp_path, "components:\n  nightly:\n    path: jobs\n    kind: cronjob\n"
                                     "    scaling: {schedule: '0 3 * * *'}\n"
                                     "services:\n  db: {kind: postgres, version: '16'}\n"))
    result, notes = overrides.apply(app(), inventory)
    assert notes == []
    nightly = result.component("nightly")
    assert nightly is not None and nightly.kind == "cronjob" and nightly.scaling.schedule == "0 3 * * *"
    assert [(s.name, s.kind, s.version) for s in result.services] == [("db", "postgres", "16")]


def test_invalid_values_are_reported_with_their_line(tmp_path: Path) -> None:
    inventory = scan(write(tmp_path, "components:\n  web:\n    ports:\n      - port: 99999\n    kind: daemon\n"))
    result, notes = overrides.apply(app(), inventory)
    assert result == app()
    lines = {(d.code, d.line) for d in notes}
    assert ("config.invalid", 4) in lines and ("config.invalid", 5) in lines
    assert all(d.file == "kubify.yaml" and d.hint for d in notes)


def test_unknown_keys_and_broken_yaml_are_errors(tmp_path: Path) -> None:
    unchanged, notes = overrides.apply(app(), scan(write(tmp_path, "componets: {}\n")))
    assert unchanged == app()
    assert [(d.code, d.line) for d in notes] == [("config.invalid", 1)]
    _, notes = overrides.apply(app(), scan(write(tmp_path, "components: [\n")))
    assert notes[0].code == "yaml.syntax"


def test_no_config_changes_nothing(tmp_path: Path) -> None:
    assert overrides.apply(app(), scan(tmp_path)) == (app(), [])
