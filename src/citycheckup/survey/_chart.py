"""A dependency-free SVG chart of indices with confidence intervals (text stays text)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["interval_chart"]

FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif"
BLUE, RED, GREY = "#1f5fa8", "#b8323b", "#888888"


def _text_width(s: str, size: float) -> float:
    """Rough width of ``s``: CJK characters one em, others about 0.55 em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in s)


def interval_chart(
    rows: Sequence[tuple[str, float, float, float]],
    *,
    groups: Sequence[tuple[str, int]] = (),
    threshold: float | None = None,
    threshold_label: str = "",
    width: int = 640,
) -> str:
    """Horizontal dot-and-whisker chart on a 0–100 axis.

    Parameters
    ----------
    rows
        ``(label, estimate, ci_low, ci_high)``; NaN bounds draw the dot alone.
    groups
        ``(heading, number of rows)`` in order: a heading line before each group of rows.
    threshold
        Draw a dashed vertical line there (e.g. the low-satisfaction mark 60).
    """
    size = 11.0
    label_w = (
        max(
            [_text_width(r[0], size) for r in rows]
            + [_text_width(g[0], size) for g in groups]
            + [60.0]
        )
        + 16
    )
    x0, x1 = label_w, width - 48
    row_h, head_h, top = 20, 22, 26
    height = top + sum(head_h for _ in groups) + len(rows) * row_h + 26

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * max(0.0, min(100.0, v)) / 100.0

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="{size:g}">'
    ]
    bottom = height - 22
    for t in range(0, 101, 20):
        x = sx(t)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" stroke="#e3e3e3"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="{GREY}">{t}</text>'
        )
    if threshold is not None:
        x = sx(threshold)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 10}" x2="{x:.1f}" y2="{bottom}" stroke="{RED}" '
            'stroke-dasharray="4 3"/>'
        )
        if threshold_label:
            out.append(
                f'<text x="{x + 3:.1f}" y="{top - 12}" fill="{RED}">{escape(threshold_label)}</text>'
            )
    y = top
    k = 0
    plan: list[tuple[str, int]] = list(groups) if groups else [("", len(rows))]
    for heading, count in plan:
        if heading:
            out.append(f'<text x="4" y="{y + 14}" font-weight="bold">{escape(heading)}</text>')
            y += head_h
        for _ in range(count):
            label, est, lo, hi = rows[k]
            k += 1
            cy = y + row_h / 2
            out.append(
                f'<text x="{x0 - 8:.1f}" y="{cy + 4:.1f}" text-anchor="end">{escape(label)}</text>'
            )
            if not (math.isnan(lo) or math.isnan(hi)):
                out.append(
                    f'<line x1="{sx(lo):.1f}" y1="{cy:.1f}" x2="{sx(hi):.1f}" y2="{cy:.1f}" '
                    f'stroke="{BLUE}" stroke-width="2"/>'
                )
            if not math.isnan(est):
                colour = RED if threshold is not None and round(est, 6) < threshold else BLUE
                out.append(f'<circle cx="{sx(est):.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/>')
                out.append(f'<text x="{x1 + 6:.1f}" y="{cy + 4:.1f}" fill="#333">{est:.1f}</text>')
            y += row_h
    out.append("</svg>")
    return "".join(out)
