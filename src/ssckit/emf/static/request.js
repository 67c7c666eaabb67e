/* The map of the measurement request form (/emf/request): a click (or Enter, at the centre of
 * the map) on the city's own layers chooses the place to measure and fills the latitude and
 * longitude fields; the form works without it (place search, typed coordinates). */
(function () {
  'use strict';
  var el = document.getElementById('request-map');
  var cfg = window.ssckitCityMap && ssckitCityMap.config('request-map-config', el ? [el] : []);
  if (!cfg) { return; }
  var T = cfg.text;
  var lat = document.getElementById('lat'), lon = document.getElementById('lon');
  var said = document.getElementById('request-map-chosen');
  var map = ssckitCityMap.create(el, cfg);
  ssckitCityMap.addAreas(map, cfg.areas_url);
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
