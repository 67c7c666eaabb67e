// Redraws the page's plotly charts at the width of an A4 text block before printing and back
// after, so a chart drawn for a wide screen neither overflows the paper nor covers the table
// below it (a loaded file, no inline script: see the CSP).
(function () {
  "use strict";
  var A4_WIDTH_PX = 680, A4_HEIGHT_PX = 340;  // 180 mm x 90 mm at 96 px per inch
  function charts() {
    return Array.prototype.filter.call(document.querySelectorAll(".chart"), function (el) {
      return typeof Plotly !== "undefined" && el.data;
    });
  }
  function toPaper() {
    charts().forEach(function (el) {
      Plotly.relayout(el, {width: A4_WIDTH_PX, height: A4_HEIGHT_PX, autosize: false});
    });
  }
  function toScreen() {
    charts().forEach(function (el) {
      Plotly.relayout(el, {width: null, height: null, autosize: true});
    });
  }
  window.addEventListener("beforeprint", toPaper);
  window.addEventListener("afterprint", toScreen);
}());
