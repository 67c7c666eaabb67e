// Live progress of a campaign on the proctor page: the counts are re-read from the JSON API
// (/api/v1/skills/campaigns)
// every 15 seconds and written into the page's status region (announced politely).
(function () {
  'use strict';
  var box = document.querySelector('[data-progress-url]');
  if (!box) { return; }
  var url = box.getAttribute('data-progress-url');
  var id = box.getAttribute('data-campaign');
  function update() {
    fetch(url, {headers: {Accept: 'application/json'}, credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (all) {
        var p = all && all.campaigns.filter(function (c) { return c.campaign === id; })[0];
        if (!p) { return; }
        ['codes', 'started', 'finished', 'in_progress'].forEach(function (k) {
          var el = box.querySelector('[data-count="' + k + '"]');
          if (el && el.textContent !== String(p[k])) { el.textContent = String(p[k]); }
        });
      })
      .catch(function () {});
  }
  window.setInterval(update, 15000);
}());
