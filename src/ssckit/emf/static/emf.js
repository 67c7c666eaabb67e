/* The public EMF map of /emf (Leaflet): exposure tiles in bands of % of the limit over the
 * city's own layers (boundary, districts, river, roads, buildings), antenna sites with the
 * non-compliant ones drawn on top, and the exposure of a place on a click or, with the
 * keyboard, on Enter at the centre of the map. Everything it needs comes from the JSON block
 * #emf-map-config; its texts are already in the reader's language. */
(function () {
  'use strict';
  var el = document.getElementById('emf-map');
  var cfg = window.ssckitCityMap && ssckitCityMap.config('emf-map-config', el ? [el] : []);
  if (!cfg) { return; }
  var T = cfg.text;

  var lang = document.documentElement.lang || 'en';
  function pct(p) {
    if (p < 0.01) { return T.less_than.replace('{p}', new Intl.NumberFormat(lang).format(0.01)); }
    var opts = p < 1 ? {maximumSignificantDigits: 2}
      : {maximumFractionDigits: p < 10 ? 1 : 0};
    return new Intl.NumberFormat(lang, opts).format(p) + ' %';
  }
  var bounds = L.latLngBounds(cfg.bounds);
  var map = cfg.focus
    ? ssckitCityMap.create(el, cfg, [[cfg.focus[0], cfg.focus[1]], [cfg.focus[2], cfg.focus[3]]],
                           {maxZoom: 16})
    : ssckitCityMap.create(el, cfg);
  map.createPane('areas').style.zIndex = 350;
  map.createPane('sitesOk').style.zIndex = 620;
  map.createPane('sitesBad').style.zIndex = 660;  // over the place names (650)
  L.tileLayer(cfg.tiles, {bounds: bounds, tileSize: 256, maxZoom: cfg.max_zoom,
                          className: 'exposure-tiles'}).addTo(map);

  function getJSON(url) {
    return fetch(url, {headers: {Accept: 'application/json'}}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
    });
  }
  ssckitCityMap.addAreas(map, cfg.areas_url, {pane: 'areas'});
  // A non-compliant site's words go on the side of the map with more room, so they stay in view.
  var badMarkers = [];
  function placeWords() {
    var half = map.getSize().x / 2;
    badMarkers.forEach(function (m) {
      var x = map.latLngToContainerPoint(m.getLatLng()).x;
      m.getElement().classList.toggle('site-bad-left', x > half);
    });
  }
  map.on('zoomend moveend resize', placeWords);
  getJSON(cfg.sites_url).then(function (res) {
    if (!res.ok) { return; }
    res.body.features.forEach(function (f) {
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var p = f.properties;
      if (p.compliant) {
        L.circleMarker(ll, {pane: 'sitesOk', radius: 5, color: '#ffffff', weight: 1.5,
                            fillColor: '#1b1f24', fillOpacity: 1, interactive: false,
                            className: 'site-ok'}).addTo(map);
      } else {
        var icon = L.divIcon({className: 'site-bad', iconSize: null, iconAnchor: [11, 11],
                              html: '<span class="site-bad-mark">!</span>' +
                                    '<span class="site-bad-text"></span>'});
        var m = L.marker(ll, {pane: 'sitesBad', icon: icon, interactive: false,
                              keyboard: false}).addTo(map);
        var text = m.getElement().querySelector('.site-bad-text');
        text.textContent = T.site + ' ' + p.site + ': ' + T.not_compliant + ' (' +
          p.percent_text + ')';
        m.getElement().setAttribute('data-site', p.site);
        badMarkers.push(m);
      }
    });
    placeWords();
  });

  // Measurements of the register (lab reports, probes) beside the prediction, in plain words;
  // the ones above the prediction drawn last, on top.
  if (el.dataset.measurementsUrl) {
    map.createPane('measurements').style.zIndex = 640;
    getJSON(el.dataset.measurementsUrl).then(function (res) {
      if (!res.ok) { return; }
      res.body.features.forEach(function (f) {
        var p = f.properties;
        var icon = L.divIcon({className: 'measure-mark' +
                                (p.kind === 'probe' ? ' measure-probe' : '') +
                                (p.exceeds_prediction ? ' measure-high' : ''),
                              iconSize: [18, 18], iconAnchor: [9, 9], html: ''});
        // A click on the marker shows its words; keyboard and screen-reader users reach the
        // same words through the list below the map (its "show on the map" buttons), since
        // markers a few metres apart cannot each be a 24 px target at city scale.
        var m = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]],
                         {pane: 'measurements', icon: icon, keyboard: false}).addTo(map);
        var box = document.createElement('div');
        var h = document.createElement('p'); h.className = 'measure-title';
        h.textContent = p.title;
        var s = document.createElement('p'); s.textContent = p.summary;
        box.appendChild(h); box.appendChild(s);
        m.bindPopup(box, {maxWidth: 280, autoPanPadding: [20, 20]});
        var mark = m.getElement();
        mark.setAttribute('aria-hidden', 'true');
        mark.setAttribute('data-measurement', p.id);
        measureMarkers[p.id] = m;
      });
      var list = document.querySelector('ul.measurements');
      if (!list) { return; }
      list.querySelectorAll('li[data-measurement]').forEach(function (li) {
        var m = measureMarkers[li.dataset.measurement];
        if (!m) { return; }
        var b = document.createElement('button');
        b.type = 'button'; b.className = 'measure-show'; b.textContent = list.dataset.show;
        b.setAttribute('aria-describedby', li.querySelector('strong').id);
        b.addEventListener('click', function () {
          el.scrollIntoView({block: 'nearest'});
          map.setView(m.getLatLng(), Math.max(map.getZoom(), 16));
          m.openPopup();
        });
        li.appendChild(document.createTextNode(' '));
        li.appendChild(b);
      });
    });
  }
  var measureMarkers = {};

  // Measurements residents asked for, published with their consent (ssckit.emf.requests).
  if (cfg.requests_url) {
    getJSON(cfg.requests_url).then(function (res) {
      if (!res.ok) { return; }
      if (!map.getPane('measurements')) { map.createPane('measurements').style.zIndex = 640; }
      res.body.features.forEach(function (f) {
        var p = f.properties;
        // 24 px: a target of its own size (WCAG 2.2, 2.5.8), opened with a click or Enter.
        var icon = L.divIcon({className: 'measure-mark', iconSize: [24, 24],
                              iconAnchor: [12, 12], html: 'R'});
        var m = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]],
                         {pane: 'measurements', icon: icon, keyboard: true}).addTo(map);
        var box = document.createElement('div');
        var h = document.createElement('p'); h.className = 'measure-title';
        h.textContent = T.requested;
        var s = document.createElement('p'); s.textContent = p.text;
        box.appendChild(h); box.appendChild(s);
        m.bindPopup(box, {maxWidth: 280, autoPanPadding: [20, 20]});
        var mark = m.getElement();
        mark.setAttribute('role', 'button');
        mark.setAttribute('aria-label', T.requested + ': ' + p.text);
        mark.setAttribute('data-request', p.ref);
      });
    });
  }

  function show(data) {
    var box = document.getElementById('point-result');
    var t = box.dataset;
    box.textContent = '';
    var div = document.createElement('div');
    div.className = data.compliant ? 'result result-ok' : 'result result-bad';
    var big = document.createElement('p'); big.className = 'big'; big.textContent = data.summary;
    div.appendChild(big);
    var table = document.createElement('table');
    var cap = table.createCaption(); cap.textContent = t.caption;
    var head = table.createTHead().insertRow();
    [t.site, t.distance, t.share].forEach(function (h, i) {
      var th = document.createElement('th'); th.scope = 'col'; th.textContent = h;
      if (i) { th.className = 'num'; }
      head.appendChild(th);
    });
    var body = table.createTBody();
    data.contributions.forEach(function (c) {
      var tr = body.insertRow();
      tr.insertCell().textContent = c.site;
      var d = tr.insertCell(); d.className = 'num';
      d.textContent = new Intl.NumberFormat(lang).format(Math.round(c.distance_m)) + ' ' + t.m;
      var s = tr.insertCell(); s.className = 'num'; s.textContent = pct(c.percent_of_limit);
    });
    div.appendChild(table);
    var muted = document.createElement('p'); muted.className = 'muted';
    muted.textContent = t.assumptions + ' ' + data.assumptions.join('; ') + '.';
    div.appendChild(muted);
    box.appendChild(div);
  }
  var popup = L.popup({maxWidth: 280, autoPanPadding: [20, 20]});
  function query(latlng) {
    popup.setLatLng(latlng).setContent(T.loading).openOn(map);
    var lat = latlng.lat.toFixed(6), lon = latlng.lng.toFixed(6);
    getJSON(cfg.point_url + '?lat=' + lat + '&lon=' + lon).then(function (res) {
      var p = document.createElement('p');
      if (res.ok) {
        p.textContent = res.body.summary;
        show(res.body);
        var la = document.getElementById('lat'), lo = document.getElementById('lon');
        if (la && lo) { la.value = lat; lo.value = lon; }
      } else {
        p.textContent = typeof res.body.detail === 'string' ? res.body.detail : T.failed;
        document.getElementById('point-result').textContent = p.textContent;
      }
      popup.setContent(p);
    }).catch(function () {
      popup.setContent(T.failed);
      document.getElementById('point-result').textContent = T.failed;
    });
  }
  map.on('click', function (e) { query(e.latlng); });
  el.addEventListener('keydown', function (ev) {
    if (ev.target !== el) { return; }
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); query(map.getCenter()); }
  });
  if (cfg.marker) {
    L.circleMarker(cfg.marker, {radius: 8, color: '#1b1f24', weight: 3, fill: false,
                                interactive: false}).addTo(map);
    if (!cfg.focus) { map.setView(cfg.marker, Math.max(map.getZoom(), 15)); }
  }
})();
