"""Health endpoints: routes declared in code, and routes that are files (Next, Nuxt, SvelteKit, ...).

A probe must hit a path that exists. Code routes (``app.get('/healthz', ...)``, Fastify
``route({url})``, ``@Controller('health')`` + ``@Get()`` under Nest's global prefix,
Terminus ``healthChecks``) are found by :mod:`.source_scan`; file-system routers declare
their routes by file name, e.g. ``app/api/health/route.ts`` is ``/api/health`` in Next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.node.source_scan import Route, SourceFacts, import_bindings
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
    """The best health route declared in code.

    A route on an Express/Koa router counts only when kubify finds where the router is
    mounted: probing ``/health`` when the app serves ``/api/health`` would keep every pod
    unready, which is worse than no HTTP probe at all.
    """
    ranked = []
    for order, route in enumerate(facts.routes):
        rank = health_name_rank(route.path)
        if rank is None:
            continue
        path: str | None = _with_prefix(route, facts)
        if route.router:
            prefix = _router_prefix(route.site.file, route.receiver, facts, 0)
            path = _join_url(prefix, route.path) if prefix is not None else None
        if path is not None:
            ranked.append((rank, order, route, path))
    if not ranked:
        return None
    _rank, _order, route, path = min(ranked, key=lambda r: (r[0], r[1]))
    rule = ("node.health.nest-controller" if route.nest else "node.health.router" if route.router
            else "node.health.route")
    return HealthRoute(path, route.site.file, route.site.line, rule, 0.9)


def _router_prefix(rel: str, receiver: str, facts: SourceFacts, depth: int) -> str | None:
    """Where the router defined in ``rel`` is mounted (``""`` for the app itself), if found."""
    if depth > 3:
        return None
    if rel not in facts.router_files:
        return ""
    stem = _module_stem(rel)
    for mount in facts.mounts:
        names = set(re.findall(r"[A-Za-z_$][\w$]*", mount.arguments))
        if mount.site.file == rel:
            if receiver and receiver in names:
                return mount.prefix
            continue
        source = facts.file(mount.site.file)
        if source is None:
            continue
        bindings = import_bindings(source)
        specifiers = [bindings[n] for n in names if n in bindings]
        specifiers += re.findall(r"require\s*\(\s*['\"]([^'\"]+)['\"]", mount.arguments)
        if any(s.startswith(".") and _module_stem(s) == stem for s in specifiers):
            outer = _router_prefix(mount.site.file, "", facts, depth + 1)
            if outer is not None:
                return _join_url(outer, mount.prefix)
    return None


def _module_stem(path: str) -> str:
    """``./routes/health.js`` → ``health``; ``./routes/health/index.ts`` → ``health``."""
    parts = [p for p in re.sub(r"\.[cm]?[jt]sx?$", "", path).split("/") if p not in ("", ".", "..")]
    if len(parts) > 1 and parts[-1] == "index":
        return parts[-2]
    return parts[-1] if parts else ""


def _join_url(prefix: str, path: str) -> str:
    return "/" + "/".join(p for p in (prefix.strip("/"), path.strip("/")) if p)


def _with_prefix(route: Route, facts: SourceFacts) -> str:
    path = "/" + route.path.strip("/")
    if route.nest and facts.global_prefix is not None:
        prefix, excludes_health, _site = facts.global_prefix
        if prefix.strip("/") and not excludes_health:
            return "/" + prefix.strip("/") + path
    return path


def file_health(inventory: Inventory, root: str, framework: str | None, base_path: str = "") -> HealthRoute | None:
    """A health route declared by a file of a file-system router (under the app's ``basePath``)."""
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
    return HealthRoute(base_path + url, rel, _handler_line(inventory, rel), f"node.health.{framework}-file-route", 0.9)


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
