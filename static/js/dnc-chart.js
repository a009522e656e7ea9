// The DNC mix of a finished scrub: a doughnut of phones by status (data from json_script).
(function () {
  const el = document.getElementById("dnc-mix");
  const source = document.getElementById("dnc-mix-data");
  if (!el || !source) return;
  const mix = JSON.parse(source.textContent);
  document.querySelectorAll(".legend-dot[data-colour]").forEach((dot) => {
    dot.style.backgroundColor = dot.dataset.colour;
  });
  if (!mix.length) return;
  new Chart(el, {
    type: "doughnut",
    data: {
      labels: mix.map((p) => p.label),
      datasets: [{ data: mix.map((p) => p.value), backgroundColor: mix.map((p) => p.colour) }],
    },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, cutout: "55%" },
  });
})();
