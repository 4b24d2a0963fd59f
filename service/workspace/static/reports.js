// Draws the report page's charts from the JSON the page embeds (#report-charts).
// Chart.js is vendored (vendor/chartjs); the numbers themselves are links in the tables.
(function () {
  "use strict";
  const COLOURS = ["#2563eb", "#9ca3af", "#16a34a", "#d97706", "#dc2626"];

  function draw() {
    const source = document.getElementById("report-charts");
    if (!source || typeof window.Chart === "undefined") return;
    const charts = JSON.parse(source.textContent);
    for (const spec of charts) {
      const canvas = document.querySelector('canvas[data-chart="' + spec.key + '"]');
      if (!canvas) continue;
      new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (d, i) {
            return {
              label: d.label,
              data: d.data,
              backgroundColor: COLOURS[i % COLOURS.length],
              borderColor: COLOURS[i % COLOURS.length],
            };
          }),
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { position: "bottom" } },
        },
      });
      canvas.dataset.drawn = "1";
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
