// The Kano Better/Worse scatter (Chart.js, vendored): x = |Worse|, y = Better, quadrants
// split at 0.5. Clicking a point opens that requirement's survey.
(function () {
  const source = document.getElementById("kano-points");
  const canvas = document.getElementById("kano-chart");
  if (!source || !canvas || !window.Chart) return;
  const points = JSON.parse(source.textContent);
  const colours = {
    performance: "#2457c5", attractive: "#1a7f4b", must_be: "#c0262d",
    indifferent: "#98a2b3", reverse: "#b25e00", questionable: "#667085",
  };
  const quadrants = {
    id: "kanoQuadrants",
    beforeDraw(chart) {
      const { ctx, chartArea: area, scales: { x, y } } = chart;
      const midX = x.getPixelForValue(0.5);
      const midY = y.getPixelForValue(0.5);
      ctx.save();
      ctx.strokeStyle = "#d0d5dd";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(midX, area.top); ctx.lineTo(midX, area.bottom);
      ctx.moveTo(area.left, midY); ctx.lineTo(area.right, midY);
      ctx.stroke();
      ctx.fillStyle = "#98a2b3";
      ctx.font = "12px sans-serif";
      const d = canvas.dataset;
      ctx.fillText(d.qAttractive, area.left + 8, area.top + 16);
      ctx.fillText(d.qPerformance, area.right - ctx.measureText(d.qPerformance).width - 8, area.top + 16);
      ctx.fillText(d.qIndifferent, area.left + 8, area.bottom - 8);
      ctx.fillText(d.qMust, area.right - ctx.measureText(d.qMust).width - 8, area.bottom - 8);
      ctx.restore();
    },
  };
  new window.Chart(canvas, {
    type: "scatter",
    data: {
      datasets: [{
        data: points.map((p) => ({ x: Math.abs(p.worse), y: p.better, point: p })),
        pointBackgroundColor: points.map((p) => colours[p.category] || "#667085"),
        pointRadius: points.map((p) => Math.min(12, 4 + p.responses)),
        pointHoverRadius: 12,
      }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => {
          const p = item.raw.point;
          return `${p.key} ${p.title} · ${p.category_label} (Better ${p.better}, Worse ${p.worse}, n=${p.responses})`;
        } } },
      },
      scales: {
        x: { min: 0, max: 1, title: { display: true, text: canvas.dataset.xLabel } },
        y: { min: 0, max: 1, title: { display: true, text: canvas.dataset.yLabel } },
      },
      onClick: (_evt, elements) => {
        if (elements.length) window.location = points[elements[0].index].url;
      },
    },
    plugins: [quadrants],
  });
})();
