"""citycheckup.inventory is core: it imports neither the outer layers nor optional heavy packages."""

from __future__ import annotations

import json
import subprocess
import sys

OUTER = (
    "citycheckup.report",
    "citycheckup.store",
    "citycheckup.api",
    "citycheckup.cli",
    "citycheckup.hotline",
)
HEAVY = (
    "fastapi",
    "weasyprint",
    "duckdb",
    "playwright",
    "typer",
    "jinja2",
    "geopandas",
    "pyogrio",
    "pyproj",
)


def test_inventory_imports_no_outer_layer_and_no_heavy_package() -> None:
    code = (
        "import json, sys\nimport citycheckup.inventory\nimport citycheckup.diagnosis\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert [m for m in loaded if m.startswith(OUTER)] == []
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_public_api_is_sorted_and_complete() -> None:
    import citycheckup.inventory as inv

    def key(name: str) -> tuple[int, str]:  # constants, then classes, then functions (isort style)
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert inv.__all__ == sorted(set(inv.__all__), key=key)
    assert all(hasattr(inv, name) for name in inv.__all__)
