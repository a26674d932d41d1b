"""The Python analyzer: roots, manifests, entry points, ports, env, health, services, migrations.

Fixture tests check every inferred field AND that its evidence points at the file and line
that justify it (lines are looked up in the fixture's text, never hard-coded). Small trees
built in ``tmp_path`` cover the rules one at a time; a property test feeds arbitrary bytes.
"""

from __future__ import annotations

import codecs
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify.analyzers.base import Analysis
from kubify.analyzers.python import ANALYZER
from kubify.analyzers.python.commands import command_port, split_migrations, to_argv
from kubify.analyzers.python.pyversion import choose_minor, exact_minor
from kubify.analyzers.python.requirements import normalize, parse_requirement, read_requirements
from kubify.ir import Component, Dependency, Evidence, Health, Metrics, Migration, Port
from kubify.scan import Inventory, scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


# --- helpers ------------------------------------------------------------------------------------

def analyze_tree(root: Path) -> tuple[list[str], list[Component], Analysis]:
    """(detected roots, all components, the merged analysis) of a directory."""
    inventory = scan(root)
    detections = ANALYZER.detect(inventory)
    merged = Analysis()
    for detection in detections:
        analysis = ANALYZER.analyze(inventory, detection)
        merged.components += analysis.components
        merged.diagnostics += analysis.diagnostics
    return [d.root for d in detections], merged.components, merged


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))
    return root


def build(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[list[str], list[Component], Analysis]:
    root = tmp_path / "repo"
    root.mkdir(parents=True)
    return analyze_tree(write_tree(root, files))


def fixture(name: str) -> tuple[list[Component], Analysis]:
    _, components, analysis = analyze_tree(FIXTURES / name)
    return components, analysis


def only(components: list[Component], name: str | None = None) -> Component:
    matching = [c for c in components if name is None or c.name == name]
    assert len(matching) == 1, [c.name for c in components]
    return matching[0]


def line_of(fixture_name: str, rel: str, needle: str) -> int:
    """The 1-based line of ``needle`` in a fixture file (how evidence lines are checked)."""
    data = (FIXTURES / fixture_name / rel).read_bytes()
    text = data.decode("utf-16") if data.startswith(codecs.BOM_UTF16_LE) else data.decode("utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def best(component: Component, field: str, rule: str | None = None) -> Evidence:
    """The most confident evidence for ``field`` (optionally of one rule)."""
    candidates = [e for e in component.evidence if e.field == field and (rule is None or e.rule == rule)]
    assert candidates, f"no evidence for {field} ({rule}) in {[e.rule for e in component.evidence]}"
    return max(candidates, key=lambda e: e.confidence)


def env(component: Component, name: str) -> tuple[str | None, bool, bool]:
    var = next(e for e in component.env if e.name == name)
    return var.default, var.secret, var.required


def at(evidence: Evidence) -> tuple[str | None, int | None]:
    return evidence.file, evidence.line


# --- fixture: FastAPI + uv ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api() -> Component:
    return only(fixture("py-fastapi-uv")[0])


@pytest.fixture(scope="module")
def parts() -> tuple[list[Component], Analysis]:
    return fixture("py-django-poetry")


@pytest.fixture(scope="module")
def app() -> Component:
    return only(fixture("py-flask-pip")[0])


class TestFastapiUv:
    name = "py-fastapi-uv"

    def test_identity_kind_framework(self, api: Component) -> None:
        assert (api.name, api.path, api.kind, api.language, api.framework) == \
            ("orders-api", ".", "service", "python", "fastapi")
        assert at(best(api, "framework")) == ("app/main.py", line_of(self.name, "app/main.py", "app = FastAPI("))
        assert at(best(api, "kind")) == ("app/main.py", line_of(self.name, "app/main.py", "app = FastAPI("))

    def test_uv_lockfile_build(self, api: Component) -> None:
        assert api.package_manager == "uv"
        assert at(best(api, "package_manager")) == ("uv.lock", 1)
        assert api.build is not None and api.build.generated
        assert api.build.base_image == "python:3.12-slim"
        assert api.build.install == ("pip install --no-cache-dir uv", "uv sync --frozen --no-dev --no-install-project")

    def test_version_from_python_version_file(self, api: Component) -> None:
        assert api.language_version == "3.12"
        assert at(best(api, "language_version")) == (".python-version", 1)

    def test_run_targets_the_real_module_and_the_settings_port(self, api: Component) -> None:
        assert api.run is not None
        assert api.run.command == ("uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8080")
        assert api.ports == (Port(port=8080, name="http"),)
        port = best(api, "ports")
        assert at(port) == ("app/config.py", line_of(self.name, "app/config.py", "port: int = 8080"))
        call = best(api, "ports", "python.app.server-call")
        assert at(call) == ("app/main.py", line_of(self.name, "app/main.py", "uvicorn.run("))

    def test_pydantic_settings_env_with_prefix_alias_and_secrets(self, api: Component) -> None:
        names = [e.name for e in api.env]
        assert names == sorted(names)
        assert {"DATABASE_URL", "ORDERS_PORT", "ORDERS_LOG_LEVEL", "ORDERS_API_TOKEN", "ORDERS_PAGE_SIZE"} <= set(names)
        assert env(api, "ORDERS_PORT") == ("8080", False, False)
        assert env(api, "ORDERS_LOG_LEVEL") == ("info", False, False)
        assert env(api, "ORDERS_PAGE_SIZE") == ("50", False, False)
        assert env(api, "ORDERS_API_TOKEN") == (None, True, True)
        assert env(api, "DATABASE_URL") == (None, True, True)
        evidence = next(e for e in api.evidence if e.field == "env" and e.value == "DATABASE_URL")
        assert at(evidence) == ("app/config.py", line_of(self.name, "app/config.py", "database_url:"))
        assert "TEST_ONLY_FLAG" not in names  # tests are not runtime code

    def test_health_route_on_an_included_router(self, api: Component) -> None:
        assert api.health == Health(type="http", path="/healthz", port=8080)
        assert at(best(api, "health")) == ("app/routes/health.py",
                                           line_of(self.name, "app/routes/health.py", '@router.get("/healthz")'))

    def test_postgres_from_asyncpg(self, api: Component) -> None:
        assert api.depends_on == (Dependency(service="postgres"),)
        evidence = best(api, "depends_on")
        assert evidence.rule == "python.dependency.asyncpg"
        assert at(evidence) == ("pyproject.toml", line_of(self.name, "pyproject.toml", '"asyncpg>=0.30"'))

    def test_alembic_migration_is_not_in_the_start_command(self, api: Component) -> None:
        assert api.migrations == (Migration(tool="alembic", command=("alembic", "upgrade", "head")),)
        assert at(best(api, "migrations")) == ("alembic.ini", 1)
        assert api.run is not None and "alembic" not in " ".join(api.run.command)


# --- fixture: Django + Poetry + Procfile ---------------------------------------------------------------

class TestDjangoPoetry:
    name = "py-django-poetry"

    def test_web_and_a_distinct_worker_component(self, parts: tuple[list[Component], Analysis]) -> None:
        components, _ = parts
        assert sorted((c.name, c.kind, c.path) for c in components) == \
            [("bookshelf", "service", "."), ("bookshelf-worker", "worker", ".")]

    def test_procfile_web_overrides_the_start_command(self, parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert web.framework == "django"
        assert web.run is not None and web.run.shell
        assert web.run.command == ("gunicorn bookshelf.wsgi:application --bind 0.0.0.0:$PORT --workers 3 "
                                   "--access-logfile -",)
        run = best(web, "run")
        assert (run.confidence, at(run)) == (0.95, ("Procfile", line_of(self.name, "Procfile", "web:")))

    def test_port_comes_from_port_env_with_the_django_default(self, parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert [p.port for p in web.ports] == [8000]
        assert env(web, "PORT") == ("8000", False, False)
        port_env = next(e for e in web.evidence if e.field == "env" and e.value == "PORT")
        assert at(port_env) == ("Procfile", line_of(self.name, "Procfile", "web:"))

    def test_release_line_is_the_only_migration(self, parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert web.migrations == (Migration(tool="django", command=("python", "manage.py", "migrate", "--noinput")),)
        assert at(best(web, "migrations")) == ("Procfile", line_of(self.name, "Procfile", "release:"))

    def test_poetry_lock_and_python_constraint(self, parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert web.package_manager == "poetry"
        assert web.build is not None
        assert web.build.install[-1] == "poetry install --only main --no-root --no-interaction"
        assert web.language_version == "3.11"
        assert at(best(web, "language_version")) == ("pyproject.toml",
                                                     line_of(self.name, "pyproject.toml", 'python = "^3.11"'))

    def test_settings_env_and_secrets(self, parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert env(web, "DJANGO_SECRET_KEY") == (None, True, True)
        assert env(web, "POSTGRES_DB") == ("bookshelf", False, False)
        assert env(web, "POSTGRES_PASSWORD")[1] is True
        assert "DJANGO_SETTINGS_MODULE" not in {e.name for e in web.env}  # set by the code itself
        secret = next(e for e in web.evidence if e.field == "env" and e.value == "DJANGO_SECRET_KEY")
        assert at(secret) == ("bookshelf/settings.py",
                              line_of(self.name, "bookshelf/settings.py", 'os.environ["DJANGO_SECRET_KEY"]'))

    def test_services_and_health(self, parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert web.depends_on == (Dependency(service="postgres"), Dependency(service="redis"))
        postgres = next(e for e in web.evidence if e.field == "depends_on" and e.value == "postgres")
        assert at(postgres) == ("pyproject.toml", line_of(self.name, "pyproject.toml", "psycopg ="))
        assert web.health == Health(type="http", path="/healthz/", port=8000)
        assert at(best(web, "health")) == ("bookshelf/urls.py", line_of(self.name, "bookshelf/urls.py", '"healthz/"'))

    def test_worker_runs_the_procfile_command_without_serving(self, parts: tuple[list[Component], Analysis]) -> None:
        worker = only(parts[0], "bookshelf-worker")
        assert worker.run is not None
        assert worker.run.command == ("celery", "-A", "bookshelf", "worker", "--loglevel=info", "--concurrency=2")
        assert worker.framework == "celery"
        assert (worker.ports, worker.health, worker.migrations) == ((), None, ())
        assert "PORT" not in {e.name for e in worker.env}
        assert "DJANGO_SECRET_KEY" in {e.name for e in worker.env}
        assert worker.build == only(parts[0], "bookshelf").build
        assert at(best(worker, "run")) == ("Procfile", line_of(self.name, "Procfile", "worker:"))

    def test_no_collectstatic_when_settings_need_secrets_to_import(self,
                                                                   parts: tuple[list[Component], Analysis]) -> None:
        web = only(parts[0], "bookshelf")
        assert web.build is not None and web.build.build == ()


# --- fixture: Flask + pip (UTF-16 requirements) ----------------------------------------------------

class TestFlaskPip:
    name = "py-flask-pip"

    def test_gunicorn_runs_the_module_level_app_built_by_the_factory(self, app: Component) -> None:
        assert (app.kind, app.framework) == ("service", "flask")
        assert app.run is not None and app.run.command == ("gunicorn", "--bind", "0.0.0.0:8000", "wsgi:app")
        assert at(best(app, "run")) == ("wsgi.py", line_of(self.name, "wsgi.py", "app = create_app()"))
        assert app.ports == (Port(port=8000, name="http"),)
        assert best(app, "ports").confidence == 0.5

    def test_utf16_requirements_with_includes(self, app: Component) -> None:
        assert app.package_manager == "pip"
        assert app.build is not None
        assert app.build.install == ("pip install --no-cache-dir -r requirements.txt",)
        assert app.depends_on == (Dependency(service="postgres"), Dependency(service="redis"))
        postgres = next(e for e in app.evidence if e.field == "depends_on" and e.value == "postgres")
        assert at(postgres) == ("requirements.txt", line_of(self.name, "requirements.txt", "psycopg2-binary"))
        redis = next(e for e in app.evidence if e.field == "depends_on" and e.value == "redis")
        assert redis.rule == "python.dependency.flask-caching-redis"
        flask = best(app, "framework", "python.dependency.flask")
        assert at(flask) == ("requirements-base.txt", line_of(self.name, "requirements-base.txt", "Flask=="))

    def test_runtime_txt_version(self, app: Component) -> None:
        assert app.language_version == "3.11"
        assert app.build is not None and app.build.base_image == "python:3.11-slim"
        assert at(best(app, "language_version")) == ("runtime.txt", 1)

    def test_blueprint_health_and_metrics(self, app: Component) -> None:
        assert app.health == Health(type="http", path="/health", port=8000)
        route = line_of(self.name, "notes/health.py", '@bp.route("/health"')
        assert at(best(app, "health")) == ("notes/health.py", route)
        assert app.metrics == Metrics(path="/metrics", port=8000)
        assert at(best(app, "metrics")) == ("notes/__init__.py",
                                            line_of(self.name, "notes/__init__.py", "PrometheusMetrics(app)"))

    def test_env_from_code_and_example(self, app: Component) -> None:
        assert env(app, "DATABASE_URL") == (None, True, True)
        assert env(app, "NOTES_PER_PAGE") == ("20", False, False)
        assert env(app, "SECRET_KEY")[1] is True


# --- fixtures: library, CLI, Streamlit ----------------------------------------------------------------

def test_library_is_not_forced_into_a_service() -> None:
    components, _ = fixture("py-library")
    library = only(components)
    assert (library.name, library.kind, library.run, library.ports, library.build) == \
        ("tinyretry", "library", None, (), None)
    assert library.depends_on == ()
    assert at(best(library, "kind")) == ("pyproject.toml", line_of("py-library", "pyproject.toml", "[build-system]"))
    assert library.language_version == "3.11"  # lowest supported minor allowed by >=3.9


def test_cli_with_console_scripts_and_pdm_lock() -> None:
    components, _ = fixture("py-cli")
    cli = only(components)
    assert (cli.name, cli.kind, cli.framework, cli.package_manager) == ("csvtool", "cli", "typer", "pdm")
    assert cli.run is not None and cli.run.command == ("csvtool",)
    assert at(best(cli, "kind")) == ("pyproject.toml", line_of("py-cli", "pyproject.toml", "csvtool = "))
    assert cli.build is not None and cli.build.install[-1] == "pdm install --prod --frozen-lockfile --no-editable"
    assert cli.ports == () and cli.health is None
    assert env(cli, "CSVTOOL_DELIMITER") == (",", False, False)


def test_streamlit_app_port_from_its_config_and_builtin_health() -> None:
    components, _ = fixture("py-streamlit")
    app = only(components)
    assert (app.kind, app.framework) == ("service", "streamlit")
    assert app.run is not None
    assert app.run.command == ("streamlit", "run", "streamlit_app.py", "--server.address", "0.0.0.0",
                               "--server.port", "8502")
    assert app.ports == (Port(port=8502, name="http"),)
    assert at(best(app, "ports")) == (".streamlit/config.toml",
                                      line_of("py-streamlit", ".streamlit/config.toml", "port = 8502"))
    assert app.health == Health(type="http", path="/_stcore/health", port=8502)
    assert app.depends_on == (Dependency(service="postgres"),)
    assert app.language_version == "3.12"


def test_every_fixture_field_has_evidence_with_a_real_line() -> None:
    for name in ("py-fastapi-uv", "py-django-poetry", "py-flask-pip", "py-library", "py-cli", "py-streamlit"):
        for component in fixture(name)[0]:
            for field in ("kind", "language", "language_version", "framework", "package_manager", "build", "run",
                          "ports", "health", "metrics"):
                if getattr(component, field) not in (None, (), Component.model_fields[field].default):
                    assert component.evidence_for(field), (name, component.name, field)
            for evidence in component.evidence:
                if evidence.file is not None:
                    path = FIXTURES / name / evidence.file
                    assert path.is_file(), (name, evidence)
                    assert evidence.line is not None
                    assert 1 <= evidence.line <= max(1, len(path.read_bytes().splitlines())), (name, evidence)


# --- roots --------------------------------------------------------------------------------------------

def test_monorepo_roots_skip_tooling_docs_and_tests(tmp_path: Path) -> None:
    roots, components, _ = build(tmp_path, {
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "requirements-dev.txt": "pre-commit\n",
        "docs/requirements.txt": "sphinx\n",
        "tests/requirements.txt": "pytest\n",
        "frontend/package.json": "{}",
        "services/api/pyproject.toml": "[project]\nname = 'api'\ndependencies = ['fastapi', 'uvicorn']\n",
        "services/api/api/__init__.py": "",
        "services/api/api/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "services/api/api/sub/requirements.txt": "httpx\n",
        "services/worker/requirements.txt": "celery[redis]\n",
        "services/worker/worker.py": "from celery import Celery\napp = Celery('worker')\n",
    })
    assert roots == ["services/api", "services/worker"]
    assert {(c.name, c.kind) for c in components} == {("api", "service"), ("worker", "worker")}
    worker = only(components, "worker")
    assert worker.run is not None and worker.run.command == ("celery", "-A", "worker", "worker", "--loglevel=INFO")


def test_misspelled_and_utf16_requirements_make_a_root(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "flask\r\ngunicorn\r\n".encode("utf-16-le")
    roots, components, _ = build(tmp_path, {
        "requirments.txt": data,
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
    })
    assert roots == ["."]
    app = only(components)
    assert app.framework == "flask" and app.run is not None
    assert app.run.command == ("gunicorn", "--bind", "0.0.0.0:8000", "app:app")


def test_manifestless_script_directory_is_a_weak_root(tmp_path: Path) -> None:
    inventory = scan(write_tree(tmp_path, {
        "bot.py": "import os\nimport discord\nclient = discord.Client()\n"
                  "if __name__ == '__main__':\n    client.run(os.environ['DISCORD_TOKEN'])\n",
        "helpers/util.py": "X = 1\n",
    }))
    (detection,) = ANALYZER.detect(inventory)
    assert (detection.root, detection.score) == (".", 0.5)
    bot = only(ANALYZER.analyze(inventory, detection).components)
    assert (bot.kind, bot.framework) == ("worker", "discord")
    assert bot.run is not None and bot.run.command == ("python", "bot.py")
    assert env_names(bot) == ["DISCORD_TOKEN"]


def env_names(component: Component) -> list[str]:
    return [e.name for e in component.env]


def test_no_python_root_in_a_node_repo_with_tooling_scripts(tmp_path: Path) -> None:
    roots, _, _ = build(tmp_path, {
        "package.json": "{}",
        "scripts/requirements.txt": "requests\n",
        "scripts/release.py": "if __name__ == '__main__':\n    pass\n",
    })
    assert roots == []


def test_uv_workspace_members_build_from_the_workspace_root(tmp_path: Path) -> None:
    roots, components, _ = build(tmp_path, {
        "pyproject.toml": "[project]\nname = 'mono'\nversion = '0'\n[tool.uv.workspace]\nmembers = ['packages/*']\n",
        "uv.lock": "version = 1\n",
        "packages/api/pyproject.toml": "[project]\nname = 'shop-api'\ndependencies = ['fastapi[standard]']\n",
        "packages/api/src/shop_api/main.py": "from fastapi import FastAPI\napi = FastAPI()\n",
        "packages/lib/pyproject.toml": "[project]\nname = 'shop-lib'\n[build-system]\nrequires = ['hatchling']\n"
                                       "build-backend = 'hatchling.build'\n",
        "packages/lib/src/shop_lib/__init__.py": "X = 1\n",
    })
    assert roots == ["packages/api", "packages/lib"]
    api = only(components, "shop-api")
    assert api.build is not None and api.build.context == "."
    assert api.build.install[-1] == "uv sync --frozen --no-dev --package shop-api"
    assert api.run is not None
    assert api.run.command == ("uvicorn", "shop_api.main:api", "--host", "0.0.0.0", "--port", "8000",
                               "--app-dir", "src")
    assert only(components, "shop-lib").kind == "library"


# --- entry points and ports ----------------------------------------------------------------------------

def test_fastapi_factory_and_uvicorn_run_port_from_env(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "fastapi\nuvicorn\n",
        "service/__init__.py": "",
        "service/factory.py": """\
            from fastapi import FastAPI

            def create_app() -> FastAPI:
                app = FastAPI()
                return app
            """,
        "run.py": """\
            import os
            import uvicorn

            if __name__ == "__main__":
                uvicorn.run("service.factory:create_app", factory=True, port=int(os.getenv("PORT", "9001")))
            """,
    })
    app = only(components)
    assert app.run is not None
    assert app.run.command == ("uvicorn", "service.factory:create_app", "--host", "0.0.0.0", "--port", "9001",
                               "--factory")
    assert app.ports == (Port(port=9001, name="http"),)
    assert env(app, "PORT") == ("9001", False, False)
    assert at(best(app, "ports")) == ("run.py", 5)


def test_flask_dev_server_when_no_wsgi_server_is_declared(tmp_path: Path) -> None:
    _, components, analysis = build(tmp_path, {
        "requirements.txt": "flask\n",
        "app/__init__.py": """\
            from flask import Flask

            def create_app():
                app = Flask(__name__)

                @app.route("/healthz")
                def healthz():
                    return "ok"

                return app
            """,
    })
    app = only(components)
    assert app.run is not None
    assert app.run.command == ("flask", "--app", "app:create_app()", "run", "--host", "0.0.0.0", "--port", "5000")
    assert app.ports == (Port(port=5000, name="http"),)
    assert app.health == Health(type="http", path="/healthz", port=5000)
    assert [d.code for d in analysis.diagnostics] == ["python.server.dev-server"]


def test_flask_main_block_binding_all_interfaces_runs_the_file(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "flask\n",
        "app.py": """\
            from flask import Flask
            app = Flask(__name__)

            if __name__ == "__main__":
                app.run(host="0.0.0.0", port=5001)
            """,
    })
    app = only(components)
    assert app.run is not None and app.run.command == ("python", "app.py")
    assert app.ports == (Port(port=5001, name="http"),)
    assert at(best(app, "ports")) == ("app.py", 5)


def test_django_in_a_subdirectory_with_a_settings_package(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "pyproject.toml": "[project]\nname = 'portal'\nrequires-python = '>=3.12,<3.13'\n"
                          "dependencies = ['django>=5', 'gunicorn', 'psycopg[binary]', 'django-environ']\n",
        "src/manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.production')\n",
        "src/config/__init__.py": "",
        "src/config/settings/__init__.py": "",
        "src/config/settings/base.py": """\
            import environ
            env = environ.Env(DEBUG=(bool, False))
            SECRET_KEY = env("SECRET_KEY")
            DATABASES = {"default": env.db()}
            WSGI_APPLICATION = "config.wsgi.application"
            """,
        "src/config/settings/production.py": "from .base import *\nALLOWED_HOSTS = env.list('ALLOWED_HOSTS')\n",
        "src/config/wsgi.py": "from django.core.wsgi import get_wsgi_application\n"
                              "application = get_wsgi_application()\n",
        "src/config/urls.py": "from django.urls import include, path\n"
                              "urlpatterns = [path('api/', include('api.urls'))]\n",
        "src/api/__init__.py": "",
        "src/api/urls.py": "from django.urls import path\nurlpatterns = [path('health/', lambda request: None)]\n",
    })
    site = only(components)
    assert site.framework == "django" and site.language_version == "3.12"
    assert site.run is not None
    assert site.run.command == ("gunicorn", "--bind", "0.0.0.0:8000", "--chdir", "src", "config.wsgi:application")
    assert at(best(site, "run")) == ("src/config/settings/base.py", 5)
    assert site.migrations == (Migration(tool="django", command=("python", "src/manage.py", "migrate", "--noinput")),)
    assert site.health == Health(type="http", path="/api/health/", port=8000)
    assert env(site, "DEBUG") == ("false", False, False)
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"} <= set(env_names(site))
    assert site.depends_on == (Dependency(service="postgres"),)


def test_router_prefix_chain_through_settings(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "fastapi[standard]\npydantic-settings\n",
        "app/__init__.py": "",
        "app/config.py": "from pydantic_settings import BaseSettings\nclass Settings(BaseSettings):\n"
                         "    API_V1_STR: str = '/api/v1'\nsettings = Settings()\n",
        "app/main.py": "from fastapi import FastAPI\nfrom app.api import api_router\nfrom app.config import settings\n"
                       "app = FastAPI()\napp.include_router(api_router, prefix=settings.API_V1_STR)\n",
        "app/api.py": "from fastapi import APIRouter\nfrom app import utils\napi_router = APIRouter()\n"
                      "api_router.include_router(utils.router)\n",
        "app/utils.py": "from fastapi import APIRouter\nrouter = APIRouter(prefix='/utils')\n"
                        "@router.get('/health-check/')\ndef health_check(): return True\n",
    })
    assert only(components).health == Health(type="http", path="/api/v1/utils/health-check/", port=8000)


def test_router_mounted_with_an_unknown_prefix_gives_no_probe(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "fastapi\nuvicorn\n",
        "main.py": "from fastapi import FastAPI\nfrom routes import router\nimport os\napp = FastAPI()\n"
                   "app.include_router(router, prefix=os.environ['API_PREFIX'])\n",
        "routes.py": "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('/health')\ndef h(): return 1\n",
    })
    assert only(components).health is None


def test_celery_app_next_to_a_web_app_becomes_a_worker(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "fastapi\nuvicorn\ncelery\n",
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "jobs/__init__.py": "",
        "jobs/queue.py": "from celery import Celery\nbroker = Celery('jobs', broker='redis://redis:6379/0')\n",
    })
    web, worker = sorted(components, key=lambda c: c.name)
    assert (web.name, web.kind, worker.name, worker.kind) == ("repo", "service", "repo-worker", "worker")
    assert worker.run is not None
    assert worker.run.command == ("celery", "-A", "jobs.queue:broker", "worker", "--loglevel=INFO")
    assert Dependency(service="redis") in web.depends_on
    redis = next(e for e in web.evidence if e.field == "depends_on" and e.value == "redis")
    assert (redis.rule, at(redis)) == ("python.code.url", ("jobs/queue.py", 2))


def test_procfile_port_default_and_migrate_prefix(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "fastapi\nuvicorn\nalembic\n",
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "Procfile": "web: alembic upgrade head && uvicorn main:app --host 0.0.0.0 --port ${PORT:-5000}\n",
    })
    app = only(components)
    assert app.run is not None and app.run.command == ("uvicorn main:app --host 0.0.0.0 --port ${PORT:-5000}",)
    assert app.run.shell
    assert app.ports == (Port(port=5000, name="http"),)
    assert env(app, "PORT") == ("5000", False, False)
    assert app.migrations == (Migration(tool="alembic", command=("alembic", "upgrade", "head")),)


def test_procfile_worker_only_replaces_a_script_job(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "requests\n",
        "main.py": "if __name__ == '__main__':\n    print('hi')\n",
        "Procfile": "worker: python main.py --forever\nclock: python main.py --schedule\n",
    })
    main, clock = sorted(components, key=lambda c: c.name)
    assert (main.kind, clock.name, clock.kind) == ("worker", "repo-clock", "worker")
    assert main.run is not None and main.run.command == ("python", "main.py", "--forever")


def test_script_kinds_loop_consumer_and_job(tmp_path: Path) -> None:
    _, loop, _ = build(tmp_path / "a", {
        "requirements.txt": "prometheus-client\n",
        "main.py": "from prometheus_client import start_http_server\nimport time\n"
                   "if __name__ == '__main__':\n    start_http_server(9102)\n    while True:\n        time.sleep(1)\n",
    })
    worker = only(loop)
    assert worker.kind == "worker" and worker.metrics == Metrics(path="/metrics", port=9102)
    _, consumer, _ = build(tmp_path / "c", {
        "requirements.txt": "pika\n",
        "consume.py": "x = 1\n",
        "main.py": "import pika\nif __name__ == '__main__':\n    pika.BlockingConnection()\n",
    })
    assert only(consumer).kind == "worker"
    assert only(consumer).depends_on == (Dependency(service="rabbitmq"),)
    _, job, analysis = build(tmp_path / "b", {"requirements.txt": "requests\n",
                                              "main.py": "if __name__ == '__main__':\n    print(1)\n"})
    assert only(job).kind == "job"
    assert "python.kind.script" in [d.code for d in analysis.diagnostics]


def test_gradio_and_tornado_run_their_own_file(tmp_path: Path) -> None:
    _, gradio, _ = build(tmp_path / "g", {
        "requirements.txt": "gradio\n",
        "app.py": "import gradio as gr\ndemo = gr.Interface(fn=str, inputs='text', outputs='text')\ndemo.launch()\n",
    })
    app = only(gradio)
    assert (app.framework, app.ports) == ("gradio", (Port(port=7860, name="http"),))
    assert app.run is not None and app.run.command == ("python", "app.py")
    assert env(app, "GRADIO_SERVER_NAME") == ("0.0.0.0", False, False)
    _, tornado, _ = build(tmp_path / "t", {
        "requirements.txt": "tornado\n",
        "server.py": """\
            import tornado.ioloop
            import tornado.web

            class Health(tornado.web.RequestHandler):
                def get(self):
                    self.write("ok")

            if __name__ == "__main__":
                app = tornado.web.Application([(r"/healthz", Health)])
                app.listen(8888)
                tornado.ioloop.IOLoop.current().start()
            """,
    })
    server = only(tornado)
    assert (server.framework, server.ports, server.health) == \
        ("tornado", (Port(port=8888, name="http"),), Health(type="http", path="/healthz", port=8888))


def test_env_readers_decouple_environ_subscript_and_getenv(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "flask\ngunicorn\npython-decouple\n",
        "app.py": """\
            import os
            from os import getenv as ge
            from decouple import config
            from flask import Flask

            app = Flask(__name__)
            DEBUG = config("DEBUG", default=False, cast=bool)
            TIMEOUT = ge("TIMEOUT", "30")
            FLAG = os.getenv("FEATURE_FLAG", False)
            KEY = os.environ["STRIPE_SECRET_KEY"]
            BROKER = config("BROKER_URL")
            name = "DYNAMIC"
            DYN = os.getenv(name)
            """,
    })
    app = only(components)
    assert env(app, "DEBUG") == ("false", False, False)
    assert env(app, "TIMEOUT") == ("30", False, False)
    assert env(app, "FEATURE_FLAG") == (None, False, False)  # a bool default is not the string "False"
    assert env(app, "STRIPE_SECRET_KEY") == (None, True, True)
    assert env(app, "BROKER_URL") == (None, True, True)
    assert "DYNAMIC" not in env_names(app)
    stripe = next(e for e in app.evidence if e.field == "env" and e.value == "STRIPE_SECRET_KEY")
    assert at(stripe) == ("app.py", 10)


def test_pipfile_and_setup_py_manifests(tmp_path: Path) -> None:
    _, pipenv, _ = build(tmp_path / "p", {
        "Pipfile": "[packages]\nfastapi = '*'\nuvicorn = {extras = ['standard'], version = '*'}\nredis = '*'\n"
                   "[dev-packages]\npymongo = '*'\n[requires]\npython_version = '3.11'\n",
        "Pipfile.lock": "{}",
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    })
    app = only(pipenv)
    assert (app.package_manager, app.language_version) == ("pipenv", "3.11")
    assert app.build is not None and app.build.install[-1] == "pipenv install --deploy"
    assert app.depends_on == (Dependency(service="redis"),)  # dev packages do not count
    assert at(best(app, "language_version")) == ("Pipfile", 8)
    _, setup, _ = build(tmp_path / "s", {
        "setup.py": "from setuptools import setup\nDEPS = ['flask', 'waitress', 'pymongo']\n"
                    "setup(name='svc', install_requires=DEPS,\n"
                    "      entry_points={'console_scripts': ['svc = svc.cli:main']})\n",
        "svc/__init__.py": "",
        "svc/app.py": "from flask import Flask\napplication = Flask(__name__)\n",
    })
    svc = only(setup)
    assert (svc.name, svc.kind, svc.package_manager) == ("svc", "service", "pip")
    assert svc.run is not None and svc.run.command == ("waitress-serve", "--listen=0.0.0.0:8080", "svc.app:application")
    assert svc.depends_on == (Dependency(service="mongodb"),)


def test_conda_environment(tmp_path: Path) -> None:
    _, components, analysis = build(tmp_path, {
        "environment.yml": "name: ml\ndependencies:\n  - python=3.10\n  - numpy\n  - pip\n  - pip:\n"
                           "    - fastapi\n    - uvicorn\n",
        "serve.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    })
    app = only(components)
    assert (app.package_manager, app.language_version) == ("conda", "3.10")
    assert app.build is not None and (app.build.base_image or "").startswith("condaforge/")
    assert "python.version.end-of-life" in [d.code for d in analysis.diagnostics]


# --- robustness --------------------------------------------------------------------------------------

def test_broken_manifests_and_code_are_diagnostics(tmp_path: Path) -> None:
    roots, components, analysis = build(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['flask',, ]\n",
        "requirements.txt": "-r missing.txt\n-r requirements.txt\nflask\n",
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "broken.py": "def (:\n",
    })
    assert roots == ["."]
    assert only(components).framework == "flask"
    by_code = {d.code: d for d in analysis.diagnostics}
    assert (by_code["toml.syntax"].file, by_code["toml.syntax"].line) == ("pyproject.toml", 3)
    assert by_code["toml.syntax"].severity == "warning"
    assert by_code["python.requirements.include-missing"].line == 1
    assert by_code["python.requirements.include-cycle"].line == 2
    assert (by_code["python.syntax"].file, by_code["python.syntax"].line) == ("broken.py", 1)


def test_huge_python_files_are_skipped(tmp_path: Path) -> None:
    _, components, analysis = build(tmp_path, {
        "requirements.txt": "fastapi\n",
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "generated.py": "X = 1\n" * 200_000,
    })
    assert only(components).framework == "fastapi"
    assert [d.file for d in analysis.diagnostics if d.code == "python.scan.too-large"] == ["generated.py"]


MANIFESTS = ("requirements.txt", "pyproject.toml", "app.py", "Pipfile", "setup.py", "manage.py", "Procfile")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(MANIFESTS), st.one_of(st.binary(max_size=400),
                                                              st.text(max_size=400).map(str.encode)),
                       min_size=1, max_size=4))
def test_analyze_never_raises_on_arbitrary_bytes(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = write_tree(Path(directory), {"main.py": b"from fastapi import FastAPI\napp = FastAPI()\n", **files})
        inventory: Inventory = scan(root)
        for detection in ANALYZER.detect(inventory):
            analysis = ANALYZER.analyze(inventory, detection)
            assert all(c.analyzer == "python" for c in analysis.components)


# --- small parsers -----------------------------------------------------------------------------------

def test_requirement_strings() -> None:
    parsed = parse_requirement("Flask_SQLAlchemy[Async, redis] >=3 ; python_version > '3.8'", "r.txt", 3)
    assert parsed is not None and (parsed.name, parsed.extras, parsed.line) == ("flask-sqlalchemy",
                                                                                 ("async", "redis"), 3)
    egg = parse_requirement("git+https://github.com/x/y.git@v1#egg=Django_Extensions", "r.txt", 1)
    assert egg is not None and egg.name == "django-extensions"
    assert parse_requirement("./local/wheel.whl", "r.txt", 1) is None
    assert parse_requirement("https://example.org/pkg.tar.gz", "r.txt", 1) is None
    named = parse_requirement("pkg @ https://example.org/pkg.tar.gz", "r.txt", 1)
    assert named is not None and named.name == "pkg"
    assert normalize("Zope.Interface__x") == "zope-interface-x"


def test_requirements_file_features(tmp_path: Path) -> None:
    inventory = scan(write_tree(tmp_path, {
        "requirements.txt": "# comment\n-r base/common.txt\n-e .\n--index-url https://x\n"
                            "requests==2.32.3 \\\n    --hash=sha256:abc\npsycopg[binary]  # pg\n",
        "base/common.txt": "Django>=5\n",
    }))
    parsed = read_requirements(inventory, "requirements.txt")
    assert [(r.name, r.file, r.line) for r in parsed.requirements] == [
        ("django", "base/common.txt", 1), ("requests", "requirements.txt", 5), ("psycopg", "requirements.txt", 7)]
    assert parsed.editable_self and parsed.includes == ["base/common.txt"] and parsed.diagnostics == []


@pytest.mark.parametrize(("spec", "minor"), [
    (">=3.10", "3.11"), ("^3.12", "3.12"), ("~=3.12", "3.12"), ("3.12.4", "3.12"), (">=3.8,<3.11", "3.10"),
    ("==3.11.*", "3.11"), (">=3.9, <4.0", "3.11"), ("!=3.11.*,>=3.11", "3.12"), (">3.12", "3.13"),
    ("<3.12.0,>=3.11", "3.11"), ("~3.13", "3.13"), ("3.6 || ^3.13", "3.13"),
])
def test_python_constraints_resolve_to_one_minor(spec: str, minor: str) -> None:
    choice = choose_minor(spec)
    assert choice is not None and choice.version == minor


def test_unusable_constraints() -> None:
    assert choose_minor("*") is None and choose_minor("latest") is None
    assert exact_minor("python-3.12.1") == "3.12" and exact_minor("pypy") is None


@pytest.mark.parametrize(("command", "port", "from_env"), [
    ("gunicorn app:app --bind 0.0.0.0:$PORT", None, True),
    ("gunicorn app:app -b :8001", 8001, False),
    ("uvicorn main:app --port=${PORT:-7000}", 7000, True),
    ("python manage.py runserver 0.0.0.0:8005", 8005, False),
    ("streamlit run app.py --server.port 8600", 8600, False),
    ("daphne -b 0.0.0.0 -p 9000 proj.asgi:application", 9000, False),
])
def test_command_ports(command: str, port: int | None, from_env: bool) -> None:
    found = command_port(command)
    assert found is not None and (found.port, found.from_env) == (port, from_env)


def test_command_without_port_and_exec_form() -> None:
    assert command_port("celery -A proj worker") is None
    assert to_argv("celery -A proj worker") == (("celery", "-A", "proj", "worker"), False)
    assert to_argv("gunicorn app:app --bind :$PORT") == (("gunicorn app:app --bind :$PORT",), True)
    split = split_migrations("python manage.py migrate --noinput && gunicorn proj.wsgi")
    assert split.start == "gunicorn proj.wsgi"
    assert split.migrations == (Migration(tool="django", command=("python", "manage.py", "migrate", "--noinput")),)


# --- later rules ---------------------------------------------------------------------------------------

def test_gunicorn_config_file_names_the_port(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "flask\ngunicorn\n",
        "gunicorn.conf.py": "import os\nworkers = 2\nbind = f\"0.0.0.0:{os.getenv('PORT', '8080')}\"\n",
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
    })
    app = only(components)
    assert app.run is not None and app.run.command == ("gunicorn", "-c", "gunicorn.conf.py", "app:app")
    assert app.ports == (Port(port=8080, name="http"),)
    assert env(app, "PORT") == ("8080", False, False)
    assert at(best(app, "ports")) == ("gunicorn.conf.py", 3)


def test_procfile_with_semicolons_and_an_rq_worker(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "flask\nflask-migrate\ngunicorn\nrq\nredis\n",
        "microblog.py": "from app import create_app\napp = create_app()\n",
        "app/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
        "config.py": "import os\nclass Config:\n"
                     "    DATABASE_URL = os.environ.get('DATABASE_URL', '').replace('postgres://', 'postgresql://')\n",
        "migrations/env.py": "from alembic import context\n",
        "Procfile": "web: flask db upgrade; flask translate compile; gunicorn microblog:app\n"
                    "worker: rq worker microblog-tasks\n",
    })
    web, worker = sorted(components, key=lambda c: c.name)
    assert web.run is not None and web.run.command == ("flask translate compile && gunicorn microblog:app",)
    assert web.migrations == (Migration(tool="flask-migrate", command=("flask", "db", "upgrade")),)
    assert (worker.name, worker.framework) == ("repo-worker", "rq")
    assert worker.run is not None and worker.run.command == ("rq", "worker", "microblog-tasks")
    assert Dependency(service="postgres") not in web.depends_on  # 'postgres://' alone names no server


def test_imported_app_run_in_a_main_script(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "flask\n",
        "app/__init__.py": "from flask import Flask\napp = Flask(__name__)\n",
        "run.py": "from app import app\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=8080)\n",
    })
    app = only(components)
    assert app.run is not None and app.run.command == ("python", "run.py")
    assert app.ports == (Port(port=8080, name="http"),)


def test_documentation_apps_do_not_make_a_library_a_service(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "pyproject.toml": "[project]\nname = 'webkit'\ndependencies = ['starlette']\n[build-system]\n"
                          "requires = ['hatchling']\nbuild-backend = 'hatchling.build'\n",
        "webkit/__init__.py": "class App: pass\n",
        "docs_src/tutorial001.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "examples/basic/app.py": "from flask import Flask\napp = Flask(__name__)\n",
    })
    assert [(c.name, c.kind) for c in components] == [("webkit", "library")]


def test_package_main_is_a_cli_and_chainlit_serves_its_script(tmp_path: Path) -> None:
    _, tool, _ = build(tmp_path / "t", {
        "pyproject.toml": "[project]\nname = 'tool'\n[build-system]\nrequires = ['setuptools']\n"
                          "build-backend = 'setuptools.build_meta'\n",
        "tool/__init__.py": "",
        "tool/__main__.py": "import sys\nif __name__ == '__main__':\n    sys.exit(0)\n",
    })
    cli = only(tool)
    assert cli.kind == "cli" and cli.run is not None and cli.run.command == ("python", "-m", "tool")
    _, chat, _ = build(tmp_path / "c", {"requirements.txt": "chainlit\n",
                                        "app.py": "import chainlit as cl\n@cl.on_message\nasync def main(m): pass\n"})
    app = only(chat)
    assert (app.framework, app.ports) == ("chainlit", (Port(port=8000, name="http"),))
    assert app.run is not None
    assert app.run.command == ("chainlit", "run", "app.py", "--host", "0.0.0.0", "--port", "8000", "--headless")


def test_requirements_in_a_packaging_directory_belong_to_the_code_beside_it(tmp_path: Path) -> None:
    roots, components, _ = build(tmp_path, {
        "docker/requirements.txt": "fastapi\nuvicorn\nredis\n",
        "docker/Dockerfile": "FROM python:3.12-slim\n",
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    })
    assert roots == ["."]
    app = only(components)
    assert app.build is not None and app.build.install == ("pip install --no-cache-dir -r docker/requirements.txt",)
    redis = best(app, "depends_on")
    assert (redis.value, at(redis)) == ("redis", ("docker/requirements.txt", 3))


PY_LINES = (
    "import os", "import uvicorn", "from fastapi import FastAPI, APIRouter", "from flask import Flask, Blueprint",
    "from celery import Celery", "import gradio as gr", "from pydantic_settings import BaseSettings",
    "app = FastAPI()", "app = Flask(__name__)", "app = create_app()", "router = APIRouter(prefix=PREFIX)",
    "bp = Blueprint('x', __name__, url_prefix=os.environ['P'])", "app.include_router(router, prefix=settings.X)",
    "app.register_blueprint(bp)", "@app.get('/healthz')\ndef h(): pass", "@router.route(PATH)\ndef r(): pass",
    "PORT = int(os.getenv('PORT', 'eighty'))", "PORT = int(os.getenv('PORT', 99999))", "PORT = settings.port",
    "uvicorn.run(app, host=HOST, port=PORT)", "uvicorn.run('main:app', port=-1)", "app.run(port=os.environ['P'])",
    "class Settings(BaseSettings):\n    port: int = 8000\n    x: str = Field(alias=1)",
    "class S(Settings):\n    model_config = {'env_prefix': None}", "c = Celery('x', broker='redis://r:6379/0')",
    "demo = gr.Interface(fn=str, inputs='text', outputs='text')\ndemo.launch(server_port=0)",
    "if __name__ == '__main__':\n    app.run(host='0.0.0.0', port=PORT)", "while True:\n    pass",
    "os.environ[KEY]", "os.getenv()", "os.getenv('1BAD')", "x = os.environ['A' 'B']", "path('health/', v)",
    "def create_app():\n    return Flask(__name__)", "urlpatterns = [re_path(r'^(?P<x>\\d+)/$', v)]",
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PY_LINES), min_size=1, max_size=12), st.lists(st.sampled_from(PY_LINES), max_size=6),
       st.sampled_from(("requirements.txt", "Procfile", "pyproject.toml")),
       st.sampled_from(("fastapi\nuvicorn\n", "flask\n", "web: gunicorn main:app -b :$PORT\nworker: celery -A x\n",
                        "[project]\nname = 'x'\nscripts = {x = 'y'}\n")))
def test_analyze_never_raises_on_odd_but_valid_python(main: list[str], other: list[str], manifest: str,
                                                      content: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = write_tree(Path(directory), {"main.py": "\n".join(main) + "\n", "pkg/mod.py": "\n".join(other) + "\n",
                                            manifest: content})
        inventory = scan(root)
        for detection in ANALYZER.detect(inventory):
            analysis = ANALYZER.analyze(inventory, detection)
            names = [c.name for c in analysis.components]
            assert len(names) == len(set(names))


def test_celery_schedule_adds_a_single_beat_process(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "requirements.txt": "celery[redis]\n",
        "tasks.py": """\
            from celery import Celery

            app = Celery("tasks", broker="redis://redis:6379/0")
            app.conf.beat_schedule = {"tick": {"task": "tasks.tick", "schedule": 60.0}}

            @app.task
            def tick():
                return 1
            """,
    })
    worker, beat = sorted(components, key=lambda c: c.name)
    assert worker.run is not None and worker.run.command == ("celery", "-A", "tasks", "worker", "--loglevel=INFO")
    assert (beat.name, beat.kind) == ("repo-beat", "worker")
    assert beat.run is not None and beat.run.command == ("celery", "-A", "tasks", "beat", "--loglevel=INFO")
    assert (beat.scaling.min_replicas, beat.scaling.max_replicas) == (1, 1)
    assert at(best(beat, "run")) == ("tasks.py", 4)
    assert beat.depends_on == worker.depends_on == (Dependency(service="redis"),)


def test_manifests_without_python_code_are_not_components(tmp_path: Path) -> None:
    roots, _, _ = build(tmp_path, {
        "package.json": "{\"name\": \"site\"}",
        "index.js": "console.log(1)\n",
        "requirements.txt": "mkdocs\nmkdocs-material\n",
        "environment/environment.yml": "dependencies:\n  - python=3.12\n",
    })
    assert roots == []


FRAMEWORK_CASES = {
    "starlette": ({"requirements.txt": "starlette\nuvicorn\n",
                   "app.py": "from starlette.applications import Starlette\nfrom starlette.routing import Route\n"
                             "async def h(r): pass\napp = Starlette(routes=[Route('/healthz', h)])\n"},
                  ("uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"), 8000, "/healthz"),
    "sanic": ({"requirements.txt": "sanic\n",
               "server.py": "from sanic import Sanic\napp = Sanic('x')\n@app.get('/ping')\nasync def p(r): pass\n"
                            "if __name__ == '__main__':\n    app.run(host='0.0.0.0', port=9000)\n"},
              ("sanic", "server:app", "--host", "0.0.0.0", "--port", "9000"), 9000, "/ping"),
    "quart": ({"requirements.txt": "quart\n", "app.py": "from quart import Quart\napp = Quart(__name__)\n"},
              ("hypercorn", "app:app", "--bind", "0.0.0.0:8000"), 8000, None),
    "dash": ({"requirements.txt": "dash\ngunicorn\n",
              "app.py": "from dash import Dash, html\napp = Dash(__name__)\nserver = app.server\n"
                        "if __name__ == '__main__':\n    app.run(debug=True)\n"},
             ("gunicorn", "--bind", "0.0.0.0:8000", "app:server"), 8000, None),
    "litestar": ({"requirements.txt": "litestar[standard]\n",
                  "app.py": "from litestar import Litestar, get\n@get('/health')\nasync def h() -> str: return 'ok'\n"
                            "app = Litestar([h])\n"},
                 ("uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"), 8000, "/health"),
    "django": ({"requirements.txt": "django\nchannels\ndaphne\nchannels-redis\n",
                "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'chat.settings')\n",
                "chat/settings.py": "INSTALLED_APPS = ['daphne', 'channels']\n"
                                    "ASGI_APPLICATION = 'chat.asgi.application'\n",
                "chat/asgi.py": "from channels.routing import ProtocolTypeRouter\n"
                                "application = ProtocolTypeRouter({})\n"},
               ("daphne", "-b", "0.0.0.0", "-p", "8000", "chat.asgi:application"), 8000, None),
    "aiohttp": ({"requirements.txt": "aiohttp\n",
                 "server/__init__.py": "",
                 "server/app.py": "from aiohttp import web\nasync def health(r): return web.Response(text='ok')\n"
                                  "def make_app():\n    app = web.Application()\n"
                                  "    app.router.add_get('/livez', health)\n    return app\n",
                 "main.py": "import os\nfrom aiohttp import web\nfrom server.app import make_app\n"
                            "if __name__ == '__main__':\n"
                            "    web.run_app(make_app(), port=int(os.environ.get('PORT', 8081)))\n"},
                ("python", "main.py"), 8081, "/livez"),
}


@pytest.mark.parametrize("framework", sorted(FRAMEWORK_CASES))
def test_framework_start_commands(tmp_path: Path, framework: str) -> None:
    files, argv, port, health = FRAMEWORK_CASES[framework]
    _, components, analysis = build(tmp_path, dict(files))
    app = only(components)
    assert (app.kind, app.framework) == ("service", framework)
    assert app.run is not None and app.run.command == argv
    assert app.ports == (Port(port=port, name="http"),)
    assert (app.health.path if app.health else None) == health
    assert "python.server.loopback" not in [d.code for d in analysis.diagnostics]


def test_instrumentator_metrics_and_aerich_migrations(tmp_path: Path) -> None:
    _, components, _ = build(tmp_path, {
        "pyproject.toml": "[project]\nname = 't'\ndependencies = ['fastapi', 'uvicorn', 'tortoise-orm[asyncpg]',"
                          " 'aerich', 'prometheus-fastapi-instrumentator']\n[tool.aerich]\n"
                          "tortoise_orm = 'app.db.TORTOISE'\n",
        "app/main.py": "from fastapi import FastAPI\nfrom prometheus_fastapi_instrumentator import Instrumentator\n"
                       "app = FastAPI()\nInstrumentator().instrument(app).expose(app, endpoint='/internal/metrics')\n",
    })
    app = only(components)
    assert app.metrics == Metrics(path="/internal/metrics", port=8000)
    assert at(best(app, "metrics")) == ("app/main.py", 4)
    assert app.migrations == (Migration(tool="aerich", command=("aerich", "upgrade")),)
    assert at(best(app, "migrations")) == ("pyproject.toml", 4)
    assert app.depends_on == (Dependency(service="postgres"),)


def test_tooling_requirements_in_another_language_repo_are_not_a_component(tmp_path: Path) -> None:
    roots, _, _ = build(tmp_path, {
        "package.json": "{\"name\": \"site\"}",
        "requirements.txt": "pre-commit\nansible\n",
        "scripts/bump_version.py": "if __name__ == '__main__':\n    print('bump')\n",
    })
    assert roots == []
