"""The survey package stays in the core: no report, api, cli or web framework on import."""

from __future__ import annotations

import json
import subprocess
import sys

import citycheckup.survey as survey


def test_survey_does_not_import_outer_layers() -> None:
    code = "import json, sys, citycheckup.survey\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    bad = [
        m
        for m in loaded
        if m.startswith(
            (
                "citycheckup.report",
                "citycheckup.api",
                "citycheckup.cli",
                "citycheckup.store",
                "citycheckup.hotline",
            )
        )
    ]
    assert bad == []
    assert not [
        m
        for m in loaded
        if m.split(".")[0] in ("fastapi", "weasyprint", "typer", "playwright", "docx")
    ]


def test_public_api_is_sorted_and_complete() -> None:
    assert survey.__all__ == sorted(survey.__all__, key=lambda s: (not s.isupper(), s))
    for name in survey.__all__:
        assert hasattr(survey, name), name
