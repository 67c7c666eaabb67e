/* The map of the measurement request form (/emf/request): a click (or Enter, at the centre of
 * the map) on the city's own layers chooses the place to measure and fills the latitude and
 * longitude fields; the form works without it (place search, typed coordinates). */
(function () {
  'use strict';
  var cfgEl = document.getElementById('request-map-config');
  var el = document.getElementById('request-map');
  if (!cfgEl || !el) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.text;
  if (!window.L) { el.textContent = T.no_leaflet; return; }
  var lat = document.getElementById('lat'), lon = document.getElementById('lon');
  var said = document.getElementById('request-map-chosen');
  var map = L.map(el, {attributionControl: false, zoomControl: false, keyboard: true,
                       maxZoom: cfg.max_zoom, zoomSnap: 0.5});
  L.control.zoom({zoomInTitle: T.zoom_in, zoomOutTitle: T.zoom_out}).addTo(map);
  map.fitBounds(cfg.bounds);
  var styles = {
    boundary: {color: '#1b1f24', weight: 2.5, fill: false},
    district: {color: '#1b1f24', weight: 1, dashArray: '4 3', fill: false},
    river: {color: '#2b6cb0', weight: 4, opacity: 0.8, fill: false},
    roads: {color: '#57606a', weight: 2, fill: false},
    buildings: {color: '#57606a', weight: 0.5, fillColor: '#8c959f', fillOpacity: 0.5}
  };
  fetch(cfg.areas_url, {headers: {Accept: 'application/json'}}).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (fc) {
    if (!fc) { return; }
    L.geoJSON(fc, {
      interactive: false,
      style: function (f) { return styles[f.properties.kind] || styles.district; },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {radius: 3, color: '#1b1f24', fillColor: '#fff',
                                   fillOpacity: 1, weight: 1, interactive: false});
      },
      onEachFeature: function (f, layer) {
        var k = f.properties.kind;
        if (f.properties.name && (k === 'district' || k === 'places' || k === 'river')) {
          layer.bindTooltip(f.properties.name, {permanent: true, direction: 'center',
                                                className: 'place-label', interactive: false});
        }
      }
    }).addTo(map);
  });
  var marker = null;
  function choose(ll) {
    var la = ll.lat.toFixed(6), lo = ll.lng.toFixed(6);
    lat.value = la; lon.value = lo;
    if (marker) { marker.setLatLng(ll); } else {
      marker = L.circleMarker(ll, {radius: 9, color: '#1b1f24', weight: 3, fillColor: '#b3480b',
                                   fillOpacity: 0.6, interactive: false}).addTo(map);
    }
    said.textContent = T.chosen.replace('{lat}', la).replace('{lon}', lo);
  }
  var la0 = parseFloat(lat.value), lo0 = parseFloat(lon.value);
  if (isFinite(la0) && isFinite(lo0)) {
    choose(L.latLng(la0, lo0));
    map.setView([la0, lo0], Math.max(map.getZoom(), 15));
  }
  map.on('click', function (e) { choose(e.latlng); });
  el.addEventListener('keydown', function (ev) {
    if (ev.target !== el) { return; }
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); choose(map.getCenter()); }
  });
})();
