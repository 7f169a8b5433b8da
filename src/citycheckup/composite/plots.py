"""Plots of a composite index (COINr ``plot_framework``, ``plot_dist``, ``plot_corr``,
``plot_bar``, ``plot_dot``, ``plot_sensitivity``, ``plot_uncertainty``), in Chinese or English.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``
(no global figure state, safe in threads); :func:`write_figures` saves them as PNG
and SVG (text as paths, so the SVG shows Chinese on any machine). matplotlib is
imported only when a plot is made. Chinese labels use the CJK font that
:mod:`citycheckup._fonts` registers with matplotlib.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin
from citycheckup.errors import OutputError, PipelineError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "PLOT_KINDS",
    "index_figures",
    "plot_bar",
    "plot_correlations",
    "plot_distributions",
    "plot_dot",
    "plot_framework",
    "plot_sensitivity",
    "plot_uncertainty",
    "sensitivity_figures",
    "write_figures",
]

Lang = Literal["zh", "en"]
PLOT_KINDS = (
    "framework",
    "distributions",
    "correlations",
    "bar",
    "dot",
    "sensitivity",
    "uncertainty",
)
PALETTE = ("#1f5fa8", "#e07b28", "#2c9f5a", "#b8323b", "#7a4fb0", "#8c6d31", "#d6549a", "#4d8fac")

_T: dict[str, tuple[str, str]] = {
    "framework": (
        "Framework: effective weights of every component",
        "指标框架：各组成部分的有效权重",
    ),
    "dist": ("Distributions before and after outlier treatment", "异常值处理前后的分布"),
    "dist_n": (
        "({shown} of {total} treated indicators)",
        "（共{total}个被处理指标，显示{shown}个）",
    ),
    "dist_scale": (
        "each row on its own range (printed at the right)",
        "每行按其自身取值范围绘制（范围见右侧）",
    ),
    "dist_none": (
        "Distributions (no indicator needed treatment)",
        "指标分布（无指标需要异常值处理）",
    ),
    "before": ("before", "处理前"),
    "after": ("after", "处理后"),
    "treated_pts": ("treated points", "被处理的数据点"),
    "corr": ("Correlations between indicators", "指标之间的相关系数"),
    "corr_cb": ("correlation", "相关系数"),
    "bar": ("Scores of {code}, by component", "{code}得分及其构成"),
    "bar_x": ("score", "得分"),
    "dot": ("{unit} among all units", "{unit}在全部单位中的位置"),
    "dot_all": ("all units", "全部单位"),
    "sens": ("Sensitivity of the ranks to each uncertain choice", "排名对各不确定选择的敏感性"),
    "si": ("first-order index S_i", "一阶敏感性指数 S_i"),
    "sti": ("total-effect index S_Ti", "总效应指数 S_Ti"),
    "interval": ("bars: 5th–95th percentile (bootstrap)", "误差线：第5–95百分位（自助法）"),
    "unc": ("Rank intervals under uncertainty", "不确定性下的排名区间"),
    "rank": ("rank (1 = best)", "排名（1 = 最好）"),
    "nominal": ("nominal rank", "名义排名"),
    "median": ("median rank", "排名中位数"),
    "q595": ("5th–95th percentile", "第5–95百分位"),
}


def _t(key: str, lang: Lang, **kw: Any) -> str:
    en, zh = _T[key]
    return (zh if lang == "zh" else en).format(**kw)


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise PipelineError(f"lang must be 'zh' or 'en', got {lang!r}")


def _mpl(lang: Lang) -> Any:
    """Import matplotlib lazily and make sure Chinese can be drawn."""
    _check_lang(lang)
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the report extra installs it
        raise OutputError("plots need matplotlib: pip install 'citycheckup[report]'") from exc
    try:
        from citycheckup import _fonts
    except ImportError:  # pragma: no cover - older checkouts
        _fonts = None  # type: ignore[assignment]
    register = getattr(_fonts, "register_cjk_font", None) or getattr(
        _fonts, "register_matplotlib", None
    )
    if register is not None:
        register()
    elif lang == "zh":  # pragma: no cover - depends on the installation
        raise OutputError(
            "Chinese plot labels need the bundled CJK font (citycheckup._fonts); "
            "install citycheckup with its report extra or use lang='en'"
        )
    return matplotlib


def _names(coin: Coin, lang: Lang) -> dict[str, str]:
    m = coin.meta
    col = "iName_zh" if lang == "zh" and "iName_zh" in m.columns else "iName"
    if col not in m.columns:
        return {str(c): str(c) for c in m["iCode"]}
    return {
        str(c): (str(n) if isinstance(n, str) and n else str(c))
        for c, n in zip(m["iCode"], m[col], strict=True)
    }


def _figure(w: float, h: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=110, layout="constrained")
    return fig


def _order(coin: Coin) -> list[str]:
    """Codes in depth-first framework order (index first)."""
    kids: dict[str, list[str]] = {}
    for c, p in coin.parent.items():
        kids.setdefault(p, []).append(c)
    out: list[str] = []

    def walk(c: str) -> None:
        out.append(c)
        for k in kids.get(c, []):
            walk(k)

    walk(coin.index_code)
    return out


# ---------------------------------------------------------------------------- framework
def plot_framework(
    coin: Coin, *, lang: Lang = "en", weights: Mapping[str, float] | None = None
) -> Figure:
    """Sunburst of the framework: rings from the index outwards, angles = effective weights."""
    _mpl(lang)
    from matplotlib.patches import Wedge

    from citycheckup.composite.weights import effective_weights

    ew = effective_weights(coin, weights).set_index("iCode")["EffWeight"].to_dict()
    names = _names(coin, lang)
    order = _order(coin)
    lev_of = {c: lv for lv, cs in coin.levels.items() for c in cs}
    top_kids = [c for c in order if coin.parent.get(c) == coin.index_code]
    branch = {}
    for c in order:
        b = c
        while b not in top_kids and b != coin.index_code:
            b = coin.parent[b]
        branch[c] = b
    colour = {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(top_kids)}
    fig = _figure(8.5, 8.5)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    nlev = coin.max_level
    width = 1.0
    start: dict[int, float] = {}
    n_ind = len(coin.indicators)
    for c in order:
        if c == coin.index_code:
            continue
        lev = lev_of[c]
        ring = nlev - lev  # 1 = next to the centre
        r0, r1 = ring * width, (ring + 1) * width
        a0 = start.get(lev, 90.0)
        span = 360.0 * float(ew.get(c, 0.0))
        a1 = a0 - span
        start[lev] = a1
        alpha = 0.35 + 0.65 * (lev - 1) / max(nlev - 1, 1)
        ax.add_patch(
            Wedge(
                (0, 0),
                r1,
                a1,
                a0,
                width=width,
                facecolor=colour[branch[c]],
                alpha=alpha,
                edgecolor="white",
                linewidth=0.8,
            )
        )
        mid = math.radians((a0 + a1) / 2)
        label = names.get(c, c) if lev > 1 else c
        if lev == 1:
            fs = 6.5 if n_ind <= 60 else 5
            rot = math.degrees(mid)
            flip = 90 < (rot % 360) < 270
            ax.text(
                (r1 + 0.05) * math.cos(mid),
                (r1 + 0.05) * math.sin(mid),
                label,
                rotation=rot + (180 if flip else 0),
                rotation_mode="anchor",
                ha="right" if flip else "left",
                va="center",
                fontsize=fs,
            )
        elif span > 4:
            rc = (r0 + r1) / 2
            rot = math.degrees(mid) - 90
            rot = rot + 180 if -270 < rot < -90 or 90 < rot < 270 else rot
            ax.text(
                rc * math.cos(mid),
                rc * math.sin(mid),
                label,
                rotation=rot,
                ha="center",
                va="center",
                fontsize=7 if span < 30 else 8.5,
            )
    centre = names.get(coin.index_code, coin.index_code)
    if len(centre) > 14 and " " in centre:  # two lines inside the centre circle
        cut = centre.rfind(" ", 0, len(centre) // 2 + 4)
        centre = centre[:cut] + "\n" + centre[cut + 1 :]
    ax.text(0, 0, centre, ha="center", va="center", fontsize=11)
    lim = nlev * width + 1.6
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    fig.suptitle(_t("framework", lang))
    return fig


# ---------------------------------------------------------------------------- distributions
def plot_distributions(
    before: pd.DataFrame,
    after: pd.DataFrame,
    treatment: pd.DataFrame,
    *,
    coin: Coin | None = None,
    lang: Lang = "en",
    max_indicators: int = 20,
    treated_points: pd.DataFrame | None = None,
) -> Figure:
    """Each treated indicator before and after outlier treatment (box plot with points).

    ``before``/``after`` are the data sets around the ``treat`` step; ``treatment``
    is its table. Each row is drawn on its own range (printed at the right), so the
    shapes compare; winsorised points are red. Without treated indicators, the most
    skewed ones are shown.
    """
    _mpl(lang)
    names = _names(coin, lang) if coin is not None else {}
    tab = treatment if len(treatment) else pd.DataFrame(columns=["iCode", "Treatment"])
    done = tab.loc[~tab["Treatment"].astype(str).str.startswith("none"), "iCode"]
    codes = list(dict.fromkeys(done.astype(str)))
    title = _t("dist", lang)
    if not codes:
        cols = [c for c in before.columns if c not in ("uCode", "Time", "uName")]
        sk = before[cols].astype(float).skew().abs().sort_values(ascending=False)
        codes = sk.index[:max_indicators].tolist()
        title = _t("dist_none", lang)
    if len(codes) > max_indicators:
        title += " " + _t("dist_n", lang, shown=max_indicators, total=len(codes))
    codes = codes[:max_indicators]
    pts = treated_points if treated_points is not None else pd.DataFrame()
    n = max(len(codes), 1)
    fig = _figure(9.0, 1.0 + 0.42 * n)
    axes = fig.subplots(1, 2, sharey=True)
    ypos = np.arange(n)[::-1]
    marked_handle = None
    for ax, (df, key) in zip(axes, ((before, "before"), (after, "after")), strict=True):
        boxes, xs, ys, hx, hy = [], [], [], [], []
        for i, c in enumerate(codes):
            v = df[c].to_numpy(dtype=float)
            ok = ~np.isnan(v)
            lo, hi = (np.nanmin(v), np.nanmax(v)) if ok.any() else (0.0, 1.0)
            z = (v[ok] - lo) / (hi - lo) if hi > lo else np.full(ok.sum(), 0.5)
            boxes.append(z)
            jit = ypos[i] + (np.arange(z.size) % 7 - 3) * 0.035
            hit = np.zeros(z.size, bool)
            if len(pts) and "iCode" in pts.columns:
                marked = pts.loc[
                    (pts["iCode"] == c) & pts["Treatment"].astype(str).str.contains("win"), "uCode"
                ]
                hit = np.isin(df["uCode"].to_numpy()[ok], marked.to_numpy())
            xs.append(z[~hit])
            ys.append(jit[~hit])
            hx.append(z[hit])
            hy.append(jit[hit])
            ax.text(
                1.02,
                ypos[i],
                f"{lo:.3g} – {hi:.3g}",
                fontsize=6,
                va="center",
                transform=ax.get_yaxis_transform(),
            )
        ax.boxplot(
            boxes,
            positions=ypos,
            orientation="horizontal",
            widths=0.55,
            showfliers=False,
            medianprops={"color": PALETTE[1]},
        )
        ax.scatter(np.concatenate(xs), np.concatenate(ys), s=5, color=PALETTE[0], alpha=0.55)
        if sum(a.size for a in hx):
            marked_handle = ax.scatter(
                np.concatenate(hx), np.concatenate(hy), s=12, color=PALETTE[3]
            )
        ax.set_xlim(-0.05, 1.05)
        ax.set_xticks([])
        ax.set_title(_t(key, lang), fontsize=9)
    axes[0].set_yticks(
        ypos, [names.get(c, c) if len(names.get(c, c)) < 26 else c for c in codes], fontsize=7.5
    )
    fig.suptitle(title)
    fig.supxlabel(_t("dist_scale", lang), fontsize=7.5)
    if marked_handle is not None:
        fig.legend(
            [marked_handle],
            [_t("treated_pts", lang)],
            loc="outside upper right",
            fontsize=7.5,
            frameon=False,
        )
    return fig


# ---------------------------------------------------------------------------- correlations
def plot_correlations(
    coin: Coin,
    data: pd.DataFrame,
    *,
    level: int = 1,
    lang: Lang = "en",
    method: str = "pearson",
) -> Figure:
    """Heat map of the correlations between the codes of one level, grouped by parent."""
    _mpl(lang)
    codes = [c for c in _order(coin) if c in coin.levels[level]]
    missing = [c for c in codes if c not in data.columns]
    if missing:
        raise PipelineError(
            f"{', '.join(missing[:5])} are not in the data set (levels above 1 "
            "need the Aggregated data set)"
        )
    R = data[codes].astype(float).corr(method=method).to_numpy()  # type: ignore[arg-type]
    n = len(codes)
    size = min(max(4.0, 0.17 * n + 2.5), 12.0)
    fig = _figure(size + 1.0, size)
    ax = fig.add_subplot()
    im = ax.imshow(R, cmap="RdBu_r", vmin=-1, vmax=1)
    fs = 7 if n <= 30 else 5.5
    ax.set_xticks(range(n), codes, rotation=90, fontsize=fs)
    ax.set_yticks(range(n), codes, fontsize=fs)
    if level < coin.max_level:
        par = [coin.parent[c] for c in codes]
        for k in range(1, n):
            if par[k] != par[k - 1]:
                ax.axhline(k - 0.5, color="black", linewidth=0.8)
                ax.axvline(k - 0.5, color="black", linewidth=0.8)
    if n <= 15:
        for i in range(n):
            for j in range(n):
                if np.isfinite(R[i, j]):
                    ax.text(
                        j,
                        i,
                        f"{R[i, j]:.2f}",
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="white" if abs(R[i, j]) > 0.6 else "black",
                    )
    fig.colorbar(im, ax=ax, shrink=0.7, label=_t("corr_cb", lang))
    fig.suptitle(_t("corr", lang))
    return fig


# ---------------------------------------------------------------------------- results
def _one_year(data: pd.DataFrame, time: Any) -> pd.DataFrame:
    if "Time" not in data.columns:
        return data
    t = data["Time"].max() if time is None else time
    return data[data["Time"] == t]


def plot_bar(
    coin: Coin,
    aggregated: pd.DataFrame,
    *,
    code: str | None = None,
    lang: Lang = "en",
    weights: Mapping[str, float] | None = None,
    time: Any = None,
) -> Figure:
    """Horizontal bars of a code's scores (best on top), split into its children's shares.

    The split is :math:`w_k x_k / \\sum w` of the children, exact for an arithmetic
    mean; for other means the bar is divided in the same proportions.
    """
    _mpl(lang)
    code = code or coin.index_code
    df = _one_year(aggregated, time)
    kids = [c for c in _order(coin) if coin.parent.get(c) == code]
    names = _names(coin, lang)
    w = {**coin.weights(), **(weights or {})}
    df = df.sort_values(code, ascending=True, kind="stable")
    y = np.arange(len(df))
    fig = _figure(8.0, max(3.0, 0.18 * len(df) + 1.2))
    ax = fig.add_subplot()
    total = df[code].to_numpy(dtype=float)
    if kids:
        parts = np.column_stack([df[k].to_numpy(dtype=float) * w[k] for k in kids])
        parts = np.nan_to_num(parts)
        share = parts / np.where(
            parts.sum(axis=1, keepdims=True) == 0, 1, parts.sum(axis=1, keepdims=True)
        )
        left = np.zeros(len(df))
        for j, k in enumerate(kids):
            seg = np.nan_to_num(total) * share[:, j]
            ax.barh(
                y,
                seg,
                left=left,
                color=PALETTE[j % len(PALETTE)],
                label=names.get(k, k),
                height=0.75,
            )
            left = left + seg
        ax.legend(loc="lower right", fontsize=7.5, frameon=False)
    else:
        ax.barh(y, np.nan_to_num(total), color=PALETTE[0], height=0.75)
    ax.set_yticks(y, df["uCode"].astype(str).tolist(), fontsize=6.5 if len(df) > 40 else 8)
    ax.set_ylim(-0.6, len(df) - 0.4)
    ax.set_xlabel(_t("bar_x", lang))
    ax.set_title(_t("bar", lang, code=names.get(code, code)))
    return fig


def plot_dot(
    coin: Coin,
    aggregated: pd.DataFrame,
    unit: str,
    *,
    level: int = 2,
    lang: Lang = "en",
    time: Any = None,
) -> Figure:
    """Every unit's score in each code of ``level`` (grey), with ``unit`` highlighted."""
    _mpl(lang)
    df = _one_year(aggregated, time)
    if unit not in set(df["uCode"].astype(str)):
        raise PipelineError(f"unit {unit!r} is not in the data set")
    codes = [c for c in _order(coin) if c in coin.levels[level]]
    names = _names(coin, lang)
    fig = _figure(8.0, max(2.6, 0.42 * len(codes) + 1.2))
    ax = fig.add_subplot()
    sel = df["uCode"].astype(str).to_numpy() == unit
    for i, c in enumerate(codes[::-1]):
        v = df[c].to_numpy(dtype=float)
        ax.scatter(
            v[~sel],
            np.full((~sel).sum(), i),
            s=14,
            color="#9aa5b1",
            alpha=0.6,
            label=_t("dot_all", lang) if i == 0 else None,
        )
        ax.scatter(
            v[sel],
            np.full(sel.sum(), i),
            s=46,
            color=PALETTE[3],
            zorder=3,
            label=unit if i == 0 else None,
        )
    ax.set_yticks(range(len(codes)), [names.get(c, c) for c in codes[::-1]], fontsize=8)
    ax.set_xlabel(_t("bar_x", lang))
    ax.legend(loc="lower right", fontsize=7.5, frameon=False)
    ax.set_title(_t("dot", lang, unit=unit))
    return fig


# ---------------------------------------------------------------------------- uncertainty
def plot_sensitivity(indices: pd.DataFrame, *, lang: Lang = "en") -> Figure:
    """First-order and total Sobol indices per factor with their bootstrap intervals."""
    _mpl(lang)
    if indices.empty:
        raise PipelineError("no sensitivity indices: run the analysis with sensitivity: true")
    f = indices["factor"].astype(str).tolist()
    x = np.arange(len(f))
    fig = _figure(7.5, 3.8)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, col, key, colr in (
        (axes[0], "Si", "si", PALETTE[0]),
        (axes[1], "STi", "sti", PALETTE[1]),
    ):
        v = indices[col].to_numpy(dtype=float)
        lo = v - indices[f"{col}_q5"].to_numpy(dtype=float)
        hi = indices[f"{col}_q95"].to_numpy(dtype=float) - v
        ax.bar(x, v, color=colr, width=0.6)
        ax.errorbar(
            x,
            v,
            yerr=np.vstack([np.clip(lo, 0, None), np.clip(hi, 0, None)]),
            fmt="none",
            ecolor="black",
            capsize=3,
            linewidth=0.9,
        )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, f, rotation=30, ha="right", fontsize=8)
        ax.set_title(_t(key, lang), fontsize=9)
    fig.suptitle(_t("sens", lang))
    fig.supxlabel(_t("interval", lang), fontsize=7.5)
    return fig


def plot_uncertainty(rank_stats: pd.DataFrame, *, lang: Lang = "en") -> Figure:
    """Each unit's median rank and 5th–95th percentile interval, ordered by the nominal rank."""
    _mpl(lang)
    rs = rank_stats.sort_values("nominal", kind="stable").reset_index(drop=True)
    y = np.arange(len(rs))[::-1]
    fig = _figure(7.0, max(3.0, 0.17 * len(rs) + 1.2))
    ax = fig.add_subplot()
    ax.hlines(
        y, rs["q5"], rs["q95"], color=PALETTE[0], linewidth=2.2, alpha=0.55, label=_t("q595", lang)
    )
    ax.scatter(rs["median"], y, s=16, color=PALETTE[0], zorder=3, label=_t("median", lang))
    ax.scatter(
        rs["nominal"], y, s=22, marker="x", color=PALETTE[3], zorder=4, label=_t("nominal", lang)
    )
    ax.set_yticks(y, rs["uCode"].astype(str).tolist(), fontsize=6.5 if len(rs) > 40 else 8)
    ax.set_xlabel(_t("rank", lang))
    ax.invert_xaxis()
    ax.legend(loc="upper left", fontsize=7.5, frameon=False)
    ax.set_title(_t("unc", lang))
    return fig


# ---------------------------------------------------------------------------- batches
def index_figures(
    result: Any, *, lang: Lang = "en", unit: str | None = None, time: Any = None
) -> dict[str, Figure]:
    """The plots of a pipeline result: framework, distributions (with a ``treat`` step),
    correlations, bar and dot (with an ``aggregate`` step)."""
    coin: Coin = result.state.coin
    ds = result.datasets
    figs: dict[str, Figure] = {"framework": plot_framework(coin, lang=lang)}
    names = list(ds)
    if "Treated" in ds:
        before = ds[names[names.index("Treated") - 1]]
        figs["distributions"] = plot_distributions(
            before,
            ds["Treated"],
            result.treatment,
            coin=coin,
            lang=lang,
            treated_points=result.treated_points,
        )
    corr_src = ds.get("Normalised", ds[names[-1]])
    figs["correlations"] = plot_correlations(coin, corr_src, lang=lang)
    if "Aggregated" in ds:
        agg = ds["Aggregated"]
        figs["bar"] = plot_bar(coin, agg, lang=lang, time=time)
        if unit is None:
            latest = _one_year(agg, time)
            unit = str(latest.sort_values(coin.index_code, ascending=False)["uCode"].iloc[0])
        level = 2 if coin.max_level > 2 else 1
        figs["dot"] = plot_dot(coin, agg, unit, level=level, lang=lang, time=time)
    return figs


def sensitivity_figures(result: Any, *, lang: Lang = "en") -> dict[str, Figure]:
    """The plots of a sensitivity result: uncertainty (and sensitivity when estimated)."""
    figs = {"uncertainty": plot_uncertainty(result.rank_stats, lang=lang)}
    if len(result.indices):
        figs["sensitivity"] = plot_sensitivity(result.indices, lang=lang)
    return figs


def write_figures(
    figures: Mapping[str, Figure],
    folder: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Save figures as ``<folder>/<name>.<format>`` (SVG text as paths); returns the files."""
    import matplotlib

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "citycheckup"}):
        for name, fig in figures.items():
            for fmt in formats:
                p = out / f"{name}.{fmt}"
                fig.savefig(
                    p,
                    format=fmt,
                    dpi=150 if fmt == "png" else None,
                    metadata={"Date": None} if fmt == "svg" else None,
                )
                files.append(p)
    return files
