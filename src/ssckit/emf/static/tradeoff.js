/* The two maps of /emf/tradeoff (Leaflet): RSRP at full power and with the cuts, the city's
 * areas and the sites (a larger circle for a larger cut); moving one map moves the other.
 * Everything comes from the JSON block #tradeoff-map-config, texts already translated. */
(function () {
  'use strict';
  var cfgEl = document.getElementById('tradeoff-map-config');
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var boxes = document.querySelectorAll('.tradeoff-map-box');
  if (!window.L) {
    boxes.forEach(function (el) { el.textContent = cfg.text.no_leaflet; });
    return;
  }
  var bounds = L.latLngBounds(cfg.bounds);
  var maps = [];
  var areas = fetch(cfg.areas_url, {headers: {Accept: 'application/json'}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .catch(function () { return null; });
  boxes.forEach(function (el) {
    var map = L.map(el, {attributionControl: false, zoomControl: false, keyboard: true,
                         maxZoom: cfg.max_zoom, zoomSnap: 0.5});
    L.control.zoom({zoomInTitle: cfg.text.zoom_in, zoomOutTitle: cfg.text.zoom_out}).addTo(map);
    map.fitBounds(bounds);
    L.tileLayer(cfg.tiles[el.getAttribute('data-state')], {
      bounds: bounds, tileSize: 256, maxZoom: cfg.max_zoom, opacity: 0.85,
      className: 'coverage-tiles'
    }).addTo(map);
    areas.then(function (fc) {
      if (!fc) { return; }
      L.geoJSON(fc, {
        interactive: false,
        filter: function (f) { return f.properties.kind === 'boundary' || f.properties.kind === 'district'; },
        style: function (f) {
          return f.properties.kind === 'boundary'
            ? {color: '#1b1f24', weight: 2.5, fill: false}
            : {color: '#1b1f24', weight: 1, dashArray: '4 3', fill: false};
        }
      }).addTo(map);
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
