// The risk register's exposure trend (Chart.js, vendored). Data comes from json_script.
(function () {
  const source = document.getElementById("exposure-data");
  const canvas = document.getElementById("exposure-chart");
  if (!source || !canvas || !window.Chart) return;
  const points = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: points.map((p) => p.date.slice(5)),
      datasets: [{
        label: canvas.getAttribute("aria-label"),
        data: points.map((p) => p.exposure),
        borderColor: "#e4572e",
        backgroundColor: "rgba(228,87,46,.12)",
        fill: true,
        tension: 0.25,
        pointRadius: 0,
        borderWidth: 2,
      }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      scales: { x: { ticks: { maxTicksLimit: 7 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
})();
