"""What a target produces (:class:`Artifact`) and what it is asked for (:class:`LowerOptions`).

A target is a module with ``lower(app: Application, options: LowerOptions) -> list[Artifact]``.
Targets are pure: they never read repository files and never write to disk; the emitter
turns artifacts into files. Everything a target needs beyond the IR is in ``LowerOptions``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from kubify.ir import Application

IngressMode = Literal["auto", "ingress", "gateway", "none"]


@dataclass(frozen=True)
class Artifact:
    """One output file: a Kubernetes object (rendered by the emitter) or a ready text file."""

    path: str
    kind: Literal["object", "text"]
    object: dict[str, Any] | None = None
    text: str | None = None

    @classmethod
    def of_object(cls, path: str, obj: dict[str, Any]) -> Artifact:
        """An object artifact holding a private plain-JSON copy of ``obj``.

        The copy shares no sub-object with ``obj`` or other artifacts (a YAML writer would
        turn shared ones into ``&anchors``) and holds only JSON types.
        """
        return cls(path=path, kind="object", object=json.loads(json.dumps(obj)))

    @classmethod
    def of_text(cls, path: str, text: str) -> Artifact:
        return cls(path=path, kind="text", text=text)


@dataclass(frozen=True)
class LowerOptions:
    """How to lower: where objects go, where images live, how traffic gets in.

    ``ingress="auto"`` picks a Gateway API ``HTTPRoute`` when ``gateway_name`` is set, an
    ``Ingress`` when ``host`` is set, and nothing otherwise. ``tls_issuer`` names a
    cert-manager ``ClusterIssuer``. ``min_service_replicas`` is the replicas policy: long-running
    services get at least this many pods (2 keeps them available through a node drain; use 1
    on a laptop cluster). NetworkPolicies deny egress to the internet unless
    ``egress_to_internet`` (an app that calls external APIs needs it).
    """

    namespace: str | None = None
    registry: str | None = None
    ingress: IngressMode = "auto"
    host: str | None = None
    gateway_name: str | None = None
    gateway_namespace: str | None = None
    ingress_class: str | None = None
    ingress_namespace: str | None = None
    tls_issuer: str | None = None
    monitoring_namespace: str = "monitoring"
    min_service_replicas: int = 2
    egress_to_internet: bool = False

    def __post_init__(self) -> None:
        if self.ingress == "gateway" and not self.gateway_name:
            raise ValueError("ingress='gateway' needs gateway_name (the Gateway the HTTPRoutes attach to)")
        if self.min_service_replicas < 1:
            raise ValueError("min_service_replicas must be at least 1")

    def namespace_for(self, app: Application) -> str:
        """The namespace objects go to: the one asked for, else one named after the application."""
        return self.namespace or app.name

    @property
    def exposure(self) -> Literal["ingress", "gateway", "none"]:
        """The resolved ``ingress`` mode."""
        if self.ingress != "auto":
            return self.ingress
        if self.gateway_name:
            return "gateway"
        return "ingress" if self.host else "none"

    @property
    def proxy_namespace(self) -> str | None:
        """Namespace of the pods that forward outside traffic (allowed in by NetworkPolicies).

        ingress-nginx runs in ``ingress-nginx``; Gateway API proxies usually run beside their
        Gateway, so the Gateway's namespace (``None``: the application's own) is the default.
        """
        if self.ingress_namespace:
            return self.ingress_namespace
        if self.exposure == "ingress":
            return "ingress-nginx"
        return self.gateway_namespace
