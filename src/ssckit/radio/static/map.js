/* The interactive coverage map of /radio: coverage tiles, the city's areas, sites and sector
 * wedges, a layer switcher (the page's radio buttons), a legend, and the values of a place on a
 * click or, with the keyboard, on Enter at the centre of the map. Everything it needs comes from
 * the JSON block #radio-map-config; the texts in it are already in the reader's language. */
(function () {
  'use strict';
  var cfgEl = document.getElementById('radio-map-config');
  var el = document.getElementById('radio-map');
  if (!cfgEl || !el) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.text;
  if (!window.L) { el.textContent = T.no_leaflet; return; }

  var lang = document.documentElement.lang || 'en';
  var fmt = function (v, digits) {
    return new Intl.NumberFormat(lang, {maximumFractionDigits: digits}).format(v);
  };
  var readout = document.getElementById('radio-map-readout');
  var map = L.map(el, {attributionControl: false, zoomControl: false, keyboard: true,
                       maxZoom: cfg.max_zoom, zoomSnap: 0.5});
  L.control.zoom({zoomInTitle: T.zoom_in, zoomOutTitle: T.zoom_out}).addTo(map);
  var bounds = L.latLngBounds(cfg.bounds);
  map.fitBounds(bounds);

  var tiles = {};
  Object.keys(cfg.layers).forEach(function (key) {
    tiles[key] = L.tileLayer(cfg.layers[key].tiles, {
      bounds: bounds, tileSize: 256, maxZoom: cfg.max_zoom, opacity: 0.85,
      className: 'coverage-tiles', crossOrigin: false
    });
  });
  var current = null;
  function show(key) {
    if (!tiles[key]) { return; }
    if (current) { map.removeLayer(tiles[current]); }
    tiles[key].addTo(map);
    current = key;
    document.querySelectorAll('.map-legend').forEach(function (lg) {
      lg.hidden = lg.getAttribute('data-layer') !== key;
    });
    var img = document.querySelector('figure.map img');
    if (img) {
      img.src = '/radio/layers/' + key + '.png';
      var link = document.querySelector('figure.map a');
      if (link) { link.href = '/api/v1/radio/layers/' + key + '.tif'; link.textContent = key + '.tif'; }
    }
  }
  show(cfg.layer);
  var form = document.getElementById('radio-layer-form');
  if (form) {
    form.addEventListener('change', function (ev) {
      if (ev.target && ev.target.name === 'layer') {
        show(ev.target.value);
        var url = new URL(window.location.href);
        url.searchParams.set('layer', ev.target.value);
        window.history.replaceState(null, '', url.toString());
      }
    });
  }

  function getJSON(url) {
    return fetch(url, {headers: {Accept: 'application/json'}}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
    });
  }
  getJSON(cfg.areas_url).then(function (res) {
    if (!res.ok) { return; }
    L.geoJSON(res.body, {
      interactive: false,
      style: function (f) {
        return f.properties.kind === 'boundary'
          ? {color: '#1b1f24', weight: 2.5, fill: false}
          : {color: '#1b1f24', weight: 1, dashArray: '4 3', fill: false};
      }
    }).addTo(map);
  });
  getJSON(cfg.sites_url).then(function (res) {
    if (!res.ok) { return; }
    L.geoJSON(res.body, {
      interactive: false,
      style: function () {
        return {color: '#1b1f24', weight: 0.8, fillColor: '#ffffff', fillOpacity: 0.8};
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 3.5, color: '#ffffff', weight: 1,
                                       fillColor: '#1b1f24', fillOpacity: 1});
      }
    }).addTo(map);
  });

  if (cfg.drive_url) {
    getJSON(cfg.drive_url).then(function (res) {
      if (!res.ok) { return; }
      var layer = L.geoJSON(res.body, {
        pointToLayer: function (f, latlng) {
          var p = f.properties;
          return L.circleMarker(latlng, {radius: 4, color: '#1b1f24', weight: 0.8, className: 'drive-point',
                                         fillColor: p.colour, fillOpacity: 0.95})
            .bindTooltip(T.drive_point.replace('{m}', fmt(p.measured_dbm, 1))
                           .replace('{p}', fmt(p.predicted_dbm, 1))
                           .replace('{d}', fmt(p.error_db, 1)));
        }
      }).addTo(map);
      var toggle = document.getElementById('drive-toggle');
      if (toggle) {
        toggle.disabled = false;
        toggle.addEventListener('change', function () {
          if (toggle.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
        });
      }
    });
  }

  function row(dl, label, value) {
    var dt = document.createElement('dt'); dt.textContent = label;
    var dd = document.createElement('dd'); dd.textContent = value;
    dl.appendChild(dt); dl.appendChild(dd);
    dl.spoken.push(label + ': ' + value);
  }
  function describe(v) {
    var box = document.createElement('div');
    box.className = 'map-popup';
    var head = document.createElement('p');
    head.textContent = T.values_at.replace('{lat}', fmt(v.lat, 5)).replace('{lon}', fmt(v.lon, 5));
    box.appendChild(head);
    var dl = document.createElement('dl');
    dl.spoken = [];
    var none = T.none;
    row(dl, T.rsrp, v.rsrp_dbm === null ? none : fmt(v.rsrp_dbm, 1) + ' dBm');
    row(dl, T.sinr, v.sinr_db === null ? none : fmt(v.sinr_db, 1) + ' dB');
    row(dl, T.server, v.server === null ? none
      : (v.site !== null ? T.site + ' ' + v.site + ', ' + T.sector + ' ' + v.sector
                         : '#' + v.server));
    row(dl, T.throughput, v.throughput_mbps === null ? none : fmt(v.throughput_mbps, 0) + ' Mbit/s');
    if (v.covered !== null) { row(dl, T.covered, v.covered ? T.yes : T.no); }
    box.appendChild(dl);
    box.spoken = head.textContent + ': ' + dl.spoken.join('; ') + '.';
    return box;
  }
  var popup = L.popup({maxWidth: 320, autoPanPadding: [20, 20]});
  function query(latlng) {
    popup.setLatLng(latlng).setContent(T.loading).openOn(map);
    var url = cfg.point_url + '?lat=' + latlng.lat.toFixed(6) + '&lon=' + latlng.lng.toFixed(6);
    getJSON(url).then(function (res) {
      var content;
      if (res.ok) {
        content = describe(res.body);
      } else {
        content = document.createElement('p');
        content.textContent = res.status === 404 ? T.outside : T.failed;
      }
      popup.setContent(content);
      if (readout) { readout.textContent = content.spoken || content.textContent; }
    }).catch(function () {
      popup.setContent(T.failed);
      if (readout) { readout.textContent = T.failed; }
    });
  }
  map.on('click', function (e) { query(e.latlng); });
  el.addEventListener('keydown', function (ev) {
    if (ev.target !== el) { return; }
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      query(map.getCenter());
    }
  });
  map.on('popupclose', function () { if (document.activeElement === document.body) { el.focus(); } });
})();
