"""Kubeconfig files for the admin user and for each component.

Certificates are embedded rather than referenced by path, so a kubeconfig stays valid
when copied elsewhere. The file is JSON, which every kubeconfig reader accepts as YAML.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from kubify.localcluster.pki import KeyPair


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(path: Path, server: str, ca_cert: Path, client: KeyPair, name: str = "kubify-local") -> Path:
    """Write a single-context kubeconfig for ``client`` against ``server``; returns ``path``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": _b64(ca_cert)}}],
        "users": [
            {
                "name": name,
                "user": {
                    "client-certificate-data": _b64(client.cert),
                    "client-key-data": _b64(client.key),
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    path.chmod(0o600)
    return path
