// The dashboard's charts: each canvas.dashboard-chart draws the JSON of the script its
// data-source names (Chart.js type, labels, datasets, stacked), once, after htmx loads or
// swaps its card (the spend card is swapped for another period or split).
(function () {
  const colours = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997"];

  function draw(root) {
    root.querySelectorAll("canvas.dashboard-chart").forEach((canvas) => {
      if (canvas.dataset.drawn || typeof Chart === "undefined") return;
      const source = document.getElementById(canvas.dataset.source);
      if (!source) return;
      const data = JSON.parse(source.textContent);
      data.datasets.forEach((set, i) => {
        if (!set.backgroundColor) set.backgroundColor = colours[i % colours.length];
        if (!set.borderColor && data.type === "line") set.borderColor = colours[i % colours.length];
      });
      const stacked = Boolean(data.stacked);
      const scales = data.type === "doughnut" ? {} : {
        x: { stacked: stacked, ticks: { maxTicksLimit: 10 } },
        y: { beginAtZero: true, position: "left", stacked: stacked },
        ...(data.datasets.some((s) => s.yAxisID === "y1") ? { y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } : {}),
      };
      new Chart(canvas, {
        type: data.type,
        data: { labels: data.labels, datasets: data.datasets },
        options: {
          animation: false,
          plugins: { legend: { position: "bottom", display: data.type !== "bar" || stacked } },
          scales: scales,
        },
      });
      canvas.dataset.drawn = "1";
    });
  }

  document.addEventListener("htmx:afterSettle", (event) => draw(event.detail.elt || document));
})();
