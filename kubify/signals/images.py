"""Container image references: what an image name says it runs.

Compose files and Helm charts name images, not products: ``postgres:16-alpine``,
``bitnami/postgresql``, ``docker.io/library/redis`` and ``valkey/valkey`` must all map to
the backing-service kind kubify knows how to run, while ``redis-commander`` and
``postgres-exporter`` must not. Matching is on the image's last path segment (exact,
never a substring), so tools named after a database are not mistaken for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.ir import BackingKind

#: Last path segment of an image → the backing service it runs.
BACKING_IMAGES: dict[str, BackingKind] = {
    **dict.fromkeys(("postgres", "postgresql", "postgis", "timescaledb", "timescaledb-ha", "pgvector",
                     "postgresql-repmgr"), "postgres"),
    **dict.fromkeys(("mysql", "mysql-server", "mariadb", "percona", "percona-server"), "mysql"),
    **dict.fromkeys(("redis", "redis-stack", "redis-stack-server", "valkey", "keydb", "dragonfly"), "redis"),
    **dict.fromkeys(("mongo", "mongodb", "mongodb-community-server"), "mongodb"),
    **dict.fromkeys(("kafka", "cp-kafka", "cp-server", "redpanda"), "kafka"),
    "rabbitmq": "rabbitmq",
    **dict.fromkeys(("elasticsearch", "opensearch"), "elasticsearch"),
    **dict.fromkeys(("minio", "localstack"), "s3"),
    "memcached": "memcached",
    "nats": "nats",
}
#: Images whose tag is the backing product's own version (``postgres:16`` is PostgreSQL 16).
#: Others (timescaledb 2.x, cp-kafka 7.x, redpanda, localstack) version something else.
SAME_VERSION: frozenset[str] = frozenset({
    "postgres", "postgresql", "postgresql-repmgr", "mysql", "mysql-server", "mariadb", "percona", "percona-server",
    "redis", "mongo", "mongodb", "mongodb-community-server", "kafka", "rabbitmq", "elasticsearch",
    "opensearch", "memcached", "nats",
})
#: Images whose tag carries the PostgreSQL major as ``pg16`` or a leading ``16-``.
POSTGRES_FLAVOURS: frozenset[str] = frozenset({"postgis", "timescaledb", "timescaledb-ha", "pgvector"})
#: Local development helpers: database UIs, mail catchers, dashboards, tunnels, observability
#: stacks. A compose file runs them for a developer; a cluster deployment does not need them.
DEV_TOOLS: frozenset[str] = frozenset({
    "adminer", "pgadmin4", "pgadmin", "phpmyadmin", "mongo-express", "redis-commander", "redisinsight",
    "mailhog", "mailpit", "maildev", "smtp4dev", "mailcatcher", "portainer", "portainer-ce", "traefik",
    "nginx-proxy", "nginx-proxy-manager", "kafka-ui", "kafdrop", "akhq", "dozzle", "watchtower", "ngrok",
    "localtunnel", "swagger-ui", "swagger-editor", "prometheus", "grafana", "all-in-one", "jaeger", "zipkin",
    "loki", "promtail", "cadvisor", "node-exporter", "kibana", "opensearch-dashboards", "selenium",
    "standalone-chrome", "wiremock", "mockserver", "pgweb", "sqlpad", "cloudbeaver", "dbgate",
})
#: Helpers a backing service brings with it and kubify's own engine does not need.
COMPANIONS: frozenset[str] = frozenset({"zookeeper", "cp-zookeeper"})
_EXPORTER = re.compile(r"(^|[-_])exporter$")
_LEADING_VERSION = re.compile(r"^v?(\d+(?:\.\d+){0,2})(?![\d.])")
_PG_MAJOR = re.compile(r"(?:^|[-_])pg(\d{2})(?![\d])")


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way registries read it."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path segment, lowercased: ``bitnami/postgresql`` → ``postgresql``."""
        return self.repository.rsplit("/", 1)[-1].lower()


def parse_image(image: str) -> ImageRef | None:
    """``[registry/]repository[:tag][@digest]``; None for an empty or malformed reference."""
    text = image.strip()
    if not text or any(c.isspace() for c in text):
        return None
    ref = split_image(text)
    return ref if ref.repository and ref.tag != "" else None


def split_image(image: str) -> ImageRef:
    """Split a reference however malformed (an empty repository, a ``name:`` with an empty tag).

    The registry is a first component with a dot, a port or ``localhost``.
    """
    rest, _, digest = image.strip().partition("@")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repository, colon, tag = rest.rpartition(":") if ":" in rest.rsplit("/", 1)[-1] else (rest, "", "")
    return ImageRef(registry, repository, tag if colon else None, digest or None)


def backing_kind(image: str) -> BackingKind | None:
    """The backing service an image runs (``bitnami/redis:7.2`` → ``redis``), or None.

    >>> backing_kind("postgres:16-alpine"), backing_kind("redis-commander"), backing_kind("valkey/valkey:8")
    ('postgres', None, 'redis')
    """
    ref = parse_image(image)
    return BACKING_IMAGES.get(ref.name) if ref else None


def backing_version(image: str) -> str | None:
    """The product version an image's tag pins (``postgres:16.2-alpine`` → ``16.2``), if it pins one.

    >>> backing_version("postgis/postgis:16-3.4"), backing_version("timescale/timescaledb:2.14.2-pg15")
    ('16', '15')
    """
    ref = parse_image(image)
    if ref is None or ref.tag is None or ref.name not in BACKING_IMAGES:
        return None
    if ref.name in POSTGRES_FLAVOURS:
        major = _PG_MAJOR.search(ref.tag)
        if major:
            return major.group(1)
        if ref.name == "postgis":
            leading = _LEADING_VERSION.match(ref.tag)
            return leading.group(1).split(".")[0] if leading else None
        return None
    if ref.name not in SAME_VERSION:
        return None
    found = _LEADING_VERSION.match(ref.tag)
    return found.group(1) if found else None


def is_dev_tool(image: str) -> bool:
    """True for local-development helpers (database UIs, mail catchers, dashboards, exporters)."""
    ref = parse_image(image)
    return ref is not None and (ref.name in DEV_TOOLS or bool(_EXPORTER.search(ref.name)))


def is_companion(image: str) -> bool:
    """True for helpers a backing service needs only in compose (ZooKeeper beside Kafka)."""
    ref = parse_image(image)
    return ref is not None and ref.name in COMPANIONS
