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
    "code": {"zh": "代码", "en": "Code"},
    "province": {"zh": "省份", "en": "Province"},
    "index": {"zh": "综合指数", "en": "Index"},
    "no_data": {"zh": "无数据", "en": "no data"},
    "search": {"zh": "搜索城市…", "en": "Search city…"},
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
    "scope_global": {"zh": "跨年份统一标准化，各年得分可比", "en": "globally across years, so years are comparable"},
    "scope_year": {"zh": "逐年标准化", "en": "separately for each year"},
    "norm_minmax": {"zh": "极差（min-max，0–100）", "en": "min-max (0–100)"},
    "norm_zscore": {"zh": "Z 分数", "en": "z-scores"},
    "agg_arithmetic": {"zh": "算术平均", "en": "arithmetic"},
    "agg_geometric": {"zh": "几何平均", "en": "geometric"},
    "peers_text": {
        "zh": "优势与短板按城市在同省城市及同规模等级城市中的组内排名确定（城市规模等级依据《国务院关于调整城市规模划分标准的通知》"
              "（国发〔2014〕51号），按城区常住人口划分）。",
        "en": "Strengths and weak points are ranks among cities of the same province and of the same city-size "
              "class (State Council notice 国发〔2014〕51号, by urban resident population).",
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
    "osm_credit": {"zh": "© OpenStreetMap 贡献者，ODbL", "en": "© OpenStreetMap contributors, ODbL"},
}


def t(key: str, lang: str, **kwargs: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``kwargs``."""
    try:
        text = MESSAGES[key][lang]
    except KeyError as exc:
        raise KeyError(f"message {key!r} has no {lang!r} text; add it to citycheckup.report.messages") from exc
    return text.format(**kwargs) if kwargs else text
