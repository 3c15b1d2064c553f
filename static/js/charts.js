// Sprint charts (Chart.js, vendored): burndown, burnup and velocity. Data via JSON scripts.
(function () {
  "use strict";
  if (!window.Chart) return;
  const read = (id) => {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const base = { maintainAspectRatio: false, animation: false, spanGaps: false,
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 8 } } } };

  // The small burndown (stand-up, project dashboard): the ideal line runs from the scope
  // committed at the start; points added later raise the scope line (a step) and the
  // remaining line with it, so added work never looks like lost progress.
  const mini = read("burndown-data");
  const miniCanvas = document.getElementById("burndown-mini");
  if (mini && miniCanvas) {
    const t = miniCanvas.dataset;
    const grew = mini.some((d) => d.added);
    const datasets = [
      { label: t.ideal, data: mini.map((d) => d.ideal), borderColor: "#98a2b3", borderDash: [4, 4], pointRadius: 0, borderWidth: 1.5 },
      { label: t.remaining, data: mini.map((d) => d.remaining), borderColor: "#e4572e", backgroundColor: "rgba(228,87,46,.1)", fill: true, pointRadius: 2, borderWidth: 2 },
    ];
    if (grew) {
      datasets.push({ label: t.scope, data: mini.map((d) => d.scope), borderColor: "#2457c5", stepped: true, pointRadius: 0, borderWidth: 1.5 });
    }
    new window.Chart(miniCanvas, { type: "line", options: { ...base, plugins: { legend: { display: true, position: "bottom", labels: { boxWidth: 10, font: { size: 11 } } } } },
      data: { labels: mini.map((d) => d.day.slice(5)), datasets: datasets } });
  }

  const sprint = read("sprint-chart-data");
  const burn = document.getElementById("burndown-chart");
  const labels = (el) => el.dataset;
  if (sprint && burn) {
    const t = labels(burn);
    new window.Chart(burn, { type: "line", options: base, data: { labels: sprint.days.map((d) => d.slice(5)), datasets: [
      { label: t.ideal, data: sprint.ideal, borderColor: "#98a2b3", borderDash: [5, 5], pointRadius: 0, borderWidth: 1.5 },
      { label: t.remaining, data: sprint.remaining, borderColor: "#e4572e", pointRadius: 2, borderWidth: 2 },
      { label: t.added, data: sprint.added.map((v) => v || null), type: "bar", backgroundColor: "rgba(36,87,197,.45)" },
    ] } });
  }
  const up = document.getElementById("burnup-chart");
  if (sprint && up) {
    const t = labels(up);
    new window.Chart(up, { type: "line", options: base, data: { labels: sprint.days.map((d) => d.slice(5)), datasets: [
      { label: t.scope, data: sprint.scope, borderColor: "#2457c5", stepped: true, pointRadius: 0, borderWidth: 2 },
      { label: t.done, data: sprint.done, borderColor: "#1a7f4b", backgroundColor: "rgba(26,127,75,.12)", fill: true, pointRadius: 2, borderWidth: 2 },
    ] } });
  }
  const velocity = read("velocity-data");
  const vel = document.getElementById("velocity-chart");
  if (velocity && vel) {
    const t = labels(vel);
    new window.Chart(vel, { type: "bar", options: base, data: { labels: velocity.names, datasets: [
      { label: t.committed, data: velocity.committed, backgroundColor: "#c5cad3" },
      { label: t.completed, data: velocity.completed, backgroundColor: "#e4572e" },
    ] } });
  }
})();
