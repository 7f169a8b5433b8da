/* citycheckup dashboard charts: small SVG builders (radar, line, histogram, bars, map). No dependencies. */
"use strict";
(function (global) {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f6fb2", "#d9822b", "#7a7f87", "#2e8b57", "#8e44ad", "#c0392b"];
  // sequential scale (light → dark yellow-green-blue), 7 classes; even the lowest class is clearly
  // coloured, so it never reads as the hatched grey of "no data" or of land outside the data set
  const SEQ = ["#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"];
  // "no data" (a unit of the run without a value) and "outside the data set" (land no unit covers)
  const NODATA = { id: "cc-nodata", bg: "#e4e6e9", line: "#a9b0b8" };
  const OUTSIDE = { id: "cc-outside", bg: "#f4f4f4", line: "#c8ccd1" };
  let hatchSeq = 0;
  /* Hatch patterns for one svg; ids are unique in the page (several maps may be on screen). */
  function hatches(s) {
    const defs = el("defs", {}, s), k = ++hatchSeq, ids = {};
    for (const h of [NODATA, OUTSIDE]) {
      const id = `${h.id}-${k}`;
      const pat = el("pattern", { id, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, defs);
      el("rect", { width: 6, height: 6, fill: h.bg }, pat);
      el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: h.line, "stroke-width": 2 }, pat);
      ids[h === NODATA ? "nodata" : "outside"] = `url(#${id})`;
    }
    return ids;
  }
  /* CSS background of a legend swatch that looks like the hatch of ``kind`` ("nodata" | "outside"). */
  function hatchCss(kind) {
    const h = kind === "outside" ? OUTSIDE : NODATA;
    return `repeating-linear-gradient(45deg, ${h.line} 0 2px, ${h.bg} 2px 6px)`;
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x, y, "font-size": 11, fill: "#333" }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function svg(w, h, label) {
    return el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": label || "chart" });
  }
  function fmt(v, nd) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (nd === undefined) nd = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3;
    return Number(v).toLocaleString(undefined, { maximumFractionDigits: nd, minimumFractionDigits: 0 });
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  /* Radar: axes [{label, nodata}], series [{name, values}], vmax. Missing values break the polygon. */
  function radar(axes, series, opts) {
    opts = opts || {};
    const W = 520, H = 400, cx = 260, cy = 182, R = 125;
    const s = svg(W, H, opts.label || "radar");
    const n = axes.length;
    const vmax = opts.vmax || niceMax(Math.max(1, ...series.flatMap(x => x.values.filter(v => v !== null && v !== undefined))));
    const ang = i => -Math.PI / 2 + (2 * Math.PI * i) / n;
    const pt = (v, i) => [cx + R * (v / vmax) * Math.cos(ang(i)), cy + R * (v / vmax) * Math.sin(ang(i))];
    for (const f of [0.25, 0.5, 0.75, 1]) {
      const pts = axes.map((_, i) => `${cx + R * f * Math.cos(ang(i))},${cy + R * f * Math.sin(ang(i))}`);
      el("polygon", { points: pts.join(" "), fill: "none", stroke: "#dde1e6" }, s);
      text(s, cx + 3, cy - R * f + 10, fmt(vmax * f, 0), { fill: "#99a", "font-size": 9 });
    }
    axes.forEach((a, i) => {
      const x = cx + R * Math.cos(ang(i)), y = cy + R * Math.sin(ang(i));
      el("line", { x1: cx, y1: cy, x2: x, y2: y, stroke: a.nodata ? "#eceef1" : "#dde1e6", "stroke-dasharray": a.nodata ? "3 3" : null }, s);
      const lx = cx + (R + 14) * Math.cos(ang(i)), ly = cy + (R + 14) * Math.sin(ang(i));
      const anchor = Math.abs(lx - cx) < 5 ? "middle" : lx > cx ? "start" : "end";
      text(s, lx, ly + 4, a.label, { "text-anchor": anchor, fill: a.nodata ? "#9aa2ab" : "#333", "font-size": 12 });
      if (a.nodata) text(s, lx, ly + 17, `(${opts.nodataLabel || "no data"})`, { "text-anchor": anchor, fill: "#9aa2ab", "font-style": "italic", "font-size": 10 });
    });
    // the polygon joins the axes that have data; a "no data" axis is skipped, never drawn as 0
    series.forEach((ser, k) => {
      const color = PALETTE[k % PALETTE.length];
      const pts = [];
      ser.values.forEach((v, i) => { if (v !== null && v !== undefined && !axes[i].nodata) pts.push(pt(v, i)); });
      if (pts.length >= 2) el("polygon", { points: pts.map(p => p.join(",")).join(" "), fill: k ? "none" : color, "fill-opacity": k ? 0 : 0.18,
        stroke: color, "stroke-width": k ? 1.5 : 2.5, "stroke-dasharray": k ? "4 3" : null }, s);
      pts.forEach(p => el("circle", { cx: p[0], cy: p[1], r: k ? 2 : 3, fill: color }, s));
      const lx = 10 + k * 170;
      el("rect", { x: lx, y: H - 14, width: 12, height: 3, fill: color }, s);
      text(s, lx + 16, H - 10, ser.name, { "font-size": 12 });
    });
    return s;
  }

  /* Line chart: x values (years), series [{name, values}], optional invert (ranks). */
  function line(xs, series, opts) {
    opts = opts || {};
    const rows = Math.ceil(series.length / 4);
    const W = 560, L = 46, Rm = 14, T = 14, B = 30 + 15 * rows, H = 190 + B;
    const s = svg(W, H, opts.label || "line chart");
    const vals = series.flatMap(x => x.values).filter(v => v !== null && v !== undefined);
    if (!vals.length || !xs.length) { text(s, W / 2, H / 2, opts.emptyLabel || "no data", { "text-anchor": "middle" }); return s; }
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (opts.zero && lo > 0) lo = 0;
    if (opts.invert) { lo = Math.max(1, Math.floor(lo)); hi = Math.max(Math.ceil(hi), lo + 4); }
    if (hi === lo) { hi += 1; lo -= 1; }
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const X = x => L + (W - L - Rm) * (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0));
    const Y = v => opts.invert ? T + (H - T - B) * (v - lo) / (hi - lo) : H - B - (H - T - B) * (v - lo) / (hi - lo);
    for (let i = 0; i <= 4; i++) {
      const v = lo + (hi - lo) * i / 4;
      el("line", { x1: L, x2: W - Rm, y1: Y(v), y2: Y(v), stroke: "#eef0f3" }, s);
      text(s, L - 4, Y(v) + 4, fmt(v, opts.invert ? 0 : undefined), { "text-anchor": "end", fill: "#778" });
    }
    const step = Math.max(1, Math.ceil(xs.length / 8));
    xs.forEach((x, i) => { if (i % step === 0 || i === xs.length - 1) text(s, X(x), H - B + 14, String(x), { "text-anchor": "middle", fill: "#778" }); });
    series.forEach((ser, k) => {
      const color = ser.color || PALETTE[k % PALETTE.length];
      let d = "", pen = false;
      ser.values.forEach((v, i) => {
        if (v === null || v === undefined) { pen = false; return; }
        d += `${pen ? "L" : "M"}${X(xs[i]).toFixed(1)},${Y(v).toFixed(1)}`;
        pen = true;
      });
      if (d) el("path", { d, fill: "none", stroke: color, "stroke-width": k ? 1.6 : 2.4 }, s);
      const lx = L + (k % 4) * 128, ly = H - B + 34 + 15 * Math.floor(k / 4);
      el("rect", { x: lx, y: ly - 4, width: 12, height: 3, fill: color }, s);
      text(s, lx + 16, ly, ser.name);
    });
    return s;
  }

  /* Histogram from edges/counts, with an optional marker value. */
  function histogram(edges, counts, opts) {
    opts = opts || {};
    const W = 560, H = 220, L = 40, Rm = 28, T = 10, B = 30;
    const s = svg(W, H, opts.label || "histogram");
    if (!counts.length) { text(s, W / 2, H / 2, opts.emptyLabel || "no data", { "text-anchor": "middle" }); return s; }
    const lo = edges[0], hi = edges[edges.length - 1], cmax = Math.max(...counts, 1);
    const X = v => L + (W - L - Rm) * (hi === lo ? 0.5 : (v - lo) / (hi - lo));
    const Y = c => H - B - (H - T - B) * c / cmax;
    counts.forEach((c, i) => {
      el("rect", { x: X(edges[i]) + 0.5, y: Y(c), width: Math.max(1, X(edges[i + 1]) - X(edges[i]) - 1),
        height: H - B - Y(c), fill: "#4eb3d3" }, s);
    });
    for (let i = 0; i <= 4; i++) {
      const v = lo + (hi - lo) * i / 4;
      text(s, X(v), H - B + 14, fmt(v), { "text-anchor": "middle", fill: "#778" });
    }
    text(s, L - 4, T + 8, String(cmax), { "text-anchor": "end", fill: "#778" });
    el("line", { x1: L, x2: W - Rm, y1: H - B, y2: H - B, stroke: "#99a" }, s);
    return s;
  }

  /* Horizontal bars: items [{label, value, nodata, note}], diverging when values are negative. */
  function bars(items, opts) {
    opts = opts || {};
    const rowH = 22, L = opts.labelWidth || 150, W = 560, Rm = 60;
    const H = items.length * rowH + 10;
    const s = svg(W, H, opts.label || "bar chart");
    const hatch = hatches(s);
    const vals = items.filter(x => !x.nodata && x.value !== null).map(x => x.value);
    const lo = Math.min(0, ...vals), hi = Math.max(opts.vmax || 0, ...vals, 1e-9);
    const X = v => L + (W - L - Rm) * (v - lo) / (hi - lo || 1);
    items.forEach((it, i) => {
      const y = 5 + i * rowH;
      text(s, L - 6, y + 15, it.label, { "text-anchor": "end", fill: it.nodata ? "#9aa2ab" : "#333" });
      if (it.nodata || it.value === null || it.value === undefined) {
        el("rect", { x: L, y: y + 4, width: W - L - Rm, height: 14, fill: hatch.nodata, stroke: "#e3e5e8", class: "nodata" }, s);
        text(s, L + 6, y + 15, opts.nodataLabel || "no data", { fill: "#8a929b", "font-style": "italic" });
        return;
      }
      const a = X(Math.min(0, it.value)), b = X(Math.max(0, it.value));
      el("rect", { x: a, y: y + 4, width: Math.max(1, b - a), height: 14, fill: it.value < 0 ? "#c0392b" : (it.color || "#1f6fb2") }, s);
      text(s, b + 4, y + 15, it.note || fmt(it.value), { fill: "#333" });
    });
    return s;
  }

  /* --- map: Albers equal-area conic for China (φ1 25°N, φ2 47°N, λ0 105°E) --- */
  const RAD = Math.PI / 180;
  const P1 = 25 * RAD, P2 = 47 * RAD, L0 = 105 * RAD, F0 = 0;
  const N_ = (Math.sin(P1) + Math.sin(P2)) / 2, C_ = Math.cos(P1) ** 2 + 2 * N_ * Math.sin(P1);
  const RHO0 = Math.sqrt(C_ - 2 * N_ * Math.sin(F0)) / N_;
  function albers(lon, lat) {
    const rho = Math.sqrt(C_ - 2 * N_ * Math.sin(lat * RAD)) / N_, th = N_ * (lon * RAD - L0);
    return [rho * Math.sin(th), -(RHO0 - rho * Math.cos(th))];
  }
  function rings(geom) {
    if (!geom) return [];
    const t = geom.type, c = geom.coordinates;
    if (t === "Polygon") return c;
    if (t === "MultiPolygon") return c.flat();
    if (t === "LineString") return [c];
    if (t === "MultiLineString") return c;
    return [];
  }
  function bboxOf(features) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const f of features) for (const r of rings(f.geometry)) for (const p of r) {
      const [x, y] = albers(p[0], p[1]);
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    return [x0, y0, x1, y1];
  }
  function pathFor(geom, proj, closed) {
    let d = "";
    for (const r of rings(geom)) {
      r.forEach((p, i) => { const [x, y] = proj(p[0], p[1]); d += `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`; });
      if (closed) d += "Z";
    }
    return d;
  }
  function fitter(box, x, y, w, h) {
    const [x0, y0, x1, y1] = box;
    const k = Math.min(w / (x1 - x0), h / (y1 - y0));
    const ox = x + (w - k * (x1 - x0)) / 2, oy = y + (h - k * (y1 - y0)) / 2;
    return (lon, lat) => { const [px, py] = albers(lon, lat); return [ox + k * (px - x0), oy + k * (py - y0)]; };
  }
  function quantileBreaks(values, k) {
    const v = values.filter(x => x !== null && x !== undefined).sort((a, b) => a - b);
    if (!v.length) return [];
    const br = [];
    for (let i = 1; i < k; i++) br.push(v[Math.floor((v.length - 1) * i / k)]);
    return br;
  }
  function classOf(v, breaks) {
    let i = 0;
    while (i < breaks.length && v > breaks[i]) i++;
    return i;
  }

  /* Choropleth of China: base = /geo/china collection, units = FeatureCollection with properties.value.
     Main frame 18–54°N; the South China Sea islands and the maritime line in an inset (南海诸岛). */
  function chinaMap(base, units, opts) {
    opts = opts || {};
    const W = 640, H = 500;
    const s = svg(W, H, opts.label || "map");
    s.classList.add("china-map");
    const land = base.features.filter(f => f.properties.role === "land");
    const provinces = base.features.filter(f => f.properties.role === "province");
    const maritime = base.features.filter(f => f.properties.role === "maritime");
    const mainBox = [albers(73, 40)[0], albers(105, 54.2)[1], albers(143, 40)[0], albers(105, 17.5)[1]];
    const main = fitter([mainBox[0], mainBox[1], mainBox[2], mainBox[3]], 4, 4, W - 8, H - 8);
    const insetW = 118, insetH = 168, ix = W - insetW - 6, iy = H - insetH - 6;
    const insetBox = [albers(106, 12)[0], albers(115, 25.5)[1], albers(124, 12)[0], albers(112, 2.8)[1]];
    const inset = fitter(insetBox, ix + 3, iy + 3, insetW - 6, insetH - 6);
    const values = units.features.map(f => f.properties.value);
    const breaks = quantileBreaks(values, SEQ.length);
    const hatch = hatches(s);
    const defs = el("defs", {}, s);
    const cp = el("clipPath", { id: "inset-clip" }, defs);
    el("rect", { x: ix, y: iy, width: insetW, height: insetH }, cp);
    el("rect", { x: 0, y: 0, width: W, height: H, fill: "#eaf2f8" }, s);

    function layer(proj, g) {
      // land that no unit of the run covers is "outside the data set": hatched, never a class colour
      for (const f of land) el("path", { d: pathFor(f.geometry, proj, true), fill: hatch.outside, stroke: "none", class: "outside" }, g);
      const ug = el("g", { class: "units" }, g);
      for (const f of units.features) {
        const v = f.properties.value;
        const none = v === null || v === undefined;
        const fill = none ? hatch.nodata : SEQ[classOf(v, breaks)];
        const p = el("path", { d: pathFor(f.geometry, proj, true), fill, stroke: "#fff", "stroke-width": 0.3,
          "data-code": f.properties.unit_code, class: none ? "unit nodata" : "unit" }, ug);
        if (opts.onHover) {
          p.addEventListener("mousemove", ev => opts.onHover(ev, f.properties));
          p.addEventListener("mouseleave", ev => opts.onHover(ev, null));
        }
        if (opts.onClick) { p.style.cursor = "pointer"; p.addEventListener("click", () => opts.onClick(f.properties)); }
        if (opts.highlight && f.properties.unit_code === opts.highlight) { p.setAttribute("stroke", "#d9822b"); p.setAttribute("stroke-width", 2); }
      }
      for (const f of provinces) el("path", { d: pathFor(f.geometry, proj, true), fill: "none", stroke: "#9aa4ae", "stroke-width": 0.5 }, g);
      for (const f of land) el("path", { d: pathFor(f.geometry, proj, true), fill: "none", stroke: "#55606b", "stroke-width": 0.9 }, g);
      for (const f of maritime) el("path", { d: pathFor(f.geometry, proj, false), fill: "none", stroke: "#55606b", "stroke-width": 1.4, "stroke-linecap": "round" }, g);
    }
    const gMain = el("g", { class: "main" }, s);
    layer(main, gMain);
    el("rect", { x: ix, y: iy, width: insetW, height: insetH, fill: "#eaf2f8", stroke: "#55606b", "stroke-width": 0.8 }, s);
    const gInset = el("g", { "clip-path": "url(#inset-clip)" }, s);
    layer(inset, gInset);
    text(s, ix + insetW - 4, iy + insetH - 5, opts.insetLabel || "南海诸岛", { "text-anchor": "end", "font-size": 9, fill: "#444" });
    return { svg: s, legend: legendOf(breaks) };
  }
  function legendOf(breaks) {
    const legend = [];
    SEQ.forEach((c, i) => {
      if (!breaks.length) return;
      const lo = i === 0 ? null : breaks[i - 1], hi = i < breaks.length ? breaks[i] : null;
      if (lo !== null && hi !== null && lo === hi) return;  // an empty class (ties in the quantiles)
      legend.push({ color: c, label: lo === null ? `≤ ${fmt(hi)}` : hi === null ? `> ${fmt(lo)}` : `${fmt(lo)} ~ ${fmt(hi)}` });
    });
    return legend;
  }

  /* Map of arbitrary features (spatial districts), plain equirectangular fit. */
  function featureMap(fc, opts) {
    opts = opts || {};
    const W = 560, H = 420;
    const s = svg(W, H, opts.label || "map");
    const box = bboxOf(fc.features);
    const proj = fitter(box, 6, 6, W - 12, H - 12);
    const breaks = quantileBreaks(fc.features.map(f => f.properties.value), SEQ.length);
    const hatch = hatches(s);
    for (const f of fc.features) {
      const v = f.properties.value, none = v === null || v === undefined;
      const p = el("path", { d: pathFor(f.geometry, proj, true), fill: none ? hatch.nodata : SEQ[classOf(v, breaks)],
        stroke: "#fff", "stroke-width": 0.6, class: none ? "unit nodata" : "unit" }, s);
      if (opts.onHover) { p.addEventListener("mousemove", ev => opts.onHover(ev, f.properties)); p.addEventListener("mouseleave", ev => opts.onHover(ev, null)); }
    }
    return { svg: s, legend: legendOf(breaks) };
  }

  global.Charts = { radar, line, histogram, bars, chinaMap, featureMap, fmt, hatchCss, PALETTE, SEQ };
})(window);
