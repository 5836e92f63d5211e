// Tasker console: the task list and a task's live DAG, on the REST API of the same server.
// Plain JavaScript, no dependencies, no network access beyond this server.
"use strict";

const STATES = ["pending", "in_progress", "complete", "error", "cancelled", "resolved_manually"];
const CLOSED = ["complete", "cancelled"];
const COLLAPSE_OVER = 24; // a level with more steps than this is drawn as one node per state
const NODE_W = 160, NODE_H = 26, COL_W = 220, ROW_H = 34;

const state = { token: localStorage.getItem("tasker.token") || "", config: null, timer: null, view: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function api(path, opts = {}) {
  const headers = { "Accept": "application/json" };
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method: opts.method || "GET", headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error(data.error || resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function toast(msg) {
  const t = document.getElementById("toast");
  t.textContent = msg;
  t.style.display = "block";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.style.display = "none"; }, 5000);
}

function badge(status) { return el("span", { class: "badge " + status }, status); }

function canWrite() { return state.config && state.config.scope === "write"; }

async function loadConfig() {
  state.config = await api("/console/config.json");
  const scope = document.getElementById("scope");
  const labels = { write: "read + write", read: "read only", none: "no access" };
  scope.textContent = state.config.writes === "open" ? "open (dev)" : labels[state.config.scope];
  scope.dataset.scope = state.config.scope;
}

// ---- router ----

function route() {
  clearInterval(state.timer);
  const hash = location.hash || "#/";
  const m = hash.match(/^#\/tasks\/(.+)$/);
  if (m) taskPage(decodeURIComponent(m[1]));
  else listPage();
}

// ---- task list ----

function listPage() {
  const view = document.getElementById("view");
  const q = new URLSearchParams(location.hash.split("?")[1] || "");
  const filters = { namespace: q.get("namespace") || "", name: q.get("name") || "", status: q.get("status") || "" };
  const statusSel = el("select", { id: "f-status", "aria-label": "status" }, el("option", { value: "" }, "any status"),
    STATES.map((s) => el("option", { value: s, selected: s === filters.status }, s)));
  const ns = el("input", { id: "f-namespace", placeholder: "namespace", value: filters.namespace, "aria-label": "namespace" });
  const name = el("input", { id: "f-name", placeholder: "name", value: filters.name, "aria-label": "name" });
  const apply = (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (ns.value) p.set("namespace", ns.value);
    if (name.value) p.set("name", name.value);
    if (statusSel.value) p.set("status", statusSel.value);
    location.hash = "#/?" + p.toString();
  };
  const counts = el("div", { class: "counts", id: "counts" });
  const body = el("tbody");
  const more = el("button", { id: "more", hidden: true }, "More");
  view.replaceChildren(
    el("h1", {}, "Tasks"),
    el("form", { class: "filters", onsubmit: apply }, ns, name, statusSel, el("button", { type: "submit" }, "Filter"), counts),
    el("table", { id: "tasks" }, el("thead", {}, el("tr", {}, ["Status", "Task", "Version", "Workflow ID", "Started"].map((h) => el("th", {}, h)))), body),
    more);
  // The first page is polled live; "More" appends older pages, which stay as they were loaded.
  let first = [], extra = [], cursor = "";
  const fetchPage = async (after) => {
    const p = new URLSearchParams({ limit: "50" });
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    if (after) p.set("cursor", after);
    return api("/tasks?" + p);
  };
  const show = () => { renderRows(body, first.concat(extra), counts); more.hidden = !cursor; };
  const fail = (err) => body.replaceChildren(el("tr", {}, el("td", { colspan: 5 }, "Cannot list tasks: " + err.message)));
  const load = async () => {
    try {
      const page = await fetchPage("");
      first = page.tasks;
      if (!extra.length) cursor = page.next_cursor || "";
      show();
    } catch (err) { fail(err); }
  };
  more.addEventListener("click", async () => {
    try {
      const page = await fetchPage(cursor);
      extra = extra.concat(page.tasks);
      cursor = page.next_cursor || "";
      show();
    } catch (err) { fail(err); }
  });
  load();
  state.timer = setInterval(load, 2000);
}

function renderRows(body, tasks, counts) {
  const n = {};
  body.replaceChildren(...tasks.map((t) => {
    n[t.status] = (n[t.status] || 0) + 1;
    const open = () => { location.hash = "#/tasks/" + encodeURIComponent(t.workflow_id); };
    return el("tr", { class: "row", tabindex: 0, "data-id": t.workflow_id, onclick: open, onkeydown: (e) => { if (e.key === "Enter") open(); } },
      el("td", { class: "status" }, badge(t.status || t.workflow_status)),
      el("td", {}, t.namespace + "/" + t.name), el("td", {}, t.version),
      el("td", { class: "muted" }, t.workflow_id), el("td", {}, new Date(t.started_at).toLocaleString()));
  }));
  if (!tasks.length) body.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No tasks match.")));
  counts.replaceChildren(...STATES.filter((s) => n[s]).map((s) => el("span", {}, badge(s), " " + n[s])));
}

// ---- task page ----

function taskPage(id) {
  const view = document.getElementById("view");
  const v = { id, task: null, selected: null, expanded: new Set(), zoom: { x: -20, y: -20, k: 1 }, feed: [], last: {}, search: "" };
  state.view = v;
  const search = el("input", { id: "search", placeholder: "find a step…", "aria-label": "find a step" });
  search.addEventListener("input", () => { v.search = search.value.trim(); drawGraph(v); });
  const ui = state.config && state.config.temporal_ui;
  view.replaceChildren(
    el("h1", {}, el("span", { id: "task-title" }, id), " ", el("span", { id: "task-status" })),
    el("div", { class: "toolbar" },
      search,
      el("button", { id: "zoom-in", title: "zoom in (+)", onclick: () => zoom(v, 1.25) }, "+"),
      el("button", { id: "zoom-out", title: "zoom out (-)", onclick: () => zoom(v, 0.8) }, "−"),
      el("button", { id: "zoom-fit", title: "fit (0)", onclick: () => fit(v) }, "Fit"),
      el("button", { id: "cancel", class: "danger", onclick: () => confirmAction(v, "Cancel this task?", () => api("/tasks/" + encodeURIComponent(id), { method: "DELETE", body: { reason: "cancelled from the console" } })) }, "Cancel task"),
      ui ? el("a", { id: "temporal-link", href: ui + "/namespaces/" + encodeURIComponent(state.config.namespace) + "/workflows/" + encodeURIComponent(id), target: "_blank", rel: "noopener" }, "Open in Temporal UI") : "",
      el("span", { class: "legend" }, STATES.map((s) => el("span", {}, badge(s))))),
    el("div", { class: "layout" },
      el("div", { class: "graph" }, svgRoot(v)),
      el("aside", { id: "panel" }, el("p", { class: "muted" }, "Select a step to see its attempts, error and results."))),
    el("div", { class: "feed", id: "feed", "aria-label": "events" }));
  document.addEventListener("keydown", keys);
  refresh(v);
  state.timer = setInterval(() => refresh(v), 1000);
}

function keys(e) {
  const v = state.view;
  if (!v || e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA") return;
  if (e.key === "+" || e.key === "=") zoom(v, 1.25);
  else if (e.key === "-") zoom(v, 0.8);
  else if (e.key === "0") fit(v);
}

async function refresh(v) {
  let data;
  try { data = await api("/tasks/" + encodeURIComponent(v.id)); } catch (err) {
    document.getElementById("task-status").replaceChildren(el("span", { class: "muted" }, err.message));
    return;
  }
  if (state.view !== v) return;
  const first = !v.task;
  v.task = data.task;
  document.getElementById("task-title").textContent = v.task.namespace + "/" + v.task.name + " " + v.task.version;
  document.getElementById("task-status").replaceChildren(badge(v.task.status));
  document.getElementById("cancel").disabled = !canWrite() || CLOSED.includes(v.task.status);
  feed(v);
  drawGraph(v);
  if (first) fit(v);
  if (v.selected) panel(v);
  if (CLOSED.includes(v.task.status)) clearInterval(state.timer);
}

function feed(v) {
  const now = new Date().toLocaleTimeString();
  const lines = [];
  for (const s of v.task.workflow_steps) {
    const before = v.last[s.name];
    if (before !== undefined && before !== s.status) lines.push(now + "  " + s.name + ": " + before + " → " + s.status);
    v.last[s.name] = s.status;
  }
  if (v.lastTask !== undefined && v.lastTask !== v.task.status) lines.push(now + "  task: " + v.lastTask + " → " + v.task.status);
  v.lastTask = v.task.status;
  if (!lines.length) return;
  const box = document.getElementById("feed");
  for (const l of lines) box.prepend(el("div", {}, l));
  while (box.childNodes.length > 300) box.lastChild.remove();
}

// layout places steps in columns by dependency level; a crowded level collapses into one node per
// state unless expanded (or holding the searched step).
function layout(v) {
  const levels = [];
  for (const s of v.task.workflow_steps) (levels[s.level] = levels[s.level] || []).push(s);
  const nodes = [], where = {};
  levels.forEach((steps = [], lvl) => {
    const match = v.search && steps.some((s) => s.name.includes(v.search));
    if (steps.length > COLLAPSE_OVER && !v.expanded.has(lvl) && !match) {
      const by = {};
      for (const s of steps) (by[s.status] = by[s.status] || []).push(s);
      STATES.filter((st) => by[st]).forEach((st, row) => {
        const n = { group: true, level: lvl, status: st, count: by[st].length, total: steps.length, x: lvl * COL_W, y: row * ROW_H, id: "g" + lvl + st };
        nodes.push(n);
        for (const s of by[st]) where[s.name] = n;
      });
      return;
    }
    steps.forEach((s, row) => {
      const n = { step: s, level: lvl, status: s.status, x: lvl * COL_W, y: row * ROW_H, id: s.name };
      nodes.push(n);
      where[s.name] = n;
    });
  });
  const seen = new Set(), edges = [];
  for (const s of v.task.workflow_steps) for (const d of s.depends_on_steps) {
    const a = where[d], b = where[s.name];
    if (!a || !b) continue;
    const key = a.id + ">" + b.id;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push([a, b]);
  }
  return { nodes, edges };
}

function svgRoot(v) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.id = "graph";
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "task graph");
  let drag = null;
  svg.addEventListener("wheel", (e) => { e.preventDefault(); zoom(v, e.deltaY < 0 ? 1.1 : 0.9); }, { passive: false });
  svg.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, zx: v.zoom.x, zy: v.zoom.y }; });
  window.addEventListener("mouseup", () => { drag = null; });
  svg.addEventListener("mousemove", (e) => {
    if (!drag) return;
    v.zoom.x = drag.zx - (e.clientX - drag.x) / v.zoom.k;
    v.zoom.y = drag.zy - (e.clientY - drag.y) / v.zoom.k;
    applyZoom(v);
  });
  svg.addEventListener("click", (e) => {
    const g = e.target.closest(".node");
    if (g) pick(v, g);
  });
  svg.addEventListener("keydown", (e) => {
    const g = e.target.closest && e.target.closest(".node");
    if (g && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); pick(v, g); }
  });
  return svg;
}

function pick(v, g) {
  if (g.dataset.group !== undefined) {
    v.expanded.add(Number(g.dataset.group));
    drawGraph(v);
    return;
  }
  v.selected = g.dataset.step;
  drawGraph(v);
  panel(v);
}

function drawGraph(v) {
  const svg = document.getElementById("graph");
  if (!svg || !v.task) return;
  const { nodes, edges } = layout(v);
  v.bounds = { w: Math.max(...nodes.map((n) => n.x)) + NODE_W, h: Math.max(...nodes.map((n) => n.y)) + NODE_H };
  let paths = "";
  for (const [a, b] of edges) {
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, mx = (x1 + x2) / 2;
    paths += "M" + x1 + " " + y1 + "C" + mx + " " + y1 + " " + mx + " " + y2 + " " + x2 + " " + y2;
  }
  let out = '<g id="viewport"><g class="edges"><path d="' + paths + '"/></g>';
  for (const n of nodes) {
    const label = n.group ? n.count + " of " + n.total + " " + n.status : n.step.name;
    const short = label.length > 24 ? label.slice(0, 23) + "…" : label;
    const cls = "node " + n.status + (n.group ? " group" : "") + (n.step && n.step.name === v.selected ? " selected" : "") +
      (n.step && v.search && n.step.name.includes(v.search) ? " match" : "");
    const data = n.group ? ' data-group="' + n.level + '"' : ' data-step="' + esc(n.step.name) + '"';
    const title = n.group ? label + " (press to expand)" : n.step.name + ": " + n.status;
    out += '<g class="' + cls + '"' + data + ' data-status="' + n.status + '" tabindex="0" role="button" aria-label="' + esc(title) +
      '" transform="translate(' + n.x + "," + n.y + ')"><title>' + esc(title) + '</title><rect width="' + NODE_W + '" height="' + NODE_H +
      '"/><text x="8" y="17">' + esc(short) + "</text></g>";
  }
  svg.innerHTML = out + "</g>";
  applyZoom(v);
  if (v.search) {
    const hit = nodes.find((n) => n.step && n.step.name.includes(v.search));
    if (hit && v.searched !== v.search) { v.searched = v.search; v.zoom.x = hit.x - 40; v.zoom.y = hit.y - 40; applyZoom(v); }
  }
  document.body.dataset.graphReady = String(nodes.length);
}

function applyZoom(v) {
  const svg = document.getElementById("graph");
  if (!svg) return;
  const r = svg.getBoundingClientRect();
  svg.setAttribute("viewBox", v.zoom.x + " " + v.zoom.y + " " + (r.width || 800) / v.zoom.k + " " + (r.height || 500) / v.zoom.k);
}

function zoom(v, f) {
  v.zoom.k = Math.min(4, Math.max(0.1, v.zoom.k * f));
  applyZoom(v);
}

function fit(v) {
  const svg = document.getElementById("graph");
  if (!svg || !v.bounds) return;
  const r = svg.getBoundingClientRect();
  v.zoom.k = Math.min(1.5, Math.max(0.1, Math.min((r.width || 800) / (v.bounds.w + 40), (r.height || 500) / (v.bounds.h + 40))));
  v.zoom.x = -20;
  v.zoom.y = -20;
  applyZoom(v);
}

function panel(v) {
  const s = v.task.workflow_steps.find((x) => x.name === v.selected);
  const box = document.getElementById("panel");
  if (!s) return;
  const writable = canWrite() && !CLOSED.includes(v.task.status);
  const base = "/tasks/" + encodeURIComponent(v.id) + "/workflow_steps/" + encodeURIComponent(s.name);
  const results = el("textarea", { id: "results", rows: 3, cols: 30, "aria-label": "results for resolve", placeholder: '{"resolved": true}' });
  const focused = document.activeElement && document.activeElement.id;
  const kept = document.getElementById("results");
  if (kept) results.value = kept.value;
  const rows = [
    ["Status", badge(s.status)], ["Attempts", s.attempts + " of " + s.retry_limit], ["Handler", s.handler_class || "—"],
    ["Depends on", s.depends_on_steps.join(", ") || "—"],
  ];
  if (s.next_attempt_at) rows.push(["Next retry", new Date(s.next_attempt_at).toLocaleString()]);
  if (s.last_error) rows.push(["Last error", el("pre", { id: "last-error" }, s.last_error)]);
  if (s.results) rows.push(["Results", el("pre", { id: "step-results" }, JSON.stringify(s.results, null, 2))]);
  else if (s.results_size) rows.push(["Results", s.results_size + " bytes (not shown)"]);
  box.replaceChildren(
    el("h2", {}, s.name), s.description ? el("p", { class: "muted" }, s.description) : "",
    el("dl", {}, rows.map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)])),
    el("div", { class: "toolbar" },
      el("button", { id: "retry", disabled: !writable || s.status !== "error", onclick: () => confirmAction(v, "Retry step " + s.name + "?", () => api(base + "/retry", { method: "POST", body: {} })) }, "Retry"),
      el("button", { id: "resolve", disabled: !writable || !["pending", "error"].includes(s.status), onclick: () => {
        let parsed;
        try { parsed = results.value.trim() ? JSON.parse(results.value) : undefined; } catch (err) { toast("Results are not JSON: " + err.message); return; }
        confirmAction(v, "Resolve step " + s.name + " manually?", () => api(base + "/resolve", { method: "POST", body: { results: parsed, reason: "resolved from the console" } }));
      } }, "Resolve")),
    el("label", { for: "results" }, "Results for resolve (JSON)"), results,
    writable ? "" : el("p", { class: "muted", id: "readonly-note" }, canWrite() ? "The task is closed." : "Read-only: enter a write token to retry, resolve or cancel."));
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
}

function confirmAction(v, question, action) {
  const dlg = el("dialog", { id: "confirm" },
    el("p", {}, question),
    el("div", { class: "toolbar" },
      el("button", { id: "confirm-yes", onclick: async () => {
        dlg.close(); dlg.remove();
        try { await action(); toast("Done: " + question.replace(/\?$/, "")); } catch (err) { toast("Refused (" + err.status + "): " + err.message); }
        refresh(v);
      } }, "Confirm"),
      el("button", { id: "confirm-no", onclick: () => { dlg.close(); dlg.remove(); } }, "Keep")));
  document.body.append(dlg);
  dlg.showModal();
  dlg.querySelector("#confirm-no").focus();
}

// ---- start ----

document.getElementById("token").value = state.token;
document.getElementById("token-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  state.token = document.getElementById("token").value.trim();
  localStorage.setItem("tasker.token", state.token);
  await loadConfig();
  route();
});
window.addEventListener("hashchange", () => { document.removeEventListener("keydown", keys); route(); });
loadConfig().then(route, (err) => toast("Cannot reach the server: " + err.message));
