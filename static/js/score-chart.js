// The score distribution of a lead list's rows: one vertical at a time (the select), rows per
// 10-point bucket, bars coloured by category band with the 40 and 70 thresholds dashed
// (data from json_script "score-chart-data").
(function () {
  const el = document.getElementById("score-chart");
  const source = document.getElementById("score-chart-data");
  const select = document.getElementById("score-vertical");
  if (!el || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = { High: "#198754", Medium: "#ffc107", Low: "#adb5bd" };
  // A threshold T sits between bucket T/10 - 1 and T/10: a dashed line between the two bars.
  const thresholds = {
    id: "thresholds",
    afterDatasetsDraw(chart) {
      const x = chart.scales.x;
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      Object.entries(data.thresholds).forEach(([band, value]) => {
        const index = value / 10;
        const at = (x.getPixelForValue(index - 1) + x.getPixelForValue(index)) / 2;
        ctx.save();
        ctx.strokeStyle = colours[band] === "#ffc107" ? "#b58900" : colours[band];
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(at, top);
        ctx.lineTo(at, bottom);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = "11px sans-serif";
        ctx.fillText(`${band} ≥ ${value}`, at + 3, top + 10);
        ctx.restore();
      });
    },
  };
  const vertical = (key) => data.verticals.find((v) => v.key === key) || data.verticals[0];
  const first = vertical(select ? select.value : "");
  const chart = new Chart(el, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: first.label,
          data: first.counts,
          backgroundColor: data.bands.map((band) => colours[band]),
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
    plugins: [thresholds],
  });
  if (select) {
    select.addEventListener("change", () => {
      const picked = vertical(select.value);
      chart.data.datasets[0].label = picked.label;
      chart.data.datasets[0].data = picked.counts;
      chart.update();
    });
  }
})();
