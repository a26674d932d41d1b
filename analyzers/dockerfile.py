"""The Dockerfile analyzer: an existing Dockerfile is the most explicit description of how
a component is built and run, so its facts carry deployment-config confidence (0.95).

detect() finds Dockerfiles by name (Skaffold's rule) *and* content (Move2Kube's rule: the
first instruction other than ARG is FROM), picks the ones that describe components (see
:mod:`dockerfile_placement`) and places each at its component root. analyze() evaluates
the stage that runs — the compose/``kubify.yaml`` target, else the last stage — and
reports build, run command, ports, health check, volumes and environment, each with the
line it came from. Base-image names add low-confidence language hints only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from kubify import overrides
from kubify.analyzers.base import Analysis, Detection
from kubify.analyzers.dockerfile_expand import expand
from kubify.analyzers.dockerfile_images import (
    WEB_ROOTS,
    floating_tag,
    is_root_user,
    language_of,
    runs_as_non_root,
    static_server_port,
)
from kubify.analyzers.dockerfile_model import DockerfileModel, Healthcheck, ImageConfig, parse_dockerfile
from kubify.analyzers.dockerfile_placement import (
    Candidate,
    classify,
    component_root,
    compose_build,
    in_ignored_dir,
    infer_context,
    is_dev_target,
    is_production_target,
    select,
)
from kubify.diagnostics import Diagnostic, FileProblem, info, warning
from kubify.ir import ENV_NAME, Build, Component, EnvVar, Evidence, Health, Port, Run, Volume
from kubify.naming import dns_label
from kubify.scan import Inventory, parent
from kubify.signals.secrets import looks_secret

EXPLICIT = 0.95
KIND_FROM_EXPOSE = 0.6
BASE_IMAGE_HINT = 0.3
_SCORES: Mapping[str, float] = {"main": 0.95, "production": 0.95, "service": 0.9, "flavour": 0.85, "dev": 0.6}
#: Variables the image's own base defines or that only matter while building: never copied to a pod.
_SYSTEM_ENV = frozenset({"PATH", "HOME", "HOSTNAME", "PWD", "SHELL", "TERM", "LD_LIBRARY_PATH", "LD_PRELOAD",
                         "DEBIAN_FRONTEND"})
#: A whole URL on the container's own address; a URL glued to code ('http://127.0.0.1:'+port) does not match.
_LOCAL_URL = re.compile(
    r"\bhttp://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(?P<port>[^/\s'\"|;&)`]+))?"
    r"(?P<path>/[^\s'\"|;&)`]*)?(?=$|[\s'\"|;&)`])")
_GRPC_PROBE = re.compile(r"\bgrpc_health_probe\b.*?-addr[= ](?:[\w.\[\]:-]*?):(?P<port>\d+)")
_TCP_PROBE = re.compile(r"\bnc\b(?:\s+-\w+)*\s+(?:localhost|127\.0\.0\.1)\s+(?P<port>\d+)")


#: What each field reader returns: IR field values and the evidence for them.
Fields = tuple[dict[str, object], list[Evidence]]


@dataclass(frozen=True)
class _Facts:
    """One Dockerfile's evaluated image and where it sits in the repository."""

    path: str
    model: DockerfileModel
    image: ImageConfig
    target: str | None


class DockerfileAnalyzer:
    name: ClassVar[str] = "dockerfile"
    priority: ClassVar[int] = 80

    def detect(self, inventory: Inventory) -> list[Detection]:
        by_dir: dict[str, list[Candidate]] = {}
        models: dict[str, DockerfileModel] = {}
        for path in inventory.files:
            candidate = classify(path)
            if candidate is None or in_ignored_dir(path):
                continue
            model = _read(inventory, path)
            if model is not None and model.starts_with_from:
                by_dir.setdefault(parent(path), []).append(candidate)
                models[path] = model
        detections = [self._detection(inventory, candidate, models[candidate.path])
                      for directory in sorted(by_dir) for candidate in select(by_dir[directory])
                      if not _auxiliary(candidate, by_dir[directory], models)]
        return _one_per_component(detections)

    def _detection(self, inventory: Inventory, candidate: Candidate, model: DockerfileModel) -> Detection:
        compose = compose_build(inventory, candidate.path)
        context = compose.context if compose else infer_context(inventory, candidate.path, model)
        root = component_root(inventory, candidate.path, context, model)
        first = model.stages[0].line if model.stages else None
        evidence = Evidence(field="build", value=candidate.path, rule="dockerfile.detect", file=candidate.path,
                            line=first, confidence=_SCORES[candidate.role])
        hints = (("dockerfile", candidate.path), ("context", context), ("role", candidate.role),
                 ("variant", candidate.variant or ""))
        return Detection(analyzer=self.name, root=root, score=_SCORES[candidate.role], evidence=(evidence,),
                         hints=hints)

    def analyze(self, inventory: Inventory, detection: Detection) -> Analysis:
        analysis = Analysis()
        path = detection.hint("dockerfile") or "Dockerfile"
        try:
            text = inventory.text(path)
        except FileProblem as problem:
            analysis.diagnostics.append(problem.diagnostic)
            return analysis
        compose = compose_build(inventory, path)
        model = parse_dockerfile(text, path, compose.args if compose else None)
        analysis.diagnostics += model.diagnostics
        name = _component_name(inventory, detection)
        target, notes = _target(inventory, model, path, detection.root, name)
        analysis.diagnostics += notes
        image = model.image(target)
        if image is None:
            return analysis
        facts = _Facts(path, model, image, target)
        analysis.components.append(_component(facts, name, detection))
        analysis.diagnostics += list(image.diagnostics) + _image_notes(facts, detection)
        return analysis


def _auxiliary(candidate: Candidate, siblings: list[Candidate], models: Mapping[str, DockerfileModel]) -> bool:
    """A named variant beside a main Dockerfile that runs nothing of its own (no command, no
    port, no files copied in) is a helper image — ``FROM ubuntu AS builder`` — not a component."""
    if candidate.role != "service" or not any(s.role in ("main", "production") for s in siblings):
        return False
    image = models[candidate.path].image()
    if image is None:
        return True
    copies_files = any(step.source_stage is None and step.keyword != "RUN" for step in image.copies)
    return not (image.command()[0] or image.ports or copies_files)


def _one_per_component(detections: list[Detection]) -> list[Detection]:
    """Two Dockerfiles placed at one root (``Dockerfile`` and ``docker/Dockerfile``) describe one
    component: keep the one in the root itself, then the best-scored. Named variants stay apart."""
    best: dict[tuple[str, str], Detection] = {}
    for detection in detections:
        key = (detection.root, (detection.hint("variant") or "") if detection.hint("role") == "service" else "")
        current = best.get(key)
        if current is None or _preference(detection) < _preference(current):
            best[key] = detection
    return sorted(best.values(), key=lambda d: (d.root, d.hint("dockerfile") or ""))


def _preference(detection: Detection) -> tuple[bool, float, str]:
    path = detection.hint("dockerfile") or ""
    return parent(path) != detection.root, -detection.score, path


def _read(inventory: Inventory, path: str) -> DockerfileModel | None:
    try:
        return parse_dockerfile(inventory.text(path), path)
    except FileProblem:
        return None


def _component_name(inventory: Inventory, detection: Detection) -> str:
    if detection.hint("role") == "service" and detection.hint("variant"):
        return dns_label(detection.hint("variant") or "")
    root = detection.root
    return dns_label(inventory.name if root == "." else root)


def _target(inventory: Inventory, model: DockerfileModel, path: str, root: str,
            name: str) -> tuple[str | None, list[Diagnostic]]:
    """The stage to build: kubify.yaml's, else compose's unless it is a dev stage, else the default."""
    wanted, source = _configured_target(inventory, path, root, name)
    notes: list[Diagnostic] = []
    if wanted is not None and model.stage(wanted) is None:
        notes.append(warning("dockerfile.unknown-target", f"{source} builds target {wanted!r}, which {path} "
                             "does not define", file=path, hint="name an existing stage (FROM <image> AS <name>)"))
    elif wanted is not None and source != "kubify.yaml" and is_dev_target(wanted):
        notes.append(info("dockerfile.dev-target", f"{source} builds the development stage {wanted!r}; "
                          "kubify does not deploy it", file=path,
                          hint=f"to deploy {wanted!r} anyway, set build.target in kubify.yaml"))
    elif wanted is not None:
        return wanted, notes
    return _default_target(model, path, notes), notes


def _default_target(model: DockerfileModel, path: str, notes: list[Diagnostic]) -> str | None:
    """The last stage — unless it is a dev/test stage and an earlier one is named for production."""
    last = model.stage(None)
    if last is None or last.name is None or not is_dev_target(last.name):
        return None
    production = next((s for s in reversed(model.stages) if s.name and is_production_target(s.name)), None)
    if production is None or production.name is None:
        return None
    notes.append(info("dockerfile.dev-last-stage", f"the last stage {last.name!r} is for development; kubify "
                      f"builds the {production.name!r} stage", file=path, line=production.line,
                      hint="set build.target in kubify.yaml to choose another stage"))
    return production.name


def _configured_target(inventory: Inventory, path: str, root: str, name: str) -> tuple[str | None, str]:
    config, _raw, _rel, _notes = overrides.load_config(inventory)  # kubify.yaml problems are reported there
    for key, override in sorted((config.components if config else {}).items()):
        build = getattr(override, "build", None)
        matches = key == name or getattr(override, "path", None) == root
        if build is not None and build.target and (matches or build.dockerfile == path):
            return str(build.target), "kubify.yaml"
    compose = compose_build(inventory, path)
    if compose is not None and compose.target:
        return compose.target, compose.file
    return None, ""


def _component(facts: _Facts, name: str, detection: Detection) -> Component:
    evidence: list[Evidence] = []
    values: dict[str, object] = {"name": name, "path": detection.root, "analyzer": DockerfileAnalyzer.name}
    for setter in (_build, _run, _ports, _health, _volumes, _env, _language):
        fields, found = setter(facts, detection)
        values.update(fields)
        evidence += found
    values["evidence"] = tuple(evidence)
    return Component.model_validate(values)


def _evidence(facts: _Facts, field: str, value: str, rule: str, line: int | None, *,
              confidence: float = EXPLICIT) -> Evidence:
    return Evidence(field=field, value=value, rule=rule, file=facts.path, line=line, confidence=confidence)


def _build(facts: _Facts, detection: Detection) -> Fields:
    context = detection.hint("context") or parent(facts.path)
    base = facts.image.base_image or None
    build = Build(dockerfile=facts.path, context=context, target=facts.target, base_image=base)
    return {"build": build}, [_evidence(facts, "build", facts.path, "dockerfile.build", facts.image.stage.line)]


def _run(facts: _Facts, _detection: Detection) -> Fields:
    image = facts.image
    command, shell = image.command()
    evidence = []
    for part, rule in ((image.entrypoint, "dockerfile.entrypoint"), (image.cmd, "dockerfile.cmd")):
        if part is not None and part.args:
            evidence.append(_evidence(facts, "run.command", " ".join(command), rule, part.line))
    if image.workdir is not None:
        evidence.append(_evidence(facts, "run.workdir", image.workdir.value, "dockerfile.workdir", image.workdir.line))
    if image.user is not None:
        evidence.append(_evidence(facts, "run.user", image.user.value, "dockerfile.user", image.user.line))
    if not command:
        # No CMD/ENTRYPOINT: the base image's default runs. Fine for nginx, wrong for python:3.12.
        weak = BASE_IMAGE_HINT if language_of(image.base_image) else 0.5
        evidence = [e.model_copy(update={"confidence": weak}) for e in evidence]
        evidence.append(_evidence(facts, "run", "(image default)", "dockerfile.run.image-default",
                                  image.stage.line, confidence=weak))
    run = Run(command=command, workdir=image.workdir.value if image.workdir else None,
              user=image.user.value if image.user else None, shell=shell)
    return {"run": run}, evidence


def _ports(facts: _Facts, _detection: Detection) -> Fields:
    image = facts.image
    if image.ports:
        ports = tuple(Port(port=p.port, protocol="UDP" if p.protocol == "UDP" else "TCP") for p in image.ports)
        evidence = [_evidence(facts, "ports", f"{p.port}/{p.protocol}", "dockerfile.expose", p.line)
                    for p in image.ports]
        kind, kind_rule = _served_kind(facts)
        evidence.append(_evidence(facts, "kind", kind, kind_rule, image.ports[0].line,
                                  confidence=KIND_FROM_EXPOSE))
        return {"ports": ports, "kind": kind}, evidence
    default = static_server_port(image.base_image)
    if default is None:
        return {}, []
    fields: dict[str, object] = {"ports": (Port(port=default),)}
    evidence = [_evidence(facts, "ports", f"{default}/TCP", "dockerfile.base-image.port", image.stage.line,
                          confidence=BASE_IMAGE_HINT)]
    kind, kind_rule = _served_kind(facts)
    if kind == "static-site":
        fields["kind"] = kind
        evidence.append(_evidence(facts, "kind", kind, kind_rule, image.stage.line, confidence=KIND_FROM_EXPOSE))
    return fields, evidence


def _served_kind(facts: _Facts) -> tuple[str, str]:
    """``static-site`` for a web-server image that files are copied into, else ``service``."""
    image = facts.image
    if static_server_port(image.base_image) is not None and any(
            step.destination.rstrip("/").startswith(WEB_ROOTS) for step in image.copies if step.keyword != "RUN"):
        return "static-site", "dockerfile.static-server"
    return "service", "dockerfile.expose.service"


def _health(facts: _Facts, _detection: Detection) -> Fields:
    check = facts.image.healthcheck
    if check is None or check.command is None:
        return {}, []
    health, rule = _probe(check, facts.image)
    return {"health": health}, [_evidence(facts, "health", " ".join(check.command.args), rule, check.line)]


def _probe(check: Healthcheck, image: ImageConfig) -> tuple[Health, str]:
    """An HTTP/gRPC/TCP probe when the check only calls the app on localhost; else the command itself."""
    assert check.command is not None
    text = " ".join(check.command.args)
    env = {s.name: s.value for s in image.env}
    url = _LOCAL_URL.search(text)
    if url is not None and re.search(r"\b(curl|wget|urlopen|requests\.get|httpx|fetch|http\.get)\b", text):
        port = _port_value(url.group("port"), env, default=80)
        if port is not None:
            return Health(type="http", path=url.group("path") or "/", port=port), "dockerfile.healthcheck.http"
    grpc = _GRPC_PROBE.search(text)
    grpc_port = _port_value(grpc.group("port"), env, default=0) if grpc else None
    if grpc_port is not None:
        return Health(type="grpc", port=grpc_port), "dockerfile.healthcheck.grpc"
    tcp = _TCP_PROBE.search(text)
    tcp_port = _port_value(tcp.group("port"), env, default=0) if tcp else None
    if tcp_port is not None:
        return Health(type="tcp", port=tcp_port), "dockerfile.healthcheck.tcp"
    return Health(type="exec", command=check.command.argv(image.shell)), "dockerfile.healthcheck"


def _port_value(raw: str | None, env: Mapping[str, str], default: int) -> int | None:
    """The URL's port: literal, ``$PORT`` or ``${PORT:-8000}`` from the image's ENV; None if unknown."""
    if raw is None:
        return default
    value = expand(raw, env).value
    return int(value) if value.isdigit() and 1 <= int(value) <= 65535 else None


def _volumes(facts: _Facts, _detection: Detection) -> Fields:
    volumes = []
    evidence = []
    taken: set[str] = set()
    for volume in facts.image.volumes:
        name = base = dns_label(volume.value.strip("/").replace("/", "-"), fallback="data")
        number = 2
        while name in taken:
            name, number = f"{base[:58]}-{number}", number + 1
        taken.add(name)
        volumes.append(Volume(name=name, path=volume.value))
        evidence.append(_evidence(facts, "volumes", volume.value, "dockerfile.volume", volume.line))
    return ({"volumes": tuple(volumes)} if volumes else {}), evidence


def _env(facts: _Facts, _detection: Detection) -> Fields:
    """ENV names with their values as defaults — except secrets (name only) and values we could
    not resolve (a pod env var would override the image's correct value with a wrong one)."""
    variables = []
    evidence = []
    for setting in sorted(facts.image.env, key=lambda s: s.name):
        if setting.name in _SYSTEM_ENV or not ENV_NAME.match(setting.name):
            continue
        secret = looks_secret(setting.name, setting.value)
        if setting.missing and not secret:
            continue
        variables.append(EnvVar(name=setting.name, default=None if secret else setting.value, secret=secret))
        evidence.append(_evidence(facts, "env", setting.name, "dockerfile.env", setting.line))
    return ({"env": tuple(variables)} if variables else {}), evidence


def _language(facts: _Facts, _detection: Detection) -> Fields:
    """The runtime named by the base image of the running stage, else of a stage it copies from."""
    model = facts.model
    chain = facts.image.chain
    others = [i for i in model.dependencies(facts.image.stage.index) if i not in chain]
    for index in (chain[0], *others):
        stage = model.stages[index]
        if stage.parent is not None:
            continue
        hint = language_of(stage.image)
        if hint is None:
            continue
        fields: dict[str, object] = {"language": hint.language}
        evidence = [_evidence(facts, "language", hint.language, "dockerfile.base-image.language", stage.line,
                              confidence=BASE_IMAGE_HINT)]
        for field, value in (("language_version", hint.version), ("framework", hint.framework)):
            if value:
                fields[field] = value
                evidence.append(_evidence(facts, field, value, f"dockerfile.base-image.{field.replace('_', '-')}",
                                          stage.line, confidence=BASE_IMAGE_HINT))
        return fields, evidence
    return {}, []


def _image_notes(facts: _Facts, detection: Detection) -> list[Diagnostic]:
    notes = []
    image = facts.image
    if detection.hint("role") == "dev":
        notes.append(warning("dockerfile.dev-only", f"{facts.path} looks like a development image; kubify uses it "
                             f"because {parent(facts.path)} has no production Dockerfile", file=facts.path, line=1,
                             hint="add a production Dockerfile (named Dockerfile) next to it"))
    if image.user is None and not runs_as_non_root(image.base_image):
        notes.append(info("dockerfile.root-user", "the image runs as root (no USER instruction)", file=facts.path,
                          line=image.stage.line, hint="add USER 10001 after installing packages: kubify's manifests "
                          "require a non-root user, and an image that needs root will fail to start"))
    elif image.user is not None and is_root_user(image.user.value):
        notes.append(info("dockerfile.root-user", f"the image runs as {image.user.value!r}", file=facts.path,
                          line=image.user.line, hint="switch to a non-root USER (e.g. USER 10001): kubify's "
                          "manifests require one, and an image that needs root will fail to start"))
    for index in facts.model.dependencies(image.stage.index):
        stage = facts.model.stages[index]
        floating = floating_tag(stage.image) if stage.parent is None and stage.image else None
        if floating is not None:
            notes.append(warning("dockerfile.latest-tag", f"base image {stage.image!r} has {floating}: builds are "
                                 "not reproducible", file=facts.path, line=stage.line,
                                 hint="pin a version (e.g. python:3.12-slim) or a digest"))
    return notes


ANALYZER = DockerfileAnalyzer()
