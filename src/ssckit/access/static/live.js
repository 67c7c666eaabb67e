// Live captions: finals appended (announced politely), the partial line replaced as it grows.
(function () {
  'use strict';
  const root = document.getElementById('live');
  if (!root) return;
  const finals = document.getElementById('finals');
  const partial = document.getElementById('partial');
  const status = document.getElementById('status');
  const review = document.getElementById('review');
  const lines = parseInt(root.dataset.lines, 10) || 3;
  let session = null;

  function trim() {
    while (finals.children.length > lines) finals.removeChild(finals.firstElementChild);
  }
  function reset(id) {
    session = id;
    finals.textContent = '';
    partial.textContent = '';
    review.hidden = true;
    review.textContent = '';
  }
  function onEvent(ev) {
    if (ev.session !== session) reset(ev.session);
    if (ev.kind === 'start') {
      status.textContent = root.dataset.waiting;
    } else if (ev.kind === 'partial') {
      partial.textContent = ev.text;
    } else if (ev.kind === 'final') {
      partial.textContent = '';
      if (ev.text) {
        const p = document.createElement('p');
        p.textContent = ev.text;
        p.dataset.seq = ev.seq;
        finals.appendChild(p);
        trim();
      }
      status.textContent = root.dataset.connected;
    } else if (ev.kind === 'end') {
      partial.textContent = '';
      status.textContent = root.dataset.ended;
      const a = document.createElement('a');
      a.href = root.dataset.review + encodeURIComponent(ev.stem);
      a.textContent = root.dataset.reviewLabel;
      review.appendChild(a);
      review.hidden = false;
    }
  }
  const source = new EventSource(root.dataset.events);
  source.onmessage = function (m) {
    try { onEvent(JSON.parse(m.data)); } catch (e) { /* a damaged line is skipped */ }
  };
  source.onerror = function () { status.textContent = root.dataset.lost; };
  source.onopen = function () { status.textContent = root.dataset.connected; };
}());
