"""enrich: facts no single analyzer owns.

* With ``--sbom``, syft's package list adds backing services that only show up in
  lockfiles (a transitive ``psycopg``), mapped to the component whose directory holds
  the lockfile.
* Every ``depends_on: {service: postgres}`` gets a :class:`BackingService` to run, reusing
  one a compose file already named (``db``) instead of inventing a second Postgres.
* The platform services the application needs (CloudNativePG for Postgres, Prometheus
  for a metrics endpoint) are collected for ``kubify bootstrap``.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubify import sbom
from kubify.diagnostics import Diagnostic
from kubify.ir import (
    RUNNABLE_KINDS,
    Application,
    BackingKind,
    BackingService,
    Component,
    Dependency,
    Evidence,
    Platform,
)
from kubify.scan import Inventory

#: Packages (by SBOM ecosystem and name) that mean a backing service.
SBOM_SERVICES: dict[tuple[str, str], BackingKind] = {
    **{("python", n): "postgres" for n in ("psycopg", "psycopg2", "psycopg2-binary", "asyncpg", "pg8000")},
    **{("python", n): "mysql" for n in ("mysqlclient", "pymysql", "aiomysql", "mysql-connector-python")},
    **{("python", n): "redis" for n in ("redis", "aioredis", "rq")},
    **{("python", n): "mongodb" for n in ("pymongo", "motor", "mongoengine")},
    **{("python", n): "kafka" for n in ("kafka-python", "confluent-kafka", "aiokafka")},
    **{("python", n): "rabbitmq" for n in ("pika", "aio-pika")},
    **{("python", n): "elasticsearch" for n in ("elasticsearch", "opensearch-py")},
    **{("npm", n): "postgres" for n in ("pg", "postgres", "pg-promise")},
    **{("npm", n): "mysql" for n in ("mysql", "mysql2")},
    **{("npm", n): "redis" for n in ("redis", "ioredis", "bullmq", "bull")},
    **{("npm", n): "mongodb" for n in ("mongodb", "mongoose")},
    ("npm", "kafkajs"): "kafka",
    ("npm", "amqplib"): "rabbitmq",
    ("npm", "@elastic/elasticsearch"): "elasticsearch",
    **{("go-module", n): "postgres"
       for n in ("github.com/lib/pq", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v4")},
    ("go-module", "github.com/go-sql-driver/mysql"): "mysql",
    **{("go-module", n): "redis" for n in ("github.com/redis/go-redis/v9", "github.com/go-redis/redis/v8")},
    ("go-module", "go.mongodb.org/mongo-driver"): "mongodb",
    **{("go-module", n): "kafka" for n in ("github.com/segmentio/kafka-go", "github.com/IBM/sarama")},
    ("go-module", "github.com/rabbitmq/amqp091-go"): "rabbitmq",
}
#: Cluster services a backing kind or component feature needs.
PLATFORM_FOR_SERVICE: dict[str, str] = {"postgres": "cloudnative-pg"}


def enrich(app: Application, inventory: Inventory, *, use_sbom: bool = False) -> tuple[Application, list[Diagnostic]]:
    """The application with SBOM dependencies, backing services and platform needs filled in."""
    notes: list[Diagnostic] = []
    if use_sbom:
        packages, notes = sbom.packages(inventory)
        app = app.model_copy(update={"components": tuple(_add_sbom_services(c, packages) for c in app.components)})
    services = _backing_services(app)
    return app.model_copy(update={"services": services, "platform": _platform(app, services)}), notes


def _add_sbom_services(component: Component, packages: Sequence[sbom.Package]) -> Component:
    have = {d.service for d in component.depends_on if d.service}
    added: dict[str, Evidence] = {}
    for package in packages:
        kind = SBOM_SERVICES.get((package.ecosystem, package.name.lower()))
        if kind is None or kind in have or kind in added or not _inside(package.path, component.path):
            continue
        added[kind] = Evidence(field="depends_on", value=kind, rule=f"sbom.{package.ecosystem}.{package.name}",
                               file=package.path or None, confidence=0.7)
    if not added:
        return component
    dependencies = component.depends_on + tuple(Dependency(service=k) for k in sorted(added))
    return component.model_copy(update={"depends_on": dependencies,
                                        "evidence": component.evidence + tuple(added[k] for k in sorted(added))})


def _inside(path: str, root: str) -> bool:
    return root in ("", ".") or path == root or path.startswith(root + "/")


def _backing_services(app: Application) -> tuple[BackingService, ...]:
    services = {s.name: s for s in app.services}
    by_kind = {s.kind: s for s in sorted(app.services, key=lambda s: s.name)}
    for component in app.components:
        if component.kind not in RUNNABLE_KINDS:
            continue  # a library's database driver is its users' concern
        for dependency in component.depends_on:
            kind = dependency.service
            if kind is None or kind in by_kind:
                continue
            evidence = tuple(e for e in component.evidence if e.field == "depends_on" and e.value == kind)
            service = BackingService(name=kind, kind=kind, evidence=evidence)
            by_kind[kind] = services[kind] = service
    graded = (s.model_copy(update={"grade": "managed" if s.kind in PLATFORM_FOR_SERVICE else "development"})
              for s in services.values())
    return tuple(sorted(graded, key=lambda s: s.name))


def _platform(app: Application, services: Sequence[BackingService]) -> Platform:
    needed = {PLATFORM_FOR_SERVICE[s.kind] for s in services if s.kind in PLATFORM_FOR_SERVICE}
    if any(c.metrics is not None for c in app.components):
        needed.add("prometheus")
    return Platform(services=tuple(sorted(needed | set(app.platform.services))))
