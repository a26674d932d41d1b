"""Resolve the expression passed to ``listen`` into a port number and/or the env var behind it.

Real servers rarely write ``app.listen(3000)``; they write ``app.listen(PORT)`` with
``const PORT = Number(process.env.PORT) || 3000`` above, ``server.listen(port)`` with
``app.set('port', normalizePort(process.env.PORT || '3000'))`` (express-generator), or
``app.listen(config.port)`` with the literal in ``config/index.js``. The resolver follows
identifiers, ``app.get('port')`` settings, ``||``/``??`` fallbacks, number wrappers and
``config.x.port`` keys (same file first, then config-like files), a few levels deep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.analyzers.draft import Site
from kubify.analyzers.node.source_scan import (
    Listen,
    SourceFacts,
    SourceFile,
    assignments,
    balanced_arguments,
    keyed_values,
    unquoted,
)

MAX_DEPTH = 8
#: Evaluation steps per listen call: ``a = b || b || b`` chains must not explode.
MAX_STEPS = 200
#: Longer "expressions" are not a port argument anyone writes (and would cost quadratic matching).
MAX_EXPRESSION = 400
_CONFIG_PATH = re.compile(r"(?:^|/)(?:config|configs|configuration|settings|env|environment|constants)(?:/|\.|$)",
                          re.I)
_ENV = re.compile(r"process\.env\??\.([A-Za-z_]\w*)|process\.env\s*\[\s*['\"`]([A-Za-z_]\w*)['\"`]\s*\]")
_CONFIG_GET = re.compile(r"[\w$.]*\.get(?:OrThrow)?\s*(?:<[^>()]*>)?\s*\(\s*['\"`]([A-Za-z_][\w.]*)['\"`]"
                         r"\s*(?:,\s*(.+))?\)")
_WRAPPER = re.compile(r"(?:Number|parseInt|parseFloat|String|Math\.\w+|[\w$]*[pP]ort[\w$]*|toNumber|toInt)\s*\(")
_NUMBER = re.compile(r"['\"`]?(\d{1,5})['\"`]?")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_MEMBER = re.compile(r"(?:this|[A-Za-z_$][\w$]*)(?:\??\.[A-Za-z_$][\w$]*)+")
_CAST = re.compile(r"(?<!\s)\s++as\s++[\w<>\[\]| ]++$|!$")


@dataclass(frozen=True)
class PortValue:
    """A resolved listen argument: the port, the env var that overrides it, where the number was."""

    port: int | None
    env: str | None
    site: Site
    confidence: float


class PortResolver:
    """Resolves listen expressions against the scanned files of one package."""

    def __init__(self, facts: SourceFacts) -> None:
        self.facts = facts
        self._scopes: dict[str, dict[str, tuple[str, int]]] = {}
        self._steps = 0

    def resolve(self, listen: Listen) -> PortValue | None:
        source = self.facts.file(listen.site.file)
        if listen.port_expr is None or source is None:
            return None
        self._steps = 0
        value = self._eval(listen.port_expr, source, listen.site, 0, 0.9)
        if value is None or (value.port is None and value.env is None):
            return None
        return value

    def _scope(self, source: SourceFile) -> dict[str, tuple[str, int]]:
        if source.rel not in self._scopes:
            self._scopes[source.rel] = assignments(source)
        return self._scopes[source.rel]

    def _eval(self, expression: str, source: SourceFile, site: Site, depth: int,
              confidence: float) -> PortValue | None:
        expr = _clean(expression)
        self._steps += 1
        if depth > MAX_DEPTH or not expr or self._steps > MAX_STEPS or len(expr) > MAX_EXPRESSION:
            return None
        alternatives = _split_top(expr)
        if len(alternatives) > 1:
            values = [v for a in alternatives if (v := self._eval(a, source, site, depth + 1, confidence))]
            port = next((v for v in values if v.port is not None), None)
            env = next((v.env for v in values if v.env is not None), None)
            if port is None and env is None:
                return None
            return PortValue(port.port if port else None, env, port.site if port else site,
                             min(v.confidence for v in values))
        return self._term(expr, source, site, depth, confidence)

    def _term(self, expr: str, source: SourceFile, site: Site, depth: int, confidence: float) -> PortValue | None:
        number = _NUMBER.fullmatch(expr)
        if number:
            port = int(number.group(1))
            return PortValue(port, None, site, confidence) if 0 < port < 65536 else None
        env = _ENV.fullmatch(expr)
        if env:
            return PortValue(None, env.group(1) or env.group(2), site, confidence)
        wrapped = _WRAPPER.match(expr)
        if wrapped and expr.endswith(")"):
            arguments = balanced_arguments(expr, wrapped.end() - 1)
            return self._eval(arguments[0], source, site, depth + 1, confidence) if arguments else None
        if expr.startswith("+"):
            return self._eval(expr[1:], source, site, depth + 1, confidence)
        setting = re.fullmatch(r"[\w$]+\.get\s*\(\s*['\"`](\w+)['\"`]\s*\)", expr)
        if setting and (found := self._scope(source).get(f"@set:{setting.group(1)}")):
            return self._eval(found[0], source, Site(source.rel, found[1]), depth + 1, confidence)
        config = _CONFIG_GET.fullmatch(expr)
        if config:
            return self._config_get(config, source, site, depth, confidence)
        if _IDENT.fullmatch(expr):
            return self._identifier(expr, source, site, depth, confidence)
        if _MEMBER.fullmatch(expr):
            return self._member(expr, source, depth, confidence)
        return None

    def _config_get(self, match: re.Match[str], source: SourceFile, site: Site, depth: int,
                    confidence: float) -> PortValue | None:
        key, default = match.group(1), match.group(2)
        fallback = self._eval(default, source, site, depth + 1, confidence) if default else None
        env = key if re.fullmatch(r"[A-Z][A-Z0-9_]*", key) else None
        if env is None and fallback is None:
            return self._member("config." + key, source, depth, confidence)
        return PortValue(fallback.port if fallback else None, env, fallback.site if fallback else site, confidence)

    def _identifier(self, name: str, source: SourceFile, site: Site, depth: int,
                    confidence: float) -> PortValue | None:
        found = self._scope(source).get(name)
        if found is not None and found[0].strip() != name:
            return self._eval(found[0], source, Site(source.rel, found[1]), depth + 1, confidence)
        for other in self.facts.files:  # an imported constant (export const PORT = ...)
            if other is source:
                continue
            found = self._scope(other).get(name)
            if found is not None and found[0].strip() != name:
                return self._eval(found[0], other, Site(other.rel, found[1]), depth + 1, min(confidence, 0.7))
        return None

    def _member(self, expr: str, source: SourceFile, depth: int, confidence: float) -> PortValue | None:
        key = re.split(r"\??\.", expr)[-1]
        if key.lower() not in ("port", "http_port", "httpport", "server_port", "serverport", "app_port"):
            return None
        configs = sorted((f for f in self.facts.files if f is not source and _CONFIG_PATH.search(f.rel)),
                         key=lambda f: f.rel)
        ordered = [source, *configs]
        for candidate in ordered:
            for expression, line in keyed_values(candidate, key):
                value = self._eval(expression, candidate, Site(candidate.rel, line), depth + 1,
                                   confidence if candidate is source else min(confidence, 0.7))
                if value is not None:
                    return value
        return None


def _clean(expression: str) -> str:
    expr = expression.strip().rstrip(";").strip()
    expr = _CAST.sub("", expr).strip()
    while expr.startswith("(") and expr.endswith(")") and _enclosed(expr):
        expr = expr[1:-1].strip()
    return expr


def _enclosed(expr: str) -> bool:
    """True when the outer parentheses wrap the whole expression."""
    return len(_strip_call(expr)) == len(expr)


def _strip_call(expr: str) -> str:
    depth = 0
    for index, char in enumerate(expr):
        depth += char == "("
        depth -= char == ")"
        if depth == 0:
            return expr[: index + 1]
    return expr


def _split_top(expr: str) -> list[str]:
    """Split on ``||`` / ``??`` outside brackets and strings."""
    parts, start = [], 0
    for index, _char, depth in unquoted(expr):
        if index >= start and depth == 0 and expr.startswith(("||", "??"), index):
            parts.append(expr[start:index])
            start = index + 2
    parts.append(expr[start:])
    return [p.strip() for p in parts if p.strip()]
