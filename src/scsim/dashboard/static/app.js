// The dashboard page: ask (scenario, levers, all settings validated as you type), run and
// watch (progress, cancel, live charts), compare A with B, look, keep (stored runs).
"use strict";

const $ = id => document.getElementById(id);
const page = {
  scenario: null,      // what /api/scenario said of the chosen source
  levers: {},          // path -> value, the levers moved away from the scenario's value
  settings: {},        // path -> text, the settings changed in "all settings"
  a: null,             // A as kept by "Use these settings as A": its scenario and settings
                       // ({source, name, levers, settings, words}); null: A is the scenario
                       // chosen, as it comes
  polling: false,
  expect: undefined,   // the id of the job this page submitted last ("pending" meanwhile)
  run: null,           // the run shown under "Look" (/api/runs/ID)
  shown: undefined,    // the id of the run the "Look" panel shows
  compared: null,      // the runs of the comparison shown ({a, b}), null: a single run
  follow: true,        // "Look" follows this page's run under way (not after Open)
  pressed: null,       // the button (Run, Compare) a keyboard user pressed: focus comes back
  busy: false,         // this page has a job queued or running: Run and Compare wait
  checked: null,       // the last answer of /api/validate
  ready: false,        // the kernels are compiled (/api/status)
  readyLine: "",       // what the status line says then
  loaded: false,       // the question's boxes hold their values: they can be typed into
  said: null,          // the progress last said to a screen reader ({state, at})
  defaults: {},        // what the Agents and Days boxes got from the scenario last loaded
};

// The boxes of the question, disabled in the page until the question is loaded into them.
const QUESTION_BOXES = ["source", "agents", "days", "seed"];

// This tab's own id: tabs of one browser share the session cookie, not this (each tab is
// a page of its own, with its own job); kept across reloads of the tab.
const PAGE_ID = sessionStorage.getItem("scsim-page") || Array.from(
  crypto.getRandomValues(new Uint8Array(12)), b => b.toString(16).padStart(2, "0")).join("");
sessionStorage.setItem("scsim-page", PAGE_ID);

// The figures the per-group and per-region charts can show (keys of run.groups[g] and
// run.regions[r]; a region's "di" holds one series per group but the reference group).
// REFERENCE stands for the run's reference group (run.reference_group).
const BREAKDOWN = {
  listed_rate: ["Share of each group listed (%)", "Share of each region listed (%)"],
  score_mean: ["Mean score of each group (points)", "Mean score of each region (points)"],
  // "disparate impact, listed on the day" (summary.ON_THE_DAY_DI): not the summary's
  // ratio, which is of the shares ever listed in the run ("disparate impact, ever listed");
  // the dashboard has no summary table: the summary is that of `scsim show RUN --full`
  // and of the HTML report
  di: ["Disparate impact, listed on the day: each group's share on the list that day over that " +
       "of REFERENCE (1 = parity, above 1 = listed more often; the \"disparate impact, ever " +
       "listed\" in the summary of `scsim show RUN --full` and of the HTML report " +
       "is of the shares ever listed in the run)",
       "Disparate impact, listed on the day, in each region: each group's share there on the " +
       "list that day over that of REFERENCE there"],
  wrongful_rate: ["Share of each group wrongfully listed (% of the group)",
                  "Share of each region wrongfully listed (% of the region)"],
};
const SHARES = ["listed_rate", "wrongful_rate"];  // drawn as percentages

// "Share wrongfully listed": under the group chart, each group's share ever wrongfully
// listed and its ratio to the reference group's with its 95 % interval, in the words of
// the summary table (run.wrongful_groups, from the server), or why there is none to say.
function drawWrongfulGroups(run, shown) {
  const box = $("wrongful-groups"), said = run.wrongful_groups;
  box.hidden = !shown || !said;
  if (box.hidden) { $("chart-groups").removeAttribute("aria-describedby"); return; }
  $("chart-groups").setAttribute("aria-describedby", "wrongful-groups");
  $("wrongful-said").textContent = said.said;
  const list = $("wrongful-list");
  list.innerHTML = "";
  for (const g of said.groups) {
    const li = document.createElement("li");
    li.textContent = g.words;
    Object.assign(li.dataset, {group: g.group, ever: g.ever, agents: g.agents});
    if (g.ratio !== null) li.dataset.ratio = g.ratio;
    list.appendChild(li);
  }
}

function drawBreakdown() {
  const run = page.run;
  if (!run) return;
  const figure = $("breakdown").value;
  const [groups, regions] = BREAKDOWN[figure].map(
    caption => caption.replace("REFERENCE", run.reference_group || "the reference group"));
  // a ratio of a few listed people swings widely (to 9 in a run's first weeks): said
  $("caption-groups").textContent = figure === "di" && run.ratio_warning ?
    `${groups}. ⚠ ${run.ratio_warning}.` : groups;
  $("caption-regions").textContent = `${regions} (regions join as the roll-out reaches them)`;
  // shares as percentages, as the headline says them ("0.5 %", not 0.005)
  const shown = values => !SHARES.includes(figure) ? values :
    values.map(v => v === null ? null : 100 * v);
  drawWrongfulGroups(run, figure === "wrongful_rate");
  lineChart($("chart-groups"), run.series.day,
            Object.entries(run.groups).map(([g, v]) => ({name: g, values: shown(v[figure] || [])})));
  const lines = [];
  for (const [r, v] of Object.entries(run.regions)) {
    const values = Array.isArray(v[figure]) ? shown(v[figure]) : v[figure] || [];
    if (Array.isArray(values)) lines.push({name: `region ${r}`, values});
    else for (const [g, series] of Object.entries(values)) lines.push({name: `region ${r} · ${g}`, values: shown(series)});
  }
  lineChart($("chart-regions"), run.series.day, lines);
}

const NO_ANSWER = "the dashboard did not answer (is scsim dashboard still running?)";

// The dashboard's answer, or an Error that says which of three things happened: it did not
// answer (NO_ANSWER), it refused the request (400: its own words, and ``problems``), or it
// answered with an error of its own (a 500: "the dashboard answered with an error", and its
// reason when it gives one).
async function api(path, options) {
  const opts = Object.assign({headers: {"Content-Type": "application/json", "X-Scsim-Page": PAGE_ID}},
                             options || {});
  if (opts.body && typeof opts.body !== "string") opts.body = JSON.stringify(opts.body);
  let response, text;
  try {
    response = await fetch(path, opts);
    text = await response.text();
  } catch (err) {
    throw new Error(NO_ANSWER);
  }
  let data = null;
  try { data = JSON.parse(text); } catch (err) { data = null; }
  if (response.ok && data !== null) return data;
  if (data && data.error && response.status < 500) {
    const err = new Error(data.error);
    err.problems = data.problems; err.status = response.status;
    throw err;
  }
  const err = new Error(answeredError(response, data, text));
  err.status = response.status;
  throw err;
}

// "the dashboard answered with an error (HTTP 500: disk full)": the reason it gave (JSON),
// else its plain-text answer when that is one short line.
function answeredError(response, data, text) {
  const plain = (text || "").trim();
  const reason = data && data.error ? data.error :
    plain && plain.length < 200 && !plain.includes("\n") && !plain.startsWith("<") ? plain :
    response.statusText;
  return `the dashboard answered with an error (HTTP ${response.status}${reason ? ": " + reason : ""})`;
}

function source() {
  const [kind, ...rest] = $("source").value.split(":");
  return {kind, ref: rest.join(":")};
}

// The question as typed: the boxes' text as it is (the dashboard reads it, and says in
// words what is wrong with it: nothing is rounded or guessed here).
function question() {
  return {source: source(), levers: Object.assign({}, page.levers),
          settings: Object.assign({}, page.settings),
          agents: boxText("agents"), days: boxText("days"), seed: boxText("seed"),
          reps: boxText("reps")};
}

// A number box's text; what the browser could not read as a number (it then holds "")
// is sent as it was typed, so that the message names it.
function boxText(id) {
  const box = $(id);
  return box.validity.badInput ? "not a number" : box.value;
}

function listInto(ul, lines) {
  ul.innerHTML = "";
  (lines || []).forEach((p, k) => {
    const li = document.createElement("li"); li.textContent = p; li.id = `${ul.id}-${k}`; ul.appendChild(li);
  });
}

function showProblems(problems) { listInto($("problems"), problems); markInvalid(); }

// The boxes, sliders and settings a problem names ("Seed: 1.5 is not...", "fear.speed: must
// be >= 0", "Listing threshold: ...", "too big for this dashboard: ..." for Agents and Days).
function problemFields(text) {
  const box = text.match(/^(Seed|Agents|Days|Pairs)\b/);
  if (box) return [$({Seed: "seed", Agents: "agents", Days: "days", Pairs: "reps"}[box[1]])];
  if (text.startsWith("too big for this dashboard")) return [$("agents"), $("days")];
  const head = text.split(":")[0].trim(), paths = [head];
  for (const l of (page.scenario && page.scenario.levers) || []) {
    if (l.label === head) paths.push(l.path);
  }
  const fields = [];
  for (const path of paths) {
    for (const input of document.querySelectorAll(`#levers input, #settings input`)) {
      if (input.dataset.path === path) fields.push(input);
    }
  }
  return fields;
}

// A screen reader hears a problem with the box it names: that box is marked invalid and
// described by the line first, then by its own description (a lever's explanation, what
// a box takes).
function markInvalid() {
  const said = new Map();
  for (const ul of [$("problems"), $("compare-problems")]) {
    for (const li of ul.children) {
      for (const field of problemFields(li.textContent)) {
        said.set(field, [...(said.get(field) || []), li.id]);
      }
    }
  }
  for (const field of document.querySelectorAll("#ask input, #ask select")) {
    const lines = said.get(field) || [];
    if (lines.length) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
    const ids = [...lines, field.dataset.describedby].filter(Boolean).join(" ");
    if (ids) field.setAttribute("aria-describedby", ids); else field.removeAttribute("aria-describedby");
  }
}

// What happened to the last Run or Compare (refused, failed); cleared by the next one.
function showRunMessage(lines) { listInto($("run-message"), lines); }

// -- ask ----------------------------------------------------------------------------------

// Returns false when the choice kept is gone from the list: a stored run deleted, or older
// than the newest runs the list holds (kept in the list all the same, as the choice, until
// the server says it was deleted: ``runGone``).
async function loadSources(selected) {
  const data = await api("/api/scenarios");
  const select = $("source");
  // the choice as it is once the list has come (the user may have changed it meanwhile)
  const keep = selected || select.value;
  const keptText = select.selectedOptions[0] ? select.selectedOptions[0].textContent : "";
  select.innerHTML = "";
  // each built-in by its name and, in plain words, what it is (the start of its own
  // description): a teacher could not tell "national-800" from "court-blacklist"
  const groups = [["Built-in scenarios", data.builtin.map(s => [`builtin:${s.name}`,
                                                                `${s.name} — ${s.title}`])],
                  ["Stored runs (their scenario)", data.stored.map(r =>
                    [`run:${r.id}`, `${r.scenario}, run ${r.id} (${r.agents.toLocaleString("en")} agents)`])]];
  for (const [label, items] of groups) {
    if (!items.length) continue;
    const group = document.createElement("optgroup");
    group.label = label;
    for (const [value, text] of items) {
      const option = document.createElement("option");
      option.value = value; option.textContent = text;
      group.appendChild(option);
    }
    select.appendChild(group);
  }
  if (!keep) return true;
  select.value = keep;
  if (select.value === keep) return true;
  if (keep.startsWith("run:")) keepSource(keep, keptText || `run ${keep.slice(4)}`);
  return false;
}

// What the question changes in its scenario as it comes, as the server words each
// changed setting (/api/validate's ``changes``, the words of every screen: "false-match rate
// 0.1 % → 1 % of camera sightings (surveillance.misattribution: 0.001 → 0.01)"); a setting
// the server has not answered for yet as it is typed ("fear.speed: 0.05 → 0.2").
function changedLines() {
  const said = (page.checked && page.checked.changes) || {}, lines = [];
  for (const input of $("settings").querySelectorAll("input[data-path]")) {
    const path = input.dataset.path;
    if (!(path in page.levers || path in page.settings)) continue;
    const now = path in page.levers ? page.levers[path] : page.settings[path];
    lines.push(said[path] || `${path}: ${input.dataset.original} → ${String(now).trim()}`);
  }
  return lines;
}

// A share (0.001) as a percentage (0.1) and back, without the float's noise (0.0057 * 100
// is 0.5700000000000001); a setting a lever shows as a percentage is a share (0 to 1) in the
// scenario, in "All settings" and on the command line.
function toPercent(share) { return Number((share * 100).toPrecision(12)); }
function toShare(percent) { return Number((percent / 100).toPrecision(12)); }

// A percentage as typed ("0.1 %", "0.1%") as its share (0.001); null when it is none.
function percentTyped(text) {
  const m = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*$/.exec(text);
  return m ? toShare(Number(m[1])) : null;
}

// The question above as a side of a comparison: its scenario and what it changes.
function questionSide() {
  return {source: source(), name: page.scenario ? page.scenario.name : source().ref,
          levers: Object.assign({}, page.levers), settings: Object.assign({}, page.settings),
          words: changedLines()};
}

// A side in words: "A: no-system as shipped", "B: national-800 with listing threshold 560
// points", "A: run 20260101-120000-abcd (national-800) as it ran".
function sideInWords(letter, side) {
  const what = side.source.kind === "run" ? `run ${side.source.ref} (${side.name})` : side.name;
  const how = side.words.length ? ` with ${side.words.join(", ")}` :
    side.source.kind === "run" ? " as it ran" : " as shipped";
  return `${letter}: ${what}${how}`;
}

// Which scenario and settings A and B are, beside the Compare button: A as kept (or the
// scenario chosen, as it comes), B the question above as it is now.
function showSides() {
  const b = questionSide();
  $("a-settings").textContent = sideInWords("A", page.a || Object.assign({}, b, {words: []}));
  $("b-settings").textContent = sideInWords("B", b);
  $("reset-a").hidden = !page.a;
}

// A as the comparison asks for it: its own scenario and settings, or (none kept) the
// scenario chosen as it comes.
function sideA() {
  return page.a ? {source: page.a.source, levers: page.a.levers, settings: page.a.settings} :
    {source: source(), levers: {}, settings: {}};
}

// The Agents box's first value: the scenario's, at most 20,000, and no more than lets a
// comparison of the pairs in the box (3 at first) fit under the dashboard's limit.
function defaultAgents(sc) {
  const pairs = Math.max(1, Number($("reps").value) || 3);
  const fits = page.maxAgentDays ? Math.floor(page.maxAgentDays / (2 * pairs * sc.days)) : Infinity;
  const round = fits >= 1000 ? 1000 : fits >= 100 ? 100 : 1;
  return Math.max(2, Math.min(sc.agents, 20000, Math.floor(fits / round) * round));
}

async function loadScenario() {
  // (A, when kept, keeps its own scenario: it may be another than the one chosen now)
  page.levers = {}; page.settings = {};
  const sc = page.scenario = await api("/api/scenario", {method: "POST", body: {source: source()}});
  showSides();
  $("description").textContent = sc.description;
  // What was typed in Agents and Days stays (a teacher comparing no-system with
  // national-800 at 2,000 agents had to type it again); a box empty or left at the last
  // scenario's default takes the new scenario's.
  const defaults = {agents: defaultAgents(sc), days: sc.days};
  for (const [id, value] of Object.entries(defaults)) {
    const box = $(id);
    const typed = box.validity.badInput || (box.value !== "" && box.value !== String(page.defaults[id]));
    if (!typed) box.value = value;
  }
  page.defaults = defaults;
  renderLevers(sc.levers);
  renderSettings(sc.settings);
  followDays();
  validate();
}

function leverId(path) { return "lever-" + path.replace(/[^A-Za-z0-9]+/g, "-"); }

// Only the levers that would change something in the question are shown; a line says
// which others the scenario has and what they need.
function showIdle(idle) {
  const hidden = [];
  for (const lever of page.scenario.levers) {
    const div = $("levers").querySelector(`.lever[data-path="${lever.path}"]`);
    div.hidden = idle.includes(lever.path);
    if (div.hidden) hidden.push(`${lever.label.toLowerCase()} (it needs ${lever.needs})`);
  }
  $("idle-levers").textContent = hidden.length ?
    `Not shown, as they would change nothing in this question: ${hidden.join("; ")}.` : "";
}

// A lever whose top is the number of days (the roll-out) follows the Days box, but never
// below where it stands: a shorter run does not move it (day 90 stays day 90, after the
// run's end: the last regions never join).
function followDays() {
  const days = Number($("days").value);
  if (!page.scenario || !Number.isInteger(days) || days < 1) return;
  for (const lever of page.scenario.levers.filter(l => l.high_days)) {
    const input = $(leverId(lever.path));
    input.max = Math.max(days, Number(input.value));
  }
}

// A slider's value as a screen reader says it: its number as shown beside it, with the
// lever's unit ("690 points", "1 point per day per listed contact", "0.1 % of camera
// sightings" for a share of 0.001: ``value`` is what the slider holds, a percent lever's
// percentage); a day by its number ("day 90").
function valueText(value, unit) {
  const shown = fmt(value);
  if (unit === "day") return `day ${shown}`;
  return `${shown} ${shown === "1" ? unit.replace(/^points\b/, "point") : unit}`;
}

// What a slider holds (a percent lever's percentage: 0.1 for a share of 0.001) and what
// is shown beside it ("0.1 %").
function onSlider(lever, value) { return lever.percent ? toPercent(value) : value; }
function besideSlider(lever, shown) { return lever.percent ? `${fmt(shown)} %` : fmt(shown); }

function renderLevers(levers) {
  const box = $("levers");
  box.innerHTML = "";
  for (const lever of levers) {
    const div = document.createElement("div");
    div.className = "lever"; div.dataset.path = lever.path; div.hidden = !lever.in_use;
    const id = leverId(lever.path);
    const label = document.createElement("label");
    label.htmlFor = id;
    label.innerHTML = `${lever.label} <span class="unit"></span>`;
    label.querySelector(".unit").textContent = `(${lever.unit})`;
    const input = document.createElement("input");
    input.id = id; input.dataset.path = lever.path; input.title = lever.path;
    // the value beside the control: shown, not said as it changes (an <output> is a live
    // region: each arrow press was said twice, by the slider and by it); the slider says
    // its value itself, with its unit (aria-valuetext)
    const out = document.createElement("output");
    out.htmlFor = id;
    out.setAttribute("role", "generic");
    out.setAttribute("aria-live", "off");
    if (lever.kind === "switch") {
      input.type = "checkbox"; input.checked = !!lever.value;
      out.textContent = lever.value ? "on" : "off";
    } else {
      // a percent lever's slider moves its percentage (0 to 1 %, by 0.01 %): what a
      // teacher reads ("0.1 %"), while the question sends the share (0.001)
      const [low, high, step, value] = [lever.low, lever.high, lever.step, lever.value].map(
        v => onSlider(lever, v));
      input.type = "range"; input.min = low; input.max = high; input.step = step;
      input.value = value; out.textContent = besideSlider(lever, value);
      input.dataset.unit = lever.unit;
      if (lever.percent) input.dataset.percent = "true";
      input.setAttribute("aria-valuetext", valueText(value, lever.unit));
    }
    input.addEventListener("input", () => {
      const shown = input.type === "checkbox" ? input.checked : parseFloat(input.value);
      const value = lever.percent ? toShare(shown) : shown;
      out.textContent = input.type === "checkbox" ? (value ? "on" : "off") : besideSlider(lever, shown);
      if (input.type === "range") input.setAttribute("aria-valuetext", valueText(shown, lever.unit));
      if (value === lever.value) delete page.levers[lever.path]; else page.levers[lever.path] = value;
      // the same setting in "all settings" follows the lever (the lever's value wins), as
      // the scenario holds it (a share, not a percentage)
      const row = $("settings").querySelector(`input[data-path="${lever.path}"]`);
      if (row) {
        row.value = value === lever.value ? row.dataset.original : String(value);
        delete page.settings[lever.path];
      }
      showChanged();
      validateSoon();
    });
    const p = document.createElement("p");
    p.textContent = lever.explain;
    p.id = `${id}-explain`;  // what the lever does, said with its name
    input.dataset.describedby = p.id;
    input.setAttribute("aria-describedby", p.id);
    div.append(label, input, out, p);
    box.appendChild(div);
  }
  showIdle(levers.filter(l => !l.in_use).map(l => l.path));
}

function renderSettings(settings) {
  const body = $("settings");
  body.innerHTML = "";
  for (const s of settings) {
    const tr = document.createElement("tr");
    tr.dataset.path = s.path;
    const input = document.createElement("input");
    input.dataset.path = s.path;
    input.setAttribute("aria-label", s.unit ? `${s.path} (${s.unit})` : s.path);
    const original = s.kind === "bool" ? String(s.value) : String(s.value);
    input.value = original;
    input.dataset.original = original;
    input.addEventListener("input", () => {
      if (input.value === original) delete page.settings[s.path]; else page.settings[s.path] = input.value;
      leverFollows(s.path, input.value);
      showChanged();
      validateSoon();
    });
    // a share a lever shows as a percentage: said so where it is typed as a share
    const lever = ((page.scenario && page.scenario.levers) || []).find(
      l => l.path === s.path && l.percent);
    const meaning = lever ? `${s.meaning} (the ${lever.label} lever shows it as a ` +
      `percentage: ${original} is ${toPercent(Number(original))} %; a percentage ` +
      "may be typed here too, such as 0.5 %)" : s.meaning;
    const cells = [s.path, null, s.unit, meaning].map(text => {
      const td = document.createElement("td");
      if (text === null) td.appendChild(input); else td.textContent = text;
      return td;
    });
    tr.append(...cells);
    body.appendChild(tr);
  }
  showChanged();
}

// "All settings (2 changed)": every setting that differs from the scenario as it comes,
// moved by a lever or typed, counted in the panel's summary and listed under it in the
// server's words (``changedLines``: as a run's "changed:" line, the sides beside Compare
// and a comparison's labels say them); each row marked. (Every lever has its row.)
function showChanged() {
  for (const input of $("settings").querySelectorAll("input[data-path]")) {
    const path = input.dataset.path;
    input.classList.toggle("changed", path in page.levers || path in page.settings);
  }
  const lines = changedLines();
  $("changed-count").textContent = lines.length;
  const name = page.scenario ? page.scenario.name : "the scenario";
  $("changed-said").textContent = lines.length ?
    `Changed from ${name} as it comes (${lines.length}):` : "";
  listInto($("changed-list"), lines);
}

// A setting typed in "All settings" that a lever moves: the lever shows the same value (the
// slider stops at its ends; its number says the value typed), and the setting typed is the
// one asked (the lever's own move is dropped). Moving the lever changes the setting back.
function leverFollows(path, text) {
  const input = $("levers").querySelector(`input[data-path="${path}"]`);
  if (!input) return;
  delete page.levers[path];
  const out = input.nextElementSibling, typed = text.trim();
  if (input.type === "checkbox") {
    const on = /^(true|yes|on)$/i.test(typed), off = /^(false|no|off)$/i.test(typed);
    if (on || off) input.checked = on;
    out.textContent = on ? "on" : off ? "off" : typed;
  } else {
    // a percent lever's setting is typed as a share (0.001) or a percentage (0.1 %)
    const percent = input.dataset.percent === "true", asPercent = percentTyped(typed);
    const share = percent && asPercent !== null ? asPercent : typed === "" ? NaN : Number(typed);
    const value = percent ? toPercent(share) : share;
    if (Number.isFinite(value)) input.value = value;
    out.textContent = Number.isFinite(value) ? (percent ? `${fmt(value)} %` : fmt(value)) : typed;
    input.setAttribute("aria-valuetext", Number.isFinite(value) ?
      valueText(value, input.dataset.unit) : `${typed} (${input.dataset.unit})`);
  }
}

// The question as the tab last had it, kept across a reload of the tab (sessionStorage:
// this tab only): the scenario chosen, the boxes, the levers and settings moved, and A.
const SAVED = "scsim-question";

function saveQuestion() {
  if (page.restoring) return;  // the defaults of a scenario being loaded are not the question
  sessionStorage.setItem(SAVED, JSON.stringify({
    source: $("source").value, levers: page.levers, settings: page.settings, a: page.a,
    boxes: Object.fromEntries(["agents", "days", "seed", "reps"].map(id => [id, $(id).value]))}));
}

// After a reload: the saved question, if its scenario is still in the list (a stored run
// may have been deleted meanwhile); else the scenario's own defaults.
async function restoreQuestion() {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(SAVED)); } catch (err) { saved = null; }
  // the saved scenario selected only if the list holds it (a select set to a value it
  // lacks reads as "", which a refresh of the list meanwhile took for a deleted run)
  const listed = saved && saved.source && Array.from($("source").options).some(
    option => option.value === saved.source);
  if (listed) $("source").value = saved.source;
  else if (saved && saved.source && saved.source.startsWith("run:") &&
           !(await runGone(saved.source.slice(4)))) {
    keepSource(saved.source, `run ${saved.source.slice(4)}`);  // older than the list's runs
  }
  if (!saved || $("source").value !== saved.source) {
    if (!$("source").value) $("source").selectedIndex = 0;
    await loadScenario();
    return;
  }
  // Nothing is saved until the question is whole again: a reload meanwhile finds it kept.
  page.restoring = true;
  try { await fillQuestion(saved); } finally { page.restoring = false; }
  await validate();
}

// The saved question on the page: its scenario, boxes, levers, settings and A.
async function fillQuestion(saved) {
  await loadScenario();
  for (const [id, value] of Object.entries(saved.boxes || {})) $(id).value = value;
  followDays();
  for (const [path, value] of Object.entries(saved.levers || {})) {
    const input = $("levers").querySelector(`input[data-path="${path}"]`);
    if (!input) continue;
    if (input.type === "checkbox") input.checked = !!value;
    else input.value = input.dataset.percent === "true" ? toPercent(value) : value;  // a share
    input.dispatchEvent(new Event("input"));
  }
  for (const [path, text] of Object.entries(saved.settings || {})) {
    const input = $("settings").querySelector(`input[data-path="${path}"]`);
    if (!input) continue;
    input.value = text;
    input.dispatchEvent(new Event("input"));
  }
  if (saved.a) {  // (kept by an older page: without its scenario, the one chosen)
    page.a = Object.assign({source: source(), name: page.scenario.name, words: []}, saved.a);
  }
  showSides();
}

let validateTimer = null;
// Each change is kept for a reload at once; the server checks the question once typing stops.
function validateSoon() {
  saveQuestion();
  showSides();
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validate, 250);
}

async function validate() {
  saveQuestion();
  let result;
  const a = page.a;  // A as asked about: its words come back with the answer
  try {
    result = page.checked = await api("/api/validate", {method: "POST",
                                                         body: Object.assign(question(), {a: sideA()})});
  } catch (err) {  // not checked: Run waits
    page.checked = null;
    showProblems([`The question could not be checked: ${err.message}`]);
    enableRun();
    return false;
  }
  showProblems(result.problems);
  if (a && page.a === a) a.words = Object.values(result.a_changes || {});
  showChanged();  // in the server's words (result.changes, result.a_changes)
  showSides();
  listInto($("advice"), result.advice);  // settings that would do nothing: Run may go
  listInto($("compare-problems"), result.compare_problems);  // Run may go all the same
  markInvalid();
  if (result.ok) showIdle(result.idle);
  enableRun();
  return result.ok;
}

// Run and Compare: enabled when the question has no problem and this page has no job
// under way.
function enableRun() {
  const ok = page.checked && page.checked.ok && !page.busy;
  $("run").disabled = !ok;
  $("compare").disabled = !(ok && page.checked.compare_ok);
}

// -- run and watch ------------------------------------------------------------------------

async function submit(path, body) {
  saveQuestion();  // the question as it was asked, whatever a reload finds next
  page.expect = "pending";  // until the server answers, any job the page sees is an older one
  page.follow = true;  // "Look" shows this run as it goes
  delete $("progress-text").dataset.status;
  page.said = null;  // this job's progress is said from its start
  showRunMessage([]);
  // Run (or Compare) disables itself: a keyboard user's focus goes on to Cancel
  const pressed = [$("run"), $("compare")].find(b => b === document.activeElement);
  page.pressed = pressed || null;
  $("cancel").disabled = false;
  if (pressed) $("cancel").focus();
  setBusy(true);
  try {
    page.expect = (await api(path, {method: "POST", body})).id;
  } catch (err) {
    page.expect = undefined;
    $("cancel").disabled = true;
    setBusy(false);
    showRunMessage(err.problems || [err.message]);
    focusBack();
  }
  watch();
}

// After the page's job (Cancel disabled again): a keyboard user's focus goes back to the
// button pressed, or to Run.
function focusBack() {
  if (!page.pressed && document.activeElement !== $("cancel")) return;
  const to = [page.pressed, $("run"), $("compare")].find(b => b && !b.disabled);
  page.pressed = null;
  if (to) to.focus();
}

function setBusy(busy) { page.busy = busy; enableRun(); }

function runNow() { submit("/api/run", question()); }

function compareNow() {
  const q = question();
  // A with its own scenario (kept by "Use these settings as A"), B the question above
  submit("/api/compare", {source: q.source, agents: q.agents, days: q.days, seed: q.seed,
                          reps: q.reps, a: sideA(),
                          b: {levers: q.levers, settings: q.settings}});
}

async function cancelNow() {
  try {
    await api("/api/cancel", {method: "POST", body: {}});
  } catch (err) {
    showRunMessage([`The run could not be cancelled: ${err.message}`]);
  }
}

const ACTIVE = ["queued", "running", "saving"];  // a job that is not over

async function watch() {
  if (page.polling) return;  // the loop that runs will see the newest job
  page.polling = true;
  try {
    let version;  // of the job last seen: the server answers as soon as it changes
    for (;;) {
      const wanted = page.expect;  // a job submitted meanwhile changes it
      let job;
      try {
        ({job} = await api(version === undefined ? "/api/job" : `/api/job?after=${version}`));
      } catch (err) {  // said, and asked again in a second
        $("progress-text").textContent = `Not watching the run: ${err.message}`;
        sayProgress($("progress-text").textContent, "unwatched");
        await new Promise(r => setTimeout(r, 1000));
        continue;
      }
      if (!job && page.expect === wanted) return;
      version = job ? job.version : undefined;
      if (job && (wanted === undefined || job.id === wanted)) {
        // A run whose days are done is drawn at once, while it is written to the store
        // (should that fail, the job's status says so next).
        if (job.status === "saving" && page.shown !== job.runs.runs[0]) {
          try { await openRun(job.runs.runs[0]); } catch (err) { /* the status tells */ }
        }
        if (!ACTIVE.includes(job.status)) {
          await finished(job, wanted === job.id);  // on the page before the status says so
          // An older job (the one the page found when it opened) must neither mark a job
          // submitted while it was shown as finished nor end the loop that watches it.
          if (page.expect !== wanted) continue;
          showProgress(job);
          return;
        }
        if (page.expect === wanted) showProgress(job);
      }
      if (!job) await new Promise(r => setTimeout(r, 250));  // nothing to wait on yet
    }
  } finally { page.polling = false; }
}

function showProgress(job) {
  const bar = $("progress"), text = $("progress-text");
  bar.max = job.total || 1; bar.value = job.done;
  setBusy(ACTIVE.includes(job.status));
  const focused = document.activeElement === $("cancel");
  $("cancel").disabled = !["queued", "running"].includes(job.status);
  if ($("cancel").disabled && focused) focusBack();
  if (job.status === "queued") {
    text.textContent = page.ready ? job.waiting : "waiting for the kernels to compile…";
  } else if (job.status === "running" && !job.total) {
    text.textContent = "starting…";  // the worker has it; its first day is under way
  } else if (job.status === "running") {
    text.textContent = runningText(job);
    liveCharts(job);
  } else if (job.status === "saving") {
    text.textContent = "done: writing it to the run store…";
  } else {
    text.textContent = {done: "done", cancelled: "cancelled", failed: "failed"}[job.status];
    text.dataset.status = job.status;
  }
  sayProgress(job.status === "done" ? "done: the results are under “2. Look”" :
    text.textContent, job.status === "running" && !job.total ? "starting" : job.status);
}

// The progress line changes five times a second while a run goes on: a screen reader hears
// each change of state, and the day reached at most every SAY_EVERY milliseconds.
const SAY_EVERY = 15000;

function sayProgress(text, state) {
  const now = Date.now(), said = page.said;
  if (said && said.state === state && (state !== "running" || now - said.at < SAY_EVERY)) return;
  page.said = {state, at: now};
  $("progress-said").textContent = text;
}

// "running: day 120 of 365"; a comparison's runs go one after the other, each of the same
// days: "running B, pair 2: day 243 of 365 (run 4 of 6)" (its days were counted over all
// its runs: "day 1,338 of 2,190" for a question of 365 days).
function runningText(job) {
  const days = (job.about || {}).days;
  if (job.kind !== "compare" || !days || !job.done) {
    return `running: day ${job.done.toLocaleString("en")} of ${job.total.toLocaleString("en")}`;
  }
  const run = Math.floor((job.done - 1) / days), runs = Math.round(job.total / days);
  return `running ${pairSide(job.side)}: day ${(job.done - run * days).toLocaleString("en")} ` +
    `of ${days.toLocaleString("en")} (run ${run + 1} of ${runs})`;
}

// "b 2" (the worker's name for a run of a comparison) -> "B, pair 2".
function pairSide(side) {
  const [which, pair] = side.split(" ");
  return `${which.toUpperCase()}, pair ${pair}`;
}

// The run under way, drawn as its days pass: "Look" shows it alone (the run shown before
// is set aside: its headline, numbers and other charts are not shown), labelled as the run
// in progress, unless a stored run was opened meanwhile.
function liveCharts(job) {
  if (!job.rows.length || !page.follow) return;
  drawPartial(job);
  const what = job.kind === "compare" ? `Comparison in progress (${aboutJob(job)}): the charts ` +
    `show ${pairSide(job.side)} so far` : `Run in progress (${aboutJob(job)}): the charts show it so far`;
  lookMode("live", `${what}, days 0–${lastDay(job)}; its headline, numbers and other charts ` +
    "come when it is done.", job.kind === "compare" ?
    ` · ${pairSide(job.side)} in progress, days 0–${lastDay(job)}` :
    ` · run in progress, days 0–${lastDay(job)}`);
}

function drawPartial(job) {
  const col = name => job.rows.map(r => r[job.columns.indexOf(name)]);
  const day = col("day");
  lineChart($("chart-listed"), day, [{name: "listed", values: col("listed")},
                                     {name: "wrongfully listed", values: col("wrongful_listed")}]);
  scoreChart(day, col);
}

// The last day a job's charts have (null before its first).
// The last day a job has reported, with thousands separators ("8,390"); null before any.
function lastDay(job) {
  return job.rows.length ?
    job.rows[job.rows.length - 1][job.columns.indexOf("day")].toLocaleString("en") : null;
}

// What a job asks, in a few words: "national-800, 54,000 agents × 365 days, seed 1".
function aboutJob(job) {
  const a = job.about || {};
  if (!a.scenario) return job.kind === "compare" ? "A vs B" : "this page's run";
  const pairs = job.kind === "compare" ? `, ${a.reps} ${a.reps === 1 ? "pair" : "pairs"}` : "";
  return `${a.scenario}, ${a.agents.toLocaleString("en")} agents × ${a.days.toLocaleString("en")} ` +
    `days, seed ${a.seed}${pairs}`;
}

// What "Look" shows: "run" (a finished run or comparison), "live" (the run under way so
// far: its listed and score charts alone, labelled), "cancelled" (the same of a run
// cancelled or failed, with no finished run to show instead) or "empty". ``line`` says it
// above the charts, ``tag`` in the captions of the two charts.
function lookMode(mode, line, tag) {
  $("watch").dataset.mode = mode;
  $("look-state").hidden = !line;
  $("look-state").textContent = line || "";
  for (const span of document.querySelectorAll("#watch .partial-tag")) span.textContent = tag || "";
  if (mode !== "empty") $("look-empty").hidden = true;
}

// The score chart: the median, and the bands between percentiles 5 and 95 and 25 and 75 of
// the recorded scores (the middle 90 % and 50 %), each edged by a line that stands out from
// the background and the fill beside it (3:1 at least: dotted #2171b5, dashed #08519c); the
// median line is near-black, as a blue one was too faint on the inner band.
function scoreChart(day, col) {
  lineChart($("chart-score"), day,
            [{name: "median score", values: col("score_p50"), color: "#222"}],
            [{lo: col("score_p05"), hi: col("score_p95"), color: "#9ecae1", name: "5–95 %",
              edge: "#2171b5", dash: "2 2", key: "middle 90 % of scores"},
             {lo: col("score_p25"), hi: col("score_p75"), color: "#3182bd", name: "25–75 %",
              edge: "#08519c", dash: "5 3", key: "middle 50 % of scores"}]);
}

async function finished(job, asked) {
  showRunMessage(job.status === "failed" ? [job.error] : []);
  try {
    if (job.status === "done") {
      if (job.kind !== "run") await openComparison(job.runs, asked);
      else {
        if (page.shown !== job.runs.runs[0]) await openRun(job.runs.runs[0]);  // not drawn yet
        // its headline into view when this page asked for it, as a comparison's answer is
        // (a teacher saw only "done" below the Run button; the results were far below)
        if (asked) $("watch").scrollIntoView({behavior: "smooth", block: "start"});
      }
    } else if (job.status === "cancelled" || job.status === "failed") {
      await unfinished(job);
    }
  } catch (err) {
    showRunMessage([`The run could not be shown: ${err.message}`]);
  }
  await refreshRuns();
}

// A run cancelled (or failed) whose charts "Look" was drawing, or found so when the page
// opens: the finished run shown before it comes back whole, with a line that says the
// other was not kept; with none to show, its charts stay, labelled as not kept.
async function unfinished(job) {
  const mode = $("watch").dataset.mode, last = lastDay(job);
  if (last === null || !(mode === "live" || mode === "empty")) return;  // Look is as it was
  const what = job.status === "cancelled" ? "cancelled" : "failed";
  const gone = `The ${job.kind === "compare" ? "comparison" : "run"} ${what} on day ${last} ` +
    `(${aboutJob(job)}) was not kept as a result`;
  if (page.shown !== undefined) {
    try {
      if (page.compared) await openComparison(page.compared, false); else await openRun(page.shown);
      lookMode("run", `${gone}. Shown again below: the run shown before it.`);
      return;
    } catch (err) { /* deleted meanwhile: its own charts, as if none was shown */ }
  }
  drawPartial(job);
  lookMode("cancelled", `${gone}. Below: its charts until then (days 0–${last}).`,
           ` · ${what} run, days 0–${last}, not kept as a result`);
}

// -- look ---------------------------------------------------------------------------------

// What a run is: its scenario, size and seed, and what it changes in the built-in
// scenario of its name (a result is the built-in's only when it changes nothing).
function facts(run) {
  const changed = run.changes.length ? `; changed: ${run.changes.join(", ")}` :
    run.builtin ? `; the built-in ${run.scenario} as shipped` : "";
  return `${run.scenario}, run ${run.id}: ${run.agents.toLocaleString("en")} agents × ` +
    `${run.days.toLocaleString("en")} days, seed ${run.seed}${changed}`;
}

async function openRun(id) {
  const run = await api(`/api/runs/${id}`);
  page.shown = id;
  page.compared = null;
  lookMode("run");
  $("look-empty").hidden = true;
  $("load-question").hidden = false;
  $("comparison").hidden = $("look-which").hidden = true;
  const head = $("headline");
  head.innerHTML = "";
  for (const line of run.headline) { const p = document.createElement("p"); p.textContent = line; head.appendChild(p); }
  $("facts").textContent = facts(run) + (run.wall_seconds === null ? "" :
    `; the days took ${fmt(run.wall_seconds)} s`);
  const numbers = $("numbers");
  numbers.innerHTML = "";
  for (const [key, label] of [["listed_final", "listed on the last day"],
                              ["wrongful_final", "wrongfully listed on the last day"],
                              ["ever_listed", "ever listed"], ["ever_wrongful", "ever wrongfully listed"]]) {
    const div = document.createElement("div");
    div.innerHTML = `<b id="n-${key}"></b>`;
    div.querySelector("b").textContent = fmt(run.numbers[key]);
    div.querySelector("b").dataset.value = run.numbers[key];
    div.append(label);
    numbers.appendChild(div);
  }
  const s = run.series, col = name => s[name] || [];
  lineChart($("chart-listed"), s.day, [{name: "listed", values: col("listed")},
                                       {name: "wrongfully listed", values: col("wrongful_listed")}]);
  scoreChart(s.day, col);
  const bars = [];
  for (const t of run.travel) {
    bars.push({label: `${t.mode}: this run`, value: t.run, color: "#d62728"});
    for (const f of t.published) bars.push({label: `${t.mode}: 2018, ${f.reading}`, value: f.value, color: "#999"});
  }
  barChart($("chart-travel"), bars);
  $("figure-detention").hidden = !s.detained;  // only a run with detention has them
  if (s.detained) {
    // detained now, and every detention so far (the two part once the first are released)
    let total = 0;
    const sofar = col("new_detentions").map(x => (total += x ?? 0));
    lineChart($("chart-detention"), s.day, [{name: "detained now", values: col("detained")},
                                            {name: "detentions so far", values: sofar}]);
  }
  page.run = run;
  drawBreakdown();
  networkChart($("chart-network"), run.network);
  $("case").hidden = true;
  for (const dot of $("chart-network").querySelectorAll("circle")) {
    dot.addEventListener("click", () => openAgent(id, dot.dataset.agent));
    dot.addEventListener("keydown", event => {
      if (!dot.hasAttribute("tabindex") || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault();  // Space would scroll the page
      openAgent(id, dot.dataset.agent);
    });
  }
  const list = $("case-list");
  list.innerHTML = "";
  $("case-count").textContent = !run.traced_count ? "No agent has a case file in this run." :
    run.traced.length < run.traced_count ?
      `The first ${run.traced.length} of the ${run.traced_count.toLocaleString("en")} agents with case files:` :
      `The ${run.traced_count.toLocaleString("en")} agents with case files:`;
  $("agent-id").max = run.agents - 1;
  for (const t of run.traced) {
    const b = document.createElement("button");
    b.type = "button"; b.dataset.agent = t.agent;
    // who was listed, in words ("!" marked the wrongfully listed, and nothing the others)
    b.textContent = `agent ${t.agent}` + (t.wrongful ? ": wrongfully listed" : t.listed ? ": listed" : "");
    b.addEventListener("click", () => openAgent(id, t.agent));
    list.append(b, " ");
  }
  const links = $("downloads");
  links.innerHTML = "Download: ";
  for (const [table, what] of DOWNLOADS) {
    const a = document.createElement("a");
    a.href = `/api/runs/${id}/${table}.csv`; a.textContent = `${table}.csv`; a.download = "";
    links.append(a, ` (${what}) · `);
  }
  const report = document.createElement("a");
  report.href = `/api/runs/${id}/report`; report.textContent = "HTML report"; report.target = "_blank";
  links.append(report, " (every chart and table of the run, to print or share)");
  links.dataset.run = id;
}

// The run's tables to download, each with what its rows are (a teacher could not tell
// metrics from agents).
const DOWNLOADS = [["metrics", "a row a day: the figures of the charts"],
                   ["agents", "a row a person, at the end of the run"],
                   ["companies", "a row a company"]];

// Open from the list of stored runs: the run is drawn under "Look", which comes into view
// and flashes (on a narrow screen the list is far below it).
// A stored run, or (``compared``: its comparison's runs) the comparison it is part of.
async function openStored(id, compared) {
  try {
    if (compared) await openComparison(compared, false); else await openRun(id);
  } catch (err) {
    const what = compared ? `The comparison of run ${id}` : `Run ${id}`;
    listInto($("runs-message"), [`${what} could not be opened: ${err.message}`]);
    return;
  }
  listInto($("runs-message"), []);
  page.follow = false;  // a run under way goes on without taking "Look" back
  $("watch").scrollIntoView({behavior: "smooth", block: "start"});
  const facts = $("facts");
  facts.classList.remove("flash");
  void facts.offsetWidth;  // restart the animation
  facts.classList.add("flash");
}

// A run deleted from the list: if it is the one shown, "Look" is emptied and says so; a
// comparison shown goes with any of its runs (the store forgets it too).
function forget(id) {
  if (page.compared && [...page.compared.a, ...page.compared.b].includes(id)) {
    page.compared = null;
    $("comparison").hidden = $("look-which").hidden = true;
  }
  if (page.shown !== id) return;
  page.shown = undefined; page.run = null; page.compared = null;
  if ($("watch").dataset.mode !== "run") return;  // the run under way is shown: it stays
  for (const node of ["headline", "facts", "numbers", "case-count", "case-list", "case-message", "downloads", "look-which"]) {
    $(node).textContent = "";
  }
  for (const svg of document.querySelectorAll("#watch svg.chart")) clear(svg);
  delete $("downloads").dataset.run;
  $("case").hidden = $("comparison").hidden = $("load-question").hidden = $("look-which").hidden = true;
  $("figure-detention").hidden = true;
  lookMode("empty");
  $("look-empty").hidden = false;
  $("look-empty").textContent = `Run ${id} was deleted: nothing to show. Run a question, or open a stored run below.`;
}

// Ask the shown run's question again: its scenario (as stored) with its size and seed.
async function loadQuestion() {
  const run = page.run, value = `run:${run.id}`;
  if (!$("source").querySelector(`option[value="${value}"]`)) {  // older than the list
    $("source").appendChild(new Option(`${run.scenario}, run ${run.id}`, value));
  }
  $("source").value = value;
  await loadScenario();
  $("agents").value = run.agents; $("days").value = run.days; $("seed").value = run.seed;
  followDays();
  await validate();
  $("ask").scrollIntoView({behavior: "smooth", block: "start"});
}

// A comparison: its answer at the top of "Look", then B's run of the first pair in detail;
// brought into view when this page asked for it (``scroll``), not when a reload finds it.
async function openComparison(runs, scroll) {
  const cmp = await api(`/api/comparison?a=${runs.a.join(",")}&b=${runs.b.join(",")}`);
  await openRun(runs.b[0]);
  page.compared = runs;
  $("comparison").hidden = false;
  $("look-which").hidden = false;
  $("look-which").textContent = `Below: the B run of the first pair (seed ${cmp.seeds[0]}), ` +
    "with its headline, charts and case files.";
  if (scroll) $("comparison").scrollIntoView({behavior: "smooth", block: "start"});
  $("cmp-headline").textContent = cmp.headline;
  $("cmp-acts").textContent = cmp.acts;
  $("cmp-labels").textContent = `${cmp.labels[0]} · ${cmp.labels[1]} · ${cmp.pairs}, ` +
    `${cmp.seeds.length === 1 ? "seed" : "seeds"} ${cmp.seeds.join(", ")}`;
  lineChart($("chart-compare"), cmp.series.a.day, [
    {name: "A listed", values: cmp.series.a.listed, dash: "5 4", color: "#555"},
    {name: "B listed", values: cmp.series.b.listed, color: "#d62728"}]);
  table($("cmp-switches"), ["per agent", "agents (mean)", "95 % interval"],
        cmp.switches.map(r => [r.figure, fmt(r.agents), interval(r)]));
  $("cmp-switches-note").textContent = cmp.switches_note;
  // the difference first: on a phone the columns past the screen's edge are A's and B's
  table($("cmp-metrics"), ["metric", "measure", "unit", "B − A", "95 % interval", "A (mean)",
                          "B (mean)"],
        cmp.metrics.map(r => [r.label, r.measure, r.unit, fmt(r.diff), interval(r), fmt(r.a),
                              fmt(r.b)]));
}

// A case file opened (a button of the list, the Open box or a dot of the network picture):
// it comes into view and the focus moves to its title, which a screen reader then says;
// "Back to the list" gives the focus back to what opened it (a dot clicked: the list; a
// dot reached with Tab: that dot).
async function openAgent(runId, agent) {
  const opener = document.activeElement;
  let view;
  try {
    view = await api(`/api/runs/${runId}/agents/${agent}`);
  } catch (err) {
    $("case-message").textContent = err.message;
    return;
  }
  $("case-message").textContent = "";
  $("case").hidden = false;
  $("case-title").textContent = `Agent ${view.agent}, run ${view.run}` +
    (view.traced ? "" : " (not traced: its points by source)");
  $("case-story").textContent = view.story;
  defineWords(view.words);
  recordTable(view);
  $("case").dataset.agent = view.agent;
  page.caseOpener = opener && opener.closest && opener.closest("#case-list, #open-agent, #chart-network") ?
    opener : null;
  $("case").scrollIntoView({behavior: "smooth", block: "nearest"});  // a dot may be far above it
  $("case-title").focus({preventScroll: true});
}

// The words of a case file's story that a reader may not know ("tier c", "recovery"),
// each with what it means, under the story: seen and read on a phone or with the keyboard
// as well (a tooltip is not).
function defineWords(words) {
  const list = $("case-words");
  list.innerHTML = "";
  for (const {word, meaning} of words) {
    const dt = document.createElement("dt"), dfn = document.createElement("dfn");
    const dd = document.createElement("dd");
    dfn.textContent = word; dd.textContent = meaning;
    dt.appendChild(dfn);
    list.append(dt, dd);
  }
  $("case-words-box").hidden = !words.length;
}

// The agent's record at the end of the run: each column in words, its value ("yes" and
// "no", "none" for nobody) and what it means, when its name does not say it all (a term
// defined once, on the server). A meaning the row above has (the propensity of each kind
// of act) is not said again.
function recordTable(view) {
  const node = $("case-record");
  node.innerHTML = "";
  const head = node.insertRow();
  for (const h of ["", "value", "what it means"]) {
    const th = document.createElement("th"); th.textContent = h; head.appendChild(th);
  }
  let above = null;
  for (const [column, v] of Object.entries(view.record)) {
    const tr = node.insertRow(), meaning = view.meanings[column];
    const name = tr.insertCell(), value = tr.insertCell(), means = tr.insertCell();
    if (meaning) {
      const dfn = document.createElement("dfn"); dfn.textContent = view.labels[column];
      name.appendChild(dfn);
    } else name.textContent = view.labels[column];
    value.textContent = v === null ? "none" : typeof v === "boolean" ? (v ? "yes" : "no") :
      typeof v === "number" ? fmt(v) : String(v);
    value.className = "num";
    if (meaning !== above) means.textContent = meaning || "";
    means.className = "meaning";
    above = meaning;
  }
}

// Back from a case file to where it was opened: the button pressed (if the list has not been
// drawn again since), else the agent's own button in the list, else the list's first, else
// the Open box.
function backToCases() {
  const opener = page.caseOpener, list = $("case-list");
  const to = (opener && opener.isConnected ? opener : null) ||
    list.querySelector(`button[data-agent="${$("case").dataset.agent}"]`) ||
    list.querySelector("button") || $("agent-id");
  to.focus();
}

function interval(r) { return r.lo === null ? "one pair: no interval" : `${fmt(r.lo)} to ${fmt(r.hi)}`; }

function table(node, head, rows) {
  node.innerHTML = "";
  const tr = document.createElement("tr");
  for (const h of head) { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); }
  node.appendChild(tr);
  for (const row of rows) {
    const r = document.createElement("tr");
    row.forEach((v, i) => { const td = document.createElement("td"); td.textContent = v; if (i > 0) td.className = "num"; r.appendChild(td); });
    node.appendChild(r);
  }
}

// -- keep ---------------------------------------------------------------------------------

async function refreshRuns() {
  let runs;
  try {
    ({runs} = await api("/api/runs"));
  } catch (err) {
    listInto($("runs-message"), [`The stored runs could not be listed: ${err.message}`]);
    return;
  }
  const body = $("runs");
  body.innerHTML = "";
  for (const r of runs) {
    const tr = document.createElement("tr");
    tr.dataset.run = r.id;
    for (const v of [r.id, r.scenario, r.agents.toLocaleString("en"), r.days, r.seed, whatRun(r),
                     r.started]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    const td = document.createElement("td");
    const name = `run ${r.id}` + (r.side ? ` (${r.side})` : "");
    const open = document.createElement("button");
    open.textContent = "Open"; open.className = "open";
    open.setAttribute("aria-label", `Open ${name}`);
    open.addEventListener("click", () => openStored(r.id));
    const del = document.createElement("button");
    del.textContent = "Delete"; del.className = "delete";
    del.setAttribute("aria-label", `Delete ${name}`);
    del.addEventListener("click", async () => {
      const size = `${r.scenario}, ${r.agents.toLocaleString("en")} agents × ${r.days} days, ` +
        `seed ${r.seed}: ${whatRun(r)}`;
      const compared = r.side ? " It belongs to a comparison of A with B: the comparison " +
        "goes with it (the other runs of it stay, as single runs)." : "";
      if (!confirm(`Delete run ${r.id} (${size}) and its files?${compared}`)) return;
      try {
        await api(`/api/runs/${r.id}`, {method: "DELETE"});
      } catch (err) {
        listInto($("runs-message"), [`Run ${r.id} could not be deleted: ${err.message}`]);
        return;
      }
      forget(r.id);
      refreshRuns();
    });
    td.append(open, " ");
    if (r.compared) {  // a run of a comparison kept in the store: open the comparison again
      const both = document.createElement("button");
      both.textContent = "Compare"; both.className = "open";
      both.setAttribute("aria-label", `Open the comparison of ${name}`);
      both.addEventListener("click", () => openStored(r.id, r.compared));
      td.append(both, " ");
    }
    td.append(del);
    tr.appendChild(td);
    body.appendChild(tr);
  }
  listInto($("runs-message"), []);
  const kept = await loadSources();
  // read once the list has come: a reload's question may still be on its way to the select
  // (restoreQuestion), and loadSources keeps a run it no longer lists selected (keepSource)
  const question = $("source").value;
  const lines = [];
  const ref = page.a && page.a.source.kind === "run" ? page.a.source.ref : null;
  // a run missing from the list may be older than the newest runs it holds: deleted only
  // when the server says so
  const listed = ref && $("source").querySelector(`option[value="run:${ref}"]:not([data-kept])`);
  if (ref && !listed && await runGone(ref)) {
    page.a = null;
    lines.push(`Run ${ref}, which A started from, was deleted: A is now the scenario ` +
               "chosen above, as it comes.");
  }
  // the question's run, kept in the list (loadSources), unless the server says it is gone
  if (!kept && (!question.startsWith("run:") || await runGone(question.slice(4)))) {
    lines.unshift(await sourceDeleted(question));
  }
  else if (lines.length) { showSides(); await validate(); }
  if (lines.length) showRunMessage(lines);
}

// What a stored run is, in the list: its side and pair in a comparison kept in the store
// ("A, pair 1"), and what it changes ("as shipped" when nothing).
function whatRun(r) {
  const changes = !r.changes.length ? "as shipped" : r.changes.length <= 2 ? r.changes.join(", ") :
    `${r.changes.slice(0, 2).join(", ")} (+${r.changes.length - 2} more)`;
  return r.side ? `${r.side}: ${changes}` : changes;
}

// Whether a stored run was deleted: /api/runs/ID answers 404. The list of scenarios holds
// only the newest runs, so a run missing from it is not for that reason gone.
async function runGone(id) {
  try {
    await api(`/api/runs/${encodeURIComponent(id)}`);
    return false;
  } catch (err) {
    return err.status === 404;
  }
}

// A stored run the question starts from, kept in the list of sources though the list of
// scenarios no longer holds it (older than the newest runs it lists).
function keepSource(value, text) {
  const select = $("source");
  let group = select.querySelector('optgroup[label="Stored runs (their scenario)"]');
  if (!group) {
    group = document.createElement("optgroup");
    group.label = "Stored runs (their scenario)";
    select.appendChild(group);
  }
  const option = document.createElement("option");
  option.value = value; option.textContent = text;
  option.dataset.kept = "true";  // not in the list the server gave
  group.appendChild(option);
  select.value = value;
}

// The stored run the question started from was deleted: the question goes back to the
// built-in scenario of its name (or the first one); returns the line that says so.
async function sourceDeleted(gone) {
  const name = page.scenario && page.scenario.name;
  const builtin = `builtin:${name}`;
  const kept = $("source").querySelector(`option[value="${gone}"][data-kept]`);
  if (kept) kept.remove();  // kept in the list until the server said it was deleted
  $("source").value = builtin;
  if ($("source").value !== builtin) $("source").selectedIndex = 0;
  await loadScenario();
  return `Run ${gone.slice(4)}, which this question started from, was deleted: ` +
    `the question starts again from ${page.scenario.name}.`;
}

async function status() {
  let s;
  try {
    s = await api("/api/status");
  } catch (err) {  // said, and asked again
    $("status").textContent = `${err.message[0].toUpperCase()}${err.message.slice(1)}.`;
    setTimeout(status, 2000);
    return;
  }
  page.maxAgentDays = s.max_agent_days;
  $("store").textContent = s.store;
  const line = $("status");
  if (s.state === "ready") {
    page.ready = true;
    // in words: "agent-days" alone was a unit nobody was told, and "kernels" jargon
    page.readyLine = `Ready. Largest question: ${s.max_agent_days.toLocaleString("en")} ` +
      "agent-days (agents × days × runs: a year of " +
      `${Math.floor(s.max_agent_days / 365).toLocaleString("en")} agents). ` +
      `The simulation was ready in ${fmt(s.compile_seconds)} s.`;
    showReady();
    return;
  }
  line.textContent = s.state === "stopped" ? "The worker process stopped: restart scsim dashboard." :
    "Compiling the simulation kernels (once per machine, about a minute; later starts load them " +
    "from the cache in seconds). You can set up your question meanwhile.";
  setTimeout(status, 1000);
}

// "Ready" only once the kernels are and the question's boxes hold their values: typed into
// before, a box got the scenario's default over what was typed (5000 became 9000).
function showReady() {
  const line = $("status");
  if (!page.ready) return;
  if (!page.loaded) { line.textContent = "Loading the question…"; return; }
  line.textContent = page.readyLine;
  line.classList.add("ready");
  line.dataset.state = "ready";
}

// The arrow keys move the Agents box by thousands (10,000 -> 11,000). Its step is 1: a step of
// 1000 counted from its minimum (2) made 10,000 "invalid" to a screen reader (a step
// mismatch) and ArrowUp give 10,002.
function agentsByThousands(e) {
  if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
  const box = e.target, now = Number(box.value);
  if (box.validity.badInput || !Number.isFinite(now)) return;
  e.preventDefault();
  const next = e.key === "ArrowUp" ? Math.floor(now / 1000) * 1000 + 1000 :
    Math.ceil(now / 1000) * 1000 - 1000;
  box.value = Math.max(2, next);
  box.dispatchEvent(new Event("input"));
}

// -- start --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  await status();  // its first answer: the size limit the Agents box starts under
  watch();  // a job under way (a reload in the middle of a run) is shown at once
  $("source").addEventListener("change", () => loadScenario().catch(
    err => showProblems([`The scenario could not be loaded: ${err.message}`])));
  $("breakdown").addEventListener("change", drawBreakdown);
  for (const id of ["agents", "days", "seed", "reps"]) $(id).addEventListener("input", validateSoon);
  $("days").addEventListener("input", followDays);
  $("agents").addEventListener("keydown", agentsByThousands);
  $("load-question").addEventListener("click", () => loadQuestion().catch(
    err => showRunMessage([`The question could not be loaded: ${err.message}`])));
  $("case-back").addEventListener("click", backToCases);
  $("open-agent").addEventListener("submit", e => {
    e.preventDefault();
    const box = $("agent-id");
    box.removeAttribute("aria-invalid");
    if (!page.run) { $("case-message").textContent = "Run a question or open a stored run first."; return; }
    const agent = Number(box.value), last = page.run.agents - 1;
    if (box.value === "" || !Number.isInteger(agent) || agent < 0 || agent > last) {
      box.setAttribute("aria-invalid", "true");  // the message describes the box
      $("case-message").textContent = `Type an agent number from 0 to ${last.toLocaleString("en")}.`;
    } else openAgent(page.shown, agent);
  });
  $("run").addEventListener("click", runNow);
  $("compare").addEventListener("click", compareNow);
  $("cancel").addEventListener("click", cancelNow);
  $("set-a").addEventListener("click", () => {
    page.a = questionSide();
    showSides();
    validate();  // A is checked with the question from now on
  });
  $("reset-a").addEventListener("click", () => {
    page.a = null;
    showSides();
    validate();
    $("set-a").focus();  // the button pressed is hidden now
  });
  $("settings-filter").addEventListener("input", e => {
    const q = e.target.value.toLowerCase();
    for (const tr of $("settings").children) tr.hidden = q && !tr.textContent.toLowerCase().includes(q) && !tr.dataset.path.includes(q);
  });
  try {
    await loadSources("builtin:national-800");
    await restoreQuestion();
  } finally {  // a question that could not be loaded says so; the boxes still open
    for (const id of QUESTION_BOXES) $(id).disabled = false;
    page.loaded = true;
    showReady();
  }
  await refreshRuns();
});
