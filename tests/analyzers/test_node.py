"""The Node analyzer on realistic fixture repositories and on small synthetic trees.

Expected evidence lines are looked up in the fixture files themselves (``line_of``), so
a test fails when the analyzer cites the wrong line, not when a fixture is re-indented.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify.analyzers.base import Analysis
from kubify.analyzers.node import ANALYZER
from kubify.analyzers.node.node_version import pick_major
from kubify.analyzers.node.package_json import key_lines
from kubify.diagnostics import Diagnostic
from kubify.ir import Component, Evidence
from kubify.scan import scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run(root: Path) -> tuple[list[Component], list[Diagnostic]]:
    inventory = scan(root)
    components: list[Component] = []
    diagnostics: list[Diagnostic] = []
    for detection in ANALYZER.detect(inventory):
        analysis: Analysis = ANALYZER.analyze(inventory, detection)
        components += analysis.components
        diagnostics += analysis.diagnostics
    return components, diagnostics


def tree(base: Path, files: dict[str, str]) -> tuple[list[Component], list[Diagnostic]]:
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return run(base)


def only(components: list[Component], name: str | None = None) -> Component:
    chosen = [c for c in components if name is None or c.name == name]
    assert len(chosen) == 1, [c.name for c in components]
    return chosen[0]


def evidence(component: Component, field: str) -> Evidence:
    found = [e for e in component.evidence if e.field == field]
    assert found, f"no evidence for {field}"
    return max(found, key=lambda e: e.confidence)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def env(component: Component) -> dict[str, tuple[str | None, bool]]:
    return {e.name: (e.default, e.secret) for e in component.env}


def pkg(**fields: object) -> str:
    return json.dumps({"name": "app", "version": "1.0.0", **fields}, indent=2) + "\n"


# --- fixture repositories -----------------------------------------------------------------------

def test_express_npm_service() -> None:
    root = FIXTURES / "node-express-npm"
    components, diagnostics = run(root)
    api = only(components)
    assert (api.name, api.kind, api.framework, api.language, api.package_manager) == (
        "orders-api", "service", "express", "node", "npm")
    assert [p.port for p in api.ports] == [3000]  # not the test's 4567, not the commented-out 8081
    port = evidence(api, "ports")
    assert (port.file, port.line, port.confidence) == ("src/server.js", line_of(root / "src/server.js",
                                                                                "const PORT"), 0.9)
    assert env(api)["PORT"] == ("3000", False)
    assert env(api)["DATABASE_URL"] == (None, True)
    assert env(api)["JWT_SECRET"] == (None, True)
    assert env(api)["JWT_ISSUER"] == ("orders-api", False)
    assert api.run is not None and api.run.command == ("node", "src/server.js")
    assert evidence(api, "run").line == line_of(root / "package.json", '"start"')
    assert api.health is not None and (api.health.path, api.health.port) == ("/healthz", 3000)
    assert evidence(api, "health").line == line_of(root / "src/app.js", "'/healthz'")
    assert api.metrics is not None and api.metrics.path == "/metrics"
    assert [d.service for d in api.depends_on] == ["postgres"]
    assert evidence(api, "depends_on").line == line_of(root / "package.json", '"pg"')
    assert [m.command for m in api.migrations] == [("npm", "run", "db:migrate")]
    assert api.language_version == "20"
    assert (evidence(api, "language_version").file, evidence(api, "language_version").line) == (".nvmrc", 1)
    assert api.build is not None and api.build.install == ("npm ci",) and api.build.base_image == "node:20-slim"
    assert evidence(api, "framework").line == line_of(root / "package.json", '"express"')
    assert diagnostics == []


def test_next_pnpm_with_prisma() -> None:
    root = FIXTURES / "node-next-pnpm"
    components, _ = run(root)
    web = only(components)
    # next.config.mjs has `output: 'export'` only in a comment: still a server
    assert (web.kind, web.framework, web.package_manager) == ("service", "next", "pnpm")
    manager = evidence(web, "package_manager")
    assert (manager.value, manager.line) == ("pnpm@9.12.0", line_of(root / "package.json", "packageManager"))
    assert web.build is not None
    assert web.build.install == ("corepack enable", "pnpm install --frozen-lockfile")
    assert web.build.build == ("pnpm run build",)  # the build script already runs prisma generate
    assert web.run is not None and web.run.command == ("pnpm", "exec", "next", "start", "-p", "3000")
    assert [p.port for p in web.ports] == [3000] and env(web)["PORT"] == ("3000", False)
    assert web.health is not None and web.health.path == "/api/health"
    health = evidence(web, "health")
    assert (health.file, health.line) == ("app/api/health/route.ts",
                                          line_of(root / "app/api/health/route.ts", "export async function GET"))
    database = evidence(web, "depends_on")
    assert (database.value, database.file, database.line) == (
        "postgres", "prisma/schema.prisma", line_of(root / "prisma/schema.prisma", 'provider = "postgresql"'))
    assert [m.command for m in web.migrations] == [("pnpm", "run", "db:migrate:deploy")]  # never 'migrate dev'
    assert web.language_version == "22" and evidence(web, "language_version").rule == "node.version.engines"
    assert any(e.rule == "node.env.build-time" and e.value.startswith("NEXT_PUBLIC_SITE_URL") for e in web.evidence)
    assert env(web)["STRIPE_SECRET_KEY"] == (None, True)
    assert any(e.rule == "node.language.typescript" for e in web.evidence)


def test_vite_spa_is_a_static_site() -> None:
    root = FIXTURES / "node-vite-spa"
    components, _ = run(root)
    spa = only(components)
    assert (spa.kind, spa.framework, spa.package_manager) == ("static-site", "vite", "yarn")
    assert spa.build is not None and spa.build.generated
    assert (spa.build.output_dir, spa.build.build) == ("build", ("yarn run build",))
    assert spa.build.install == ("yarn install --frozen-lockfile",)
    output = evidence(spa, "kind")
    assert (output.file, output.line) == ("vite.config.ts", line_of(root / "vite.config.ts", "outDir"))
    assert [p.port for p in spa.ports] == [8080]  # the vite dev server's 5173 is not the site
    assert evidence(spa, "ports").rule == "node.static.nginx-port"
    assert spa.run is not None and spa.run.command == ("nginx", "-g", "daemon off;")
    assert spa.language_version == "22" and evidence(spa, "language_version").confidence == 0.3
    assert "VITE_API_URL" in env(spa) and "BASE_URL" not in env(spa)
    assert any(e.rule == "node.env.build-time" for e in spa.evidence)


def test_nest_yarn_berry_service_and_worker() -> None:
    root = FIXTURES / "node-nest-yarn"
    components, _ = run(root)
    api = only(components, "notifications-service")
    worker = only(components, "notifications-service-worker")
    assert (api.kind, api.framework, api.package_manager) == ("service", "nestjs", "yarn")
    assert api.build is not None and api.build.install == ("corepack enable", "yarn install --immutable")
    assert api.build.build == ("yarn run build",)
    assert api.run is not None and api.run.command == ("node", "dist/main")
    assert evidence(api, "run").line == line_of(root / "package.json", '"start:prod"')
    assert [p.port for p in api.ports] == [3000] and env(api)["PORT"] == ("3000", False)
    assert api.health is not None and api.health.path == "/health"  # excluded from the 'api' global prefix
    health = evidence(api, "health")
    assert (health.file, health.line) == ("src/health/health.controller.ts",
                                          line_of(root / "src/health/health.controller.ts", "@Get()"))
    assert [d.service for d in api.depends_on] == ["redis"]
    assert env(api)["REDIS_URL"] == (None, True) and env(api)["SMTP_PASSWORD"] == (None, True)
    assert api.language_version == "20"
    assert (worker.kind, worker.ports, worker.health) == ("worker", (), None)
    assert worker.run is not None and worker.run.command == ("node", "dist/worker")
    assert evidence(worker, "run").line == line_of(root / "package.json", '"start:worker"')
    assert "PORT" not in env(worker) and [d.service for d in worker.depends_on] == ["redis"]


def test_npm_workspaces_monorepo() -> None:
    root = FIXTURES / "node-monorepo"
    components, _ = run(root)
    assert sorted((c.path, c.kind) for c in components) == [
        ("apps/api", "service"), ("apps/web", "service"), ("packages/config", "library"), ("packages/ui", "library")]
    web, api = only(components, "acme-web"), only(components, "acme-api")
    assert web.framework == "next" and api.framework == "express"
    assert web.build is not None and web.build.context == "."  # the lockfile is at the workspace root
    assert web.build.install == ("npm ci",)
    # run in apps/web (the generated Dockerfile's WORKDIR): the ui library first, by workspace name
    assert web.build.build == ("npm run build --workspace=@acme/ui", "npm run build")
    assert web.run is not None and web.run.workdir == "/app/apps/web"
    assert [p.port for p in web.ports] == [3001]
    assert evidence(web, "ports").line == line_of(root / "apps/web/package.json", '"start"')
    assert web.health is not None and web.health.path == "/api/healthz"
    assert [p.port for p in api.ports] == [4000] and env(api)["PORT"] == ("4000", False)
    assert env(api)["MONGO_URL"] == (None, True)  # read by the @acme/config library the api imports
    assert [d.service for d in api.depends_on] == ["mongodb"]
    ui = only(components, "acme-ui")
    used = evidence(ui, "kind")
    assert (used.file, used.line) == ("apps/web/package.json", line_of(root / "apps/web/package.json", '"@acme/ui"'))
    assert all(c.language_version == "22" for c in components)  # engines ">=20 <23" of the root


def test_broken_lockfile_and_manifest_are_diagnostics() -> None:
    root = FIXTURES / "node-broken-lock"
    components, diagnostics = run(root)
    gateway = only(components)
    assert gateway.build is not None and gateway.build.install == ("npm install",)  # npm ci would fail
    assert [p.port for p in gateway.ports] == [8080] and gateway.health is not None
    by_code = {d.code: d for d in diagnostics}
    lock_text = (root / "package-lock.json").read_text()
    with pytest.raises(json.JSONDecodeError) as lock_error:
        json.loads(lock_text)
    lock = by_code["node.lockfile.broken"]
    assert (lock.file, lock.line, lock.severity) == ("package-lock.json", lock_error.value.lineno, "warning")
    manifest = by_code["json.syntax"]
    with pytest.raises(json.JSONDecodeError) as manifest_error:
        json.loads((root / "tools/seed/package.json").read_text())
    assert (manifest.file, manifest.line, manifest.severity) == (
        "tools/seed/package.json", manifest_error.value.lineno, "warning")


# --- package managers and versions -------------------------------------------------------------

@pytest.mark.parametrize(("files", "manager", "install"), [
    ({"bun.lockb": ""}, "bun", ("bun install --frozen-lockfile",)),
    ({"bun.lock": "{}"}, "bun", ("bun install --frozen-lockfile",)),
    ({"yarn.lock": "__metadata:\n  version: 8\n"}, "yarn", ("corepack enable", "yarn install --immutable")),
    ({"yarn.lock": "# yarn lockfile v1\n"}, "yarn", ("yarn install --frozen-lockfile",)),
    ({"npm-shrinkwrap.json": '{"lockfileVersion": 3}'}, "npm", ("npm ci",)),
    ({}, "npm", ("npm install",)),
])
def test_lockfile_decides_the_manager(tmp_path: Path, files: dict[str, str], manager: str,
                                      install: tuple[str, ...]) -> None:
    app = only(tree(tmp_path, {"package.json": pkg(scripts={"start": "node index.js"}), **files})[0])
    assert app.package_manager == manager
    assert app.build is not None and app.build.install == install


def test_package_manager_field_beats_lockfile(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(packageManager="pnpm@8.15.4+sha256.abc", scripts={"start": "node index.js"}),
        "package-lock.json": '{"lockfileVersion": 3}',
    })
    app = only(components)
    assert app.package_manager == "pnpm" and evidence(app, "package_manager").value == "pnpm@8.15.4"
    assert app.build is not None and app.build.install[-1] == "pnpm install"  # no pnpm lockfile to freeze


def test_engines_manager_and_several_lockfiles(tmp_path: Path) -> None:
    app = only(tree(tmp_path / "a", {"package.json": pkg(engines={"pnpm": ">=9"}, scripts={"start": "node x.js"})})[0])
    assert app.package_manager == "pnpm" and evidence(app, "package_manager").rule == "node.package-manager.engines"
    components, diagnostics = tree(tmp_path / "b", {
        "package.json": pkg(scripts={"start": "node x.js"}), "yarn.lock": "", "package-lock.json": "{}"})
    assert only(components).package_manager == "yarn"
    assert [(d.code, d.file) for d in diagnostics] == [("node.lockfile.several", "yarn.lock")]


@pytest.mark.parametrize(("declared", "major"), [
    (">=18", 22), ("^20.11.0", 20), ("18.x || 20.x", 20), ("16", 16), (">=16 <21", 20), ("20 - 22", 22),
    ("~18.17.1", 18), (">=24", 24), ("lts/*", 22), ("*", 22), (">18.0.1", 22), ("<=18", 18), ("v21.2.0", 21),
])
def test_engines_range_to_major(declared: str, major: int) -> None:
    assert pick_major(declared) == major


def test_nvmrc_codename_and_eol_warning(tmp_path: Path) -> None:
    app = only(tree(tmp_path / "a", {"package.json": pkg(scripts={"start": "node a.js"}), ".nvmrc": "lts/iron\n"})[0])
    assert app.language_version == "20"
    components, diagnostics = tree(tmp_path / "b", {"package.json": pkg(engines={"node": "14.x"},
                                                                         scripts={"start": "node a.js"})})
    assert only(components).language_version == "14"
    assert "node.version.eol" in [d.code for d in diagnostics]


def test_yarn_plug_n_play_runs_node_through_yarn(tmp_path: Path) -> None:
    app = only(tree(tmp_path, {
        "package.json": pkg(packageManager="yarn@4.2.2", scripts={"start": "node server.js"}),
        "yarn.lock": "__metadata:\n  version: 8\n", ".yarnrc.yml": "enableTelemetry: false\n",
        "server.js": "require('http').createServer(() => {}).listen(8000);\n",
    })[0])
    assert app.run is not None and app.run.command == ("yarn", "node", "server.js")


def test_nvmrc_lts_alias(tmp_path: Path) -> None:
    app = only(tree(tmp_path, {"package.json": pkg(scripts={"start": "node a.js"}), ".nvmrc": "lts/*\n"})[0])
    assert app.language_version == "22" and evidence(app, "language_version").file == ".nvmrc"


# --- ports, env, health -------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "port", "env_default"), [
    ("app.listen(8080)", 8080, None),
    ("app.listen(process.env.PORT || 5000)", 5000, "5000"),
    ("const PORT = process.env.PORT ?? 4001;\napp.listen(PORT)", 4001, "4001"),
    ("const port = parseInt(process.env.PORT || '7000', 10);\nserver.listen(port, () => {})", 7000, "7000"),
    ("const { PORT = 3400 } = process.env;\napp.listen(PORT)", 3400, "3400"),
    ("await fastify.listen({ port: Number(process.env.PORT) || 3100, host: '0.0.0.0' })", 3100, "3100"),
    ("var port = normalizePort(process.env.PORT || '3000');\napp.set('port', port);\nserver.listen(port);",
     3000, "3000"),
    ("app.listen(app.get('port'));\napp.set('port', 9100);", 9100, None),
    ("app.listen(process.env.PORT);", 3000, "3000"),
])
def test_listen_port_resolution(tmp_path: Path, code: str, port: int, env_default: str | None) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node server.js"}, dependencies={"express": "^4"}),
        "server.js": "const express = require('express');\nconst app = express();\n" + code + "\n",
    })
    app = only(components)
    assert app.ports[0].port == port
    assert env(app).get("PORT", (None, False))[0] == env_default


def test_port_from_config_module(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node src/index.js"}, dependencies={"koa": "^2"}),
        "src/index.js": "const config = require('./config');\nconst app = new Koa();\napp.listen(config.port);\n",
        "src/config/index.js": "module.exports = {\n  port: process.env.APP_PORT || 8123,\n};\n",
    })
    app = only(components)
    assert [p.port for p in app.ports] == [8123] and env(app)["APP_PORT"] == ("8123", False)
    assert (evidence(app, "ports").file, evidence(app, "ports").line) == ("src/config/index.js", 2)


def test_script_port_and_localhost_warning(tmp_path: Path) -> None:
    components, diagnostics = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "PORT=4500 node server.js"}, dependencies={"express": "^4"}),
        "server.js": "const app = require('express')();\napp.listen(process.env.PORT || 3000, 'localhost');\n",
    })
    app = only(components)
    assert [p.port for p in app.ports] == [4500] and env(app)["PORT"] == ("4500", False)
    warning = next(d for d in diagnostics if d.code == "node.listen.localhost")
    assert (warning.file, warning.line) == ("server.js", 2)


def test_env_reads_and_secrets(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node index.js"}),
        "index.js": ("const { API_TOKEN, REGION: region = 'eu-west-1' } = process.env;\n"
                     "const level = process.env['LOG_LEVEL'] || 'info';\n"
                     "const key = process.env.STRIPE_SECRET_KEY;\n"
                     "const home = process.env.HOME; const x = process.env.npm_package_version;\n"
                     "// const old = process.env.OLD_SETTING;\n"
                     "require('http').createServer(() => {}).listen(9000);\n"),
        ".env.example": "SENTRY_DSN=https://abc@sentry.io/1\nFEATURE_FLAGS=a,b\n",
    })
    values = env(only(components))
    assert values["API_TOKEN"] == (None, True) and values["STRIPE_SECRET_KEY"] == (None, True)
    assert values["REGION"] == ("eu-west-1", False) and values["LOG_LEVEL"] == ("info", False)
    assert values["FEATURE_FLAGS"] == ("a,b", False) and values["SENTRY_DSN"] == (None, True)
    assert not {"HOME", "npm_package_version", "OLD_SETTING"} & set(values)


def test_runtime_config_modules_are_read_but_tool_configs_are_not(tmp_path: Path) -> None:
    """NestJS-style ``src/config/*.config.ts`` read the runtime env; vite/jest configs at any depth do not."""
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node dist/main"}, dependencies={"@nestjs/core": "^11"}),
        "src/main.ts": "const app = await NestFactory.create(AppModule);\nawait app.listen(3000);\n",
        "src/config/app.config.ts": ("export default registerAs('app', () => ({\n"
                                     "  name: process.env.APP_NAME || 'app',\n"
                                     "  apiPrefix: process.env.API_PREFIX || 'api',\n}));\n"),
        "src/config/database.config.ts": "export const url = process.env.DATABASE_URL;\n",
        "vite.config.ts": "export default { define: { X: process.env.VITE_ONLY_AT_BUILD } };\n",
        "src/ui/vitest.config.ts": "export default { test: { env: process.env.VITEST_ONLY } };\n",
        "jest.config.js": "module.exports = { testTimeout: process.env.JEST_TIMEOUT };\n",
    })
    app = only(components)
    values = env(app)
    assert values["APP_NAME"] == ("app", False) and values["API_PREFIX"] == ("api", False)
    assert values["DATABASE_URL"] == (None, True)
    name_evidence = [e for e in app.evidence if e.field == "env" and "APP_NAME" in str(e.value)]
    assert name_evidence and name_evidence[0].file == "src/config/app.config.ts" and name_evidence[0].line == 2
    assert not {"VITE_ONLY_AT_BUILD", "VITEST_ONLY", "JEST_TIMEOUT"} & set(values)


def test_prisma_schema_outside_the_conventional_folder(tmp_path: Path) -> None:
    """``src/prisma/schema.prisma`` is found (shallowest wins); a sub-package's or an example's schema is not."""
    schema = 'datasource db {\n  provider = "mysql"\n  url = env("DATABASE_URL")\n}\n'
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node dist/main.js"},
                            dependencies={"express": "^4", "@prisma/client": "^5"}, devDependencies={"prisma": "^5"}),
        "src/main.ts": "import express from 'express';\nexpress().listen(3000);\n",
        "src/prisma/schema.prisma": schema,
        "src/prisma/migrations/0001_init/migration.sql": "CREATE TABLE t (id INT);\n",
        "examples/blog/schema.prisma": schema.replace("mysql", "mongodb"),
        "tools/seed/package.json": pkg(name="seed"),
        "tools/seed/schema.prisma": schema.replace("mysql", "postgresql"),
    })
    app = only(components, "app")
    assert [d.service for d in app.depends_on] == ["mysql"]
    assert evidence(app, "depends_on").file == "src/prisma/schema.prisma"
    assert [m.command[-4:] for m in app.migrations] == [("migrate", "deploy", "--schema", "src/prisma/schema.prisma")]


def test_prisma_datasource_env_vars_are_secret_env(tmp_path: Path) -> None:
    """The Prisma client reads the datasource ``env(...)`` names even when the code never does."""
    schema = ('generator client {\n  provider = "prisma-client-js"\n  output = env("CLIENT_OUT")\n}\n'
              'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n'
              '  directUrl = env("DIRECT_URL")\n}\n')
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node server.js"}, dependencies={"@prisma/client": "^5"}),
        "server.js": "require('http').createServer(() => {}).listen(3000);\n",
        "prisma/schema.prisma": schema,
    })
    app = only(components)
    values = env(app)
    assert values["DATABASE_URL"] == (None, True) and values["DIRECT_URL"] == (None, True)
    assert "CLIENT_OUT" not in values  # the generator block is build-time, not the datasource
    url = [e for e in app.evidence if e.field == "env" and e.value == "DIRECT_URL"]
    assert url and (url[0].file, url[0].line) == ("prisma/schema.prisma", 8)


@pytest.mark.parametrize(("project", "expected", "warned"), [
    ('{"name": "api", "projectType": "application"}', "api", False),
    ('{"projectType": "application"}', "org-source", False),
    ('{"name": ', "org-source", True),  # unreadable: said, and the package name is used
])
def test_nx_standalone_app_is_named_for_its_project(tmp_path: Path, project: str, expected: str,
                                                    warned: bool) -> None:
    """``@org/source`` names the Nx workspace; the project.json beside it names the app."""
    components, diagnostics = tree(tmp_path, {
        "package.json": pkg(name="@org/source", scripts={"start": "node dist/api/main.js"},
                            dependencies={"express": "^4"}),
        "project.json": project,
        "nx.json": "{}\n",
        "src/main.ts": "import express from 'express';\nexpress().listen(3000);\n",
    })
    assert only(components).name == expected
    assert [d.file for d in diagnostics if d.severity == "warning"] == (["project.json"] if warned else [])


@pytest.mark.parametrize(("start", "deps", "expected"), [
    ("astro dev", {"astro": "^4", "@astrojs/node": "^8"}, ("node", "./dist/server/entry.mjs")),
    ("nuxt dev", {"nuxt": "^3"}, ("node", ".output/server/index.mjs")),
    ("node server.mjs", {"astro": "^4", "@astrojs/node": "^8"}, ("node", "server.mjs")),
])
def test_a_dev_server_start_script_gives_way_to_the_framework_artefact(tmp_path: Path, start: str,
                                                                      deps: dict[str, str],
                                                                      expected: tuple[str, ...]) -> None:
    """``"start": "astro dev"`` is the dev server: production runs the built server, not ``npm run start``."""
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"dev": start, "start": start, "build": "astro build"}, dependencies=deps),
        "server.mjs": "import { handler } from './dist/server/entry.mjs';\n",
    })
    app = only(components)
    assert app.run is not None and app.run.command == expected


def test_an_app_gets_the_prisma_datasource_env_of_its_workspace_db_package(tmp_path: Path) -> None:
    """The ``@org/prisma`` library holds the schema; the app that imports it connects with its env vars."""
    components, _ = tree(tmp_path, {
        "package.json": json.dumps({"name": "mono", "private": True, "workspaces": ["apps/*", "packages/*"]}),
        "package-lock.json": "{}\n",
        "apps/web/package.json": pkg(name="@org/web", scripts={"build": "next build", "start": "next start"},
                                     dependencies={"next": "^14", "@org/prisma": "*"}),
        "apps/web/pages/index.tsx": "import db from '@org/prisma';\nexport default function P() { return null }\n",
        "packages/prisma/package.json": pkg(name="@org/prisma", main="index.ts",
                                           dependencies={"@prisma/client": "^5"}),
        "packages/prisma/index.ts": ("import { PrismaClient } from '@prisma/client';\n"
                                     "export default new PrismaClient();\n"),
        "packages/prisma/schema.prisma": ('datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n'
                                          '  directUrl = env("DIRECT_URL")\n}\n'),
    })
    web = only(components, "org-web")
    assert env(web)["DATABASE_URL"] == (None, True) and env(web)["DIRECT_URL"] == (None, True)
    assert [d.service for d in web.depends_on] == ["postgres"]
    assert "DIRECT_URL" not in env(only(components, "org-prisma"))  # a library is not deployed with env


@pytest.mark.parametrize(("scripts", "expected"), [
    ({}, "cd ../../packages/db && npx prisma migrate deploy --schema schema.prisma"),
    ({"migrate:deploy": "prisma migrate deploy"}, "npm run migrate:deploy --workspace=@org/db"),
])
def test_an_app_runs_the_migrations_of_its_workspace_db_package(tmp_path: Path, scripts: dict[str, str],
                                                                  expected: str) -> None:
    """No migrations of its own: the app's migration Job runs its db package's, from the app's directory."""
    components, _ = tree(tmp_path, {
        "package.json": json.dumps({"name": "mono", "private": True, "workspaces": ["apps/*", "packages/*"]}),
        "package-lock.json": "{}\n",
        "apps/api/package.json": pkg(name="@org/api", scripts={"start": "node server.js"},
                                     dependencies={"express": "^4", "@org/db": "*"}),
        "apps/api/server.js": "require('@org/db');\nrequire('express')().listen(3000);\n",
        "packages/db/package.json": pkg(name="@org/db", main="index.js", scripts=scripts,
                                       dependencies={"@prisma/client": "^5", "prisma": "^5"}),
        "packages/db/index.js": "module.exports = new (require('@prisma/client').PrismaClient)();\n",
        "packages/db/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
        "packages/db/migrations/0001_init/migration.sql": "CREATE TABLE t (id INT);\n",
    })
    api = only(components, "org-api")
    assert [m.command for m in api.migrations] == [("sh", "-c", expected)]
    assert evidence(api, "migrations").rule == "node.migrations.workspace-library"


def test_health_routes_in_code(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node app.js"}, dependencies={"fastify": "^4"}),
        "app.js": ("const fastify = require('fastify')();\n"
                   "fastify.get('/ping', async () => 'pong');\n"
                   "fastify.route({ method: 'GET', url: '/livez', handler: async () => ({}) });\n"
                   "fastify.listen({ port: 3000, host: '0.0.0.0' });\n"),
    })
    app = only(components)
    assert app.health is not None and app.health.path == "/livez"  # livez outranks ping
    assert evidence(app, "health").line == 3


def test_fastify_listen_defaults_to_localhost_warning_absent_when_host_given(tmp_path: Path) -> None:
    _, diagnostics = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node app.js"}, dependencies={"fastify": "^4"}),
        "app.js": "const f = require('fastify')();\nf.listen({ port: 3000, host: '0.0.0.0' });\n",
    })
    assert "node.listen.localhost" not in [d.code for d in diagnostics]


def test_router_health_route_needs_its_mount(tmp_path: Path) -> None:
    mounted = only(tree(tmp_path / "a", {
        "package.json": pkg(scripts={"start": "node src/app.js"}, dependencies={"express": "4"}),
        "src/app.js": ("const express = require('express');\nconst status = require('./routes/status');\n"
                       "const app = express();\napp.use('/api/v1', status);\napp.listen(3000);\n"),
        "src/routes/status.js": ("const router = require('express').Router();\n"
                                 "router.get('/health', (req, res) => res.send('ok'));\nmodule.exports = router;\n"),
    })[0])
    assert mounted.health is not None and mounted.health.path == "/api/v1/health"
    assert (evidence(mounted, "health").file, evidence(mounted, "health").line) == ("src/routes/status.js", 2)
    unknown = only(tree(tmp_path / "b", {
        "package.json": pkg(scripts={"start": "node app.js"}, dependencies={"express": "4"}),
        "app.js": "const app = require('express')();\napp.use(loadRoutes());\napp.listen(3000);\n",
        "routes.js": "const router = require('express').Router();\nrouter.get('/healthz', h);\n",
    })[0])
    assert unknown.health is None  # a guessed path would keep every pod unready


def test_bun_export_default_server_and_next_base_path(tmp_path: Path) -> None:
    bun = only(tree(tmp_path / "bun", {
        "package.json": pkg(scripts={"start": "bun run src/index.ts"}, dependencies={"hono": "4"}),
        "bun.lock": "{}",
        "src/index.ts": "const app = new Hono();\nexport default {\n  port: 8788,\n  fetch: app.fetch,\n};\n",
    })[0])
    assert bun.package_manager == "bun" and [p.port for p in bun.ports] == [8788]
    assert bun.build is not None and bun.build.base_image == "oven/bun:1"
    assert bun.run is not None and bun.run.command == ("bun", "src/index.ts")
    web = only(tree(tmp_path / "next", {
        "package.json": pkg(dependencies={"next": "14"}, scripts={"build": "next build", "start": "next start"}),
        "next.config.js": "module.exports = { basePath: '/shop' };\n",
        "src/app/api/ready/route.ts": "export const GET = () => Response.json({});\n",
    })[0])
    assert web.health is not None and web.health.path == "/shop/api/ready"


@pytest.mark.parametrize("start", ["tsc -w", "storybook dev -p 6006", "rollup -c --watch", "vite"])
def test_watcher_start_script_is_not_a_server(tmp_path: Path, start: str) -> None:
    components, _ = tree(tmp_path, {"package.json": pkg(main="dist/index.js", scripts={"start": start})})
    assert only(components).kind == "library"


# --- kinds --------------------------------------------------------------------------------------

def test_queue_consumer_without_listener_is_a_worker(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(main="consumer.js", dependencies={"kafkajs": "^2"}),
        "consumer.js": ("const { Kafka } = require('kafkajs');\n"
                        "const kafka = new Kafka({ brokers: [process.env.KAFKA_BROKER] });\n"
                        "const consumer = kafka.consumer({ groupId: 'g' });\n"
                        "consumer.run({ eachMessage: async () => {} });\n"),
    })
    worker = only(components)
    assert worker.kind == "worker" and worker.ports == ()
    assert (evidence(worker, "kind").file, evidence(worker, "kind").line) == ("consumer.js", 3)
    assert [d.service for d in worker.depends_on] == ["kafka"]


def test_bin_without_server_is_a_cli_and_main_only_is_a_library(tmp_path: Path) -> None:
    cli = only(tree(tmp_path / "cli", {"package.json": pkg(bin={"tool": "./bin/tool.js"}),
                                       "bin/tool.js": "#!/usr/bin/env node\nconsole.log(process.argv);\n"})[0])
    assert cli.kind == "cli" and cli.run is not None and cli.run.command == ("node", "bin/tool.js")
    library = only(tree(tmp_path / "lib", {"package.json": pkg(main="dist/index.js", types="dist/index.d.ts",
                                                               scripts={"build": "tsc"})})[0])
    assert library.kind == "library" and library.build is None and library.ports == ()


def test_tooling_only_package_and_asset_pipeline_are_not_components(tmp_path: Path) -> None:
    tooling, _ = tree(tmp_path / "t", {"package.json": pkg(devDependencies={"prettier": "^3"},
                                                           scripts={"format": "prettier -w ."})})
    assert tooling == []
    laravel, diagnostics = tree(tmp_path / "l", {
        "composer.json": "{}",
        "package.json": pkg(scripts={"build": "vite build"}, devDependencies={"vite": "^5",
                                                                                "laravel-vite-plugin": "^1"}),
        "vite.config.js": "export default {}\n",
    })
    assert laravel == [] and "node.package.asset-pipeline" in [d.code for d in diagnostics]


def test_framework_library_and_delegating_root_are_not_services(tmp_path: Path) -> None:
    library = only(tree(tmp_path / "lib", {
        "package.json": pkg(exports="./lib/index.js", files=["lib"], devDependencies={"express": "4"},
                            dependencies={"debug": "4"}),
        "lib/index.js": "module.exports = function listen(...args) { return this.server.listen(...args); };\n",
    })[0])
    assert library.kind == "library"
    components, _ = tree(tmp_path / "mern", {
        "package.json": pkg(scripts={"start": 'concurrently "npm start --prefix server" "npm start --prefix client"'},
                            devDependencies={"concurrently": "8"}),
        "server/package.json": json.dumps({"name": "server", "scripts": {"start": "node index.js"},
                                           "dependencies": {"express": "4"}}),
        "server/index.js": "require('express')().listen(5000);\n",
        "client/package.json": json.dumps({"name": "client", "dependencies": {"react-scripts": "5"},
                                           "scripts": {"start": "react-scripts start",
                                                       "build": "react-scripts build"}}),
    })
    assert sorted((c.path, c.kind) for c in components) == [("client", "static-site"), ("server", "service")]


def test_published_framework_packages_are_libraries(tmp_path: Path) -> None:
    plugin = only(tree(tmp_path / "plugin", {
        "package.json": pkg(exports={".": "./dist/index.js"}, peerDependencies={"next": ">=13"},
                            devDependencies={"next": "14"}, scripts={"build": "tsup"}),
        "next.config.js": "module.exports = {};\n"})[0])
    assert plugin.kind == "library"
    ui_kit = only(tree(tmp_path / "kit", {
        "package.json": pkg(types="dist/index.d.ts", files=["dist"], devDependencies={"vite": "5"},
                            scripts={"build": "vite build"}),
        "vite.config.ts": "export default { build: { lib: { entry: 'src/index.ts' } } };\n"})[0])
    assert ui_kit.kind == "library"


def test_servers_built_from_options_and_processes_that_never_listen(tmp_path: Path) -> None:
    graph = only(tree(tmp_path / "graph", {
        "package.json": pkg(scripts={"start": "node index.js"}, dependencies={"@apollo/server": "4"}),
        "index.js": "const { url } = await startStandaloneServer(server, {\n  listen: { port: 4100 },\n});\n"})[0])
    assert (graph.framework, [p.port for p in graph.ports]) == ("apollo-server", [4100])
    sockets = only(tree(tmp_path / "ws", {
        "package.json": pkg(scripts={"start": "node relay.js"}, dependencies={"ws": "8"}),
        "relay.js": "const { WebSocketServer } = require('ws');\n"
                    "const wss = new WebSocketServer({ port: 8090 });\n"})[0])
    assert (sockets.kind, [p.port for p in sockets.ports]) == ("service", [8090])
    bot = only(tree(tmp_path / "bot", {
        "package.json": pkg(scripts={"start": "node bot.js"}, dependencies={"discord.js": "14"}),
        "bot.js": "const client = new Client({ intents: [] });\nclient.login(process.env.DISCORD_TOKEN);\n"})[0])
    assert (bot.kind, bot.ports) == ("worker", ()) and env(bot)["DISCORD_TOKEN"] == (None, True)
    assert bot.run is not None and bot.run.command == ("node", "bot.js")


@pytest.mark.parametrize(("files", "framework", "output"), [
    ({"package.json": pkg(dependencies={"react-scripts": "5"}, scripts={"build": "react-scripts build",
                                                                         "start": "react-scripts start"})},
     "create-react-app", "build"),
    ({"package.json": pkg(dependencies={"astro": "4"}, scripts={"build": "astro build"}),
      "astro.config.mjs": "export default defineConfig({ outDir: './public-dist' });\n"}, "astro", "public-dist"),
    ({"package.json": pkg(dependencies={"@sveltejs/kit": "2", "@sveltejs/adapter-static": "3"},
                          scripts={"build": "vite build"})}, "sveltekit", "build"),
    ({"package.json": pkg(dependencies={"next": "14"}, scripts={"build": "next build"}),
      "next.config.js": "module.exports = { output: 'export', distDir: 'site' };\n"}, "next", "site"),
    ({"package.json": pkg(dependencies={"@angular/core": "17"}, scripts={"build": "ng build"}),
      "angular.json": json.dumps({"projects": {"shop": {"architect": {"build": {
          "builder": "@angular-devkit/build-angular:application", "options": {"outputPath": "dist/shop"}}}}}})},
     "angular", "dist/shop/browser"),
    ({"package.json": pkg(dependencies={"gatsby": "5"}, scripts={"build": "gatsby build"})}, "gatsby", "public"),
])
def test_static_frameworks(tmp_path: Path, files: dict[str, str], framework: str, output: str) -> None:
    site = only(tree(tmp_path, files)[0])
    assert (site.kind, site.framework) == ("static-site", framework)
    assert site.build is not None and site.build.output_dir == output
    assert [p.port for p in site.ports] == [8080]


def test_astro_with_node_adapter_is_a_server(tmp_path: Path) -> None:
    app = only(tree(tmp_path, {
        "package.json": pkg(dependencies={"astro": "4", "@astrojs/node": "8"}, scripts={"build": "astro build"}),
        "astro.config.mjs": "export default defineConfig({\n  output: 'server',\n"
                            "  adapter: node({ mode: 'standalone' }),\n});\n",
    })[0])
    assert app.kind == "service" and [p.port for p in app.ports] == [4321]
    assert app.run is not None and app.run.command == ("node", "./dist/server/entry.mjs")
    assert env(app)["HOST"] == ("0.0.0.0", False)


def test_nuxt_runs_its_output_server(tmp_path: Path) -> None:
    app = only(tree(tmp_path, {"package.json": pkg(dependencies={"nuxt": "3"},
                                                   scripts={"build": "nuxt build", "dev": "nuxt dev"})})[0])
    assert app.kind == "service" and app.run is not None
    assert app.run.command == ("node", ".output/server/index.mjs")


def test_dev_start_script_yields_to_prod_script_and_typescript_output(tmp_path: Path) -> None:
    prod = only(tree(tmp_path / "a", {
        "package.json": pkg(scripts={"start": "nodemon src/index.js", "start:prod": "node --enable-source-maps "
                                     "src/index.js"}, dependencies={"express": "4"}),
        "src/index.js": "require('express')().listen(3000);\n"})[0])
    assert prod.run is not None and prod.run.command == ("node", "--enable-source-maps", "src/index.js")
    compiled = only(tree(tmp_path / "b", {
        "package.json": pkg(scripts={"build": "tsc", "dev": "tsx watch src/server.ts"},
                            dependencies={"hono": "4", "@hono/node-server": "1"}),
        "tsconfig.json": '{ "compilerOptions": { "outDir": "./build", }, // lenient\n "include": ["src"] }',
        "src/server.ts": "serve({ fetch: app.fetch, port: 8787 });\n"})[0])
    assert compiled.run is not None and compiled.run.command == ("node", "build/server.js")
    assert [p.port for p in compiled.ports] == [8787]


def test_express_generator_bin_www(tmp_path: Path) -> None:
    app = only(tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node ./bin/www"}, dependencies={"express": "4"}),
        "bin/www": ("#!/usr/bin/env node\nvar app = require('../app');\nvar http = require('http');\n"
                    "var port = normalizePort(process.env.PORT || '3050');\napp.set('port', port);\n"
                    "var server = http.createServer(app);\nserver.listen(port);\n"),
        "app.js": "var express = require('express');\nvar app = express();\nmodule.exports = app;\n",
    })[0])
    assert app.run is not None and app.run.command == ("node", "./bin/www")
    assert [p.port for p in app.ports] == [3050] and evidence(app, "ports").file == "bin/www"


def test_procfile_overrides_run_and_adds_release_and_worker(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(scripts={"start": "node server.js"}, dependencies={"express": "4", "knex": "3"}),
        "server.js": "require('express')().listen(process.env.PORT || 3000);\n",
        "Procfile": "web: node --max-old-space-size=512 server.js\nrelease: npx knex migrate:latest\n"
                    "worker: node jobs.js\n",
    })
    web, worker = only(components, "app"), only(components, "app-worker")
    assert web.run is not None and web.run.command == ("node", "--max-old-space-size=512", "server.js")
    assert (evidence(web, "run").file, evidence(web, "run").line, evidence(web, "run").confidence) == (
        "Procfile", 1, 0.95)
    assert [m.command for m in web.migrations] == [("npx", "knex", "migrate:latest")]
    assert worker.kind == "worker" and worker.ports == () and worker.run is not None
    assert worker.run.command == ("node", "jobs.js")


def test_pnpm_workspace_with_turbo(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "package.json": pkg(name="mono", private=True, scripts={"build": "turbo run build"},
                            devDependencies={"turbo": "2"}, packageManager="pnpm@9.1.0"),
        "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - 'packages/*'\n  - '!packages/legacy'\n",
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "turbo.json": '{"tasks": {"build": {"dependsOn": ["^build"]}}}',
        "apps/admin/package.json": json.dumps({"name": "admin", "scripts": {"build": "vite build"},
                                               "devDependencies": {"vite": "5"},
                                               "dependencies": {"@mono/db": "workspace:*"}}),
        "apps/admin/vite.config.ts": "export default {}\n",
        "packages/db/package.json": json.dumps({"name": "@mono/db", "main": "index.js",
                                                "dependencies": {"pg": "8"}}),
        "packages/legacy/package.json": json.dumps({"name": "legacy", "main": "index.js"}),
        "examples/demo/package.json": json.dumps({"name": "demo", "scripts": {"start": "node x.js"}}),
        ".github/actions/label/package.json": json.dumps({"name": "label", "main": "dist/index.js"}),
        "test/fixtures/app/package.json": json.dumps({"name": "fx", "scripts": {"start": "node x.js"}}),
        "apps/admin-e2e/package.json": json.dumps({"name": "admin-e2e", "scripts": {"start": "playwright test"}}),
    })
    assert sorted(c.path for c in components) == ["apps/admin", "packages/db", "packages/legacy"]
    admin = only(components, "admin")
    assert admin.kind == "static-site" and admin.build is not None
    assert admin.build.build == ("pnpm exec turbo run build --filter=admin",)
    assert admin.build.output_dir == "dist" and admin.build.context == "."  # output relative to apps/admin
    assert admin.build.install == ("corepack enable", "pnpm install --frozen-lockfile")
    assert only(components, "mono-db").kind == "library"
    assert only(components, "legacy").kind == "library"  # not a member (negated) but has main


def test_nx_integrated_workspace(tmp_path: Path) -> None:
    components, _ = tree(tmp_path, {
        "nx.json": '{"targetDefaults": {}}',
        "package.json": pkg(name="@org/source", private=True, dependencies={"@nestjs/core": "10", "pg": "8",
                                                                            "react": "18"},
                            devDependencies={"nx": "19", "@nx/webpack": "19", "vite": "5"}),
        "package-lock.json": '{"lockfileVersion": 3}',
        "apps/api/project.json": json.dumps({"name": "api", "projectType": "application", "targets": {"build": {
            "executor": "@nx/webpack:webpack", "options": {"target": "node", "outputPath": "dist/apps/api",
                                                          "main": "apps/api/src/main.ts"}}}}, indent=2),
        "apps/api/src/main.ts": ("import { NestFactory } from '@nestjs/core';\nimport { Pool } from 'pg';\n"
                                 "const port = process.env.PORT || 3333;\nawait app.listen(port);\n"),
        "apps/shop/project.json": json.dumps({"name": "shop", "projectType": "application"}),
        "apps/shop/vite.config.ts": "export default defineConfig({ build: { outDir: '../../dist/apps/shop' } });\n",
        "apps/shop/src/main.tsx": "createRoot(document.getElementById('root')!).render(<App />);\n",
        "libs/data/project.json": json.dumps({"name": "data", "projectType": "library"}),
    })
    assert sorted((c.path, c.kind) for c in components) == [
        ("apps/api", "service"), ("apps/shop", "static-site"), ("libs/data", "library")]
    api, shop = only(components, "api"), only(components, "shop")
    assert api.framework == "nestjs" and [p.port for p in api.ports] == [3333] and env(api)["PORT"] == ("3333", False)
    assert api.run is not None and api.run.command == ("node", "../../dist/apps/api/main.js")
    assert api.build is not None and api.build.build == ("npx nx build api",) and api.build.context == "."
    assert [d.service for d in api.depends_on] == ["postgres"]
    assert shop.build is not None and shop.build.output_dir == "../../dist/apps/shop" and shop.framework == "vite"


def test_key_lines_follow_nesting() -> None:
    text = '{\n  "name": "x",\n  "scripts": {\n    "start": "node a.js"\n  },\n  "workspaces": [\n    "a",\n' \
           '    "b"\n  ]\n}\n'
    lines = key_lines(text)
    assert lines[("scripts", "start")] == 4 and lines[("workspaces", 1)] == 8 and lines[("name",)] == 2


# --- robustness ---------------------------------------------------------------------------------

JS_SNIPPETS = st.sampled_from([
    "app.listen(process.env.PORT || 3000)", "const { A, B = 'x' } = process.env;", "fastify.listen({ port: ",
    "@Controller('health') @Get()", "/* unterminated", "`${process.env.X}", "server.listen(((((", "'\\",
    "app.get('/healthz', h)", "new Worker(", "import.meta.env.VITE_", "const PORT = PORT || PORT;\napp.listen(PORT)",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=st.one_of(st.text(max_size=200), st.sampled_from([
    '{"scripts": 3}', '{"workspaces": {"packages": [1, null]}}', '[]', '{"dependencies": {"express": 4}}',
    '{"engines": {"node": ">=99999999999"}, "scripts": {"start": "node \'"}}', '{"bin": 7, "main": {}}',
    '{"packageManager": "yarn@", "workspaces": ["**", "!"]}', '{"name": "@@@", "scripts": {"start": "next start -p"}}',
])), source=st.one_of(st.text(max_size=300), st.lists(JS_SNIPPETS, max_size=5).map("\n".join)))
def test_analyze_never_raises(manifest: str, source: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "package.json").write_text(manifest)
        (root / "server.js").write_text(source)
        (root / "sub").mkdir()
        (root / "sub" / "package.json").write_text('{"name": "sub", "scripts": {"start": "node ../server.js"}}')
        (root / "sub" / "index.js").write_text(source)
        (root / "nx.json").write_text("{}")
        (root / "apps" / "x" / "src").mkdir(parents=True)
        (root / "apps" / "x" / "project.json").write_text(manifest)
        (root / "apps" / "x" / "src" / "main.ts").write_text(source)
        (root / "apps" / "x" / "webpack.config.js").write_text(source)
        components, diagnostics = run(root)
    assert all(c.analyzer == "node" for c in components)
    assert all(d.file is not None for d in diagnostics)
