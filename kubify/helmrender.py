"""The Helm renderer: a chart's templates in, the Kubernetes objects they produce out.

A chart's ``values.yaml`` says what can be configured; only rendering says which images,
ports and probes it deploys. This module is the one place kubify runs Helm, like
:mod:`kubify.sbom` is the one place it runs syft. Rendering runs the chart's templates,
not arbitrary code, but a template can still loop forever or print gigabytes, so:

* the chart is first copied, file by file, through the confined :class:`~kubify.fs.Repo`
  into a scratch directory — Helm never sees the repository, so a symlink in the chart
  cannot make it read anything outside (Argo CD CVE-2022-31036);
* Helm runs in a child process with a 20 s timeout, a 2 GiB memory limit and a file-size
  limit on what it may print;
* nothing is fetched: dependencies are never built, a chart whose subcharts are not
  vendored renders without them and says so;
* the output is parsed with the bounded YAML loader, like every other input.

The embedded Helm of the ``helm-python-sdk`` wheel (``pip install 'kubify-cli[helm]'``)
is preferred; a ``helm`` binary on ``PATH`` is the fallback.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from kubify import safeload
from kubify.diagnostics import Diagnostic, FileProblem, info, warning
from kubify.scan import Inventory, relative_to

TIMEOUT_SECONDS = 20.0
#: Most bytes of rendered manifests read back (a chart's output is normally well under 1 MiB).
MAX_OUTPUT_BYTES = 8 * 1024 * 1024
#: Address-space limit of the renderer process: a template that builds huge lists dies, not the machine.
MAX_MEMORY_BYTES = 2 * 1024**3
#: Most bytes of chart files copied into the scratch directory.
MAX_CHART_BYTES = 32 * 1024 * 1024
RELEASE = "release"
NAMESPACE = "default"
Renderer = Literal["helm-python-sdk", "helm"]
_HINT = "pip install 'kubify-cli[helm]' (the embedded Helm of helm-python-sdk), or put a helm binary on PATH"


@dataclass(frozen=True)
class RenderedObject:
    """One Kubernetes object a template produced; ``template`` is repo-relative."""

    template: str
    kind: str
    name: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Rendering:
    renderer: Renderer
    objects: tuple[RenderedObject, ...]


def renderer() -> Renderer | None:
    """Which Helm is available: the embedded SDK first, then a binary on PATH."""
    if importlib.util.find_spec("helm_python") is not None:
        return "helm-python-sdk"
    return "helm" if shutil.which("helm") else None


def render_chart(inventory: Inventory, chart_root: str, *, missing: Sequence[str] = (),
                 timeout: float = TIMEOUT_SECONDS, use: Renderer | None = None,
                 ) -> tuple[Rendering | None, list[Diagnostic]]:
    """The objects the chart at ``chart_root`` renders with its default values, or why not.

    ``missing`` names declared dependencies that are not vendored under ``charts/``; they are
    left out of the copy's Chart.yaml so that ``helm template`` renders the rest.
    """
    which = use or renderer()
    chart_file = _chart_file(inventory, chart_root)
    if which is None:
        return None, [info("helm.render-skipped", "the chart was not rendered: no Helm is installed, so images "
                           "and ports come from values.yaml conventions only", file=chart_file, line=1,
                           hint=_HINT)]
    with tempfile.TemporaryDirectory(prefix="kubify-helm-") as scratch:
        staged, problem = _stage(inventory, chart_root, Path(scratch))
        if staged is None:
            return None, [problem] if problem else []
        if missing and which == "helm":
            _drop_dependencies(inventory, chart_root, staged, set(missing))
        command = _command(which, staged)
        output, problem = _run(command, Path(scratch), timeout, chart_file)
    if output is None:
        return None, [problem] if problem else []
    documents = _sdk_documents(output) if which == "helm-python-sdk" else _binary_documents(output)
    objects, notes = _objects(documents, chart_root, chart_file)
    return Rendering(which, tuple(objects)), notes


def _chart_file(inventory: Inventory, chart_root: str) -> str:
    for name in ("Chart.yaml", "Chart.yml"):
        rel = name if chart_root == "." else f"{chart_root}/{name}"
        if inventory.has(rel):
            return rel
    return chart_root


def _stage(inventory: Inventory, chart_root: str, scratch: Path) -> tuple[Path | None, Diagnostic | None]:
    """A copy of the chart's scanned files, read through the confined repository view."""
    target = scratch / "chart"
    total = 0
    for rel in inventory.under(chart_root):
        try:
            data = inventory.repo.read_bytes(rel)
        except FileProblem:
            continue  # unreadable, escaping or oversized files are not part of the chart we render
        total += len(data)
        if total > MAX_CHART_BYTES:
            return None, warning("helm.chart-too-large", f"the chart's files exceed {MAX_CHART_BYTES:,} bytes; "
                                 "not rendered", file=_chart_file(inventory, chart_root))
        destination = target / PurePosixPath(relative_to(rel, chart_root))
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    return target, None


def _drop_dependencies(inventory: Inventory, chart_root: str, staged: Path, missing: set[str]) -> None:
    """Rewrite the copy's dependency lists without ``missing`` (as JSON, which is YAML)."""
    for name in ("Chart.yaml", "Chart.yml", "requirements.yaml"):
        rel = name if chart_root == "." else f"{chart_root}/{name}"
        if not inventory.has(rel):
            continue
        try:
            data = inventory.yaml(rel)
        except FileProblem:
            continue
        if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
            kept = [d for d in data["dependencies"] if not (isinstance(d, dict) and _dependency_name(d) in missing)]
            data = {**data, "dependencies": kept}
            (staged / name).write_text(json.dumps(data, default=str), encoding="utf-8")


def _dependency_name(dependency: dict[str, Any]) -> str:
    return str(dependency.get("alias") or dependency.get("name") or "")


def _command(which: Renderer, chart: Path) -> list[str]:
    """The renderer's command line, behind the launcher that limits its memory first."""
    launcher = [sys.executable, "-c", "from kubify.helmrender import child_main; child_main()", str(MAX_MEMORY_BYTES),
                str(MAX_OUTPUT_BYTES + 1)]
    if which == "helm-python-sdk":
        return [*launcher, "--sdk", str(chart), RELEASE, NAMESPACE, str(MAX_OUTPUT_BYTES)]
    return [*launcher, shutil.which("helm") or "helm", "template", RELEASE, str(chart), "--namespace", NAMESPACE,
            "--skip-tests"]


def _run(command: list[str], scratch: Path, timeout: float, chart_file: str) -> tuple[str | None, Diagnostic | None]:
    """Run a renderer with a deadline and an output cap; stdout goes to a file that is watched."""
    home = scratch / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "HELM_CACHE_HOME": str(home / "cache"),
           "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data"),
           "KUBECONFIG": str(home / "no-kubeconfig")}
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=scratch, env=env,
                                   start_new_session=True)
        stopped = _watch(process, out_path, timeout)
    if stopped is not None:
        return None, warning("helm.render-stopped", f"rendering the chart was stopped: {stopped}", file=chart_file,
                             line=1, hint="check the chart's templates for loops over large ranges")
    if process.returncode != 0:
        return None, warning("helm.render-failed", f"the chart did not render: {_failure(err_path)}",
                             file=chart_file, line=1, hint="run `helm template` on the chart to see the error")
    return out_path.read_bytes().decode(errors="replace"), None


def _failure(err_path: Path) -> str:
    """The renderer's error in one printable line (Go's crash dumps reduced to their cause)."""
    head = err_path.read_bytes()[:4000].decode(errors="replace")
    if "out of memory" in head or "MemoryError" in head:
        return f"it ran out of memory (limit {MAX_MEMORY_BYTES // 1024**3} GiB)"
    lines = err_path.read_bytes()[-4000:].decode(errors="replace").strip().splitlines()
    return _printable(lines[-1])[:300] if lines else "the renderer exited without a message"


def _watch(process: subprocess.Popen[bytes], out_path: Path, timeout: float) -> str | None:
    """Wait for the process; stop it when it runs too long or prints too much, and say why.

    Its whole session is killed at the end either way, so nothing it started outlives it.
    """
    deadline = time.monotonic() + timeout
    reason: str | None = None
    while reason is None:
        try:
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            if out_path.stat().st_size > MAX_OUTPUT_BYTES:
                reason = f"its output exceeded {MAX_OUTPUT_BYTES:,} bytes"
            elif time.monotonic() > deadline:
                reason = f"it took longer than {timeout:g} s"
            continue
        if out_path.stat().st_size > MAX_OUTPUT_BYTES:
            reason = f"its output exceeded {MAX_OUTPUT_BYTES:,} bytes"
        break
    _kill_group(process)
    return reason


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the renderer and everything it started (its own session), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()
    process.wait()


def _sdk_documents(output: str) -> list[tuple[str, str]]:
    try:
        rendered = json.loads(output)
    except json.JSONDecodeError:
        return []
    if not isinstance(rendered, dict):
        return []
    return sorted((str(k), str(v)) for k, v in rendered.items())


def _binary_documents(output: str) -> list[tuple[str, str]]:
    """``helm template`` output split into (template, text) by its ``---`` and ``# Source:`` lines."""
    chunks: list[list[str]] = [[]]
    for line in output.splitlines():
        if line.rstrip() == "---":
            chunks.append([])
        else:
            chunks[-1].append(line)
    documents = []
    for lines in chunks:
        source = next((line.split(":", 1)[1].strip() for line in lines[:3] if line.startswith("# Source:")), "")
        if source:
            documents.append((source, "\n".join(lines)))
    return documents


def _objects(documents: list[tuple[str, str]], chart_root: str,
             chart_file: str) -> tuple[list[RenderedObject], list[Diagnostic]]:
    """Objects of the chart's templates (not NOTES.txt, not test hooks), parsed with the bounded loader."""
    objects: list[RenderedObject] = []
    notes: list[Diagnostic] = []
    for template, text in documents:
        local = template.split("/", 1)[1] if "/" in template else template
        base = PurePosixPath(local).name
        if base.startswith("_") or base == "NOTES.txt" or "/tests/" in f"/{local}":
            continue
        rel = local if chart_root == "." else f"{chart_root}/{local}"
        try:
            bodies = safeload.load_yaml_all(text, rel)
        except FileProblem as problem:
            notes.append(problem.diagnostic.model_copy(update={"severity": "warning", "message":
                         f"rendered output is not readable YAML: {problem.diagnostic.message}"}))
            continue
        for body in bodies:
            if isinstance(body, dict) and isinstance(body.get("kind"), str):
                metadata = body.get("metadata")
                name = metadata.get("name", "") if isinstance(metadata, dict) else ""
                objects.append(RenderedObject(rel, body["kind"], str(name), body))
    if not objects:
        notes.append(info("helm.render-empty", "the chart rendered no Kubernetes objects with its default values",
                          file=chart_file, line=1))
    return objects, notes


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def child_main() -> None:
    """Child-process entry point: limit memory and output size, then run the embedded or the binary Helm.

    ``argv``: the memory and file-size limits, then ``--sdk <chart> <release> <namespace> <cap>`` or a
    command to exec. The file-size limit stops a flood of output at the first byte over the cap, however
    slowly the parent gets to look.
    """
    memory, output, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    if os.name == "posix":
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; the exec'd renderer must not
    if command[0] != "--sdk":
        os.execv(command[0], command)
    _render_with_sdk(command[1], command[2], command[3], int(command[4]))


def _render_with_sdk(chart_dir: str, release: str, namespace: str, cap: int) -> None:
    """Render with helm-python-sdk and print the manifests as JSON (template path → text)."""
    helm_python = importlib.import_module("helm_python")  # optional: the 'helm' extra
    try:
        with helm_python.Chart.load(chart_dir) as chart:
            rendered = chart.render(name=release, namespace=namespace, is_install=True)
    except helm_python.HelmError as exc:
        print(str(exc)[-2000:], file=sys.stderr)
        raise SystemExit(2) from None
    text = json.dumps(rendered, sort_keys=True)
    if len(text) > cap:
        print(f"rendered output is {len(text):,} bytes, over the {cap:,}-byte cap", file=sys.stderr)
        raise SystemExit(3)
    sys.stdout.write(text)
