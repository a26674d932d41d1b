"""Django projects: the settings module, the WSGI/ASGI application, static files, channels.

``manage.py`` names the settings module (``os.environ.setdefault("DJANGO_SETTINGS_MODULE",
"mysite.settings")``); the settings name the application (``WSGI_APPLICATION =
"mysite.wsgi.application"``). Both are read statically; when they are missing the
conventional ``<project>/wsgi.py`` next to ``settings.py`` is used, and the evidence
says which.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from kubify.analyzers.draft import Site
from kubify.analyzers.python.codeindex import CodeIndex
from kubify.analyzers.python.facts import ModuleFacts
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join, parent, relative_to

_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")


@dataclass(frozen=True)
class DjangoProject:
    """What kubify needs to run a Django project."""

    manage: str
    base: str
    settings_module: str | None
    settings_site: Site | None
    wsgi: str | None
    asgi: str | None
    app_site: Site | None
    static_root: Site | None
    channels: Site | None


def find_django(inventory: Inventory, index: CodeIndex, root: str, owned: list[str]) -> DjangoProject | None:
    """The Django project of ``root`` (its shallowest ``manage.py``), or None."""
    candidates = sorted((f for f in owned if posixpath.basename(f) == "manage.py"
                         and relative_to(f, root).count("/") <= 2),
                        key=lambda f: (f.count("/"), f))
    if not candidates:
        return None
    manage = candidates[0]
    base = parent(manage)
    settings_module, settings_site = _settings_module(inventory, manage)
    settings = _settings_files(index, base, settings_module)
    wsgi, asgi, app_site = _application(index, base, settings)
    static_root = next((f.defined["STATIC_ROOT"] for f in settings if "STATIC_ROOT" in f.defined), None)
    channels = next((s for f in settings for name in ("INSTALLED_APPS", "THIRD_PARTY_APPS")
                     for value, s in f.lists.get(name, []) if value in ("channels", "daphne")), None)
    return DjangoProject(manage, base, settings_module, settings_site, wsgi, asgi, app_site, static_root, channels)


def _settings_module(inventory: Inventory, manage: str) -> tuple[str | None, Site | None]:
    try:
        text = inventory.text(manage)
    except FileProblem:
        return None, None
    match = _SETTINGS.search(text)
    if match is None:
        return None, None
    line = text.count("\n", 0, match.start()) + 1
    return match.group(1), Site(manage, line)


def _settings_files(index: CodeIndex, base: str, module: str | None) -> list[ModuleFacts]:
    """The settings module's file(s): ``a/settings.py`` or every file of the ``a/settings/`` package."""
    found: list[ModuleFacts] = []
    if module is not None:
        path = join(base, module.replace(".", "/"))
        for rel in (f"{path}.py", join(path, "__init__.py")):
            if rel in index.modules:
                found.append(index.modules[rel])
        package = parent(path)
        if parent(path) != base and posixpath.basename(package) == "settings":
            found += [m for rel, m in sorted(index.modules.items()) if parent(rel) == package and m not in found]
    if not found:
        found = [m for rel, m in sorted(index.modules.items())
                 if posixpath.basename(rel) == "settings.py" or posixpath.basename(parent(rel)) == "settings"]
    return found


def _application(index: CodeIndex, base: str,
                 settings: list[ModuleFacts]) -> tuple[str | None, str | None, Site | None]:
    """(``proj.wsgi:application``, ``proj.asgi:application``, where the WSGI one was named)."""
    wsgi = asgi = None
    site: Site | None = None
    for facts in settings:
        if wsgi is None and "WSGI_APPLICATION" in facts.assigns:
            text, site = facts.assigns["WSGI_APPLICATION"]
            wsgi = _target(text)
        if asgi is None and "ASGI_APPLICATION" in facts.assigns:
            asgi = _target(facts.assigns["ASGI_APPLICATION"][0])
    for rel, facts in sorted(index.modules.items()):
        name = posixpath.basename(rel)
        if name not in ("wsgi.py", "asgi.py") or not _inside(rel, base):
            continue
        app = next((a for a in facts.apps if a.framework == "django"), None)
        module = ".".join(relative_to(rel, base)[:-3].split("/"))
        if app is None:
            continue
        if name == "wsgi.py" and wsgi is None:
            wsgi, site = f"{module}:{app.var}", app.site
        elif name == "asgi.py" and asgi is None:
            asgi = f"{module}:{app.var}"
    return wsgi, asgi, site


def _target(dotted_path: str) -> str | None:
    module, _, attr = dotted_path.rpartition(".")
    return f"{module}:{attr}" if module and attr else None


def _inside(rel: str, base: str) -> bool:
    return base == "." or rel.startswith(base + "/")
