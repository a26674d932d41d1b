"""Start commands as text (Procfile lines): their port, their migration steps, exec or shell form.

``web: python manage.py migrate && gunicorn app.wsgi --bind 0.0.0.0:$PORT`` is three facts:
a migration to run once (never on every replica start), a start command, and a port that
comes from ``$PORT``. This module pulls them apart.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from kubify.ir import Migration

_SHELL_CHARS = re.compile(r"[$`|;&<>*?(){}~]|\b(?:cd|export|exec)\b")
_PORT_FLAGS = (
    re.compile(r"(?:--port|--server\.port|--server-port|-P)[=\s]+(\$\{PORT:-\d+\}|\$\{?PORT\}?|\d+)"),
    re.compile(r"(?:--bind|-b|--listen|--http|--http-socket|--address)[=\s]+\S*?:(\$\{PORT:-\d+\}|\$\{?PORT\}?|\d+)"),
    re.compile(r"\brunserver\s+(?:\S*?:)?(\$\{PORT:-\d+\}|\$\{?PORT\}?|\d+)\b"),
    re.compile(r"(?:^|\s)-p[=\s]+(\$\{PORT:-\d+\}|\$\{?PORT\}?|\d+)"),
)
_MIGRATIONS = (
    (re.compile(r"\bmanage\.py\s+migrate\b"), "django"),
    (re.compile(r"\balembic\b.*\bupgrade\b"), "alembic"),
    (re.compile(r"\bflask\b.*\bdb\s+upgrade\b"), "flask-migrate"),
    (re.compile(r"\baerich\s+upgrade\b"), "aerich"),
    (re.compile(r"\byoyo\s+apply\b"), "yoyo"),
    (re.compile(r"\bpiccolo\s+migrations\s+forwards\b"), "piccolo"),
)
_SEPARATORS = re.compile(r"\s*(?:&&|;)\s*")
_DEFAULTED_PORT = re.compile(r"\$\{PORT:-(\d+)\}")


@dataclass(frozen=True)
class CommandPort:
    """The port a command listens on: a number, or ``$PORT`` (with the default it names, if any)."""

    port: int | None
    from_env: bool


@dataclass(frozen=True)
class SplitCommand:
    """A start command with its migration steps taken out."""

    start: str
    migrations: tuple[Migration, ...]


def command_port(command: str) -> CommandPort | None:
    """The listen port a command line names, if any."""
    for pattern in _PORT_FLAGS:
        match = pattern.search(command)
        if match is None:
            continue
        text = match.group(1)
        if text.isdigit():
            return CommandPort(int(text), False) if 0 < int(text) < 65536 else None
        defaulted = _DEFAULTED_PORT.match(text)
        return CommandPort(int(defaulted.group(1)) if defaulted else None, True)
    return None


def split_migrations(command: str) -> SplitCommand:
    """``migrate && serve`` → the serve part, plus the migrate part as a :class:`Migration`."""
    parts = [p for p in _SEPARATORS.split(command.strip()) if p]
    kept: list[str] = []
    migrations: list[Migration] = []
    for part in parts:
        tool = migration_tool(part)
        if tool is not None:
            migrations.append(Migration(tool=tool, command=tuple(_split(part))))
        else:
            kept.append(part)
    start = command if not migrations else " && ".join(kept)
    return SplitCommand(start, tuple(migrations))


def migration_tool(command: str) -> str | None:
    for pattern, tool in _MIGRATIONS:
        if pattern.search(command):
            return tool
    return None


def to_argv(command: str) -> tuple[tuple[str, ...], bool]:
    """(argv, shell): exec form when the command needs no shell, else the whole line for ``sh -c``."""
    if _SHELL_CHARS.search(command):
        return (command,), True
    words = _split(command)
    return (tuple(words), False) if words else ((command,), True)


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()
