"""What one Go package's code says about running it: listeners, env reads, routes, consumers.

Each pattern runs over comment-free code (:mod:`.source`) and records *where* it matched,
so every IR field can cite a file and line. Nothing here decides a component's kind or
port — :mod:`.program` weighs the facts of a main package and the packages it imports;
address expressions are kept as written and resolved later by :mod:`.resolve`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from kubify.analyzers.draft import Site
from kubify.analyzers.go.catalog import CGO_LIBRARIES, CLI_LIBRARIES, ENV_NAME, GRPC, GRPC_HEALTH, MESSAGING_LIBRARIES
from kubify.analyzers.go.envreads import scan_env
from kubify.analyzers.go.listeners import scan_listeners
from kubify.analyzers.go.records import Assignment, EnvRead, PackageFacts, site
from kubify.analyzers.go.source import GoFile, call_args, expression_at, unquote

_CONSUMER = re.compile(
    r"\.(?:ReadMessage|FetchMessage|ConsumeClaim|Consume|ConsumePartition|PollFetches|Poll|QueueSubscribe|"
    r"Subscribe|ChanSubscribe|PullSubscribe|ReceiveMessage|Receive|XReadGroup|BLPop|BRPop|RegisterWorkflow|"
    r"RegisterActivity|HandleFunc|AddFunc|Every)\s*\(|\b(?:kafka\.NewReader|sarama\.NewConsumerGroup\w*|"
    r"asynq\.NewServer|worker\.New|cron\.New|gocron\.NewScheduler|message\.NewRouter)\s*\(")
_CLI_CALLS = re.compile(r"\bflag\.(?:Parse|NewFlagSet)\s*\(|\bos\.Args\s*\[\s*1\s*\]")
_SERVE_COMMAND = re.compile(r"\b(?:Use|Name)\s*:\s*\"(serve|server|start|run|api|web|http|daemon|grpc|worker|work|"
                            r"consume|consumer)(?:\s[^\"]*)?\"")
_GRPC_SERVER = re.compile(r"\bgrpc\.NewServer\s*\(")
_GRPC_HEALTH_REGISTER = (re.compile(r"\bRegisterHealthServer\s*\("), re.compile(r"\bhealth\.NewServer\s*\("))
_ROUTE = re.compile(r"\.(?:GET|Get|HEAD|Head|Any|All|Handle|HandleFunc|Path|Route|Match|Add|Methods|Group|"
                    r"Heartbeat)\s*\(\s*(?:\"[A-Z]+\"\s*,\s*)?\"((?:[A-Z]+\s+)?/[^\"\s]*)\"")
_HEARTBEAT = re.compile(r"\bmiddleware\.Heartbeat\s*\(\s*\"(/[^\"]*)\"")
_FIBER_HEALTH = re.compile(r"\bhealthcheck\.New\s*\(")
_METRICS = re.compile(r"\bpromhttp\.(?:Handler|HandlerFor|InstrumentMetricHandler)\s*\(|"
                      r"\b(?:ginprometheus\.NewPrometheus|echoprometheus\.NewHandler|"
                      r"fiberprometheus\.New)\s*\(")
_METRICS_PATH = re.compile(r"\"((?:[A-Z]+\s+)?/[\w/.-]*metrics[\w/.-]*)\"")
_TICKER = re.compile(r"\btime\.(?:NewTicker|Tick)\s*\(")
_SIGNAL = re.compile(r"\bsignal\.(?:Notify|NotifyContext)\s*\(")

# Assignments the resolver follows (identifiers and struct fields of the same package).
_FLAG_VAR = re.compile(r"\.(?:String|Int|Int64|Uint|Uint64|Duration)Var(P)?\s*\(")


def package_facts(directory: str, files: Iterable[GoFile]) -> PackageFacts:
    """Scan the files of one package (sorted by path, so results are deterministic)."""
    ordered = sorted(files, key=lambda f: f.rel)
    facts = PackageFacts(directory, files=tuple(ordered))
    pending: list[tuple[str, EnvRead]] = []
    for go in ordered:
        for imported in go.imports:
            facts.imports.append((imported.path, Site(go.rel, imported.line)))
        if go.generated:
            continue
        scan_listeners(go, facts)
        pending += scan_env(go, facts)
        _scan_flag_targets(go, facts)
        _scan_behaviour(go, facts)
    _resolve_constant_reads(facts, pending)
    facts.env = [_with_constant_default(facts, read) for read in facts.env]
    return facts


# --- assignments (for the resolver) --------------------------------------------------------

def _scan_flag_targets(go: GoFile, facts: PackageFacts) -> None:
    """``flag.StringVar(&addr, "addr", ":8080", ...)`` assigns its default to ``addr``."""
    code = go.code
    for match in _FLAG_VAR.finditer(code):
        args = call_args(code, match.end() - 1)
        index = 3 if match.group(1) else 2
        if not args or len(args) <= index or not args[0].startswith("&"):
            continue
        target = args[0][1:].strip()
        flagged = Assignment(f"flag.Default({args[index]})", site(go, match.start()))
        facts.assignments.setdefault(target, []).append(flagged)
        if "." in target:
            facts.fields.setdefault(target.rsplit(".", 1)[1], []).append(flagged)


def assigned(facts: PackageFacts, name: str) -> list[Assignment]:
    """Every expression assigned to identifier ``name`` in the package (``x := e``, ``var x T = e``, consts)."""
    key = ("name", name)
    if key not in facts.lookups:
        word = re.escape(name)
        patterns = (re.compile(rf"(?<![.\w]){word}(?:\s*,\s*[A-Za-z_]\w*)*\s*:?=(?!=)[ \t]*"),
                    re.compile(rf"^[ \t]*(?:var[ \t]+|const[ \t]+)?{word}[ \t]+[\w.*\[\]]+[ \t]*=(?!=)[ \t]*", re.M))
        facts.lookups[key] = facts.assignments.get(name, []) + _matches(facts, name, patterns)
    return facts.lookups[key]


def field_values(facts: PackageFacts, name: str) -> list[Assignment]:
    """Every expression given to struct field ``name`` (``x.Name = e``, ``T{Name: e}``, env tags)."""
    key = ("field", name)
    if key not in facts.lookups:
        patterns = (re.compile(rf"\.{re.escape(name)}\s*=(?!=)[ \t]*"),
                    re.compile(rf"(?<![\w.]){re.escape(name)}\s*:(?!=)[ \t]*"))
        facts.lookups[key] = facts.fields.get(name, []) + _matches(facts, name, patterns)
    return facts.lookups[key]


def _matches(facts: PackageFacts, name: str, patterns: tuple[re.Pattern[str], ...]) -> list[Assignment]:
    found = []
    for go in facts.files:
        if go.generated or name not in go.code:
            continue
        for pattern in patterns:
            for match in pattern.finditer(go.code):
                value = expression_at(go.code, match.end())
                if value and not value.startswith(("func", "{")):
                    found.append(Assignment(value, site(go, match.start())))
    return found


def _resolve_constant_reads(facts: PackageFacts, pending: list[tuple[str, EnvRead]]) -> None:
    """``os.Getenv(envPort)`` with ``const envPort = "PORT"`` somewhere in the package."""
    for constant, read in pending:
        values = [unquote(a.expression) for a in assigned(facts, constant)]
        name = next((v for v in values if v and ENV_NAME.match(v)), None)
        if name is not None:
            facts.env.append(EnvRead(name, None, False, read.site, read.rule))


def _with_constant_default(facts: PackageFacts, read: EnvRead) -> EnvRead:
    """``if addr == "" { addr = defaultAddress }``: the default is the constant's value."""
    if read.default is not None or read.fallback is None or not re.fullmatch(r"[A-Za-z_]\w*", read.fallback):
        return read
    value = next((v for a in assigned(facts, read.fallback) if (v := unquote(a.expression)) is not None), None)
    return replace(read, default=value) if value is not None else read


# --- behaviour: routes, metrics, grpc, consumers, cli ---------------------------------------

def _scan_behaviour(go: GoFile, facts: PackageFacts) -> None:
    if '"/' in go.code:
        _routes(go, facts)
    if "prometheus" in go.code:
        _metrics(go, facts)
    if go.imports_path(GRPC) is not None:
        _grpc(go, facts)
    _shape(go, facts)


def _routes(go: GoFile, facts: PackageFacts) -> None:
    for pattern in (_ROUTE, _HEARTBEAT):
        for match in pattern.finditer(go.code):
            facts.routes.append((match.group(1).split()[-1], site(go, match.start(1))))
    if go.imports_path("github.com/gofiber/fiber") and (health := _FIBER_HEALTH.search(go.code)):
        facts.routes.append(("/livez", site(go, health.start())))


def _metrics(go: GoFile, facts: PackageFacts) -> None:
    for match in _METRICS.finditer(go.code):
        path_match = _METRICS_PATH.search(go.code)
        path = path_match.group(1).split()[-1] if path_match else "/metrics"
        facts.metrics.append((path, site(go, match.start())))


def _grpc(go: GoFile, facts: PackageFacts) -> None:
    if facts.grpc_server is None and (server := _GRPC_SERVER.search(go.code)):
        facts.grpc_server = site(go, server.start())
    health_import = next((i for p in GRPC_HEALTH if (i := go.imports_path(p)) is not None), None)
    if health_import is not None and facts.grpc_health is None:
        registered = next((m for p in _GRPC_HEALTH_REGISTER if (m := p.search(go.code))), None)
        facts.grpc_health = site(go, registered.start()) if registered else Site(go.rel, health_import.line)


def _shape(go: GoFile, facts: PackageFacts) -> None:
    """What kind of program this is: a consumer loop, a command line, a daemon, cgo."""
    code = go.code
    if any(go.imports_path(p) for p in MESSAGING_LIBRARIES):
        facts.consumers += [site(go, m.start()) for m in _CONSUMER.finditer(code)][:3]
    for library in CLI_LIBRARIES:
        if (imported := go.imports_path(library)) is not None:
            facts.cli.append(Site(go.rel, imported.line))
    if "flag." in code or "os.Args" in code:
        facts.cli += [site(go, m.start()) for m in _CLI_CALLS.finditer(code)][:2]
    if "Use:" in code or "Name:" in code:
        facts.serve_commands += [(m.group(1), site(go, m.start())) for m in _SERVE_COMMAND.finditer(code)]
    if facts.cgo is None:
        cgo = next((i for lib in CGO_LIBRARIES if (i := go.imports_path(lib)) is not None), None)
        facts.cgo = Site(go.rel, cgo.line) if cgo else None
    if facts.daemon is None and "signal." in code and _SIGNAL.search(code) and (ticker := _TICKER.search(code)):
        facts.daemon = site(go, ticker.start())
