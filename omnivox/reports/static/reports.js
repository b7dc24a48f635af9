// The reports page: fetch each report as JSON and draw it with plotly.js (served by omnivox
// from the installed plotly package). Every chart keeps the numbers it was drawn from.
"use strict";

const REPORTS = ["services", "agents", "ivr", "ivr-exits", "personalisation", "channels", "upsell"];
const LAYOUT = { margin: { t: 40, r: 10, b: 60, l: 50 }, barmode: "group", height: 320 };
const CONFIG = { displaylogo: false, responsive: true };

function query() {
  const params = new URLSearchParams();
  for (const name of ["from", "to", "service"]) {
    const value = document.getElementById(name).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

async function load(name, params) {
  const narrow = new URLSearchParams(params);
  if (name === "channels" || name === "upsell") narrow.delete("service");
  const response = await fetch(`/api/reports/${name}?${narrow}`, { credentials: "same-origin" });
  const body = await response.json();
  if (!response.ok) throw new Error(`${name}: ${body.message || response.status}`);
  return body;
}

function column(report, name) {
  return report.rows.map((row) => row[name]);
}

function fillTable(id, report) {
  const table = document.getElementById(id);
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const name of report.columns) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of report.rows) {
    const tr = body.insertRow();
    tr.dataset.key = row[report.columns[0]];
    for (const name of report.columns) {
      const value = row[name];
      tr.insertCell().textContent = Array.isArray(value) ? value.join(", ") : value ?? "";
    }
  }
}

// series: [name, y] or [name, y, "%"]; percentages go on a right-hand 0-100 axis
function bars(id, title, x, series, extra = {}) {
  const traces = series.map(([name, y, unit]) => (
    unit === "%"
      ? { type: "scatter", mode: "markers", marker: { size: 12 }, name, x, y, yaxis: "y2" }
      : { type: "bar", name, x, y }
  ));
  const layout = { ...LAYOUT, title: { text: title }, ...extra };
  if (series.some((s) => s[2] === "%")) {
    layout.yaxis2 = { overlaying: "y", side: "right", range: [0, 100], title: { text: "%" } };
    layout.legend = { orientation: "h", y: -0.2 };
  }
  return Plotly.newPlot(id, traces, layout, CONFIG);
}

async function draw(reports) {
  const s = reports.services;
  const services = column(s, "service");
  await bars("chart-services", "Contacts by service", services, [
    ["offered", column(s, "offered")],
    ["answered", column(s, "answered")],
    ["abandoned", column(s, "abandoned")],
  ]);
  await bars("chart-sl", "Service level % (answered within target)", services, [
    ["service level %", column(s, "service_level_pct")],
  ], { yaxis: { range: [0, 100] } });
  fillTable("table-services", s);

  const a = reports.agents;
  const agents = a.rows.map((row) => row.name || `agent ${row.agent}`);
  await bars("chart-agents", "Agents: handled contacts and occupancy %", agents, [
    ["handled", column(a, "handled")],
    ["occupancy %", column(a, "occupancy_pct"), "%"],
    ["missed", column(a, "missed")],
  ]);
  fillTable("table-agents", a);

  const i = reports.ivr;
  await bars("chart-ivr", "IVR outcome by scenario", column(i, "scenario"), [
    ["completed", column(i, "completed")],
    ["transferred", column(i, "transferred")],
    ["abandoned", column(i, "abandoned")],
    ["containment %", column(i, "containment_pct"), "%"],
  ]);
  const e = reports["ivr-exits"];
  await bars("chart-exits", "Where callers leave", e.rows.map((r) => `${r.scenario}/${r.node}`), [
    ["abandoned", column(e, "abandoned")],
  ]);
  fillTable("table-ivr", i);

  const p = reports.personalisation;
  await bars("chart-personalisation", "Personalised menus: seconds saved and promoted option chosen %", p.rows.map((r) => `${r.scenario}/${r.menu}`), [
    ["est. seconds saved", column(p, "est_saved_s")],
    ["promoted chosen %", column(p, "promoted_chosen_pct"), "%"],
  ]);
  fillTable("table-personalisation", p);

  const c = reports.channels;
  await Plotly.newPlot("chart-channels", [{
    type: "pie", labels: column(c, "channel"), values: column(c, "inbound"), sort: false,
  }], { ...LAYOUT, title: { text: "Inbound contacts by channel" } }, CONFIG);
  const summary = document.getElementById("channel-summary");
  summary.replaceChildren();
  for (const name of ["matters", "switch_rate_pct", "repeat_rate_pct", "window_days"]) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.id = `channels-${name}`;
    dd.textContent = c.summary[name] ?? "";
    summary.append(dt, dd);
  }
  fillTable("table-upsell", reports.upsell);
}

async function refresh() {
  const params = query();
  const error = document.getElementById("error");
  document.body.dataset.ready = "loading";
  document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
  for (const link of document.querySelectorAll("a[data-csv]")) {
    link.href = `/api/reports/${link.dataset.csv}.csv?${params}`;
  }
  try {
    const loaded = await Promise.all(REPORTS.map((name) => load(name, params)));
    const reports = Object.fromEntries(REPORTS.map((name, k) => [name, loaded[k]]));
    await draw(reports);
    error.hidden = true;
    document.body.dataset.ready = "yes";
  } catch (exc) {
    error.textContent = String(exc.message || exc);
    error.hidden = false;
    document.body.dataset.ready = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(window.location.search);
  for (const name of ["from", "to", "service"]) {
    if (params.get(name)) document.getElementById(name).value = params.get(name);
  }
  document.getElementById("period").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  refresh();
});
