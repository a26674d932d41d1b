"""Traffic: NetworkPolicies (default deny, then exactly the paths the IR knows), Ingress, HTTPRoute.

Each pod's NetworkPolicy denies all ingress and egress except: its ports from pods of the
same application, from the ingress controller or gateway proxy namespace when exposed, and
its metrics port from the monitoring namespace; egress to cluster DNS, to the components it
``depends_on`` and to its backing services' pods. Calls to the internet are denied unless
``LowerOptions.egress_to_internet`` (private ranges and the cloud metadata endpoint stay
closed even then).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubify.ir import Component

from .k8s_common import PART_OF, Obj, Scope, labels, metadata, selector, service_name
from .k8s_pod import NamedPort, metrics_port, named_ports
from .k8s_services import backings_of

NAMESPACE_NAME = "kubernetes.io/metadata.name"
PRIVATE_V4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")
PRIVATE_V6 = ("fc00::/7", "fe80::/10")
PRIMARY_NAMES = ("web", "frontend", "app", "ui", "site", "www")


@dataclass(frozen=True)
class Exposure:
    """A component reachable from outside: the host it answers (None: any host)."""

    component: str
    host: str | None


def _namespace(name: str) -> Obj:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: name}}}


def _ports(ports: list[NamedPort]) -> list[Obj]:
    return [{"protocol": p.protocol, "port": p.port} for p in ports]


def network_policy(scope: Scope, component: Component, *, name: str, pod_selector: dict[str, str],
                   exposed: bool, accepts: bool = True) -> Obj:
    """Default-deny policy for the pods of ``pod_selector`` with the allowed paths of ``component``."""
    ports = list(named_ports(component)) if accepts else []
    ingress: list[Obj] = []
    if ports:
        ingress.append({"from": [{"podSelector": {"matchLabels": {PART_OF: scope.app.name}}}], "ports": _ports(ports)})
    web = [p for p in ports if p.scheme == "http"]
    if exposed and web:
        ingress.append({"from": [_namespace(scope.options.proxy_namespace or scope.namespace)], "ports": _ports(web)})
    scraped = metrics_port(component, tuple(ports)) if accepts else None
    if scraped is not None:
        ingress.append({"from": [_namespace(scope.options.monitoring_namespace)], "ports": _ports([scraped])})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(scope, name, labels(scope, name, "network-policy")),
        "spec": {
            "podSelector": {"matchLabels": pod_selector},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress_rules(scope, component),
        },
    }


def egress_rules(scope: Scope, component: Component) -> list[Obj]:
    """DNS, the components and backing services ``component`` uses, and optionally the internet."""
    rules: list[Obj] = [dns_rule()]
    for dependency in sorted({d.component for d in component.depends_on if d.component}):
        target = scope.app.component(dependency)
        target_ports = list(named_ports(target)) if target is not None else []
        if target is not None and target_ports:
            rules.append({"to": [{"podSelector": {"matchLabels": selector(scope, target.name)}}],
                          "ports": _ports(target_ports)})
    for backing in backings_of(scope, component):
        rules.append({"to": [{"podSelector": {"matchLabels": dict(backing.pod_selector)}}],
                      "ports": [{"protocol": "TCP", "port": backing.port}]})
    if scope.options.egress_to_internet:
        rules.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_V4)}},
                             {"ipBlock": {"cidr": "::/0", "except": list(PRIVATE_V6)}}]})
    return rules


def dns_rule() -> Obj:
    """Egress to the cluster's DNS pods (kube-dns / CoreDNS in kube-system), UDP and TCP 53."""
    return {
        "to": [{**_namespace("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def exposures(scope: Scope) -> dict[str, Exposure]:
    """Which components are exposed and on which host.

    Every long-running component with an HTTP port is exposed; the primary one (a static
    site, else one named like a front end, else the first by name) answers on ``host`` and
    the others on ``<component>.<host>`` — separate hosts, because path prefixes would need
    rewrites the apps do not expect. Without a host only the primary is exposed.
    """
    if scope.options.exposure == "none":
        return {}
    candidates = sorted((c for c in scope.app.components if c.kind in ("service", "static-site")
                         and any(p.scheme == "http" for p in named_ports(c))), key=lambda c: c.name)
    if not candidates:
        return {}
    primary = min(candidates, key=lambda c: (c.kind != "static-site", c.name not in PRIMARY_NAMES, c.name))
    host = scope.options.host
    result = {primary.name: Exposure(primary.name, host)}
    if host:
        for other in candidates:
            result.setdefault(other.name, Exposure(other.name, f"{other.name}.{host}"))
    return result


def route(scope: Scope, component: Component, exposure: Exposure, object_labels: dict[str, str]) -> Obj:
    """An Ingress or an HTTPRoute to the component's ``http`` Service port."""
    if scope.options.exposure == "gateway":
        return _http_route(scope, component, exposure, object_labels)
    return _ingress(scope, component, exposure, object_labels)


def _ingress(scope: Scope, component: Component, exposure: Exposure, object_labels: dict[str, str]) -> Obj:
    issuer = scope.options.tls_issuer
    annotations = {"cert-manager.io/cluster-issuer": issuer} if issuer and exposure.host else None
    rule: Obj = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": service_name(component.name), "port": {"name": "http"}}}}]}}
    if exposure.host:
        rule = {"host": exposure.host, **rule}
    spec: Obj = {}
    if scope.options.ingress_class:
        spec["ingressClassName"] = scope.options.ingress_class
    if annotations and exposure.host:
        spec["tls"] = [{"hosts": [exposure.host], "secretName": f"{component.name}-tls"}]
    spec["rules"] = [rule]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": metadata(scope, component.name, object_labels, annotations), "spec": spec}


def _http_route(scope: Scope, component: Component, exposure: Exposure, object_labels: dict[str, str]) -> Obj:
    parent: Obj = {"name": scope.options.gateway_name}
    if scope.options.gateway_namespace:
        parent["namespace"] = scope.options.gateway_namespace
    spec: Obj = {"parentRefs": [parent]}
    if exposure.host:
        spec["hostnames"] = [exposure.host]
    spec["rules"] = [{
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [{"name": service_name(component.name), "port": 80}],
    }]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": metadata(scope, component.name, object_labels), "spec": spec}
