// Draws every plotly chart of a page from its JSON data block (no inline script: see the CSP).
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    var blocks = document.querySelectorAll('script[type="application/json"][data-chart]');
    Array.prototype.forEach.call(blocks, function (block) {
      var target = document.getElementById(block.getAttribute("data-chart"));
      if (!target) { return; }
      var fig = JSON.parse(block.textContent);
      var layout = fig.layout || {};
      delete layout.width;
      layout.autosize = true;
      layout.font = Object.assign({family: "system-ui, sans-serif", size: 13}, layout.font || {});
      Plotly.newPlot(target, fig.data || [], layout, {
        responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
