"""The Compose file format, one attribute at a time: plain YAML data in, typed records out.

Compose lets most attributes take several shapes (``ports: ["8080:80"]`` or a list of
maps, ``environment`` as a list or a map, ``build`` as a string or a map, a command as a
string or a list). Each parser here accepts every documented shape, ignores values of
the wrong type instead of raising, and reports what it could not read as a short
problem string the caller turns into a diagnostic with a file and line.

Values are interpolated the way ``docker compose`` does, with every variable unset: we
never read the developer's shell or ``.env`` (it holds secrets), so ``${PORT:-8000}``
becomes ``8000`` and a bare ``${API_KEY}`` stays unresolved and is reported.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal

from kubify.scan import join
from kubify.signals.secrets import looks_secret

Protocol = Literal["TCP", "UDP"]
#: Longest nesting of ``${A:-${B:-...}}`` defaults that is expanded.
MAX_INTERPOLATION_DEPTH = 16
#: Most ports one range (``"7000-7999"``) contributes; larger ranges are cut with a problem.
MAX_PORT_RANGE = 20
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?\Z", re.DOTALL)
_UNRESOLVED = re.compile(r"\$(?:\{|[A-Za-z_])")
_REQUIRED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?\?")
_LOCAL_URL = re.compile(r"(https?)://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d{1,5}))?(/[^\s'\"|;&)>]*)?")
_NC_PORT = re.compile(r"\bnc\b[^|;&]*?\s(?:localhost|127\.0\.0\.1|0\.0\.0\.0)\s+(\d{1,5})\b")
_GRPC_PORT = re.compile(r"grpc_health_probe\b.*?-addr[= ](?:[\w.\-]*):(\d{1,5})")
_CPUS = re.compile(r"^\d+(?:\.\d+)?$")
_BYTES = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")


# --- interpolation ----------------------------------------------------------------------

def interpolate(text: str, unresolved: list[str], depth: int = 0) -> str:
    """``text`` with ``$$`` unescaped and ``${VAR:-default}`` forms expanded as if VAR were unset.

    Names that stay unresolved are appended to ``unresolved``; their text is kept as written.
    """
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1:index + 2]
        if char != "$" or not following:
            out.append(char)
            index += 1
        elif following == "$":
            out.append("$")
            index += 2
        elif following == "{":
            end = _closing_brace(text, index + 2)
            if end is None:
                out.append(text[index:])
                break
            out.append(_expand(text[index + 2:end], text[index:end + 1], unresolved, depth))
            index = end + 1
        elif match := _NAME.match(text, index + 1):
            unresolved.append(match.group(0))
            out.append(text[index:match.end()])
            index = match.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int | None:
    depth, index = 1, start
    while index < len(text):
        if text.startswith("${", index):
            depth, index = depth + 1, index + 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _expand(body: str, literal: str, unresolved: list[str], depth: int) -> str:
    match = _BRACED.match(body)
    if match is None:
        return literal
    name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
    if operator in (":-", "-"):
        if depth >= MAX_INTERPOLATION_DEPTH:
            return literal
        return interpolate(argument, unresolved, depth + 1)
    if operator in (":+", "+"):
        return ""
    unresolved.append(name)
    return literal


def interpolate_tree(data: Any, unresolved: list[str]) -> Any:
    """Every string value of a YAML tree interpolated (keys are not, as in Compose)."""
    if isinstance(data, str):
        return interpolate(data, unresolved)
    if isinstance(data, dict):
        return {key: interpolate_tree(value, unresolved) for key, value in data.items()}
    if isinstance(data, list):
        return [interpolate_tree(item, unresolved) for item in data]
    return data


def is_unresolved(value: str) -> bool:
    """True when a value still holds a variable reference after interpolation."""
    return bool(_UNRESOLVED.search(value))


def scalar(value: Any) -> str | None:
    """A YAML scalar as Compose reads it (``true`` → ``"true"``); None for maps, lists and null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


# --- build --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComposeBuild:
    """``build:`` with paths resolved against the compose file's directory (repo-relative)."""

    context: str
    dockerfile: str | None
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    inline: bool = False


def parse_build(value: Any, base: str) -> tuple[ComposeBuild | None, list[str]]:
    """The build of a service whose compose file lives in directory ``base``."""
    spec: dict[str, Any] = {"context": value} if isinstance(value, str) else value if isinstance(value, dict) else {}
    if not spec:
        return None, [f"'build' must be a path or a mapping, not {type(value).__name__}"] if value else []
    context = inside_repo(base, scalar(spec.get("context")) or ".")
    if context is None:
        return None, [f"build context {scalar(spec.get('context'))!r} is not a directory inside the repository "
                      "(remote contexts and paths that leave the repository are not built)"]
    inline = "dockerfile_inline" in spec
    dockerfile = None if inline else inside_repo(context, scalar(spec.get("dockerfile")) or "Dockerfile")
    if dockerfile is None and not inline:
        return None, [f"dockerfile {scalar(spec.get('dockerfile'))!r} is outside the repository; not built"]
    args, secret = parse_args(spec.get("args"))
    problems = [f"build args {', '.join(secret)} look secret; their values are not kept"] if secret else []
    target = scalar(spec.get("target"))
    return ComposeBuild(context, dockerfile, target, args, inline), problems


def parse_args(value: Any) -> tuple[dict[str, str], list[str]]:
    """Build args with a value (list or map form); secret-looking ones are dropped and named."""
    pairs = _pairs(value)
    kept = {k: v for k, v in pairs.items() if v is not None and not looks_secret(k, v) and not is_unresolved(v)}
    secret = sorted(k for k, v in pairs.items() if v is not None and looks_secret(k, v))
    return dict(sorted(kept.items())), secret


def inside_repo(base: str, relative: str) -> str | None:
    """``relative`` resolved against ``base``; None for URLs, absolute paths and escapes."""
    if "://" in relative or relative.startswith(("/", "~", "git@", "github.com/")) or re.match(r"^[A-Za-z]:", relative):
        return None
    resolved = posixpath.normpath(join(base, relative))
    return None if resolved == ".." or resolved.startswith("../") else resolved


def _pairs(value: Any) -> dict[str, str | None]:
    """``KEY=VALUE`` lists and ``KEY: VALUE`` maps as one mapping (a bare ``KEY`` has no value)."""
    if isinstance(value, dict):
        return {str(k): scalar(v) for k, v in value.items()}
    pairs: dict[str, str | None] = {}
    for item in value if isinstance(value, list) else []:
        text = scalar(item)
        if text is None:
            continue
        key, equals, rest = text.partition("=")
        pairs[key.strip()] = rest if equals else None
    return pairs


# --- ports --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComposePort:
    """A port the container listens on (the published host port is kept only for display)."""

    port: int
    protocol: Protocol = "TCP"
    name: str | None = None
    published: str | None = None


def parse_ports(value: Any) -> tuple[list[ComposePort], list[str]]:
    """``ports:``/``expose:`` in short (``"127.0.0.1:8080:80/udp"``, ranges) and long syntax."""
    ports: list[ComposePort] = []
    problems: list[str] = []
    for item in value if isinstance(value, list) else [value] if value is not None else []:
        found, problem = _long_port(item) if isinstance(item, dict) else _short_port(item)
        ports += found
        if problem:
            problems.append(problem)
    return _unique(ports), problems


def _short_port(item: Any) -> tuple[list[ComposePort], str | None]:
    text = scalar(item)
    if text is None or isinstance(item, (bool, float)):
        return [], f"cannot read port {item!r}"
    spec, _, protocol = text.strip().partition("/")
    normalised = _protocol(protocol or "tcp")
    if normalised is None:
        return [], f"port {text!r}: protocol {protocol!r} is not supported (TCP or UDP)"
    head, _, container = spec.rpartition(":")
    published = head.rpartition(":")[2] or None if head else None
    numbers, problem = _port_numbers(container, text)
    return [ComposePort(n, normalised, published=published) for n in numbers], problem


def _long_port(item: dict[str, Any]) -> tuple[list[ComposePort], str | None]:
    target = scalar(item.get("target"))
    if target is None:
        return [], "a long-syntax port needs 'target'"
    protocol = _protocol(scalar(item.get("protocol")) or "tcp")
    if protocol is None:
        return [], f"port {target}: protocol {item.get('protocol')!r} is not supported (TCP or UDP)"
    numbers, problem = _port_numbers(target, target)
    name = scalar(item.get("name"))
    name = name if name and _PORT_NAME.match(name) else None
    return [ComposePort(n, protocol, name, scalar(item.get("published"))) for n in numbers], problem


def _port_numbers(text: str, original: str) -> tuple[list[int], str | None]:
    start, dash, end = text.strip().partition("-")
    if not start.isdigit() or (dash and not end.isdigit()):
        return [], f"cannot read container port {original!r}"
    first, last = int(start), int(end) if dash else int(start)
    if not 1 <= first <= last <= 65535:
        return [], f"port {original!r} is out of range (1-65535)"
    if last - first + 1 > MAX_PORT_RANGE:
        return list(range(first, first + MAX_PORT_RANGE)), (f"port range {original!r} has {last - first + 1} "
                                                            f"ports; only the first {MAX_PORT_RANGE} are kept")
    return list(range(first, last + 1)), None


def _protocol(text: str) -> Protocol | None:
    lowered = text.strip().lower()
    if lowered == "tcp":
        return "TCP"
    if lowered == "udp":
        return "UDP"
    return None


def _unique(ports: list[ComposePort]) -> list[ComposePort]:
    seen: set[tuple[int, str]] = set()
    unique = []
    for port in ports:
        if (port.port, port.protocol) not in seen:
            seen.add((port.port, port.protocol))
            unique.append(port)
    return unique


# --- environment --------------------------------------------------------------------------

@dataclass(frozen=True)
class ComposeEnv:
    """One environment variable; ``value`` is None for secrets, unset and unresolved values."""

    name: str
    value: str | None
    secret: bool
    required: bool = False


def parse_environment(value: Any) -> list[ComposeEnv]:
    """``environment:`` in list or map form, secret values dropped."""
    entries = []
    for name, raw in _pairs(value).items():
        if not name:
            continue
        secret = looks_secret(name, raw)
        unresolved = raw is not None and is_unresolved(raw)
        kept = None if secret or unresolved else raw
        entries.append(ComposeEnv(name, kept, secret, required=bool(raw and _REQUIRED.search(raw))))
    return entries


def parse_env_files(value: Any, base: str) -> list[str]:
    """``env_file:`` paths (string, list of strings, or list of ``{path, required}``), repo-relative."""
    items = value if isinstance(value, list) else [value]
    paths = []
    for item in items:
        path = scalar(item.get("path")) if isinstance(item, dict) else scalar(item)
        resolved = inside_repo(base, path) if path else None
        if resolved is not None:
            paths.append(resolved)
    return paths


# --- commands and health ------------------------------------------------------------------

@dataclass(frozen=True)
class ComposeCommand:
    """``command``/``entrypoint``: argv; ``shell`` when a string could not be split like a shell word list."""

    argv: tuple[str, ...]
    shell: bool = False


def parse_command(value: Any) -> ComposeCommand | None:
    """A string is split into words as Compose does (it is not run through a shell); a list is argv."""
    if isinstance(value, list):
        argv = tuple(text for item in value if (text := scalar(item)) is not None)
        return ComposeCommand(argv) if argv else None
    text = scalar(value)
    if text is None or not text.strip():
        return None
    try:
        return ComposeCommand(tuple(shlex.split(text)))
    except ValueError:
        return ComposeCommand((text,), shell=True)


@dataclass(frozen=True)
class ComposeHealth:
    """A parsed ``healthcheck``: what runs, and the HTTP/TCP/gRPC check it amounts to when it is one."""

    mode: Literal["CMD", "CMD-SHELL", "NONE"]
    command: tuple[str, ...] = ()
    http_path: str | None = None
    http_port: int | None = None
    tcp_port: int | None = None
    grpc_port: int | None = None


def parse_healthcheck(value: Any) -> tuple[ComposeHealth | None, str | None]:
    if not isinstance(value, dict):
        return None, "'healthcheck' must be a mapping" if value is not None else None
    if value.get("disable") is True:
        return ComposeHealth("NONE"), None
    test = value.get("test")
    if isinstance(test, str):
        return _derive("CMD-SHELL", ("/bin/sh", "-c", test), test), None
    if not isinstance(test, list) or not test:
        return None, "healthcheck 'test' must be a string or a list like [\"CMD\", ...]" if test is not None else None
    words = [text for item in test if (text := scalar(item)) is not None]
    mode = words[0].upper() if words else ""
    if mode == "NONE":
        return ComposeHealth("NONE"), None
    if mode == "CMD-SHELL" and len(words) > 1:
        script = " ".join(words[1:])
        return _derive("CMD-SHELL", ("/bin/sh", "-c", script), script), None
    if mode == "CMD" and len(words) > 1:
        return _derive("CMD", tuple(words[1:]), " ".join(words[1:])), None
    return None, f"healthcheck test {test!r} does not start with CMD, CMD-SHELL or NONE"


def _derive(mode: Literal["CMD", "CMD-SHELL"], command: tuple[str, ...], text: str) -> ComposeHealth:
    url = _LOCAL_URL.search(text)
    if url and url.group(1) == "http":
        port = int(url.group(2)) if url.group(2) else 80
        return ComposeHealth(mode, command, http_path=url.group(3) or "/", http_port=port if port <= 65535 else None)
    grpc = _GRPC_PORT.search(text)
    if grpc and 1 <= int(grpc.group(1)) <= 65535:
        return ComposeHealth(mode, command, grpc_port=int(grpc.group(1)))
    tcp = _NC_PORT.search(text)
    if tcp and 1 <= int(tcp.group(1)) <= 65535:
        return ComposeHealth(mode, command, tcp_port=int(tcp.group(1)))
    return ComposeHealth(mode, command)


# --- depends_on, volumes, deploy ----------------------------------------------------------

@dataclass(frozen=True)
class ComposeDependency:
    service: str
    condition: str = "service_started"
    required: bool = True


def parse_depends_on(value: Any) -> list[ComposeDependency]:
    """``depends_on`` as a list of names or a map of name → ``{condition, required}``."""
    if isinstance(value, dict):
        found = []
        for name, given in value.items():
            spec = given if isinstance(given, dict) else {}
            condition = scalar(spec.get("condition")) or "service_started"
            found.append(ComposeDependency(str(name), condition, spec.get("required") is not False))
        return found
    return [ComposeDependency(text) for item in (value if isinstance(value, list) else [])
            if (text := scalar(item))]


@dataclass(frozen=True)
class ComposeVolume:
    """A mount: a named volume, a bind mount of a host path, an anonymous volume or a tmpfs."""

    kind: Literal["volume", "bind", "anonymous", "tmpfs"]
    target: str
    source: str | None = None
    read_only: bool = False


def parse_volumes(value: Any) -> list[ComposeVolume]:
    volumes = []
    for item in value if isinstance(value, list) else []:
        volume = _long_volume(item) if isinstance(item, dict) else _short_volume(scalar(item))
        if volume is not None:
            volumes.append(volume)
    return volumes


def _short_volume(text: str | None) -> ComposeVolume | None:
    if not text:
        return None
    parts = text.split(":")
    if re.match(r"^[A-Za-z]$", parts[0]) and len(parts) > 2:  # a Windows drive letter: C:\data:/data
        parts = [f"{parts[0]}:{parts[1]}", *parts[2:]]
    if len(parts) == 1:
        return ComposeVolume("anonymous", parts[0]) if parts[0].startswith("/") else None
    source, target, mode = parts[0], parts[1], ":".join(parts[2:])
    if not target.startswith("/"):
        return None
    kind: Literal["volume", "bind"] = "bind" if _is_path(source) else "volume"
    return ComposeVolume(kind, target, source, read_only="ro" in mode.split(","))


def _long_volume(item: dict[str, Any]) -> ComposeVolume | None:
    target = scalar(item.get("target"))
    if not target:
        return None
    source = scalar(item.get("source"))
    declared = scalar(item.get("type")) or ("bind" if source and _is_path(source) else "volume")
    kind: Literal["volume", "bind", "anonymous", "tmpfs"]
    if declared == "tmpfs":
        kind = "tmpfs"
    elif declared == "bind":
        kind = "bind"
    else:
        kind = "volume" if source else "anonymous"
    return ComposeVolume(kind, target, source, read_only=item.get("read_only") is True)


def _is_path(source: str) -> bool:
    return source.startswith((".", "/", "~", "$")) or "\\" in source or bool(re.match(r"^[A-Za-z]:", source))


@dataclass(frozen=True)
class ComposeDeploy:
    """``deploy.replicas`` and ``deploy.resources``, with sizes as Kubernetes quantities."""

    replicas: int | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None
    cpu_request: str | None = None
    memory_request: str | None = None


def parse_deploy(service: dict[str, Any]) -> ComposeDeploy | None:
    """``deploy:`` plus the legacy top-level ``scale``/``cpus``/``mem_limit``/``mem_reservation``."""
    deploy = _mapping(service.get("deploy"))
    resources = _mapping(deploy.get("resources"))
    limits = _mapping(resources.get("limits"))
    reservations = _mapping(resources.get("reservations"))
    replicas = deploy.get("replicas", service.get("scale"))
    parsed = ComposeDeploy(
        replicas=replicas if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas >= 0 else None,
        cpu_limit=cpu_quantity(limits.get("cpus", service.get("cpus"))),
        memory_limit=memory_quantity(limits.get("memory", service.get("mem_limit"))),
        cpu_request=cpu_quantity(reservations.get("cpus")),
        memory_request=memory_quantity(reservations.get("memory", service.get("mem_reservation"))),
    )
    return None if parsed == ComposeDeploy() else parsed


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def cpu_quantity(value: Any) -> str | None:
    """Compose ``cpus: "0.5"`` → ``500m``; ``2`` → ``2``."""
    text = scalar(value)
    if text is None or isinstance(value, bool) or not _CPUS.match(text.strip()):
        return None
    millis = round(float(text) * 1000)
    if millis <= 0:
        return None
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def memory_quantity(value: Any) -> str | None:
    """Compose byte sizes (``512m``, ``1g``, ``1.5gb``, ``1048576``) → ``512Mi``, ``1Gi``, ``1536Mi``, ``1Mi``."""
    text = scalar(value)
    match = _BYTES.match(text.strip()) if text and not isinstance(value, bool) else None
    if match is None:
        return None
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size <= 0:
        return None
    for suffix, unit in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)
