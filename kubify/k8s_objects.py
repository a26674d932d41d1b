"""Safe views of untrusted Kubernetes objects: where pod templates live, and their containers.

Policy rules and server-side checks both walk the same shapes (a Deployment's pod template,
a CronJob's Job's template, every container group) in manifests that may be malformed in
any way. These views answer with empty values instead of raising, and carry the JSON path
of what they point at so every diagnostic can name the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")

#: Where each workload kind keeps its pod template (metadata path, spec path).
_POD_PATHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Pod": (("metadata",), ("spec",)),
    "PodTemplate": (("template", "metadata"), ("template", "spec")),
    **dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"),
                    (("spec", "template", "metadata"), ("spec", "template", "spec"))),
    "CronJob": (("spec", "jobTemplate", "spec", "template", "metadata"),
                ("spec", "jobTemplate", "spec", "template", "spec")),
}


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else ``{}``: rules read untrusted shapes without raising."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class PodTemplate:
    """One pod spec inside an object, with the JSON path it lives at."""

    path: str
    spec: dict[str, Any]
    metadata_path: str
    metadata: dict[str, Any]

    @property
    def labels(self) -> dict[str, Any]:
        return as_dict(self.metadata.get("labels"))

    @property
    def security(self) -> dict[str, Any]:
        return as_dict(self.spec.get("securityContext"))

    @property
    def windows(self) -> bool:
        return as_dict(self.spec.get("os")).get("name") == "windows"


@dataclass(frozen=True)
class Container:
    path: str
    spec: dict[str, Any]
    group: str

    @property
    def name(self) -> str:
        name = self.spec.get("name")
        return name if isinstance(name, str) else "?"

    @property
    def security(self) -> dict[str, Any]:
        return as_dict(self.spec.get("securityContext"))


def pod_templates(obj: Any) -> list[PodTemplate]:
    """The pod spec of a Pod or of a workload's template (CronJob: its Job's template)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str) or obj["kind"] not in _POD_PATHS:
        return []
    meta_path, spec_path = _POD_PATHS[obj["kind"]]
    spec = _dig(obj, spec_path)
    if not isinstance(spec, dict):
        return []
    return [PodTemplate("$." + ".".join(spec_path), spec, "$." + ".".join(meta_path),
                        as_dict(_dig(obj, meta_path)))]


def containers(pod: PodTemplate, groups: Sequence[str] = CONTAINER_GROUPS) -> Iterator[Container]:
    for group in groups:
        for index, container in enumerate(as_list(pod.spec.get(group))):
            if isinstance(container, dict):
                yield Container(f"{pod.path}.{group}[{index}]", container, group)


def _dig(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


@dataclass(frozen=True)
class Subject:
    """One object under check, where it came from (file or artifact, line), and its basic facts."""

    source: str
    obj: dict[str, Any]
    line: int | None = None

    @cached_property
    def kind(self) -> str:
        kind = self.obj.get("kind")
        return kind if isinstance(kind, str) else ""

    @cached_property
    def name(self) -> str:
        name = as_dict(self.obj.get("metadata")).get("name")
        return name if isinstance(name, str) else "<unnamed>"

    @cached_property
    def namespace(self) -> str | None:
        namespace = as_dict(self.obj.get("metadata")).get("namespace")
        return namespace if isinstance(namespace, str) and namespace else None

    @cached_property
    def pods(self) -> list[PodTemplate]:
        return pod_templates(self.obj)

    def same_namespace(self, other: Subject) -> bool:
        return self.namespace == other.namespace
