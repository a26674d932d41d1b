"""Health checks and metrics endpoints, from the routes the code registers.

A ``GET /healthz`` route (FastAPI/Flask decorators, Starlette ``Route``, Django ``path``,
aiohttp/tornado tables) becomes an HTTP probe on the service port; without one the
target falls back to a TCP probe. Prometheus exporters become a ``/metrics`` endpoint.
"""

from __future__ import annotations

import re

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.codeindex import CodeIndex, url_join
from kubify.analyzers.python.manifests import Project
from kubify.ir import Health, Metrics

#: Last path segments that name a health endpoint, best first.
HEALTH_NAMES: tuple[str, ...] = ("healthz", "health", "livez", "readyz", "ready", "liveness", "readiness",
                                 "healthcheck", "health-check", "health_check", "ping", "status", "ht", "alive")
_PARAM = re.compile(r"[<{:]")
_METRICS_PACKAGES: tuple[str, ...] = ("prometheus-client", "prometheus-fastapi-instrumentator", "django-prometheus",
                                      "prometheus-flask-exporter", "starlette-exporter", "starlette-prometheus",
                                      "aioprometheus")


def add_health(draft: Draft, index: CodeIndex, port: int | None) -> None:
    """An HTTP probe on the best health-looking GET route, if there is one."""
    best: tuple[tuple[int, int, int], str, Site] | None = None
    for facts in index.facts():
        for route in facts.routes:
            if route.methods and not {"GET", "HEAD"} & set(route.methods):
                continue
            prefix = index.route_prefix(facts, route.owner)
            if prefix is None:
                continue
            path = url_join(prefix, route.path)
            rank = _health_rank(path)
            if rank is None:
                continue
            key = (rank, path.count("/"), len(path))
            if best is None or key < best[0]:
                best = (key, path, route.site)
    if best is None:
        return
    _, path, site = best
    draft.set("health", Health(type="http", path=path, port=port), "python.health.route", site, 0.8, shown=path)


def _health_rank(path: str) -> int | None:
    if _PARAM.search(path):
        return None
    segments = [s for s in path.lower().split("/") if s]
    if not segments or len(segments) > 4:
        return None
    last = segments[-1]
    return HEALTH_NAMES.index(last) if last in HEALTH_NAMES else None


def add_metrics(draft: Draft, project: Project, index: CodeIndex, port: int | None) -> None:
    """``/metrics`` on the service port, or on the port ``start_http_server`` opens.

    Without a service port (a worker) only a metrics server the code starts itself counts.
    """
    for facts in index.facts():
        for kind, value, site in facts.metrics:
            if port is None and kind != "prometheus_client.server":
                continue
            if kind == "prometheus_client.server":
                resolved = index.resolve(value, prefer=site.file)
                literal = resolved.literal if resolved is not None else None
                metrics_port = int(literal) if literal and literal.isdigit() and 0 < int(literal) < 65536 else port
                if metrics_port is None:
                    continue
                draft.set("metrics", Metrics(path="/metrics", port=metrics_port),
                          "python.metrics.start-http-server", site, 0.9, shown=f"/metrics:{metrics_port}")
                return
            draft.set("metrics", Metrics(path=kind, port=port), "python.metrics.exporter", site, 0.8, shown=kind)
            return
        for route in facts.routes if port is not None else ():
            if route.path.rstrip("/") == "/metrics":
                draft.set("metrics", Metrics(path="/metrics", port=port), "python.metrics.route", route.site, 0.8,
                          shown="/metrics")
                return
    requirement = project.has(*_METRICS_PACKAGES)
    if requirement is not None and port is not None:
        draft.set("metrics", Metrics(path="/metrics", port=port), f"python.dependency.{requirement.name}",
                  Site(requirement.file, requirement.line), 0.5, shown="/metrics")
