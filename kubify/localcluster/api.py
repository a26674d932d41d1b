"""A small HTTPS client for the local API server, authenticated by client certificate.

The cluster runner needs a handful of calls (readiness, nodes, server-side apply,
discovery) before anyone else may talk to the cluster; the standard library does
that in milliseconds, where importing the ``kubernetes`` package costs a second.
Callers that want a full client build one from the admin kubeconfig.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubify.localcluster.pki import KeyPair

JSON = dict[str, Any]
APPLY_PATCH = "application/apply-patch+yaml"


class ApiError(RuntimeError):
    """A non-2xx answer; ``message`` is the API server's own explanation."""

    def __init__(self, status: int, reason: str, message: str, body: JSON | None) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.body = body


@dataclass(frozen=True)
class Resource:
    """Where objects of one kind live in the REST API."""

    group_version: str
    name: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The collection path, or the object path when ``name`` is given."""
        root = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        parts = [root]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.name)
        if name:
            parts.append(name)
        return "/".join(parts)


@dataclass
class ApiClient:
    """Just enough of the Kubernetes REST API for the runner and its tests."""

    server: str
    ca_file: str
    client: KeyPair
    timeout: float = 30.0
    _context: ssl.SSLContext = field(init=False, repr=False)
    _resources: dict[tuple[str, str], Resource] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._context = ssl.create_default_context(cafile=self.ca_file)
        self._context.load_cert_chain(str(self.client.cert), str(self.client.key))

    def request(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        *,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float | None = None,
        raw: bytes | None = None,
    ) -> JSON:
        """Send one request (``body`` as JSON, or ``raw`` bytes) and decode the JSON answer.

        Raises :class:`ApiError` for a non-2xx answer.
        """
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = raw if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self._context, timeout=timeout or self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raise _api_error(err) from None
        if not raw:
            return {}
        try:
            decoded: JSON = json.loads(raw)
        except json.JSONDecodeError:
            return {"text": raw.decode(errors="replace")}
        return decoded

    def get(self, path: str, query: Mapping[str, str] | None = None) -> JSON:
        """GET ``path``."""
        return self.request("GET", path, query=query)

    def resource(self, api_version: str, kind: str, refresh: bool = False) -> Resource:
        """Discover the REST resource serving ``kind`` in ``api_version``."""
        key = (api_version, kind)
        if refresh or key not in self._resources:
            root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                listing = self.get(root)
            except ApiError as err:
                if err.status == 404:
                    raise LookupError(f"the server does not serve {api_version}") from None
                raise
            for item in listing.get("resources", []):
                if "/" not in item["name"]:
                    self._resources[(api_version, item["kind"])] = Resource(
                        api_version, item["name"], bool(item["namespaced"])
                    )
        if key not in self._resources:
            if not refresh:
                return self.resource(api_version, kind, refresh=True)
            raise LookupError(f"the server does not serve kind {kind} in {api_version}")
        return self._resources[key]

    def apply(
        self,
        obj: JSON,
        *,
        field_manager: str = "kubify",
        dry_run: bool = False,
        force: bool = True,
    ) -> JSON:
        """Server-side apply ``obj``; with ``dry_run`` the server validates without storing."""
        metadata = obj.get("metadata") or {}
        name = metadata.get("name")
        if not name:
            raise ValueError(f"{obj.get('kind')} without metadata.name cannot be server-side applied")
        resource = self.resource(obj["apiVersion"], obj["kind"])
        namespace = metadata.get("namespace") or ("default" if resource.namespaced else None)
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request("PATCH", resource.path(namespace, name), body=obj, query=query, content_type=APPLY_PATCH)


def _api_error(err: urllib.error.HTTPError) -> ApiError:
    raw = err.read()
    try:
        body: JSON | None = json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        return ApiError(err.code, str(body.get("reason", err.reason)), str(body.get("message", "")), body)
    return ApiError(err.code, str(err.reason), raw.decode(errors="replace"), None)
