"""Small, dependency-free SVG charts for self-contained reports (text stays text)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "radar_chart"]

FONT = "'Noto Sans CJK SC','DejaVu Sans','Noto Sans SC','Microsoft YaHei',sans-serif"
PALETTE = ("#1f5fa8", "#e07b28", "#2c9f5a", "#b8323b", "#7a4fb0", "#8c6d31", "#d6549a")


def radar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    size: int = 320,
    vmax: float = 100.0,
    title: str | None = None,
    missing_label: str = "",
) -> str:
    """A radar chart as an SVG string; ``None`` values are drawn at the centre.

    An axis where every series is missing gets a grey label followed by ``missing_label``.

    Parameters
    ----------
    labels
        Axis labels, clockwise from the top.
    series
        ``(name, values)`` pairs; values on the scale 0–``vmax``.
    """
    n = len(labels)
    cx = cy = size / 2
    r = size * 0.33
    legend_h = 18 * len(series)
    width = size + 120  # room for long axis labels left and right
    cx = width / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {size + legend_h}" '
        f'width="{width}" height="{size + legend_h}" role="img" font-family="{FONT}">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")

    def pt(i: int, frac: float) -> tuple[float, float]:
        a = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * frac * math.cos(a), cy + r * frac * math.sin(a)

    for ring in (0.25, 0.5, 0.75, 1.0):
        ring_pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (pt(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{ring_pts}" fill="none" stroke="#ccc" stroke-width="0.8"/>')
    missing_axis = [
        all(
            v is None or (isinstance(v, float) and math.isnan(v))
            for v in (sv[i] for _, sv in series)
        )
        for i in range(n)
    ]
    for i, lab in enumerate(labels):
        x, y = pt(i, 1.0)
        parts.append(
            f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.8"/>'
        )
        lx, ly = pt(i, 1.22)
        anchor = "middle" if abs(lx - cx) < 5 else ("start" if lx > cx else "end")
        color = "#aaa" if missing_axis[i] else "#333"
        label = f"{lab} ({missing_label})" if missing_axis[i] and missing_label else lab
        parts.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="12" text-anchor="{anchor}" fill="{color}">'
            f"{escape(label)}</text>"
        )
    for k, (name, vals) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        pts: list[tuple[float, float]] = []
        for i, v in enumerate(vals):
            frac = (
                0.0
                if v is None or (isinstance(v, float) and math.isnan(v))
                else max(0.0, min(1.0, v / vmax))
            )
            pts.append(pt(i, frac))
        poly = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        opacity = "0.25" if k == 0 else "0.08"
        dash = "" if k == 0 else ' stroke-dasharray="4 3"'
        parts.append(
            f'<polygon points="{poly}" fill="{color}" fill-opacity="{opacity}" stroke="{color}" '
            f'stroke-width="2"{dash}><title>{escape(name)}</title></polygon>'
        )
        ly = size + 4 + 18 * k
        parts.append(
            f'<rect x="10" y="{ly - 9}" width="12" height="12" fill="{color}"/>'
            f'<text x="28" y="{ly + 1}" font-size="12" fill="#333">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: int = 560,
    bar_height: int = 22,
    vmax: float | None = None,
    missing_label: str = "no data",
    fmt: str = "{:.1f}",
) -> str:
    """A horizontal bar chart as an SVG string; missing values are labelled, not drawn as 0."""
    finite = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    top = vmax if vmax is not None else (max(finite) if finite else 1.0) or 1.0
    left = 150
    h = bar_height * len(labels) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" width="{width}" height="{h}" '
        f'role="img" font-family="{FONT}">'
    ]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * bar_height
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_height * 0.65:.1f}" font-size="12" text-anchor="end" '
            f'fill="#333">{escape(lab)}</text>'
        )
        if v is None or (isinstance(v, float) and math.isnan(v)):
            parts.append(
                f'<text x="{left + 4}" y="{y + bar_height * 0.65:.1f}" font-size="12" fill="#999" '
                f'font-style="italic">{escape(missing_label)}</text>'
            )
            continue
        w = max(0.0, (width - left - 60) * v / top)
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_height - 6}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + bar_height * 0.65:.1f}" font-size="12" fill="#333">'
            f"{escape(fmt.format(v))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
