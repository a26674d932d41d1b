"""No repository, however strange, makes an analyzer raise (the pipeline would report it)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify import pipeline

MANIFESTS = ("package.json", "package-lock.json", "pnpm-workspace.yaml", "requirements.txt", "pyproject.toml",
             "setup.py", "Pipfile", "manage.py", "main.py", "app.py", "go.mod", "go.work", "main.go", "Dockerfile",
             "Chart.yaml", "values.yaml", "compose.yaml", "Procfile", "kubify.yaml", "server.js", ".python-version",
             ".nvmrc", ".env.example", "alembic.ini")
DIRECTORIES = ("", "api", "web/src", "cmd/api", "charts/app", "services/x")
SNIPPETS = (
    '{"name": "x", "scripts": {"start": "node server.js"}, "workspaces": ["a/*"], "dependencies": {"pg": "1"}}',
    "module example.com/x\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n)\n",
    "FROM python:3.12-slim AS base\nEXPOSE 8000\nCMD [\"uvicorn\", \"main:app\"]\n",
    "[project]\nname = \"x\"\ndependencies = [\"fastapi\", \"psycopg\"]\n",
    "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: postgresql\n",
    "services:\n  web:\n    build: .\n    ports: ['8080:80']\n  db:\n    image: postgres:16\n",
    "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/healthz')\ndef h(): return 1\n",
    "web: gunicorn app:app --bind 0.0.0.0:$PORT\nworker: celery -A app worker\n",
    "components:\n  web:\n    ports: [8080]\n",
)


def contents() -> st.SearchStrategy[bytes]:
    snippet = st.sampled_from(SNIPPETS).flatmap(
        lambda s: st.integers(0, len(s)).map(lambda cut: s[:cut].encode()))
    return st.one_of(snippet, st.text(max_size=300).map(str.encode), st.binary(max_size=300))


trees = st.dictionaries(st.tuples(st.sampled_from(DIRECTORIES), st.sampled_from(MANIFESTS)), contents(),
                        max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_arbitrary_trees_never_crash_an_analyzer(tree: dict[tuple[str, str], bytes]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "repo"
        root.mkdir()
        for (folder, name), data in tree.items():
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / name).write_bytes(data)
        inference = pipeline.infer(root)
    crashes = [d.render() for d in inference.diagnostics if d.code == "internal.analyzer"]
    assert crashes == []
