"""The intermediate representation: what kubify believes a repository is.

The IR is the contract between analyzers (which read a repository) and targets (which
emit manifests). Analyzers never emit YAML; targets never read repository files.

Every inferred field carries :class:`Evidence` (file, line, rule, confidence) so that
``kubify explain`` can say *why*; disagreeing signals are kept as :class:`Conflict`
records instead of being silently dropped. All models are frozen so passes return new
values instead of mutating shared state, and the whole tree round-trips through JSON
and YAML unchanged.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IR_VERSION: Literal["kubify.dev/v1alpha1"] = "kubify.dev/v1alpha1"

#: DNS-1123 label: what a Kubernetes object name derived from a component must be.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

ComponentKind = Literal[
    "service", "worker", "job", "cronjob", "static-site", "library", "cli", "chart"
]
BackingKind = Literal[
    "postgres", "mysql", "redis", "mongodb", "kafka", "rabbitmq", "elasticsearch", "s3",
    "memcached", "nats",
]
#: Kinds that run as long-lived pods; the rest are not lowered to a Deployment.
DEPLOYABLE_KINDS: frozenset[str] = frozenset({"service", "worker", "static-site"})
RUNNABLE_KINDS: frozenset[str] = DEPLOYABLE_KINDS | {"job", "cronjob"}


class Model(BaseModel):
    """Base for every IR value: frozen, strict about unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(Model):
    """One reason for one field's value: where it was seen and by which rule."""

    field: str = Field(description="Dotted IR path of the field this supports, e.g. 'ports' or 'run.command'.")
    value: str = Field(description="The value this evidence supports, rendered as text.")
    rule: str = Field(description="Stable rule id, e.g. 'dockerfile.expose' or 'python.fastapi.default-port'.")
    file: str | None = Field(default=None, description="Path relative to the repository root (POSIX).")
    line: int | None = Field(default=None, ge=1)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class Conflict(Model):
    """Two or more signals disagree about a field; ``chosen`` says which one won."""

    field: str
    chosen: str
    message: str
    alternatives: tuple[Evidence, ...] = ()


class Port(Model):
    port: int = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] = "TCP"
    name: str | None = Field(default=None, description="IANA-style port name, e.g. 'http' or 'grpc'.")


class Run(Model):
    """How the component's main process starts inside its image."""

    command: tuple[str, ...] = ()
    workdir: str | None = None
    user: str | None = None
    shell: bool = Field(default=False, description="True when command is a shell string to run via /bin/sh -c.")
    replaces_entrypoint: bool = Field(
        default=True,
        description="False when command only replaces the image's CMD and runs under its ENTRYPOINT "
                    "(compose `command`, Kubernetes `args`).",
    )


class Build(Model):
    """How the image is obtained: an existing Dockerfile, a generated one, or a prebuilt image."""

    dockerfile: str | None = Field(default=None, description="Repo-relative path of an existing Dockerfile.")
    context: str = Field(default=".", description="Repo-relative build context.")
    target: str | None = Field(default=None, description="Multi-stage target to build, if not the last stage.")
    generated: bool = Field(default=False, description="True when kubify generates the Dockerfile.")
    image: str | None = Field(default=None, description="A prebuilt image to run instead of building.")
    args: dict[str, str] = Field(default_factory=dict)
    base_image: str | None = None
    install: tuple[str, ...] = Field(default=(), description="Dependency install commands (generated builds).")
    build: tuple[str, ...] = Field(default=(), description="Build commands (generated builds).")
    output_dir: str | None = Field(default=None, description="Directory of static output to serve (static sites).")


class EnvVar(Model):
    name: str
    default: str | None = None
    secret: bool = Field(default=False, description="Values are never emitted: only a Secret reference.")
    required: bool = False

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise ValueError(f"not a valid environment variable name: {value!r}")
        return value


class Health(Model):
    type: Literal["http", "tcp", "grpc", "exec"]
    path: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    command: tuple[str, ...] = ()


class Dependency(Model):
    """An edge to another component of the repository or to a backing service."""

    service: BackingKind | None = None
    component: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Dependency:
        if (self.service is None) == (self.component is None):
            raise ValueError("a dependency names exactly one of 'service' or 'component'")
        return self


class Migration(Model):
    """A schema migration step, run as a Job before the new version rolls out."""

    tool: str
    command: tuple[str, ...]


class Resources(Model):
    cpu_request: str = "100m"
    memory_request: str = "128Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "256Mi"
    gpu: int = Field(default=0, ge=0)


class Scaling(Model):
    min_replicas: int = Field(default=2, ge=0)
    max_replicas: int = Field(default=5, ge=1)
    target_cpu_percent: int = Field(default=75, ge=1, le=100)
    schedule: str | None = Field(default=None, description="Cron schedule, for cronjob components.")


class Volume(Model):
    name: str
    path: str
    size: str = "1Gi"


class Metrics(Model):
    path: str = "/metrics"
    port: int | None = Field(default=None, ge=1, le=65535)


class Component(Model):
    """One deployable (or deliberately not deployable) unit of the repository."""

    name: Annotated[str, Field(description="DNS-1123 label, unique within the application.")]
    path: str = Field(default=".", description="Component root relative to the repository root.")
    kind: ComponentKind = "service"
    language: str | None = None
    language_version: str | None = None
    framework: str | None = None
    package_manager: str | None = None
    build: Build | None = None
    run: Run | None = None
    ports: tuple[Port, ...] = ()
    env: tuple[EnvVar, ...] = ()
    health: Health | None = None
    depends_on: tuple[Dependency, ...] = ()
    migrations: tuple[Migration, ...] = ()
    volumes: tuple[Volume, ...] = ()
    resources: Resources = Field(default_factory=Resources)
    scaling: Scaling = Field(default_factory=Scaling)
    metrics: Metrics | None = None
    analyzer: str | None = Field(default=None, description="The analyzer that produced this component.")
    evidence: tuple[Evidence, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not DNS_LABEL.match(value):
            raise ValueError(f"component name {value!r} is not a DNS-1123 label (lowercase a-z, 0-9, '-')")
        return value

    @property
    def deployable(self) -> bool:
        return self.kind in DEPLOYABLE_KINDS

    def evidence_for(self, field: str) -> tuple[Evidence, ...]:
        """The evidence recorded for ``field`` (exact match or a sub-field of it)."""
        return tuple(e for e in self.evidence if e.field == field or e.field.startswith(field + "."))


class BackingService(Model):
    """A stateful dependency the application needs (a database, a cache, a broker)."""

    name: str
    kind: BackingKind
    version: str | None = None
    image: str | None = None
    grade: Literal["managed", "development"] = Field(
        default="development",
        description="'managed' when an operator (e.g. CloudNativePG) runs it; 'development' for a plain StatefulSet.",
    )
    evidence: tuple[Evidence, ...] = ()


class Source(Model):
    path: str = "."
    remote: str | None = None
    revision: str | None = None


class Platform(Model):
    """Cluster services the application expects the target cluster to run."""

    services: tuple[str, ...] = ()


class Application(Model):
    api_version: Literal["kubify.dev/v1alpha1"] = IR_VERSION
    name: str
    source: Source = Field(default_factory=Source)
    components: tuple[Component, ...] = ()
    services: tuple[BackingService, ...] = ()
    platform: Platform = Field(default_factory=Platform)

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not DNS_LABEL.match(value):
            raise ValueError(f"application name {value!r} is not a DNS-1123 label")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> Application:
        names = [c.name for c in self.components]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"component names must be unique; repeated: {', '.join(duplicates)}")
        return self

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)
