"""JSON Schemas generated from kubify's models, checked in under ``schemas/``.

Editors validate ``kubify.yaml`` with ``kubify.schema.json``; other tools read the IR
(``kubify explain -o json``) against ``ir.schema.json``. A test regenerates both and
fails when the checked-in copies are stale: run ``python -m kubify.schema`` to refresh.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kubify.ir import Application
from kubify.overrides import KubifyConfig

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema document."""
    return {
        "ir.schema.json": _document(Application.model_json_schema(), "https://kubify.dev/schemas/ir.schema.json"),
        "kubify.schema.json": _document(KubifyConfig.model_json_schema(),
                                        "https://kubify.dev/schemas/kubify.schema.json"),
    }


def _document(schema: dict[str, Any], identifier: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, "$id": identifier, **schema}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    written = []
    for name, schema in schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "schemas"
    for path in write(target):
        print(path)
