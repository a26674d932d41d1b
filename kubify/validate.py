"""validate: is the IR something kubify can deploy, and is it what the user should want?

The models already enforce shapes (names, port ranges); this pass checks the relations
between values and the deployment sense of them: a service with no port, a dependency
on a component that does not exist, a development server about to run in production,
an end-of-life runtime. Each finding is a diagnostic with a fix, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from kubify.diagnostics import Diagnostic, error, info, warning
from kubify.ir import RUNNABLE_KINDS, Application, Component, Evidence

_DEV_SERVERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"manage\.py\s+runserver"), "Django's runserver"),
    (re.compile(r"\bflask\s+run\b"), "flask run"),
    (re.compile(r"\b(npm|pnpm|yarn|bun)\s+(run\s+)?dev\b"), "a dev script"),
    (re.compile(r"\bnodemon\b"), "nodemon"),
    (re.compile(r"--reload\b"), "auto-reload"),
    (re.compile(r"\bnext\s+dev\b|\bvite(\s|$)(?!build|preview)"), "a dev server"),
)
#: Oldest supported minor per runtime (older ones no longer get security fixes). Go is absent: its
#: ``go`` directive is a minimum language version, built with a current toolchain, not a runtime pin.
_SUPPORTED: dict[str, tuple[int, ...]] = {"python": (3, 10), "node": (20,)}

Check = Callable[[Application, Component], Iterable[Diagnostic]]


def validate(app: Application) -> list[Diagnostic]:
    """Everything worth telling the user about the IR before it is lowered."""
    found: list[Diagnostic] = []
    for component in app.components:
        for check in CHECKS:
            found.extend(check(app, component))
    return found


def _where(component: Component, field: str) -> tuple[str | None, int | None]:
    evidence: tuple[Evidence, ...] = component.evidence_for(field)
    best = max(evidence, key=lambda e: e.confidence, default=None)
    return (best.file, best.line) if best else (None, None)


def _ports(app: Application, component: Component) -> Iterable[Diagnostic]:
    if component.kind == "service" and not component.ports:
        yield warning("ir.service-without-port", f"component {component.name!r} looks like a service but no "
                      "listening port was found; it gets no Service and a process-only health check",
                      hint=f"set components.{component.name}.ports in kubify.yaml, or kind: worker")
    numbers = [p.port for p in component.ports]
    for port in sorted({n for n in numbers if numbers.count(n) > 1}):
        yield error("ir.duplicate-port", f"component {component.name!r} lists port {port} twice",
                    hint="remove the duplicate in kubify.yaml or the Dockerfile")


def _runnable(app: Application, component: Component) -> Iterable[Diagnostic]:
    if component.kind not in RUNNABLE_KINDS:
        return
    has_image = component.build is not None and (component.build.dockerfile or component.build.image)
    if not has_image and (component.run is None or not component.run.command):
        yield error("ir.no-start-command", f"component {component.name!r}: no Dockerfile and no start command "
                    "was found, so kubify cannot build a runnable image",
                    hint=f"add a Dockerfile, a Procfile 'web:' line, or components.{component.name}.run.command "
                         "in kubify.yaml")
    if component.kind == "cronjob" and not component.scaling.schedule:
        yield error("ir.cronjob-without-schedule", f"cronjob {component.name!r} has no schedule",
                    hint=f"set components.{component.name}.scaling.schedule in kubify.yaml")


def _dependencies(app: Application, component: Component) -> Iterable[Diagnostic]:
    names = {c.name for c in app.components}
    for dependency in component.depends_on:
        if dependency.component and dependency.component not in names:
            yield error("ir.unknown-dependency", f"component {component.name!r} depends on "
                        f"{dependency.component!r}, which is not a component of this application",
                        hint="fix the name, or declare that component in kubify.yaml")
        if dependency.component == component.name:
            yield warning("ir.self-dependency", f"component {component.name!r} depends on itself")


def _secrets(app: Application, component: Component) -> Iterable[Diagnostic]:
    for variable in component.env:
        if variable.secret and variable.default is not None:
            yield error("ir.secret-value", f"component {component.name!r}: secret {variable.name} carries a "
                        "value; kubify only ever writes references to secrets",
                        hint="remove the value; create the Secret in the cluster instead")


def _dev_server(app: Application, component: Component) -> Iterable[Diagnostic]:
    if component.run is None or component.kind not in RUNNABLE_KINDS:
        return
    command = " ".join(component.run.command)
    for pattern, what in _DEV_SERVERS:
        if pattern.search(command):
            file, line = _where(component, "run")
            yield warning("ir.dev-server", f"component {component.name!r} starts with {what} ({command!r}), "
                          "which is not meant for production", file=file, line=line,
                          hint="use a production server (gunicorn/uvicorn, `next start`, a built bundle)")
            return


def _runtime_support(app: Application, component: Component) -> Iterable[Diagnostic]:
    oldest = _SUPPORTED.get(component.language or "")
    version = component.language_version
    if oldest is None or not version:
        return
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[: len(oldest)])
    if parts and parts < oldest:
        file, line = _where(component, "language_version")
        yield warning("ir.eol-runtime", f"component {component.name!r} pins {component.language} {version}, "
                      "which no longer receives security fixes", file=file, line=line,
                      hint=f"upgrade to {component.language} {'.'.join(map(str, oldest))} or newer")


def _conflicts(app: Application, component: Component) -> Iterable[Diagnostic]:
    for conflict in component.conflicts:
        yield info("ir.conflict", f"component {component.name!r}, {conflict.field}: {conflict.message}",
                   hint=f"pin components.{component.name}.{conflict.field} in kubify.yaml to decide")


CHECKS: tuple[Check, ...] = (_ports, _runnable, _dependencies, _secrets, _dev_server, _runtime_support, _conflicts)
