// The review page: the clip playing beside its lines; every line editable, markable as reviewed, with
// its history and undo. The server is the truth: each save answers with the segment as stored, and
// that is what gets drawn. Every change names the line's version the page shows: when someone else
// changed the line since, the server refuses it (409) with the newer line, which the page shows beside
// the reviewer's unsaved text, never in place of it. "Translate again" asks the server's text engine
// for new English from the line's original as it stands; it is offered (highlighted) once the reviewer
// has corrected a line's original, and the new English shows which engine wrote it. The timeline under
// the video (timeline.js) retimes lines through this page's save path (saveFields), the listening
// tools (listen.js) play the selected line, and structure.js splits, merges, adds and deletes lines and
// takes the page's last change back (Ctrl+Z); signoff.js draws the sign-off panel (Approve, A) and the
// speakers' names, roles and legend, and gives a range of lines (Shift+J, Shift+K) to a speaker;
// marks.js marks a line unclear or inaudible (U, Shift+U) and draws its comment for the team (C). A
// line's number is its stable ID, not its place: the lines are kept in time order and found by number
// (1, 2, 6, 3 after a split of line 2).
'use strict';

(function () {
  const { api, el, clock, parseClock, duration, notify, showError } = window.tolmach;
  const EXPORTS = [
    ['Subtitles', ['en.srt', '{lang}.srt', 'en.vtt', '{lang}.vtt', 'ass']],
    ['Transcript', ['json', 'txt']],
    ['Publish', ['thread.txt', 'quotes.md', 'quotes.html', 'manifest.json']],
  ];
  const EDITABLE = ['speaker', 'start', 'end', 'mark', 'text', 'translation', 'notes', 'comment'];
  const OPTIONAL = new Set(['speaker', 'mark', 'comment']); // fields a line may lack: '' in the form

  const state = {
    id: '', // the clip ID as the URL gave it, then as the server gives it
    clip: null, // the clip's record, for the header
    language: '', // the spoken language, from the current run
    segments: [],
    index: -1, // the selected line (keyboard cursor, and the playing line while following)
    editing: -1, // the line whose edit form is open
    player: null,
    timeline: null, // timeline.js: the waveform and the lines as regions, redrawn after every change
    listening: null, // listen.js: speed, loop, the 2 s before the line
    structure: null, // structure.js: split, merge, add, delete, and Ctrl+Z
    signoff: null, // signoff.js: the review count, the label, Approve and Withdraw approval
    speakers: null, // signoff.js: the speakers' names and roles, the legend, lines given to a speaker
    marks: null, // marks.js: U, Shift+U mark a line unclear, inaudible; C its comment
    anchor: null, // the number of the line a Shift+J, Shift+K or Shift+click range started from
    corrected: new Set(), // lines whose original the reviewer saved here: "Translate again" is offered
    machine: new Map(), // line ID -> the engine that translated it again on this page
    translating: new Set(), // line IDs waiting for the engine: not editable until the English is in
  };

  const lines = () => document.getElementById('lines');
  const lineNode = (index) => lines().children[index];
  const editingForm = () => lineNode(state.editing).querySelector('form');
  const base = () => `/api/clips/${state.id}`;

  // -- header, player, exports, review state ------------------------------------------------------

  function renderHeader(clip) {
    document.title = `${clip.title || clip.filename} · tolmach`;
    document.getElementById('clip-title').textContent = clip.title || clip.filename;
    const count = `${state.segments.length} line${state.segments.length === 1 ? '' : 's'}`;
    const meta = [state.language, duration(clip.duration_ms), count, clip.place, clip.filmed];
    if (clip.title && clip.filename) meta.push(clip.filename);
    document.getElementById('clip-meta').textContent = meta.filter(Boolean).join(' · ');
  }

  function renderPlayer(clip, run) {
    state.player = window.tolmach.createPlayer(document.getElementById('player'), {
      base: base(),
      hasVideo: clip.has_video,
      language: state.language,
      button: document.getElementById('track-switch'),
      onTime: followPlayback,
    });
    const rules = (run && run.rules) || {};
    state.timeline = window.tolmach.createTimeline(document.getElementById('timeline'), {
      base: base(),
      media: state.player.media,
      durationMs: clip.duration_ms,
      frameMs: 1000 / (clip.fps || rules.fps || 25), // the video's frame; the rules' when there is none
      minGapMs: rules.min_gap_ms || 0,
      segments: () => state.segments,
      selected: () => state.index,
      select: (index) => select(index),
      follow: () => document.getElementById('follow').checked,
      save: saveFields,
    });
    state.listening = window.tolmach.createListening({
      player: state.player,
      line: () => state.segments[state.index] || null,
    });
    state.structure = window.tolmach.createStructure({
      base: base(),
      player: state.player,
      durationMs: clip.duration_ms,
      minGapMs: rules.min_gap_ms || 0,
      segments: () => state.segments,
      selected: () => state.index,
      editing: () => (state.editing >= 0 ? { index: state.editing, form: editingForm() } : null),
      saveOpen: saveInPlace,
      show: showLines,
      undone: showUndone,
      edit: (n) => startEdit(state.segments.findIndex((seg) => seg.id === n), 'text'),
      corrected: (n) => state.corrected.add(n),
    });
    state.signoff = window.tolmach.createSignoff({ base: base() });
    state.speakers = window.tolmach.createSpeakers({
      segments: () => state.segments,
      range,
      act: state.structure.act,
      selectedId: () => (state.index >= 0 ? state.segments[state.index].id : null),
    });
    state.marks = window.tolmach.createMarks({
      segments: () => state.segments,
      selected: () => state.index,
      patch: patchShown,
      edit: (index, field) => startEdit(index, field),
    });
    // audio has no picture to draw subtitles on, so the current line is shown under the player instead
    document.getElementById('caption').hidden = clip.has_video;
  }

  function renderExports() {
    const groups = EXPORTS.map(([heading, names]) =>
      el('div', { class: 'export-group' }, [
        el('span', { class: 'muted small' }, heading),
        ...names.map((pattern) => {
          const name = pattern.replace('{lang}', state.language);
          return el('a', { class: 'button small', href: `${base()}/export/${name}`, download: true }, name);
        }),
      ]),
    );
    document.getElementById('exports').replaceChildren(...groups);
  }

  // The label is the server's when the answer has one (the one the exports carry), so the page and the
  // files say the same; after a change, signoff.js writes it from the review state as the server does.
  function renderReview(data) {
    state.signoff.render(data.review, data.run && data.run.label ? data.run.label.translation : undefined);
  }

  // -- lines ---------------------------------------------------------------------------------------

  function confidence(seg) {
    const value = seg.confidence ? seg.confidence.avg_logprob : null;
    if (value === null || value === undefined) return null;
    // Whisper's own doubt threshold is -1.0; the meter turns amber below -0.5 and red below it
    return el('span', { class: 'confidence', title: `average log-probability ${value.toFixed(2)}` }, [
      el('meter', { min: -2, max: 0, low: -1, high: -0.5, optimum: 0, value: Math.max(-2, value) }),
      el('span', { class: 'small muted' }, value.toFixed(2)),
    ]);
  }

  function lineHead(seg) {
    const flags = seg.flags.length ? seg.flags.map((f) => f.kind) : seg.doubtful ? ['doubtful'] : [];
    return el('div', { class: 'line-head' }, [
      el('a', { class: 'num', href: `#line-${seg.id}`, title: 'link to this line' }, String(seg.id)),
      el('span', { class: 'time', 'data-field': 'start' }, `${clock(seg.start)} – ${clock(seg.end)}`),
      seg.speaker
        ? el('span', { class: 'speaker', 'data-field': 'speaker', title: seg.role || null }, seg.speaker)
        : null,
      confidence(seg),
      ...flags.map((kind) => el('span', { class: `flag flag-${kind}` }, kind)),
      window.tolmach.markBadge(seg),
      el('span', { class: 'spacer' }),
      el('label', { class: 'check reviewed-box' }, [
        el('input', { type: 'checkbox', class: 'reviewed-toggle', checked: seg.reviewed }),
        ' reviewed',
      ]),
      el('button', { type: 'button', class: 'quiet small edit' }, 'Edit'),
      el(
        'button',
        {
          type: 'button',
          class: `small retranslate${state.corrected.has(seg.id) ? ' suggested' : ' quiet'}`,
          title: 'Write the English again from the original as it stands now (T)',
        },
        'Translate again',
      ),
      el(
        'button',
        { type: 'button', class: 'quiet small history-toggle', 'aria-expanded': 'false' },
        'History',
      ),
    ]);
  }

  // the translator's notes the pipeline attached (slang, units, names it recognised); a wrong one can
  // be removed here or rewritten in the edit form, each a revision with undo
  function notesList(notes, removable = true) {
    if (!notes.length) return null;
    const remove = (i) =>
      el(
        'button',
        { type: 'button', class: 'quiet small note-remove', 'data-note': i, title: 'Remove this note' },
        'Remove',
      );
    const items = notes.map((note, i) => el('li', {}, removable ? [note, ' ', remove(i)] : note));
    return el('ul', { class: 'notes' }, items);
  }

  // Why the line is doubtful, one reason a row: a line check's finding can be dismissed (a revision
  // with the reviewer's name, kept for this text); the speech model's doubts are answered by listening
  // and ticking "reviewed". Dismissed findings stay listed, with a way to bring them back.
  const CHECK_KINDS = new Set([
    'untranslated', 'refusal', 'loop', 'number', 'name', 'negation', 'omission', 'addition', 'bleed', 'glossary',
  ]);

  function checksList(seg) {
    const dismissed = seg.dismissed || [];
    if (!seg.flags.length && !dismissed.length) return null;
    const open = seg.flags.map((flag, i) =>
      el('li', { class: `check-item flag-${flag.kind}` }, [
        el('span', { class: 'check-detail' }, flag.detail),
        CHECK_KINDS.has(flag.kind)
          ? el(
              'button',
              { type: 'button', class: 'quiet small dismiss', 'data-flag': i, title: 'The English is right here' },
              'Dismiss',
            )
          : null,
      ]),
    );
    const closed = dismissed.map((flag, i) =>
      el('li', { class: 'check-item dismissed muted' }, [
        el('span', { class: 'check-detail' }, `dismissed: ${flag.detail}`),
        el('button', { type: 'button', class: 'quiet small restore', 'data-flag': i }, 'Restore'),
      ]),
    );
    return el('ul', { class: 'checks', 'aria-label': 'Checks' }, [...open, ...closed]);
  }

  async function setDismissed(index, dismissed, message) {
    try {
      await patchLine(index, { dismissed: dismissed.map(({ kind, detail }) => ({ kind, detail })) });
      if (state.editing !== index) redrawLine(index);
      notify(message, 'ok');
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
    }
  }

  function dismiss(index, which) {
    const seg = state.segments[index];
    const flag = seg.flags[which];
    const id = seg.id;
    return setDismissed(index, [...(seg.dismissed || []), flag], `Check dismissed on line ${id} (History has undo)`);
  }

  function restore(index, which) {
    const seg = state.segments[index];
    const kept = (seg.dismissed || []).filter((_, i) => i !== which);
    return setDismissed(index, kept, `Check restored on line ${seg.id}`);
  }

  // N and P: the next and previous doubtful line, so what is flagged is found in seconds
  function nextDoubtful(step) {
    const count = state.segments.length;
    for (let k = 1; k <= count; k += 1) {
      const i = (((state.index < 0 ? (step > 0 ? -1 : 0) : state.index) + step * k) % count + count) % count;
      if (state.segments[i].doubtful) return select(i, { seek: true, focus: true, block: 'center' });
    }
    return notify('No doubtful lines', 'info');
  }

  function lineItem(seg) {
    const classes = ['line'];
    if (seg.doubtful) classes.push('doubtful');
    if (seg.reviewed) classes.push('is-reviewed');
    if (seg.mark) classes.push(`marked-${seg.mark}`); // app.css: an inaudible line's text is not published
    return el('li', { id: `line-${seg.id}`, class: classes.join(' '), tabindex: -1 }, [
      lineHead(seg),
      el('p', { class: 'orig', lang: state.language, 'data-field': 'text' }, seg.text),
      el('p', { class: 'en', lang: 'en', 'data-field': 'translation' }, seg.translation || ''),
      state.machine.has(seg.id)
        ? el('p', { class: 'en-by small muted' }, `English by ${state.machine.get(seg.id)}, just now`)
        : null,
      window.tolmach.commentLine(seg),
      checksList(seg),
      notesList(seg.notes),
      lineTools(),
      el('div', { class: 'history', hidden: true }),
    ]);
  }

  // shown on the selected line only (app.css): what structure.js does from the keys S, M, Shift+Delete
  function lineTools() {
    const button = (which, label, title) =>
      el('button', { type: 'button', class: `quiet small ${which}`, 'data-structure': which, title }, label);
    return el('div', { class: 'line-tools' }, [
      button('split', 'Split', 'Split the line in two at the playhead (S)'),
      button('merge', 'Merge with next', 'Join the next line to this one (M)'),
      button('delete', 'Delete', 'Delete the line (Shift+Delete); the notice and Ctrl+Z undo it'),
    ]);
  }

  // Every line again, as the server lists them after a split, merge, insert or delete or its undo: the
  // selection stays on line `keep` (its number), else moves to the line now at or after `at` ms; the
  // review count follows `review` when the answer has one, the speakers' legend `legend`.
  function showLines(segments, { keep, at, review, legend } = {}) {
    const was = state.index;
    state.segments = segments;
    state.editing = -1;
    state.index = -1;
    lines().replaceChildren(...segments.map(lineItem));
    renderHeader(state.clip);
    if (review) renderReview({ review });
    state.speakers.render(legend);
    let index = segments.findIndex((seg) => seg.id === keep);
    if (index < 0 && at !== undefined) index = segments.findIndex((seg) => seg.end > at);
    if (index < 0) index = Math.min(was, segments.length - 1);
    if (index >= 0) select(index, { focus: true });
    else state.timeline.draw();
  }

  // An undo's answer: every line when lines came or went (the undo of a split, say), else the one line.
  function showUndone(reply) {
    // before the line is drawn again: the English goes back to what it was, with no "English by" of its own
    if (reply.segment && reply.revision.field === 'translation') state.machine.delete(reply.segment.id);
    if (reply.segments) {
      const seg = state.segments[state.index];
      const keep = reply.segment ? reply.segment.id : seg && seg.id;
      showLines(reply.segments, { keep, at: seg ? seg.start : undefined });
    } else {
      const index = state.segments.findIndex((seg) => seg.id === reply.segment.id);
      if (index >= 0) {
        state.segments[index] = reply.segment;
        if (state.editing === index) state.editing = -1;
        redrawLine(index);
        state.timeline.draw();
        if (reply.revision.field === 'speaker' || reply.revision.field === 'role') state.speakers.render();
      }
    }
    state.player.refresh();
    renderReview({ review: reply.review });
  }

  function redrawLine(index) {
    const fresh = lineItem(state.segments[index]);
    const old = lineNode(index);
    fresh.classList.toggle('current', index === state.index);
    if (index === state.index) fresh.setAttribute('aria-current', 'true');
    const focused = old.contains(document.activeElement);
    old.replaceWith(fresh);
    if (focused) fresh.focus({ preventScroll: true });
    markRange();
    return fresh;
  }

  // The lines a Shift+J, Shift+K or Shift+click took in, from the anchor to the selected line in time
  // order: {first, last} by number, count, and lo and hi, their places; null when no line is selected.
  function range() {
    if (state.index < 0) return null;
    const from = state.segments.findIndex((seg) => seg.id === state.anchor);
    const lo = from < 0 ? state.index : Math.min(from, state.index);
    const hi = from < 0 ? state.index : Math.max(from, state.index);
    return { first: state.segments[lo].id, last: state.segments[hi].id, count: hi - lo + 1, lo, hi };
  }

  function markRange() {
    const taken = range();
    [...lines().children].forEach((node, i) => {
      node.classList.toggle('in-range', Boolean(taken && taken.count > 1 && taken.lo <= i && i <= taken.hi));
    });
    if (state.speakers) state.speakers.showRange();
  }

  // `extend`: the selection moves and the range grows from where it started (Shift+J, Shift+K,
  // Shift+click); any other selection ends the range
  function select(index, { seek = false, focus = false, block = 'nearest', extend = false } = {}) {
    if (index < 0 || index >= state.segments.length) return;
    if (!extend) state.anchor = null;
    else if (state.anchor === null && state.index >= 0) state.anchor = state.segments[state.index].id;
    const old = lineNode(state.index);
    if (old) {
      old.classList.remove('current');
      old.removeAttribute('aria-current');
    }
    state.index = index;
    const node = lineNode(index);
    node.classList.add('current');
    node.setAttribute('aria-current', 'true');
    node.scrollIntoView({ block });
    if (focus) node.focus({ preventScroll: true });
    if (seek) state.player.seek(state.segments[index].start);
    markRange();
    state.timeline.draw();
  }

  function lineAt(ms) {
    return state.segments.findIndex((seg) => seg.start <= ms && ms < seg.end);
  }

  // timeupdate moves the highlight while playing; a seek moves it even when paused
  function followPlayback(ms, seeked) {
    const index = lineAt(ms);
    const caption = document.getElementById('caption');
    if (!caption.hidden) caption.textContent = index >= 0 ? state.segments[index].translation || '' : '';
    if (index < 0 || index === state.index || state.editing >= 0) return;
    if (!document.getElementById('follow').checked || (state.player.media.paused && !seeked)) return;
    select(index);
  }

  // -- editing -------------------------------------------------------------------------------------

  // A field as the edit form shows it.
  function formValue(name, seg) {
    if (name === 'start' || name === 'end') return clock(seg[name], 3);
    if (name === 'notes') return seg.notes.join('\n');
    return seg[name] || '';
  }

  function editForm(seg) {
    const rows = (text) => Math.max(2, Math.ceil((text || '').length / 60));
    const input = (name, value, label, attrs) =>
      el('label', { class: `field field-${name}` }, [label, el('input', { name, value, ...attrs })]);
    const area = (name, value, label, lang) =>
      el('label', { class: `field field-${name}` }, [
        label,
        el('textarea', { name, rows: rows(value), lang }, value || ''),
      ]);
    return el('form', { class: 'edit-form' }, [
      el('div', { class: 'row' }, [
        input('speaker', formValue('speaker', seg), 'Speaker', { type: 'text', size: 8 }),
        input('start', formValue('start', seg), 'Start', { type: 'text', size: 9, inputmode: 'decimal' }),
        input('end', formValue('end', seg), 'End', { type: 'text', size: 9, inputmode: 'decimal' }),
        window.tolmach.markSelect(seg.mark),
      ]),
      area('text', formValue('text', seg), 'Original', state.language),
      area('translation', formValue('translation', seg), 'English', 'en'),
      area('notes', formValue('notes', seg), "Translator's notes (one a line; empty removes them)", 'en'),
      area('comment', formValue('comment', seg), 'Comment for the team (kept in the archive, not exported unless asked)'),
      el('div', { class: 'row' }, [
        el('button', { type: 'submit', class: 'primary small' }, 'Save and next'),
        el('button', { type: 'button', class: 'quiet small cancel' }, 'Cancel'),
        el('span', { class: 'muted small' }, 'Ctrl+Enter saves, Esc cancels'),
      ]),
    ]);
  }

  function startEdit(index, field = 'translation') {
    if (index < 0) return;
    if (state.translating.has(state.segments[index].id)) {
      notify(`Line ${state.segments[index].id} is being translated again: edit it once its English is in`);
      return;
    }
    if (state.editing >= 0 && state.editing !== index) cancelEdit();
    if (state.editing === index) return;
    select(index);
    state.editing = index;
    const node = lineNode(index);
    const form = editForm(state.segments[index]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      save(true);
    });
    form.querySelector('.cancel').addEventListener('click', cancelEdit);
    node.classList.add('editing');
    node.querySelector('.orig').replaceWith(form);
    node.querySelector('.en').remove();
    // the form has the notes and the comment, editable: one place to change them while it is open
    for (const shown of node.querySelectorAll('.notes, .comment')) shown.remove();
    const target = form.elements[field] || form.elements.translation;
    target.focus();
    target.setSelectionRange(target.value.length, target.value.length);
  }

  function cancelEdit() {
    const index = state.editing;
    if (index < 0) return;
    state.editing = -1;
    redrawLine(index).focus({ preventScroll: true });
  }

  // Only the fields that changed go to the server, so the history records just those.
  function changes(form, seg) {
    const body = {};
    for (const name of EDITABLE) {
      let value = form.elements[name].value;
      if (name === 'notes') {
        const notes = value.split('\n').map((note) => note.trim()).filter(Boolean);
        if (JSON.stringify(notes) !== JSON.stringify(seg.notes)) body.notes = notes;
        continue;
      }
      if (name === 'start' || name === 'end') {
        value = parseClock(value);
        if (Number.isNaN(value)) throw new Error(`${name} is not a time: write it as m:ss.mmm`);
      } else if (name !== 'text' && name !== 'translation') {
        value = value.trim();
      }
      const before = OPTIONAL.has(name) ? seg[name] || '' : seg[name];
      if (value !== before) body[name] = value;
    }
    return body;
  }

  // One PATCH of line `index`, made on the version the page shows; the reply is drawn as stored
  // (an edit of a reviewed line comes back unreviewed, and the count follows).
  async function patchLine(index, body) {
    const seg = state.segments[index];
    const reply = await api('PATCH', `${base()}/segments/${seg.id}`, { ...body, version: seg.version });
    state.segments[index] = reply.segment;
    state.structure.rememberEdit(reply, Object.keys(body));
    renderReview({ review: reply.review });
    if ('speaker' in body) state.speakers.render();
    state.timeline.draw();
    return reply;
  }

  // The timeline's save: fields of line `n` (its ID) in one PATCH on the version the page shows, the
  // line redrawn as stored and the tracks reloaded (the cues are built again under the rules). A
  // refusal is shown as a form save's is, then rethrown. An open form on the line keeps what the
  // reviewer typed; the fields they did not touch take the new values, so its save cannot undo this.
  async function saveFields(n, fields) {
    const index = state.segments.findIndex((seg) => seg.id === n);
    if (index < 0) throw new Error(`no line ${n} on this page`);
    const older = state.segments[index];
    try {
      const reply = await patchLine(index, fields);
      if (state.editing === index) {
        const form = lineNode(index).querySelector('form');
        for (const name of Object.keys(fields)) {
          const field = form.elements[name];
          if (field && field.value === formValue(name, older)) field.value = formValue(name, reply.segment);
        }
      } else {
        redrawLine(index);
      }
      state.player.refresh();
      return reply.segment;
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
      throw err;
    }
  }

  const isConflict = (err) => err && err.status === 409 && err.body && err.body.segment;

  // Someone changed the line since this page loaded it. The newer line is taken as the one shown (so a
  // second save is a deliberate choice), and drawn: beside the open form, which keeps the reviewer's
  // unsaved text, or in place of the line when no form is open. Fields of the form the reviewer did
  // not touch take the newer values, so saving again sends only their own changes, never the old text.
  function showConflict(index, err) {
    const older = state.segments[index];
    const newer = err.body.segment;
    state.segments[index] = newer;
    state.timeline.draw();
    const node = lineNode(index);
    const form = state.editing === index ? node.querySelector('form') : null;
    if (!form) {
      redrawLine(index);
      notify(`Not saved: ${err.error}. The page now shows the newer line; look at it, then try again.`, 'error');
      return;
    }
    for (const name of EDITABLE) {
      const field = form.elements[name];
      if (field.value === formValue(name, older)) field.value = formValue(name, newer);
    }
    const old = node.querySelector('.conflict');
    if (old) old.remove();
    const head = `Changed while you edited (version ${newer.version}), now in the archive:`;
    form.before(
      el('div', { class: 'conflict card', role: 'alert' }, [
        el('p', { class: 'small' }, head),
        el('p', { class: 'small muted conflict-time' }, [
          `${clock(newer.start, 3)} – ${clock(newer.end, 3)}`,
          newer.speaker ? ` · ${newer.speaker}` : '',
          newer.mark ? ' ' : '',
          window.tolmach.markBadge(newer),
        ]),
        el('p', { class: 'conflict-orig', lang: state.language }, newer.text),
        el('p', { class: 'conflict-en', lang: 'en' }, newer.translation || ''),
        notesList(newer.notes, false),
        window.tolmach.commentLine(newer),
      ]),
    );
    node.querySelector('.reviewed-toggle').checked = newer.reviewed;
    node.classList.toggle('is-reviewed', newer.reviewed);
    notify(
      `Not saved: ${err.error}. Your changes are still in the form, the newer line above it: ` +
        'Save again to put your changes on the newer line, or Cancel to keep it as it is.',
      'error',
    );
  }

  async function save(next) {
    const index = state.editing;
    if (index < 0) return;
    const seg = state.segments[index];
    const form = lineNode(index).querySelector('form');
    let body;
    try {
      body = changes(form, seg);
      if (Object.keys(body).length) {
        await patchLine(index, body);
        state.player.refresh();
      }
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
      return;
    }
    state.editing = -1;
    const corrected = 'text' in body;
    if (corrected) state.corrected.add(seg.id);
    if ('translation' in body) state.machine.delete(seg.id); // the reviewer wrote this English
    redrawLine(index);
    if (corrected && !('translation' in body)) {
      notify(`Line ${seg.id} saved. Its English was written for the old original: Translate again?`, 'ok');
    } else if (Object.keys(body).length) {
      notify(`Line ${seg.id} saved`, 'ok');
    }
    const to = next && index + 1 < state.segments.length ? index + 1 : index;
    select(to, { seek: true, focus: true });
  }

  // Alt+S's first half: the open form's changes saved with the form left open, so that structure.js
  // splits the line as stored at the form's cursor. false when refused (the reason is shown).
  async function saveInPlace() {
    const index = state.editing;
    const seg = state.segments[index];
    const form = lineNode(index).querySelector('form');
    try {
      const body = changes(form, seg);
      if (!Object.keys(body).length) return true;
      await patchLine(index, body);
      if ('text' in body) state.corrected.add(seg.id);
      if ('translation' in body) state.machine.delete(seg.id);
      return true;
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
      return false;
    }
  }

  async function setReviewed(index, box) {
    try {
      const reply = await patchLine(index, { reviewed: box.checked });
      // only the mark changed: keep the line's nodes (and focus, and any open form) as they are
      lineNode(index).classList.toggle('is-reviewed', reply.segment.reviewed);
    } catch (err) {
      box.checked = !box.checked;
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
    }
  }

  // marks.js's save: one PATCH of line `index` from a key, the line drawn as stored (an open form on
  // it keeps what was typed); the reply, or null when refused, with the refusal shown as a save's is
  async function patchShown(index, body) {
    const seg = state.segments[index];
    if (state.translating.has(seg.id)) {
      notify(`Line ${seg.id} is being translated again: change it once its English is in`);
      return null;
    }
    try {
      const reply = await patchLine(index, body);
      if (state.editing !== index) redrawLine(index);
      return reply;
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
      return null;
    }
  }

  async function removeNote(index, which) {
    const notes = state.segments[index].notes.filter((_, i) => i !== which);
    try {
      await patchLine(index, { notes });
      if (state.editing !== index) redrawLine(index);
      notify(`Note removed from line ${state.segments[index].id} (History has undo)`, 'ok');
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else showError(err);
    }
  }

  // The server's text engine writes the line's English again; the reply says which engine, and what it
  // warned of. A line with no text engine, or changed by someone meanwhile, is refused like a save.
  async function retranslate(index) {
    if (index < 0) return;
    if (state.editing === index) {
      notify('Save or cancel the edit first: the engine translates the original as saved', 'info');
      return;
    }
    const seg = state.segments[index];
    if (state.translating.has(seg.id)) return;
    state.translating.add(seg.id);
    const button = lineNode(index).querySelector('.retranslate');
    button.disabled = true;
    button.textContent = 'Translating…';
    try {
      const reply = await patchLine(index, { retranslate: true });
      const done = reply.retranslated;
      state.corrected.delete(seg.id);
      state.machine.set(seg.id, done.by);
      redrawLine(index);
      state.player.refresh();
      const what = done.changed ? 'translated again' : 'translated again: the English is the same';
      const warned = done.warnings.length ? ` (${done.warnings.join('; ')})` : '';
      notify(`Line ${seg.id} ${what} by ${done.by}${warned}`, done.warnings.length ? 'info' : 'ok');
    } catch (err) {
      if (isConflict(err)) showConflict(index, err);
      else {
        redrawLine(index);
        showError(err);
      }
    } finally {
      state.translating.delete(seg.id);
    }
  }

  // -- history -------------------------------------------------------------------------------------

  // Fields as the history names them: "words" are the words' times, "deleted" whether the line stands.
  const FIELD_NAMES = { words: 'timing', translation: 'English', text: 'original' };
  // the one-line edits' names where the field's own would not read well
  const REVISION_NAMES = { mark: "translator's mark", comment: 'comment for the team' };

  // A mark given, taken away or changed: "marked unclear", "took the mark inaudible away".
  function markChange(rev) {
    const badge = (mark) => el('span', { class: `mark-badge mark-${mark}` }, mark);
    if (!rev.after) return [el('span', {}, ['took the mark ', badge(rev.before), ' away'])];
    const was = rev.before ? [' (was ', badge(rev.before), ')'] : [];
    return [el('span', {}, ['marked ', badge(rev.after), ...was])];
  }

  // A comment written, rewritten or removed: what it said, what it says now.
  function commentChange(rev) {
    if (!rev.before) return [el('span', { class: 'muted' }, 'wrote '), el('ins', {}, rev.after)];
    if (!rev.after) return [el('span', { class: 'muted' }, 'removed '), el('del', {}, rev.before)];
    return null;
  }

  // What a revision changed, in words a reviewer reads at a glance.
  function revisionChange(rev) {
    if (rev.field === 'reviewed') {
      return [el('span', {}, rev.after === '1' ? 'marked reviewed' : 'took the reviewed mark back')];
    }
    if (rev.field === 'deleted') {
      return [el('span', {}, rev.after === '1' ? 'deleted the line' : 'added the line')];
    }
    if (rev.field === 'words') return [el('span', { class: 'muted' }, 'the words were timed again')];
    if (rev.field === 'mark') return markChange(rev);
    const comment = rev.field === 'comment' ? commentChange(rev) : null;
    if (comment) return comment;
    const shown = (value) => (rev.field === 'start' || rev.field === 'end' ? clock(Number(value), 3) : value);
    return [
      el('del', {}, shown(rev.before)),
      el('span', { class: 'muted' }, ' → '),
      el('ins', {}, shown(rev.after)),
    ];
  }

  function revisionItem(rev, undone) {
    const when = (rev.at || '').replace('T', ' ').slice(0, 16);
    const field = REVISION_NAMES[rev.field] || rev.field;
    const what = rev.undoes ? `undid #${rev.undoes}: ${field}` : field;
    const undo = el('button', { type: 'button', class: 'quiet small undo', 'data-revision': rev.id }, 'Undo');
    return el('li', { class: undone ? 'undone' : '' }, [
      el('span', { class: 'small muted' }, `#${rev.id} ${when} ${rev.author}`),
      el('span', { class: 'rev-field' }, what),
      ...revisionChange(rev),
      undone ? el('span', { class: 'small muted' }, 'undone') : undo,
    ]);
  }

  // A split, merge, insert, delete or speaker change (or its undo) is one entry with one Undo, however
  // many fields it wrote: "split by Olena K. at 2024-05-02 10:14", what it did to this line beside it.
  function stepItem(revs, undone) {
    const first = revs[0];
    const when = (first.at || '').replace('T', ' ').slice(0, 16);
    const added = revs.find((r) => r.field === 'deleted');
    const did = added
      ? added.after === '1'
        ? 'this line deleted'
        : 'this line added'
      : [...new Set(revs.map((r) => FIELD_NAMES[r.field] || r.field))].join(', ');
    const undo = el('button', { type: 'button', class: 'quiet small undo', 'data-revision': first.id }, 'Undo');
    return el('li', { class: `step${undone ? ' undone' : ''}`, 'data-step': first.step }, [
      el('span', { class: 'small muted' }, `#${first.step}`),
      el('span', {}, [
        el('span', { class: 'rev-field' }, window.tolmach.actionName(first.action)),
        ` by ${first.author} at ${when}`,
      ]),
      el('span', { class: 'small muted' }, `(${did})`),
      undone ? el('span', { class: 'small muted' }, 'undone') : undo,
    ]);
  }

  // newest first; the revisions of one action grouped into its entry
  function historyItems(revisions) {
    const undone = new Set(revisions.map((r) => r.undoes).filter(Boolean));
    const entries = [];
    const steps = new Map();
    for (const rev of revisions) {
      if (rev.step === null || rev.step === undefined) {
        entries.push(revisionItem(rev, undone.has(rev.id)));
      } else if (steps.has(rev.step)) {
        steps.get(rev.step).push(rev);
      } else {
        const revs = [rev];
        steps.set(rev.step, revs);
        entries.push(revs);
      }
    }
    return entries
      .map((entry) => (Array.isArray(entry) ? stepItem(entry, entry.some((r) => undone.has(r.id))) : entry))
      .reverse();
  }

  async function showHistory(index) {
    const seg = state.segments[index];
    const node = lineNode(index);
    const panel = node.querySelector('.history');
    const { revisions } = await api('GET', `${base()}/revisions?segment=${seg.id}`);
    const items = historyItems(revisions);
    panel.replaceChildren(
      items.length
        ? el('ol', { class: 'revisions' }, items)
        : el('p', { class: 'muted small' }, 'No changes yet: this line is as the machine wrote it.'),
    );
    panel.hidden = false;
    node.querySelector('.history-toggle').setAttribute('aria-expanded', 'true');
  }

  function toggleHistory(index) {
    const node = lineNode(index);
    const panel = node.querySelector('.history');
    if (!panel.hidden) {
      panel.hidden = true;
      node.querySelector('.history-toggle').setAttribute('aria-expanded', 'false');
      return;
    }
    showHistory(index).catch(showError);
  }

  // History's Undo: one revision, or the whole action it is part of (lines may come or go)
  async function undo(index, revisionId) {
    const n = state.segments[index].id;
    try {
      showUndone(await api('POST', `${base()}/revisions/${revisionId}/undo`));
      const at = state.segments.findIndex((seg) => seg.id === n);
      if (at >= 0) await showHistory(at);
    } catch (err) {
      showError(err);
    }
  }

  // -- events --------------------------------------------------------------------------------------

  function onLinesClick(event) {
    const node = event.target.closest('li.line');
    if (!node) return;
    const index = [...lines().children].indexOf(node);
    const target = event.target;
    if (target.closest('.edit')) return startEdit(index);
    if (target.closest('.retranslate')) return retranslate(index);
    if (target.closest('.history-toggle')) return toggleHistory(index);
    const undoButton = target.closest('.undo');
    if (undoButton) return undo(index, undoButton.dataset.revision);
    const structureButton = target.closest('[data-structure]');
    if (structureButton) {
      if (index !== state.index) select(index);
      return state.structure.onButton(structureButton.dataset.structure);
    }
    const noteButton = target.closest('.note-remove');
    if (noteButton) return removeNote(index, Number(noteButton.dataset.note));
    const dismissButton = target.closest('.dismiss');
    if (dismissButton) return dismiss(index, Number(dismissButton.dataset.flag));
    const restoreButton = target.closest('.restore');
    if (restoreButton) return restore(index, Number(restoreButton.dataset.flag));
    if (target.closest('a, button, input, label, textarea, form, .history')) return undefined;
    if (event.shiftKey && state.index >= 0) return select(index, { focus: true, extend: true });
    return select(index, { seek: true, focus: true });
  }

  function onLinesDoubleClick(event) {
    const field = event.target.closest('[data-field]');
    const node = event.target.closest('li.line');
    if (!field || !node || node.classList.contains('editing')) return;
    startEdit([...lines().children].indexOf(node), field.dataset.field);
  }

  function onLinesChange(event) {
    if (!event.target.matches('.reviewed-toggle')) return;
    const index = [...lines().children].indexOf(event.target.closest('li.line'));
    setReviewed(index, event.target);
  }

  function onKey(event) {
    const target = event.target;
    if (state.editing >= 0) {
      if (event.key === 'Escape') {
        event.preventDefault();
        cancelEdit();
      } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        save(true);
      } else if (state.structure.onEditKey(event)) {
        event.preventDefault(); // Alt+S: split at the playhead and the cursor
      }
      return;
    }
    if (!state.player) return;
    if (target.matches('input:not([type="checkbox"]), textarea, select')) return;
    if (state.structure.onKey(event)) {
      event.preventDefault(); // S M I Shift+Delete, and Ctrl+Z
      return;
    }
    if (state.signoff.onKey(event) || state.speakers.onKey(event) || state.marks.onKey(event)) {
      event.preventDefault(); // A approves; G the speakers, Shift+G gives the range to one; U, Shift+U, C
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    if (event.shiftKey && (key === 'j' || key === 'k')) {
      event.preventDefault();
      if (state.index < 0) notify('Select a line first (J, K or a click), then Shift+J, Shift+K extend it');
      else select(state.index + (key === 'j' ? 1 : -1), { focus: true, extend: true });
    } else if (key === 'j' || key === 'k') {
      event.preventDefault();
      const from = state.index < 0 ? (key === 'j' ? -1 : 1) : state.index;
      select(from + (key === 'j' ? 1 : -1), { seek: true, focus: true });
    } else if (key === ' ') {
      // buttons, checkboxes and the player's own controls keep Space for themselves
      if (target.matches('button, a, input, video, audio')) return;
      event.preventDefault();
      state.player.toggle();
    } else if (key === 'enter') {
      if (target.matches('button, a')) return;
      event.preventDefault();
      startEdit(Math.max(0, state.index));
    } else if (key === 't' && state.index >= 0) {
      event.preventDefault();
      retranslate(state.index);
    } else if ((key === 'r' || event.code === 'KeyR') && !event.shiftKey && state.index >= 0) {
      event.preventDefault(); // tick or untick "reviewed", as the line's checkbox does
      const box = lineNode(state.index).querySelector('.reviewed-toggle');
      if (box) box.click();
    } else if ((key === 'd' || event.code === 'KeyD') && state.index >= 0) {
      event.preventDefault(); // D dismisses the line's first open check, Shift+D brings the last one back
      const seg = state.segments[state.index];
      const which = event.shiftKey ? (seg.dismissed || []).length - 1 : seg.flags.findIndex((f) => CHECK_KINDS.has(f.kind));
      if (which < 0) notify(`Line ${seg.id} has no ${event.shiftKey ? 'dismissed' : 'open'} check`, 'info');
      else if (event.shiftKey) restore(state.index, which);
      else dismiss(state.index, which);
    } else if (key === 'n' || key === 'p') {
      event.preventDefault();
      nextDoubtful(key === 'n' ? 1 : -1);
    } else if (state.timeline.onKey(event) || state.listening.onKey(event)) {
      event.preventDefault(); // [ ] , . + - (timing, zoom), Shift+[ Shift+] L B (listening)
    }
  }

  function openHash() {
    const match = /^#line-(\d+)$/.exec(location.hash);
    if (!match) return;
    const index = state.segments.findIndex((seg) => seg.id === Number(match[1]));
    if (index >= 0) select(index, { seek: true, focus: true, block: 'center' });
  }

  async function load() {
    state.id = document.getElementById('review').dataset.clip;
    const data = await api('GET', base());
    state.language = (data.run && data.run.language) || data.clip.language || '';
    state.id = data.clip.id || state.id;
    state.clip = data.clip;
    state.segments = data.segments;
    renderHeader(data.clip);
    renderPlayer(data.clip, data.run);
    renderExports();
    renderReview(data);
    lines().replaceChildren(...state.segments.map(lineItem));
    state.speakers.render(data.run ? data.run.legend : '');
    if (!data.run) {
      lines().append(el('li', { class: 'empty' }, 'No lines yet: this clip has no finished translation.'));
    }
    openHash();
  }

  document.addEventListener('DOMContentLoaded', () => {
    lines().addEventListener('click', onLinesClick);
    lines().addEventListener('dblclick', onLinesDoubleClick);
    lines().addEventListener('change', onLinesChange);
    document.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', openHash);
    load().catch((err) => {
      document.getElementById('clip-title').textContent = 'This clip could not be loaded';
      showError(err);
    });
  });
})();
