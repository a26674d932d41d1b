"""The code of one Python root, parsed once: module facts, module names, settings, lookups.

Files are read through the inventory only, capped in number and size, skipping tests,
migrations and docs (they describe no runtime). A file that does not parse is an info
diagnostic, never an exception. Questions that span files — which variable ``settings.port``
names, which env vars a ``Settings`` subclass defined elsewhere reads — are answered here.
"""

from __future__ import annotations

import ast
import posixpath
import warnings
from dataclasses import dataclass
from functools import cached_property

from kubify.analyzers.draft import Site
from kubify.analyzers.python.facts import AppObject, EnvRead, Include, ModuleFacts, Value
from kubify.analyzers.python.settings import SettingsClass, SettingsField, env_name
from kubify.analyzers.python.source import read_module
from kubify.diagnostics import Diagnostic, FileProblem, info
from kubify.scan import Inventory, join, relative_to

#: At most this many ``.py`` files are parsed per component root (shallowest first).
MAX_FILES = 2000
#: Total characters parsed per root: bounds the time a huge monolith costs (shallow files come first).
MAX_TOTAL_CHARS = 6_000_000
#: Files larger than this are generated or vendored code; not parsed.
MAX_FILE_CHARS = 1_000_000
#: Directories whose code never runs in production.
SKIPPED_DIRS: frozenset[str] = frozenset({
    "tests", "test", "testing", "docs", "doc", "migrations", "examples", "example", "samples", "sample",
    "site-packages", "build", "dist", "fixtures", "benchmarks", "benchmark", "e2e", "scripts", "node_modules",
    "venv", ".venv", "env", "__pycache__", "testdata", "stubs", "typings",
})
#: Variable names that hold an app object even where we cannot see it built (inside a factory).
APP_NAMES: frozenset[str] = frozenset({"app", "application", "api", "server", "flask_app", "web_app"})
#: Directory name prefixes of documentation and sample code (``docs_src/``, ``examples_v2/``, ``tutorial-1/``).
_SKIPPED_PREFIXES = ("doc", "example", "sample", "demo", "tutorial", "bench", "test")
_SKIPPED_FILES = frozenset({"conftest.py", "setup.py", "noxfile.py", "fabfile.py", "tests.py", "tasks_test.py"})


def runtime_file(relative: str) -> bool:
    """False for tests, migrations, docs, samples and build helpers."""
    parts = relative.split("/")
    name = parts[-1]
    if name in _SKIPPED_FILES or name.startswith("test_") or name.endswith("_test.py"):
        return False
    return not any(part in SKIPPED_DIRS or part.startswith((".", *_SKIPPED_PREFIXES)) for part in parts[:-1])


@dataclass(frozen=True)
class ModulePath:
    """How to import a file: the directory to put on ``sys.path`` (None: the root) and the dotted module."""

    app_dir: str | None
    module: str


class CodeIndex:
    """Parsed facts of the runtime ``.py`` files a root owns."""

    def __init__(self, inventory: Inventory, root: str, files: list[str]) -> None:
        self.inventory = inventory
        self.root = root
        self.diagnostics: list[Diagnostic] = []
        runtime = [f for f in files if runtime_file(relative_to(f, root))]
        runtime.sort(key=lambda f: (f.count("/"), f))
        self.modules: dict[str, ModuleFacts] = {}
        self._budget = MAX_TOTAL_CHARS
        for count, rel in enumerate(runtime):
            if count >= MAX_FILES or self._budget <= 0:
                self.diagnostics.append(info("python.scan.truncated", f"read {count} of {len(runtime)} Python files "
                                             f"(limits: {MAX_FILES} files, {MAX_TOTAL_CHARS:,} characters); the "
                                             "deeper ones were skipped", file=None if root == "." else root))
                break
            facts = self._parse(rel)
            if facts is not None:
                self.modules[rel] = facts

    def _parse(self, rel: str) -> ModuleFacts | None:
        try:
            text = self.inventory.text(rel)
        except FileProblem as problem:
            self.diagnostics.append(problem.diagnostic.model_copy(update={"severity": "info"}))
            return None
        if len(text) > MAX_FILE_CHARS:
            self.diagnostics.append(info("python.scan.too-large", f"{len(text):,} characters; not parsed", file=rel))
            return None
        self._budget -= len(text)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=rel)
            return read_module(tree, rel)
        except SyntaxError as exc:
            self.diagnostics.append(info("python.syntax", f"does not parse as Python 3: {exc.msg}", file=rel,
                                         line=exc.lineno if exc.lineno and exc.lineno > 0 else None,
                                         hint="fix the syntax error, or ignore it if the file is not used"))
        except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
            self.diagnostics.append(info("python.unparsable", f"skipped: {type(exc).__name__}", file=rel))
        return None

    # --- modules ----------------------------------------------------------------------

    def module_path(self, rel: str) -> ModulePath:
        """``app.main`` for ``<root>/app/main.py``; ``src`` layouts and non-identifier dirs get an app dir."""
        relative = relative_to(rel, self.root)
        parts = relative[:-3].split("/") if relative.endswith(".py") else relative.split("/")
        base: list[str] = []
        if len(parts) > 1 and parts[0] == "src" and not self.inventory.has(join(self.root, "src", "__init__.py")):
            base, parts = ["src"], parts[1:]
        for index in range(len(parts) - 1, 0, -1):
            if not parts[index - 1].isidentifier():
                base, parts = base + parts[:index], parts[index:]
                break
        if parts and parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        app_dir = "/".join(base) if base else None
        return ModulePath(app_dir, ".".join(parts))

    def facts(self) -> list[ModuleFacts]:
        return list(self.modules.values())

    def apps(self) -> list[tuple[ModuleFacts, AppObject]]:
        return [(m, a) for m in self.modules.values() for a in m.apps]

    def imported(self, *packages: str) -> Site | None:
        for facts in self.modules.values():
            site = facts.imported(*packages)
            if site is not None:
                return site
        return None

    # --- settings classes -------------------------------------------------------------

    @cached_property
    def _classes(self) -> dict[str, SettingsClass]:
        classes: dict[str, SettingsClass] = {}
        for facts in self.modules.values():
            for cls in facts.settings:
                classes.setdefault(cls.name, cls)
        return classes

    def _is_settings(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        cls = self._classes.get(name)
        if cls is None or name in seen:
            return False
        return cls.direct or any(self._is_settings(base, seen | {name}) for base in cls.bases)

    def _effective(self, cls: SettingsClass, seen: frozenset[str] = frozenset()) -> tuple[str, bool,
                                                                                      dict[str, SettingsField]]:
        prefix, case_sensitive, fields = "", False, {}
        for base in cls.bases:
            parent = self._classes.get(base)
            if parent is not None and base not in seen and self._is_settings(base):
                prefix, case_sensitive, inherited = self._effective(parent, seen | {cls.name})
                fields.update(inherited)
        fields.update({f.attr: f for f in cls.fields})
        return (cls.prefix if cls.prefix is not None else prefix), cls.case_sensitive or case_sensitive, fields

    @cached_property
    def settings_reads(self) -> list[tuple[str, SettingsField]]:
        """(env var name, field) of every field of every settings class."""
        found: dict[str, SettingsField] = {}
        for name in sorted(self._classes):
            cls = self._classes[name]
            if not self._is_settings(name):
                continue
            prefix, case_sensitive, fields = self._effective(cls)
            for attr in sorted(fields):
                var = env_name(fields[attr], prefix, case_sensitive)
                if var is not None:
                    found.setdefault(var, fields[attr])
        return sorted(found.items())

    # --- lookups ----------------------------------------------------------------------

    def env_reads(self) -> list[EnvRead]:
        reads = [r for m in self.modules.values() for r in m.env]
        reads += [EnvRead(var, f.default, f.required, f.secret, f.site) for var, f in self.settings_reads]
        return sorted(reads, key=lambda r: (r.site, r.name))

    def resolve(self, value: Value | None, prefer: str | None = None) -> Value | None:
        """A reference (``settings.port``, ``args.port``, an imported ``PORT``) replaced by what it names."""
        if value is None or value.ref is None:
            return value
        leaf = value.ref.rsplit(".", 1)[-1].lower()
        ordered = sorted(self.modules.values(), key=lambda m: (m.file != prefer, m.file))
        for facts in ordered:
            found = facts.values.get(leaf)
            if found is not None:
                return found
        for var, settings_field in self.settings_reads:
            if settings_field.attr.lower() == leaf:
                return Value(settings_field.site, literal=settings_field.default, env=var)
        return value

    def route_prefix(self, facts: ModuleFacts, owner: str | None, depth: int = 0) -> str | None:
        """The URL prefix routes registered on ``owner`` in ``facts`` are served under; None if unknowable.

        Follows router prefixes and the includes that mount them (``app.include_router(api, prefix=...)``,
        ``register_blueprint``, Django ``include()``), resolving prefixes through settings defaults.
        """
        if depth > 8:
            return None
        own = self._literal(facts.prefixes.get(owner or ""), facts) if owner else ""
        if own is None:
            return None
        if owner in {a.var for a in facts.apps}:
            return own
        include = self._include_of(facts, owner)
        if include is None:
            # Never mounted where we can see: fine for app objects (also those local to a factory) and
            # route lists; a router mounted somewhere unseen has an unknown prefix.
            return own if owner is None or (owner in APP_NAMES and owner not in facts.prefixes) else None
        including, found = include
        outer = self.route_prefix(including, found.container, depth + 1) if found.container else ""
        prefix = self._literal(found.prefix, including)
        if outer is None or prefix is None:
            return None
        return _join_paths(outer, prefix, own)

    def _include_of(self, facts: ModuleFacts, owner: str | None) -> tuple[ModuleFacts, Include] | None:
        module = self.module_path(facts.file).module
        qualified = f"{module}.{owner}" if owner else module
        for other in self.modules.values():
            for include in other.includes:
                target = include.target
                if target == qualified or qualified.endswith("." + target) \
                        or (other is facts and owner is not None and target == owner):
                    return other, include
        return None

    def _literal(self, value: Value | None, facts: ModuleFacts) -> str | None:
        if value is None:
            return ""
        resolved = self.resolve(value, prefer=facts.file)
        return resolved.literal if resolved is not None else None


def _join_paths(*parts: str) -> str:
    joined = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    return "/" + joined if joined else ""


def url_join(prefix: str, path: str) -> str:
    """``/api`` + ``/health`` → ``/api/health``; keeps a trailing slash of ``path``."""
    if not prefix:
        return path
    return posixpath.join(prefix.rstrip("/") or "/", path.lstrip("/")) if path not in ("", "/") else prefix
