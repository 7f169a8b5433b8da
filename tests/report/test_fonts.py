"""Chinese renders with nothing but the Python dependencies (issue 10): the bundled CJK font.

The PDF tests run WeasyPrint in a subprocess whose fontconfig sees no font at all
(``FONTCONFIG_FILE`` pointing at an empty configuration), as on a bare machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from citycheckup._fonts import (
    FAMILY,
    font_face_css,
    font_path,
    missing_glyphs,
    raise_for_missing_glyphs,
)
from citycheckup.errors import OutputError

POPPLER = shutil.which("pdffonts") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(
    not POPPLER and not os.environ.get("CI"),
    reason="poppler-utils (pdffonts, pdftotext) not installed",
)

EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>{cache}</cachedir></fontconfig>
"""


def test_font_file_ships_with_the_dependencies() -> None:
    p = font_path()
    assert p.is_file() and p.stat().st_size > 10_000_000
    assert "site-packages" in str(p) or "dist-packages" in str(p)  # from PyPI, not from the system
    assert FAMILY in font_face_css() and p.as_uri() in font_face_css()


def test_glyph_check() -> None:
    assert missing_glyphs("宜昌市城市体检报告 2025 ≥ 80 % — m²/人 ① 《》〔〕") == []
    assert missing_glyphs("城市\U0001f3d9体检 CO₂") == ["\U0001f3d9"]  # ₂ comes from the fallback
    with pytest.raises(OutputError, match=r"U\+1F3D9.*would print as boxes"):
        raise_for_missing_glyphs(["ok", "城市\U0001f3d9"], what="report x.pdf")


def test_chart_renders_chinese_without_glyph_warnings(tmp_path: Path) -> None:
    from citycheckup.report import charts

    plt = charts.setup_matplotlib()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("宜昌市 城市体检")
    ax.bar(["生态宜居", "安全韧性"], [70, 55])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would fail here
        fig.savefig(tmp_path / "c.png")
    plt.close(fig)
    assert (tmp_path / "c.png").stat().st_size > 2000


@needs_poppler
def test_pdf_embeds_the_cjk_font_on_a_machine_without_fonts(tmp_path: Path) -> None:
    conf = tmp_path / "fonts.conf"
    conf.write_text(EMPTY_FONTCONFIG.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    pdf = tmp_path / "r.pdf"
    script = textwrap.dedent(f"""
        import subprocess, sys
        out = subprocess.run(["fc-list"], capture_output=True, text=True) if __import__("shutil").which("fc-list") else None
        assert out is None or out.stdout.strip() == "", "fontconfig still sees fonts: " + out.stdout[:200]
        from citycheckup.report.city_report import write_pdf
        write_pdf('<html lang="zh-CN"><body><h1>宜昌市城市体检报告</h1><p>生态宜居 较好</p></body></html>',
                  {str(pdf)!r})
    """)
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Glyph" not in r.stderr and r.stderr.count("\n") < 5, r.stderr[
        -2000:
    ]  # no wall of warnings
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "宜昌市城市体检报告" in text and "生态宜居" in text
