"""Backing services: how each kind runs, where it is reached, and how an app's env points at it.

Both targets need this: ``backing`` runs the database, ``k8s`` wires the application's
``DATABASE_URL`` (and friends) to it and opens the NetworkPolicy path. Keeping the catalogue in
one module is what keeps a StatefulSet's port, Secret and pod labels in step with the env and
egress rules of the apps that use it.

Postgres (grade ``managed``) runs as a CloudNativePG ``Cluster``; its operator generates the
``<cluster>-app`` Secret (``uri``, ``host``, ``port``, ``dbname``, ``user``, ``password``). Every
other kind runs the upstream image as a single-replica StatefulSet of grade *development*,
whose credentials come from a Secret the user creates (``<name>-credentials``) the same way
CloudNativePG's does: ``password`` and, when the URL carries it, the whole connection ``url``
(``SECRETS.md`` prints the exact command). So no credential, and no URL holding one, is ever
a literal in a manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kubify.ir import BackingKind, BackingService, Component
from kubify.naming import dns_label

from .k8s_common import Scope, derived_name, selector, service_name

Field = Literal["url", "address", "host", "port", "db", "user", "password", "region"]
CNPG_CLUSTER_LABEL = "cnpg.io/cluster"


@dataclass(frozen=True)
class Engine:
    """How a development-grade backing service runs from its upstream image."""

    image: str
    port: int
    port_name: str
    uid: int
    gid: int | None = None
    data_path: str | None = None
    read_only_root: bool = True
    #: Why the container cannot be fully locked down (empty when it can).
    root_fs_reason: str = ""
    #: Server env: literal values ("{db}", "{user}", "{host}" are filled in) ...
    env: tuple[tuple[str, str], ...] = ()
    #: ... and values from keys of the credentials Secret.
    secret_env: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    url: str = ""
    #: Secret key holding the user name, when the user name is a credential (S3 access keys).
    user_key: str | None = None
    memory_request: str = "256Mi"
    memory_limit: str = "512Mi"
    extra_writable: tuple[str, ...] = ()

    @property
    def url_is_secret(self) -> bool:
        return "{password}" in self.url

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Keys the user puts in the ``<name>-credentials`` Secret."""
        keys = [key for _env, key in self.secret_env]
        keys += ["url"] if self.url_is_secret else []
        return tuple(dict.fromkeys(keys))


_ROOT_FS = "the image writes outside its data directory at start-up (generated config, sockets, keystores)"

ENGINES: dict[str, Engine] = {
    "postgres": Engine(
        image="postgres:17.2", port=5432, port_name="postgres", uid=999, data_path="/var/lib/postgresql/data",
        read_only_root=False, root_fs_reason=_ROOT_FS,
        env=(("POSTGRES_USER", "{user}"), ("POSTGRES_DB", "{db}"), ("PGDATA", "/var/lib/postgresql/data/pgdata")),
        secret_env=(("POSTGRES_PASSWORD", "password"),), url="postgresql://{user}:{password}@{host}:{port}/{db}"),
    "mysql": Engine(
        image="mysql:8.4.3", port=3306, port_name="mysql", uid=999, data_path="/var/lib/mysql",
        read_only_root=False, root_fs_reason=_ROOT_FS,
        env=(("MYSQL_DATABASE", "{db}"), ("MYSQL_USER", "{user}")),
        secret_env=(("MYSQL_PASSWORD", "password"), ("MYSQL_ROOT_PASSWORD", "root-password")), url="mysql://{user}:{password}@{host}:{port}/{db}"),
    "redis": Engine(
        image="redis:7.4.2", port=6379, port_name="redis", uid=999, data_path="/data",
        secret_env=(("REDIS_PASSWORD", "password"),), args=("--requirepass", "$(REDIS_PASSWORD)", "--dir", "/data"),
        url="redis://:{password}@{host}:{port}/0"),
    "mongodb": Engine(
        image="mongo:8.0.4", port=27017, port_name="mongodb", uid=999, data_path="/data/db",
        read_only_root=False, root_fs_reason=_ROOT_FS, extra_writable=("/data/configdb",),
        env=(("MONGO_INITDB_ROOT_USERNAME", "{user}"), ("MONGO_INITDB_DATABASE", "{db}")),
        secret_env=(("MONGO_INITDB_ROOT_PASSWORD", "password"),),
        url="mongodb://{user}:{password}@{host}:{port}/{db}?authSource=admin"),
    "rabbitmq": Engine(
        image="rabbitmq:4.0.5", port=5672, port_name="amqp", uid=999, data_path="/var/lib/rabbitmq",
        read_only_root=False, root_fs_reason=_ROOT_FS,
        env=(("RABBITMQ_DEFAULT_USER", "{user}"),),
        secret_env=(("RABBITMQ_DEFAULT_PASS", "password"),), url="amqp://{user}:{password}@{host}:{port}"),
    "kafka": Engine(
        image="apache/kafka:3.9.0", port=9092, port_name="kafka", uid=1000, data_path="/var/lib/kafka/data",
        read_only_root=False, root_fs_reason=_ROOT_FS, memory_request="768Mi", memory_limit="1Gi",
        env=(("KAFKA_NODE_ID", "1"), ("KAFKA_PROCESS_ROLES", "broker,controller"),
             ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
             ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://{host}:9092"),
             ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
             ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"),
             ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093"),
             ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
             ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
             ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
             ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
             ("KAFKA_HEAP_OPTS", "-Xms512m -Xmx512m")),
        url="{host}:{port}"),
    "elasticsearch": Engine(
        image="docker.elastic.co/elasticsearch/elasticsearch:8.17.0", port=9200, port_name="http", uid=1000, gid=0,
        data_path="/usr/share/elasticsearch/data", read_only_root=False, root_fs_reason=_ROOT_FS,
        memory_request="1Gi", memory_limit="2Gi",
        env=(("discovery.type", "single-node"), ("xpack.security.enabled", "true"),
             ("xpack.security.http.ssl.enabled", "false"), ("xpack.security.transport.ssl.enabled", "false"),
             ("ES_JAVA_OPTS", "-Xms512m -Xmx512m")),
        secret_env=(("ELASTIC_PASSWORD", "password"),), url="http://elastic:{password}@{host}:{port}"),
    "memcached": Engine(
        image="memcached:1.6.39", port=11211, port_name="memcached", uid=11211, args=("-m", "64"),
        memory_request="128Mi", memory_limit="128Mi", url="{host}:{port}"),
    "nats": Engine(
        image="nats:2.10.24", port=4222, port_name="client", uid=10001, data_path="/data",
        args=("--jetstream", "--store_dir", "/data"), url="nats://{host}:{port}"),
    "s3": Engine(
        image="quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", port=9000, port_name="s3", uid=10001,
        data_path="/data", read_only_root=False, root_fs_reason=_ROOT_FS, args=("server", "/data"),
        secret_env=(("MINIO_ROOT_USER", "user"), ("MINIO_ROOT_PASSWORD", "password")), user_key="user",
        url="http://{host}:{port}"),
}

#: Env names applications use for each connection detail, per kind (most common first).
CONNECTION_ENV: dict[str, dict[Field, tuple[str, ...]]] = {
    "postgres": {
        "url": ("DATABASE_URL", "POSTGRES_URL", "POSTGRESQL_URL", "POSTGRES_URI", "PG_URL", "DATABASE_URI",
                "DB_URL", "SQLALCHEMY_DATABASE_URI"),
        "host": ("PGHOST", "POSTGRES_HOST", "POSTGRES_SERVER", "DB_HOST", "DATABASE_HOST"),
        "port": ("PGPORT", "POSTGRES_PORT", "DB_PORT", "DATABASE_PORT"),
        "db": ("PGDATABASE", "POSTGRES_DB", "POSTGRES_DATABASE", "DB_NAME", "DATABASE_NAME"),
        "user": ("PGUSER", "POSTGRES_USER", "DB_USER", "DB_USERNAME", "DATABASE_USER"),
        "password": ("PGPASSWORD", "POSTGRES_PASSWORD", "DB_PASSWORD", "DATABASE_PASSWORD"),
    },
    "mysql": {
        "url": ("DATABASE_URL", "MYSQL_URL", "MYSQL_URI", "DB_URL"),
        "host": ("MYSQL_HOST", "DB_HOST", "DATABASE_HOST"),
        "port": ("MYSQL_PORT", "DB_PORT", "DATABASE_PORT"),
        "db": ("MYSQL_DATABASE", "MYSQL_DB", "DB_NAME", "DATABASE_NAME"),
        "user": ("MYSQL_USER", "DB_USER", "DB_USERNAME", "DATABASE_USER"),
        "password": ("MYSQL_PASSWORD", "DB_PASSWORD", "DATABASE_PASSWORD"),
    },
    "mongodb": {
        "url": ("MONGODB_URI", "MONGODB_URL", "MONGO_URI", "MONGO_URL", "MONGO_DSN", "DATABASE_URL"),
        "host": ("MONGODB_HOST", "MONGO_HOST"),
        "port": ("MONGODB_PORT", "MONGO_PORT"),
        "db": ("MONGODB_DB", "MONGODB_DATABASE", "MONGO_DB", "MONGO_DATABASE", "MONGO_DB_NAME"),
        "user": ("MONGODB_USER", "MONGODB_USERNAME", "MONGO_USER", "MONGO_USERNAME"),
        "password": ("MONGODB_PASSWORD", "MONGO_PASSWORD"),
    },
    "rabbitmq": {
        "url": ("RABBITMQ_URL", "RABBITMQ_URI", "AMQP_URL", "AMQP_URI", "CLOUDAMQP_URL", "CELERY_BROKER_URL",
                "BROKER_URL"),
        "host": ("RABBITMQ_HOST",),
        "port": ("RABBITMQ_PORT",),
        "user": ("RABBITMQ_USER", "RABBITMQ_USERNAME", "RABBITMQ_DEFAULT_USER"),
        "password": ("RABBITMQ_PASSWORD", "RABBITMQ_PASS", "RABBITMQ_DEFAULT_PASS"),
    },
    "redis": {
        "url": ("REDIS_URL", "REDIS_URI", "REDIS_DSN", "REDIS_TLS_URL", "CACHE_URL", "CELERY_BROKER_URL",
                "CELERY_RESULT_BACKEND", "BROKER_URL"),
        "host": ("REDIS_HOST", "REDIS_HOSTNAME", "REDISHOST"),
        "port": ("REDIS_PORT", "REDISPORT"),
        "password": ("REDIS_PASSWORD", "REDISPASSWORD"),
    },
    "kafka": {
        "address": ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BROKERS", "KAFKA_BROKER", "KAFKA_BROKER_URL", "KAFKA_URL",
                    "KAFKA_SERVERS", "BOOTSTRAP_SERVERS"),
        "host": ("KAFKA_HOST",),
        "port": ("KAFKA_PORT",),
    },
    "nats": {
        "url": ("NATS_URL", "NATS_URI", "NATS_SERVERS", "NATS_SERVER"),
        "host": ("NATS_HOST",),
        "port": ("NATS_PORT",),
    },
    "elasticsearch": {
        "url": ("ELASTICSEARCH_URL", "ELASTICSEARCH_HOSTS", "ELASTIC_URL", "ES_URL", "OPENSEARCH_URL"),
        "user": ("ELASTICSEARCH_USERNAME", "ELASTICSEARCH_USER", "ELASTIC_USERNAME", "ES_USERNAME"),
        "password": ("ELASTICSEARCH_PASSWORD", "ELASTIC_PASSWORD", "ES_PASSWORD"),
    },
    "memcached": {
        "address": ("MEMCACHED_SERVERS", "MEMCACHE_SERVERS", "MEMCACHIER_SERVERS", "MEMCACHED_LOCATION",
                    "MEMCACHED_URL"),
        "host": ("MEMCACHED_HOST", "MEMCACHE_HOST"),
        "port": ("MEMCACHED_PORT", "MEMCACHE_PORT"),
    },
    "s3": {
        "url": ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "S3_ENDPOINT", "S3_ENDPOINT_URL", "S3_URL",
                "AWS_S3_ENDPOINT", "MINIO_URL"),
        "address": ("MINIO_ENDPOINT", "MINIO_SERVER"),
        "user": ("AWS_ACCESS_KEY_ID", "S3_ACCESS_KEY", "S3_ACCESS_KEY_ID", "MINIO_ACCESS_KEY", "MINIO_ROOT_USER"),
        "password": ("AWS_SECRET_ACCESS_KEY", "S3_SECRET_KEY", "S3_SECRET_ACCESS_KEY", "MINIO_SECRET_KEY",
                     "MINIO_ROOT_PASSWORD"),
        "region": ("AWS_REGION", "AWS_DEFAULT_REGION", "S3_REGION"),
    },
}
#: The env an app gets when it reads none of the names above (the first one still free).
DEFAULT_ENV: dict[str, tuple[str, ...]] = {
    "postgres": ("DATABASE_URL",), "mysql": ("DATABASE_URL", "MYSQL_URL"), "mongodb": ("MONGODB_URI",),
    "rabbitmq": ("RABBITMQ_URL",), "redis": ("REDIS_URL",), "kafka": ("KAFKA_BOOTSTRAP_SERVERS",),
    "nats": ("NATS_URL",), "elasticsearch": ("ELASTICSEARCH_URL",), "memcached": ("MEMCACHED_SERVERS",),
    "s3": ("AWS_ENDPOINT_URL",),
}
#: Which kind claims a shared name first (``CELERY_BROKER_URL``: RabbitMQ before Redis).
KIND_ORDER: tuple[str, ...] = ("postgres", "mysql", "mongodb", "rabbitmq", "redis", "kafka", "nats",
                               "elasticsearch", "memcached", "s3")
CNPG_KEYS: dict[Field, str] = {"url": "uri", "host": "host", "port": "port", "db": "dbname", "user": "user",
                               "password": "password"}
ROLE: dict[str, str] = {"postgres": "database", "mysql": "database", "mongodb": "database", "redis": "cache",
                        "memcached": "cache", "rabbitmq": "broker", "kafka": "broker", "nats": "broker",
                        "elasticsearch": "search", "s3": "storage"}


@dataclass(frozen=True)
class Backing:
    """A backing service as the cluster will see it: object name, address, credentials."""

    service: BackingService
    name: str
    managed: bool
    #: Secret holding the credentials: CNPG's generated ``<name>-app``, else ``<name>-credentials``.
    secret: str
    #: DNS name applications connect to (a Service in the application's namespace).
    host: str
    port: int
    pod_selector: dict[str, str]

    @property
    def kind(self) -> BackingKind:
        return self.service.kind

    @property
    def engine(self) -> Engine | None:
        return None if self.managed else ENGINES[self.kind]


@dataclass(frozen=True)
class Wire:
    """One env var of an application: a literal value or a key of a Secret."""

    name: str
    value: str | None = None
    secret: str | None = None
    key: str | None = None


def database_name(scope: Scope) -> str:
    """The database and owner to create: the application name as a SQL-friendly identifier."""
    name = scope.app.name.replace("-", "_")
    return name if name[0].isalpha() else f"app_{name}"


def backings(scope: Scope) -> list[Backing]:
    """Every backing service of the application, sorted by name, each under a unique object name.

    The name is the service's own (compose's ``db`` stays ``db``, so URLs carried over keep
    resolving) unless a component or an earlier service already has it.
    """
    taken = {c.name for c in scope.app.components}
    result = []
    for service in sorted(scope.app.services, key=lambda s: s.name):
        name = service_name(dns_label(service.name, fallback=service.kind))
        if name in taken:
            name = derived_name(name, service.kind)
        base, number = name, 2
        while name in taken:
            name, number = derived_name(base, str(number)), number + 1
        taken.add(name)
        result.append(_backing(scope, service, name))
    return result


def _backing(scope: Scope, service: BackingService, name: str) -> Backing:
    if service.kind == "postgres" and service.grade == "managed":
        return Backing(service=service, name=name, managed=True, secret=f"{name}-app", host=f"{name}-rw",
                       port=5432, pod_selector={CNPG_CLUSTER_LABEL: name})
    engine = ENGINES[service.kind]
    return Backing(service=service, name=name, managed=False,
                   secret=f"{name}-credentials" if engine.secret_keys else "", host=name, port=engine.port,
                   pod_selector=selector(scope, name))


def backings_of(scope: Scope, component: Component) -> list[Backing]:
    """The backing services ``component`` depends on, in name-claiming order."""
    by_kind: dict[str, Backing] = {}
    for backing in backings(scope):
        by_kind.setdefault(backing.kind, backing)
    kinds = {d.service for d in component.depends_on if d.service is not None}
    return [by_kind[k] for k in KIND_ORDER if k in kinds and k in by_kind]


def fill(template: str, scope: Scope, backing: Backing, password: str = "") -> str:
    """A value template with host, port, database, user (and a password stand-in) filled in."""
    return template.format(host=backing.host, port=backing.port, db=database_name(scope),
                           user=database_name(scope), password=password)


def credentials(scope: Scope, backing: Backing) -> tuple[dict[str, str], dict[str, str]]:
    """What ``SECRETS.md`` tells the user to put in a development service's credentials Secret.

    Returns (shell variables → the command generating each, Secret key → shell value), e.g.
    ``PASSWORD`` and ``{"password": "$PASSWORD", "url": "redis://:$PASSWORD@cache:6379/0"}``.
    """
    engine = backing.engine
    if engine is None:
        return {}, {}
    variables: dict[str, str] = {}
    values: dict[str, str] = {}
    for key in engine.secret_keys:
        if key == "url":
            values[key] = fill(engine.url, scope, backing, "$PASSWORD")
            continue
        variable = "ACCESS_KEY" if key == engine.user_key else key.upper().replace("-", "_")
        variables[variable] = f"openssl rand -hex {8 if key == engine.user_key else 24}"
        values[key] = f"${variable}"
    return variables, values


def connection_env(scope: Scope, component: Component) -> list[Wire]:
    """Env that points ``component`` at its backing services, sorted by name.

    A name the code reads is wired to the first backing service that knows it; a backing
    service none of whose names the code reads still gets its default (``DATABASE_URL``, ...):
    the dependency is known, only the variable's name was not.
    """
    declared = {e.name for e in component.env}
    claimed: set[str] = set()
    wires: list[Wire] = []
    for backing in backings_of(scope, component):
        names = CONNECTION_ENV[backing.kind]
        chosen = [(f, n) for f, ns in names.items() for n in ns if n in declared and n not in claimed]
        if not chosen:
            default = next((n for n in DEFAULT_ENV[backing.kind] if n not in claimed), None)
            if default is not None:
                chosen.append(("address" if "address" in names and "url" not in names else "url", default))
        for field_name, env_name in chosen:
            if env_name not in claimed:
                claimed.add(env_name)
                wires.append(_wire(scope, backing, field_name, env_name))
    return sorted(wires, key=lambda w: w.name)


def _wire(scope: Scope, backing: Backing, field_name: Field, env_name: str) -> Wire:
    engine = backing.engine
    if engine is None:
        if field_name == "address":
            return Wire(name=env_name, value=f"{backing.host}:{backing.port}")
        return Wire(name=env_name, secret=backing.secret, key=CNPG_KEYS[field_name])
    if field_name == "password" or (field_name == "url" and engine.url_is_secret):
        return Wire(name=env_name, secret=backing.secret, key=field_name)
    if field_name == "user" and engine.user_key:
        return Wire(name=env_name, secret=backing.secret, key=engine.user_key)
    values: dict[str, str] = {
        "url": engine.url, "address": "{host}:{port}", "host": "{host}", "port": "{port}", "db": "{db}",
        "user": "elastic" if backing.kind == "elasticsearch" else "{user}", "region": "us-east-1",
    }
    return Wire(name=env_name, value=fill(values[field_name], scope, backing))
