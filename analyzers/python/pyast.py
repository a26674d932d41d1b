"""Small, total helpers over :mod:`ast` nodes: qualified names, literals, environment reads.

Everything here answers "what does this expression statically mean?" and returns None
when the answer needs running the code. Imports are tracked per file so ``from os import
getenv as ge; ge("X")`` and ``os.environ.get("X")`` are recognised as the same read.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass

from kubify.ir import ENV_NAME

#: Calls that read one environment variable: qualified name → (name arg, default arg position or None).
ENV_GETTERS: frozenset[str] = frozenset({"os.getenv", "os.environ.get", "os.environb.get", "posix.environ.get"})
#: Constructors of objects whose calls read the environment (django-environ, environs, decouple, starlette).
ENV_READER_TYPES: frozenset[str] = frozenset({
    "environ.Env", "environ.FileAwareEnv", "environs.Env", "decouple.AutoConfig", "decouple.Config",
    "starlette.config.Config", "decouple.RepositoryEnv",
})
#: Functions that read the environment by themselves.
ENV_FUNCTIONS: frozenset[str] = frozenset({"decouple.config"})
#: django-environ helpers that default to a conventional variable name when called without one.
ENV_DEFAULT_NAMES: dict[str, str] = {"db": "DATABASE_URL", "db_url": "DATABASE_URL", "cache": "CACHE_URL",
                                     "cache_url": "CACHE_URL", "email": "EMAIL_URL", "email_url": "EMAIL_URL",
                                     "search_url": "SEARCH_URL", "channels_url": "CHANNELS_URL"}
#: django-environ/environs typed getters: ``env.str("X")`` is a read even when ``env`` comes from a star import.
TYPED_GETTERS: frozenset[str] = frozenset({
    "str", "bool", "int", "float", "list", "tuple", "dict", "url", "db", "db_url", "cache", "cache_url", "json",
    "path", "email", "email_url", "search_url", "decimal", "datetime", "date", "timedelta", "uuid", "log_level",
})
_NAME_OK = re.compile(ENV_NAME.pattern)
_UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")


def walk(tree: ast.AST) -> list[ast.AST]:
    """Every node below ``tree`` in ``ast.walk`` order, without its per-node generators (this runs on every
    file), skipping the ``Load``/``Store`` context markers nothing here looks at."""
    found: list[ast.AST] = []
    queue: deque[ast.AST] = deque((tree,))
    node_type = ast.AST
    while queue:
        node = queue.popleft()
        found.append(node)
        for name in node._fields:
            if name == "ctx":
                continue
            value = getattr(node, name, None)
            if type(value) is list:
                queue.extend([item for item in value if isinstance(item, node_type)])
            elif isinstance(value, node_type):
                queue.append(value)
    return found


def imports(nodes: list[ast.AST]) -> dict[str, str]:
    """Local name → qualified name for every import in the file (``gr`` → ``gradio``).

    Relative imports keep the part after the dots (``from .health import router`` → ``health.router``).
    """
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases.setdefault(local, alias.name if alias.asname else local)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    qualified = f"{node.module}.{alias.name}" if node.module else alias.name
                    aliases.setdefault(alias.asname or alias.name, qualified)
    return aliases


def qualname(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``os.environ.get`` for ``environ.get`` after ``from os import environ``; None for computed callees."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = qualname(node.value, aliases)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def dotted(node: ast.AST) -> str | None:
    """The dotted source text of a name or attribute chain (``settings.PORT``), unresolved."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal_text(node: ast.AST | None, *, typed: bool) -> str | None:
    """An env default as text; booleans only for typed readers (``os.getenv("X", False)`` is not ``"False"``)."""
    if not isinstance(node, ast.Constant) or node.value is None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            inner = literal_text(node.operand, typed=typed)
            return f"-{inner}" if inner is not None and not inner.startswith("-") else None
        return None
    value = node.value
    if isinstance(value, bool):
        return ("true" if value else "false") if typed else None
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def argument(call: ast.Call, position: int | None, *names: str) -> ast.expr | None:
    """The argument at ``position`` or passed as one of ``names``."""
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    if position is not None and len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


def valid_env_name(name: str | None) -> bool:
    return bool(name) and bool(_NAME_OK.match(name or "")) and len(name or "") <= 128


@dataclass(frozen=True)
class EnvCall:
    """A statically readable environment read: name, default text, and whether the code requires it."""

    name: str
    default: str | None
    required: bool
    line: int


def env_call(call: ast.Call, aliases: dict[str, str], readers: frozenset[str]) -> EnvCall | None:
    """The environment read ``call`` performs, if it is one (``os.getenv``, ``env.int``, ``config``...)."""
    name = qualname(call.func, aliases)
    if name in ENV_GETTERS:
        return _read(call, 0, argument(call, 1, "default"), typed=False, required=False)
    if name in ENV_FUNCTIONS or (isinstance(call.func, ast.Name) and call.func.id in readers):
        default = argument(call, None, "default")
        return _read(call, 0, default, typed=True, required=default is None)
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and (call.func.value.id in readers or _star_imported_env(call)) and not call.func.attr.startswith("_"):
        method = call.func.attr
        if not call.args and method in ENV_DEFAULT_NAMES:
            default = argument(call, None, "default")
            return EnvCall(ENV_DEFAULT_NAMES[method], None, default is None, call.lineno)
        default = argument(call, 1, "default")
        return _read(call, 0, default, typed=True, required=default is None)
    return None


def _star_imported_env(call: ast.Call) -> bool:
    """``env.list("ALLOWED_HOSTS")`` in a settings file that got ``env`` from ``from .base import *``."""
    assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
    key = string(call.args[0]) if call.args else None
    return call.func.value.id == "env" and call.func.attr in TYPED_GETTERS and bool(key and _UPPER.match(key))


def _read(call: ast.Call, position: int, default: ast.expr | None, *, typed: bool, required: bool) -> EnvCall | None:
    key = string(argument(call, position, "key", "var", "name", "option"))
    if key is None or not valid_env_name(key):
        return None
    return EnvCall(key, literal_text(default, typed=typed), required, call.lineno)


def environ_subscript(node: ast.Subscript, aliases: dict[str, str]) -> EnvCall | None:
    """``os.environ["X"]`` read in load context: a required variable."""
    if not isinstance(node.ctx, ast.Load) or qualname(node.value, aliases) not in ("os.environ", "os.environb"):
        return None
    key = string(node.slice)
    return EnvCall(key, None, True, node.lineno) if key is not None and valid_env_name(key) else None


def env_reader_names(nodes: list[ast.AST], aliases: dict[str, str]) -> frozenset[str]:
    """Local names bound to env-reading objects (``env = environ.Env()``, ``config = Config(".env")``)."""
    names = {local for local, qualified in aliases.items() if qualified in ENV_FUNCTIONS}
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names) \
                and "env" not in aliases:
            names.add("env")  # settings modules that get django-environ's ``env`` from ``from .base import *``
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and qualname(node.value.func, aliases) in ENV_READER_TYPES:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(names)


def env_scheme_defaults(call: ast.Call) -> list[EnvCall]:
    """django-environ's ``environ.Env(DEBUG=(bool, False))``: names with typed defaults."""
    found = []
    for keyword in call.keywords:
        if keyword.arg is None or not valid_env_name(keyword.arg):
            continue
        default = None
        if isinstance(keyword.value, ast.Tuple) and len(keyword.value.elts) == 2:
            default = literal_text(keyword.value.elts[1], typed=True)
        found.append(EnvCall(keyword.arg, default, False, keyword.lineno))
    return found
