// Smart School live tiles: follows the school's server-sent events and updates the tiles in
// place. Without this script the page shows the values as they were when it was loaded.
(function () {
  "use strict";
  function setText(el, selector, text) {
    var part = el.querySelector(selector);
    if (part && part.textContent !== text) { part.textContent = text; }
  }
  function start() {
    var root = document.querySelector("[data-live-url]");
    if (!root || typeof window.EventSource === "undefined") { return; }
    var cells = {};
    Array.prototype.forEach.call(root.querySelectorAll("[data-key]"), function (el) {
      cells[el.getAttribute("data-key")] = el;
    });
    var updated = document.getElementById("live-updated");
    var mode = document.getElementById("live-mode");
    var source = new window.EventSource(root.getAttribute("data-live-url"));
    source.onmessage = function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      (data.readings || []).forEach(function (r) {
        var el = cells[r.key];
        if (!el) { return; }
        setText(el, ".v", r.display);
        setText(el, ".age", r.age);
        if (r.category) {
          setText(el, ".cat", r.category_label);
          el.setAttribute("data-cat", String(r.category));
        }
      });
      if (updated) {
        updated.setAttribute("datetime", data.server_time);
        updated.textContent = data.server_time_local;
      }
      if (mode) { mode.textContent = mode.getAttribute("data-live") || "Live"; }
    };
    source.onerror = function () {
      if (mode) {
        mode.textContent = mode.getAttribute("data-reconnecting")
          || "Reconnecting (values may be out of date)";
      }
    };
    window.addEventListener("pagehide", function () { source.close(); });
  }
  // The stream opens shortly after the page has loaded, so that tools waiting for the
  // network to go idle (crawlers, audits, tests) see a finished page first.
  function later() { window.setTimeout(start, 1500); }
  if (document.readyState === "complete") {
    later();
  } else {
    window.addEventListener("load", later);
  }
}());
