"""The core never imports the outer layers (report, store, api, cli, hotline.server)."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = [
    "citycheckup.framework",
    "citycheckup.data",
    "citycheckup.indicators",
    "citycheckup.composite",
    "citycheckup.diagnosis",
    "citycheckup.checkup",
    "citycheckup.errors",
]
OUTER = (
    "citycheckup.report",
    "citycheckup.store",
    "citycheckup.api",
    "citycheckup.cli",
    "citycheckup.hotline.server",
)
HEAVY_OPTIONAL = ("fastapi", "weasyprint", "duckdb", "playwright", "typer", "jinja2")


def test_core_does_not_import_outer_layers() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {CORE!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    bad = [m for m in loaded if m.startswith(OUTER)]
    assert bad == [], f"core imports outer layers: {bad}"
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY_OPTIONAL]
    assert heavy == [], f"core imports optional heavy packages: {heavy}"


def test_spatial_core_does_not_import_outer_layers() -> None:
    code = (
        "import importlib, importlib.util, json, sys\n"
        "if importlib.util.find_spec('citycheckup.spatial'): importlib.import_module('citycheckup.spatial')\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bad = [m for m in json.loads(out.stdout) if m.startswith(OUTER)]
    assert bad == []
