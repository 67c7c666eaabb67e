// EMF map: a click on the map asks the API for the exposure there and shows it in plain text.
(function () {
  "use strict";
  function show(data) {
    var box = document.getElementById("point-result");
    var t = box.dataset;
    var cls = data.compliant ? "result result-ok" : "result result-bad";
    var rows = data.contributions.map(function (c) {
      return "<tr><td>" + c.site + "</td><td class=\"num\">" + Math.round(c.distance_m) +
        " " + t.m + "</td><td class=\"num\">" +
        c.percent_of_limit.toPrecision(2).replace(".", t.decimal) + " %</td></tr>";
    }).join("");
    box.innerHTML = "<div class=\"" + cls + "\"><p class=\"big\"></p><table><caption></caption>" +
      "<thead><tr><th scope=\"col\"></th><th scope=\"col\" class=\"num\"></th>" +
      "<th scope=\"col\" class=\"num\"></th></tr></thead><tbody>" + rows + "</tbody></table>" +
      "<p class=\"muted\"></p></div>";
    box.querySelector("caption").textContent = t.caption;
    var heads = box.querySelectorAll("th");
    heads[0].textContent = t.site;
    heads[1].textContent = t.distance;
    heads[2].textContent = t.share;
    box.querySelector("p.big").textContent = data.summary;
    box.querySelector("p.muted").textContent = t.assumptions + " " + data.assumptions.join("; ") + ".";
  }
  function attach() {
    var map = document.getElementById("emf-map");
    if (!map || typeof map.on !== "function") { window.setTimeout(attach, 200); return; }
    map.on("plotly_click", function (ev) {
      if (!ev.points || !ev.points.length) { return; }
      var p = ev.points[0];
      fetch("/api/v1/emf/point?x=" + encodeURIComponent(p.x) + "&y=" + encodeURIComponent(p.y),
            {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          if (res[0]) { show(res[1]); } else {
            document.getElementById("point-result").textContent = res[1].detail || document.getElementById("point-result").dataset.none;
          }
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attach);
  } else { attach(); }
}());
