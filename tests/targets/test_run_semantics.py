"""Compose ``command`` replaces only CMD (Kubernetes ``args``); ``entrypoint`` replaces both."""

from __future__ import annotations

from pathlib import Path

from kubify import pipeline


def container_of(tmp_path: Path, service: str) -> dict[str, object]:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text('FROM python:3.12-slim\nENTRYPOINT ["tini", "--"]\n'
                                                 'CMD ["python", "app.py"]\nEXPOSE 8000\n')
    (tmp_path / "compose.yaml").write_text(f"services:\n  app:\n    build: ./app\n    ports: ['8000:8000']\n{service}")
    result = pipeline.compile_repository(tmp_path, pipeline.BuildOptions())
    deployment = next(a.object for a in result.artifacts if a.object and a.object["kind"] == "Deployment")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(containers, list)
    return dict(containers[0])


def test_compose_command_becomes_args_under_the_image_entrypoint(tmp_path: Path) -> None:
    container = container_of(tmp_path, "    command: [gunicorn, app:app, --bind, '0.0.0.0:8000']\n")
    assert container.get("args") == ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]
    assert "command" not in container


def test_compose_entrypoint_replaces_the_whole_command(tmp_path: Path) -> None:
    container = container_of(tmp_path, "    entrypoint: [python]\n    command: [worker.py]\n")
    assert container.get("command") == ["python", "worker.py"]
    assert "args" not in container
