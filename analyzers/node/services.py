"""Backing services a Node package talks to, and how its database schema is migrated.

Drivers name their service (``pg`` → Postgres, ``ioredis`` → Redis); ORMs do not, so
Prisma's ``datasource { provider = "postgresql" }`` is read from the schema and the
TypeORM/Sequelize/Knex/MikroORM driver is taken from the driver packages next to them.
Migrations become a Job before rollout (never part of the start command): an explicit
``migrate`` script wins over the tool's own command, and dev-only commands
(``prisma migrate dev``) are never chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.node.package_json import PackageJson, line_of_text
from kubify.analyzers.node.package_manager import PackageManager
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join, relative_to

#: Runtime dependency → backing service.
DRIVERS: dict[str, str] = {
    "pg": "postgres", "pg-promise": "postgres", "postgres": "postgres", "pg-pool": "postgres", "slonik": "postgres",
    "@neondatabase/serverless": "postgres", "@vercel/postgres": "postgres", "pg-boss": "postgres",
    "mysql": "mysql", "mysql2": "mysql", "mariadb": "mysql", "@planetscale/database": "mysql",
    "redis": "redis", "ioredis": "redis", "@redis/client": "redis", "bullmq": "redis", "bull": "redis",
    "bee-queue": "redis", "kue": "redis", "connect-redis": "redis", "rate-limit-redis": "redis",
    "@nestjs/bull": "redis", "@nestjs/bullmq": "redis", "cache-manager-redis-store": "redis",
    "cache-manager-ioredis": "redis", "@keyv/redis": "redis", "socket.io-redis": "redis",
    "@socket.io/redis-adapter": "redis",
    "mongodb": "mongodb", "mongoose": "mongodb", "@nestjs/mongoose": "mongodb", "@typegoose/typegoose": "mongodb",
    "kafkajs": "kafka", "node-rdkafka": "kafka", "@confluentinc/kafka-javascript": "kafka",
    "amqplib": "rabbitmq", "amqp-connection-manager": "rabbitmq", "rascal": "rabbitmq", "rhea": "rabbitmq",
    "@elastic/elasticsearch": "elasticsearch", "elasticsearch": "elasticsearch",
    "@opensearch-project/opensearch": "elasticsearch",
    "@aws-sdk/client-s3": "s3", "minio": "s3", "aws-sdk": "s3",
    "memcached": "memcached", "memjs": "memcached",
    "nats": "nats", "node-nats-streaming": "nats",
}
#: Drivers that only sometimes mean the service (``aws-sdk`` v2 is every AWS API): need the word in code.
NEEDS_MENTION: dict[str, str] = {"aws-sdk": "S3"}
PRISMA_PROVIDERS: dict[str, str] = {"postgresql": "postgres", "postgres": "postgres", "cockroachdb": "postgres",
                                    "mysql": "mysql", "mongodb": "mongodb"}
PRISMA_SCHEMAS: tuple[str, ...] = ("prisma/schema.prisma", "schema.prisma", "prisma/schema/schema.prisma")
MAX_SCHEMA_DEPTH = 3
#: Folders whose schemas are not the app's own (examples, tests, build output).
_NOT_APP_DIRS = frozenset({"examples", "example", "test", "tests", "__tests__", "e2e", "fixtures", "dist", "build",
                           "docs"})
_DATASOURCE = re.compile(r"datasource\s+\w+\s*\{[^}]*\}", re.S)
_ENV_CALL = re.compile(r"\benv\s*\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"\s*\)")
_PROVIDER = re.compile(r"datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*\"(\w+)\"", re.S)
#: Script names that apply migrations, best first.
MIGRATE_SCRIPTS: tuple[str, ...] = ("migrate:deploy", "db:migrate:deploy", "prisma:migrate:deploy", "migrate:prod",
                                    "db:migrate:prod", "migration:run", "migrations:run", "typeorm:migrate",
                                    "db:migrate", "migrate", "migrate:latest", "db:deploy")
_DEV_ONLY = re.compile(r"migrate\s+(?:dev|reset)|migration:(?:generate|create)|migrate:make|db\s+push|--create-only|"
                       r"drizzle-kit\s+(?:generate|push)")
_TOOLS: tuple[tuple[str, str], ...] = (("prisma", "prisma"), ("knex", "knex"), ("sequelize", "sequelize"),
                                       ("typeorm", "typeorm"), ("drizzle", "drizzle"), ("mikro-orm", "mikro-orm"),
                                       ("node-pg-migrate", "node-pg-migrate"), ("db-migrate", "db-migrate"),
                                       ("umzug", "umzug"), ("migrate-mongo", "migrate-mongo"))


@dataclass(frozen=True)
class ServiceUse:
    service: str
    rule: str
    file: str
    line: int
    confidence: float


@dataclass(frozen=True)
class MigrationPlan:
    tool: str
    command: tuple[str, ...]
    rule: str
    file: str
    line: int
    confidence: float


def services(inventory: Inventory, package: PackageJson, code_mentions: str) -> list[ServiceUse]:
    """Backing services from runtime dependencies and the Prisma datasource, one per kind."""
    found: dict[str, ServiceUse] = {}
    schema = prisma_schema(inventory, package)
    if schema is not None and package.has_dependency("@prisma/client", "prisma"):
        provider = _prisma_provider(inventory, schema)
        if provider is not None and provider[0] in PRISMA_PROVIDERS:
            kind = PRISMA_PROVIDERS[provider[0]]
            found[kind] = ServiceUse(kind, "node.dependency.prisma-provider", schema, provider[1], 0.9)
    for name in sorted(package.dependencies):
        driver = DRIVERS.get(name)
        if driver is None or driver in found:
            continue
        if name in NEEDS_MENTION and NEEDS_MENTION[name] not in code_mentions:
            continue
        found[driver] = ServiceUse(driver, f"node.dependency.{name.lstrip('@').replace('/', '-')}", package.file,
                                 package.dependency_line(name), 0.7)
    return [found[k] for k in sorted(found)]


def prisma_schema(inventory: Inventory, package: PackageJson) -> str | None:
    custom = package.table("prisma").get("schema")
    candidates = [custom] if isinstance(custom, str) else []
    for rel in [*(c for c in candidates), *PRISMA_SCHEMAS]:
        path = join(package.root, rel.removeprefix("./"))
        if inventory.has(path):
            return path
    if inventory.has_dir(join(package.root, "prisma/schema")):
        folder = inventory.glob("*.prisma", under=join(package.root, "prisma/schema"))
        if folder:
            return folder[0]
    return _nested_schema(inventory, package.root)


def _nested_schema(inventory: Inventory, root: str) -> str | None:
    """A ``schema.prisma`` elsewhere in the package (``src/prisma/``, ``db/``): the shallowest, not a sub-package's."""
    found = []
    for path in inventory.named("schema.prisma", under=root):
        folders = relative_to(path, root).split("/")[:-1]
        if len(folders) > MAX_SCHEMA_DEPTH or any(f.lower() in _NOT_APP_DIRS for f in folders):
            continue
        inner = [join(root, *folders[:i]) for i in range(1, len(folders) + 1)]
        if not any(inventory.has(join(d, "package.json")) for d in inner):
            found.append((len(folders), path))
    return min(found)[1] if found else None


def prisma_env(inventory: Inventory, package: PackageJson) -> list[tuple[str, str, int]]:
    """``env("DATABASE_URL")`` in the Prisma datasource: (name, file, line) — the client reads these at runtime."""
    schema = prisma_schema(inventory, package)
    if schema is None or not package.has_dependency("@prisma/client", "prisma"):
        return []
    try:
        text = inventory.text(schema)
    except FileProblem:
        return []
    block = _DATASOURCE.search(text)
    if block is None:
        return []
    return [(m.group(1), schema, line_of_text(text, m.start(1))) for m in _ENV_CALL.finditer(text, block.start(),
                                                                                              block.end())]


def _prisma_provider(inventory: Inventory, schema: str) -> tuple[str, int] | None:
    files = [schema] + [f for f in inventory.glob("*.prisma", under=schema.rsplit("/", 1)[0]) if f != schema]
    for rel in files:
        try:
            text = inventory.text(rel)
        except FileProblem:
            continue
        found = _PROVIDER.search(text)
        if found:
            return found.group(1), line_of_text(text, found.start(1))
    return None


def migrations(inventory: Inventory, package: PackageJson, manager: PackageManager) -> list[MigrationPlan]:
    """At most one migration step: the project's own script, else the ORM's deploy command."""
    for name in MIGRATE_SCRIPTS:
        script = package.script(name)
        if script and not _DEV_ONLY.search(script):
            tool = next((t for needle, t in _TOOLS if needle in script), "script")
            return [MigrationPlan(tool, manager.run(name), "node.migrations.script", package.file,
                                  package.line("scripts", name), 0.9)]
    plan = _tool_migration(inventory, package, manager)
    return [plan] if plan else []


def _tool_migration(inventory: Inventory, package: PackageJson, manager: PackageManager) -> MigrationPlan | None:
    root = package.root
    schema = prisma_schema(inventory, package)
    if schema is not None and package.has_dependency("prisma", "@prisma/client"):
        migrations_dir = join(schema.rsplit("/", 1)[0] if "/" in schema else ".", "migrations")
        if inventory.has_dir(migrations_dir):
            argv = ["prisma", "migrate", "deploy"]
            if schema != join(root, "prisma/schema.prisma"):
                argv += ["--schema", _local(schema, root)]
            return MigrationPlan("prisma", manager.exec(*argv), "node.migrations.prisma", schema, 1, 0.7)
    knexfile = _first(inventory, root, "knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs")
    if knexfile and package.has_dependency("knex"):
        return MigrationPlan("knex", manager.exec("knex", "migrate:latest"), "node.migrations.knex", knexfile, 1, 0.7)
    sequelizerc = _first(inventory, root, ".sequelizerc")
    if package.has_dependency("sequelize-cli") and (sequelizerc or inventory.has_dir(join(root, "migrations"))):
        line = 1 if sequelizerc else package.dependency_line("sequelize-cli")
        return MigrationPlan("sequelize", manager.exec("sequelize-cli", "db:migrate"), "node.migrations.sequelize",
                             sequelizerc or package.file, line, 0.7)
    drizzle = _first(inventory, root, "drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs")
    if drizzle and package.has_dependency("drizzle-kit"):
        return MigrationPlan("drizzle", manager.exec("drizzle-kit", "migrate"), "node.migrations.drizzle", drizzle, 1,
                             0.7)
    return _typeorm(inventory, package, manager)


def _typeorm(inventory: Inventory, package: PackageJson, manager: PackageManager) -> MigrationPlan | None:
    if not package.has_dependency("typeorm"):
        return None
    sources = [f for f in inventory.under(package.root)
               if re.search(r"(?:^|/)(?:data-?source|ormconfig)\.[cm]?[jt]s$", f, re.I) and "/node_modules/" not in f]
    if not sources:
        return None
    source = sorted(sources, key=lambda f: (f.count("/"), f))[0]
    local = _local(source, package.root)
    if local.endswith(".ts"):
        local = re.sub(r"^(?:\./)?src/", "dist/", local)[:-3] + ".js"
    argv = ("typeorm", "migration:run", "-d", local)
    return MigrationPlan("typeorm", manager.exec(*argv), "node.migrations.typeorm", source, 1, 0.5)


def _first(inventory: Inventory, root: str, *names: str) -> str | None:
    return next((join(root, n) for n in names if inventory.has(join(root, n))), None)


def _local(rel: str, root: str) -> str:
    return rel if root == "." else rel[len(root) + 1:]
