"""The Helm analyzer: a chart is a component of kind ``chart`` that already knows how it deploys.

``detect`` claims every ``Chart.yaml``/``Chart.yml`` except subcharts (a chart under
another chart's ``charts/``) and charts in docs/examples/test directories. ``analyze``
reads the chart's metadata — a hostile name (``..``, a ``/``, control characters) or a
non-SemVer version is reported, never used as a path — turns dependencies on database,
cache and broker charts into backing services, and learns the image, ports and probes
the chart deploys by rendering it (:mod:`kubify.helmrender`, offline, bounded). Without
a Helm to render with, the common ``values.yaml`` conventions (``image.repository``,
``service.port``, ``containerPort``, probes) are read instead, at lower confidence.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, ClassVar

from kubify import helmrender, safeload
from kubify.analyzers.base import Analysis, Detection
from kubify.diagnostics import Diagnostic, FileProblem, error, info, warning
from kubify.ir import BackingKind, BackingService, Build, Component, Dependency, Evidence, Health, Port
from kubify.naming import dns_label
from kubify.scan import Inventory, join, parent, relative_to
from kubify.signals.images import backing_kind, backing_version
from kubify.signals.workloads import Container, containers, probe_health, service_ports

CHART_FILES: tuple[str, ...] = ("Chart.yaml", "Chart.yml")
#: Directories whose charts are test data or examples, not the repository's deployment.
SKIPPED_DIRS: frozenset[str] = frozenset({"testdata", "test", "tests", "fixtures", "examples", "example", "docs"})
#: Dependency chart names (Bitnami and friends) that deploy a backing service.
CHART_SERVICES: dict[str, BackingKind] = {
    **dict.fromkeys(("postgresql", "postgresql-ha", "postgres"), "postgres"),
    **dict.fromkeys(("mysql", "mariadb", "mariadb-galera", "percona", "percona-xtradb-cluster"), "mysql"),
    **dict.fromkeys(("redis", "redis-cluster", "valkey", "valkey-cluster", "keydb", "dragonfly"), "redis"),
    **dict.fromkeys(("mongodb", "mongodb-sharded"), "mongodb"),
    **dict.fromkeys(("kafka", "redpanda"), "kafka"),
    "rabbitmq": "rabbitmq",
    **dict.fromkeys(("elasticsearch", "opensearch"), "elasticsearch"),
    "minio": "s3",
    "memcached": "memcached",
    "nats": "nats",
}
RENDERED = 0.95
CONVENTION = 0.6
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
                     r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_VALUE_NODES = 20_000


@dataclass
class _Chart:
    """What Chart.yaml says, cleaned, with the lines it said it on."""

    root: str
    file: str
    name: str
    kind: str
    app_version: str | None
    located: Any
    dependencies: list[_ChartDependency] = field(default_factory=list)

    def line(self, *path: str | int) -> int:
        return (safeload.line_of(self.located, list(path)) if self.located is not None else None) or 1


@dataclass(frozen=True)
class _ChartDependency:
    name: str
    alias: str | None
    repository: str | None
    condition: str | None
    file: str
    line: int
    vendored: bool


@dataclass
class _Values:
    file: str | None
    data: dict[str, Any]
    located: Any
    readable: bool = True

    def line(self, path: list[str | int]) -> int:
        return (safeload.line_of(self.located, path) if self.located is not None else None) or 1


class HelmAnalyzer:
    name: ClassVar[str] = "helm"
    priority: ClassVar[int] = 60

    def detect(self, inventory: Inventory) -> list[Detection]:
        charts = {parent(f): f for f in inventory.named(*CHART_FILES)}
        detections = []
        for root in sorted(charts):
            if _subchart(root, charts) or _skipped(root):
                continue
            evidence = Evidence(field="kind", value="chart", rule="helm.detect.chart-yaml", file=charts[root], line=1,
                                confidence=RENDERED)
            detections.append(Detection(self.name, root, RENDERED, (evidence,), (("chart", charts[root]),)))
        return detections

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis:
        notes: list[Diagnostic] = []
        chart = _read_chart(inventory, detection.root, detection.hint("chart") or join(detection.root, "Chart.yaml"),
                            notes)
        if chart is None:
            _read_values(inventory, detection.root, notes)  # report its problems too, all at once
            return Analysis(diagnostics=notes)
        evidence = [Evidence(field="kind", value=chart.kind, rule=f"helm.kind.{chart.kind}", file=chart.file,
                             line=chart.line("type") if chart.kind == "library" else chart.line("apiVersion"),
                             confidence=RENDERED)]
        values: dict[str, Any] = {"kind": chart.kind}
        services: list[BackingService] = []
        if chart.kind == "chart":
            services = _dependency_services(chart, values, evidence)
            _deployment(inventory, chart, values, evidence, services, notes)
        notes += _crd_note(inventory, chart)
        component = Component(name=chart.name, path=chart.root, analyzer=self.name, evidence=tuple(evidence),
                              **values)
        return Analysis(components=[component], services=services, diagnostics=notes)


ANALYZER = HelmAnalyzer()


def _subchart(root: str, charts: dict[str, str]) -> bool:
    parts = PurePosixPath(root).parts
    for index, part in enumerate(parts):
        if part in ("charts", "templates", "crds") and index and str(PurePosixPath(*parts[:index])) in charts:
            return True
        if part in ("charts", "templates", "crds") and index == 0 and "." in charts:
            return True
    return False


def _skipped(root: str) -> bool:
    return any(part.lower() in SKIPPED_DIRS for part in PurePosixPath(root).parts)


# --- Chart.yaml -----------------------------------------------------------------------------

def _read_chart(inventory: Inventory, root: str, file: str, notes: list[Diagnostic]) -> _Chart | None:
    try:
        meta = inventory.yaml(file)
        located = safeload.load_yaml_located(inventory.text(file), file)
    except FileProblem as problem:
        notes.append(problem.diagnostic)
        return None
    if not isinstance(meta, dict):
        notes.append(error("helm.chart-yaml", "Chart.yaml is not a mapping of chart metadata", file=file, line=1,
                           hint="Chart.yaml needs apiVersion, name and version"))
        return None
    chart = _Chart(root, file, "", "chart", None, located)
    fallback = dns_label(PurePosixPath(root).name if root != "." else inventory.name, fallback="chart")
    chart.name = _chart_name(chart, meta.get("name"), fallback, notes)
    _check_metadata(chart, meta, notes)
    chart.app_version = _clean(chart, "appVersion", meta.get("appVersion"), notes)
    if meta.get("type") == "library":
        chart.kind = "library"
    elif meta.get("type") not in (None, "application"):
        notes.append(warning("helm.chart-type", f"chart type {_shown(meta.get('type'))} is neither 'application' "
                             "nor 'library'; read as an application", file=file, line=chart.line("type")))
    chart.dependencies = _dependencies(inventory, chart, meta, notes)
    return chart


def _chart_name(chart: _Chart, raw: Any, fallback: str, notes: list[Diagnostic]) -> str:
    name = _clean(chart, "name", raw, notes)
    if not name:
        notes.append(warning("helm.chart-name", f"Chart.yaml has no name; the component is called {fallback!r}",
                             file=chart.file, line=1, hint="add 'name: <chart name>' to Chart.yaml"))
        return fallback
    if name in (".", "..") or "/" in name or "\\" in name:
        notes.append(warning("helm.chart-name", f"chart name {name!r} is not allowed (it would act as a path); "
                             f"the component is called {fallback!r}", file=chart.file, line=chart.line("name"),
                             hint="name the chart with letters, digits and dashes"))
        return fallback
    return dns_label(name, fallback=fallback)


def _check_metadata(chart: _Chart, meta: dict[str, Any], notes: list[Diagnostic]) -> None:
    api = meta.get("apiVersion")
    if api not in ("v1", "v2"):
        notes.append(warning("helm.chart-api-version", f"Chart.yaml apiVersion is {_shown(api)}, not v1 or v2",
                             file=chart.file, line=chart.line("apiVersion") if api is not None else 1,
                             hint="Helm 3 charts use 'apiVersion: v2'"))
    version = _clean(chart, "version", meta.get("version"), notes)
    if not version or not _SEMVER.match(version):
        notes.append(warning("helm.chart-version", f"chart version {_shown(version)} is not a SemVer 2 version",
                             file=chart.file, line=chart.line("version") if version else 1,
                             hint="use a version like 1.2.3 (Helm rejects charts without one)"))


def _clean(chart: _Chart, key: str, raw: Any, notes: list[Diagnostic]) -> str | None:
    """A metadata string with control characters removed (they could rewrite a terminal)."""
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw) if isinstance(raw, (int, float)) else ""
    cleaned = _CONTROL.sub("", text).strip()
    if cleaned != text.strip():
        notes.append(warning("helm.control-characters", f"Chart.yaml {key} contains control characters; "
                             "they were removed", file=chart.file, line=chart.line(key),
                             hint="remove escape sequences from the chart metadata"))
    return cleaned[:253] or None


def _shown(value: Any) -> str:
    return repr(_CONTROL.sub("?", str(value))[:60]) if value is not None else "missing"


def _dependencies(inventory: Inventory, chart: _Chart, meta: dict[str, Any],
                  notes: list[Diagnostic]) -> list[_ChartDependency]:
    file, items, located = chart.file, meta.get("dependencies"), chart.located
    requirements = join(chart.root, "requirements.yaml")
    if items is None and inventory.has(requirements):
        try:
            items = (inventory.yaml(requirements) or {}).get("dependencies")
            file, located = requirements, safeload.load_yaml_located(inventory.text(requirements), requirements)
        except (FileProblem, AttributeError):
            notes.append(warning("helm.requirements", "requirements.yaml is not readable; its dependencies are "
                                 "ignored", file=requirements, line=1))
            return []
    found = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            continue
        line = (safeload.line_of(located, ["dependencies", index]) if located is not None else None) or 1
        alias, repository, condition = (_text(item.get(k)) for k in ("alias", "repository", "condition"))
        found.append(_ChartDependency(name, alias, repository, condition, file, line, _vendored(inventory, chart,
                                                                                                 name)))
    return found


def _text(value: Any) -> str | None:
    return _CONTROL.sub("", value) if isinstance(value, str) and value else None


def _vendored(inventory: Inventory, chart: _Chart, name: str) -> bool:
    charts_dir = join(chart.root, "charts")
    return inventory.has(join(charts_dir, name, "Chart.yaml")) or any(
        PurePosixPath(f).name.startswith(f"{name}-") and f.endswith(".tgz") for f in inventory.children(charts_dir))


def _dependency_services(chart: _Chart, values: dict[str, Any], evidence: list[Evidence]) -> list[BackingService]:
    services: list[BackingService] = []
    dependencies: dict[str, Dependency] = {}
    for dependency in chart.dependencies:
        kind = CHART_SERVICES.get(dependency.name.lower())
        if kind is None:
            continue
        note = Evidence(field="depends_on", value=kind, rule=f"helm.dependency.{dependency.name.lower()}",
                        file=dependency.file, line=dependency.line, confidence=RENDERED)
        services.append(BackingService(name=dependency.alias or dependency.name, kind=kind,
                                       evidence=(note.model_copy(update={"field": "kind"}),)))
        dependencies.setdefault(kind, Dependency(service=kind))
        evidence.append(note)
    if dependencies:
        values["depends_on"] = tuple(dependencies[k] for k in sorted(dependencies))
    return services


def _crd_note(inventory: Inventory, chart: _Chart) -> list[Diagnostic]:
    crds = [f for f in inventory.under(join(chart.root, "crds")) if f.endswith((".yaml", ".yml", ".json"))]
    if not crds:
        return []
    return [info("helm.crds", f"the chart installs CustomResourceDefinitions from {len(crds)} file(s) in crds/; "
                 "installing it needs cluster-wide permissions", file=crds[0], line=1)]


# --- what the chart deploys -----------------------------------------------------------------

def _deployment(inventory: Inventory, chart: _Chart, values: dict[str, Any], evidence: list[Evidence],
                services: list[BackingService], notes: list[Diagnostic]) -> None:
    """Image, ports and health: rendered when possible, else from values.yaml conventions."""
    chart_values = _read_values(inventory, chart.root, notes)
    rendered = None
    if chart_values.readable and inventory.under(join(chart.root, "templates")):
        missing = [d.alias or d.name for d in chart.dependencies if not d.vendored]
        for dependency in (d for d in chart.dependencies if not d.vendored and helmrender.renderer()):
            notes.append(warning("helm.dependency-missing", f"dependency {dependency.name!r} is not vendored under "
                                 "charts/; the chart is rendered without it", file=dependency.file,
                                 line=dependency.line, hint="run `helm dependency build` to vendor it (kubify never "
                                 "downloads charts)"))
        rendered, render_notes = helmrender.render_chart(inventory, chart.root, missing=missing)
        notes += render_notes
    found = _from_rendering(inventory, chart, chart_values, rendered, values, evidence) if rendered else False
    if rendered is not None:
        services += _bundled_services(rendered, chart, services)
    if not found:
        _from_values(chart, chart_values, values, evidence)


def _read_values(inventory: Inventory, root: str, notes: list[Diagnostic]) -> _Values:
    file = next((join(root, n) for n in ("values.yaml", "values.yml") if inventory.has(join(root, n))), None)
    if file is None:
        return _Values(None, {}, None)
    try:
        data = inventory.yaml(file)
        located = safeload.load_yaml_located(inventory.text(file), file)
    except FileProblem as problem:
        notes.append(problem.diagnostic.model_copy(update={"severity": "warning", "hint": (
            problem.diagnostic.hint or "fix the file") + "; the chart's values were not used"}))
        return _Values(file, {}, None, readable=False)
    return _Values(file, data if isinstance(data, dict) else {}, located)


def _from_rendering(inventory: Inventory, chart: _Chart, chart_values: _Values, rendered: helmrender.Rendering,
                    values: dict[str, Any], evidence: list[Evidence]) -> bool:
    own = [(o.template, o.body) for o in rendered.objects
           if not relative_to(o.template, chart.root).startswith("charts/")]
    main = _main_container(containers(own))
    if main is None or main.image is None:
        return False
    rule = "helm.rendered"
    image_line = _image_line(chart_values, main.image)
    values["build"] = Build(image=main.image)
    evidence.append(Evidence(field="build", value=main.image, rule=f"{rule}.image",
                             file=chart_values.file if image_line else main.file,
                             line=image_line or _text_line(inventory, main.file, "image:"), confidence=RENDERED))
    ports = main.ports or _service_ports(own)
    if ports:
        values["ports"] = ports
        evidence.append(Evidence(field="ports", value=", ".join(f"{p.port}/{p.protocol}" for p in ports),
                                 rule=f"{rule}.ports", file=main.file,
                                 line=_text_line(inventory, main.file, "containerPort"), confidence=RENDERED))
    if main.health is not None:
        values["health"] = main.health
        evidence.append(Evidence(field="health", value=_health_text(main.health), rule=f"{rule}.probe",
                                 file=main.file, line=_text_line(inventory, main.file, "Probe:"),
                                 confidence=RENDERED))
    return True


def _main_container(found: list[Container]) -> Container | None:
    """The chart's application container: a long-running workload's, one that serves ports first."""
    serving = [c for c in found if c.ports and c.workload_kind in ("Deployment", "StatefulSet", "Rollout")]
    candidates = serving or found
    return candidates[0] if candidates else None


def _service_ports(objects: list[tuple[str, dict[str, Any]]]) -> tuple[Port, ...]:
    ports: dict[int, Port] = {}
    for item in service_ports(objects):
        number = item.target if isinstance(item.target, int) and 1 <= item.target <= 65535 else item.port
        ports.setdefault(number, Port(port=number, protocol="UDP" if item.protocol == "UDP" else "TCP",
                                      name=item.name))
    return tuple(ports.values())


def _bundled_services(rendered: helmrender.Rendering, chart: _Chart,
                      declared: list[BackingService]) -> list[BackingService]:
    """Databases the chart's own templates run (not through a dependency)."""
    have = {s.kind for s in declared}
    found: dict[str, BackingService] = {}
    for container in containers((o.template, o.body) for o in rendered.objects):
        kind = backing_kind(container.image or "")
        if kind is None or kind in have or kind in found:
            continue
        note = Evidence(field="kind", value=kind, rule="helm.rendered.backing-image", file=container.file, line=1,
                        confidence=RENDERED)
        found[kind] = BackingService(name=kind, kind=kind, version=backing_version(container.image or ""),
                                     image=container.image, evidence=(note,))
    return [found[k] for k in sorted(found)]


def _image_line(chart_values: _Values, image: str) -> int | None:
    for path, node in _walk(chart_values.data):
        if path and path[-1] == "image" and isinstance(node, dict) and isinstance(node.get("repository"), str) \
                and node["repository"] and node["repository"] in image:
            return chart_values.line([*path, "repository"])
    return None


def _text_line(inventory: Inventory, file: str, needle: str) -> int:
    try:
        text = inventory.text(file)
    except FileProblem:
        return 1
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _health_text(health: Health) -> str:
    if health.type == "exec":
        return " ".join(health.command)
    return f"{health.type} {health.path or ''} on {health.port or 'the main port'}".replace("  ", " ")


# --- values.yaml conventions ----------------------------------------------------------------

def _from_values(chart: _Chart, chart_values: _Values, values: dict[str, Any], evidence: list[Evidence]) -> None:
    if chart_values.file is None:
        return
    file = chart_values.file
    image = _values_image(chart_values.data, chart.app_version)
    if image is not None:
        path, reference = image
        values["build"] = Build(image=reference)
        evidence.append(Evidence(field="build", value=reference, rule="helm.values.image", file=file,
                                 line=chart_values.line(path), confidence=CONVENTION))
    port = _values_port(chart_values.data)
    if port is not None:
        path, number = port
        name = "http" if _ingress_enabled(chart_values.data) else None
        values["ports"] = (Port(port=number, name=name),)
        evidence.append(Evidence(field="ports", value=f"{number}/TCP", rule=f"helm.values.{path[-1]}", file=file,
                                 line=chart_values.line(path), confidence=CONVENTION))
    for path, node in _walk(chart_values.data):
        health = probe_health(node) if path and path[-1] in ("readinessProbe", "livenessProbe") else None
        if health is not None:
            values["health"] = health
            evidence.append(Evidence(field="health", value=_health_text(health), rule="helm.values.probe",
                                     file=file, line=chart_values.line(path), confidence=CONVENTION))
            break


def _values_image(data: dict[str, Any], app_version: str | None) -> tuple[list[str | int], str] | None:
    for path, node in _walk(data):
        if not path or path[-1] != "image":
            continue
        if isinstance(node, str) and node.strip():
            return path, node.strip()
        repository = node.get("repository") if isinstance(node, dict) else None
        if isinstance(repository, str) and repository.strip() and isinstance(node, dict):
            registry, tag = node.get("registry"), node.get("tag") or app_version
            reference = f"{registry}/{repository}" if isinstance(registry, str) and registry else repository
            return [*path, "repository"], f"{reference}:{tag}" if isinstance(tag, (str, int, float)) and tag \
                else reference
    return None


def _values_port(data: dict[str, Any]) -> tuple[list[str | int], int] | None:
    candidates: list[tuple[int, list[str | int], int]] = []
    for path, node in _walk(data):
        key = path[-1] if path else None
        number = node if isinstance(node, int) and not isinstance(node, bool) and 1 <= node <= 65535 else None
        if number is None:
            continue
        if key == "containerPort":
            candidates.append((0, path, number))
        elif key == "targetPort" and "service" in path:
            candidates.append((1, path, number))
        elif key == "port" and len(path) >= 2 and path[-2] == "service":
            candidates.append((2, path, number))
    if not candidates:
        return None
    _rank, path, number = min(candidates, key=lambda c: (c[0], len(c[1])))
    return path, number


def _ingress_enabled(data: dict[str, Any]) -> bool:
    ingress = data.get("ingress")
    return isinstance(ingress, dict) and ingress.get("enabled") is True


def _walk(data: Any) -> Iterator[tuple[list[str | int], Any]]:
    """Breadth-first (path, node) pairs of a values tree, shallow keys first, bounded."""
    queue: deque[tuple[list[str | int], Any]] = deque([([], data)])
    seen = 0
    while queue and seen < _MAX_VALUE_NODES:
        path, node = queue.popleft()
        seen += 1
        yield path, node
        if isinstance(node, dict):
            queue.extend(([*path, str(k)], v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(([*path, i], v) for i, v in enumerate(node))
