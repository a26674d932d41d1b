"""The Helm analyzer and renderer: chart metadata, dependencies, rendering, hostile charts."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from kubify import helmrender
from kubify.analyzers import helm
from kubify.analyzers.base import Analysis
from kubify.ir import Build, Dependency, Health, Port
from kubify.scan import scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CHART = FIXTURES / "helm-chart-only"
BOMB = FIXTURES / "hostile-yaml-bomb"
HAS_SDK = helmrender.renderer() == "helm-python-sdk"
needs_sdk = pytest.mark.skipif(not HAS_SDK, reason="helm-python-sdk is not installed: pip install 'kubify-cli[helm]'")
MINIMAL = "apiVersion: v2\nname: {name}\nversion: 1.0.0\n"
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image }}"
          ports: [{containerPort: 3000, name: web}]
"""


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def analyze(root: Path) -> Analysis:
    inventory = scan(root)
    [detection] = helm.ANALYZER.detect(inventory)
    return helm.ANALYZER.analyze(inventory, detection)


@pytest.fixture
def no_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helmrender, "renderer", lambda: None)


# --- detection ------------------------------------------------------------------------------

def test_detect_charts_but_not_subcharts_or_test_data(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "deploy/app/Chart.yaml": MINIMAL.format(name="app"),
        "deploy/app/charts/redis/Chart.yaml": MINIMAL.format(name="redis"),
        "charts/api/Chart.yml": MINIMAL.format(name="api"),
        "charts/worker/Chart.yaml": MINIMAL.format(name="worker"),
        "tests/testdata/broken/Chart.yaml": MINIMAL.format(name="broken"),
    })
    detections = helm.ANALYZER.detect(scan(root))
    assert [(d.root, d.hint("chart")) for d in detections] == [
        ("charts/api", "charts/api/Chart.yml"), ("charts/worker", "charts/worker/Chart.yaml"),
        ("deploy/app", "deploy/app/Chart.yaml")]


# --- the fixture chart ----------------------------------------------------------------------

@needs_sdk
def test_rendered_chart_gives_image_ports_health_and_backing_service() -> None:
    analysis = analyze(CHART)
    [component] = analysis.components
    assert (component.name, component.path, component.kind, component.analyzer) == ("inventory-api", ".", "chart",
                                                                                    "helm")
    assert component.build == Build(image="ghcr.io/acme/inventory-api:2.3.0")  # tag "" → appVersion
    assert component.ports == (Port(port=8080, name="http"), Port(port=9090, name="metrics"))
    assert component.health == Health(type="http", path="/healthz", port=8080)
    assert component.depends_on == (Dependency(service="postgres"),)
    [service] = analysis.services
    assert (service.name, service.kind) == ("postgresql", "postgres")
    missing = [d for d in analysis.diagnostics if d.code == "helm.dependency-missing"]
    assert len(missing) == 1 and missing[0].severity == "warning"


@needs_sdk
def test_rendered_evidence_points_at_chart_values_and_template_lines() -> None:
    [component] = analyze(CHART).components
    build = component.evidence_for("build")[0]
    assert (build.file, build.line, build.confidence) == ("values.yaml", line_of(CHART / "values.yaml",
                                                                                 "repository:"), 0.95)
    ports = component.evidence_for("ports")[0]
    assert (ports.file, ports.line) == ("templates/deployment.yaml",
                                        line_of(CHART / "templates/deployment.yaml", "containerPort"))
    dependency = component.evidence_for("depends_on")[0]
    assert (dependency.file, dependency.line) == ("Chart.yaml", line_of(CHART / "Chart.yaml", "- name: postgresql"))
    assert all(e.rule.startswith("helm.") for e in component.evidence)


def test_without_a_renderer_values_conventions_are_read_at_lower_confidence(no_renderer: None) -> None:
    analysis = analyze(CHART)
    [component] = analysis.components
    assert component.build == Build(image="ghcr.io/acme/inventory-api:2.3.0")
    assert component.ports == (Port(port=8080),)
    assert {e.confidence for e in component.evidence if e.field in ("build", "ports")} == {0.6}
    assert component.evidence_for("ports")[0].line == line_of(CHART / "values.yaml", "containerPort:")
    [skipped] = [d for d in analysis.diagnostics if d.code == "helm.render-skipped"]
    assert skipped.severity == "info" and skipped.hint is not None and "kubify-cli[helm]" in skipped.hint
    assert not any(d.code == "helm.dependency-missing" for d in analysis.diagnostics)


def test_values_conventions_for_string_images_service_ports_and_probes(tmp_path: Path, no_renderer: None) -> None:
    root = repo(tmp_path, {
        "chart/Chart.yaml": MINIMAL.format(name="web"),
        "chart/values.yaml": "frontend:\n  image: nginx:1.27\nservice:\n  port: 8081\ningress:\n  enabled: true\n"
                             "livenessProbe:\n  httpGet: {path: /live, port: 8081}\n",
    })
    [component] = analyze(root).components
    assert component.build == Build(image="nginx:1.27")
    assert component.ports == (Port(port=8081, name="http"),)
    assert component.health == Health(type="http", path="/live", port=8081)


# --- metadata -------------------------------------------------------------------------------

def test_library_charts_are_not_deployable(tmp_path: Path) -> None:
    root = repo(tmp_path, {"common/Chart.yaml": MINIMAL.format(name="common") + "type: library\n",
                           "common/templates/_labels.tpl": "{{- define \"common.labels\" -}}{{- end -}}\n"})
    [component] = analyze(root).components
    assert (component.kind, component.build, component.deployable) == ("library", None, False)


@pytest.mark.parametrize("name", ["..", ".", "../../etc", "a/b", "a\\\\b"])
def test_path_like_chart_names_are_rejected(tmp_path: Path, name: str, no_renderer: None) -> None:
    root = repo(tmp_path, {"mychart/Chart.yaml": f'apiVersion: v2\nname: "{name}"\nversion: 1.0.0\n'})
    analysis = analyze(root)
    assert analysis.components[0].name == "mychart"
    [note] = [d for d in analysis.diagnostics if d.code == "helm.chart-name"]
    assert (note.file, note.line) == ("mychart/Chart.yaml", 2)


def test_control_characters_and_bad_versions_are_reported(tmp_path: Path, no_renderer: None) -> None:
    root = repo(tmp_path, {"c/Chart.yaml": 'apiVersion: v3\nname: "evil\\e[31mred"\nversion: "1.0"\n'
                                           'appVersion: "\\e]0;title\\a2.0"\n'})
    analysis = analyze(root)
    assert analysis.components[0].name == "evil-31mred"
    codes = sorted((d.code, d.line) for d in analysis.diagnostics)
    assert codes == [("helm.chart-api-version", 1), ("helm.chart-version", 3), ("helm.control-characters", 2),
                     ("helm.control-characters", 4)]
    assert not any("\x1b" in d.render() for d in analysis.diagnostics)


def test_dependencies_from_chart_yaml_and_v1_requirements(tmp_path: Path, no_renderer: None) -> None:
    root = repo(tmp_path, {
        "a/Chart.yaml": MINIMAL.format(name="a") + "dependencies:\n  - name: redis\n    alias: cache\n"
                        "  - name: common\n  - name: mongodb\n    condition: mongodb.enabled\n",
        "b/Chart.yaml": "apiVersion: v1\nname: b\nversion: 0.1.0\n",
        "b/requirements.yaml": "dependencies:\n- name: rabbitmq\n  version: 12.x\n",
    })
    inventory = scan(root)
    results = {d.root: helm.ANALYZER.analyze(inventory, d) for d in helm.ANALYZER.detect(inventory)}
    assert [(s.name, s.kind) for s in results["a"].services] == [("cache", "redis"), ("mongodb", "mongodb")]
    assert results["a"].components[0].depends_on == (Dependency(service="mongodb"), Dependency(service="redis"))
    [rabbit] = results["b"].services
    assert (rabbit.kind, rabbit.evidence[0].file, rabbit.evidence[0].line) == ("rabbitmq", "b/requirements.yaml", 2)


# --- hostile charts -------------------------------------------------------------------------

def test_the_yaml_bomb_chart_ends_in_diagnostics_with_lines() -> None:
    analysis = analyze(BOMB)
    assert analysis.components == [] and analysis.services == []
    found = {d.file: d for d in analysis.diagnostics}
    assert found["Chart.yaml"].code == "yaml.bomb" and found["Chart.yaml"].severity == "error"
    assert found["Chart.yaml"].line is not None and found["Chart.yaml"].line > 1
    assert found["values.yaml"].code == "yaml.too-deep" and found["values.yaml"].severity == "warning"
    assert found["values.yaml"].line is not None and found["values.yaml"].line > 60


def test_a_deep_values_file_skips_rendering_but_keeps_the_chart(tmp_path: Path) -> None:
    deep = "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "leaf: 1\n"
    root = repo(tmp_path, {"Chart.yaml": MINIMAL.format(name="deep"), "values.yaml": deep,
                           "templates/deployment.yaml": DEPLOYMENT})
    analysis = analyze(root)
    assert analysis.components[0].name == "deep"
    assert [d.code for d in analysis.diagnostics] == ["yaml.too-deep"]


@needs_sdk
def test_rendering_never_reads_through_a_symlink_out_of_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("TOP-SECRET-VALUE")
    root = repo(tmp_path / "repo", {
        "Chart.yaml": MINIMAL.format(name="leaky"), "values.yaml": "image: nginx:1.27\n",
        "templates/deployment.yaml": DEPLOYMENT,
        "templates/configmap.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\n'
                                    'data:\n  leak: {{ .Files.Get "files/leak.txt" | quote }}\n',
    })
    (root / "files").mkdir()
    (root / "files" / "leak.txt").symlink_to(outside)
    rendering, _notes = helmrender.render_chart(scan(root), ".")
    assert rendering is not None
    configmap = next(o for o in rendering.objects if o.kind == "ConfigMap")
    assert configmap.body["data"]["leak"] == ""
    assert "TOP-SECRET" not in json.dumps([o.body for o in rendering.objects])


@needs_sdk
def test_a_template_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    root = repo(tmp_path, {"Chart.yaml": MINIMAL.format(name="slow"),
                           "templates/cm.yaml": "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n"})
    rendering, notes = helmrender.render_chart(scan(root), ".", timeout=1.0)
    assert rendering is None
    assert [d.code for d in notes] == ["helm.render-stopped"] and "longer than 1 s" in notes[0].message


@needs_sdk
def test_a_template_that_allocates_too_much_is_stopped(tmp_path: Path) -> None:
    root = repo(tmp_path, {"Chart.yaml": MINIMAL.format(name="hungry"),
                           "templates/cm.yaml": "{{ range until 2000000000 }}{{ end }}\n"})
    rendering, notes = helmrender.render_chart(scan(root), ".")
    assert rendering is None
    assert [d.code for d in notes] == ["helm.render-failed"] and "out of memory" in notes[0].message


@needs_sdk
def test_a_failing_template_falls_back_to_values(tmp_path: Path) -> None:
    root = repo(tmp_path, {"Chart.yaml": MINIMAL.format(name="broken"), "values.yaml": "image: acme/app:2\n",
                           "templates/x.yaml": '{{ fail "the database host is required" }}\n'})
    analysis = analyze(root)
    [failed] = [d for d in analysis.diagnostics if d.code == "helm.render-failed"]
    assert "the database host is required" in failed.message
    assert analysis.components[0].build == Build(image="acme/app:2")
    assert analysis.components[0].evidence_for("build")[0].confidence == 0.6


@needs_sdk
def test_vendored_subcharts_render_and_do_not_make_the_main_image(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "Chart.yaml": MINIMAL.format(name="shop") + "dependencies:\n  - name: redis\n    version: 1.0.0\n",
        "values.yaml": "image: acme/shop:1.2\n",
        "templates/deployment.yaml": DEPLOYMENT,
        "charts/redis/Chart.yaml": MINIMAL.format(name="redis"),
        "charts/redis/templates/statefulset.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: r}\n"
                                                   "spec:\n  template:\n    spec:\n      containers:\n"
                                                   "        - {name: redis, image: 'redis:7.2', ports: "
                                                   "[{containerPort: 6379}]}\n",
    })
    analysis = analyze(root)
    [component] = analysis.components
    assert component.build == Build(image="acme/shop:1.2") and component.ports == (Port(port=3000, name="web"),)
    assert [(s.name, s.kind) for s in analysis.services] == [("redis", "redis")]
    assert not any(d.code == "helm.dependency-missing" for d in analysis.diagnostics)


# --- the helm-binary path, with a stand-in binary --------------------------------------------

def fake_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    binary = bin_dir / "helm"
    binary.write_text("#!/bin/sh\n" + script)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


def test_helm_template_output_is_split_by_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_helm(tmp_path, monkeypatch, f"""echo "$@" > {tmp_path}/args
cp "$3/Chart.yaml" {tmp_path}/staged-chart.yaml
cat <<'EOF'
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports: [{{port: 80, targetPort: 3000}}]
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: shop
          image: acme/shop:9
EOF
""")
    root = repo(tmp_path / "repo", {"Chart.yaml": MINIMAL.format(name="shop") + "dependencies:\n  - name: redis\n",
                                    "values.yaml": "{}\n", "templates/deployment.yaml": DEPLOYMENT})
    rendering, notes = helmrender.render_chart(scan(root), ".", missing=["redis"], use="helm")
    assert notes == [] and rendering is not None and rendering.renderer == "helm"
    assert [(o.template, o.kind) for o in rendering.objects] == [("templates/service.yaml", "Service"),
                                                                 ("templates/deployment.yaml", "Deployment")]
    args = (tmp_path / "args").read_text().split()
    assert args[:2] == ["template", "release"] and "--skip-tests" in args and str(root) not in " ".join(args)
    staged = json.loads((tmp_path / "staged-chart.yaml").read_text())
    assert staged["dependencies"] == []  # the missing dependency is left out of the copy only
    assert "redis" in (root / "Chart.yaml").read_text()


def gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for init counts as exited)."""
    for _ in range(100):
        status = Path(f"/proc/{pid}/status")
        if not status.exists() or "State:\tZ" in status.read_text():
            return True
        time.sleep(0.02)
    return False


def test_helm_binary_failures_floods_and_hangs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo(tmp_path / "repo", {"Chart.yaml": MINIMAL.format(name="x"), "templates/a.yaml": DEPLOYMENT})
    inventory = scan(root)
    fake_helm(tmp_path, monkeypatch, "echo 'Error: template: x/templates/a.yaml:1: bad' >&2\nexit 1\n")
    _rendering, [failed] = helmrender.render_chart(inventory, ".", use="helm")
    assert failed.code == "helm.render-failed" and "template: x/templates/a.yaml:1: bad" in failed.message
    monkeypatch.setattr(helmrender, "MAX_OUTPUT_BYTES", 100_000)
    fake_helm(tmp_path, monkeypatch, f"yes 'kind: ConfigMap' &\necho $! > {tmp_path}/flood.pid\nwait\n")
    _rendering, [flood] = helmrender.render_chart(inventory, ".", use="helm")
    assert flood.code == "helm.render-stopped" and "output exceeded" in flood.message
    assert gone(int((tmp_path / "flood.pid").read_text()))  # the writer it started is gone too
    fake_helm(tmp_path, monkeypatch, f"sleep 30 &\necho $! > {tmp_path}/sleep.pid\nwait\n")
    _rendering, [hang] = helmrender.render_chart(inventory, ".", use="helm", timeout=0.5)
    assert hang.code == "helm.render-stopped" and "longer than 0.5 s" in hang.message
    assert gone(int((tmp_path / "sleep.pid").read_text()))


@pytest.mark.skipif(shutil.which("helm") is None or not HAS_SDK,
                    reason="needs both a helm binary on PATH and helm-python-sdk (to compare their renderings)")
def test_the_helm_binary_and_the_sdk_agree_on_the_fixture() -> None:
    inventory = scan(CHART)
    by_sdk, _ = helmrender.render_chart(inventory, ".", use="helm-python-sdk")
    by_binary, _ = helmrender.render_chart(inventory, ".", missing=["postgresql"], use="helm")
    assert by_sdk is not None and by_binary is not None
    assert sorted((o.kind, o.name) for o in by_sdk.objects) == sorted((o.kind, o.name) for o in by_binary.objects)
