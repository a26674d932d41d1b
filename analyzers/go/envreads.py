"""Environment variables a Go package reads, with the defaults the code falls back to.

Covers ``os.Getenv``/``os.LookupEnv`` (with the ``if port == "" { port = "8080" }``
fallback two lines down), helpers such as ``getEnv("PORT", "8080")``, struct tags of
kelseyhightower/envconfig, caarlos0/env and sethvargo/go-envconfig, and viper's
``BindEnv``/``AutomaticEnv`` keys. Tagged fields are also recorded as field assignments so
that ``cfg.Port`` in a listen address resolves to the tag's default.
"""

from __future__ import annotations

import re

from kubify.analyzers.go.catalog import ENV_NAME
from kubify.analyzers.go.records import Assignment, EnvRead, PackageFacts, site
from kubify.analyzers.go.source import GoFile, call_args, unquote

_GETENV = re.compile(r"\b(?:os|syscall)\.(Getenv|LookupEnv)\s*\(\s*\"([^\"]+)\"\s*\)")
_GETENV_CONSTANT = re.compile(r"\b(?:os|syscall)\.(?:Getenv|LookupEnv)\s*\(\s*([A-Za-z_]\w*)\s*\)")
_ENV_HELPER = re.compile(r"\b([A-Za-z_]\w*[Ee]nv\w*)\s*\(\s*(?:&[\w.]+\s*,\s*)?\"([A-Z_][A-Z0-9_]*)\"\s*(,|\))")
#: Helpers with "env" in their name that write or bind rather than read.
_NOT_ENV_READERS: tuple[str, ...] = ("set", "unset", "expand", "bind", "clearenv", "environ")
_ASSIGN_GETENV = re.compile(r"\b(\w+)(?:\s*,\s*\w+)?\s*:?=\s*(?:os|syscall)\.(?:Getenv|LookupEnv)\s*\(\s*\"([^\"]+)\"")
_TAGGED_FIELD = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]+[\w.*\[\]]+[ \t]+`([^`\n]*)`", re.M)
_TAG = re.compile(r"(\w+):\"([^\"]*)\"")
_ENVCONFIG_PREFIX = re.compile(r"\benvconfig\.(?:Process|MustProcess)\s*\(\s*\"([A-Za-z_]\w*)\"")
_VIPER_BIND = re.compile(r"\b(\w+)\.BindEnv\s*\(\s*\"([^\"]+)\"(?:\s*,\s*\"([^\"]+)\")?")
_VIPER_DEFAULT = re.compile(r"\b(\w+)\.SetDefault\s*\(\s*\"([^\"]+)\"\s*,")
_VIPER_GET = re.compile(
    r"\b(\w+)\.Get(?:String|Int|Int32|Int64|Uint|Bool|Duration|Float64|StringSlice)?\s*\(\s*\"([^\"]+)\"\s*\)")
_VIPER_AUTOMATIC = re.compile(r"\b(\w+)\.AutomaticEnv\s*\(\s*\)")
_VIPER_PREFIX = re.compile(r"\b(\w+)\.SetEnvPrefix\s*\(\s*\"([^\"]*)\"")
_VIPER_NEW = re.compile(r"\b(\w+)\s*:?=\s*viper\.New\s*\(")


def scan_env(go: GoFile, facts: PackageFacts) -> list[tuple[str, EnvRead]]:
    """Record the file's env reads; returns reads through a constant name (resolved once the package is scanned)."""
    code = go.code
    fallbacks = _getenv_fallbacks(code) if "env(" in code or "Env(" in code else {}
    for match in _GETENV.finditer(code):
        name = match.group(2)
        if ENV_NAME.match(name):
            fallback = fallbacks.get(name)
            facts.env.append(EnvRead(name, literal(fallback) if fallback else None, False, site(go, match.start()),
                                     f"go.env.os-{match.group(1).lower()}", fallback))
    _helpers(go, facts)
    if "`" in code:
        _tags(go, facts)
    if "viper" in code:
        _viper(go, facts)
    return [(m.group(1), EnvRead(m.group(1), None, False, site(go, m.start()), "go.env.os-getenv-constant"))
            for m in _GETENV_CONSTANT.finditer(code)]


def _helpers(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    for match in _ENV_HELPER.finditer(code):
        helper, name = match.group(1), match.group(2)
        preceding = code[max(0, match.start() - 8):match.start()]
        if helper.lower().startswith(_NOT_ENV_READERS) or preceding.endswith(("os.", "syscall.")):
            continue
        default = None
        if match.group(3) == ",":
            args = call_args(code, code.index("(", match.end(1))) or []
            position = 2 if args and args[0].startswith("&") else 1
            default = literal(args[position]) if len(args) > position else None
        required = helper.lower().startswith(("must", "require"))
        facts.env.append(EnvRead(name, default, required, site(go, match.start()), "go.env.helper"))


def _getenv_fallbacks(code: str) -> dict[str, str]:
    """``port := os.Getenv("PORT"); if port == "" { port = "8080" }`` → {"PORT": '"8080"'}.

    The fallback is kept as written: a literal, or a constant's name resolved once the whole
    package is scanned (``if addr == "" { addr = defaultAddress }``).
    """
    found: dict[str, str] = {}
    for match in _ASSIGN_GETENV.finditer(code):
        variable, name = match.group(1), match.group(2)
        window = code[match.end():match.end() + 400]
        fallback = re.search(
            rf"if\s+(?:!\w+|{re.escape(variable)}\s*==\s*\"\")\s*\{{\s*{re.escape(variable)}\s*=\s*"
            r"(\"[^\"\n]*\"|\d+|[A-Za-z_][\w.]*)", window)
        if fallback:
            found.setdefault(name, fallback.group(1))
    return found


def literal(expression: str) -> str | None:
    """The value of a string or integer literal, else None."""
    expression = expression.strip()
    if re.fullmatch(r"\d+", expression):
        return expression
    return unquote(expression)


def _tags(go: GoFile, facts: PackageFacts) -> None:
    prefix_match = _ENVCONFIG_PREFIX.search(go.code)
    envconfig_prefix = prefix_match.group(1).upper() + "_" if prefix_match else ""
    for match in _TAGGED_FIELD.finditer(go.code):
        tags = dict(_TAG.findall(match.group(2)))
        key = "env" if "env" in tags else "envconfig" if "envconfig" in tags else None
        if key is None:
            continue
        name, *options = [part.strip() for part in tags[key].split(",")]
        name = envconfig_prefix + name if key == "envconfig" else name
        if not ENV_NAME.match(name):
            continue
        default = tags.get("envDefault", tags.get("default"))
        for option in options:
            if option.startswith("default="):
                default = option.removeprefix("default=")
        required = "required" in options or tags.get("required") == "true"
        at = site(go, match.start(1))
        facts.env.append(EnvRead(name, default, required, at, f"go.env.tag-{key}"))
        field_assignments = facts.fields.setdefault(match.group(1), [])
        if default is not None:
            field_assignments.append(Assignment(f'"{default}"', at))
        field_assignments.append(Assignment(f'os.Getenv("{name}")', at))


def _viper(go: GoFile, facts: PackageFacts) -> None:
    code = go.code
    receivers = {"viper"} | {m.group(1) for m in _VIPER_NEW.finditer(code)}
    for match in _VIPER_BIND.finditer(code):
        if match.group(1) in receivers:
            name = match.group(3) or match.group(2).upper().replace(".", "_").replace("-", "_")
            if ENV_NAME.match(name):
                facts.env.append(EnvRead(name, None, False, site(go, match.start()), "go.env.viper-bind"))
                facts.viper_env[match.group(2)] = name
    for match in _VIPER_DEFAULT.finditer(code):
        if match.group(1) in receivers:
            args = call_args(code, code.index("(", match.start()))
            if args and len(args) > 1:
                facts.viper_defaults[match.group(2)] = Assignment(args[1], site(go, match.start()))
    if not any(m.group(1) in receivers for m in _VIPER_AUTOMATIC.finditer(code)):
        return
    prefix = next((m.group(2) for m in _VIPER_PREFIX.finditer(code) if m.group(1) in receivers), "")
    keys = [(m.group(2), m.start()) for m in _VIPER_DEFAULT.finditer(code) if m.group(1) in receivers]
    keys += [(m.group(2), m.start()) for m in _VIPER_GET.finditer(code) if m.group(1) in receivers]
    for key, offset in keys:
        name = (f"{prefix}_{key}" if prefix else key).upper().replace(".", "_").replace("-", "_")
        if ENV_NAME.match(name) and key not in facts.viper_env:
            facts.viper_env[key] = name
            facts.env.append(EnvRead(name, None, False, site(go, offset), "go.env.viper-automatic"))
