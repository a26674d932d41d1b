"""Benchmark the compiler: ``kubify build`` / ``kubify explain`` wall time and peak RSS.

For every fixture repository, the example, and two generated monorepos (≈400 and ≈10,000
files), each command runs as a fresh process (start-up included, as a user sees it); the
figure is the median of several runs. The baseline is a bare walk of the same tree that
reads the same manifest files, so the ratio shows what analysis costs over plain I/O.
``kubify --help`` start-up is measured the same way.

    python bench/compiler.py [--runs 5] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KUBIFY = [sys.executable, "-m", "kubify"]
BASELINE = r"""
import os, sys
NAMES = {"package.json", "requirements.txt", "pyproject.toml", "go.mod", "Dockerfile", "Chart.yaml",
         "compose.yaml", "docker-compose.yml", "Procfile", "values.yaml", "package-lock.json", "go.work"}
PRUNE = {".git", "node_modules", ".venv", "vendor", "__pycache__"}
total = 0
for top, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d not in PRUNE]
    for name in files:
        if name in NAMES or name.endswith((".py", ".js", ".ts", ".go")):
            with open(os.path.join(top, name), "rb") as handle:
                total += len(handle.read())
print(total)
"""


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def median_of(command: list[str], runs: int) -> tuple[float, int]:
    samples = [measure(command) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def generate_monorepo(root: Path, services: int, padding_files: int) -> Path:
    """A monorepo of Python, Node and Go services plus ordinary non-code files."""
    for index in range(services):
        kind = ("python", "node", "go")[index % 3]
        service = root / "services" / f"{kind}-{index}"
        (service / "src").mkdir(parents=True)
        if kind == "python":
            (service / "requirements.txt").write_text("fastapi==0.115.0\nuvicorn==0.30.0\npsycopg==3.2.0\n")
            (service / "main.py").write_text("import os\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                                             "@app.get('/healthz')\ndef health():\n    return {}\n"
                                             "DB = os.environ['DATABASE_URL']\n")
            for module in range(12):
                (service / "src" / f"m{module}.py").write_text(f"def f{module}(x):\n    return x + {module}\n")
        elif kind == "node":
            manifest = {"name": f"svc-{index}", "scripts": {"start": "node src/index.js"},
                        "dependencies": {"express": "^4.19.0", "redis": "^4"}}
            (service / "package.json").write_text(json.dumps(manifest))
            (service / "src" / "index.js").write_text("const express = require('express');\nconst app = express();\n"
                                                      "app.get('/health', (q, r) => r.send('ok'));\n"
                                                      "app.listen(process.env.PORT || 3000);\n")
            for module in range(12):
                (service / "src" / f"m{module}.js").write_text(f"module.exports = (x) => x + {module};\n")
        else:
            (service / "go.mod").write_text(f"module example.com/svc{index}\n\ngo 1.22\n\nrequire github.com/"
                                            "gin-gonic/gin v1.9.1\n")
            (service / "main.go").write_text('package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n'
                                             '\tr := gin.Default()\n\tr.GET("/healthz", nil)\n\tr.Run(":8080")\n}\n')
            for module in range(12):
                (service / "src" / f"m{module}.go").write_text(f"package src\n\nfunc F{module}() int {{ return "
                                                               f"{module} }}\n")
    docs = root / "docs"
    for index in range(padding_files):
        page = docs / f"section-{index // 100}" / f"page-{index}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"# Page {index}\n\nSome documentation text.\n")
    return root


def generate_application(root: Path, modules: int) -> Path:
    """One FastAPI service of ``modules`` Python modules (a typical single-application repository)."""
    package = root / "app"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nrequires-python = ">=3.12"\n'
                                         'dependencies = ["fastapi", "uvicorn", "sqlalchemy", "psycopg", "redis"]\n')
    (root / "Dockerfile").write_text('FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\n'
                                     'EXPOSE 8000\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n')
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text("import os\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                                     "@app.get('/healthz')\ndef health():\n    return {}\n"
                                     "DB = os.environ['DATABASE_URL']\n")
    for index in range(modules):
        module = package / f"area{index // 40}" / f"m{index}.py"
        module.parent.mkdir(exist_ok=True)
        (module.parent / "__init__.py").write_text("")
        module.write_text(f"import os\n\nLIMIT = int(os.getenv('LIMIT_{index}', '{index}'))\n\n\n"
                          f"def handler_{index}(x: int) -> int:\n    return x + LIMIT\n")
    return root


def count_files(root: Path) -> int:
    return sum(len(files) for _top, _dirs, files in os.walk(root))


def row(name: str, files: int, runs: int) -> tuple[str, ...]:
    path = str(ROOT / name) if not os.path.isabs(name) else name
    build_s, build_kb = median_of([*KUBIFY, "build", path], runs)
    explain_s, explain_kb = median_of([*KUBIFY, "explain", path, "-o", "json"], runs)
    base_s, _ = median_of([sys.executable, "-c", BASELINE, path], runs)
    label = Path(path).name
    return (label, str(files), f"{build_s * 1000:.0f}", f"{build_kb / 1024:.0f}", f"{explain_s * 1000:.0f}",
            f"{explain_kb / 1024:.0f}", f"{base_s * 1000:.0f}", f"{build_s / base_s:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default=None, help="only repositories whose name contains this")
    args = parser.parse_args()

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with compiled bytecode
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "kubify"), str(ROOT / "analyzers"),
                    str(ROOT / "targets")], check=True, stdout=subprocess.DEVNULL)
    help_s, help_kb = median_of([*KUBIFY, "--help"], max(args.runs, 7))
    print(f"kubify --help: {help_s * 1000:.0f} ms median, {help_kb / 1024:.0f} MiB peak RSS")
    header = ("repository", "files", "build ms", "build MiB", "explain ms", "explain MiB", "walk+read ms",
              "build/walk")
    rows = [header]
    with tempfile.TemporaryDirectory() as scratch:
        application = generate_application(Path(scratch) / "app-400", modules=380)
        small = generate_monorepo(Path(scratch) / "monorepo-400", services=24, padding_files=40)
        large = generate_monorepo(Path(scratch) / "monorepo-10k", services=300, padding_files=5200)
        repositories = [str(p) for p in sorted((ROOT / "tests" / "fixtures").iterdir()) if p.is_dir()]
        repositories += [str(ROOT / "examples" / "shop"), str(application), str(small), str(large)]
        for repository in repositories:
            if args.only and args.only not in repository:
                continue
            rows.append(row(repository, count_files(Path(repository)), args.runs))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
