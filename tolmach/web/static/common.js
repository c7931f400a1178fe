// Shared by every page: the API wrapper, safe DOM building, time formatting and the notice banner.
//
// Transcript text is untrusted (it comes from a speech model fed with anyone's video), so nothing here
// ever puts data into innerHTML: el() sets textContent and appends nodes.
'use strict';

(function () {
  const MUTATIONS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  // An API failure carrying the server's {"error", "hint"}; its message reads "error (hint)". body is
  // the whole answer: a 409 on a line carries the line as stored, for the page to show.
  class ApiError extends Error {
    constructor(status, error, hint, body) {
      super(hint ? `${error} (${hint})` : error);
      this.status = status;
      this.error = error;
      this.hint = hint || '';
      this.body = body || {};
    }
  }

  async function errorOf(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      // not JSON (a proxy's error page, say): fall back to the status line
    }
    if (body && typeof body.error === 'string') {
      return new ApiError(response.status, body.error, body.hint, body);
    }
    return new ApiError(response.status, `${response.status} ${response.statusText}`.trim(), '');
  }

  // fetch() for our JSON API: sends the CSRF header on mutations, throws ApiError on a 4xx/5xx.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (MUTATIONS.has(method)) headers['X-CSRF-Token'] = csrfToken();
    const init = { method, headers, credentials: 'same-origin' };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      // the session ended (server restarted, token changed): log in again and come back here
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.hash)}`);
    }
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return null;
    return response.json();
  }

  // Build an element. attrs: attributes, plus the properties in PROPS; content: a string (set as
  // textContent, so markup in it stays text) or a list of nodes and strings.
  const PROPS = new Set(['checked', 'value', 'disabled', 'hidden', 'indeterminate', 'selected']);
  function el(tag, attrs, content) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (PROPS.has(name)) node[name] = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    if (typeof content === 'string' || typeof content === 'number') {
      node.textContent = String(content);
    } else if (Array.isArray(content)) {
      for (const child of content) {
        if (child === null || child === undefined || child === false) continue;
        node.append(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    }
    return node;
  }

  // Spans as the search API returns them, [[piece, matched], ...], as text with <mark>ed matches.
  function marked(tag, spans, attrs) {
    const pieces = spans.map(([piece, hit]) => (hit ? el('mark', {}, piece) : piece));
    return el(tag, attrs, pieces);
  }

  function pad(n, width) {
    return String(n).padStart(width, '0');
  }

  // 3042 -> "0:03.0"; the tenth of a second is what a translator needs to find a line.
  function clock(ms, digits) {
    const places = digits === undefined ? 1 : digits;
    const total = Math.max(0, ms) / 1000;
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = (total % 60).toFixed(places);
    const sec = s.padStart(places ? places + 3 : 2, '0');
    return h ? `${h}:${pad(m, 2)}:${sec}` : `${m}:${sec}`;
  }

  // "1:02.5", "62.5", "0:01:02.500" -> 62500; NaN when it is not a time.
  function parseClock(text) {
    const parts = text.trim().split(':');
    if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return NaN;
    const seconds = parts.reduce((acc, p) => acc * 60 + Number(p), 0);
    return Math.round(seconds * 1000);
  }

  // 95000 -> "1:35" for tables; no fractions.
  function duration(ms) {
    if (!ms && ms !== 0) return '';
    const total = Math.round(ms / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    return h ? `${h}:${pad(m, 2)}:${pad(total % 60, 2)}` : `${m}:${pad(total % 60, 2)}`;
  }

  // The one banner at the top of the page: errors stay until closed, other notes fade.
  let noticeTimer = 0;
  function notify(message, kind) {
    const box = document.getElementById('notice');
    if (!box) return;
    const close = el('button', { type: 'button', class: 'notice-close', 'aria-label': 'Close' }, '×');
    const hide = () => {
      box.hidden = true;
    };
    close.addEventListener('click', hide);
    box.className = `notice ${kind || 'info'}`;
    box.replaceChildren(el('span', {}, message), close);
    box.hidden = false;
    clearTimeout(noticeTimer);
    if (kind !== 'error') noticeTimer = setTimeout(hide, 4000);
  }

  function showError(err) {
    notify(err instanceof Error ? err.message : String(err), 'error');
  }

  // Short IDs as in the CLI; the API accepts any unique prefix.
  function shortId(id) {
    return String(id || '').slice(0, 12);
  }

  window.tolmach = { api, ApiError, el, marked, clock, parseClock, duration, notify, showError, shortId };
})();
