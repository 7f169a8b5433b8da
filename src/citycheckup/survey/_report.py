"""Report blocks (section 七、社会满意度) and labelled result tables, in Chinese or English.

Every reader-facing string is in :data:`TEXT` in both languages; question ids, aspect and
level codes never reach the reader (labels from the questionnaire are used instead).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from citycheckup.survey._chart import interval_chart

if TYPE_CHECKING:
    from citycheckup.survey.results import SurveyResults

__all__ = ["TEXT", "report_blocks", "result_tables", "t"]

Lang = Literal["zh", "en"]

TEXT: dict[str, dict[str, str]] = {
    "level": {"zh": "层级", "en": "Level"},
    "aspect": {"zh": "方面", "en": "Aspect"},
    "item": {"zh": "事项", "en": "Item"},
    "index": {"zh": "满意度指数", "en": "Satisfaction index"},
    "ci": {"zh": "95%置信区间", "en": "95 % confidence interval"},
    "n_valid": {"zh": "有效回答数", "en": "Valid answers"},
    "n_dk": {"zh": "不清楚", "en": "Don't know"},
    "n_na": {"zh": "不适用", "en": "Not applicable"},
    "n_missing": {"zh": "未作答", "en": "No answer"},
    "satisfied": {"zh": "满意率（%）", "en": "Satisfied (%)"},
    "unweighted": {"zh": "未加权指数", "en": "Unweighted index"},
    "n_eff": {"zh": "有效样本量", "en": "Effective sample size"},
    "all_aspects": {"zh": "合计", "en": "All aspects"},
    "overall": {"zh": "总体", "en": "Overall"},
    "question_id": {"zh": "题号", "en": "Question"},
    "indicator": {"zh": "关联指标", "en": "Related indicator"},
    "variable": {"zh": "变量", "en": "Variable"},
    "category": {"zh": "类别", "en": "Category"},
    "population": {"zh": "人口", "en": "Population"},
    "respondents": {"zh": "受访人数", "en": "Respondents"},
    "sample_share": {"zh": "样本占比（%）", "en": "Sample share (%)"},
    "weighted": {"zh": "加权人数", "en": "Weighted total"},
    "population_share": {"zh": "人口占比（%）", "en": "Population share (%)"},
    "clearly_below": {"zh": "置信区间整体低于60", "en": "Whole interval below 60"},
    "below_city_mean": {
        "zh": "置信区间整体低于总体指数",
        "en": "Whole interval below the overall index",
    },
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "var.age_group": {"zh": "年龄段", "en": "Age group"},
    "var.sex": {"zh": "性别", "en": "Sex"},
    "var.area": {"zh": "街道（社区）", "en": "Sub-district (community)"},
    "sheet.questions": {"zh": "各事项", "en": "Items"},
    "sheet.aspects": {"zh": "各方面", "en": "Aspects"},
    "sheet.levels": {"zh": "各层级", "en": "Levels"},
    "sheet.low": {"zh": "低满意度事项", "en": "Low-satisfaction items"},
    "sheet.margins": {"zh": "加权结构", "en": "Weighting margins"},
    "chart": {
        "zh": "各方面满意度指数及95%置信区间",
        "en": "Satisfaction index by aspect with 95 % confidence interval",
    },
    "pass_mark": {"zh": "及格线60", "en": "pass mark 60"},
    "low_caption": {
        "zh": "满意度指数低于60的事项（列为所在层级的候选问题）",
        "en": "Items with a satisfaction index below 60 (candidate problems of their level)",
    },
    "lowest_caption": {
        "zh": "满意度最低的五个事项",
        "en": "The five items with the lowest satisfaction",
    },
    "aspect_caption": {
        "zh": "各层级、各方面满意度指数",
        "en": "Satisfaction index by level and aspect",
    },
    "hotline_caption": {
        "zh": "居民满意度调查与12345热线满意率对照",
        "en": "Residents' survey and the 12345 hotline's satisfaction rate",
    },
    "measure": {"zh": "口径", "en": "Measure"},
    "rate": {"zh": "满意率（%）", "en": "Satisfaction rate (%)"},
    "survey_rate": {
        "zh": "居民调查：各事项回答“满意”“非常满意”的比例",
        "en": "Residents' survey: answers 'satisfied' or 'very satisfied', all items",
    },
    "survey_hotline_q": {
        "zh": "居民调查：对12345热线满意的比例",
        "en": "Residents' survey: satisfied with the 12345 hotline",
    },
    "hotline_rate": {
        "zh": "12345热线回访：“满意”“基本满意”的比例",
        "en": "12345 hotline follow-up: 'satisfied' or 'basically satisfied'",
    },
}


def t(key: str, lang: Lang) -> str:
    return TEXT[key][lang]


def _f(x: Any, nd: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{float(x):.{nd}f}"


def _ci(lo: Any, hi: Any, lang: Lang) -> str:
    if (
        lo is None
        or hi is None
        or (isinstance(lo, float) and math.isnan(lo))
        or (isinstance(hi, float) and math.isnan(hi))
    ):
        return "样本不足" if lang == "zh" else "too few answers"
    return f"{_f(lo)}～{_f(hi)}" if lang == "zh" else f"{_f(lo)}–{_f(hi)}"


def _pct(x: float, lang: Lang) -> str:
    return f"{x:.1f}%" if lang == "zh" else f"{x:.1f} %"


def _zh_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _period_text(period: str, lang: Lang) -> str:
    """``2025`` / ``2025-06`` / ``2025-06-01/2025-06-30`` in the report's words."""
    if "/" in period:
        a, b = period.split("/")
        return f"{_zh_date(a)}至{_zh_date(b)}" if lang == "zh" else f"from {a} to {b}"
    if len(period) == 7:
        y, m = period.split("-")
        return f"{y}年{int(m)}月" if lang == "zh" else f"for {_MONTHS[int(m) - 1]} {y}"
    return f"{period}年" if lang == "zh" else f"for {period}"


def _fit_text(err: float, lang: Lang) -> str:
    if err < 1e-6:
        return (
            "加权后的样本结构与人口结构一致"
            if lang == "zh"
            else "the weighted sample matches the population"
        )
    return (
        f"加权后的样本结构与人口结构的最大相对偏差为{err * 100:.4f}%"
        if lang == "zh"
        else f"the weighted sample differs from the population by at most {err * 100:.4f} %"
    )


def _method(res: SurveyResults, lang: Lang) -> list[str]:
    zh = lang == "zh"
    out: list[str] = []
    period = ""
    if res.period:
        a, b = res.period
        a, b = (_zh_date(a), _zh_date(b)) if zh else (a, b)
        period = (
            (f"于{a}至{b}" if a != b else f"于{a}")
            if zh
            else (f" from {a} to {b}" if a != b else f" on {a}")
        )
    dup = ""
    if res.n_duplicates:
        dup = (
            f"（已剔除重复提交的答卷{res.n_duplicates}份）"
            if zh
            else f" ({res.n_duplicates} duplicate submissions removed)"
        )
    rr = res.response_rate
    if zh:
        s = f"本次居民满意度调查{period}开展，"
        s += (
            f"共发放问卷{res.n_invited:,}份，回收有效答卷{res.n_responses:,}份{dup}，应答率{_pct(rr, lang)}。"
            if rr is not None and res.n_invited
            else f"回收有效答卷{res.n_responses:,}份{dup}；未提供发放数量，无法计算应答率。"
        )
        s += "样本按各街道（社区）常住人口比例分配，每个街道（社区）不少于规定的最低样本量。"
    else:
        s = f"The residents' satisfaction survey was carried out{period}. "
        s += (
            f"{res.n_invited:,} questionnaires were handed out and {res.n_responses:,} valid responses "
            f"returned{dup}, a response rate of {_pct(rr, lang)}. "
            if rr is not None and res.n_invited
            else f"{res.n_responses:,} valid responses were returned{dup}; the number handed out was not given, so "
            "there is no response rate. "
        )
        s += (
            "The sample was shared among the sub-districts (communities) in proportion to their resident "
            "population, with a minimum for each."
        )
    out.append(s)
    rk = res.weighting
    if rk is not None:
        names = (
            "、".join(t(f"var.{v}", lang) for v in rk.variables if f"var.{v}" in TEXT)
            if zh
            else ", ".join(t(f"var.{v}", lang).lower() for v in rk.variables if f"var.{v}" in TEXT)
        )
        trim = ""
        if rk.trim is not None:
            lo, hi = rk.trim
            rng = (
                f"平均权数的{lo or 0:g}～{hi or math.inf:g}倍"
                if zh
                else f"{lo or 0:g} to {hi or math.inf:g} times the mean weight"
            )
            trim = (
                f"权数限制在{rng}之间（{rk.n_trimmed}个权数处于界限），"
                if zh
                else f" Weights were kept within {rng} ({rk.n_trimmed} at a bound)."
            )
        if zh:
            out.append(
                f"为使样本结构与常住人口一致，按{names}的人口结构，用迭代比例拟合法（耙式加权）调整权数，"
                f"经{rk.iterations}轮迭代，{_fit_text(rk.max_error, lang)}；{trim}"
                f"加权后的有效样本量约为{rk.n_eff:,.0f}人（设计效应{rk.deff:.2f}）。"
            )
        else:
            out.append(
                f"So that the sample matches the resident population, the weights were adjusted to the "
                f"population by {names} with iterative proportional fitting (raking); after {rk.iterations} "
                f"cycles {_fit_text(rk.max_error, lang)}.{trim} The effective sample size after weighting is about "
                f"{rk.n_eff:,.0f} (design effect {rk.deff:.2f})."
            )
    elif not res.indices.weighted:
        out.append(
            "本次未提供常住人口的年龄、性别和街道结构，指数为样本的简单平均，可能偏离全体居民的看法；"
            "提供人口结构后将按其加权。"
            if zh
            else "No population structure by age, sex and sub-district was supplied, so the indices are plain "
            "sample means and may differ from the views of all residents; with that structure they are "
            "weighted."
        )
    else:
        out.append(
            "指数按给定的权数加权计算。"
            if zh
            else "The indices use the weights supplied with the responses."
        )
    if zh:
        out.append(
            "满意度指数按“非常满意100分、满意75分、一般50分、不满意25分、非常不满意0分”计算，取值0～100；"
            "“不清楚”“不适用”和未作答的不计分，另行统计。95%置信区间按泰勒线性化方法估计并计入加权调整的影响。"
            f"满意度指数低于{res.threshold:g}分（及格线）且有效回答不少于{res.min_valid}份的事项，"
            "列为所在层级的候选问题。"
        )
    else:
        out.append(
            "The satisfaction index scores 'very satisfied' 100, 'satisfied' 75, 'neither' 50, 'dissatisfied' "
            "25 and 'very dissatisfied' 0, so it runs from 0 to 100; 'don't know', 'not applicable' and blank "
            "answers are not scored and are counted separately. The 95 % confidence intervals are estimated "
            "by Taylor linearisation and account for the weighting. Items with an index below "
            f"{res.threshold:g} (the pass mark) and at least {res.min_valid} valid answers are listed as "
            "candidate problems of their level."
        )
    return out


def _aspect_rows(
    res: SurveyResults, lang: Lang
) -> tuple[list[list[str]], list[tuple[str, float, float, float]], list[tuple[str, int]]]:
    q = res.questionnaire
    a = res.indices.aspects
    lv = res.indices.levels.set_index("level")
    rows: list[list[str]] = []
    chart: list[tuple[str, float, float, float]] = []
    groups: list[tuple[str, int]] = []
    for lev in q.levels:
        sub = a[a["level"] == lev.code]
        for r in sub.itertuples(index=False):
            lab = q.aspect(lev.code, str(r.aspect)).label(lang)
            rows.append(
                [
                    lev.label(lang),
                    lab,
                    _f(r.index),
                    _ci(r.ci_low, r.ci_high, lang),
                    f"{int(r.n_valid):,}",
                ]
            )
            chart.append((lab, float(r.index), float(r.ci_low), float(r.ci_high)))
        L = lv.loc[lev.code]
        rows.append(
            [
                lev.label(lang),
                t("all_aspects", lang),
                _f(L["index"]),
                _ci(L["ci_low"], L["ci_high"], lang),
                f"{int(L['n_valid']):,}",
            ]
        )
        groups.append(
            (
                f"{lev.label(lang)}（{_f(L['index'])}）"
                if lang == "zh"
                else f"{lev.label(lang)} ({_f(L['index'])})",
                len(sub),
            )
        )
    o = res.overall
    rows.append(
        [
            t("overall", lang),
            t("all_aspects", lang),
            _f(o["index"]),
            _ci(o["ci_low"], o["ci_high"], lang),
            f"{int(o['n_valid']):,}",
        ]
    )
    return rows, chart, groups


def _item_table(res: SurveyResults, frame: pd.DataFrame, lang: Lang, caption: str) -> Any:
    from citycheckup.report.document import Table

    q = res.questionnaire
    cols = [
        t("level", lang),
        t("aspect", lang),
        t("item", lang),
        t("index", lang),
        t("ci", lang),
        t("n_valid", lang),
    ]
    rows, classes = [], []
    for r in frame.itertuples(index=False):
        lev, asp = str(r.level), str(r.aspect)
        rows.append(
            [
                q.level(lev).label(lang),
                q.aspect(lev, asp).label(lang),
                str(r.label_zh if lang == "zh" else r.label_en),
                _f(r.index),
                _ci(r.ci_low, r.ci_high, lang),
                f"{int(r.n_valid):,}",
            ]
        )
        low = not math.isnan(float(r.index)) and round(float(r.index), 6) < res.threshold
        classes.append(["", "", "", "g-poor" if low else "", "", ""])
    return Table(
        cols,
        rows,
        caption=caption,
        numeric=[False, False, False, True, False, True],
        classes=classes,
    )


def report_blocks(res: SurveyResults, lang: Lang = "zh") -> list[Any]:
    """The blocks of the report section 社会满意度 for ``res`` in ``lang``.

    Method (sample, response rate, weighting, scoring), the overall index, indices by
    level and aspect with CIs (chart and table), the low-satisfaction items (or the five
    lowest when none is below the mark), and the comparison with the 12345 rate.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    from citycheckup.report.document import Figure, Para, Table

    zh = lang == "zh"
    blocks: list[Any] = [Para(p) for p in _method(res, lang)]
    o = res.overall
    s = res.indices.satisfied_rate.iloc[0]
    blocks.append(
        Para(
            f"居民满意度总体指数为{_f(o['index'])}（95%置信区间{_ci(o['ci_low'], o['ci_high'], lang)}），"
            f"各事项回答“满意”或“非常满意”的比例为{_pct(float(s['index']), lang)}。"
            if zh
            else f"The overall satisfaction index is {_f(o['index'])} (95 % confidence interval "
            f"{_ci(o['ci_low'], o['ci_high'], lang)}); {_pct(float(s['index']), lang)} of the answers to all items are "
            "'satisfied' or 'very satisfied'.",
            "lead",
        )
    )
    rows, chart, groups = _aspect_rows(res, lang)
    blocks.append(
        Figure(
            t("chart", lang),
            svg=interval_chart(
                chart, groups=groups, threshold=res.threshold, threshold_label=t("pass_mark", lang)
            ),
        )
    )
    blocks.append(
        Table(
            [
                t("level", lang),
                t("aspect", lang),
                t("index", lang),
                t("ci", lang),
                t("n_valid", lang),
            ],
            rows,
            caption=t("aspect_caption", lang),
            numeric=[False, False, True, False, True],
        )
    )
    if len(res.low):
        k = len(res.low)
        clear = int(res.low["clearly_below"].sum())
        blocks.append(
            Para(
                f"满意度指数低于{res.threshold:g}的事项共{k}项，列为所在层级的候选问题，其中{clear}项的置信区间整体低于"
                f"{res.threshold:g}，可以确定满意度偏低；其余各项建议结合实地体检和12345热线诉求进一步核实。"
                if zh
                else f"{k} item(s) have a satisfaction index below {res.threshold:g} and are listed as candidate problems of "
                f"their level; for {clear} of them the whole confidence interval lies below {res.threshold:g}, so their "
                "low satisfaction is certain; the others should be checked against the field survey and the 12345 "
                "requests."
            )
        )
        blocks.append(_item_table(res, res.low, lang, t("low_caption", lang)))
    else:
        blocks.append(
            Para(
                f"没有满意度指数低于{res.threshold:g}的事项；下表列出满意度最低的五个事项，供改进参考。"
                if zh
                else f"No item has a satisfaction index below {res.threshold:g}; the table lists the five items with the "
                "lowest satisfaction for reference."
            )
        )
        lowest = (
            res.indices.questions.dropna(subset=["index"])
            .sort_values(["index", "question"])
            .head(5)
        )
        blocks.append(_item_table(res, lowest, lang, t("lowest_caption", lang)))
    h = res.hotline
    if h is None:
        blocks.append(
            Para(
                "未提供同期12345热线的满意率；提供后，将在此与调查结果对照。"
                if zh
                else "The 12345 hotline's satisfaction rate for the same period was not supplied; with it, the survey is "
                "compared with the hotline here."
            )
        )
        return blocks
    lo, hi = h.survey_ci
    where = (
        (
            "落在调查结果的95%置信区间内"
            if h.within_ci
            else (
                "高于调查结果的95%置信区间" if h.hotline_rate > hi else "低于调查结果的95%置信区间"
            )
        )
        if zh
        else (
            "inside the survey's 95 % confidence interval"
            if h.within_ci
            else (
                "above the survey's 95 % confidence interval"
                if h.hotline_rate > hi
                else "below the survey's 95 % confidence interval"
            )
        )
    )
    per = _period_text(h.period, lang) if h.period else ("同期" if zh else "for the same period")
    blocks.append(
        Para(
            f"{per}12345热线满意率为{_pct(h.hotline_rate, lang)}，本次调查的满意率为{_pct(h.survey_rate, lang)}"
            f"（95%置信区间{_ci(lo, hi, lang)}），相差{abs(h.difference):.1f}个百分点，热线满意率{where}。"
            "两者口径不同：热线满意率是来电并对办理结果作出评价的市民中“满意”和“基本满意”的比例，调查满意率是受访居民"
            "对各事项回答“满意”和“非常满意”的比例，因此对照仅作交叉印证。"
            if zh
            else f"The 12345 hotline's satisfaction rate {per} is {_pct(h.hotline_rate, lang)}; the survey's is "
            f"{_pct(h.survey_rate, lang)} (95 % confidence interval {_ci(lo, hi, lang)}), a difference of "
            f"{abs(h.difference):.1f} percentage points, with the hotline rate {where}. The two measure different "
            "things: the hotline counts 'satisfied' and 'basically satisfied' among callers who rated how their request "
            "was handled, the survey counts 'satisfied' and 'very satisfied' answers of a sample of residents on all "
            "items, so the comparison is a cross-check only."
        )
    )
    trows = [[t("survey_rate", lang), _f(h.survey_rate), _ci(lo, hi, lang)]]
    if h.hotline_question_rate is not None and h.hotline_question_ci is not None:
        trows.append(
            [
                t("survey_hotline_q", lang),
                _f(h.hotline_question_rate),
                _ci(h.hotline_question_ci[0], h.hotline_question_ci[1], lang),
            ]
        )
    trows.append([t("hotline_rate", lang), _f(h.hotline_rate), "–"])
    blocks.append(
        Table(
            [t("measure", lang), t("rate", lang), t("ci", lang)],
            trows,
            caption=t("hotline_caption", lang),
            numeric=[False, True, False],
        )
    )
    return blocks


def result_tables(res: SurveyResults, lang: Lang = "zh") -> dict[str, pd.DataFrame]:
    """Labelled result tables: items, aspects, levels, low items, weighting margins."""
    q = res.questionnaire
    qt = res.indices.questions

    def lev(c: str) -> str:
        return q.level(c).label(lang)

    items = pd.DataFrame(
        {
            t("question_id", lang): qt["question"],
            t("level", lang): qt["level"].map(lev),
            t("aspect", lang): [
                q.aspect(a, b).label(lang) for a, b in zip(qt["level"], qt["aspect"], strict=True)
            ],
            t("item", lang): qt[f"label_{lang}"],
            t("index", lang): qt["index"].round(2),
            f"{t('ci', lang)} L": qt["ci_low"].round(2),
            f"{t('ci', lang)} U": qt["ci_high"].round(2),
            t("satisfied", lang): qt["satisfied_share"].round(2),
            t("n_valid", lang): qt["n_valid"],
            t("n_dk", lang): qt["n_dk"],
            t("n_na", lang): qt["n_na"],
            t("n_missing", lang): qt["n_missing"],
            t("n_eff", lang): qt["n_eff"].round(1),
            t("unweighted", lang): qt["unweighted_index"].round(2),
            t("indicator", lang): qt["indicator"].fillna("")
            + qt["mohurd_id"].map(lambda m: f" ({m})" if m else ""),
        }
    )
    a = res.indices.aspects
    aspects = pd.DataFrame(
        {
            t("level", lang): a["level"].map(lev),
            t("aspect", lang): [
                q.aspect(x, y).label(lang) for x, y in zip(a["level"], a["aspect"], strict=True)
            ],
            t("index", lang): a["index"].round(2),
            f"{t('ci', lang)} L": a["ci_low"].round(2),
            f"{t('ci', lang)} U": a["ci_high"].round(2),
            t("n_valid", lang): a["n_valid"],
            t("n_eff", lang): a["n_eff"].round(1),
            t("unweighted", lang): a["unweighted_index"].round(2),
        }
    )
    lv = res.indices.levels
    o = res.indices.overall
    levels = pd.DataFrame(
        {
            t("level", lang): [*lv["level"].map(lev), t("overall", lang)],
            t("index", lang): [*lv["index"].round(2), round(float(o["index"].iloc[0]), 2)],
            f"{t('ci', lang)} L": [*lv["ci_low"].round(2), round(float(o["ci_low"].iloc[0]), 2)],
            f"{t('ci', lang)} U": [*lv["ci_high"].round(2), round(float(o["ci_high"].iloc[0]), 2)],
            t("n_valid", lang): [*lv["n_valid"], int(o["n_valid"].iloc[0])],
        }
    )
    low = res.low
    yes, no = t("yes", lang), t("no", lang)
    lows = pd.DataFrame(
        {
            t("question_id", lang): low["question"],
            t("level", lang): low["level"].map(lev),
            t("aspect", lang): [
                q.aspect(x, y).label(lang) for x, y in zip(low["level"], low["aspect"], strict=True)
            ],
            t("item", lang): low[f"label_{lang}"],
            t("index", lang): low["index"].round(2),
            f"{t('ci', lang)} L": low["ci_low"].round(2),
            f"{t('ci', lang)} U": low["ci_high"].round(2),
            t("n_valid", lang): low["n_valid"],
            t("clearly_below", lang): low["clearly_below"].map({True: yes, False: no}),
            t("below_city_mean", lang): low["below_city_mean"].map({True: yes, False: no}),
        }
    )
    out = {
        t("sheet.questions", lang): items,
        t("sheet.aspects", lang): aspects,
        t("sheet.levels", lang): levels,
        t("sheet.low", lang): lows,
    }
    if res.weighting is not None:
        m = res.weighting.margins
        out[t("sheet.margins", lang)] = pd.DataFrame(
            {
                t("variable", lang): m["variable"].map(
                    lambda v: TEXT.get(f"var.{v}", {}).get(lang, v)
                ),
                t("category", lang): m["category"],
                t("population", lang): m["population"],
                t("respondents", lang): m["respondents"],
                t("sample_share", lang): m["sample_share"].round(2),
                t("weighted", lang): m["weighted"].round(2),
                t("population_share", lang): m["population_share"].round(2),
            }
        )
    return out
