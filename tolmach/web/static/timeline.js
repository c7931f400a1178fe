// The review page's timeline under the video: the clip's waveform (GET .../peaks, docs/FORMATS.md
// "Waveform peaks"), every line a region labelled with its number and speaker, and the playhead. It
// zooms from the whole clip to about 5 s, scrolls, seeks and selects on a click, and retimes lines: a
// region's edge dragged, or the picked edge nudged from the keyboard, is saved through the review
// page's own save path (review.js saveFields: the line's version, 409s, history and undo as for a form).
//
// Times are integer milliseconds. Drawing is in CSS pixels on a canvas sized in device pixels; the
// waveform is downsampled per device pixel (the loudest peak under it) and kept until the view
// changes, so a frame of playback only redraws the cheap parts. Nothing here writes HTML: labels are
// painted on the canvas, the rest is textContent.
'use strict';

(function () {
  const { clock, notify } = window.tolmach;
  const MIN_SPAN = 5000; // the closest zoom: about 5 s on screen
  const FIRST_SPAN = 120000; // a long clip opens on its first two minutes, not as a sliver a line
  const ZOOM = 1.5; // one step of + and -, the buttons and the wheel
  const SNAP_PX = 8; // an edge this near a neighbour's (less the rules' gap) goes there
  const EDGE_PX = 5; // how near an edge the pointer grabs it
  const NUDGE_MS = 100; // Shift+, and Shift+.
  const SAVE_AFTER_MS = 500; // a run of nudges is saved once it stops: one revision, not ten
  const TICKS = [100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5];
  // rows, in CSS pixels: the time ruler, the lines' labels, the waveform under them, the scrollbar
  const Y = { ruler: 18, label: 34, bottom: 108, bar: 113, barH: 8, height: 124 };

  // The TPK1 file: a 20-byte little-endian header, then one byte a window. null when it is not one.
  function parsePeaks(buffer) {
    if (buffer.byteLength < 20) return null;
    const data = new DataView(buffer);
    if (String.fromCharCode(...new Uint8Array(buffer, 0, 4)) !== 'TPK1') return null;
    const msPer = data.getUint32(4, true);
    const count = data.getUint32(8, true);
    if (!msPer || buffer.byteLength < 20 + count) return null;
    return { msPer, count, durationMs: data.getUint32(12, true), peaks: new Uint8Array(buffer, 20, count) };
  }

  async function loadPeaks(base) {
    const response = await fetch(`${base}/peaks`, { credentials: 'same-origin' });
    if (!response.ok) return null; // 404: a clip without sound; its lines are drawn all the same
    return parsePeaks(await response.arrayBuffer());
  }

  const seconds = (ms) => `${(ms / 1000).toFixed(3)} s`;

  function colours() {
    const css = getComputedStyle(document.documentElement);
    const get = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    return {
      ink: get('--ink', '#1d232a'),
      muted: get('--muted', '#5f6b76'),
      line: get('--line', '#d9dee3'),
      paper: get('--paper', '#fff'),
      accent: get('--accent', '#1f4e79'),
      doubt: get('--doubt', '#b26a00'),
      ok: get('--ok', '#2e6b3a'),
      bad: get('--bad', '#a12622'),
      wave: '#7d8a96',
    };
  }

  // options: base (the clip's API path), media, durationMs, frameMs, minGapMs, segments(), selected(),
  // select(index), follow() (keep the playhead in view while playing), save(n, fields) (a promise of
  // the stored segment; shows its own refusal).
  function createTimeline(root, options) {
    const canvas = root.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const spanText = root.querySelector('.timeline-span');
    const edgeText = root.querySelector('.timeline-edge');
    const media = options.media;
    const colour = colours();
    const view = { start: 0, span: 0 };
    const drafts = new Map(); // line ID -> {start, end}: shown while dragged or waiting to be saved
    let width = 0;
    let dpr = 1;
    let peaks = null;
    let columns = null; // the waveform per device pixel for `columnsKey`
    let columnsKey = '';
    let side = ''; // 'start' or 'end': the selected line's edge the keyboard nudges
    let drag = null;
    let frame = 0;
    let pending = null; // the line ID whose nudged times wait for SAVE_AFTER_MS
    let saveTimer = 0;
    let saving = Promise.resolve(); // saves go one after another, each on the version the last left

    const segments = () => options.segments();
    const total = () => {
      const last = segments().reduce((end, seg) => Math.max(end, seg.end), 0);
      const played = Number.isFinite(media.duration) ? media.duration * 1000 : 0;
      return Math.max(options.durationMs || 0, peaks ? peaks.durationMs : 0, played, last, 1000);
    };
    const x = (ms) => ((ms - view.start) / view.span) * width;
    const at = (px) => view.start + (px / width) * view.span;
    const times = (seg) => drafts.get(seg.id) || seg;
    const playhead = () => media.currentTime * 1000;

    let shownTotal = 0; // the length clampView last saw: a view of the whole clip stays whole as it grows
    function clampView() {
      const all = total();
      if (shownTotal && view.span >= shownTotal) view.span = all;
      shownTotal = all;
      view.span = Math.min(Math.max(view.span, Math.min(MIN_SPAN, all)), all);
      view.start = Math.min(Math.max(view.start, 0), all - view.span);
    }

    // Zoom by `factor` (over 1 zooms in) keeping `anchor` where it is on screen: the pointer for the
    // wheel, else the playhead when it is in view, else the middle.
    function zoom(factor, anchor) {
      const head = playhead();
      const inView = head >= view.start && head <= view.start + view.span;
      const fixed = anchor !== undefined ? anchor : inView ? head : view.start + view.span / 2;
      const share = (fixed - view.start) / view.span;
      view.span /= factor;
      clampView();
      view.start = fixed - share * view.span;
      clampView();
      draw();
    }

    function fit() {
      view.start = 0;
      view.span = total();
      draw();
    }

    function scrollBy(ms) {
      view.start += ms;
      clampView();
      redraw();
    }

    // while playing (or after a seek) the playhead stays in view: the view pages on as it leaves
    function keepPlayhead(always) {
      const head = playhead();
      if (drag || !(always || options.follow())) return;
      if (head < view.start || head > view.start + view.span * 0.95) {
        view.start = head - view.span * 0.1;
        clampView();
      }
    }

    // -- drawing -------------------------------------------------------------------------------------

    function resize() {
      dpr = window.devicePixelRatio || 1;
      width = Math.max(1, canvas.clientWidth);
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(Y.height * dpr);
      draw();
    }

    function redraw() {
      if (!frame) frame = requestAnimationFrame(draw);
    }

    function draw() {
      cancelAnimationFrame(frame);
      frame = 0;
      if (!view.span) {
        view.span = Math.min(total(), FIRST_SPAN);
      }
      clampView();
      if (!media.paused) keepPlayhead(false);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = colour.paper;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      drawWave();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawRuler();
      drawRegions();
      drawPlayhead();
      drawBar();
      canvas.dataset.start = String(Math.round(view.start));
      canvas.dataset.end = String(Math.round(view.start + view.span));
      spanText.textContent = `${(view.span / 1000).toFixed(1)} s of ${clock(total(), 0)} shown`;
      if (!media.paused) frame = requestAnimationFrame(draw);
    }

    function waveColumns() {
      const n = canvas.width;
      const key = `${n} ${view.start} ${view.span}`;
      if (key === columnsKey) return columns;
      const out = new Uint8Array(n);
      const per = view.span / n; // ms a column
      const { msPer, count } = peaks;
      for (let i = 0; i < n; i += 1) {
        const from = Math.floor((view.start + i * per) / msPer);
        const to = Math.min(count, Math.max(from + 1, Math.ceil((view.start + (i + 1) * per) / msPer)));
        let loudest = 0;
        for (let k = from; k < to; k += 1) if (peaks.peaks[k] > loudest) loudest = peaks.peaks[k];
        out[i] = loudest;
      }
      columns = out;
      columnsKey = key;
      return out;
    }

    // In device pixels, mirrored about the middle of the band, scaled to the clip's own loudest peak.
    function drawWave() {
      if (!peaks) return;
      const cols = waveColumns();
      const mid = ((Y.label + Y.bottom) / 2) * dpr;
      const half = ((Y.bottom - Y.label) / 2 - 2) * dpr;
      ctx.fillStyle = colour.wave;
      for (let i = 0; i < cols.length; i += 1) {
        if (!cols[i]) continue;
        const h = Math.max(1, Math.round((cols[i] / 255) * half));
        ctx.fillRect(i, mid - h, 1, 2 * h);
      }
    }

    function drawRuler() {
      const step = TICKS.find((t) => (t / view.span) * width >= 80) || TICKS[TICKS.length - 1];
      ctx.fillStyle = colour.muted;
      ctx.strokeStyle = colour.line;
      ctx.lineWidth = 1;
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      ctx.beginPath();
      ctx.moveTo(0, Y.ruler - 0.5);
      ctx.lineTo(width, Y.ruler - 0.5);
      for (let t = Math.ceil(view.start / step) * step; t <= view.start + view.span; t += step) {
        const px = Math.round(x(t)) + 0.5;
        ctx.moveTo(px, Y.ruler - 5);
        ctx.lineTo(px, Y.ruler);
        ctx.fillText(clock(t, step < 1000 ? 1 : 0), px + 3, Y.ruler / 2 - 1);
      }
      ctx.stroke();
    }

    // Each line a translucent box over the waveform: the selected one stronger, with its edges (the
    // picked one thick), a doubtful one amber, a reviewed one with a green foot; a time the page would
    // refuse is drawn red while it is dragged.
    function drawRegions() {
      const list = segments();
      const current = options.selected();
      const end = view.start + view.span;
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      list.forEach((seg, index) => {
        const t = times(seg);
        if (t.end < view.start || t.start > end) return;
        const x0 = x(t.start);
        const x1 = Math.max(x(t.end), x0 + 1);
        const refused = drafts.has(seg.id) && problem(index, t.start, t.end);
        const tint = refused ? colour.bad : seg.doubtful ? colour.doubt : colour.accent;
        ctx.globalAlpha = index === current ? 0.26 : 0.12;
        ctx.fillStyle = tint;
        ctx.fillRect(x0, Y.ruler, x1 - x0, Y.bottom - Y.ruler);
        ctx.globalAlpha = 1;
        ctx.fillRect(x0, Y.ruler, x1 - x0, seg.doubtful ? 3 : 1);
        if (seg.reviewed) {
          ctx.fillStyle = colour.ok;
          ctx.fillRect(x0, Y.bottom - 3, x1 - x0, 3);
        }
        ctx.save();
        ctx.beginPath();
        ctx.rect(x0, Y.ruler, x1 - x0, Y.label - Y.ruler);
        ctx.clip();
        ctx.fillStyle = colour.ink;
        const mark = seg.doubtful ? ' ?' : '';
        const label = `${seg.id}${seg.speaker ? ` ${seg.speaker}` : ''}${mark}`;
        ctx.fillText(label, x0 + 3, (Y.ruler + Y.label) / 2 + 1);
        ctx.restore();
        if (index === current) {
          const thick = (edge) => (side === edge ? 3 : 1.5);
          ctx.fillStyle = tint;
          ctx.fillRect(x0, Y.ruler, thick('start'), Y.bottom - Y.ruler);
          ctx.fillRect(x1 - thick('end'), Y.ruler, thick('end'), Y.bottom - Y.ruler);
        }
      });
    }

    function drawPlayhead() {
      const px = x(playhead());
      if (px < -1 || px > width + 1) return;
      ctx.fillStyle = colour.bad;
      ctx.fillRect(Math.round(px) - 0.75, 0, 1.5, Y.bottom);
      ctx.beginPath();
      ctx.moveTo(px - 5, 0);
      ctx.lineTo(px + 5, 0);
      ctx.lineTo(px, 6);
      ctx.fill();
    }

    function drawBar() {
      const all = total();
      ctx.fillStyle = colour.line;
      ctx.fillRect(0, Y.bar, width, Y.barH);
      ctx.fillStyle = view.span < all ? colour.muted : colour.line;
      const x0 = (view.start / all) * width;
      ctx.fillRect(x0, Y.bar, Math.max(12, (view.span / all) * width), Y.barH);
    }

    // -- timing ----------------------------------------------------------------------------------------

    // The archive's rule (archive/review.py, _check_times), said here before anything is sent: a line
    // starts before it ends, ends by the clip's end, and a side that moves outwards stays off its
    // neighbour (an overlap Whisper left never blocks a change that makes it smaller). A neighbour
    // waiting to be saved counts as wherever it is nearer.
    function problem(index, start, end) {
      const list = segments();
      const seg = list[index];
      const n = seg.id;
      if (start < 0 || start >= end) {
        return `line ${n} must start before it ends (${clock(start, 3)} – ${clock(end, 3)})`;
      }
      const clipEnd = options.durationMs;
      if (clipEnd > 0 && end > clipEnd) {
        return `line ${n} would end at ${seconds(end)}, after the clip ends (${seconds(clipEnd)})`;
      }
      const prev = list[index - 1];
      if (prev && start < seg.start) {
        const prevEnd = Math.max(prev.end, times(prev).end);
        if (start < prevEnd) {
          return (
            `line ${n} would start at ${seconds(start)}, before line ${prev.id} ends ` +
            `(${seconds(prevEnd)}): end line ${prev.id} earlier first`
          );
        }
      }
      const next = list[index + 1];
      if (next && end > seg.end) {
        const nextStart = Math.min(next.start, times(next).start);
        if (end > nextStart) {
          return (
            `line ${n} would end at ${seconds(end)}, after line ${next.id} starts ` +
            `(${seconds(nextStart)}): start line ${next.id} later first`
          );
        }
      }
      return '';
    }

    // Where a dragged edge goes: the pointer's time, or the neighbour's edge less the rules' minimum
    // gap when that is within SNAP_PX (Alt held: no snap).
    function snapped(index, edge, ms, free) {
      const list = segments();
      const value = Math.round(ms);
      if (free) return value;
      const neighbour = edge === 'start' ? list[index - 1] : list[index + 1];
      if (!neighbour) return value;
      const t = times(neighbour);
      const target = edge === 'start' ? t.end + options.minGapMs : t.start - options.minGapMs;
      return Math.abs(x(target) - x(value)) <= SNAP_PX ? target : value;
    }

    function pick(edge) {
      const index = options.selected();
      if (index < 0) {
        notify('Select a line first (J, K or a click), then [ or ] picks its start or end');
        return;
      }
      side = edge;
      const seg = segments()[index];
      const which = edge === 'start' ? 'Start' : 'End';
      edgeText.textContent = `${which} of line ${seg.id} picked: , and . move it a frame, with Shift 100 ms`;
      draw();
    }

    function nudge(step) {
      const index = options.selected();
      if (index < 0 || !side) {
        notify('Pick an edge first: [ for the start of the selected line, ] for its end');
        return;
      }
      const seg = segments()[index];
      const t = times(seg);
      const moved = { start: t.start, end: t.end };
      moved[side] = Math.round(t[side] + step);
      const why = problem(index, moved.start, moved.end);
      if (why) {
        notify(`Not changed: ${why}.`, 'error');
        return;
      }
      if (pending !== null && pending !== seg.id) flush();
      drafts.set(seg.id, moved);
      pending = seg.id;
      clearTimeout(saveTimer);
      saveTimer = setTimeout(flush, SAVE_AFTER_MS);
      const px = x(moved[side]);
      if (px < 0 || px > width) {
        view.start = moved[side] - view.span / 2;
        clampView();
      }
      draw();
    }

    function flush() {
      clearTimeout(saveTimer);
      if (pending === null) return;
      const id = pending;
      pending = null;
      saving = saving.then(() => commit(id));
    }

    // Save line `id`'s drafted times (only the sides that moved). A refusal is the review page's to
    // show; the draft goes either way, and the line is drawn as stored.
    async function commit(id) {
      const draft = drafts.get(id);
      const seg = segments().find((s) => s.id === id);
      if (!draft || !seg) return;
      const fields = {};
      if (draft.start !== seg.start) fields.start = draft.start;
      if (draft.end !== seg.end) fields.end = draft.end;
      try {
        if (Object.keys(fields).length) {
          const stored = await options.save(id, fields);
          const now = `${clock(stored.start, 3)} – ${clock(stored.end, 3)}`;
          notify(`Line ${id} now ${now} (History has undo)`, 'ok');
        }
      } catch (_) {
        // refused: save() said why
      } finally {
        if (drafts.get(id) === draft) drafts.delete(id);
        redraw();
      }
    }

    // -- pointer ---------------------------------------------------------------------------------------

    const pointerX = (event) => event.clientX - canvas.getBoundingClientRect().left;
    const pointerY = (event) => event.clientY - canvas.getBoundingClientRect().top;

    // the edge nearest the pointer within EDGE_PX, the selected line's first: {index, edge}
    function edgeAt(px) {
      let best = null;
      const current = options.selected();
      segments().forEach((seg, index) => {
        const t = times(seg);
        for (const edge of ['start', 'end']) {
          const d = Math.abs(x(t[edge]) - px) - (index === current ? 0.5 : 0);
          if (d <= EDGE_PX && (!best || d < best.d)) best = { index, edge, d };
        }
      });
      return best;
    }

    function lineAt(ms) {
      return segments().findIndex((seg) => seg.start <= ms && ms < seg.end);
    }

    function cursorFor(px, py) {
      if (py >= Y.bar - 2) return 'bar';
      if (py >= Y.ruler && py <= Y.bottom && edgeAt(px)) return 'edge';
      if (lineAt(at(px)) >= 0) return 'line';
      return view.span < total() ? 'pan' : '';
    }

    function onPointerDown(event) {
      if (event.button !== 0) return;
      const px = pointerX(event);
      const py = pointerY(event);
      canvas.setPointerCapture(event.pointerId);
      const kind = cursorFor(px, py);
      if (kind === 'bar') {
        drag = { kind: 'bar' };
        view.start = (px / width) * total() - view.span / 2;
        clampView();
        draw();
        return;
      }
      if (kind === 'edge') {
        const { index, edge } = edgeAt(px);
        if (index !== options.selected()) options.select(index);
        pick(edge);
        const from = times(segments()[index]); // with any nudge not saved yet
        drag = { kind: 'edge', index, edge, from: { start: from.start, end: from.end }, x0: px };
        return;
      }
      drag = { kind: 'pan', x0: px, start0: view.start, moved: false };
    }

    function onPointerMove(event) {
      const px = pointerX(event);
      if (!drag) {
        canvas.dataset.cursor = cursorFor(px, pointerY(event));
        return;
      }
      if (Math.abs(px - (drag.x0 || 0)) > 2) drag.moved = true;
      if (drag.kind === 'bar') {
        view.start = (px / width) * total() - view.span / 2;
      } else if (drag.kind === 'pan' && drag.moved) {
        canvas.dataset.cursor = 'panning';
        view.start = drag.start0 - ((px - drag.x0) / width) * view.span;
      } else if (drag.kind === 'edge' && drag.moved) {
        const moved = { ...drag.from };
        moved[drag.edge] = snapped(drag.index, drag.edge, at(px), event.altKey);
        drafts.set(segments()[drag.index].id, moved);
      }
      clampView();
      redraw();
    }

    function onPointerUp(event) {
      const done = drag;
      drag = null;
      if (!done) return;
      const px = pointerX(event);
      canvas.dataset.cursor = cursorFor(px, pointerY(event));
      if (done.kind === 'bar') return;
      if (done.kind === 'edge' && done.moved) {
        const seg = segments()[done.index];
        const t = times(seg);
        const why = problem(done.index, t.start, t.end);
        if (why) {
          drafts.delete(seg.id);
          notify(`Not saved: ${why}.`, 'error');
          draw();
          return;
        }
        if (pending === seg.id) pending = null; // this drag carries the nudges before it
        saving = saving.then(() => commit(seg.id));
        return;
      }
      if (done.moved) return; // a pan
      // a click: seek there, and select the line under it
      const ms = Math.min(Math.max(0, at(px)), total());
      const index = lineAt(ms);
      if (index >= 0 && index !== options.selected()) options.select(index);
      media.currentTime = ms / 1000;
      draw();
    }

    function onWheel(event) {
      const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? width : 1;
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault(); // not the browser's page zoom
        zoom(event.deltaY < 0 ? ZOOM : 1 / ZOOM, at(pointerX(event)));
        return;
      }
      if (view.span >= total()) return; // nothing to scroll: the pane scrolls instead
      event.preventDefault();
      const delta = Math.abs(event.deltaX) > Math.abs(event.deltaY) ? event.deltaX : event.deltaY;
      scrollBy(((delta * lines) / width) * view.span * 0.5);
    }

    // [ ] pick an edge; , . nudge it a frame, with Shift 100 ms; + - zoom. true when the key was ours.
    // Keys are matched by character, or by position on a layout whose character is no Latin letter
    // (Ukrainian and Russian ones type х ъ б ю there).
    function onKey(event) {
      const { key, code, shiftKey } = event;
      const place = (c) => code === c && !/^[a-z]$/i.test(key);
      if (!shiftKey && (key === '[' || place('BracketLeft'))) pick('start');
      else if (!shiftKey && (key === ']' || place('BracketRight'))) pick('end');
      else if (key === ',' || key === '<' || place('Comma')) nudge(-(shiftKey ? NUDGE_MS : options.frameMs));
      else if (key === '.' || key === '>' || place('Period')) nudge(shiftKey ? NUDGE_MS : options.frameMs);
      else if (key === '+' || key === '=' || code === 'NumpadAdd') zoom(ZOOM);
      else if (key === '-' || key === '_' || code === 'NumpadSubtract') zoom(1 / ZOOM);
      else return false;
      return true;
    }

    canvas.addEventListener('pointerdown', onPointerDown);
    canvas.addEventListener('pointermove', onPointerMove);
    canvas.addEventListener('pointerup', onPointerUp);
    canvas.addEventListener('pointercancel', () => {
      if (drag && drag.kind === 'edge') drafts.delete(segments()[drag.index].id);
      drag = null;
      redraw();
    });
    canvas.addEventListener('pointerleave', () => {
      if (!drag) canvas.dataset.cursor = '';
    });
    canvas.addEventListener('wheel', onWheel, { passive: false });
    root.querySelector('.zoom-in').addEventListener('click', () => zoom(ZOOM));
    root.querySelector('.zoom-out').addEventListener('click', () => zoom(1 / ZOOM));
    root.querySelector('.zoom-fit').addEventListener('click', fit);
    media.addEventListener('play', redraw);
    media.addEventListener('pause', redraw);
    media.addEventListener('seeked', () => {
      keepPlayhead(true);
      redraw();
    });
    media.addEventListener('loadedmetadata', redraw);
    new ResizeObserver(resize).observe(canvas);
    window.addEventListener('resize', resize); // a browser zoom changes devicePixelRatio
    canvas.dataset.waveform = 'loading';
    loadPeaks(options.base)
      .then((loaded) => {
        peaks = loaded;
        canvas.dataset.waveform = loaded ? 'drawn' : 'none';
        root.classList.toggle('no-wave', !loaded);
        draw();
      })
      .catch(() => {
        canvas.dataset.waveform = 'none';
      });
    resize();

    return { draw: redraw, onKey };
  }

  window.tolmach.createTimeline = createTimeline;
})();
