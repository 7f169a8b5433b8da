/* Residents' satisfaction survey form (plain JS, no external requests). */
(function () {
  "use strict";
  var UI = {
    zh: {
      other: "English", page: "居民满意度调查", about: "关于您（仅用于统计加权）",
      token: "请输入问卷邀请码", submit: "提交问卷", sending: "正在提交…",
      progress: "已回答 {a} / {n} 题", choose: "请选择",
      needDemo: "请先填写年龄段、性别和居住的街道（社区）。", needToken: "请输入问卷邀请码。",
      loadError: "问卷加载失败，请检查网络后刷新页面。", network: "网络连接失败，请稍后重试。",
      closed: "本次调查已经结束，感谢您的关注。"
    },
    en: {
      other: "中文", page: "Residents' satisfaction survey", about: "About you (used only to weight the results)",
      token: "Enter your invitation code", submit: "Submit", sending: "Submitting…",
      progress: "{a} of {n} questions answered", choose: "Please choose",
      needDemo: "Please give your age group, sex and the sub-district (community) you live in.",
      needToken: "Please enter your invitation code.",
      loadError: "The questionnaire could not be loaded; check your connection and reload the page.",
      network: "The connection failed; please try again later.",
      closed: "This survey has closed. Thank you for your interest."
    }
  };
  var params = new URLSearchParams(location.search);
  var parts = location.pathname.split("/").filter(Boolean);
  var surveyId = decodeURIComponent(parts[parts.length - 1] || "");
  var token = params.get("t") || "";
  var lang = params.get("lang") === "en" ? "en" : (params.get("lang") === "zh" ? "zh" :
    ((navigator.language || "zh").toLowerCase().indexOf("en") === 0 ? "en" : "zh"));
  if (token) {  // keep the token out of the address bar, history and screenshots
    params.delete("t");
    var q = params.toString();
    history.replaceState(null, "", location.pathname + (q ? "?" + q : ""));
  }
  var api = "../api/v1/surveys/" + encodeURIComponent(surveyId);
  var form = null, answers = {}, submitted = false;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function notice(text, ok) {
    var n = $("notice");
    n.textContent = text; n.hidden = !text; n.className = ok ? "notice ok" : "notice";
    if (text) n.scrollIntoView({ block: "nearest" });
  }
  function option(name, o, type) {
    var lab = el("label", { "class": "opt" });
    var inp = el("input", { type: type || "radio", name: name, value: o.code });
    if (answers[name] === o.code) inp.checked = true;
    inp.addEventListener("change", function () {
      answers[name] = o.code;
      var box = lab.closest(".invalid"); if (box) box.classList.remove("invalid");
      progress();
    });
    lab.appendChild(inp);
    lab.appendChild(el("span", {}, o[lang]));
    return lab;
  }
  function progress() {
    if (!form) return;
    var a = form.questions.filter(function (q) { return answers[q.id]; }).length;
    $("progress").textContent = UI[lang].progress.replace("{a}", a).replace("{n}", form.questions.length);
  }
  function render() {
    var t = UI[lang];
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    $("lang").textContent = t.other;
    $("lang").setAttribute("aria-label", t.other);
    $("submit").textContent = t.submit;
    $("token-label").textContent = t.token;
    $("about-title").textContent = t.about;
    if (!form) { $("title").textContent = t.page; return; }
    $("title").textContent = form.title[lang];
    document.title = form.title[lang];
    $("intro").textContent = form.intro[lang];
    var demo = $("demographics");
    demo.textContent = "";
    form.demographics.forEach(function (d) {
      var fs = el("fieldset", { id: "f-" + d.id });
      if (d.role === "area") {
        var lab = el("label", { "for": "area" }, d[lang]);
        var sel = el("select", { id: "area", name: "area" });
        sel.appendChild(el("option", { value: "" }, t.choose));
        (d.options || []).forEach(function (o) {
          var op = el("option", { value: o.code }, o[lang]);
          if (answers.area === o.code) op.selected = true;
          sel.appendChild(op);
        });
        sel.addEventListener("change", function () { answers.area = sel.value; fs.classList.remove("invalid"); });
        fs.appendChild(lab); fs.appendChild(sel);
      } else {
        fs.appendChild(el("legend", {}, d[lang]));
        var chips = el("div", { "class": "chips" });
        (d.options || []).forEach(function (o) { chips.appendChild(option(d.role, o)); });
        fs.appendChild(chips);
      }
      demo.appendChild(fs);
    });
    var scored = form.scale.filter(function (o) { return o.score !== null; });
    var extra = form.scale.filter(function (o) { return o.score === null; });
    var box = $("questions");
    box.textContent = "";
    var k = 0;
    form.levels.forEach(function (lev) {
      var qs = form.questions.filter(function (q) { return q.level === lev.code; });
      if (!qs.length) return;
      var card = el("section", { "class": "card" });
      card.appendChild(el("h2", {}, lev[lang]));
      lev.aspects.forEach(function (a) {
        var aq = qs.filter(function (q) { return q.aspect === a.code; });
        if (!aq.length) return;
        card.appendChild(el("h3", {}, a[lang]));
        aq.forEach(function (q) {
          k += 1;
          var fs = el("fieldset", { id: "q-" + q.id });
          var lg = el("legend");
          lg.appendChild(el("span", { "class": "q-num" }, k + "."));
          lg.appendChild(document.createTextNode(q.text[lang]));
          fs.appendChild(lg);
          var row = el("div", { "class": "scale" });
          scored.forEach(function (o) { row.appendChild(option(q.id, o)); });
          var row2 = el("div", { "class": "extra" });
          extra.forEach(function (o) { row2.appendChild(option(q.id, o)); });
          fs.appendChild(row); fs.appendChild(row2);
          card.appendChild(fs);
        });
      });
      box.appendChild(card);
    });
    $("token-box").hidden = !!token;
    progress();
  }
  function load() {
    fetch(api + "/form?lang=" + lang, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) { notice(res.body.error ? res.body.error.messages[lang] : UI[lang].loadError); return; }
        form = res.body;
        if (form.closed) { notice(UI[lang].closed); return; }
        $("form").hidden = false;
        render();
      })
      .catch(function () { notice(UI[lang].loadError); });
  }
  function submit(ev) {
    ev.preventDefault();
    if (submitted) return;
    var t = UI[lang];
    if (!token) token = ($("token").value || "").trim();
    if (!token) { notice(t.needToken); $("token").focus(); return; }
    var missing = form.demographics.filter(function (d) { return !answers[d.role]; });
    if (missing.length) {
      missing.forEach(function (d) { $("f-" + d.id).classList.add("invalid"); });
      notice(t.needDemo);
      $("f-" + missing[0].id).scrollIntoView({ block: "center" });
      return;
    }
    var body = { token: token, lang: lang, answers: answers };
    var btn = $("submit");
    btn.disabled = true; btn.textContent = t.sending;
    fetch(api + "/responses", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        btn.disabled = false; btn.textContent = UI[lang].submit;
        if (res.status === 201) {
          submitted = true;
          $("form").hidden = true; notice("");
          $("done-text").textContent = res.body.messages[lang];
          $("done").hidden = false;
          window.scrollTo(0, 0);
          return;
        }
        var e = res.body.error || {};
        (e.details || []).forEach(function (d) {
          var box = d && d.item ? document.getElementById("q-" + d.item) || document.getElementById("f-" + d.item) : null;
          if (box) box.classList.add("invalid");
        });
        if (e.code === "unknown_token" || e.code === "missing_token") { token = ""; $("token-box").hidden = false; }
        if (e.code === "token_used" || e.code === "device_used" || e.code === "closed") {
          submitted = true; $("form").hidden = true;  // nothing more to do here
        }
        notice(e.messages ? e.messages[lang] : t.network);
      })
      .catch(function () { btn.disabled = false; btn.textContent = UI[lang].submit; notice(t.network); });
  }
  $("lang").addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    var n = $("notice"); if (!n.hidden) n.hidden = true;
    render();
    if (submitted && form) { $("done-text").textContent = lang === "zh" ? "提交成功，感谢您的参与！" : "Thank you! Your answers have been submitted."; }
  });
  $("form").addEventListener("submit", submit);
  render();
  load();
})();
