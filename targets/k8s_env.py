"""A component's environment: ConfigMap for plain settings, Secret references for the rest.

No secret value is ever written. Secret env vars reference keys of the Secret
``<app>-<component>-secrets`` that the user creates (``SECRETS.md`` says how); connection
settings for backing services come from the services' own Secrets (see ``k8s_services``).
A required secret is a non-optional reference: the pod waits, visibly, in
``CreateContainerConfigError`` until the Secret exists, instead of crashing on a missing value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kubify.ir import Component

from .k8s_common import Obj, Scope, derived_name
from .k8s_services import Wire, connection_env

SUBDOMAIN_MAX = 253


@dataclass(frozen=True)
class EnvPlan:
    """Everything the container environment of one component needs."""

    config_map: str
    config: dict[str, str]
    env: list[Obj]
    secret: str
    secret_keys: tuple[tuple[str, bool], ...]
    wired: tuple[Wire, ...]
    unset: tuple[str, ...]

    @property
    def env_from(self) -> list[Obj]:
        return [{"configMapRef": {"name": self.config_map}}] if self.config else []

    @property
    def config_hash(self) -> str:
        """Changes when the ConfigMap does, so a rollout follows a config change."""
        return hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:16]


def secret_name(scope: Scope, component: Component) -> str:
    return derived_name(f"{scope.app.name}-{component.name}", "secrets", SUBDOMAIN_MAX)


def config_map_name(component: Component) -> str:
    return derived_name(component.name, "config", SUBDOMAIN_MAX)


def plan_env(scope: Scope, component: Component) -> EnvPlan:
    """Split the component's env into wired connections, secret references and ConfigMap data."""
    wired = connection_env(scope, component)
    taken = {w.name for w in wired}
    secret = secret_name(scope, component)
    config: dict[str, str] = {}
    secret_keys: list[tuple[str, bool]] = []
    unset: list[str] = []
    for var in sorted(component.env, key=lambda e: e.name):
        if var.name in taken:
            continue
        taken.add(var.name)
        if var.secret:
            secret_keys.append((var.name, var.required))
        elif var.default is not None:
            config[var.name] = var.default
        elif var.required:
            unset.append(var.name)
    env = [_wire_env(w) for w in wired]
    env += [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": name, "optional": not required}}}
            for name, required in secret_keys]
    return EnvPlan(config_map=config_map_name(component), config=config, env=env, secret=secret,
                   secret_keys=tuple(secret_keys), wired=tuple(wired), unset=tuple(unset))


def _wire_env(wire: Wire) -> Obj:
    if wire.secret is not None:
        return {"name": wire.name, "valueFrom": {"secretKeyRef": {"name": wire.secret, "key": wire.key}}}
    return {"name": wire.name, "value": wire.value or ""}


def config_map(plan: EnvPlan, meta: Obj) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": dict(sorted(plan.config.items()))}
