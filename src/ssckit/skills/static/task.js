// A practical task's scene: records what the person does as events and, at the task's
// submit button, sends them to the server, which scores them. Scoring never happens here.
(function () {
  'use strict';
  var form = document.getElementById('task-scene');
  if (!form) { return; }
  var out = document.getElementById('task-result');
  var events = [];
  var lastSet = {};
  var started = Date.now();

  function record(type, target, value) {
    var e = {type: type, target: target, t: Date.now() - started};
    if (value !== undefined) { e.value = value; }
    events.push(e);
    if (type === 'set') { lastSet[target] = value; }
  }

  // A text typed and not yet left (no change event) counts before a button press.
  function flushTexts() {
    form.querySelectorAll('input[data-event=set]').forEach(function (el) {
      var v = el.value.slice(0, 200);
      if ((lastSet[el.name] || '') !== v) { record('set', el.name, v); }
    });
  }

  form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  form.addEventListener('change', function (ev) {
    var el = ev.target;
    var kind = el.getAttribute('data-event');
    if (kind === 'set' && (lastSet[el.name] || '') !== el.value.slice(0, 200)) { record('set', el.name, el.value.slice(0, 200)); }
    else if (kind === 'check') { record('check', el.name, el.checked); }
    else if (kind === 'choose' && el.value !== '') { record('choose', el.name, el.value); }
  });
  form.addEventListener('click', function (ev) {
    var el = ev.target.closest('button[data-event=press]');
    if (!el) { return; }
    flushTexts();
    record('press', el.name);
    if (el.name === form.getAttribute('data-submit')) { send(); }
  });

  function send() {
    out.textContent = '';
    fetch(form.getAttribute('data-score-url'), {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', Accept: 'application/json',
                'X-CSRF-Token': form.getAttribute('data-csrf')},
      body: JSON.stringify({events: events})
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (res.ok) {
        out.textContent = form.getAttribute('data-result')
          .replace('{score}', res.body.score).replace('{max}', res.body.max_score);
        out.setAttribute('data-score', res.body.score);
        var next = document.getElementById('task-next');
        if (next) { next.hidden = false; next.focus(); }
      } else {
        out.textContent = form.getAttribute('data-error').replace('{detail}', res.body.detail);
      }
    });
  }
}());
