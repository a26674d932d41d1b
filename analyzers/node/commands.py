"""The production start command of a Node service, and the files it starts from.

Railpack's order (``start`` script → ``main`` → ``index.js``) with two corrections:
a ``start`` script that only runs a development server (``nodemon``, ``next dev``,
``nest start --watch``) yields to ``start:prod``-style scripts, and a trivial script
(``node server.js``) is run directly instead of through the package manager, so signals
reach node. Frameworks whose production server is a build artefact (Nuxt's
``.output/server/index.mjs``, Nest's ``dist/main.js``, SvelteKit's ``build``) get it. A
TypeScript entry with a build step runs its compiled output (from tsconfig's ``outDir``).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from kubify.analyzers.node.frameworks import DEV_SERVER, STATIC_PREVIEW, Framework
from kubify.analyzers.node.package_json import PackageJson
from kubify.analyzers.node.package_manager import PackageManager
from kubify.diagnostics import FileProblem
from kubify.scan import Inventory, join, relative_to

#: Alternatives to a development ``start`` script, best first.
PROD_SCRIPTS: tuple[str, ...] = ("start:prod", "start:production", "prod", "production", "serve:prod", "start-prod",
                                 "serve")
#: Conventional entry files (Railpack, GCP buildpacks, fly), in the order they are tried.
ENTRY_NAMES: tuple[str, ...] = ("server.js", "index.js", "app.js", "main.js", "server.mjs", "index.mjs", "app.mjs",
                                "server.cjs", "index.cjs", "src/server.js", "src/index.js", "src/app.js",
                                "src/main.js", "bin/www", "bin/server.js")
TS_ENTRIES: tuple[str, ...] = ("src/main.ts", "src/server.ts", "src/index.ts", "src/app.ts", "server.ts", "index.ts",
                               "main.ts", "app.ts")
#: Runners whose first non-flag argument is the script file.
_RUNNERS = frozenset({"node", "bun", "nodemon", "ts-node", "ts-node-dev", "tsnd", "tsx", "node-dev", "pm2-runtime",
                      "babel-node", "esno", "esr", "supervisor"})
_SHELL = re.compile(r"&&|\|\||[;|<>`$]|\b(?:cd|export)\b")
_ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")
_DELEGATING = re.compile(r"\b(?:turbo|lerna|nx|concurrently|npm-run-all|run-p|run-s|wsrun|ultra)\b|--workspace|"
                         r"(?:^|\s)-w\s|--filter|(?:^|\s)-F\s|\byarn\s+workspace\b|\bcd\s+\S+\s*&&")


@dataclass(frozen=True)
class Command:
    """A chosen command with its provenance."""

    argv: tuple[str, ...]
    rule: str
    file: str
    line: int
    confidence: float
    shell: bool = False


def split(command: str) -> list[str] | None:
    """``shlex.split`` that answers None instead of raising on unbalanced quotes."""
    try:
        return shlex.split(command)
    except ValueError:
        return None


def is_dev_server(script: str | None) -> bool:
    """A development server or watcher, never a production process (``vite`` alone is Vite's dev server)."""
    if not script:
        return False
    if DEV_SERVER.search(script):
        return True
    for command in re.split(r"&&|\|\||[;|]", script):
        tokens = command.split()
        if tokens and tokens[0] == "vite" and (len(tokens) == 1 or tokens[1] not in ("build", "preview", "optimize")):
            return True
    return False


def is_static_preview(script: str | None) -> bool:
    return bool(script and STATIC_PREVIEW.search(script))


def delegates(script: str | None) -> bool:
    """A workspace root's script that runs members' scripts rather than an app of its own."""
    return bool(script and _DELEGATING.search(script))


def direct(script: str) -> tuple[str, ...] | None:
    """``node [flags] file [args]`` (or ``bun file``) as an argv; None when a shell is needed."""
    if _SHELL.search(script) or _ENV_PREFIX.match(script):
        return None
    tokens = split(script)
    if not tokens or tokens[0] not in ("node", "bun"):
        return None
    if tokens[0] == "bun" and len(tokens) > 1 and tokens[1] == "run":
        tokens = ["bun", *tokens[2:]]
    return tuple(tokens) if len(tokens) > 1 else None


def script_file(script: str | None) -> str | None:
    """The file a ``node``/``nodemon``/``ts-node`` command starts (``node -r dotenv/config src/a.js`` → src/a.js)."""
    tokens = split(_ENV_PREFIX.sub("", script or "")) or []
    for index, token in enumerate(tokens):
        if token.rsplit("/", 1)[-1] not in _RUNNERS:
            continue
        rest = tokens[index + 1:]
        skip = False
        for argument in rest:
            if skip:
                skip = False
                continue
            if argument in ("-r", "--require", "--import", "--loader", "--env-file", "-e", "--exec", "--watch-path",
                            "-w", "--ignore", "-P", "--project", "-i", "--instances"):
                skip = True
                continue
            if argument.startswith("-") or argument in ("watch", "run", "start"):
                continue
            return argument.removeprefix("./")
        return None
    return None


def entry_candidates(inventory: Inventory, package: PackageJson) -> list[str]:
    """Files that likely start the process, most likely first (scanned before anything else)."""
    root = package.root
    found: list[str] = []
    for name in ("start", *PROD_SCRIPTS, "dev"):
        target = script_file(package.script(name))
        if target:
            found += _with_sources(root, target)
    main = package.string("main")
    if main:
        found += _with_sources(root, main.removeprefix("./"))
    found += [join(root, n) for n in (*ENTRY_NAMES, *TS_ENTRIES)]
    return [f for f in dict.fromkeys(found) if inventory.has(f)]


def _with_sources(root: str, target: str) -> list[str]:
    """A compiled path and the source it likely came from (dist/main.js → src/main.ts)."""
    target = target if re.search(r"\.[cm]?[jt]sx?$", target) or target.startswith("bin/") else target + ".js"
    paths = [join(root, target)]
    source = re.sub(r"^(?:dist|build|out|lib)/", "src/", target)
    paths += [join(root, re.sub(r"\.[cm]?js$", ext, source)) for ext in (".ts", ".js", ".mts")]
    return paths


def start_command(inventory: Inventory, package: PackageJson, manager: PackageManager,
                  framework: Framework | None, port: int | None, listening: set[str]) -> Command | None:
    """The production start command of a service (framework artefact, script, main, entry file)."""
    special = _framework_command(inventory, package, manager, framework, port)
    if special is not None:
        return special
    script = _script_command(package, manager)
    if script is not None:
        return script
    main = package.string("main")
    if main and not main.endswith((".ts", ".mts", ".cts")) and (
            inventory.has(join(package.root, main)) or package.script("build")):
        return Command(("node", main.removeprefix("./")), "node.run.main", package.file, package.line("main"), 0.5)
    compiled = compiled_entry(inventory, package)
    if compiled is not None:
        return compiled
    for name in ENTRY_NAMES:
        rel = join(package.root, name)
        if inventory.has(rel):
            return Command(("node", name), "node.run.entry-file", rel, 1, 0.5 if rel in listening else 0.3)
    dev = package.script("dev")
    target = script_file(dev)
    if target and not target.endswith((".ts", ".mts")):
        return Command(("node", target), "node.run.from-dev-script", package.file, package.line("scripts", "dev"),
                       0.3)
    return None


def _script_command(package: PackageJson, manager: PackageManager) -> Command | None:
    start = package.script("start")
    chosen = "start" if start and not is_dev_server(start) else None
    if chosen is None:
        chosen = next((n for n in PROD_SCRIPTS if (s := package.script(n)) and not is_dev_server(s)
                       and not is_static_preview(s)), None)
    if chosen is None and start:
        derived = script_file(start)
        if derived and not derived.endswith((".ts", ".mts")) and re.search(r"\b(?:nodemon|node\s+--watch)\b", start):
            return Command(("node", derived), "node.run.from-dev-start", package.file,
                           package.line("scripts", "start"), 0.5)
        chosen = "start"
    if chosen is None:
        return None
    script = package.script(chosen) or ""
    rule = "node.run.start-script" if chosen == "start" else "node.run.prod-script"
    argv = direct(script)
    if argv is not None:
        return Command(argv, rule + "-direct", package.file, package.line("scripts", chosen), 0.7)
    return Command(manager.run(chosen), rule, package.file, package.line("scripts", chosen), 0.7)


def _framework_command(inventory: Inventory, package: PackageJson, manager: PackageManager,
                       framework: Framework | None, port: int | None) -> Command | None:
    if framework is None:
        return None
    start = package.script("start") or ""
    # A start script that runs the dev server (``astro dev``) is not the app's own production command.
    custom = bool(start) and not is_dev_server(start) and not re.search(
        r"\b(?:next|nuxt|nuxi|nest|svelte-kit|astro)\s+(?:start|preview)\b|\.output/server/index\.mjs|"
        r"^node\s+build\b", start)
    name, file, line = framework.name, framework.file, framework.line
    if name == "nestjs":
        prod = package.script("start:prod")
        if prod and (argv := direct(prod)):
            return Command(argv, "node.run.nestjs-start-prod", package.file, package.line("scripts", "start:prod"),
                           0.7)
        if custom:
            return None
        return Command(("node", _nest_entry(inventory, package)), "node.run.nestjs-dist", file, line, 0.7)
    if custom:
        return None
    if name == "next":
        flags = split(start) or []
        given = next((flags[i + 1] for i, f in enumerate(flags[:-1]) if f in ("-p", "--port")), None)
        argv = manager.exec("next", "start", "-p", given or str(port or 3000))
        if start:
            file, line = package.file, package.line("scripts", "start")
        return Command(argv, "node.run.next-start", file, line, 0.7)
    if name == "nuxt":
        return Command(("node", ".output/server/index.mjs"), "node.run.nuxt-output", file, line, 0.7)
    if name == "sveltekit" and package.has_dependency("@sveltejs/adapter-node"):
        return Command(("node", "build"), "node.run.sveltekit-adapter-node", package.file,
                       package.dependency_line("@sveltejs/adapter-node"), 0.7)
    if name == "astro" and package.has_dependency("@astrojs/node"):
        return Command(("node", "./dist/server/entry.mjs"), "node.run.astro-node-adapter", package.file,
                       package.dependency_line("@astrojs/node"), 0.7)
    return None


def _nest_entry(inventory: Inventory, package: PackageJson) -> str:
    config = join(package.root, "nest-cli.json")
    entry = "main"
    data: Any = {}
    if inventory.has(config):
        try:
            data = inventory.json(config)
        except FileProblem:
            data = {}
    if isinstance(data, dict) and isinstance(data.get("entryFile"), str):
        entry = data["entryFile"]
    return f"dist/{entry}.js"


def compiled_entry(inventory: Inventory, package: PackageJson) -> Command | None:
    """A TypeScript entry with a build script runs as ``node <outDir>/<entry>.js``."""
    if not package.script("build"):
        return None
    source = next((join(package.root, n) for n in TS_ENTRIES if inventory.has(join(package.root, n))), None)
    if source is None:
        return None
    options = tsconfig_options(inventory, package.root)
    out_dir = str(options.get("outDir") or "").removeprefix("./").rstrip("/")
    root_dir = str(options.get("rootDir") or "").removeprefix("./").rstrip("/")
    local = relative_to(source, package.root)
    if not root_dir and local.startswith("src/") and out_dir:
        root_dir = "src"
    inner = local[len(root_dir) + 1:] if root_dir and local.startswith(root_dir + "/") else local
    compiled = re.sub(r"\.m?ts$", ".js", f"{out_dir}/{inner}" if out_dir else inner)
    return Command(("node", compiled), "node.run.typescript-compiled", source, 1, 0.5)


def tsconfig_options(inventory: Inventory, root: str) -> dict[str, Any]:
    """``compilerOptions`` of tsconfig.json, read leniently (it allows comments and trailing commas)."""
    rel = join(root, "tsconfig.json")
    if not inventory.has(rel):
        return {}
    try:
        text = inventory.text(rel)
    except FileProblem:
        return {}
    data = jsonc(text)
    options = data.get("compilerOptions") if isinstance(data, dict) else None
    return options if isinstance(options, dict) else {}


_JSONC_NOISE = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/|,(\s*[}\]])', re.S)


def jsonc(text: str) -> Any:
    """JSON with comments and trailing commas (tsconfig, VS Code style); None when unreadable."""
    def keep(match: re.Match[str]) -> str:
        return match.group(1) or match.group(2) or ""
    try:
        return json.loads(_JSONC_NOISE.sub(keep, text))
    except (ValueError, RecursionError):
        return None
