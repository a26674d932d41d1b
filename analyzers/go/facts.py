"""What one Go package's code says about running it: listeners, env reads, routes, consumers.

Each pattern runs over comment-free code (:mod:`.source`) and records *where* it matched,
so every IR field can cite a file and line. Nothing here decides a component's kind or
port — :mod:`.analyzer` weighs the facts of a main package and the packages it imports;
address expressions are kept as written and resolved later by :mod:`.resolve`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kubify.analyzers.go.source import GoFile, braced_body, call_args, unquote

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Import path prefix → framework name (web frameworks first: they win over net/http and grpc).
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("github.com/gin-gonic/gin", "gin"),
    ("github.com/labstack/echo", "echo"),
    ("github.com/gofiber/fiber", "fiber"),
    ("github.com/go-chi/chi", "chi"),
    ("github.com/gorilla/mux", "gorilla/mux"),
    ("github.com/beego/beego", "beego"),
    ("github.com/astaxie/beego", "beego"),
    ("github.com/kataras/iris", "iris"),
    ("github.com/cloudwego/hertz", "hertz"),
    ("github.com/julienschmidt/httprouter", "httprouter"),
    ("github.com/valyala/fasthttp", "fasthttp"),
)
#: Import path prefix → backing service the code talks to.
SERVICES: tuple[tuple[str, str], ...] = (
    ("github.com/lib/pq", "postgres"), ("github.com/jackc/pgx", "postgres"), ("github.com/jackc/pgconn", "postgres"),
    ("gorm.io/driver/postgres", "postgres"), ("github.com/go-pg/pg", "postgres"),
    ("github.com/uptrace/bun/driver/pgdriver", "postgres"), ("github.com/uptrace/bun/dialect/pgdialect", "postgres"),
    ("github.com/go-sql-driver/mysql", "mysql"), ("gorm.io/driver/mysql", "mysql"),
    ("github.com/go-redis/redis", "redis"), ("github.com/redis/go-redis", "redis"),
    ("github.com/gomodule/redigo", "redis"), ("github.com/garyburd/redigo", "redis"),
    ("github.com/redis/rueidis", "redis"), ("github.com/hibiken/asynq", "redis"),
    ("go.mongodb.org/mongo-driver", "mongodb"), ("gopkg.in/mgo.v2", "mongodb"),
    ("github.com/globalsign/mgo", "mongodb"),
    ("github.com/segmentio/kafka-go", "kafka"), ("github.com/IBM/sarama", "kafka"),
    ("github.com/Shopify/sarama", "kafka"),
    ("github.com/confluentinc/confluent-kafka-go", "kafka"), ("github.com/twmb/franz-go", "kafka"),
    ("github.com/rabbitmq/amqp091-go", "rabbitmq"), ("github.com/streadway/amqp", "rabbitmq"),
    ("github.com/elastic/go-elasticsearch", "elasticsearch"), ("github.com/olivere/elastic", "elasticsearch"),
    ("gopkg.in/olivere/elastic", "elasticsearch"),
    ("github.com/aws/aws-sdk-go-v2/service/s3", "s3"), ("github.com/aws/aws-sdk-go/service/s3", "s3"),
    ("github.com/minio/minio-go", "s3"),
    ("github.com/nats-io/nats.go", "nats"), ("github.com/nats-io/go-nats", "nats"),
    ("github.com/bradfitz/gomemcache", "memcached"),
)
#: Libraries whose programs are command-line tools unless something else says otherwise.
CLI_LIBRARIES: tuple[str, ...] = (
    "github.com/spf13/cobra", "github.com/urfave/cli", "github.com/alecthomas/kong", "github.com/peterbourgon/ff",
    "github.com/jessevdk/go-flags", "github.com/alecthomas/kingpin", "gopkg.in/alecthomas/kingpin.v2",
)
#: Libraries that make a long-running consumer (a worker) when their receive loop is called.
MESSAGING_LIBRARIES: tuple[str, ...] = (
    "github.com/segmentio/kafka-go", "github.com/IBM/sarama", "github.com/Shopify/sarama",
    "github.com/confluentinc/confluent-kafka-go", "github.com/twmb/franz-go", "github.com/nats-io/nats.go",
    "github.com/rabbitmq/amqp091-go", "github.com/streadway/amqp", "github.com/aws/aws-sdk-go-v2/service/sqs",
    "github.com/aws/aws-sdk-go/service/sqs", "cloud.google.com/go/pubsub", "github.com/hibiken/asynq",
    "go.temporal.io/sdk/worker", "github.com/robfig/cron", "github.com/go-co-op/gocron",
    "github.com/ThreeDotsLabs/watermill", "github.com/RichardKnop/machinery", "github.com/redis/go-redis",
    "github.com/go-redis/redis",
)
#: Imports that need cgo (the generated build must not set CGO_ENABLED=0).
CGO_LIBRARIES: tuple[str, ...] = ("C", "github.com/mattn/go-sqlite3", "github.com/confluentinc/confluent-kafka-go")
GRPC = "google.golang.org/grpc"
GRPC_HEALTH = ("google.golang.org/grpc/health/grpc_health_v1", "google.golang.org/grpc/health")

#: Last path segments that name a health endpoint, most specific first.
HEALTH_NAMES: tuple[str, ...] = ("healthz", "health", "livez", "healthcheck", "health-check", "_health", "readyz",
                                 "ready", "liveness", "readiness", "live", "ping")

_CONSUMER = re.compile(
    r"\.(?:ReadMessage|FetchMessage|ConsumeClaim|Consume|ConsumePartition|PollFetches|Poll|QueueSubscribe|"
    r"Subscribe|ChanSubscribe|PullSubscribe|ReceiveMessage|Receive|XReadGroup|BLPop|BRPop|RegisterWorkflow|"
    r"RegisterActivity|HandleFunc|AddFunc|Every)\s*\(|\b(?:kafka\.NewReader|sarama\.NewConsumerGroup\w*|"
    r"asynq\.NewServer|worker\.New|cron\.New|gocron\.NewScheduler|message\.NewRouter)\s*\(")
_CLI_CALLS = re.compile(r"\bflag\.(?:Parse|NewFlagSet)\s*\(|\bos\.Args\s*\[\s*1\s*\]")
_SERVE_COMMAND = re.compile(r"\b(?:Use|Name)\s*:\s*\"(serve|server|start|run|api|web|http|daemon|grpc)(?:\s[^\"]*)?\"")
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

# Environment reads.
_GETENV = re.compile(r"\b(?:os|syscall)\.(Getenv|LookupEnv)\s*\(\s*\"([^\"]+)\"\s*\)")
_ENV_HELPER = re.compile(r"\b([A-Za-z_]\w*[Ee]nv\w*)\s*\(\s*\"([A-Z_][A-Z0-9_]*)\"\s*(,|\))")
#: Helpers with "env" in their name that write or bind rather than read.
_NOT_ENV_READERS: tuple[str, ...] = ("set", "unset", "expand", "bind", "clearenv", "environ")
_ASSIGN_GETENV = re.compile(r"\b(\w+)(?:\s*,\s*\w+)?\s*:?=\s*(?:os|syscall)\.(?:Getenv|LookupEnv)\s*\(\s*\"([^\"]+)\"")
_TAGGED_FIELD = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]+[\w.*\[\]]+[ \t]+`([^`\n]*)`", re.M)
_TAG = re.compile(r"(\w+):\"([^\"]*)\"")
_ENVCONFIG_PREFIX = re.compile(r"\benvconfig\.(?:Process|MustProcess)\s*\(\s*\"([A-Za-z_]\w*)\"")
_VIPER_BIND = re.compile(r"\b(\w+)\.BindEnv\s*\(\s*\"([^\"]+)\"(?:\s*,\s*\"([^\"]+)\")?")
_VIPER_DEFAULT = re.compile(r"\b(\w+)\.SetDefault\s*\(\s*\"([^\"]+)\"\s*,")
_VIPER_GET = re.compile(
    r"\b(\w+)\.Get(?:String|Int|Int32|Int64|Uint|Bool|Duration|Float64|StringSlice)?\s*\(\s*\"([^\"]+)\"\s*\)")
_VIPER_AUTOMATIC = re.compile(r"\b(\w+)\.AutomaticEnv\s*\(\s*\)")
_VIPER_PREFIX = re.compile(r"\b(\w+)\.SetEnvPrefix\s*\(\s*\"([^\"]*)\"")
_VIPER_NEW = re.compile(r"\b(\w+)\s*:?=\s*viper\.New\s*\(")

# Assignments the resolver follows (identifiers and struct fields of the same package).
_ASSIGN = re.compile(r"(?<![.\w])([A-Za-z_]\w*)(?:\s*,\s*[A-Za-z_]\w*)*\s*:?=(?!=)[ \t]*([^\n;]+)")
_TYPED_ASSIGN = re.compile(r"^[ \t]*(?:var[ \t]+|const[ \t]+)?([A-Za-z_]\w*)[ \t]+[\w.*\[\]]+[ \t]*=[ \t]*([^\n;]+)",
                           re.M)
_FIELD_ASSIGN = re.compile(r"\.([A-Z]\w*)\s*=(?!=)[ \t]*([^\n;]+)")
_KEYED_FIELD = re.compile(r"(?<![\w.])([A-Z]\w*)\s*:[ \t]*([^\n]+)")
_FLAG_VAR = re.compile(r"\.(?:String|Int|Int64|Uint|Uint64|Duration)Var(P)?\s*\(")


@dataclass(frozen=True)
class Site:
    file: str
    line: int


@dataclass(frozen=True)
class Listener:
    """A call that opens a server socket; ``address`` is the expression as written (None: no argument)."""

    kind: str
    framework: str
    address: str | None
    default_port: int | None
    site: Site


@dataclass(frozen=True)
class EnvRead:
    name: str
    default: str | None
    required: bool
    site: Site
    rule: str


@dataclass(frozen=True)
class Assignment:
    expression: str
    site: Site


@dataclass
class PackageFacts:
    """Everything one package's non-test files say, with sites."""

    directory: str
    imports: list[tuple[str, Site]] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    env: list[EnvRead] = field(default_factory=list)
    routes: list[tuple[str, Site]] = field(default_factory=list)
    metrics: list[tuple[str, Site]] = field(default_factory=list)
    grpc_server: Site | None = None
    grpc_health: Site | None = None
    consumers: list[Site] = field(default_factory=list)
    cli: list[Site] = field(default_factory=list)
    serve_commands: list[tuple[str, Site]] = field(default_factory=list)
    cgo: Site | None = None
    daemon: Site | None = None
    assignments: dict[str, list[Assignment]] = field(default_factory=dict)
    fields: dict[str, list[Assignment]] = field(default_factory=dict)
    viper_defaults: dict[str, Assignment] = field(default_factory=dict)
    viper_env: dict[str, str] = field(default_factory=dict)

    def imported(self, prefix: str) -> Site | None:
        return next((s for p, s in self.imports if p == prefix or p.startswith(prefix + "/")), None)


def package_facts(directory: str, files: Iterable[GoFile]) -> PackageFacts:
    """Scan the files of one package (sorted by path, so results are deterministic)."""
    facts = PackageFacts(directory)
    for go in sorted(files, key=lambda f: f.rel):
        for imported in go.imports:
            facts.imports.append((imported.path, Site(go.rel, imported.line)))
        if go.generated:
            continue
        _scan_listeners(go, facts)
        _scan_env(go, facts)
        _scan_assignments(go, facts)
        _scan_behaviour(go, facts)
    return facts


def _site(go: GoFile, offset: int) -> Site:
    return Site(go.rel, go.line_of(offset))


# --- listeners ---------------------------------------------------------------------------------

#: Package-level calls that listen: (pattern, framework, index of the address argument, kind).
_LISTEN_FUNCTIONS: tuple[tuple[re.Pattern[str], str, int, str], ...] = (
    (re.compile(r"\bhttp\.ListenAndServe(?:TLS)?\s*\("), "net/http", 0, "http"),
    (re.compile(r"\bfasthttp\.ListenAndServe(?:TLS)?\s*\("), "fasthttp", 0, "http"),
    (re.compile(r"\bnet\.Listen\s*\("), "net", 1, "tcp"),
)
#: Framework methods that listen, only counted in files importing the framework:
#: (import prefix, pattern, framework, default port when called without an address).
_LISTEN_METHODS: tuple[tuple[str, re.Pattern[str], str, int | None], ...] = (
    ("github.com/gin-gonic/gin", re.compile(r"(\w+)\.Run(?:TLS)?\s*\("), "gin", 8080),
    ("github.com/labstack/echo", re.compile(r"(\w+)\.Start(?:TLS|AutoTLS)?\s*\("), "echo", None),
    ("github.com/gofiber/fiber", re.compile(r"(\w+)\.Listen(?:TLS)?\s*\("), "fiber", None),
    ("github.com/kataras/iris", re.compile(r"(\w+)\.Listen\s*\(|\biris\.Addr\s*\("), "iris", None),
    ("github.com/beego/beego", re.compile(r"\b(web|beego)\.Run\s*\("), "beego", 8080),
    ("github.com/astaxie/beego", re.compile(r"\b(beego)\.Run\s*\("), "beego", 8080),
    ("github.com/cloudwego/hertz", re.compile(r"\.WithHostPorts\s*\(|\bserver\.(Default)\s*\(\s*\)"), "hertz", 8888),
    ("github.com/valyala/fasthttp", re.compile(r"(\w+)\.ListenAndServe\s*\("), "fasthttp", None),
)
_HTTP_SERVER = re.compile(r"\bhttp\.Server\s*\{")
_NOT_A_SERVER = frozenset({"net", "tls", "cmd", "exec", "os", "signal", "g", "eg", "wg", "group", "errgroup", "t"})


def _scan_listeners(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for pattern, framework, index, kind in _LISTEN_FUNCTIONS:
        for match in pattern.finditer(code):
            args = call_args(code, match.end() - 1)
            if args is not None and len(args) > index:
                facts.listeners.append(Listener(kind, framework, args[index], None, _site(go, match.start())))
    for prefix, pattern, framework, default in _LISTEN_METHODS:
        if go.imports_path(prefix) is None:
            continue
        for match in pattern.finditer(code):
            receiver = match.group(1) if match.lastindex else None
            if receiver in _NOT_A_SERVER:
                continue
            args = call_args(code, match.end() - 1) if code[match.end() - 1] == "(" else []
            if args is None or (not args and default is None):
                continue
            address = args[0] if args else None
            facts.listeners.append(Listener("http", framework, address, default, _site(go, match.start())))
    for match in _HTTP_SERVER.finditer(code):
        body = call_args("(" + (braced_body(code, match.end() - 1) or "") + ")", 0) or []
        for element in body:
            key, _, value = element.partition(":")
            if key.strip() == "Addr" and value.strip():
                facts.listeners.append(Listener("http", "net/http", value.strip(), None, _site(go, match.start())))


# --- environment ----------------------------------------------------------------------------

def _scan_env(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    fallbacks = _getenv_fallbacks(code)
    for match in _GETENV.finditer(code):
        name = match.group(2)
        if ENV_NAME.match(name):
            facts.env.append(EnvRead(name, fallbacks.get(name), False, _site(go, match.start()),
                                     f"go.env.os-{match.group(1).lower()}"))
    for match in _ENV_HELPER.finditer(code):
        helper, name = match.group(1), match.group(2)
        if helper.lower().startswith(_NOT_ENV_READERS) or code[:match.start()].endswith(("os.", "syscall.")):
            continue
        default = None
        if match.group(3) == ",":
            args = call_args(code, code.index("(", match.end(1)))
            default = _literal(args[1]) if args and len(args) > 1 else None
        required = helper.lower().startswith(("must", "require"))
        facts.env.append(EnvRead(name, default, required, _site(go, match.start()), "go.env.helper"))
    _scan_tags(go, facts)
    _scan_viper(go, facts)


def _getenv_fallbacks(code: str) -> dict[str, str]:
    """``port := os.Getenv("PORT"); if port == "" { port = "8080" }`` → {"PORT": "8080"}."""
    found: dict[str, str] = {}
    for match in _ASSIGN_GETENV.finditer(code):
        variable, name = match.group(1), match.group(2)
        window = code[match.end():match.end() + 400]
        fallback = re.search(
            rf"if\s+(?:!\w+|{re.escape(variable)}\s*==\s*\"\")\s*\{{\s*{re.escape(variable)}\s*=\s*(\"[^\"\n]*\"|\d+)",
            window)
        if fallback:
            value = _literal(fallback.group(1))
            if value is not None:
                found.setdefault(name, value)
    return found


def _literal(expression: str) -> str | None:
    """The value of a string or integer literal, else None."""
    expression = expression.strip()
    if re.fullmatch(r"\d+", expression):
        return expression
    return unquote(expression)


def _scan_tags(go: GoFile, facts: PackageFacts) -> None:
    prefix_match = _ENVCONFIG_PREFIX.search(go.code)
    envconfig_prefix = prefix_match.group(1).upper() + "_" if prefix_match else ""
    for match in _TAGGED_FIELD.finditer(go.code):
        tags = dict(_TAG.findall(match.group(2)))
        key = "env" if "env" in tags else "envconfig" if "envconfig" in tags else None
        if key is None:
            continue
        name, *options = [part.strip() for part in tags[key].split(",")]
        if key == "envconfig":
            name = envconfig_prefix + name
        if not ENV_NAME.match(name) or name == "-":
            continue
        default = tags.get("envDefault", tags.get("default"))
        for option in options:
            if option.startswith("default="):
                default = option.removeprefix("default=")
        required = "required" in options or tags.get("required") == "true"
        site = _site(go, match.start(1))
        facts.env.append(EnvRead(name, default, required, site, f"go.env.tag-{key}"))
        if default is not None:
            facts.fields.setdefault(match.group(1), []).append(Assignment(f'"{default}"', site))
        facts.fields.setdefault(match.group(1), []).append(Assignment(f'os.Getenv("{name}")', site))


def _scan_viper(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    receivers = {"viper"} | {m.group(1) for m in _VIPER_NEW.finditer(code)}
    for match in _VIPER_BIND.finditer(code):
        if match.group(1) in receivers:
            name = match.group(3) or match.group(2).upper().replace(".", "_").replace("-", "_")
            if ENV_NAME.match(name):
                facts.env.append(EnvRead(name, None, False, _site(go, match.start()), "go.env.viper-bind"))
                facts.viper_env[match.group(2)] = name
    for match in _VIPER_DEFAULT.finditer(code):
        if match.group(1) in receivers:
            args = call_args(code, code.index("(", match.start()))
            if args and len(args) > 1:
                facts.viper_defaults[match.group(2)] = Assignment(args[1], _site(go, match.start()))
    if not any(m.group(1) in receivers for m in _VIPER_AUTOMATIC.finditer(code)):
        return
    prefix = next((m.group(2) for m in _VIPER_PREFIX.finditer(code) if m.group(1) in receivers), "")
    keys = [(m.group(2), m.start()) for m in _VIPER_DEFAULT.finditer(code) if m.group(1) in receivers]
    keys += [(m.group(2), m.start()) for m in _VIPER_GET.finditer(code) if m.group(1) in receivers]
    for key, offset in keys:
        name = ((prefix + "_") if prefix else "") + key
        name = name.upper().replace(".", "_").replace("-", "_")
        if ENV_NAME.match(name) and key not in facts.viper_env:
            facts.viper_env[key] = name
            facts.env.append(EnvRead(name, None, False, _site(go, offset), "go.env.viper-automatic"))


# --- assignments (for the resolver) --------------------------------------------------------

def _scan_assignments(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for pattern in (_ASSIGN, _TYPED_ASSIGN):
        for match in pattern.finditer(code):
            facts.assignments.setdefault(match.group(1), []).append(
                Assignment(match.group(2).strip(), _site(go, match.start(1))))
    for match in _FIELD_ASSIGN.finditer(code):
        facts.fields.setdefault(match.group(1), []).append(Assignment(match.group(2).strip(), _site(go, match.start())))
    for match in _KEYED_FIELD.finditer(code):
        value = match.group(2).strip().rstrip(",").strip()
        if value and not value.startswith(("func", "{", "//")):
            facts.fields.setdefault(match.group(1), []).append(Assignment(value, _site(go, match.start())))
    for match in _FLAG_VAR.finditer(code):
        args = call_args(code, match.end() - 1)
        index = 3 if match.group(1) else 2
        if not args or len(args) <= index or not args[0].startswith("&"):
            continue
        target = args[0][1:].strip()
        site = _site(go, match.start())
        flagged = Assignment(f"flag.Default({args[index]})", site)
        facts.assignments.setdefault(target, []).append(flagged)
        if "." in target:
            facts.fields.setdefault(target.rsplit(".", 1)[1], []).append(flagged)


# --- behaviour: routes, metrics, grpc, consumers, cli ---------------------------------------

def _scan_behaviour(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for pattern in (_ROUTE, _HEARTBEAT):
        for match in pattern.finditer(code):
            path = match.group(1).split()[-1]
            facts.routes.append((path, _site(go, match.start(1))))
    if go.imports_path("github.com/gofiber/fiber") and (health := _FIBER_HEALTH.search(code)):
        facts.routes.append(("/livez", _site(go, health.start())))
    for match in _METRICS.finditer(code):
        path_match = _METRICS_PATH.search(code)
        path = path_match.group(1).split()[-1] if path_match else "/metrics"
        facts.metrics.append((path, _site(go, match.start())))
    if go.imports_path(GRPC) and (server := _GRPC_SERVER.search(code)):
        facts.grpc_server = facts.grpc_server or _site(go, server.start())
    health_import = next((go.imports_path(p) for p in GRPC_HEALTH if go.imports_path(p)), None)
    if health_import and facts.grpc_health is None:
        registered = next((m for p in _GRPC_HEALTH_REGISTER if (m := p.search(code))), None)
        facts.grpc_health = _site(go, registered.start()) if registered else Site(go.rel, health_import.line)
    if any(go.imports_path(p) for p in MESSAGING_LIBRARIES):
        facts.consumers += [_site(go, m.start()) for m in _CONSUMER.finditer(code)][:3]
    for library in CLI_LIBRARIES:
        if (imported := go.imports_path(library)) is not None:
            facts.cli.append(Site(go.rel, imported.line))
    facts.cli += [_site(go, m.start()) for m in _CLI_CALLS.finditer(code)][:2]
    facts.serve_commands += [(m.group(1), _site(go, m.start())) for m in _SERVE_COMMAND.finditer(code)]
    if facts.cgo is None:
        cgo = next((i for lib in CGO_LIBRARIES if (i := go.imports_path(lib)) is not None), None)
        facts.cgo = Site(go.rel, cgo.line) if cgo else None
    if facts.daemon is None and _SIGNAL.search(code) and (ticker := _TICKER.search(code)):
        facts.daemon = _site(go, ticker.start())
