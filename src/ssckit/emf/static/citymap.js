/* What the EMF pages' Leaflet maps share (/emf, /emf/request, /emf/tradeoff): reading the page's
 * JSON config block, the map with translated zoom buttons and no attribution box (the layers
 * are the city's own), and the city's areas drawn from /api/v1/emf/areas.geojson (boundary,
 * districts, river, roads, buildings, place names). Loaded before the page's own script, it
 * defines window.ssckitCityMap. The config's fields come from _leaflet_config in emf/web.py:
 * bounds, max_zoom, areas_url and text.zoom_in, text.zoom_out, text.no_leaflet. */
(function () {
  'use strict';
  var AREA_STYLES = {
    boundary: {color: '#1b1f24', weight: 2.5, fill: false},
    district: {color: '#1b1f24', weight: 1, dashArray: '4 3', fill: false},
    river: {color: '#2b6cb0', weight: 4, opacity: 0.8, fill: false},
    roads: {color: '#57606a', weight: 2, fill: false},
    buildings: {color: '#57606a', weight: 0.5, fillColor: '#8c959f', fillOpacity: 0.5},
    places: {color: '#1b1f24', weight: 1}
  };
  var LABELLED = {district: true, places: true, river: true};

  /* The config of the JSON block #configId, or null when the page has none; when Leaflet
   * is missing, each of ``boxes`` says so (text.no_leaflet) and null is returned too. */
  function config(configId, boxes) {
    var cfgEl = document.getElementById(configId);
    if (!cfgEl || !boxes.length) { return null; }
    var cfg = JSON.parse(cfgEl.textContent);
    if (!window.L) {
      Array.prototype.forEach.call(boxes, function (el) { el.textContent = cfg.text.no_leaflet; });
      return null;
    }
    return cfg;
  }

  /* A map in ``el``: keyboard panning, translated zoom buttons, half zoom steps, up to
   * cfg.max_zoom, showing ``view`` (cfg.bounds when absent; fitBounds options ``fit``). */
  function create(el, cfg, view, fit) {
    var map = L.map(el, {attributionControl: false, zoomControl: false, keyboard: true,
                         maxZoom: cfg.max_zoom, zoomSnap: 0.5});
    L.control.zoom({zoomInTitle: cfg.text.zoom_in, zoomOutTitle: cfg.text.zoom_out}).addTo(map);
    map.fitBounds(view || cfg.bounds, fit);
    return map;
  }

  /* The city's areas (a promise of the FeatureCollection, or null when it cannot be read). */
  function fetchAreas(url) {
    return fetch(url, {headers: {Accept: 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  /* Draw the areas on ``map``, not clickable, with the names of districts, places and the
   * river; opts.pane: the pane to draw in; opts.kinds: only these kinds (all when absent);
   * opts.labels: false to leave the names out. */
  function drawAreas(map, fc, opts) {
    opts = opts || {};
    var pane = opts.pane ? {pane: opts.pane} : {};
    L.geoJSON(fc, L.extend({
      interactive: false,
      filter: opts.kinds ? function (f) { return opts.kinds.indexOf(f.properties.kind) >= 0; }
        : null,
      style: function (f) { return AREA_STYLES[f.properties.kind] || AREA_STYLES.district; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, L.extend({radius: 3, color: '#1b1f24',
                                                fillColor: '#ffffff', fillOpacity: 1,
                                                weight: 1, interactive: false}, pane));
      },
      onEachFeature: function (f, layer) {
        if (opts.labels !== false && f.properties.name && LABELLED[f.properties.kind]) {
          layer.bindTooltip(f.properties.name, {permanent: true, direction: 'center',
                                                className: 'place-label', interactive: false});
        }
      }
    }, pane)).addTo(map);
  }

  /* Fetch and draw the areas of cfg.areas_url on ``map`` (see drawAreas). */
  function addAreas(map, url, opts) {
    return fetchAreas(url).then(function (fc) { if (fc) { drawAreas(map, fc, opts); } });
  }

  window.ssckitCityMap = {config: config, create: create, fetchAreas: fetchAreas,
                          drawAreas: drawAreas, addAreas: addAreas};
}());
