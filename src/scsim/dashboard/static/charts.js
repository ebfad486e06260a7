// Small SVG charts drawn by hand (no library, nothing fetched): line charts with bands,
// horizontal bars and a force-directed picture of the network sample.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
// Up to ten lines: ten colours told apart at a glance (Tableau 10); more (regions × groups):
// as many steps of viridis, the report's sequential palette, from dark blue to yellow.
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf",
                "#e377c2", "#7f7f7f", "#bcbd22"];
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function palette(n) {
  if (n <= COLORS.length) return COLORS.slice(0, Math.max(n, 1));
  return Array.from({length: n}, (_, k) => {
    const t = k / (n - 1) * (VIRIDIS.length - 1), i = Math.min(Math.floor(t), VIRIDIS.length - 2);
    const rgb = VIRIDIS[i].map((c, j) => Math.round(c + (VIRIDIS[i + 1][j] - c) * (t - i)));
    return `rgb(${rgb.join(",")})`;
  });
}

function el(name, attrs, parent, text) {
  const node = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function clear(svg) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  describe(svg, "");
}

// A chart's text alternative: a picture (its marks are not read one by one) described by
// its numbers, which a screen reader says with the chart's caption.
function describe(svg, text) {
  if (!text) { svg.removeAttribute("role"); svg.removeAttribute("aria-label"); return; }
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", text);
}

// "listed: 0 on day 0, 2 on day 29, lowest 0, highest 2", for each line of a chart; a band
// by its range on the last day it has.
function describeLines(x, lines, bands, xLabel) {
  const unit = xLabel || "day";
  const said = [`${unit} ${fmt(x[0])} to ${fmt(x[x.length - 1])}`];
  for (const s of lines) {
    const at = [];
    s.values.forEach((v, i) => { if (v !== null && v !== undefined) at.push(i); });
    if (!at.length) { said.push(`${s.name}: no value`); continue; }
    let least = Infinity, most = -Infinity;
    for (const i of at) { least = Math.min(least, s.values[i]); most = Math.max(most, s.values[i]); }
    const [a, b] = [at[0], at[at.length - 1]];
    said.push(`${s.name}: ${fmt(s.values[a])} on ${unit} ${fmt(x[a])}, ${fmt(s.values[b])} on ` +
              `${unit} ${fmt(x[b])}, lowest ${fmt(least)}, highest ${fmt(most)}`);
  }
  for (const band of bands || []) {
    let i = x.length - 1;
    while (i >= 0 && (band.lo[i] === null || band.hi[i] === null)) i--;
    if (band.name && i >= 0) {
      said.push(`${band.name} band on ${unit} ${fmt(x[i])}: ${fmt(band.lo[i])} to ${fmt(band.hi[i])}`);
    }
  }
  return said.join("; ");
}

function niceTicks(lo, hi, n) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en");
  if (a >= 10) return Number(v.toFixed(1)).toString();  // a half away from zero, as the text
  if (a === 0) return "0";
  return Number(v.toPrecision(a >= 1 ? 3 : 2)).toString();
}

// A chart is drawn in as many units as it is shown pixels wide (from 300 to 560), so that
// its 11 px text is 11 px on a phone too: a 560-unit drawing shrunk to a 360 px screen made
// it 7 px. It is drawn again when the width it is shown at changes (a phone turned, a
// section shown that was hidden when the chart was drawn).
const WIDEST = 560, NARROWEST = 300;
const DRAWN = new Map();  // svg -> {W, redraw}

function shownWidth(svg) {
  const w = svg.getBoundingClientRect().width;
  return w > 0 ? Math.round(Math.max(NARROWEST, Math.min(WIDEST, w))) : WIDEST;
}

function drawnAt(svg, W, H, redraw) {
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  if (!DRAWN.has(svg) && window.ResizeObserver) RESIZED.observe(svg);
  DRAWN.set(svg, {W, redraw});
}

const RESIZED = window.ResizeObserver ? new ResizeObserver(entries => {
  for (const entry of entries) {
    const drawn = DRAWN.get(entry.target);
    if (drawn && entry.contentRect.width > 0 && shownWidth(entry.target) !== drawn.W) drawn.redraw();
  }
}) : null;

// lines: [{name, values, color, dash}], bands: [{lo, hi, color, name, edge, dash, key}], x:
// day numbers. A band is a light fill (``color``) between two lines (``edge``, ``dash``)
// dark enough to be seen against the chart's background and the fill next to them (at
// least 3:1, WCAG 1.4.11); a band with a ``key`` is named in the legend after the lines.
// The legend runs in rows across the top, as many as its names need up to LEGEND_ROWS; the
// lines left out of it are counted there, and every line names itself when pointed at.
const LEGEND_ROWS = 4;
const BAND_OPACITY = 0.35;
const UNDER_WIDTH = 6;  // a line that another hides (the same values): drawn this wide beneath

// Lines with the same value on every day (A and B of a comparison where the change does
// not show; listed and wrongfully listed when everyone listed was listed wrongfully): the
// one drawn last hid the others. Each group of them (indices into ``lines``; lines with no
// value are left out), the first group first.
function sameLines(lines) {
  const groups = new Map();
  lines.forEach((s, k) => {
    if (!s.values.some(v => v !== null && v !== undefined)) return;
    const key = JSON.stringify(s.values);
    groups.set(key, [...(groups.get(key) || []), k]);
  });
  return [...groups.values()].filter(group => group.length > 1);
}

// "A listed and B listed are the same here: one line over the other"; for lines more than
// fit the chart's width, how many.
function sameNote(lines, groups, room) {
  const names = group => group.map(k => lines[k].name);
  const said = groups.map(group => {
    const n = names(group);
    return `${n.slice(0, -1).join(", ")} and ${n[n.length - 1]} are the same here`;
  }).join("; ") + ": one line over the other";
  if (6.5 * said.length <= room) return said;
  const count = groups.reduce((sum, group) => sum + group.length, 0);
  return `${count} lines are the same here, one over the other: point at a line for its name`;
}

function lineChart(svg, x, lines, bands, xLabel) {
  clear(svg);
  const W = shownWidth(svg), H = 260, L = 60, R = 12, B = 34;
  drawnAt(svg, W, H, () => lineChart(svg, x, lines, bands, xLabel));
  const keyed = (bands || []).filter(b => b.key);
  const legend = [];  // [x, row] of each line's swatch, then each keyed band's, while they fit
  let at = L + 6, row = 0;
  for (const name of lines.map(s => s.name).concat(keyed.map(b => b.key))) {
    const width = 24 + 6.5 * String(name).length;
    if (at > L + 6 && at + width > W - R) { at = L + 6; row += 1; }
    if (row >= LEGEND_ROWS) break;
    legend.push([at, row]);
    at += width;
  }
  const omitted = Math.max(lines.length - legend.length, 0);  // said in a row of their own
  const same = sameLines(lines), hidden = new Set(same.flatMap(group => group.slice(0, -1)));
  const noteRow = (omitted ? LEGEND_ROWS : row) + 1;  // below the legend, when lines are the same
  const T = 22 + 16 * (same.length ? noteRow : noteRow - 1);
  const all = [];
  for (const s of lines) for (const v of s.values) if (v !== null) all.push(v);
  for (const b of bands || []) for (const v of b.lo.concat(b.hi)) if (v !== null) all.push(v);
  if (!x.length || !all.length) {
    el("text", {x: W / 2, y: H / 2, "text-anchor": "middle"}, svg, "no data yet");
    describe(svg, "no data yet");
    return;
  }
  const note = same.length ? sameNote(lines, same, W - L - R - 6) : "";
  describe(svg, describeLines(x, lines, bands, xLabel) + (note ? `; ${note}` : ""));
  // a loop, not Math.min(...all): spreading tens of thousands of values overflows the stack
  let least = Infinity, hi = -Infinity;
  for (const v of all) { if (v < least) least = v; if (v > hi) hi = v; }
  let lo = Math.min(0, least);
  if (lo >= 0 && least > 0.5 * hi) lo = least;
  const yt = niceTicks(lo, hi, 5);
  lo = Math.min(lo, yt[0]); hi = Math.max(hi, yt[yt.length - 1]);
  const x0 = x[0], x1 = Math.max(x[x.length - 1], x0 + 1);
  const sx = v => L + (v - x0) / (x1 - x0) * (W - L - R);
  const sy = v => H - B - (v - lo) / ((hi - lo) || 1) * (H - T - B);
  for (const t of yt) {
    el("line", {x1: L, x2: W - R, y1: sy(t), y2: sy(t), stroke: "#e4e4e4"}, svg);
    el("text", {x: L - 4, y: sy(t) + 4, "text-anchor": "end"}, svg, fmt(t));
  }
  for (const t of niceTicks(x0, x1, 6)) {
    el("text", {x: sx(t), y: H - B + 14, "text-anchor": "middle"}, svg, fmt(t));
  }
  el("text", {x: (L + W) / 2, y: H - 4, "text-anchor": "middle"}, svg, xLabel || "day");
  for (const b of bands || []) {
    const pts = [];
    x.forEach((d, i) => { if (b.hi[i] !== null) pts.push(`${sx(d)},${sy(b.hi[i])}`); });
    for (let i = x.length - 1; i >= 0; i--) if (b.lo[i] !== null) pts.push(`${sx(x[i])},${sy(b.lo[i])}`);
    const fill = el("polygon", {points: pts.join(" "), fill: b.color, opacity: BAND_OPACITY,
                                "data-band": b.name || ""}, svg);
    if (b.key) el("title", {}, fill, b.key);
    if (!b.edge) continue;
    for (const side of [b.hi, b.lo]) {  // its edges, that the band is seen by
      const edge = [];
      x.forEach((d, i) => { if (side[i] !== null) edge.push(`${sx(d)},${sy(side[i])}`); });
      el("polyline", {points: edge.join(" "), fill: "none", stroke: b.edge, "stroke-width": 1.5,
                      "stroke-dasharray": b.dash || "", "data-band": b.name || ""}, svg);
    }
  }
  const colors = palette(lines.length);
  lines.forEach((s, k) => {
    const pts = [];
    x.forEach((d, i) => { if (s.values[i] !== null) pts.push(`${sx(d)},${sy(s.values[i])}`); });
    const line = el("polyline", {points: pts.join(" "), fill: "none", stroke: s.color || colors[k],
                                 "stroke-width": hidden.has(k) ? UNDER_WIDTH : 2,
                                 "stroke-dasharray": s.dash || ""}, svg);
    el("title", {}, line, s.name);
    if (k >= legend.length) return;
    const [lx, ly] = [legend[k][0], 6 + 16 * legend[k][1]];
    if (s.dash) {  // a dashed line is shown as one: a square would not say which it is
      el("line", {x1: lx - 2, y1: ly + 5, x2: lx + 12, y2: ly + 5, stroke: s.color || colors[k],
                  "stroke-width": 2, "stroke-dasharray": s.dash, class: "swatch"}, svg);
    } else {
      el("rect", {x: lx, y: ly, width: 10, height: 10, fill: s.color || colors[k],
                  class: "swatch"}, svg);
    }
    el("text", {x: lx + 14, y: ly + 9}, svg, s.name);
  });
  keyed.forEach((b, j) => {
    const k = lines.length + j;
    if (k >= legend.length) return;
    const [lx, ly] = [legend[k][0], 6 + 16 * legend[k][1]];
    el("rect", {x: lx + 0.75, y: ly + 0.75, width: 8.5, height: 8.5, fill: b.color,
                "fill-opacity": BAND_OPACITY, stroke: b.edge || b.color, "stroke-width": 1.5,
                "stroke-dasharray": b.dash || ""}, svg);
    el("text", {x: lx + 14, y: ly + 9}, svg, b.key);
  });
  if (omitted) {
    el("text", {x: L + 6, y: 15 + 16 * LEGEND_ROWS}, svg,
       `and ${omitted} more: point at a line for its name`);
  }
  if (note) el("text", {x: L + 6, y: 15 + 16 * noteRow, class: "same-note"}, svg, note);
}

// bars: [{label, value, color}]. Labels left of the bars; on a narrow screen above them,
// the chart as tall as its rows need.
function barChart(svg, bars, unit) {
  clear(svg);
  const W = shownWidth(svg), narrow = W < 480, R = 70, L = narrow ? 4 : 230;
  const rowH = narrow ? 34 : Math.min(34, 240 / Math.max(bars.length, 1));
  drawnAt(svg, W, narrow ? Math.max(260, 16 + bars.length * rowH) : 260,
          () => barChart(svg, bars, unit));
  const hi = Math.max(...bars.map(b => b.value || 0), 1e-12);
  describe(svg, bars.map(b => `${b.label}: ${fmt(b.value)}${unit || ""}`).join("; "));
  bars.forEach((b, i) => {
    const y = 10 + i * rowH, w = (b.value || 0) / hi * (W - L - R);
    const [labelAt, barAt, barH] = narrow ? [[L, y + 10, "start"], y + 14, rowH - 18]
      : [[L - 6, y + rowH * 0.6, "end"], y + 3, rowH - 8];
    el("text", {x: labelAt[0], y: labelAt[1], "text-anchor": labelAt[2]}, svg, b.label);
    el("rect", {x: L, y: barAt, width: Math.max(w, 0.5), height: barH,
                fill: b.color || COLORS[0]}, svg);
    el("text", {x: L + w + 4, y: barAt + barH / 2 + 4}, svg, fmt(b.value) + (unit || ""));
  });
}

// The network sample: nodes [{agent, listed, shamed}], ties [[a, b, severed]].
function networkChart(svg, net) {
  clear(svg);
  const W = 560, H = 420;
  if (!net || !net.nodes.length) {
    el("text", {x: W / 2, y: H / 2, "text-anchor": "middle"}, svg, "no network sample");
    describe(svg, "no network sample");
    return;
  }
  describe(svg, describeNetwork(net));
  svg.setAttribute("role", "group");  // not "img": its listed and shamed dots are buttons
  const n = net.nodes.length, index = new Map(net.nodes.map((d, i) => [d.agent, i]));
  const px = new Float64Array(n), py = new Float64Array(n);
  for (let i = 0; i < n; i++) {  // a deterministic start: a spiral
    const r = 10 * Math.sqrt(i + 1), a = i * 2.39996;
    px[i] = r * Math.cos(a); py[i] = r * Math.sin(a);
  }
  const edges = net.ties.map(([a, b, s]) => [index.get(a), index.get(b), s]);
  const k = 18;
  for (let it = 0; it < 120; it++) {  // Fruchterman-Reingold, cooling
    const dx = new Float64Array(n), dy = new Float64Array(n), temp = 12 * (1 - it / 120) + 0.5;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      let ex = px[i] - px[j], ey = py[i] - py[j];
      const d2 = ex * ex + ey * ey + 0.01, f = k * k / d2;
      dx[i] += ex * f; dy[i] += ey * f; dx[j] -= ex * f; dy[j] -= ey * f;
    }
    for (const [a, b] of edges) {
      const ex = px[a] - px[b], ey = py[a] - py[b], d = Math.sqrt(ex * ex + ey * ey) + 0.01;
      const f = d / k;
      dx[a] -= ex * f; dy[a] -= ey * f; dx[b] += ex * f; dy[b] += ey * f;
    }
    for (let i = 0; i < n; i++) {
      dx[i] -= px[i] * 0.01; dy[i] -= py[i] * 0.01;  // gravity keeps islands near
      const d = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) + 1e-9, step = Math.min(d, temp);
      px[i] += dx[i] / d * step; py[i] += dy[i] / d * step;
    }
  }
  const range = vs => vs.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Infinity, -Infinity]);
  const [[xl, xh], [yl, yh]] = [range(px), range(py)];
  const sx = v => 10 + (v - xl) / ((xh - xl) || 1) * (W - 20);
  const sy = v => 10 + (v - yl) / ((yh - yl) || 1) * (H - 20);
  for (const [a, b, severed] of edges) {
    el("line", {x1: sx(px[a]), y1: sy(py[a]), x2: sx(px[b]), y2: sy(py[b]),
                stroke: severed ? "#d62728" : "#bbb", "stroke-dasharray": severed ? "3 3" : "",
                "stroke-width": 0.8}, svg);
  }
  // Listed agents last, so that they lie on top and can be clicked: those listed now over
  // those listed before over the others (SVG paints in document order). Every dot says
  // who it is when pointed at; the listed and the shamed are also buttons, one tab stop
  // for all of them (the last drawn: someone listed now), the arrow keys, Home and End
  // moving among them in the order drawn, Enter or Space opening one as a click does; the
  // others are opened by number ("Any agent by its number").
  const rank = d => d.listed ? 2 : d.ever_listed ? 1 : 0;
  const order = net.nodes.map((d, i) => i).sort((i, j) => rank(net.nodes[i]) - rank(net.nodes[j]) || i - j);
  order.forEach(i => {
    const d = net.nodes[i];
    const dot = el("circle", {cx: sx(px[i]), cy: sy(py[i]), r: 4,
                              fill: d.listed ? "#d62728" : d.ever_listed ? "#ff9896" : "#1f77b4",
                              stroke: d.shamed ? "#000" : "none", "stroke-width": 1.5,
                              "data-agent": d.agent}, svg);
    const said = dotWords(d);
    el("title", {}, dot, said);
    if (rank(d) || d.shamed) {
      dot.setAttribute("tabindex", "-1");
      dot.setAttribute("role", "button");
      dot.setAttribute("aria-label", said);
    }
  });
  nearDots(svg);
  const stops = [...svg.querySelectorAll("circle[role='button']")];
  // one handler per picture, set again at each redraw (one added at each redraw kept
  // every earlier picture's dots alive)
  svg.onkeydown = null;
  if (!stops.length) return;
  stops[stops.length - 1].setAttribute("tabindex", "0");
  svg.onkeydown = event => {
    const at = stops.indexOf(event.target);
    const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[event.key];
    const to = at < 0 ? -1 : event.key === "Home" ? 0 : event.key === "End" ? stops.length - 1 :
      step ? (at + step + stops.length) % stops.length : -1;
    if (to < 0) return;
    event.preventDefault();  // the arrows would scroll the page
    stops[at].setAttribute("tabindex", "-1");
    stops[to].setAttribute("tabindex", "0");
    stops[to].focus();
  };
}

// A dot of the network picture is 8 units wide: under 6 px on a phone, too small to tap.
// A click or tap within NEAR_PX pixels of the screen of a dot (the nearest, when several
// are) opens it as a click on the dot does, with no larger mark drawn to crowd the
// picture; the pointer says so (a hand) wherever a click opens one.
const NEAR_PX = 22;

function nearestDot(svg, event) {
  const m = svg.getScreenCTM();
  if (!m) return null;
  const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(m.inverse());
  let best = null, closest = Infinity;
  for (const dot of svg.querySelectorAll("circle[data-agent]")) {
    const d = Math.hypot(dot.cx.baseVal.value - at.x, dot.cy.baseVal.value - at.y);
    if (d < closest) { closest = d; best = dot; }
  }
  return best && closest * Math.hypot(m.a, m.b) <= NEAR_PX ? best : null;
}

function nearDots(svg) {
  svg.onclick = event => {
    if (event.target.matches("circle[data-agent]")) return;  // its own click
    const dot = nearestDot(svg, event);
    if (dot) dot.dispatchEvent(new MouseEvent("click"));
  };
  svg.onpointermove = event => { svg.style.cursor = nearestDot(svg, event) ? "pointer" : ""; };
}

// "agent 12: listed now, shamed": a dot of the network picture in words.
function dotWords(d) {
  const what = [d.listed ? "listed now" : d.ever_listed ? "listed earlier" : "not listed"];
  if (d.shamed) what.push("shamed");
  return `agent ${d.agent}: ${what.join(", ")}`;
}

// The network sample in words: its size, and which agents are listed, were listed or were
// shamed (by number: "Any agent by its number" opens them, as a click on a dot does).
const NAMED = 40;  // agents named in each list at most

function describeNetwork(net) {
  const agents = test => net.nodes.filter(test).map(d => d.agent);
  const severed = net.ties.filter(t => t[2]).length;
  const said = [`${net.nodes.length.toLocaleString("en")} agents and ` +
    `${net.ties.length.toLocaleString("en")} ties, ${severed.toLocaleString("en")} of them severed`];
  for (const [what, list] of [["listed now", agents(d => d.listed)],
                              ["listed earlier", agents(d => !d.listed && d.ever_listed)],
                              ["shamed", agents(d => d.shamed)]]) {
    if (!list.length) { said.push(`${what}: none`); continue; }
    const more = list.length > NAMED ? ` and ${list.length - NAMED} more` : "";
    said.push(`${what}: ${list.length === 1 ? "agent" : "agents"} ${list.slice(0, NAMED).join(", ")}${more}`);
  }
  return said.join("; ");
}
