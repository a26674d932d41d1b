"""A compose service that mounts its own source is a development loop, not production."""

from __future__ import annotations

from pathlib import Path

from kubify import pipeline


def test_live_reload_command_and_debugger_port_yield_to_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "result").mkdir()
    (tmp_path / "result" / "Dockerfile").write_text('FROM node:22-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 80\n'
                                                    'CMD ["node", "server.js"]\n')
    (tmp_path / "compose.yaml").write_text(
        "services:\n  result:\n    build: ./result\n    command: nodemon --debug server.js\n"
        "    volumes: ['./result:/app']\n    ports: ['5001:80', '5858:5858']\n")
    (component,) = pipeline.infer(tmp_path).application.components
    assert component.run is not None and component.run.command == ("node", "server.js")
    assert [p.port for p in component.ports] == [80]
    assert {e.rule.split(".")[0] for e in component.evidence_for("run")} == {"dockerfile"}


def test_a_command_without_a_source_mount_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text('FROM python:3.12-slim\nEXPOSE 8000\nCMD ["python", "app.py"]\n')
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: ./web\n"
                                           "    command: [gunicorn, app:app, -b, '0.0.0.0:8000']\n")
    (component,) = pipeline.infer(tmp_path).application.components
    assert component.run is not None and component.run.command[0] == "gunicorn"


def test_a_proxied_service_takes_its_port_from_the_proxy_label(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "serve.py"]\n')
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    build: ./api\n    labels:\n      - traefik.enable=true\n"
        "      - traefik.http.services.api.loadbalancer.server.port=8000\n")
    (component,) = pipeline.infer(tmp_path).application.components
    assert [p.port for p in component.ports] == [8000]
    assert any(e.rule == "compose.label.proxy-port" and e.line == 4 for e in component.evidence_for("ports"))
