// KPI tile sparklines (Chart.js, vendored).
(function () {
  "use strict";
  const source = document.getElementById("sparkline-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  document.querySelectorAll("canvas.sparkline").forEach((canvas) => {
    const points = data[canvas.dataset.kpiId] || [];
    if (!points.length) return;
    new window.Chart(canvas, {
      type: "line",
      data: { labels: points.map((p) => p[0]), datasets: [{ data: points.map((p) => p[1]), borderColor: "#2457c5", borderWidth: 1.5, pointRadius: 0, tension: 0.3, fill: false }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false }, tooltip: { enabled: true } }, scales: { x: { display: false }, y: { display: false } } },
    });
  });
})();
