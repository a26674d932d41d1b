"""Dockerfile semantics: stages, build arguments and the image configuration each stage yields.

:func:`parse_dockerfile` is the public entry point (the k8s target may reuse it). It
splits the instructions into stages, substitutes global ``ARG`` values into ``FROM``,
and replays every stage the way ``docker build`` does, so that a stage started ``FROM``
an earlier stage inherits its ENV, WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT, SHELL,
HEALTHCHECK and VOLUMEs. An external base image contributes nothing here: what we do
not read, we do not claim. Every value keeps the line it came from, for evidence.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from kubify.analyzers.dockerfile_expand import Expanded, expand
from kubify.analyzers.dockerfile_syntax import Instruction, Syntax, parse_syntax
from kubify.diagnostics import Diagnostic, warning

DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")
#: Platform arguments BuildKit defines in the global scope of every build.
PLATFORM_ARGS: Mapping[str, str] = {
    "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64", "BUILDVARIANT": "",
    "TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64", "TARGETVARIANT": "",
}
#: A port range wider than this is not spelled out port by port (an RTP range would be thousands).
MAX_PORT_RANGE = 32
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_PORT_SPEC = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?(?:/([A-Za-z]+))?$")


@dataclass(frozen=True)
class Value:
    """A string setting (WORKDIR, USER, VOLUME path, STOPSIGNAL) and the line that set it."""

    value: str
    line: int


@dataclass(frozen=True)
class Setting:
    """An ENV entry; ``missing`` names variables its value referenced that had no value."""

    name: str
    value: str
    line: int
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExposedPort:
    port: int
    protocol: str  # "TCP" or "UDP"
    line: int


@dataclass(frozen=True)
class Command:
    """CMD, ENTRYPOINT or a HEALTHCHECK command: exec form (argv) or shell form (one string)."""

    args: tuple[str, ...]
    exec_form: bool
    line: int

    def argv(self, shell: tuple[str, ...] = DEFAULT_SHELL) -> tuple[str, ...]:
        """What the container runs: the exec form as is, the shell form through ``shell``."""
        return self.args if self.exec_form else (*shell, " ".join(self.args))


@dataclass(frozen=True)
class Healthcheck:
    """``command`` is None for ``HEALTHCHECK NONE`` (which disables an inherited check)."""

    command: Command | None
    line: int
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CopyStep:
    """A COPY/ADD (or ``RUN --mount=from=``) and where its files come from."""

    keyword: str
    sources: tuple[str, ...]
    destination: str
    source_stage: str | None
    line: int


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` section: its base (after ARG substitution) and its instructions."""

    index: int
    name: str | None
    image: str
    line: int
    platform: str | None = None
    parent: int | None = None
    instructions: tuple[Instruction, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageConfig:
    """The image configuration a stage produces, inherited settings included."""

    stage: Stage
    chain: tuple[int, ...]
    base_image: str
    env: tuple[Setting, ...] = ()
    workdir: Value | None = None
    user: Value | None = None
    ports: tuple[ExposedPort, ...] = ()
    entrypoint: Command | None = None
    cmd: Command | None = None
    shell: tuple[str, ...] = DEFAULT_SHELL
    healthcheck: Healthcheck | None = None
    volumes: tuple[Value, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    stopsignal: Value | None = None
    copies: tuple[CopyStep, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    def command(self) -> tuple[tuple[str, ...], bool]:
        """The container's argv as Docker merges ENTRYPOINT and CMD, and whether a shell form is in it."""
        entry, cmd = self.entrypoint, self.cmd
        if entry is not None and entry.args:
            if not entry.exec_form:  # a shell-form ENTRYPOINT ignores CMD
                return entry.argv(self.shell), True
            tail = cmd.argv(self.shell) if cmd is not None else ()
            return entry.args + tail, cmd is not None and not cmd.exec_form
        if cmd is not None and cmd.args:
            return cmd.argv(self.shell), not cmd.exec_form
        return (), False


@dataclass(frozen=True)
class DockerfileModel:
    """A parsed Dockerfile: syntax, stages and the image configuration of every stage."""

    file: str
    escape: str
    directives: tuple[tuple[str, str], ...]
    instructions: tuple[Instruction, ...]
    keywords: tuple[str, ...]
    meta_args: tuple[tuple[str, str], ...]
    stages: tuple[Stage, ...]
    images: tuple[ImageConfig, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def starts_with_from(self) -> bool:
        """Move2Kube's content rule: the first instruction other than ARG is FROM."""
        first = next((k for k in self.keywords if k != "ARG"), None)
        return first == "FROM" and bool(self.stages)

    def stage(self, ref: str | None) -> Stage | None:
        """The stage named ``ref`` (case-insensitive) or numbered ``ref``; the last one for None."""
        if not self.stages:
            return None
        if ref is None:
            return self.stages[-1]
        return _find_stage(self.stages, ref)

    def image(self, target: str | None = None) -> ImageConfig | None:
        """The configuration of the image ``docker build --target`` builds (last stage by default)."""
        stage = self.stage(target) or self.stage(None)
        return None if stage is None else self.images[stage.index]

    def dependencies(self, index: int) -> tuple[int, ...]:
        """Stages stage ``index`` needs: its FROM chain and the stages it copies from, recursively."""
        needed: list[int] = []
        pending = [index]
        while pending:
            current = pending.pop()
            if current in needed:
                continue
            needed.append(current)
            image = self.images[current]
            pending += list(image.chain)
            for step in image.copies:
                source = _find_stage(self.stages[:current], step.source_stage) if step.source_stage else None
                if source is not None:
                    pending.append(source.index)
        return tuple(sorted(needed))


def _find_stage(stages: tuple[Stage, ...], ref: str) -> Stage | None:
    lowered = ref.lower()
    for stage in stages:
        if stage.name == lowered:
            return stage
    if ref.isdigit() and int(ref) < len(stages):
        return stages[int(ref)]
    return None


def parse_dockerfile(text: str, file: str = "Dockerfile",
                     build_args: Mapping[str, str] | None = None) -> DockerfileModel:
    """Parse and evaluate a Dockerfile; ``build_args`` play the part of ``--build-arg``. Never raises."""
    syntax = parse_syntax(text, file)
    args = dict(build_args or {})
    meta, declared, body = _meta_args(syntax, args)
    stages = _stages(body, meta)
    images: list[ImageConfig] = []
    for stage in stages:
        images.append(_evaluate(stage, images, _Context(syntax.escape, meta, declared, args, file)))
    return DockerfileModel(
        file=file, escape=syntax.escape, directives=syntax.directives, instructions=syntax.instructions,
        keywords=syntax.keywords, meta_args=tuple(sorted(meta.items())), stages=tuple(stages), images=tuple(images),
        diagnostics=syntax.diagnostics + tuple(_from_problems(stages, file)),
    )


def _meta_args(syntax: Syntax, build_args: Mapping[str, str]) -> tuple[dict[str, str], set[str], list[Instruction]]:
    """Global ARGs (before the first FROM), usable in FROM lines; and the instructions after them."""
    meta = dict(PLATFORM_ARGS)
    declared: set[str] = set()
    instructions = list(syntax.instructions)
    while instructions and instructions[0].keyword == "ARG":
        for raw, default in instructions.pop(0).pairs:
            name = expand(raw, meta, syntax.escape).value
            declared.add(name)
            if name in build_args:
                meta[name] = build_args[name]
            elif default is not None:
                meta[name] = expand(default, meta, syntax.escape).value
    return meta, declared, instructions


def _stages(instructions: list[Instruction], meta: Mapping[str, str]) -> list[Stage]:
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM" and instruction.args:
            stages.append(_stage(instruction, len(stages), stages, meta))
        elif stages:
            last = stages[-1]
            stages[-1] = replace(last, instructions=(*last.instructions, instruction))
    return stages


def _stage(instruction: Instruction, index: int, earlier: list[Stage], meta: Mapping[str, str]) -> Stage:
    image = expand(instruction.args[0], meta)
    name = instruction.args[1].lower() if len(instruction.args) > 1 else None
    parent = _find_stage(tuple(earlier), image.value) if image.value and not image.value.isdigit() else None
    platform = instruction.flag("platform")
    return Stage(index=index, name=name, image=image.value, line=instruction.line,
                 platform=expand(platform, meta).value if platform else None,
                 parent=parent.index if parent else None, missing=image.missing)


def _from_problems(stages: list[Stage], file: str) -> list[Diagnostic]:
    problems = []
    for stage in stages:
        if stage.missing and not stage.image:
            problems.append(warning(
                "dockerfile.unresolved-base", f"FROM uses {', '.join(stage.missing)}, which has no default value",
                file=file, line=stage.line,
                hint=f"give it a default before the first FROM, e.g. ARG {stage.missing[0]}=<image>"))
    return problems


@dataclass
class _Context:
    """What every stage evaluation shares: escape character, global args, --build-arg values."""

    escape: str
    meta: Mapping[str, str]
    declared: set[str]
    build_args: Mapping[str, str]
    file: str


@dataclass
class _State:
    """The image configuration while a stage's instructions are replayed."""

    env: dict[str, Setting] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    workdir: Value | None = None
    user: Value | None = None
    ports: dict[tuple[int, str], ExposedPort] = field(default_factory=dict)
    entrypoint: Command | None = None
    cmd: Command | None = None
    cmd_in_stage: bool = False
    shell: tuple[str, ...] = DEFAULT_SHELL
    healthcheck: Healthcheck | None = None
    volumes: dict[str, Value] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    stopsignal: Value | None = None
    copies: list[CopyStep] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)

    def variables(self) -> dict[str, str]:
        """What ``$NAME`` means here: ENV wins over ARG of the same name, as in Docker."""
        return self.args | {name: s.value for name, s in self.env.items()}


def _inherit(parent: ImageConfig) -> _State:
    return _State(
        env={s.name: s for s in parent.env}, workdir=parent.workdir, user=parent.user,
        ports={(p.port, p.protocol): p for p in parent.ports}, entrypoint=parent.entrypoint, cmd=parent.cmd,
        shell=parent.shell, healthcheck=parent.healthcheck, volumes={v.value: v for v in parent.volumes},
        labels=dict(parent.labels), stopsignal=parent.stopsignal, copies=list(parent.copies),
    )


def _evaluate(stage: Stage, images: list[ImageConfig], context: _Context) -> ImageConfig:
    parent = images[stage.parent] if stage.parent is not None else None
    state = _inherit(parent) if parent is not None else _State()
    triggers = _onbuild(images, stage.parent)
    for instruction in (*triggers, *stage.instructions):
        _DISPATCH.get(instruction.keyword, _ignore)(state, instruction, context)
    chain = (*parent.chain, stage.index) if parent is not None else (stage.index,)
    return ImageConfig(
        stage=stage, chain=chain, base_image=parent.base_image if parent is not None else stage.image,
        env=tuple(state.env.values()), workdir=state.workdir, user=state.user,
        ports=tuple(sorted(state.ports.values(), key=lambda p: (p.port, p.protocol))),
        entrypoint=state.entrypoint, cmd=state.cmd, shell=state.shell, healthcheck=state.healthcheck,
        volumes=tuple(state.volumes.values()), labels=tuple(sorted(state.labels.items())),
        stopsignal=state.stopsignal, copies=tuple(state.copies),
        diagnostics=(*(parent.diagnostics if parent is not None else ()), *state.notes),
    )


def _onbuild(images: list[ImageConfig], parent: int | None) -> tuple[Instruction, ...]:
    """ONBUILD triggers of the parent stage run first in a stage built FROM it."""
    if parent is None:
        return ()
    own = images[parent].stage.instructions
    return tuple(replace(i.child, line=i.line) for i in own if i.keyword == "ONBUILD" and i.child is not None)


def _expanded(state: _State, word: str, context: _Context) -> Expanded:
    return expand(word, state.variables(), context.escape)


def _ignore(state: _State, instruction: Instruction, context: _Context) -> None:
    """RUN, MAINTAINER, ONBUILD (recorded on the stage) change nothing we read."""


def _env(state: _State, instruction: Instruction, context: _Context) -> None:
    before = state.variables()
    lines = instruction.pair_lines or (instruction.line,) * len(instruction.pairs)
    for (raw_name, raw_value), line in zip(instruction.pairs, lines, strict=True):
        name = expand(raw_name, before, context.escape).value
        value = expand(raw_value or "", before, context.escape)
        state.env[name] = Setting(name, value.value, line, value.missing)


def _label(state: _State, instruction: Instruction, context: _Context) -> None:
    before = state.variables()
    for raw_name, raw_value in instruction.pairs:
        state.labels[expand(raw_name, before, context.escape).value] = expand(raw_value or "", before,
                                                                              context.escape).value


def _arg(state: _State, instruction: Instruction, context: _Context) -> None:
    for raw_name, default in instruction.pairs:
        name = _expanded(state, raw_name, context).value
        if name in context.build_args:
            state.args[name] = context.build_args[name]
        elif default is not None:
            state.args[name] = _expanded(state, default, context).value
        elif (name in context.declared and name in context.meta) or name in PLATFORM_ARGS:
            state.args[name] = context.meta[name]


def _expose(state: _State, instruction: Instruction, context: _Context) -> None:
    for word in instruction.args:
        value = _expanded(state, word, context)
        if value.missing:
            _note_missing(state, instruction, context, value.missing)
        for spec in value.value.split():
            for port in _ports(spec, instruction.line, state, context):
                state.ports.setdefault((port.port, port.protocol), port)


def _ports(spec: str, line: int, state: _State, context: _Context) -> list[ExposedPort]:
    match = _PORT_SPEC.match(spec)
    protocol = (match.group(3) or "tcp").upper() if match else ""
    if match is None or protocol not in ("TCP", "UDP"):
        state.notes.append(warning("dockerfile.expose", f"cannot read port {spec!r} in EXPOSE",
                                   file=context.file, line=line,
                                   hint="write EXPOSE <port>[/tcp|/udp], e.g. EXPOSE 8080"))
        return []
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if not 1 <= first <= last <= 65535:
        state.notes.append(warning("dockerfile.expose", f"invalid port or range {spec!r} in EXPOSE",
                                   file=context.file, line=line, hint="ports are 1-65535; a range is low-high"))
        return []
    if last - first >= MAX_PORT_RANGE:
        state.notes.append(warning(
            "dockerfile.expose", f"port range {spec} has {last - first + 1} ports; only {first} is used",
            file=context.file, line=line, hint="list the ports the service really needs in kubify.yaml"))
        last = first
    return [ExposedPort(port, protocol, line) for port in range(first, last + 1)]


def _note_missing(state: _State, instruction: Instruction, context: _Context, missing: tuple[str, ...]) -> None:
    names = ", ".join(missing)
    state.notes.append(warning(
        "dockerfile.unresolved-variable", f"{instruction.keyword} uses {names}, which has no value at build time",
        file=context.file, line=instruction.line,
        hint=f"give it a default (ARG {missing[0]}=...) or set the value in kubify.yaml"))


def _text(state: _State, instruction: Instruction, context: _Context) -> Value | None:
    if not instruction.args:
        return None
    value = _expanded(state, instruction.args[0], context)
    if value.missing:
        _note_missing(state, instruction, context, value.missing)
    return Value(value.value, instruction.line)


def _user(state: _State, instruction: Instruction, context: _Context) -> None:
    state.user = _text(state, instruction, context) or state.user


def _stopsignal(state: _State, instruction: Instruction, context: _Context) -> None:
    state.stopsignal = _text(state, instruction, context) or state.stopsignal


def _workdir(state: _State, instruction: Instruction, context: _Context) -> None:
    value = _text(state, instruction, context)
    if value is None:
        return
    if _WINDOWS_PATH.match(value.value):  # C:\app on a Windows image: absolute, not POSIX
        state.workdir = value
        return
    base = state.workdir.value if state.workdir else "/"
    path = value.value if value.value.startswith("/") else posixpath.join(base, value.value)
    state.workdir = Value(posixpath.normpath(path), value.line)


def _volume(state: _State, instruction: Instruction, context: _Context) -> None:
    for word in instruction.args:
        path = _expanded(state, word, context).value
        if path:
            state.volumes.setdefault(path, Value(path, instruction.line))


def _cmd(state: _State, instruction: Instruction, context: _Context) -> None:
    state.cmd = Command(instruction.args, instruction.json, instruction.line)
    state.cmd_in_stage = True


def _entrypoint(state: _State, instruction: Instruction, context: _Context) -> None:
    state.entrypoint = Command(instruction.args, instruction.json, instruction.line)
    if not state.cmd_in_stage:  # Docker drops a CMD inherited from the base when ENTRYPOINT changes
        state.cmd = None


def _shell(state: _State, instruction: Instruction, context: _Context) -> None:
    if instruction.json and instruction.args:
        state.shell = instruction.args
        return
    state.notes.append(warning("dockerfile.shell", "SHELL must be written as a JSON array",
                               file=context.file, line=instruction.line, hint='e.g. SHELL ["/bin/bash", "-c"]'))


def _healthcheck(state: _State, instruction: Instruction, context: _Context) -> None:
    options = tuple((k, v or "") for k, v in instruction.flags)
    child = instruction.child
    if child is None:
        state.healthcheck = Healthcheck(None, instruction.line, options)
    elif child.args:
        state.healthcheck = Healthcheck(Command(child.args, child.json, instruction.line), instruction.line, options)
    else:
        state.notes.append(warning("dockerfile.healthcheck", "HEALTHCHECK CMD has no command",
                                   file=context.file, line=instruction.line,
                                   hint="e.g. HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1"))


def _copy(state: _State, instruction: Instruction, context: _Context) -> None:
    words = tuple(_expanded(state, w, context).value for w in instruction.args)
    source = instruction.flag("from")
    stage = _expanded(state, source, context).value if source else None
    if len(words) >= 2:
        state.copies.append(CopyStep(instruction.keyword, words[:-1], words[-1], stage, instruction.line))


def _run(state: _State, instruction: Instruction, context: _Context) -> None:
    """Only a ``--mount=...,from=<stage>`` matters to us: it makes the stage a dependency."""
    for name, value in instruction.flags:
        if name == "mount" and value:
            for option in value.split(","):
                key, _, source = option.partition("=")
                if key == "from" and source:
                    state.copies.append(CopyStep("RUN", (), "", source, instruction.line))


_DISPATCH = {
    "ENV": _env, "LABEL": _label, "ARG": _arg, "EXPOSE": _expose, "USER": _user, "WORKDIR": _workdir,
    "STOPSIGNAL": _stopsignal, "VOLUME": _volume, "CMD": _cmd, "ENTRYPOINT": _entrypoint, "SHELL": _shell,
    "HEALTHCHECK": _healthcheck, "COPY": _copy, "ADD": _copy, "RUN": _run,
}
