"""What a Node package's own source says: listeners, env reads, routes, consumers, metrics.

Only a bounded set of files is read — entry points first, then ``src/``, ``server/``,
``lib/`` and the like, never tests, build output, browser assets or tool configs (a
``vite.config.ts`` ``port: 5173`` is the dev server, not the service). Comments are blanked
(lines kept) before matching, so a commented-out ``app.listen(8080)`` says nothing. Each
fact keeps its file and line; :mod:`.ports` and the analyzer decide what they mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from kubify.analyzers.draft import Site
from kubify.analyzers.node.package_json import line_of_text
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, relative_to

SOURCE_SUFFIXES: tuple[str, ...] = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
#: Directories that never hold the server's runtime code.
SKIP_DIRS = frozenset({
    "dist", "build", "out", "public", "static", "assets", "coverage", "test", "tests", "__tests__", "__mocks__",
    "e2e", "cypress", "playwright", "fixtures", "__fixtures__", "docs", "examples", "example", "scripts",
    "storybook", ".storybook", "stories", "migrations", "seeds", "seeders", "types", "typings", "@types",
    "vendor", ".output", ".vercel", ".netlify", "tmp", "benchmark", "benchmarks",
})
_SKIP_NAME = re.compile(r"(?:\.(?:test|spec|stories|story|d|min|bench)\.[cm]?[jt]sx?$|"
                        r"^(?:\.eslintrc|\.prettierrc|gulpfile|gruntfile|jest\.setup|setupTests)\b)", re.I)
#: Build/test tool configs, wherever they sit. Other ``*.config.ts`` files below the package root
#: (NestJS ``src/config/app.config.ts``) are the app's runtime configuration and are read.
_TOOL_CONFIG = re.compile(r"^(?:vite|vitest|jest|webpack|rollup|rspack|next|nuxt|tailwind|postcss|babel|eslint|"
                          r"prettier|stylelint|svelte|astro|playwright|cypress|karma|tsup|esbuild|remix|vue|"
                          r"craco|gatsby|docusaurus|metro|commitlint|lint-staged|storybook|electron-builder|"
                          r"uno|windi|panda|quasar|drizzle|sentry|tsdown|unbuild|wrangler)\b[\w.-]*\.config\."
                          r"[cm]?[jt]s$", re.I)
_CONFIG_NAME = re.compile(r"\.config\.[cm]?[jt]s$", re.I)
PRIORITY_DIRS: tuple[str, ...] = ("", "src", "server", "app", "api", "lib", "bin", "source", "backend", "routes",
                                  "pages", "config", "services", "controllers", "modules", "workers", "jobs")
MAX_FILES = 300
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 6

_STRIP = re.compile(
    r"""("(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?|`(?:\\.|[^`\\])*(?:`|\Z))|(//[^\n]*|/\*.*?(?:\*/|\Z))""",
    re.S)
_LISTEN = re.compile(r"\.listen\s*\(")
_HAPI_SERVER = re.compile(r"\b(?:Hapi\.)?(?:server|Server)\s*\(\s*\{")
_SERVE = re.compile(r"\bserve\s*\(\s*\{")  # @hono/node-server serve({ fetch, port }), Bun.serve({ port })
_OPTIONS_SERVER = re.compile(r"\bnew\s+(?:WebSocket\.|ws\.)?(?:WebSocket)?Server\s*\(\s*\{|"
                             r"\bstartStandaloneServer\s*\([^(){};]{0,200}?,\s*\{\s*listen\s*:\s*\{")
_EXPORT_SERVER = re.compile(r"\bexport\s+default\s*\{")  # Bun/Hono: export default { port, fetch }
_ENV_DOT = re.compile(r"\bprocess\.env\??\.([A-Za-z_][A-Za-z0-9_]*)")
_ENV_INDEX = re.compile(r"\bprocess\.env\s*\[\s*['\"`]([A-Za-z_][A-Za-z0-9_]*)['\"`]\s*\]")
_ENV_DESTRUCTURE = re.compile(r"\b(?:const|let|var)\s*\{([^{}]*)\}\s*=\s*process\.env\b")
_IMPORT_META = re.compile(r"\bimport\.meta\.env\.([A-Za-z_][A-Za-z0-9_]*)")
_CONFIG_GET = re.compile(r"\b\w{0,40}?[cC]onfig\w{0,20}\.get(?:OrThrow)?\s*(?:<[^>()]*>)?\s*\(\s*"
                         r"['\"`]([A-Z][A-Z0-9_]*)['\"`]\s*(?:,\s*([^()]*?))?\)")
_ENV_VAR_LIB = re.compile(r"\benv\.get\s*\(\s*['\"`]([A-Z_][A-Z0-9_]*)['\"`]\s*\)"
                          r"(?:\s*\.default\s*\(\s*([^()]*?)\s*\))?")
_SCHEMA_KEY = re.compile(r"^[ \t]*+['\"]?([A-Z][A-Z0-9_]{1,})['\"]?\s*:\s*(?:z\.|str\(|num\(|port\(|bool\(|url\(|"
                         r"host\(|email\(|json\(|Joi\.|joi\.)", re.M)
_ENV_SCHEMA_FILE = re.compile(r"(?:^|/)(?:env|config|environment)[\w.-]*\.[cm]?[jt]s$", re.I)
_DEFAULT_AFTER = re.compile(r"\s*+(?:\|\||\?\?)\s*+(['\"`][^'\"`\n]*['\"`]|-?\d+(?:\.\d+)?|true|false)")
_ROUTE = re.compile(r"(?:\b([A-Za-z_$][\w$]*)\s*)?\.(?:get|head|all|use|route|any)\s*\(\s*(['\"`])"
                    r"(/[^'\"`\s]{0,200})\2")
_ROUTER = re.compile(r"\bRouter\s*\(|\bnew\s+Router\b")
_ROUTER_PREFIX = re.compile(r"\bnew\s+(?:Koa)?Router\s*\(\s*\{[^}]*\bprefix\s*:\s*['\"`](/[^'\"`]*)['\"`]")
_MOUNT = re.compile(r"\.use\s*\(\s*(?:(['\"`])(/[^'\"`\s]*)\1\s*,)?([^;]{0,300})")
#: ``from '<module>'`` / ``require('<module>')``; the bound names are read from the text just before.
_MODULE_SOURCE = re.compile(r"""\bfrom\s*+['"]([^'"\n]+)['"]|\brequire\s*+\(\s*+['"]([^'"\n]+)['"]\s*+\)""")
_IMPORT_HEAD = re.compile(r"\bimport\s++(?:type\s++)?([\w$*{},\s]{1,300})$")
_REQUIRE_HEAD = re.compile(r"\b(?:const|let|var)\s++([\w${},:\s]{1,300}?)\s*+=\s*+$")
#: Receivers that are the application itself (routes on them are not under a router mount).
APP_NAMES = frozenset({"app", "server", "fastify", "instance", "api", "srv", "application", "http", "hono"})
_ROUTE_KEY = re.compile(r"\b(?:path|url)\s*:\s*(['\"`])(/[^'\"`\s]{0,200})\1")
_TERMINUS = re.compile(r"\bhealthChecks\s*:\s*\{([^{}]{0,2000})", re.S)
_QUOTED_PATH = re.compile(r"['\"`](/[^'\"`\s]{0,200})['\"`]\s*:")
_NEST_CONTROLLER = re.compile(r"@Controller\s*\(\s*(?:['\"`]([^'\"`]*)['\"`]|\{[^}]*?\bpath\s*:\s*['\"`]([^'\"`]*)"
                              r"['\"`][^}]*\})?\s*\)")
_NEST_GET = re.compile(r"@(?:Get|Head|All)\s*\(\s*(?:['\"`]([^'\"`]*)['\"`])?\s*\)")
_NEST_PREFIX = re.compile(r"\.setGlobalPrefix\s*\(\s*['\"`]([^'\"`]*)['\"`]([^;]{0,300})")
_NEST_TERMINUS = re.compile(r"@HealthCheck\s*\(")
_IMPORTS = re.compile(r"""(?:from\s*|require\s*\(\s*|import\s*\(\s*|import\s+)['"]([^'"]+)['"]""")
_ASSIGN = re.compile(r"(?<![\w$.])(?:(?:export\s++)?(?:const|let|var)\s++)?([A-Za-z_$][\w$]*+)\s*+"
                     r"(?::\s*+[\w<>\[\]| .]{1,80}+)?\s*+=(?![=>])\s*+([^;\n]++)")
_KEYED = re.compile(r"(?<![\w$])['\"]?([A-Za-z_$][\w$]*)['\"]?\s*:\s*([^,\n}]+)")
_SETTING = re.compile(r"\.set\s*\(\s*['\"`](\w+)['\"`]\s*,\s*([^;\n]+?)\)\s*;?\s*$", re.M)

#: (library import, regex, what) — calls that make a process a long-running consumer.
_CONSUMERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("bullmq", re.compile(r"\bnew\s+Worker\s*\("), "bullmq worker"),
    ("bull", re.compile(r"\.process\s*\("), "bull processor"),
    ("bee-queue", re.compile(r"\.process\s*\("), "bee-queue processor"),
    ("kafkajs", re.compile(r"\.consumer\s*\(\s*\{"), "kafkajs consumer"),
    ("amqplib", re.compile(r"\.consume\s*\("), "amqplib consumer"),
    ("amqp-connection-manager", re.compile(r"\.consume\s*\("), "amqp consumer"),
    ("sqs-consumer", re.compile(r"\bConsumer\.create\s*\("), "sqs consumer"),
    ("node-cron", re.compile(r"\.schedule\s*\("), "cron schedule"),
    ("cron", re.compile(r"\bnew\s+CronJob\s*\(|\bCronJob\.from\s*\("), "cron job"),
    ("agenda", re.compile(r"\.start\s*\(|\bnew\s+Agenda\s*\("), "agenda"),
    ("pg-boss", re.compile(r"\.work\s*\("), "pg-boss worker"),
    ("@temporalio/worker", re.compile(r"\bWorker\.create\s*\("), "temporal worker"),
    ("@nestjs/bullmq", re.compile(r"@Processor\s*\("), "bullmq processor"),
    ("@nestjs/bull", re.compile(r"@Processor\s*\("), "bull processor"),
)
_METRICS_CALLS = re.compile(r"\b(?:collectDefaultMetrics|promBundle|register\.metrics|PrometheusModule)\b")


@dataclass(frozen=True)
class Listen:
    """A place the code starts listening: the port expression as written and a literal host, if any."""

    site: Site
    port_expr: str | None
    host: str | None


@dataclass(frozen=True)
class EnvRead:
    name: str
    default: str | None
    site: Site
    build_time: bool = False


@dataclass(frozen=True)
class Route:
    path: str
    site: Site
    nest: bool = False
    #: Declared on an Express/Koa router (its URL depends on where the router is mounted).
    router: bool = False
    receiver: str = ""


@dataclass(frozen=True)
class Mount:
    """``app.use('/api', ordersRouter)``: a prefix and the argument text that names the router."""

    prefix: str
    arguments: str
    site: Site


@dataclass
class SourceFile:
    """One scanned file: comment-free code and what it imports."""

    rel: str
    code: str
    imports: frozenset[str]

    def line(self, offset: int) -> int:
        return line_of_text(self.code, offset)


@dataclass
class SourceFacts:
    files: list[SourceFile] = field(default_factory=list)
    listens: list[Listen] = field(default_factory=list)
    env: list[EnvRead] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    consumers: list[tuple[str, Site]] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    router_files: set[str] = field(default_factory=set)
    metrics: list[Site] = field(default_factory=list)
    global_prefix: tuple[str, bool, Site] | None = None
    truncated: bool = False

    def file(self, rel: str) -> SourceFile | None:
        return next((f for f in self.files if f.rel == rel), None)


def source_files(inventory: Inventory, root: str, entries: list[str], exclude: list[str]) -> tuple[list[str], bool]:
    """The files to read for ``root``: entries first, then by directory priority; (files, truncated)."""
    excluded = tuple(e + "/" for e in exclude)
    candidates = []
    for rel in inventory.under(root):
        local = relative_to(rel, root)
        parts = local.split("/")
        if rel.startswith(excluded) or len(parts) > MAX_DEPTH or any(p in SKIP_DIRS for p in parts[:-1]):
            continue
        if rel.endswith(SOURCE_SUFFIXES) and not _skipped_name(parts):
            candidates.append(rel)
    chosen = [e for e in entries if inventory.has(e)]
    rest = sorted(set(candidates) - set(chosen), key=lambda r: (_rank(relative_to(r, root)), r))
    ordered = chosen + rest
    return ordered[:MAX_FILES], len(ordered) > MAX_FILES


def _skipped_name(parts: list[str]) -> bool:
    """Tests, declarations, bundles and tool configs; a ``*.config.*`` at the package root is a tool's."""
    name = parts[-1]
    if _SKIP_NAME.search(name) or _TOOL_CONFIG.search(name):
        return True
    return len(parts) == 1 and _CONFIG_NAME.search(name) is not None


def _rank(local: str) -> tuple[int, int]:
    parts = local.split("/")
    top = "" if len(parts) == 1 else parts[0]
    rank = PRIORITY_DIRS.index(top) if top in PRIORITY_DIRS else len(PRIORITY_DIRS)
    return rank, len(parts)


def strip_comments(text: str) -> str:
    """Blank out comments, keeping strings and line breaks (so offsets keep their lines)."""
    def blank(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        return re.sub(r"[^\n]", " ", match.group(2))
    return _STRIP.sub(blank, text)


def scan_sources(inventory: Inventory, files: list[str]) -> SourceFacts:
    facts = SourceFacts()
    total = 0
    for rel in files:
        try:
            text = inventory.text(rel)
        except FileProblem:
            continue
        if len(text) > MAX_FILE_BYTES or _bundled(text):
            continue
        total += len(text)
        if total > MAX_TOTAL_BYTES:
            facts.truncated = True
            break
        code = strip_comments(text)
        source = SourceFile(rel, code, frozenset(m.group(1) for m in _IMPORTS.finditer(code)))
        facts.files.append(source)
        _scan_file(source, facts)
    return facts


def _bundled(text: str) -> bool:
    """Minified bundles (one huge line) say nothing reliable about the source."""
    first = text[:5000].split("\n", 1)[0]
    return len(first) > 2000


def _scan_file(source: SourceFile, facts: SourceFacts) -> None:
    code = source.code
    for pattern in (_LISTEN, _HAPI_SERVER, _SERVE, _OPTIONS_SERVER):
        for match in pattern.finditer(code):
            _listen(source, match, facts)
    for match in _EXPORT_SERVER.finditer(code):
        literal = code[match.end() - 1: match.end() + 2000]
        port = object_value(literal, "port")
        if port is not None and object_value(literal, "fetch") is not None:
            facts.listens.append(Listen(Site(source.rel, source.line(match.start())), port, None))
    _env_reads(source, facts)
    _routes(source, facts)
    for library, pattern, what in _CONSUMERS:
        if _imports(source, library):
            facts.consumers += [(what, Site(source.rel, source.line(m.start()))) for m in pattern.finditer(code)]
    facts.metrics += [Site(source.rel, source.line(m.start())) for m in _METRICS_CALLS.finditer(code)]
    prefix = _NEST_PREFIX.search(code)
    if prefix and facts.global_prefix is None:
        excludes_health = bool(re.search(r"exclude[\s\S]*health", prefix.group(2)))
        facts.global_prefix = (prefix.group(1), excludes_health, Site(source.rel, source.line(prefix.start())))


def _imports(source: SourceFile, library: str) -> bool:
    return any(i == library or i.startswith(library + "/") for i in source.imports)


def _listen(source: SourceFile, match: re.Match[str], facts: SourceFacts) -> None:
    """``x.listen(port[, host])`` / ``x.listen({port, host})``, or a server constructed with ``{port}`` options."""
    site = Site(source.rel, source.line(match.start()))
    if match.re is not _LISTEN:  # the match ends at the options object's "{"
        literal = source.code[match.end() - 1: match.end() + 2000]
        port = object_value(literal, "port")
        if port is not None and not _callback(port):
            host = object_value(literal, "host") or object_value(literal, "hostname")
            facts.listens.append(Listen(site, port, _literal_string(host)))
        return
    arguments = balanced_arguments(source.code, match.end() - 1)
    if arguments is None:
        return
    first = arguments[0] if arguments else ""
    if first.startswith("{"):
        port, host = object_value(first, "port"), object_value(first, "host") or object_value(first, "hostname")
    else:
        port, host = first or None, arguments[1] if len(arguments) > 1 else None
    if port is not None and _callback(port):
        port = None
    facts.listens.append(Listen(site, port, _literal_string(host)))


def _callback(expression: str) -> bool:
    return expression.startswith(("(", "function", "async")) or "=>" in expression


def unquoted(code: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` for each character of ``code[start:end]`` outside string literals.

    ``depth`` is the bracket depth after the character: an opening bracket counts itself, a
    closing one does not.
    """
    depth = 0
    quote: str | None = None
    index = start
    end = len(code) if end is None else end
    while index < end:
        char = code[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        else:
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            yield index, char, depth
        index += 1


def balanced_arguments(code: str, opening: int, limit: int = 2000) -> list[str] | None:
    """The top-level, comma-separated arguments of the call whose ``(`` (or ``{``) is at ``opening``."""
    start, parts = opening + 1, []
    for index, char, depth in unquoted(code, opening, min(len(code), opening + limit)):
        if char in ")]}" and depth == 0:
            parts.append(code[start:index])
            return [p.strip() for p in parts if p.strip()]
        if char == "," and depth == 1:
            parts.append(code[start:index])
            start = index + 1
    return None


def object_value(literal: str, key: str) -> str | None:
    """The expression for ``key`` in an object literal text (``port`` shorthand → ``port``)."""
    if not literal.startswith("{"):
        return None
    inner = balanced_arguments(literal, 0)
    for part in inner or []:
        found = re.match(r"['\"]?([A-Za-z_$][\w$]*)['\"]?\s*(?::\s*([\s\S]+))?$", part)
        if found and found.group(1) == key:
            return (found.group(2) or found.group(1)).strip()
    return None


def _literal_string(expression: str | None) -> str | None:
    if expression is None:
        return None
    found = re.fullmatch(r"\s*['\"`]([^'\"`]*)['\"`]\s*", expression)
    return found.group(1) if found else None


def _env_reads(source: SourceFile, facts: SourceFacts) -> None:
    code, rel = source.code, source.rel
    for pattern in (_ENV_DOT, _ENV_INDEX):
        for match in pattern.finditer(code):
            default = _DEFAULT_AFTER.match(code, match.end())
            facts.env.append(EnvRead(match.group(1), _unquote(default.group(1)) if default else None,
                                     Site(rel, source.line(match.start()))))
    for match in _ENV_DESTRUCTURE.finditer(code):
        for entry in match.group(1).split(","):
            found = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[\w$]+\s*)?(?:=\s*(.+?))?\s*$", entry)
            if found:
                facts.env.append(EnvRead(found.group(1), _unquote(found.group(2)) if found.group(2) else None,
                                         Site(rel, source.line(match.start()))))
    for match in _IMPORT_META.finditer(code):
        facts.env.append(EnvRead(match.group(1), None, Site(rel, source.line(match.start())), build_time=True))
    for pattern in (_CONFIG_GET, _ENV_VAR_LIB):
        for match in pattern.finditer(code):
            fallback: str | None = match.group(2)
            facts.env.append(EnvRead(match.group(1), _unquote(fallback) if fallback else None,
                                     Site(rel, source.line(match.start()))))
    if _ENV_SCHEMA_FILE.search(rel) and ("process.env" in code or "createEnv" in code or "cleanEnv" in code):
        for match in _SCHEMA_KEY.finditer(code):
            facts.env.append(EnvRead(match.group(1), None, Site(rel, source.line(match.start(1)))))


def _unquote(value: str) -> str | None:
    value = value.strip()
    if re.fullmatch(r"-?\d+(?:\.\d+)?|true|false", value):
        return value
    found = re.fullmatch(r"['\"`]([^'\"`$]*)['\"`]", value)
    return found.group(1) if found else None


def _routes(source: SourceFile, facts: SourceFacts) -> None:
    code, rel = source.code, source.rel
    router_file = bool(_ROUTER.search(code))
    router_prefix = _ROUTER_PREFIX.search(code)
    for match in _ROUTE.finditer(code):
        receiver = match.group(1) or ""
        on_router = router_file and receiver.lower() not in APP_NAMES
        path = match.group(3)
        if on_router and router_prefix:
            path, on_router = router_prefix.group(1).rstrip("/") + "/" + path.lstrip("/"), False
        facts.routes.append(Route(path, Site(rel, source.line(match.start())), router=on_router, receiver=receiver))
        if on_router:
            facts.router_files.add(rel)
    for match in _ROUTE_KEY.finditer(code):
        facts.routes.append(Route(match.group(2), Site(rel, source.line(match.start()))))
    for match in _MOUNT.finditer(code):
        facts.mounts.append(Mount(match.group(2) or "/", match.group(3), Site(rel, source.line(match.start()))))
    for block in _TERMINUS.finditer(code):
        for key in _QUOTED_PATH.finditer(block.group(1)):
            facts.routes.append(Route(key.group(1), Site(rel, source.line(block.start(1) + key.start()))))
    _nest_routes(source, facts)


def _nest_routes(source: SourceFile, facts: SourceFacts) -> None:
    """``@Controller('health')`` + ``@Get()`` → ``/health`` (the global prefix is applied later)."""
    controller = _NEST_CONTROLLER.search(source.code)
    if controller is None:
        return
    prefix = (controller.group(1) or controller.group(2) or "").strip("/")
    for get in _NEST_GET.finditer(source.code):
        path = "/" + "/".join(p for p in (prefix, (get.group(1) or "").strip("/")) if p)
        facts.routes.append(Route(path, Site(source.rel, source.line(get.start())), nest=True))
    if _NEST_TERMINUS.search(source.code) and prefix:
        facts.routes.append(Route("/" + prefix, Site(source.rel, source.line(controller.start())), nest=True))


def import_bindings(source: SourceFile) -> dict[str, str]:
    """``identifier → module specifier`` for the file's imports and requires."""
    bindings: dict[str, str] = {}
    code = source.code
    for match in _MODULE_SOURCE.finditer(code):
        before = code[max(0, match.start() - 300): match.start()]
        head = (_IMPORT_HEAD if match.group(1) else _REQUIRE_HEAD).search(before)
        if head is None:
            continue
        names = re.sub(r"\*\s*as\s+|\btype\b|[{}]|\w+\s*:\s*(?=\w)", " ", head.group(1))
        for name in re.split(r"[,\s]+", names):
            if name and name != "as":
                bindings.setdefault(name, match.group(1) or match.group(2))
    return bindings


def assignments(source: SourceFile) -> dict[str, tuple[str, int]]:
    """``name → (expression, line)`` for simple assignments; the first one of a name wins."""
    found: dict[str, tuple[str, int]] = {}
    for match in _ENV_DESTRUCTURE.finditer(source.code):
        for entry in match.group(1).split(","):
            parsed = re.match(r"\s*([A-Za-z_]\w*)\s*(?::\s*([\w$]+)\s*)?(?:=\s*(.+?))?\s*$", entry)
            if parsed:
                local = parsed.group(2) or parsed.group(1)
                default = f" || {parsed.group(3)}" if parsed.group(3) else ""
                found.setdefault(local, (f"process.env.{parsed.group(1)}{default}", source.line(match.start())))
    for match in _ASSIGN.finditer(source.code):
        name, expression = match.group(1), match.group(2).strip().rstrip(",")
        if name not in found and name not in ("module", "exports"):
            found[name] = (expression, source.line(match.start()))
    for match in _SETTING.finditer(source.code):
        found.setdefault(f"@set:{match.group(1)}", (match.group(2).strip(), source.line(match.start())))
    return found


def keyed_values(source: SourceFile, key: str) -> list[tuple[str, int]]:
    """Object-literal values for ``key`` (case-insensitive), e.g. ``port: process.env.PORT || 3000``."""
    return [(m.group(2).strip(), source.line(m.start())) for m in _KEYED.finditer(source.code)
            if m.group(1).lower() == key.lower()]
