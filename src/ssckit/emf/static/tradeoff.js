/* The two maps of /emf/tradeoff (Leaflet): RSRP at full power and with the cuts, the city's
 * areas and the sites (a larger circle for a larger cut); moving one map moves the other.
 * Everything comes from the JSON block #tradeoff-map-config, texts already translated. */
(function () {
  'use strict';
  var boxes = document.querySelectorAll('.tradeoff-map-box');
  var cfg = window.ssckitCityMap && ssckitCityMap.config('tradeoff-map-config', boxes);
  if (!cfg) { return; }
  var bounds = L.latLngBounds(cfg.bounds);
  var maps = [];
  var areas = ssckitCityMap.fetchAreas(cfg.areas_url);
  boxes.forEach(function (el) {
    var map = ssckitCityMap.create(el, cfg);
    L.tileLayer(cfg.tiles[el.getAttribute('data-state')], {
      bounds: bounds, tileSize: 256, maxZoom: cfg.max_zoom, opacity: 0.85,
      className: 'coverage-tiles'
    }).addTo(map);
    areas.then(function (fc) {
      if (fc) { ssckitCityMap.drawAreas(map, fc, {kinds: ['boundary', 'district'],
                                                labels: false}); }
    });
    cfg.sites.forEach(function (s) {
      L.circleMarker([s.lat, s.lon], {
        radius: 4 + Math.min(s.cut_db, 20) / 2, color: '#1b1f24', weight: 1.5,
        fillColor: s.cut_db > 0 ? '#D55E00' : '#ffffff', fillOpacity: 0.9, interactive: false
      }).bindTooltip(s.label, {direction: 'top'}).addTo(map);
    });
    maps.push(map);
  });
  var syncing = false;
  maps.forEach(function (m) {
    m.on('moveend', function () {
      if (syncing) { return; }
      syncing = true;
      maps.forEach(function (o) { if (o !== m) { o.setView(m.getCenter(), m.getZoom(), {animate: false}); } });
      syncing = false;
    });
  });
}());
