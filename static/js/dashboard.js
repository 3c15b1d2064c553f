// Project dashboard charts (Chart.js, vendored): cumulative flow, cycle-time scatter with
// P50/P85 lines, velocity, throughput and bug rate (the burndown is charts.js's). Data from
// json_script.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) return;
  const d = JSON.parse(source.textContent);
  const base = { maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
  const el = (id) => document.getElementById(id);
  const short = (s) => s.slice(5);
  if (el("cfd-chart")) {
    const t = el("cfd-chart").dataset;
    new Chart(el("cfd-chart"), { type: "line", options: { ...base, scales: { y: { stacked: true, beginAtZero: true }, x: { ticks: { maxTicksLimit: 8 } } } }, data: { labels: d.cfd.days.map(short), datasets: [
      { label: t.done, data: d.cfd.done, fill: true, backgroundColor: "rgba(26,127,75,.35)", borderColor: "#1a7f4b", pointRadius: 0 },
      { label: t.progress, data: d.cfd.in_progress, fill: true, backgroundColor: "rgba(228,87,46,.35)", borderColor: "#e4572e", pointRadius: 0 },
      { label: t.todo, data: d.cfd.todo, fill: true, backgroundColor: "rgba(152,162,179,.35)", borderColor: "#98a2b3", pointRadius: 0 },
    ] } });
  }
  if (el("scatter-chart")) {
    const points = d.scatter.map((p) => ({ x: p.x, y: p.y, key: p.key, title: p.title }));
    const labels = [...new Set(points.map((p) => p.x))].sort();
    const line = (value, label, color) => value == null ? null : { type: "line", label: label, data: labels.map((x) => ({ x, y: value })), borderColor: color, borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 };
    new Chart(el("scatter-chart"), { type: "scatter", options: { ...base, scales: { x: { type: "category", labels: labels, ticks: { maxTicksLimit: 8, callback: (v, i) => labels[i].slice(5) } }, y: { beginAtZero: true } },
      plugins: { ...base.plugins, tooltip: { callbacks: { label: (c) => c.raw.key ? `${c.raw.key} ${c.raw.title}: ${c.raw.y} d` : `${c.dataset.label}: ${c.raw.y} d` } } } },
      data: { datasets: [{ label: el("scatter-chart").dataset.label, data: points, backgroundColor: "rgba(36,87,197,.6)" }, line(d.p50, "P50", "#1a7f4b"), line(d.p85, "P85", "#c0262d")].filter(Boolean) } });
  }
  if (el("velocity-chart")) {
    const t = el("velocity-chart").dataset;
    new Chart(el("velocity-chart"), { type: "bar", options: { ...base, scales: { y: { beginAtZero: true } } }, data: { labels: d.velocity.names, datasets: [
      { label: t.committed, data: d.velocity.committed, backgroundColor: "#c5cad3" }, { label: t.completed, data: d.velocity.completed, backgroundColor: "#e4572e" } ] } });
  }
  if (el("throughput-chart")) {
    new Chart(el("throughput-chart"), { type: "bar", options: { ...base, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }, data: { labels: d.throughput.weeks.map(short), datasets: [{ label: el("throughput-chart").dataset.label, data: d.throughput.done, backgroundColor: "#2457c5" }] } });
  }
  if (el("bugrate-chart")) {
    new Chart(el("bugrate-chart"), { type: "line", options: { ...base, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }, data: { labels: d.bug_rate.weeks.map(short), datasets: [{ label: el("bugrate-chart").dataset.label, data: d.bug_rate.rate, borderColor: "#c0262d", pointRadius: 3 }] } });
  }
})();
