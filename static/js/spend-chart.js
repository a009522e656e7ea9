// The dashboard's "credits spent per day" card: a stacked bar chart of its json_script data,
// drawn again whenever htmx swaps the card (another period or split).
(function () {
  const colours = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997", "#ffc107", "#6c757d"];
  let chart = null;

  function draw() {
    const canvas = document.querySelector("#dashboard-spend canvas.spend-chart");
    const source = document.getElementById("spend-data");
    if (chart) { chart.destroy(); chart = null; }
    if (!canvas || !source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.dates,
        datasets: data.series.map((s, i) => ({ label: s.name, data: s.values, backgroundColor: colours[i % colours.length], stack: "spent" })),
      },
      options: {
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: { x: { stacked: true, ticks: { maxTicksLimit: 10 } }, y: { stacked: true, beginAtZero: true } },
      },
    });
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && (event.detail.target.id === "dashboard-spend" || event.detail.target.id === "spend-slot")) draw();
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (document.getElementById("dashboard-spend") && !chart) draw();
  });
})();
