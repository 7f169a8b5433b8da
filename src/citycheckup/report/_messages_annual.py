"""Message catalogue, part 2: the annual report in MOHURD's outline and the thematic reports.

Merged into :data:`citycheckup.report.messages.MESSAGES`; look texts up with
:func:`citycheckup.report.messages.t` only. Placeholders are :meth:`str.format` names.
"""

from __future__ import annotations

__all__ = ["ANNUAL_MESSAGES"]

ANNUAL_MESSAGES: dict[str, dict[str, str]] = {
    # -- separators and small patterns shared by the report modules --------------------------------
    "sep.list": {"zh": "、", "en": ", "},
    "sep.semi": {"zh": "；", "en": "; "},
    "sep.colon": {"zh": "：", "en": ": "},
    "sep.comma": {"zh": "，", "en": ", "},
    "a.labelled": {"zh": "{text}（{label}）", "en": "{text} ({label})"},
    "a.basis": {"zh": "{tier}：{reference}", "en": "{tier}: {reference}"},
    # -- title page -------------------------------------------------------------------------------
    "a.title": {
        "zh": "{city}{year}年城市体检报告",
        "en": "{city} City Health Check-up Report {year}",
    },
    "a.subtitle": {"zh": "依据《{framework}》", "en": "Following: {framework}"},
    "a.reference_date": {
        "zh": "数据基准日：{year}年12月31日",
        "en": "Data reference date: 31 December {year}",
    },
    "a.generated": {"zh": "生成时间：{time}", "en": "Generated: {time}"},
    # -- thresholds and targets -------------------------------------------------------------------
    "a.target_reach": {"zh": "达到{op}{x}{unit}", "en": "reach {op} {x} {unit}"},
    "a.target_between": {"zh": "处于{lo}–{hi}{unit}之间", "en": "lie between {lo} and {hi} {unit}"},
    "a.target_below": {"zh": "不高于{x}{unit}", "en": "stay below {x} {unit}"},
    "a.superseded": {
        "zh": "已由前一项适用标准评级",
        "en": "graded by an earlier applicable threshold",
    },
    # -- table headings ---------------------------------------------------------------------------
    "a.col.level": {"zh": "层级", "en": "Level"},
    "a.col.aspect": {"zh": "维度", "en": "Aspect"},
    "a.col.n_indicators": {"zh": "指标数", "en": "Indicators"},
    "a.col.with_data": {"zh": "有数据", "en": "With data"},
    "a.col.grade": {"zh": "等级", "en": "Grade"},
    "a.col.graded": {"zh": "已分级指标", "en": "Graded"},
    "a.col.of_which_poor": {"zh": "其中不足", "en": "Of which poor"},
    "a.col.mean_points": {"zh": "平均分值", "en": "Mean points"},
    "a.col.task": {"zh": "重点任务", "en": "Task"},
    "a.col.indicator": {"zh": "指标", "en": "Indicator"},
    "a.col.value": {"zh": "数值", "en": "Value"},
    "a.col.unit": {"zh": "单位", "en": "Unit"},
    "a.col.threshold": {"zh": "标准", "en": "Threshold"},
    "a.col.basis": {"zh": "依据", "en": "Basis"},
    "a.col.why_not_graded": {"zh": "未分级原因", "en": "Why not graded"},
    "a.col.problem": {"zh": "问题", "en": "Problem"},
    "a.col.count": {"zh": "数量", "en": "Count"},
    "a.col.denominator": {"zh": "分母", "en": "Denominator"},
    "a.col.of": {"zh": "分母数量", "en": "Of"},
    "a.col.share": {"zh": "占比", "en": "Share"},
    "a.col.coverage": {"zh": "覆盖率指标", "en": "Coverage"},
    "a.col.rate": {"zh": "覆盖率", "en": "Rate"},
    "a.col.measured_over": {"zh": "统计对象", "en": "Measured over"},
    "a.col.amount": {"zh": "数量", "en": "Amount"},
    "a.col.id": {"zh": "编号", "en": "ID"},
    "a.col.sub_item": {"zh": "细项", "en": "Sub-item"},
    "a.col.where": {"zh": "位置", "en": "Where"},
    "a.col.status": {"zh": "状态", "en": "Status"},
    "a.col.type": {"zh": "整治类型", "en": "Type"},
    "a.col.tickets": {"zh": "工单数", "en": "Tickets"},
    "a.col.ticket_numbers": {"zh": "工单编号", "en": "Ticket numbers"},
    "a.col.item": {"zh": "项目", "en": "Item"},
    "a.col.measure": {"zh": "整治措施", "en": "Measure"},
    "a.col.responsible": {"zh": "责任单位", "en": "Responsible"},
    "a.col.problems": {"zh": "问题数", "en": "Problems"},
    "a.col.open_at_start": {"zh": "年初未销号问题", "en": "Open at start"},
    "a.col.closed": {"zh": "本年销号", "en": "Closed"},
    "a.col.completion": {"zh": "完成率", "en": "Rate"},
    "a.col.scope": {"zh": "统计范围", "en": "Scope"},
    "a.col.owner": {"zh": "责任部门", "en": "Data owner"},
    # -- 一、工作概况 --------------------------------------------------------------------------------
    "a.overview": {"zh": "工作概况", "en": "Overview of the check-up"},
    "a.org.organiser": {"zh": "组织单位", "en": "Organised by"},
    "a.org.technical": {"zh": "技术单位", "en": "Technical team"},
    "a.org.period": {"zh": "工作时间", "en": "Period"},
    "a.org_item": {"zh": "{label}：{value}", "en": "{label}: {value}"},
    "a.org_missing": {
        "zh": "本次体检的组织单位、技术单位和工作时间未提供；填写体检任务信息后将在此列出。",
        "en": "The organising body, technical team and period of this check-up were not given; they are "
        "listed here once the check-up's particulars are filled in.",
    },
    "a.level_count": {"zh": "{level}{n}/{of}项", "en": "{level} {n}/{of}"},
    "a.scope": {
        "zh": "本报告依据《{framework}》，对{city}住房、小区（社区）、街区、城区（城市）四个层级开展体检，"
        "数据基准日为{year}年12月31日。四个层级共{n_all}项指标，本次有数据的{n_data}项：{levels}。",
        "en": "This report applies the {framework} to {city} at four levels — housing, residential compounds "
        "and communities, blocks, and the city — with data as of 31 December {year}. Of its {n_all} "
        "indicators, {n_data} have data: {levels}.",
    },
    "a.levels_rule": {
        "zh": "住房、小区（社区）、街区三个层级只给结果不做评价：逐项列出问题数量及其分母（如存在隐患的住宅栋数/住宅总栋数），"
        "形成问题清单、整治建议清单和城市更新项目库；城区层级逐项对照适用于本市的标准分为很好、较好、一般、不足，"
        "再按维度汇总为优、良、中、差。",
        "en": "Housing, compounds and communities, and blocks are reported as results only, never scored: each "
        "problem count is given with its denominator (e.g. buildings with hazards out of all residential "
        "buildings) and feeds the problem list, the remediation list and the urban-renewal project library. "
        "City indicators are graded very good, good, fair or poor against the standards that apply to this "
        "city, then summarised by aspect as excellent, good, medium or poor.",
    },
    "a.size_class": {"zh": "城市规模等级：{label}。", "en": "City-size class: {label}. "},
    "a.data_source": {"zh": "数据来源：{source}", "en": "Data: {source}"},
    "a.store_source": {
        "zh": "住房、小区、街区登记与实地调查（结果库）",
        "en": "registers and field surveys (results store)",
    },
    # -- 二、指标体系 --------------------------------------------------------------------------------
    "a.system": {"zh": "指标体系", "en": "Indicator system"},
    "a.system_caption": {"zh": "指标体系构成", "en": "Structure of the indicator system"},
    "a.system_note": {
        "zh": "各指标的定义、计算方法、统计范围、数据责任部门和评价标准来源见附件。",
        "en": "Definitions, methods, spatial scopes, data owners and the sources of the thresholds are in the "
        "annex.",
    },
    # -- 三、城区评价 --------------------------------------------------------------------------------
    "a.city_level": {"zh": "城区评价", "en": "City-level assessment"},
    "a.by_aspect": {"zh": "分维度评价结果", "en": "Grades by aspect"},
    "a.no_aspect_grades": {
        "zh": "城区层级没有可对照适用标准分级的指标数据，因此没有维度评价结果。提供城区指标数据后将在此给出优、良、中、差。",
        "en": "No city-level value could be graded against an applicable standard, so no aspect is graded; "
        "aspect grades appear here once city-level data is given.",
    },
    "a.by_task": {
        "zh": "按中央城市工作会议重点任务",
        "en": "By the tasks of the Central Urban Work Conference",
    },
    "a.no_task_grades": {
        "zh": "没有已分级的城区指标，无法按重点任务汇总。",
        "en": "No graded city indicator to read by task.",
    },
    "a.by_task_note": {
        "zh": "同一组指标分级按会议提出的七项重点任务重新归组，规则与分维度评价相同。",
        "en": "The same indicator grades regrouped by the conference's seven tasks, with the same rule.",
    },
    "a.indicator_grades": {"zh": "指标评价", "en": "Indicator grades"},
    "a.no_indicator_grades": {
        "zh": "没有可对照适用标准分级的城区指标。",
        "en": "No city indicator could be graded.",
    },
    "a.ungraded": {"zh": "无适用标准的指标", "en": "Values without an applicable threshold"},
    "a.all_graded": {
        "zh": "有数据的城区指标均已分级。",
        "en": "Every city value with data was graded.",
    },
    "a.no_national_threshold": {
        "zh": "国家和部委文件未给出逐城分级标准",
        "en": "no national or ministry threshold for a single city",
    },
    "a.ungraded_note": {
        "zh": "这些指标只报告数值，不以自拟标准分级。",
        "en": "These values are reported as they are; no invented threshold grades them.",
    },
    # -- 四、住房、小区（社区）、街区 ------------------------------------------------------------------
    "a.lower_levels": {
        "zh": "住房、小区（社区）、街区体检结果",
        "en": "Housing, compounds and communities, blocks",
    },
    "a.no_level_survey": {
        "zh": "本次没有{level}层级的调查数据；完成逐栋、逐小区或逐街区的实地调查并录入问题后，"
        "将在此列出各类问题数量及其分母。",
        "en": "No field survey of the {level} level was supplied; once the buildings, compounds or blocks are "
        "surveyed and their problems recorded, the counts and their denominators are listed here.",
    },
    "a.located_status.found": {"zh": "发现", "en": "found"},
    "a.located_status.in_progress": {"zh": "整治中", "en": "in progress"},
    "a.located_status.closed": {"zh": "已销号", "en": "closed"},
    "a.located_status.to_project": {"zh": "转入更新项目", "en": "in a renewal project"},
    "a.located_caption": {"zh": "定位问题（共{n}条）", "en": "Located problems ({n} in all)"},
    "a.located_more": {
        "zh": "其余{n}条见附件问题清单。",
        "en": "The other {n} are in the annex problem list.",
    },
    "a.map_title": {"zh": "定位问题分布", "en": "Where the located problems are"},
    "a.map_caption": {
        "zh": "住房、小区（社区）、街区定位问题的位置（经纬度，WGS-84）",
        "en": "Located problems of housing, compounds and communities, and blocks (WGS-84)",
    },
    # -- the 12345 hotline ------------------------------------------------------------------------
    "a.hotline_aspect": {"zh": "{aspect}：12345热线", "en": "{aspect}: the 12345 hotline"},
    "a.hotline": {"zh": "12345热线", "en": "The 12345 hotline"},
    "a.rate.response": {"zh": "响应率", "en": "Response rate"},
    "a.rate.resolution": {"zh": "解决率", "en": "Resolution rate"},
    "a.rate.satisfaction": {"zh": "满意率", "en": "Satisfaction rate"},
    "a.candidates": {"zh": "候选问题", "en": "Candidate problems"},
    "a.period": {
        "zh": "{a:%Y年%m月%d日}至{b:%Y年%m月%d日}",
        "en": "{a:%d %B %Y} to {b:%d %B %Y}",
    },
    "a.hotline_caption": {
        "zh": "12345热线工单（{period}）",
        "en": "12345 hotline tickets ({period})",
    },
    "a.hotline_method": {
        "zh": "工单按对照表归入体检问题类型，并按坐标定位到社区（{community_m}米内最近的社区）或街区"
        "（{block_m}米内最近的街区）；同一社区或街区同类问题在期内达到{min_tickets}件及以上的，"
        "列为候选问题，待实地核实后再录入问题清单。无法定位或不属体检问题类型的工单逐件列出，不作删除。",
        "en": "Tickets are classified to a check-up problem type with the mapping table and placed in a "
        "community (the nearest within {community_m} m) or a block (the nearest within {block_m} m); a "
        "problem type with {min_tickets} or more tickets in one community or block within the period "
        "becomes a candidate problem, to be verified on site before it enters the problem list. Tickets "
        "that cannot be placed or are not check-up problems are listed one by one, never dropped.",
    },
    "a.tickets_more": {"zh": "等{n}件", "en": " and {more} more"},
    "a.register.community": {"zh": "社区{id}", "en": "community {id}"},
    "a.register.block": {"zh": "街区{id}", "en": "block {id}"},
    "a.candidates_caption": {
        "zh": "12345热线集中反映的候选问题（共{n}条，待实地核实）",
        "en": "Candidate problems from repeated 12345 tickets ({n} in all, to be verified on site)",
    },
    "a.candidates_more": {
        "zh": "其余{n}条候选问题随体检数据提供。",
        "en": "The other {n} candidates come with the check-up data.",
    },
    # -- 五、成因分析 --------------------------------------------------------------------------------
    "a.causes": {"zh": "成因分析", "en": "Analysis of causes"},
    "a.weak_aspect": {
        "zh": "{aspect}评为“{grade}”，不足的指标：{names}。",
        "en": "{aspect} is graded {grade}; poor indicators: {names}.",
    },
    "a.top_shares": {
        "zh": "问题占比最高的是：{shares}。",
        "en": "The highest problem shares are: {shares}.",
    },
    "a.nothing_to_analyse": {
        "zh": "没有评为“中”或“差”的维度，也没有带分母的问题数据，本节无可分析的结果。",
        "en": "No aspect is graded medium or poor and no problem counts with denominators were given: "
        "nothing to analyse here.",
    },
    "a.causes_note": {
        "zh": "成因的判断需结合实地调查和部门访谈；上述为数据所显示的集中问题。",
        "en": "Causes need field work and interviews to confirm; the above is where the data concentrates.",
    },
    # -- 六、对策建议 --------------------------------------------------------------------------------
    "a.suggestions": {"zh": "对策建议", "en": "Recommendations"},
    "a.poor_priorities": {
        "zh": "城区层级评为“不足”的指标应列入年度整治重点：",
        "en": "City indicators graded poor should be priorities of the year:",
    },
    "a.poor_item": {
        "zh": "{name}：现状{value}{unit}，应{target}",
        "en": "{name}: now {value} {unit}; should {target}",
    },
    "a.nothing_to_recommend": {
        "zh": "本次没有问题清单和评为“不足”的城区指标，暂无针对性建议；完成住房、小区、街区实地调查后，"
        "整治建议将按问题类型逐项列出。",
        "en": "There is no problem list and no city indicator graded poor, so there is nothing specific to "
        "recommend; after the field surveys of housing, compounds and blocks, the remediation is listed "
        "by problem type.",
    },
    # -- 七、社会满意度 ------------------------------------------------------------------------------
    "a.satisfaction": {"zh": "社会满意度", "en": "Residents' satisfaction"},
    "a.no_survey": {
        "zh": "本次未提供居民满意度调查结果。按问卷开展抽样调查并导入答卷后，将在此报告各维度满意度及其置信区间，"
        "并与同期12345热线满意率对照。",
        "en": "No residents' satisfaction survey was supplied. Once a sample survey is run and its answers "
        "imported, satisfaction by aspect with confidence intervals is reported here, next to the 12345 "
        "hotline's satisfaction rate of the same period.",
    },
    "a.no_survey_hotline": {
        "zh": "本次未开展居民满意度调查；同期12345热线满意率为{rate}%（只反映来电市民对办理结果的评价）。",
        "en": "No residents' survey was run; the 12345 hotline's satisfaction rate of the same period is "
        "{rate} % (callers' views of how their requests were handled only).",
    },
    # -- 八、上年度问题整治成效 -----------------------------------------------------------------------
    "a.followup": {"zh": "上年度问题整治成效", "en": "Follow-up of last year's problems"},
    "a.no_followup": {
        "zh": "本次没有{year}年体检问题的跟踪记录；将上年度问题清单及其整治状态（已销号、整治中、转入更新项目）"
        "纳入体检数据后，将在此给出问题整治完成率和逐项成效。",
        "en": "No record of what became of the {year} problems was supplied; once last year's problem list "
        "and the status of each problem (closed, in progress, moved into a renewal project) are included, "
        "the completion rate and the follow-up table appear here.",
    },
    "a.completion_rate": {
        "zh": "上年度问题整治完成率为{rate}%（年初尚未销号的问题中，本年内销号的比例）。",
        "en": "Completion rate of last year's problems: {rate} % (of the problems still open at the start "
        "of the year, the share closed during the year).",
    },
    "a.all_levels": {"zh": "合计", "en": "All"},
    "a.followup_status.found": {"zh": "发现", "en": "found"},
    "a.followup_status.in_progress": {"zh": "整治中", "en": "in progress"},
    "a.followup_status.closed": {"zh": "已销号", "en": "closed"},
    "a.followup_status.to_project": {"zh": "转入更新项目", "en": "moved to a renewal project"},
    "a.status_count": {"zh": "{status}：{n}", "en": "{status}: {n}"},
    "a.followup_note": {
        "zh": "逐项成效见附件“上年度问题整治成效”。",
        "en": "Each problem's outcome is listed in the annex workbook (follow-up sheet).",
    },
    # -- 附件 ---------------------------------------------------------------------------------------
    "a.annex_summary": {"zh": "指标汇总表", "en": "Indicator summary"},
    "a.annex_note": {
        "zh": "指标代码、计算方法和评价依据见附件工作簿（XLSX）。",
        "en": "Indicator codes, methods and the basis of each grade are in the annex workbook (XLSX).",
    },
    # -- thematic check-ups (专项体检) ------------------------------------------------------------------
    "th.title": {"zh": "{city}{year}年{name}报告", "en": "{city}: {name}, {year}"},
    "th.about": {"zh": "专项概述", "en": "About this check-up"},
    "th.results": {"zh": "指标结果", "en": "Results"},
    "th.share_of": {"zh": "{den} {n}，占{rate}%", "en": "of {n} {den}: {rate} %"},
    "th.col.denominator_or_threshold": {"zh": "分母或标准", "en": "Denominator or threshold"},
    "th.no_data": {
        "zh": "本次没有本专项指标的数据。",
        "en": "There is no data for this theme's indicators.",
    },
    "th.without_data": {
        "zh": "暂无数据的指标：{names}。",
        "en": "Indicators without data: {names}.",
    },
    "th.problems": {"zh": "问题清单", "en": "Problem list"},
    "th.no_problems": {
        "zh": "本次没有本专项的定位问题；完成实地调查并录入问题后将在此逐条列出。",
        "en": "No located problem of this theme was recorded; once surveyed, each is listed here.",
    },
    "th.col.problem_id": {"zh": "编号", "en": "ID"},
    "th.col.indicator": {"zh": "问题", "en": "Problem"},
    "th.col.location": {"zh": "位置", "en": "Location"},
    "th.col.district": {"zh": "街区/片区", "en": "District"},
    "th.col.status": {"zh": "状态", "en": "Status"},
    "th.projects": {"zh": "整治建议与更新项目", "en": "Remediation and renewal projects"},
    "th.col.project": {"zh": "项目", "en": "Project"},
    "th.no_projects": {
        "zh": "本专项暂无对应的整治建议和更新项目。",
        "en": "No remediation or renewal project addresses this theme yet.",
    },
    # -- the per-city and overview check-up reports (checkup_report) ----------------------------------
    "cr.top3": {
        "zh": "{year}年综合得分排名前三的单元为{names}。",
        "en": "In {year}, the top three units by overall score are {names}. ",
    },
    "cr.single_score": {
        "zh": "{year}年{name}综合得分{index}（满分100）。",
        "en": "In {year}, {name} scores {index} of 100. ",
    },
    "cr.informed": {
        "zh": "评价基于{n}个有数据的维度（{names}）；",
        "en": "The index rests on the {n} dimensions with data ({names})",
    },
    "cr.nodata": {"zh": "{names}维度暂无数据。", "en": "; {names} have no data."},
    "cr.all_data": {"zh": "{n}个维度均有数据。", "en": "; all {n} dimensions have data."},
    "cr.no_rank": {"zh": "{text}", "en": " {text}"},
    "cr.mean": {"zh": "均值", "en": "mean"},
    "cr.mean_all": {"zh": "全部单元均值", "en": "mean of all units"},
    # -- MOHURD-method run outputs: overview page and annex workbook (mohurd_outputs) ---------------
    "mo.overview_title": {
        "zh": "{year}年城市体检城区维度评价",
        "en": "City-level aspect grades {year}",
    },
    "mo.overview_note": {
        "zh": "每个城市的完整体检报告（住房、小区、街区结果，城区逐项评价）请按城市生成。",
        "en": "Each city's full check-up report (housing, compound and block results, every city "
        "indicator) is produced per city.",
    },
    "mo.annex1": {"zh": "附件1 指标汇总表", "en": "Annex 1 Indicators"},
    "mo.col.id": {"zh": "编号", "en": "ID"},
    "mo.col.code": {"zh": "指标代码", "en": "Code"},
    "mo.col.indicator": {"zh": "指标名称", "en": "Indicator"},
    "mo.col.level": {"zh": "层级", "en": "Level"},
    "mo.col.value": {"zh": "数值", "en": "Value"},
    "mo.col.unit": {"zh": "单位", "en": "Unit"},
    "mo.col.grade": {"zh": "等级", "en": "Grade"},
    "mo.col.basis": {"zh": "评价依据", "en": "Basis"},
    "mo.col.scope": {"zh": "统计范围", "en": "Scope"},
    "mo.col.owner": {"zh": "数据责任部门", "en": "Data owner"},
    # -- document numbering (document) ---------------------------------------------------------------
    "doc.section_number": {"zh": "{n}、", "en": "{n}."},
    "doc.sub_number": {"zh": "（{n}）", "en": "{parent}.{n}"},
    "doc.annex": {"zh": "附件{n}", "en": "Annex {n}"},
    # -- labels (labels, _city_html, _city_thresholds) -------------------------------------------------
    "l.time_zone": {"zh": " 北京时间", "en": " China Standard Time (UTC+8)"},
    "r.proxy_mark": {"zh": " （{proxy}）", "en": " ({proxy})"},
}
