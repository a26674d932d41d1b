"""Backing services a Python component needs, from its dependencies and its code.

``psycopg`` means Postgres, ``celery[redis]`` means Redis, a ``redis://`` broker URL in
code means Redis, Django's ``ENGINE: django.db.backends.mysql`` means MySQL. Each
service is recorded once, with the strongest reason first.
"""

from __future__ import annotations

import re

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.codeindex import CodeIndex
from kubify.analyzers.python.manifests import Project

#: Distribution (PEP 503 name) → backing service it talks to.
PACKAGE_SERVICES: dict[str, str] = {
    **dict.fromkeys(("psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "psycopg-c", "asyncpg", "pg8000",
                     "psycopg-pool", "aiopg", "dj-database-url-postgres", "sqlalchemy-cockroachdb"), "postgres"),
    **dict.fromkeys(("mysqlclient", "pymysql", "aiomysql", "mysql-connector-python", "asyncmy",
                     "mysql-connector"), "mysql"),
    **dict.fromkeys(("redis", "aioredis", "rq", "django-redis", "redis-om", "arq", "hiredis", "channels-redis",
                     "flask-caching-redis", "django-rq", "flask-redis", "walrus", "huey-redis"), "redis"),
    **dict.fromkeys(("pymongo", "motor", "mongoengine", "beanie", "odmantic", "flask-pymongo", "djongo",
                     "flask-mongoengine"), "mongodb"),
    **dict.fromkeys(("kafka-python", "confluent-kafka", "aiokafka", "kafka-python-ng", "faust-streaming",
                     "faust"), "kafka"),
    **dict.fromkeys(("pika", "aio-pika", "aiormq", "amqpstorm", "rabbitpy"), "rabbitmq"),
    **dict.fromkeys(("elasticsearch", "opensearch-py", "elasticsearch-dsl", "django-elasticsearch-dsl",
                     "elasticsearch7", "elasticsearch8", "elastic-transport"), "elasticsearch"),
    **dict.fromkeys(("boto3", "minio", "aioboto3", "s3fs", "django-storages-s3", "aiobotocore", "s3transfer"), "s3"),
    **dict.fromkeys(("pymemcache", "pylibmc", "python-memcached", "aiomcache"), "memcached"),
    **dict.fromkeys(("nats-py", "asyncio-nats-client"), "nats"),
}
#: Extras of a framework/driver package that select a service (``celery[redis]``).
EXTRA_SERVICES: dict[str, str] = {
    "redis": "redis", "hiredis": "redis", "postgres": "postgres", "postgresql": "postgres", "psycopg": "postgres",
    "psycopg2": "postgres", "asyncpg": "postgres", "mysql": "mysql", "pymysql": "mysql", "aiomysql": "mysql",
    "mongodb": "mongodb", "pymongo": "mongodb", "sqs": "s3", "s3": "s3", "librabbitmq": "rabbitmq",
    "rabbitmq": "rabbitmq", "kafka": "kafka", "memcache": "memcached", "pymemcache": "memcached",
    "elasticsearch": "elasticsearch",
}
_EXTRA_HOSTS = frozenset({"celery", "dramatiq", "kombu", "django-storages", "databases", "sqlalchemy", "huey",
                          "django-celery-results", "encode-databases", "tortoise-orm", "ormar", "peewee",
                          "sqlmodel", "channels", "taskiq", "flask-caching"})
_URL_SERVICES = (
    (re.compile(r"^postgres(?:ql)?(?:\+\w+)?://", re.I), "postgres"),
    (re.compile(r"^(?:mysql|mariadb)(?:\+\w+)?://", re.I), "mysql"),
    (re.compile(r"^rediss?://", re.I), "redis"),
    (re.compile(r"^mongodb(?:\+srv)?://", re.I), "mongodb"),
    (re.compile(r"^amqps?://", re.I), "rabbitmq"),
    (re.compile(r"^kafka://", re.I), "kafka"),
    (re.compile(r"^nats://", re.I), "nats"),
    (re.compile(r"^memcached?://", re.I), "memcached"),
)
_ENGINE_SERVICES = (
    (re.compile(r"backends\.(postgresql\w*|postgis)$"), "postgres"),
    (re.compile(r"backends\.mysql$"), "mysql"),
    (re.compile(r"RedisCache$|RedisChannelLayer$"), "redis"),
    (re.compile(r"Memcache\w*$"), "memcached"),
    (re.compile(r"^storages\.backends\.s3"), "s3"),
)


def add_services(draft: Draft, project: Project, index: CodeIndex) -> None:
    """Record in ``draft`` every backing service the dependencies and code point at."""
    for name in sorted(project.dependencies):
        requirement = project.dependencies[name]
        site = Site(requirement.file, requirement.line)
        service = PACKAGE_SERVICES.get(name)
        if service is not None:
            draft.add_dependency(service, f"python.dependency.{name}", site, 0.8)
        if name in _EXTRA_HOSTS or name in PACKAGE_SERVICES:
            for extra in requirement.extras:
                if extra in EXTRA_SERVICES:
                    draft.add_dependency(EXTRA_SERVICES[extra], f"python.dependency.{name}-{extra}", site, 0.8)
    for facts in index.facts():
        for text, site in facts.strings:
            service = _string_service(text)
            if service is not None:
                rule = "python.code.django-engine" if text.startswith(("django", "storages")) else "python.code.url"
                draft.add_dependency(service, rule, site, 0.7)


def _string_service(text: str) -> str | None:
    for pattern, service in _URL_SERVICES:
        if pattern.match(text):
            return service
    for pattern, service in _ENGINE_SERVICES:
        if pattern.search(text):
            return service
    return None
