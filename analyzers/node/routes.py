"""Health endpoints: routes declared in code, and routes that are files (Next, Nuxt, SvelteKit, ...).

A probe must hit a path that exists. Code routes (``app.get('/healthz', ...)``, Fastify
``route({url})``, ``@Controller('health')`` + ``@Get()`` under Nest's global prefix,
Terminus ``healthChecks``) are found by :mod:`.source_scan`; file-system routers declare
their routes by file name, e.g. ``app/api/health/route.ts`` is ``/api/health`` in Next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.node.source_scan import Route, SourceFacts

from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, relative_to

#: Last path segments that name a health endpoint, best first.
HEALTH_NAMES: tuple[str, ...] = ("healthz", "health", "livez", "healthcheck", "health-check", "_health", "liveness",
                                 "live", "readyz", "ready", "readiness", "ping")
_SUFFIX = re.compile(r"\.(?:get|head)?\.?[cm]?[jt]sx?$")
_ROUTE_GROUP = re.compile(r"^\(.*\)$")
_HANDLER = re.compile(r"^export\s+(?:const\s+(?:GET|HEAD|loader)\b|(?:async\s+)?function\s+(?:GET|HEAD|loader|get)\b|"
                      r"default\b)", re.M)
#: (framework, local path regex with a ``path`` group, URL prefix).
_FILE_ROUTERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("next", re.compile(r"^(?:src/)?pages/api/(?P<path>.+?)(?:/index)?\.[jt]sx?$"), "/api/"),
    ("next", re.compile(r"^(?:src/)?app/(?P<path>.+)/route\.[jt]sx?$"), "/"),
    ("nuxt", re.compile(r"^(?:src/)?server/api/(?P<path>.+?)(?:/index)?(?:\.get|\.head)?\.[cm]?[jt]s$"), "/api/"),
    ("nuxt", re.compile(r"^(?:src/)?server/routes/(?P<path>.+?)(?:/index)?(?:\.get|\.head)?\.[cm]?[jt]s$"), "/"),
    ("sveltekit", re.compile(r"^src/routes/(?P<path>.+)/\+server\.[jt]s$"), "/"),
    ("remix", re.compile(r"^app/routes/(?P<path>[^/]+?)(?:/route)?\.[jt]sx?$"), "/"),
    ("react-router", re.compile(r"^app/routes/(?P<path>[^/]+?)(?:/route)?\.[jt]sx?$"), "/"),
    ("astro", re.compile(r"^src/pages/(?P<path>.+?)(?:/index)?\.[jt]s$"), "/"),
    ("solid-start", re.compile(r"^src/routes/(?P<path>.+?)(?:/index)?\.[jt]sx?$"), "/"),
)


@dataclass(frozen=True)
class HealthRoute:
    path: str
    file: str
    line: int
    rule: str
    confidence: float


def health_name_rank(path: str) -> int | None:
    """Rank of the path's last segment among :data:`HEALTH_NAMES` (None if not a health path)."""
    segments = [s for s in path.split("?", maxsplit=1)[0].strip("/").split("/") if s]
    if not segments:
        return None
    last = segments[-1].lower()
    return HEALTH_NAMES.index(last) if last in HEALTH_NAMES else None


def code_health(facts: SourceFacts) -> HealthRoute | None:
    """The best health route declared in code."""
    ranked = []
    for order, route in enumerate(facts.routes):
        rank = health_name_rank(route.path)
        if rank is not None:
            ranked.append((rank, order, route))
    if not ranked:
        return None
    _rank, _order, route = min(ranked, key=lambda r: (r[0], r[1]))
    return HealthRoute(_with_prefix(route, facts), route.site.file, route.site.line,
                       "node.health.nest-controller" if route.nest else "node.health.route", 0.9)


def _with_prefix(route: Route, facts: SourceFacts) -> str:
    path = "/" + route.path.strip("/")
    if route.nest and facts.global_prefix is not None:
        prefix, excludes_health, _site = facts.global_prefix
        if prefix.strip("/") and not excludes_health:
            return "/" + prefix.strip("/") + path
    return path


def file_health(inventory: Inventory, root: str, framework: str | None) -> HealthRoute | None:
    """A health route declared by a file of a file-system router."""
    if framework is None:
        return None
    ranked = []
    routers = [(p, prefix) for name, p, prefix in _FILE_ROUTERS if name == framework]
    if not routers:
        return None
    for rel in inventory.under(root):
        local = relative_to(rel, root)
        for pattern, prefix in routers:
            found = pattern.match(local)
            if found is None:
                continue
            url = _url(found.group("path"), prefix, framework)
            rank = health_name_rank(url) if url else None
            if url and rank is not None:
                ranked.append((rank, url, rel))
    if not ranked:
        return None
    _rank, url, rel = min(ranked)
    return HealthRoute(url, rel, _handler_line(inventory, rel), f"node.health.{framework}-file-route", 0.9)


def _handler_line(inventory: Inventory, rel: str) -> int:
    """The line of the route's handler export (``export async function GET``), else 1."""
    try:
        text = inventory.text(rel)
    except FileProblem:
        return 1
    found = _HANDLER.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def _url(path: str, prefix: str, framework: str) -> str | None:
    if framework in ("remix", "react-router"):
        segments = path.split(".")
    else:
        segments = [_SUFFIX.sub("", s) for s in path.split("/")]
    kept = [s for s in segments if s and not _ROUTE_GROUP.match(s) and s not in ("_index", "index")]
    if any(s.startswith(("[", "$", ":")) for s in kept):
        return None  # a dynamic segment is not a fixed probe path
    return prefix + "/".join(kept) if kept else None
