"""What a reader of the district check-up sees: problem texts, quality notes, summaries, the problem map.

Every text exists in Chinese and English with the same facts (built as pairs, so the two
cannot drift apart). Anything drawn from OpenStreetMap credits "© OpenStreetMap
contributors, ODbL".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import pandas as pd

from citycheckup.spatial import ATTRIBUTION, SpatialResult
from citycheckup.spatial.data import Extract

__all__ = [
    "COMBINED",
    "DISTRICT",
    "SURVEYOR",
    "UNIT_NAME",
    "describe",
    "english",
    "problem_map",
    "summary",
    "unassessed_blocks",
]

DISTRICT = {"zh": "海淀区", "en": "Haidian District"}
UNIT_NAME = {"zh": "北京市海淀区", "en": "Haidian District, Beijing"}
SURVEYOR = {"zh": "OpenStreetMap 桌面核查", "en": "OpenStreetMap desk check"}
#: Sub-item of a life-circle problem where every item meets the standard but not all together.
COMBINED = {"zh": "各项分别达标、同时配齐不足", "en": "each item meets it, not all together"}
ATTRIBUTION_ZH = "© OpenStreetMap 贡献者，ODbL"
_KINDS = {
    "circle": ("生活圈", "life circles"),
    "compound": ("居住街坊", "residential block"),
    "park": ("公园", "parks"),
    "named": ("学校、菜市场", "school, market"),
}
_THIN = ("住宅测绘稀少", "thinly mapped homes")
_EMPTY = ("无住宅数据、未评价", "no homes in the data, not assessed")
_SAME_PLACE = ("标注数字：同一位置的问题数", "numbers: problems at the same place")
_CJK_BRACKETS = re.compile(r"\s*[（(][^（()）]*[\u3400-\u9fff][^（()）]*[)）]")


def english(text: str) -> str:
    """An English label without the Chinese term in brackets some labels carry.

    >>> english("Residential block (居住街坊) coverage")
    'Residential block coverage'
    """
    return _CJK_BRACKETS.sub("", text)


def unassessed_blocks(result: SpatialResult, blocks: gpd.GeoDataFrame) -> list[str]:
    """Blocks without any residential building in the data: their coverage cannot be computed."""
    have = set(result.homes["district"].astype(str))
    return [b for b in blocks["block_id"].astype(str) if b not in have]


def _pick(pairs: Sequence[tuple[str, str]], lang: str) -> list[str]:
    return [p[0] if lang == "zh" else p[1] for p in pairs]


def describe(
    p: Mapping[str, Any],
    measure: tuple[str, str],
    block: tuple[str, str],
    reasons: Sequence[str],
) -> dict[str, str]:
    """Description and quality notes of one located problem, in Chinese and English.

    Parameters
    ----------
    p
        The problem (``sub_item_zh/en, value, standard, distance_m, homes_beyond,
        floor_area_beyond_m2, near_edge, edge``). The standard's source stays in its own
        column (the catalogue writes some sources in one language only).
    measure, block
        (zh, en) names of the measured indicator and of the block.
    reasons
        Reasons of the spatial module's low-quality flags for this block and indicator.
    """
    what = [measure[0], measure[1]]
    if p["sub_item_zh"]:
        what = [f"{measure[0]}·{p['sub_item_zh']}", f"{measure[1]} - {p['sub_item_en']}"]
    v, s, d = p["value"], p["standard"], p["distance_m"]
    far = ("", "")
    if p["homes_beyond"]:
        n, fa = p["homes_beyond"], p["floor_area_beyond_m2"]
        far = (
            f"；{n} 栋住宅（建筑面积 {fa:,.0f} m²）步行 {d:g} 米内无此设施",
            f"; {n} residential building{'s' if n != 1 else ''} ({fa:,.0f} m² floor area) "
            f"{'have' if n != 1 else 'has'} none within a {d:g} m walk",
        )
    notes: list[tuple[str, str]] = []
    for r in dict.fromkeys(reasons):
        if "thinly mapped" in r:
            notes.append(
                ("住宅楼栋测绘稀少（建成区每平方千米住宅建筑面积低于 5 万平方米），数值不可靠", r)
            )
        elif "items" in r:
            notes.append(("该生活圈在数据中可核查的设施项不足一半", r))
        else:
            notes.append(("输入数据不足，原因见 missing.csv", r))
    if p["edge"]:
        share = 100 * p["near_edge"]
        notes.append((
            f"未覆盖住宅中 {share:.0f}% 距数据边界不足 {d:g} 米：边界外的设施不在数据中，覆盖率可能被低估",
            f"{share:.0f} % of the homes beyond the distance lie within {d:g} m of the extract's edge: "
            "facilities beyond it are not in the data, the coverage may be understated",
        ))  # fmt: skip
    return {
        "description_zh": f"{block[0]}：{what[0]} {v:.1f}% 低于标准 {s:g}%{far[0]}",
        "description_en": f"{block[1]}: {what[1]} {v:.1f} % is below the standard {s:g} %{far[1]}",
        "notes_zh": "；".join(_pick(notes, "zh")),
        "notes_en": "; ".join(_pick(notes, "en")),
    }


def summary(
    lang: str,
    *,
    extract: Extract,
    year: int,
    result: SpatialResult,
    blocks: gpd.GeoDataFrame,
    problems: pd.DataFrame,
    n_suggestions: int,
    n_projects: int,
    measures: Sequence[Any],
    no_standard: Sequence[Any],
    files: Sequence[str],
) -> str:
    """The short summary of the district check-up in ``lang`` (``zh`` or ``en``) as Markdown."""
    zh = lang == "zh"
    sep = "、" if zh else ", "
    per_block = problems.groupby("block_id").size() if len(problems) else pd.Series(dtype=int)
    counts = sep.join(f"{b} {k}" for b, k in per_block.items())
    empty = unassessed_blocks(result, blocks)
    lines: list[tuple[str, str]] = [
        (f"# 街区体检示例：{extract.name_zh}", f"# District check-up example: {extract.name_en}"),
        ("", ""),
        (f"- 数据：OpenStreetMap（{ATTRIBUTION_ZH}），数据截至 {extract.data_date}（最新编辑日期）；体检年度取数据"
         f"年份 {year}；区划代码 {extract.unit_code}（{UNIT_NAME['zh']}）。",
         f"- Data: OpenStreetMap ({ATTRIBUTION}) as of {extract.data_date} (latest edit); check-up year = "
         f"the data's year, {year}; unit {extract.unit_code} ({UNIT_NAME['en']})."),
        (f"- 街区：{len(blocks)} 个，由快速路、主干路、次干路、支路和数据边界围合，不足 2 公顷的碎块并入相邻"
         f"街区；住宅 {len(result.homes)} 栋，按建筑面积加权（无人口数据）。",
         f"- Blocks: {len(blocks)}, enclosed by expressways, arterial, secondary and branch roads and the "
         f"extract's edge (pieces under 2 ha joined to a neighbour); {len(result.homes)} residential "
         "buildings, weighted by floor area (no population data)."),
        (f"- 问题清单 {len(problems)} 项，分布在 {len(per_block)} 个街区（{counts}）；整治建议 {n_suggestions} "
         f"条；城市更新项目（草案）{n_projects} 个，每个街区一个。",
         f"- Problem list: {len(problems)} problems in {len(per_block)} blocks ({counts}); {n_suggestions} "
         f"remediation suggestions; {n_projects} draft renewal projects, one per block."),
        (f"- 无住宅数据、未评价的街区：{sep.join(empty) or '无'}（OpenStreetMap 中没有住宅楼栋，覆盖率无从计算；"
         "不等于没有问题）。",
         f"- Blocks not assessed, no homes in the data: {sep.join(empty) or 'none'} (OpenStreetMap has no "
         "residential buildings there, so no coverage can be computed; this does not mean they have no "
         "problems)."),
        ("", ""),
        ("## 未达标的标准", "## Standards missed"),
    ]  # fmt: skip
    values = result.indicators.set_index("district")
    for m in measures:
        sel = problems[problems["indicator"] == m.code] if len(problems) else problems
        if not len(sel):
            continue
        got = sep.join(
            f"{b} {float(cast(float, values.at[b, m.source])):.1f}%"
            for b in sorted(sel["block_id"].unique())
        )
        std, mid = f"{sel['standard'].iloc[0]:g}%", f"（{m.mohurd_id}）" if m.mohurd_id else ""
        lines.append((
            f"- {m.name_zh}{mid}：标准 {std}，未达标街区 {got}",
            f"- {m.name_en}{mid.replace('（', ' (').replace('）', ')')}: standard {std}; blocks below it: {got}",
        ))  # fmt: skip
    if no_standard:
        lines.append((
            "- 整治目录（remediation.yaml）无标准、只计算不列为问题："
            + "、".join(m.name_zh for m in no_standard),
            "- No standard in the remediation catalogue (remediation.yaml), computed but not turned into "
            "problems: " + ", ".join(m.name_en for m in no_standard),
        ))  # fmt: skip
    flags = result.quality["flags"].fillna("").astype(str) != ""
    thin = [
        b
        for b in result.quality.loc[flags, "district"].astype(str)
        if b in set(blocks["block_id"]) and b not in empty
    ]
    n_low = int((problems["quality"] == "low").sum()) if len(problems) else 0
    n_edge = int(problems["edge"].sum()) if len(problems) else 0
    lines += [
        ("", ""),
        ("## 数据质量与 OpenStreetMap 无法核查的内容", "## Data quality and what OpenStreetMap could not check"),
        (f"- 住宅测绘稀少（建成区每平方千米住宅建筑面积低于 5 万平方米）的街区：{sep.join(thin) or '无'}；其中的"
         f"问题标为数据不足（{n_low} 项），需现场核实。",
         f"- Blocks with thinly mapped homes (under 50,000 m² residential floor area per km² built-up): "
         f"{sep.join(thin) or 'none'}; their problems are marked low quality ({n_low}) and need checking "
         "on site."),
        (f"- {n_edge} 项问题的步行距离越出数据边界：边界外的设施不在数据中，覆盖率可能被低估。",
         f"- {n_edge} problems reach beyond the extract's edge with their walking distance: facilities "
         "beyond it are not in the data, the coverage may be understated."),
    ]  # fmt: skip
    why = {
        "not_found": ("OpenStreetMap 中未找到（缺失或未测绘）、无法核查的设施项",
                      "items not found in OpenStreetMap (absent or not mapped), not checked"),
        "not_expressible": ("OpenStreetMap 无法表达、无法核查的设施项", "items OpenStreetMap cannot express, not checked"),
    }  # fmt: skip
    circle_en = {m.circle: m.name_en.split(" coverage")[0] for m in measures}
    lc = result.life_circles
    for (circle, status), g in lc[lc["status"] != "checked"].groupby(
        ["circle", "status"], sort=False
    ):
        z, e = why.get(str(status), (str(status), str(status)))
        lines.append((
            f"- {g['circle_zh'].iloc[0]}：{z}：{'、'.join(g['name_zh'])}",
            f"- {circle_en.get(circle, circle)}: {e}: {', '.join(map(english, g['name_en']))}",
        ))  # fmt: skip
    top = sorted({f.split("/")[0] + ("/" if "/" in f else "") for f in files})
    lines += [
        ("", ""),
        (
            "文件（输出目录下）：" + "、".join(top),
            "Files (in the output folder): " + ", ".join(top),
        ),
    ]
    return "\n".join(_pick(lines, lang)) + "\n"


def problem_map(
    result: SpatialResult,
    blocks: gpd.GeoDataFrame,
    problems: pd.DataFrame,
    path: Path,
    *,
    title: str,
) -> Path:
    """PNG map: blocks shaded by their number of problems (hatched where homes are thinly mapped),
    each problem at its location, the walk network, the OpenStreetMap credit."""
    import matplotlib
    from matplotlib.artist import Artist
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from citycheckup._fonts import raise_for_missing_glyphs, register_matplotlib

    crs = result.homes.crs
    b = blocks.to_crs(crs)
    size = problems.groupby("block_id").size() if len(problems) else pd.Series(dtype=int)
    n = b["block_id"].map(size).fillna(0).astype(int)
    flags = result.quality["flags"].fillna("").astype(str) != ""
    empty = set(unassessed_blocks(result, blocks))
    thin = set(result.quality.loc[flags, "district"].astype(str)) - empty
    kinds = {
        k: f"{z} {e}"
        for k, (z, e) in _KINDS.items()
        if len(problems) and (problems["kind"] == k).any()
    }
    labels = [
        title,
        ATTRIBUTION,
        ATTRIBUTION_ZH,
        *kinds.values(),
        " ".join(_THIN),
        " ".join(_EMPTY),
        " · ".join(_SAME_PLACE),
        "问题数 problems",
    ]
    raise_for_missing_glyphs([*labels, *b["block_id"]], what=f"map {path.name}")
    style = {"circle": ("#1f77b4", "o"), "compound": ("#9467bd", "s"), "park": ("#2ca02c", "^"),
             "named": ("#d62728", "D")}  # fmt: skip
    family = register_matplotlib()
    with matplotlib.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}
    ):
        fig = Figure(figsize=(7.5, 7.5), dpi=100)
        ax = fig.add_subplot()
        b.assign(n=n).plot(ax=ax, column="n", cmap="OrRd", vmin=0, vmax=max(int(n.max()), 1),
                           edgecolor="white", linewidth=1.2)  # fmt: skip
        if empty:
            b[b["block_id"].isin(empty)].plot(
                ax=ax, facecolor="#d9d9d9", edgecolor="white", linewidth=1.2
            )
        b[b["block_id"].isin(thin)].plot(
            ax=ax, facecolor="none", edgecolor="#555555", hatch="////", linewidth=0
        )
        if result.network is not None:
            result.network.plot(ax=ax, color="black", linewidth=0.25, alpha=0.35)
        if len(problems):
            # several problems often share a place (the home nearest the unserved homes):
            # one marker per place and kind, its area growing with the count, the count beside it
            here = problems.groupby(["lon", "lat", "kind"], sort=True).size().reset_index(name="k")
            pts = gpd.GeoSeries(gpd.points_from_xy(here["lon"], here["lat"]), crs="EPSG:4326")
            pts = pts.to_crs(crs)
            for k in kinds:
                sel = (here["kind"] == k).to_numpy()
                area = 22 * here.loc[sel, "k"].to_numpy() ** 0.5
                ax.scatter(pts.x[sel], pts.y[sel], s=area, c=style[k][0], marker=style[k][1],
                           edgecolors="white", linewidths=0.5, zorder=4)  # fmt: skip
            total = here.groupby(["lon", "lat"], sort=True)["k"].sum().reset_index()
            spots = gpd.GeoSeries(gpd.points_from_xy(total["lon"], total["lat"]), crs="EPSG:4326")
            spots = spots.to_crs(crs)
            for x, y, c in zip(spots.x, spots.y, total["k"], strict=True):
                if c > 1:  # one label per place: all its problems, whatever their kind
                    ax.annotate(str(c), (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7,
                                color="black", zorder=6,
                                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})  # fmt: skip
        for bid, geom, k in zip(b["block_id"], b.geometry, n, strict=True):
            p = geom.representative_point()
            ax.text(p.x, p.y, f"{bid}\n{'–' if bid in empty else k}", ha="center", va="center", fontsize=7, zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})  # fmt: skip
        handles: list[Artist] = [
            Line2D([], [], marker=style[k][1], color="white", markerfacecolor=style[k][0], markersize=7,
                   label=text)
            for k, text in kinds.items()
        ]  # fmt: skip
        handles.append(
            Patch(facecolor="white", edgecolor="#555555", hatch="////", label=" ".join(_THIN))
        )
        if empty:
            handles.append(Patch(facecolor="#d9d9d9", edgecolor="none", label=" ".join(_EMPTY)))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), fontsize=7,
                  frameon=False, ncol=3)  # fmt: skip
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=9)
        cb = fig.colorbar(ax.collections[0], ax=ax, fraction=0.04, pad=0.02, shrink=0.7)
        cb.set_label("问题数 problems", fontsize=8)
        cb.locator = MaxNLocator(integer=True)
        cb.update_ticks()
        fig.text(
            0.01, 0.01, " · ".join(_SAME_PLACE), ha="left", va="bottom", fontsize=7, color="#333333"
        )
        fig.text(0.99, 0.01, f"{ATTRIBUTION} · {ATTRIBUTION_ZH}", ha="right", va="bottom", fontsize=7,
                 color="#333333")  # fmt: skip
        fig.subplots_adjust(left=0.02, right=0.92, top=0.9, bottom=0.1)
        path.parent.mkdir(parents=True, exist_ok=True)
        FigureCanvasAgg(fig).print_png(str(path))
    return path
