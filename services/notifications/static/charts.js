// Draws each chart of the dashboard with Chart.js from the JSON in its canvas's data-chart
// attribute (served, not inline, as the Content-Security-Policy asks). htmx.onLoad runs for the
// page and again for every fragment htmx swaps in, so refreshed charts are drawn anew.
(function () {
  "use strict";
  var COLOURS = ["#1f5f8b", "#8a5300", "#2e6b31", "#7b3f8c", "#b3261e"];

  function draw(canvas) {
    var spec = JSON.parse(canvas.dataset.chart);
    var scales = {};
    scales[spec.horizontal ? "x" : "y"] = {
      beginAtZero: true,
      title: { display: true, text: spec.unit },
      ticks: spec.whole ? { precision: 0 } : {},
    };
    var old = Chart.getChart(canvas);
    if (old) {
      old.destroy();
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: COLOURS[i % COLOURS.length] };
        }),
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: scales,
      },
    });
  }

  htmx.onLoad(function (root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
