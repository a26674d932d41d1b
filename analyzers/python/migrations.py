"""Schema migrations: Django, Alembic, Flask-Migrate, Aerich, Yoyo.

A migration runs once per release as a Job, never in the start command of every replica
(what Nixpacks and Railpack do with ``migrate && gunicorn``).
"""

from __future__ import annotations

import posixpath

from kubify.analyzers.draft import Draft, Site
from kubify.analyzers.python.django import DjangoProject
from kubify.analyzers.python.manifests import Project
from kubify.ir import Migration
from kubify.scan import Inventory, join, relative_to


def add_migrations(draft: Draft, inventory: Inventory, root: str, nested: list[str], project: Project,
                   django: DjangoProject | None, flask_app: str | None) -> None:
    """Record the migration tool the component uses, if any."""
    if django is not None:
        command: tuple[str, ...] = ("python", relative_to(django.manage, root), "migrate", "--noinput")
        _add(draft, Migration(tool="django", command=command), "python.migrations.django", Site(django.manage, 1), 0.8)
        return
    flask_migrate = project.has("flask-migrate")
    ini = _alembic_ini(inventory, root, nested)
    if flask_migrate is not None and (inventory.has(join(root, "migrations", "env.py")) or ini is None):
        command = ("flask", "--app", flask_app, "db", "upgrade") if flask_app else ("flask", "db", "upgrade")
        _add(draft, Migration(tool="flask-migrate", command=command), "python.migrations.flask-migrate",
             Site(flask_migrate.file, flask_migrate.line), 0.8)
        return
    if ini is not None:
        local = relative_to(ini, root)
        command = ("alembic", "upgrade", "head") if local == "alembic.ini" else \
            ("alembic", "-c", local, "upgrade", "head")
        _add(draft, Migration(tool="alembic", command=command), "python.migrations.alembic", Site(ini, 1), 0.8)
        return
    aerich = project.tools.get("aerich")
    if aerich is not None or (project.has("aerich") and inventory.has_dir(join(root, "migrations"))):
        requirement = project.has("aerich")
        site = aerich or (Site(requirement.file, requirement.line) if requirement else None)
        _add(draft, Migration(tool="aerich", command=("aerich", "upgrade")), "python.migrations.aerich", site, 0.7)
        return
    yoyo = project.has("yoyo-migrations")
    if yoyo is not None:
        config = join(root, "yoyo.ini")
        command = ("yoyo", "apply", "--batch") if inventory.has(config) else \
            ("yoyo", "apply", "--batch", "--database", "$(DATABASE_URL)", "migrations")
        _add(draft, Migration(tool="yoyo", command=command), "python.migrations.yoyo", Site(yoyo.file, yoyo.line), 0.7)


def _alembic_ini(inventory: Inventory, root: str, nested: list[str]) -> str | None:
    candidates = [f for f in inventory.under(root) if posixpath.basename(f) == "alembic.ini"
                  and relative_to(f, root).count("/") <= 2 and not any(f.startswith(n + "/") for n in nested)]
    return min(candidates, key=lambda f: (f.count("/"), f)) if candidates else None


def _add(draft: Draft, migration: Migration, rule: str, site: Site | None, confidence: float) -> None:
    """Add a migration unless the deployer already declared one for the tool (a Procfile ``release:``)."""
    if any(m.tool == migration.tool for m in draft.values.get("migrations", ())):
        return
    draft.values["migrations"] = (*draft.values.get("migrations", ()), migration)
    draft.note("migrations", migration.tool, rule, site, confidence)
