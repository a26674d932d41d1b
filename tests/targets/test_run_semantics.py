"""Compose ``command`` replaces only CMD (Kubernetes ``args``); ``entrypoint`` replaces both."""

from __future__ import annotations

from pathlib import Path

from kubify import pipeline
from kubify.ir import Application, Build, Component, Run
from kubify.targets import dockerfile, k8s
from kubify.targets.options import LowerOptions


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


def test_a_web_process_and_its_worker_share_one_generated_image() -> None:
    build = Build(generated=True, context="api", base_image="python:3.12-slim", install=("pip install .",))
    web = Component(name="api", path="api", language="python", build=build,
                    run=Run(command=("gunicorn", "app:app")), ports=())
    worker = Component(name="api-worker", path="api", kind="worker", language="python", build=build,
                       run=Run(command=("celery", "-A", "app", "worker")))
    app = Application(name="shop", components=(web, worker))
    assert [a.path for a in dockerfile.lower(app, LowerOptions())] == ["api/Dockerfile", "api/Dockerfile.dockerignore"]
    containers = {o["metadata"]["name"]: o["spec"]["template"]["spec"]["containers"][0]
                  for a in k8s.lower(app, LowerOptions()) if (o := a.object) and o["kind"] == "Deployment"}
    assert containers["api"]["image"] == containers["api-worker"]["image"]
    assert "command" not in containers["api"]
    assert containers["api-worker"]["command"] == ["celery", "-A", "app", "worker"]
