"""The ``kubify`` command line.

Only typer is imported at start-up; the compiler (pydantic, the analyzers, the targets)
is imported inside each command, so ``kubify --help`` and shell completion stay fast.
Every failure a user can cause ends in a rendered diagnostic and a non-zero exit code:
1 when the input has problems, 2 when the command cannot run at all, 70 for a kubify bug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from kubify.diagnostics import Diagnostic

T = TypeVar("T")
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70

app = typer.Typer(
    name="kubify",
    help="Understand a repository and launch it into Kubernetes.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class _State:
    verbose = False


class OutputFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class ExplainFormat(StrEnum):
    tree = "tree"
    json = "json"
    yaml = "yaml"


RepoPath = Annotated[Path, typer.Argument(help="Repository directory.", show_default=True)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show every diagnostic and tracebacks of "
                                       "internal errors.")]


@app.callback()
def _main(verbose: Verbose = False) -> None:
    _State.verbose = verbose


@app.command()
def build(
    path: RepoPath = Path("."),
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write one file per object (and a "
                                             "kustomization.yaml) here; default: YAML stream on stdout.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace of the emitted objects.")] = None,
    registry: Annotated[str | None, typer.Option(help="Image registry prefix, e.g. ghcr.io/acme.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="yaml or json.")] = OutputFormat.yaml,
    host: Annotated[str | None, typer.Option(help="Expose HTTP services on this host (Ingress).")] = None,
    gateway: Annotated[str | None, typer.Option(help="Expose through this Gateway API Gateway "
                                                "(HTTPRoute) instead of an Ingress.")] = None,
    tls_issuer: Annotated[str | None, typer.Option(help="cert-manager ClusterIssuer for TLS on the host.")] = None,
    ingress_class: Annotated[str | None, typer.Option(help="IngressClass of the emitted Ingress.")] = None,
    sbom: Annotated[bool, typer.Option(help="Run syft for an SBOM (finds transitive dependencies).")] = False,
    kubernetes_version: Annotated[str, typer.Option(help="Kubernetes version to validate against.")] = "1.35",
    verbose: Verbose = False,
) -> None:
    """Compile a repository to validated Kubernetes manifests."""
    _State.verbose |= verbose
    from kubify import emit, pipeline

    options = pipeline.BuildOptions(namespace=namespace, registry=registry, host=host, gateway=gateway,
                                    tls_issuer=tls_issuer, ingress_class=ingress_class,
                                    kubernetes_version=kubernetes_version, sbom=sbom)
    result = _guard(lambda: pipeline.compile_repository(path, options, progress=_progress()))
    _report(result.diagnostics)
    if result.blocked:
        _fail(EXIT_PROBLEMS, "nothing was written: fix the errors above (or pin values in kubify.yaml)")
    if out is None:
        sys.stdout.write(emit.stream(result.artifacts, fmt.value))
        return
    contents = emit.files(result.artifacts, fmt.value)
    _guard(lambda: emit.write_tree(contents, out))
    typer.echo(f"wrote {len(contents)} files to {out}", err=True)


@app.command()
def explain(
    path: RepoPath = Path("."),
    output: Annotated[ExplainFormat, typer.Option("-o", "--output", help="tree, json or yaml.")] = ExplainFormat.tree,
    sbom: Annotated[bool, typer.Option(help="Run syft for an SBOM (finds transitive dependencies).")] = False,
    verbose: Verbose = False,
) -> None:
    """Show what kubify understood: the IR, with the evidence for every field."""
    _State.verbose |= verbose
    from kubify import explain as explaining
    from kubify import pipeline

    inference = _guard(lambda: pipeline.infer(path, sbom=sbom, progress=_progress()))
    if output is ExplainFormat.tree:
        explaining.print_tree(inference.application, inference.diagnostics, verbose=_State.verbose)
        return
    sys.stdout.write(explaining.render(inference.application, output.value))
    _report(inference.diagnostics)


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="A repository directory, or manifest files and "
                                                       "directories (with --manifests).")] = None,
    manifests: Annotated[bool, typer.Option("--manifests", help="Treat the paths as existing Kubernetes "
                                            "manifests instead of a repository.")] = False,
    kubernetes_version: Annotated[str, typer.Option(help="Kubernetes version to validate against.")] = "1.35",
    verbose: Verbose = False,
) -> None:
    """Schema and policy checks: of what a repository compiles to, or of existing manifests."""
    _State.verbose |= verbose
    from kubify import pipeline

    targets = paths or [Path(".")]
    as_manifests = manifests or any(p.is_file() for p in targets)
    if as_manifests:
        diagnostics = _guard(lambda: pipeline.validate_manifests(targets, kubernetes_version=kubernetes_version))
    else:
        if len(targets) != 1:
            _fail(EXIT_USAGE, "give one repository directory, or --manifests for several manifest paths")
        options = pipeline.BuildOptions(kubernetes_version=kubernetes_version)
        diagnostics = _guard(lambda: pipeline.compile_repository(targets[0], options)).diagnostics
    _report(diagnostics)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = sum(d.severity == "warning" for d in diagnostics)
    typer.echo(f"{errors} errors, {warnings} warnings", err=True)
    if errors:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def schema(which: Annotated[str, typer.Argument(help="ir or config (kubify.yaml).")] = "config") -> None:
    """Print a JSON Schema: of the IR, or of kubify.yaml (for editors)."""
    from kubify import schema as schemas

    names = {"ir": "ir.schema.json", "config": "kubify.schema.json"}
    if which not in names:
        _fail(EXIT_USAGE, f"unknown schema {which!r}; choose one of: {', '.join(names)}")
    sys.stdout.write(schemas.render(schemas.schemas()[names[which]]))


@app.command()
def version() -> None:
    """Print kubify's version."""
    from kubify import __version__

    typer.echo(__version__)


def _progress() -> Callable[[str], None] | None:
    """A spinner on stderr for long scans (only on a terminal, never in pipes or CI logs)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    status = Console(stderr=True).status("kubify")
    status.start()
    import atexit

    atexit.register(status.stop)
    return lambda message: status.update(f"kubify: {message}")


def _guard(action: Callable[[], T]) -> T:
    from kubify.diagnostics import KubifyError

    try:
        return action()
    except KubifyError as problem:
        _report(problem.diagnostics, force=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:
        if _State.verbose:
            raise
        _fail(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {exc}\n"
              "This is a kubify bug; rerun with --verbose for the traceback and please report it.")


def _report(diagnostics: list[Diagnostic], *, force: bool = False) -> None:
    shown = [d for d in diagnostics if force or _State.verbose or d.severity != "info"]
    for diagnostic in shown:
        typer.echo(diagnostic.render(), err=True)


def _fail(code: int, message: str) -> NoReturn:
    typer.echo(f"kubify: {message}", err=True)
    raise typer.Exit(code)


def main() -> None:
    app()
