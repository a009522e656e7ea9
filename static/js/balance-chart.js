(function () {
  const el = document.getElementById("balance-chart");
  const data = JSON.parse(document.getElementById("balance-series").textContent);
  if (!el || !data.length) return;
  new Chart(el, {
    type: "line",
    data: {
      labels: data.map((p) => new Date(p.t).toLocaleString()),
      datasets: [
        { label: "Available", data: data.map((p) => p.available), borderColor: "#0d6efd", tension: 0.2, pointRadius: 2 },
        { label: "Held", data: data.map((p) => p.held), borderColor: "#fd7e14", tension: 0.2, pointRadius: 0 },
      ],
    },
    options: { animation: false, plugins: { legend: { position: "bottom" } }, scales: { x: { display: false } } },
  });
})();
