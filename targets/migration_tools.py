"""What a schema-migration step needs inside the image its Job runs.

The migration Job runs the component's own image (same code, same settings), so the tool
the step calls must be in that image — and a distroless Go image or a Node image with its
dev dependencies pruned has none. Generated Dockerfiles put the tool there (Go: a pinned
binary plus the migrations directory; Node: the dev dependencies stay; Python: the venv
already holds it); for an image kubify does not build, ``MIGRATIONS.md`` says what it must
contain. Both read this one table, so the Dockerfile and the note never disagree.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from kubify.ir import Component, Migration

#: golang-migrate's official image; its /usr/local/bin/migrate is a static (CGO_ENABLED=0) binary.
GOLANG_MIGRATE_IMAGE = "migrate/migrate:v4.18.1"
#: goose publishes no image: built with ``go install``. v3.26.0 is the newest release that still
#: builds with Go 1.23 (later ones need 1.25), and GOTOOLCHAIN=auto covers older builders.
GOOSE_PACKAGE = "github.com/pressly/goose/v3/cmd/goose@v3.26.0"
#: Atlas's official image keeps the CLI at /atlas; it may link glibc, so it gets a glibc runtime.
ATLAS_IMAGE = "arigaio/atlas:1.2.3"

#: Commands that run a Node package's binary or script (the CLI must be in node_modules).
NODE_RUNNERS = frozenset({"npx", "npm", "pnpm", "yarn", "bun", "bunx", "node"})
#: Python entry points; the venv or the source tree provides them.
PYTHON_RUNNERS = frozenset({"python", "python3", "alembic", "flask", "aerich", "yoyo", "django-admin"})
_DIR_FLAGS = frozenset({"-path", "--path", "-dir", "--dir", "-source", "--source"})
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_.@+-]+(?:/[A-Za-z0-9_.@+-]+)*$")


@dataclass(frozen=True)
class GoTool:
    """A Go migration CLI and how a generated image gets it."""

    binary: str
    image: str | None = None
    image_path: str = ""
    package: str | None = None
    glibc: bool = False

    @property
    def origin(self) -> str:
        return f"`{self.image}`" if self.image else f"`go install {self.package}`"


GO_TOOLS: dict[str, GoTool] = {
    "golang-migrate": GoTool("migrate", image=GOLANG_MIGRATE_IMAGE, image_path="/usr/local/bin/migrate"),
    "goose": GoTool("goose", package=GOOSE_PACKAGE),
    "atlas": GoTool("atlas", image=ATLAS_IMAGE, image_path="/atlas", glibc=True),
}
_GO_BINARIES = {tool.binary: tool for tool in GO_TOOLS.values()}


def argv(migration: Migration) -> list[str]:
    """The step as words; a ``sh -c "..."`` step is split so its first word is the program."""
    words = list(migration.command)
    if len(words) >= 3 and posixpath.basename(words[0]) in ("sh", "bash") and words[1] == "-c":
        try:
            return shlex.split(words[2])
        except ValueError:
            return words[2].split()
    return words


def executable(migration: Migration) -> str:
    """The program the step starts (``migrate``, ``npx``, ``python``), without its directory."""
    words = argv(migration)
    return posixpath.basename(words[0]) if words else ""


def go_tool(migration: Migration) -> GoTool | None:
    """The Go migration CLI the step starts directly (a distroless image has no shell to run one)."""
    return _GO_BINARIES.get(posixpath.basename(migration.command[0])) if migration.command else None


def go_tools(component: Component) -> list[GoTool]:
    """The Go migration CLIs the component's steps call, each once, in step order."""
    found: list[GoTool] = []
    for migration in component.migrations:
        tool = go_tool(migration)
        if tool is not None and tool not in found:
            found.append(tool)
    return found


def migrations_dir(migration: Migration) -> str | None:
    """The migrations directory the step reads (``-path``, ``-dir``, ``--dir file://...``), if relative.

    Only a plain relative path inside the working directory is returned: it is what a
    generated image copies next to the binary.
    """
    words = migration.command
    for index, word in enumerate(words):
        flag, _, inline = word.partition("=")
        if flag not in _DIR_FLAGS:
            continue
        value = inline or (words[index + 1] if index + 1 < len(words) else "")
        path = posixpath.normpath(value.removeprefix("file://")) if value else ""
        if path and path != "." and _SAFE_PATH.match(path) and not path.startswith(".."):
            return path
    return None


def migration_dirs(component: Component) -> list[str]:
    return sorted({d for m in component.migrations if go_tool(m) and (d := migrations_dir(m))})


def node_cli(migration: Migration) -> bool:
    """Whether the step runs through Node's package tooling (so needs the package's CLI installed)."""
    return executable(migration) in NODE_RUNNERS


def uses_prisma(component: Component) -> bool:
    """Prisma's engines need OpenSSL, which the slim Node images lack."""
    steps = any("prisma" in m.tool or any("prisma" in w for w in m.command) for m in component.migrations)
    return steps or any(".prisma" in e.rule for e in component.evidence)


def provision(migration: Migration, family: str | None, *, prebuilt: str | None = None,
              dockerfile: str | None = None) -> str:
    """One sentence: how the step's tool gets into the image, or what the image must contain.

    ``family`` is the generated Dockerfile's template (go, node, python), None when kubify
    does not build the image — then ``dockerfile`` or ``prebuilt`` names where it comes from.
    """
    program = executable(migration) or migration.tool
    folder = migrations_dir(migration)
    if family is None:
        source = f"the image `{prebuilt}`" if prebuilt else f"`{dockerfile or 'its Dockerfile'}`"
        needs = f"`{program}` on its PATH"
        if node_cli(migration):
            needs += f" and the {migration.tool} CLI in node_modules (not pruned as a dev dependency)"
        if folder:
            needs += f", and `{folder}/` relative to its working directory"
        return f"The image comes from {source}, which kubify does not change: it must provide {needs}."
    tool = go_tool(migration) if family == "go" else None
    if tool is not None:
        where = f", and `{folder}/` into /app, its working directory" if folder else ""
        return f"The generated Dockerfile copies `{tool.binary}` (from {tool.origin}) into the image{where}."
    if family == "go":
        program = posixpath.basename(migration.command[0]) if migration.command else program
        return (f"The generated image holds only the Go binary (distroless, no shell): `{program}` is not in it. "
                "Set the migration command in kubify.yaml to a subcommand of the app, or build the image yourself.")
    if family == "node" and node_cli(migration):
        return (f"The generated Dockerfile keeps the dev dependencies, so `{program}` finds the {migration.tool} CLI "
                "even when it is a devDependency.")
    if family == "python" and program in ("python", "python3"):
        return f"`{program}` runs the app's own code with its virtualenv, as the app does: nothing to add."
    if family == "python" and program in PYTHON_RUNNERS:
        return (f"`{program}` comes from the app's virtualenv: keep {migration.tool} among the runtime dependencies "
                "(the image installs no dev dependencies).")
    return f"`{program}` must be available in the generated image; check that the install step provides it."
