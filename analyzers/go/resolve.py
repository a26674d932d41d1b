"""Resolve a listen address expression to a port (and the env var it may come from).

Real services rarely write ``http.ListenAndServe(":8080", r)``; they write
``http.ListenAndServe(":"+port, r)`` with ``port := os.Getenv("PORT")`` and an
``if port == "" { port = "8080" }`` two lines up, or ``cfg.Port`` filled from an
``env:"PORT" envDefault:"8080"`` tag. The resolver follows identifiers through the
assignments of the same package, struct fields through literals and tags of the packages
the main package imports, and the usual wrappers (``fmt.Sprintf``, ``net.JoinHostPort``,
``strconv.Itoa``, flag and env helpers, viper defaults) — a bounded, cycle-safe walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from kubify.analyzers.draft import Site
from kubify.analyzers.go.facts import assigned, field_values
from kubify.analyzers.go.records import Assignment, PackageFacts
from kubify.analyzers.go.source import call_args, closing_paren, unquote

MAX_DEPTH = 6
_ADDRESS_PORT = re.compile(r"^(?:[\w.-]*|\[[0-9A-Fa-f:.]*\]):(\d{1,5})$")
_CALL = re.compile(r"^([A-Za-z_][\w.]*(?:\(\))?(?:\.[A-Za-z_]\w*)*)\s*\(")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_SELECTOR = re.compile(r"^[A-Za-z_]\w*(?:\(\))?(?:\.[A-Za-z_]\w*)+$")
_FLAG_CONSTRUCTOR = re.compile(r"(?:^|\.)(?:String|Int|Int64|Uint|Uint64)(P?)$")
_ENV_HELPER = re.compile(r"(?:^|\.)\w*[Ee]nv\w*$")
_VIPER_GET = re.compile(r"(?:^|\.)Get(?:String|Int|Int32|Int64|Uint|Duration)?$")
_PASS_THROUGH = frozenset({"strconv.Itoa", "strconv.FormatInt", "strconv.FormatUint", "fmt.Sprint", "string",
                           "iris.Addr", "server.WithHostPorts", "strings.TrimSpace", "flag.Default"})


def port_in(text: str) -> int | None:
    """The port of an address literal (``":8080"``, ``"0.0.0.0:8080"``, ``"8080"``)."""
    text = text.strip()
    match = _ADDRESS_PORT.match(text)
    digits = match.group(1) if match else text if text.isdigit() else None
    if digits is None or len(digits) > 5:
        return None
    port = int(digits)
    return port if 1 <= port <= 65535 else None


@dataclass(frozen=True)
class Resolved:
    """What an address expression comes to; any part may be unknown."""

    port: int | None = None
    port_site: Site | None = None
    env: str | None = None
    env_site: Site | None = None
    flag: bool = False
    #: A config struct field the walk reached but could not resolve (``cfg.Server.Port``).
    selector: str | None = None

    def fill(self, other: Resolved) -> Resolved:
        """This value with the gaps filled from ``other``."""
        port_known = self.port is not None
        env_known = self.env is not None
        return Resolved(
            port=self.port if port_known else other.port,
            port_site=self.port_site if port_known else other.port_site,
            env=self.env if env_known else other.env,
            env_site=self.env_site if env_known else other.env_site,
            flag=self.flag or (other.flag and not port_known),
            selector=self.selector or other.selector,
        )


NOTHING = Resolved()


class Resolver:
    """Resolves expressions written in ``home``, looking into ``closure`` for fields and constants."""

    def __init__(self, home: PackageFacts, closure: Sequence[PackageFacts]) -> None:
        self.home = home
        self.closure = [home, *(p for p in closure if p is not home)]

    def resolve(self, expression: str, site: Site) -> Resolved:
        return self._value(expression, site, 0, frozenset())

    def _value(self, expression: str, site: Site, depth: int, seen: frozenset[str]) -> Resolved:
        expression = _trim(expression)
        if depth > MAX_DEPTH or not expression:
            return NOTHING
        literal = unquote(expression) if expression[0] in "\"`" else expression if expression.isdigit() else None
        if literal is not None:
            port = port_in(literal)
            return Resolved(port=port, port_site=site if port else None)
        parts = _split_plus(expression)
        if len(parts) > 1:
            return self._concatenation(parts, site, depth + 1, seen)
        call = _CALL.match(expression)
        if call and closing_paren(expression, call.end() - 1) == len(expression) - 1:
            return self._call(call.group(1), expression, call.end() - 1, site, depth=depth, seen=seen)
        if _IDENTIFIER.match(expression):
            return self._identifier(expression, site, depth, seen)
        if _SELECTOR.match(expression):
            return self._selector(expression, site, depth, seen)
        return NOTHING

    def _first(self, candidates: Iterable[tuple[str, Site]], depth: int, seen: frozenset[str]) -> Resolved:
        result = NOTHING
        for expression, site in candidates:
            result = result.fill(self._value(expression, site, depth, seen))
            if result.port is not None and result.env is not None:
                break
        return result

    def _concatenation(self, parts: list[str], site: Site, depth: int, seen: frozenset[str]) -> Resolved:
        """``host + ":" + port``: the port and its env var come from the last part that has a port."""
        values = [self._value(part, site, depth, seen) for part in parts]
        with_port = [v for v in values if v.port is not None]
        if with_port:
            return with_port[-1]
        with_env = [v for v in values if v.env is not None]
        with_selector = [v for v in values if v.selector is not None]
        return (with_env or with_selector or [NOTHING])[-1]

    def _call(self, name: str, expression: str, paren: int, site: Site, *, depth: int,
              seen: frozenset[str]) -> Resolved:
        args = call_args(expression, paren) or []
        first = unquote(args[0]) if args else None
        if name.endswith(("os.Getenv", "os.LookupEnv", "syscall.Getenv")):
            env = first or (self._constant(args[0]) if args else None)
            return self._env_default(env, site) if env else NOTHING
        if name == "fmt.Sprintf" and args:
            fixed = port_in(re.sub(r"%[-+# 0-9.]*[a-zA-Z]", "", first or ""))
            if fixed is not None:
                return Resolved(port=fixed, port_site=site)
            return self._value(args[-1], site, depth + 1, seen) if len(args) > 1 else NOTHING
        if name == "net.JoinHostPort" and len(args) == 2:
            return self._value(args[1], site, depth + 1, seen)
        if name == "cmp.Or":
            return self._first(((a, site) for a in args), depth + 1, seen)
        if name in _PASS_THROUGH and args:
            flagged = self._value(args[0], site, depth + 1, seen)
            return replace(flagged, flag=True) if name == "flag.Default" else flagged
        flag = _FLAG_CONSTRUCTOR.search(name)
        if flag and first is not None and len(args) >= 3:
            index = 2 if flag.group(1) and len(args) >= 4 else 1
            return replace(self._value(args[index], site, depth + 1, seen), flag=True)
        if _VIPER_GET.search(name) and first is not None:
            return self._viper(first, site, depth, seen)
        if _ENV_HELPER.search(name) and first is not None and not name.rsplit(".", 1)[-1].lower().startswith("set"):
            fallback = self._value(args[1], site, depth + 1, seen) if len(args) > 1 else NOTHING
            return Resolved(env=first, env_site=site).fill(fallback)
        return NOTHING

    def _env_default(self, env: str, site: Site) -> Resolved:
        """An env read whose fallback (``if v == "" { v = ":9090" }``) the package spells out."""
        read = next((r for p in self.closure for r in p.env if r.name == env and r.default is not None), None)
        port = port_in(read.default) if read is not None and read.default is not None else None
        if read is None or port is None:
            return Resolved(env=env, env_site=site)
        return Resolved(port=port, port_site=read.site, env=env, env_site=site)

    def _constant(self, name: str) -> str | None:
        """The string a package-level constant holds (``os.Getenv(envPort)``)."""
        if not _IDENTIFIER.match(name):
            return None
        return next((v for a in assigned(self.home, name) if (v := unquote(a.expression))), None)

    def _viper(self, key: str, site: Site, depth: int, seen: frozenset[str]) -> Resolved:
        env = next((p.viper_env[key] for p in self.closure if key in p.viper_env), None)
        default = next((p.viper_defaults[key] for p in self.closure if key in p.viper_defaults), None)
        found = Resolved(env=env, env_site=site if env else None)
        if default is not None:
            found = found.fill(self._value(default.expression, default.site, depth + 1, seen))
        return found

    def _identifier(self, name: str, site: Site, depth: int, seen: frozenset[str]) -> Resolved:
        key = f"{self.home.directory}:{name}"
        if key in seen:
            return NOTHING
        candidates = _nearest_first(assigned(self.home, name), site)
        return self._first(((a.expression, a.site) for a in candidates), depth + 1, seen | {key})

    def _selector(self, expression: str, site: Site, depth: int, seen: frozenset[str]) -> Resolved:
        name = expression.rsplit(".", 1)[1]
        key = f"field:{name}"
        if key in seen:
            return NOTHING
        candidates = _nearest_first(self.home.assignments.get(expression, []), site)
        for package in self.closure:
            candidates += assigned(package, name) if name[:1].isupper() else []
            candidates += _nearest_first(field_values(package, name), site)
        found = self._first(((a.expression, a.site) for a in candidates), depth + 1, seen | {key})
        if found.port is None:
            found = found.fill(self._viper_path(expression.split(".")[1:], site, depth, seen | {key}))
        return found if found.port is not None else replace(found, selector=found.selector or expression)

    def _viper_path(self, parts: list[str], site: Site, depth: int, seen: frozenset[str]) -> Resolved:
        """``cfg.Server.Port`` unmarshalled by viper: the default of key ``server.port``."""
        wanted = ".".join(parts).lower().replace("_", "")
        for package in self.closure:
            for key in package.viper_defaults:
                if key.lower().replace("_", "") == wanted:
                    return self._viper(key, site, depth, seen)
        return NOTHING


def _nearest_first(assignments: list[Assignment], site: Site) -> list[Assignment]:
    """Same-file assignments before the use (closest first), then the file's later ones, then others."""
    def rank(a: Assignment) -> tuple[int, int]:
        if a.site.file != site.file:
            return (2, a.site.line)
        if a.site.line <= site.line:
            return (0, site.line - a.site.line)
        return (1, a.site.line)
    return sorted(assignments, key=rank)


def _trim(expression: str) -> str:
    """Drop ``&``/``*`` and parentheses that wrap the whole expression."""
    expression = expression.strip()
    while expression:
        if expression[0] in "&*":
            expression = expression[1:].strip()
        elif expression[0] == "(" and closing_paren(expression, 0) == len(expression) - 1:
            expression = expression[1:-1].strip()
        else:
            break
    return expression


def _split_plus(expression: str) -> list[str]:
    """Split on top-level ``+`` (outside strings and brackets)."""
    parts: list[str] = []
    depth, start, index = 0, 0, 0
    while index < len(expression):
        char = expression[index]
        if char in "\"`'":
            end = expression.find(char, index + 1)
            while end != -1 and char != "`" and expression[end - 1] == "\\":
                end = expression.find(char, end + 1)
            index = len(expression) if end == -1 else end + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "+" and depth == 0:
            parts.append(expression[start:index].strip())
            start = index + 1
        index += 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]
