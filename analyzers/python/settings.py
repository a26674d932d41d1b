"""pydantic ``BaseSettings`` classes: each field is an environment variable the app reads.

``class Settings(BaseSettings): database_url: PostgresDsn`` reads ``DATABASE_URL``; an
``env_prefix`` (``model_config = SettingsConfigDict(env_prefix="APP_")`` or an inner
``class Config``) prefixes every name, ``Field(alias=...)``/``validation_alias``/v1
``env=`` replace it. Subclasses of a settings class defined in another file are
resolved by :mod:`.codeindex`, which sees every file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from kubify.analyzers.draft import Site
from kubify.analyzers.python.pyast import argument, literal_text, qualname, string, valid_env_name

_SECRET_TYPES = ("SecretStr", "SecretBytes", "PostgresDsn", "MySQLDsn", "RedisDsn", "MongoDsn", "AmqpDsn")
_SETTINGS_BASES = ("BaseSettings",)


@dataclass(frozen=True)
class SettingsField:
    attr: str
    alias: str | None
    default: str | None
    required: bool
    secret: bool
    site: Site


@dataclass(frozen=True)
class SettingsClass:
    name: str
    bases: tuple[str, ...]
    direct: bool
    prefix: str | None
    case_sensitive: bool
    fields: tuple[SettingsField, ...]
    site: Site


def env_name(settings_field: SettingsField, prefix: str, case_sensitive: bool) -> str | None:
    """The variable a field reads: its alias, or prefix + field name (upper-cased unless case-sensitive)."""
    name = settings_field.alias or f"{prefix}{settings_field.attr}"
    name = name if case_sensitive else name.upper()
    return name if valid_env_name(name) else None


def settings_classes(nodes: list[ast.AST], file: str, aliases: dict[str, str]) -> list[SettingsClass]:
    """Classes among ``nodes`` that derive (directly, or through a base defined elsewhere) from a settings base."""
    classes = [n for n in nodes if isinstance(n, ast.ClassDef)]
    local_classes = {n.name for n in classes}
    found = []
    for node in classes:
        bases = tuple(b for b in (qualname(base, aliases) for base in node.bases) if b is not None)
        direct = any(b.rsplit(".", 1)[-1] in _SETTINGS_BASES for b in bases)
        if not direct and not bases:
            continue
        prefix, case_sensitive = _config(node)
        fields = tuple(f for s in node.body if (f := _field(s, file, local_classes)) is not None)
        found.append(SettingsClass(node.name, tuple(b.rsplit(".", 1)[-1] for b in bases), direct, prefix,
                                   case_sensitive, fields, Site(file, node.lineno)))
    return found


def _config(node: ast.ClassDef) -> tuple[str | None, bool]:
    prefix: str | None = None
    case_sensitive = False
    for statement in node.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and _target(statement) == "model_config":
            value = statement.value
            if isinstance(value, ast.Call):
                prefix = string(argument(value, None, "env_prefix"))
                case_sensitive = _true(argument(value, None, "case_sensitive"))
            elif isinstance(value, ast.Dict):
                pairs = {string(k): v for k, v in zip(value.keys, value.values, strict=True) if k is not None}
                prefix = string(pairs.get("env_prefix"))
                case_sensitive = _true(pairs.get("case_sensitive"))
        elif isinstance(statement, ast.ClassDef) and statement.name == "Config":
            for inner in statement.body:
                if isinstance(inner, ast.Assign) and _target(inner) == "env_prefix":
                    prefix = string(inner.value)
                elif isinstance(inner, ast.Assign) and _target(inner) == "case_sensitive":
                    case_sensitive = _true(inner.value)
    return prefix, case_sensitive


def _field(statement: ast.stmt, file: str, local_classes: set[str]) -> SettingsField | None:
    if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
        return None
    attr = statement.target.id
    annotation = _text(statement.annotation)
    if attr.startswith("_") or attr == "model_config" or "ClassVar" in annotation:
        return None
    if isinstance(statement.annotation, ast.Name) and statement.annotation.id in local_classes:
        return None
    secret = any(t in annotation for t in _SECRET_TYPES)
    optional = "Optional" in annotation or "None" in annotation
    value = statement.value
    alias: str | None = None
    if isinstance(value, ast.Call) and _callee(value) == "Field":
        alias = _alias(value)
        if argument(value, None, "default_factory") is not None:
            return SettingsField(attr, alias, None, False, secret, Site(file, statement.lineno))
        value = argument(value, 0, "default")
        if isinstance(value, ast.Constant) and value.value is Ellipsis:
            return SettingsField(attr, alias, None, True, secret, Site(file, statement.lineno))
    required = value is None and not optional
    default = literal_text(value, typed=True) if value is not None else None
    return SettingsField(attr, alias, default, required, secret, Site(file, statement.lineno))


def _alias(call: ast.Call) -> str | None:
    for key in ("validation_alias", "alias", "env"):
        value = argument(call, None, key)
        if (text := string(value)) is not None:
            return text
        if isinstance(value, (ast.List, ast.Tuple)) and value.elts and (text := string(value.elts[0])) is not None:
            return text
        if isinstance(value, ast.Call) and value.args and (text := string(value.args[0])) is not None:
            return text
    return None


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _target(statement: ast.Assign | ast.AnnAssign) -> str | None:
    target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
    return target.id if isinstance(target, ast.Name) else None


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _text(node: ast.expr) -> str:
    """An annotation's source, for substring tests; a pathological one reads as empty, not fatal."""
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError):
        return ""
