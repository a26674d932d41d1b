"""Generate a Dockerfile for each component whose IR says ``build.generated``.

One Jinja template per language (``targets/templates/<language>.Dockerfile.j2``), all with
the same shape: a builder stage with BuildKit cache mounts for the package manager, then a
small runtime stage that runs as user 10001, exposes the inferred ports, sets ``PORT`` and
starts the inferred command in exec form (no shell between the signal and the app).

* python → ``python:<v>-slim``, dependencies in a venv at /opt/venv copied into the runtime.
* node → ``node:<v>-slim``; dev dependencies pruned after the build where the package manager can.
* go → the ``MAIN_PACKAGE`` binary at ``/app/<component>`` on distroless: ``static-debian12``
  for ``CGO_ENABLED=0``, ``base-debian12`` (glibc, built on bookworm to match) for cgo. A build
  context wider than the module (a go.work workspace, a local ``replace``) gets go.work and
  every known module's go.mod/go.sum before ``go mod download``.
* static-site → built with node when it has build steps, served by nginx-unprivileged on 8080.

A component with schema migrations gets the migration tool in its image, because the
migration Job runs that image (see ``migration_tools``): Go images get the pinned CLI and the
migrations directory, Node images keep their dev dependencies (Prisma also gets OpenSSL).

Dependency manifests are copied before the source (so the install layer survives code edits)
only when the install command provably needs nothing else; otherwise the source is copied
first, which is slower to rebuild but never wrong. ``<component>/Dockerfile.dockerignore`` is
emitted beside each Dockerfile: BuildKit applies it to builds using that Dockerfile.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from kubify.ir import RUNNABLE_KINDS, Application, Build, Component

from .k8s_common import image_owner
from .migration_tools import go_tools, migration_dirs, uses_prisma
from .options import Artifact, LowerOptions

UV_VERSION = "0.8.17"
NGINX_VERSION = "1.27-alpine"
NODE_LANGUAGES = frozenset({"node", "nodejs", "javascript", "typescript", "js", "ts"})
NODE_MANAGERS = frozenset({"npm", "pnpm", "yarn", "bun"})


@dataclass(frozen=True)
class Toolchain:
    """What one language's template needs to know about a package manager."""

    install: tuple[str, ...]
    cache: str
    tool: str = ""
    prune: str = ""


PYTHON_MANAGERS: dict[str, Toolchain] = {
    "pip": Toolchain(("pip install -r requirements.txt",), "/root/.cache/pip"),
    "uv": Toolchain(("uv sync --frozen --no-dev --no-install-project",), "/root/.cache/uv"),
    "poetry": Toolchain(("poetry install --only main --no-root --no-interaction",), "/root/.cache/pypoetry",
                        tool="poetry==2.1.3"),
    "pipenv": Toolchain(("pipenv install --deploy",), "/root/.cache/pipenv", tool="pipenv==2024.4.1"),
    "pdm": Toolchain(("pdm install --prod --no-editable --frozen-lockfile",), "/root/.cache/pdm",
                     tool="pdm==2.22.4"),
}
NODE_TOOLCHAINS: dict[str, Toolchain] = {
    "npm": Toolchain(("npm install --no-audit --no-fund",), "/root/.npm", prune="npm prune --omit=dev"),
    "pnpm": Toolchain(("pnpm install --frozen-lockfile",), "/root/.local/share/pnpm/store", prune="pnpm prune --prod"),
    "yarn": Toolchain(("yarn install",), "/usr/local/share/.cache/yarn"),
    "bun": Toolchain(("bun install",), "/root/.bun/install/cache"),
}
#: Files an install needs, by package manager ("*" suffix: copied when present).
MANIFESTS: dict[str, tuple[str, ...]] = {
    "uv": ("pyproject.toml", "uv.lock*"),
    "poetry": ("pyproject.toml", "poetry.lock*"),
    "pipenv": ("Pipfile", "Pipfile.lock*"),
    "pdm": ("pyproject.toml", "pdm.lock*"),
}
#: Defaults when the IR has no (usable) version pin.
DEFAULT_VERSIONS: dict[str, str] = {"python": "3.12", "node": "22", "go": "1.24"}
VERSION_PARTS: dict[str, int] = {"python": 2, "node": 1, "go": 2}
SPA_FRAMEWORKS = frozenset({"react", "vue", "vite", "angular", "svelte", "create-react-app", "preact", "solid"})
GO_STATIC_RUNTIME = "gcr.io/distroless/static-debian12:nonroot"
GO_GLIBC_RUNTIME = "gcr.io/distroless/base-debian12:nonroot"
#: Where corepack keeps the package manager it downloads in the builder; copied to the runtime,
#: which can neither download (no egress) nor write (read-only root filesystem).
COREPACK_HOME = "/opt/corepack"
#: Installing a toolchain the template already provides (``pip install poetry``) would put it in the app's venv.
_BOOTSTRAP = re.compile(r"^(?:python3?\s+-m\s+)?pip3?\s+install\s+(?:-\S+\s+)*"
                        r"(uv|poetry|pdm|pipenv)(?:[=<>~!]=?\S*)?\s*$")
_SHELL_SYNTAX = re.compile(r"[;&|<>()`\n]|^\s*(?:exec\b|\w+=)")


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("kubify.targets", "templates"), undefined=StrictUndefined,
                       autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def lower(app: Application, options: LowerOptions) -> list[Artifact]:
    """``<component>/Dockerfile`` and its ``.dockerignore`` for every generated build."""
    artifacts: list[Artifact] = []
    for component in sorted(app.components, key=lambda c: c.name):
        if image_owner(app, component) is not component:
            continue  # runs a sibling's image: one Dockerfile per recipe
        rendered = render(component, app.components)
        if rendered is not None:
            dockerfile, ignore = rendered
            artifacts += [Artifact.of_text(f"{component.name}/Dockerfile", dockerfile),
                          Artifact.of_text(f"{component.name}/Dockerfile.dockerignore", ignore)]
    return artifacts


def render(component: Component, siblings: tuple[Component, ...] = ()) -> tuple[str, str] | None:
    """(Dockerfile, dockerignore) for ``component``, or None when kubify does not build it.

    ``siblings`` are the application's components: a Go workspace build copies their go.mod files.
    """
    build = component.build
    if build is None or not build.generated or component.kind not in RUNNABLE_KINDS:
        return None
    language = language_of(component)
    if language is None:
        return None
    values = _common(component, build, language)
    if language == "go":
        values.update(_go(component, build, siblings))
    else:
        values.update(_LANGUAGE_VALUES[language](component, build))
    template = "static" if language == "static" else language
    dockerfile = _environment().get_template(f"{template}.Dockerfile.j2").render(**values)
    ignore = _environment().get_template("dockerignore.j2").render(
        language="node" if language == "static" else language,
        generated_output=[values["app_dir"] + build.output_dir] if build.output_dir and build.build else [])
    return dockerfile, ignore


def language_of(component: Component) -> str | None:
    """The template family: python, node, go or static (None: kubify cannot build it)."""
    if component.kind == "static-site":
        return "static"
    language = (component.language or "").lower()
    if language in ("python", "go"):
        return language
    if language == "golang":
        return "go"
    if language in NODE_LANGUAGES or (component.package_manager or "") in NODE_MANAGERS:
        return "node"
    return None


def version(language: str, pin: str | None) -> str:
    """An image tag version from a pin: ``3.12.4`` stays, ``>=3.9`` becomes the newer default."""
    default = DEFAULT_VERSIONS[language]
    match = re.search(r"\d+(?:\.\d+)*", pin or "")
    if match is None:
        return default
    found = ".".join(match.group(0).split(".")[:VERSION_PARTS[language] + 1])
    if (pin or "").lstrip().startswith((">", "^", "~")):
        found = ".".join(found.split(".")[:VERSION_PARTS[language]])
        return max(found, default, key=lambda v: tuple(int(p) for p in v.split(".")))
    return found


def exec_form(command: list[str]) -> str:
    """A JSON array: Docker's exec form (the app is PID 1 and receives SIGTERM)."""
    return json.dumps(command)


def _app_dir(component: Component, build: Build) -> str:
    """The component's directory inside the build context, with a trailing slash ('' at the root)."""
    context = build.context.strip("/")
    path = component.path.strip("/")
    if context in ("", ".") and path not in ("", "."):
        return path + "/"
    if path.startswith(context + "/"):
        return path[len(context) + 1:] + "/"
    return ""


def _common(component: Component, build: Build, language: str) -> dict[str, Any]:
    summary = "/".join(p for p in (language, component.framework, component.package_manager) if p)
    tcp = [str(p.port) for p in component.ports if p.protocol == "TCP"]
    udp = [f"{p.port}/udp" for p in component.ports if p.protocol == "UDP"]
    return {
        "name": component.name,
        "summary": summary,
        "context": build.context,
        "base_image": build.base_image,
        "app_dir": _app_dir(component, build),
        "port": tcp[0] if tcp else None,
        "exposes": tcp + udp,
        "install": list(build.install),
        "build": list(build.build),
    }


def _command(component: Component, fallback: list[str]) -> list[str]:
    run = component.run
    if run is None or not run.command:
        return fallback
    return ["/bin/sh", "-c", shell_line(" ".join(run.command))] if run.shell else list(run.command)


def shell_line(line: str) -> str:
    """A shell command line for ``sh -c``, ``exec``-prefixed when it is one plain command.

    ``exec`` makes the app PID 1 so it gets SIGTERM (dash forks for ``-c``); a line with
    operators, redirections or variable assignments is left as written.
    """
    return line if _SHELL_SYNTAX.search(line) else f"exec {line}"


NO_COMMAND = ["/bin/sh", "-c", "echo 'kubify: no start command was inferred; set run.command in kubify.yaml' >&2;"
              " exit 1"]


def _python(component: Component, build: Build) -> dict[str, Any]:
    manager = (component.package_manager or "pip").lower()
    toolchain = PYTHON_MANAGERS.get(manager, PYTHON_MANAGERS["pip"])
    install = [c for c in build.install if not _bootstraps(c, manager)] or list(toolchain.install)
    manifests = _python_manifests(manager, install, _app_dir(component, build))
    return {
        "version": version("python", component.language_version),
        "package_manager": manager,
        "uv_version": UV_VERSION,
        "tool": toolchain.tool,
        "cache": toolchain.cache,
        "install": install,
        "copies": manifests,
        "cmd": exec_form(_command(component, NO_COMMAND)),
    }


def _python_manifests(manager: str, install: list[str], prefix: str) -> list[str]:
    """``COPY`` arguments for the files an install needs, or [] when it needs the whole source.

    A requirements file in a sub-directory brings its directory (it may ``-r`` a sibling); one
    at the root brings every ``requirements*.txt`` for the same reason.
    """
    if any(_needs_source(command) for command in install):
        return []
    if manager in MANIFESTS:
        return [" ".join(prefix + m for m in MANIFESTS[manager]) + " ./"]
    copies: list[str] = []
    for command in install:
        words = _split(command)
        for flag, value in itertools.pairwise(words):
            if flag not in ("-r", "--requirement", "-c", "--constraint"):
                continue
            folder, _, name = value.rpartition("/")
            if folder:
                line = f"{prefix}{folder}/ ./{folder}/"
            else:
                line = f"{prefix}requirements*.txt ./" if name.startswith("requirements") else f"{prefix}{name} ./"
            if line not in copies:
                copies.append(line)
    return copies


def _bootstraps(command: str, manager: str) -> bool:
    """Whether ``command`` only installs the package manager the template already provides."""
    match = _BOOTSTRAP.match(command.strip())
    return match is not None and match.group(1) == manager and manager in PYTHON_MANAGERS and manager != "pip"


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _needs_source(command: str) -> bool:
    """Whether an install command installs the project itself (so needs its source)."""
    words = _split(command)
    if not words:
        return False
    if "pip" in words[:3] or words[:2] == ["python", "-m"]:
        return any(w in (".", "-e", "--editable") or w.startswith(("./", ".[")) for w in words)
    if words[:2] == ["uv", "sync"]:
        return "--no-install-project" not in words and "--no-install-workspace" not in words
    if words[:2] == ["uv", "pip"]:
        return any(w in (".", "-e") or w.startswith(("./", ".[")) for w in words)
    if words[:2] == ["poetry", "install"]:
        return "--no-root" not in words
    if words[:2] in (["poetry", "config"], ["pdm", "config"], ["corepack", "enable"]):
        return False
    if words[0] == "pipenv":
        return False
    if words[:2] == ["pdm", "install"]:
        return "--no-self" not in words
    return True


def _node_toolchain(component: Component) -> tuple[str, Toolchain]:
    manager = (component.package_manager or "npm").lower()
    return manager, NODE_TOOLCHAINS.get(manager, NODE_TOOLCHAINS["npm"])


def _node(component: Component, build: Build) -> dict[str, Any]:
    manager, toolchain = _node_toolchain(component)
    base = build.base_image or ("oven/bun:1.2" if manager == "bun" else None)
    corepack = manager in ("pnpm", "yarn")
    return {
        "version": version("node", component.language_version),
        "base_image": base,
        "corepack": corepack,
        "corepack_home": COREPACK_HOME,
        "cache": toolchain.cache,
        "install": _node_install(build, toolchain, corepack=corepack),
        # The migration Job runs this image: its CLI (prisma, drizzle-kit...) is often a devDependency.
        "prune": "" if component.migrations else toolchain.prune,
        "kept_dev": bool(component.migrations and toolchain.prune),
        "packages": _os_packages(base or "node", ["openssl"] if uses_prisma(component) else []),
        "cmd": exec_form(_command(component, ["bun", "run", "start"] if manager == "bun" else ["npm", "start"])),
    }


def _node_install(build: Build, toolchain: Toolchain, *, corepack: bool) -> list[str]:
    """The install commands, without a ``corepack enable`` the template already runs."""
    install = [c for c in build.install if not (corepack and _split(c) == ["corepack", "enable"])]
    return install or list(toolchain.install)


def _os_packages(image: str, packages: list[str]) -> str:
    """A RUN line installing system ``packages`` with the image's package manager ("" for none)."""
    if not packages:
        return ""
    names = " ".join(packages)
    if "alpine" in image:
        return f"apk add --no-cache {names}"
    return (f"apt-get update && apt-get install -y --no-install-recommends {names}"
            " && rm -rf /var/lib/apt/lists/*")


def _go(component: Component, build: Build, siblings: tuple[Component, ...]) -> dict[str, Any]:
    package, arguments = _go_target(component)
    cgo = build.args.get("CGO_ENABLED") == "1"
    tools = go_tools(component)
    binary = component.name
    return {
        "version": version("go", component.language_version),
        "base_image": _go_builder(build.base_image, cgo=cgo),
        "bookworm": cgo,
        "manifests": _go_manifests(component, build, siblings),
        "workspace": _app_dir(component, build) != "",
        "build": [c for c in build.build if _split(c)[:2] != ["go", "build"]],
        "package": shlex.quote(package),
        "cgo": "1" if cgo else "0",
        "binary": binary,
        "runtime": GO_GLIBC_RUNTIME if cgo or any(t.glibc for t in tools) else GO_STATIC_RUNTIME,
        "tool_images": [t for t in tools if t.image],
        "tool_packages": [t for t in tools if t.package],
        "migration_dirs": migration_dirs(component),
        "cmd": exec_form([f"/app/{binary}", *arguments]),
    }


def _go_builder(image: str | None, *, cgo: bool) -> str | None:
    """The builder image; a cgo build uses Debian bookworm, the glibc of distroless ``base-debian12``."""
    if image and cgo and re.fullmatch(r"(?:docker\.io/)?(?:library/)?golang:[0-9.]+", image):
        return f"{image}-bookworm"
    return image


def _go_manifests(component: Component, build: Build, siblings: tuple[Component, ...]) -> list[str]:
    """``COPY`` arguments for go.work and the go.mod/go.sum of every module a build may need.

    A context wider than the module is a go.work workspace or holds local ``replace`` targets:
    the other Go components inside it are those modules (go.work itself is optional: ``*``).
    """
    own = _app_dir(component, build)
    copies = [f"{own}go.mod {own}go.sum* ./"]
    if not own:
        return copies
    context = build.context.strip("/")
    others = sorted({_app_dir(s, build) for s in siblings
                     if language_of(s) == "go" and s.path != component.path and _inside(s.path, context)})
    return ["go.work* /src/", *copies, *(f"{d}go.mod {d}go.sum* /src/{d}" for d in others)]


def _inside(path: str, context: str) -> bool:
    path = path.strip("/")
    return context in ("", ".") or path == context or path.startswith(context + "/")


def _go_target(component: Component) -> tuple[str, list[str]]:
    """The main package to build and the arguments the binary runs with.

    The analyzer's ``MAIN_PACKAGE`` build arg names the package; without it, a ``go build``
    command or a ``go run`` start command does.
    """
    build = component.build
    declared = build.args.get("MAIN_PACKAGE") if build else None
    built = next((p for c in (build.build if build else ()) if _split(c)[:2] == ["go", "build"]
                  and (p := _go_positional(_split(c)[2:]))), None)
    run = list(component.run.command) if component.run else []
    if run[:2] == ["go", "run"]:
        rest = run[2:]
        package = _go_positional(rest) or "."
        return declared or built or package, rest[rest.index(package) + 1:] if package in rest else []
    return declared or built or ".", _run_arguments(component)


_GO_VALUE_FLAGS = frozenset({"-o", "-ldflags", "-gcflags", "-tags", "-mod", "-p", "-buildmode", "-modfile",
                             "-overlay", "-pgo", "-asmflags", "-installsuffix", "-toolexec", "-compiler"})


def _go_positional(words: list[str]) -> str | None:
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in _GO_VALUE_FLAGS:
            skip = True
            continue
        if word.startswith("-"):
            continue
        return word
    return None


def _run_arguments(component: Component) -> list[str]:
    """Arguments after the binary in ``run.command`` (``./server --port 8080`` → ``--port 8080``)."""
    run = list(component.run.command) if component.run else []
    return run[1:] if run and not (component.run and component.run.shell) else []


def _static(component: Component, build: Build) -> dict[str, Any]:
    manager, toolchain = _node_toolchain(component)
    prefix = _app_dir(component, build)
    output = (build.output_dir or "").strip("/")
    spa = (component.framework or "").lower() in SPA_FRAMEWORKS
    return {
        "version": version("node", component.language_version),
        "corepack": manager in ("pnpm", "yarn"),
        "cache": toolchain.cache,
        "install": _node_install(build, toolchain, corepack=manager in ("pnpm", "yarn")) if build.build else [],
        "output_dir": f"{output}/" if output else "",
        "source_dir": f"{prefix}{output}".rstrip("/") or ".",
        "nginx_version": NGINX_VERSION,
        "fallback": "/index.html" if spa else "=404",
    }


_LANGUAGE_VALUES = {"python": _python, "node": _node, "static": _static}
