// The review page's sign-off and speakers: what the published label says about who stands behind the
// translation, and who speaks each line.
//
// Sign-off is two steps (archive/signoff.py): a translator marks every line reviewed, then a second
// person approves. The panel shows the label the exports carry ("Translated by A, approved by B"), the
// Approve button (A) once every line is reviewed, Withdraw approval while one stands, and, plainly, why
// an approval no longer stands (any later change to a line withdraws it). The server decides every
// refusal (a line not reviewed, an approver who reviewed lines) and its message is shown as it says it.
//
// Speakers: one row per speaker, in order of first appearance, to rename them and give their role once
// for the whole clip (the legend "(R) Russian soldier, (M) mother" the thread and quote sheet print),
// and a form that gives a range of lines (Shift+J, Shift+K or Shift+click) to a speaker. Each is one
// step on the server, run through structure.js (one undo, Ctrl+Z). Names and roles are untrusted text:
// built with el() (textContent), never innerHTML. The keys come through review.js onKey.
'use strict';

(function () {
  const { api, el, notify } = window.tolmach;
  const DRAFT = 'Machine translation — not reviewed';

  // A letter by the character it types, or by its place where the layout types no Latin letter there
  // (Cyrillic), as structure.js matches its keys.
  function letter(event, c) {
    const { key, code } = event;
    if (key.toLowerCase() === c) return true;
    return code === `Key${c.toUpperCase()}` && /^\p{L}$/u.test(key) && !/^[a-z]$/i.test(key);
  }

  // The label as the exports write it (subtitles/formats/base.py labels()), from the review state.
  function labelOf(review) {
    if (review.reviewer && review.approver) {
      return `Translated by ${review.reviewer}, approved by ${review.approver}`;
    }
    return review.reviewer ? `Reviewed by ${review.reviewer}` : DRAFT;
  }

  // "2026-05-02T10:14:03Z" inside the server's reason, as the history writes times: "2026-05-02 10:14"
  const readableTimes = (text) =>
    text.replace(/(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?/g, '$1 $2');

  // options: base (the clip's API path). render(review, label) draws the panel from a review state
  // (every reply that changes a line carries one); label, when given, is the server's own.
  function createSignoff(options) {
    let review = { reviewed: 0, total: 0, reviewer: null, approver: null, withdrawn: '' };
    const node = (id) => document.getElementById(id);

    function render(next, label) {
      review = next;
      const complete = review.total > 0 && review.reviewed === review.total;
      const shown = node('label');
      shown.textContent = label || labelOf(review);
      shown.className = `label ${review.approver ? 'approved' : review.reviewer ? 'reviewed' : 'draft'}`;
      const bar = node('review-progress');
      bar.max = review.total || 1;
      bar.value = review.reviewed;
      node('review-count').textContent = `${review.reviewed} of ${review.total} lines reviewed`;
      const warning = node('withdrawn');
      warning.hidden = Boolean(review.approver) || !review.withdrawn;
      warning.textContent = review.withdrawn ? `Approval ${readableTimes(review.withdrawn)}` : '';
      const approve = node('approve');
      approve.hidden = Boolean(review.approver);
      approve.disabled = !complete;
      approve.title = complete
        ? 'Approve the translation as a second person, who reviewed none of its lines (A)'
        : `Every line must be reviewed first: ${review.total - review.reviewed} of ${review.total} are not (A)`;
      node('withdraw').hidden = !review.approver;
      node('signoff-step').textContent = review.approver
        ? `Approved by ${review.approver}. Any change to a line withdraws the approval.`
        : complete
          ? 'Every line is reviewed: a second person approves it.'
          : 'Once every line is reviewed, a second person approves it.';
    }

    // A (or the button): refused by the server while a line is not reviewed, or when the page's name
    // reviewed lines of the clip; the refusal is shown as it says it, nothing changes.
    async function approve() {
      if (review.approver) {
        notify(`Already approved by ${review.approver}: Withdraw approval first to approve again`, 'info');
        return;
      }
      try {
        const reply = await api('POST', `${options.base}/approval`);
        render(reply.review);
        notify(`Approved: ${labelOf(reply.review)}`, 'ok');
      } catch (err) {
        notify(`Not approved: ${err.message}`, 'error');
      }
    }

    async function withdraw() {
      try {
        const reply = await api('DELETE', `${options.base}/approval`);
        render(reply.review);
        notify('Approval withdrawn: the label says who reviewed it, no longer who approved it', 'ok');
      } catch (err) {
        notify(`Not withdrawn: ${err.message}`, 'error');
      }
    }

    // A approves, Shift+A withdraws the approval. true when the key was ours.
    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey || !letter(event, 'a')) return false;
      if (event.shiftKey) withdraw();
      else approve();
      return true;
    }

    node('approve').addEventListener('click', approve);
    node('withdraw').addEventListener('click', withdraw);
    return { render, onKey };
  }

  // The legend as the server writes it (subtitles/formats/base.py legend()): each speaker with a role
  // once, in order of first appearance, the role of their first line that has one. Used where a reply
  // carries no legend of its own (an undo's).
  function legendOf(segments) {
    const roles = new Map();
    const words = (text) => text.split(/\s+/).filter(Boolean).join(' ');
    for (const seg of segments) {
      if (seg.speaker && words(seg.role || '') && !roles.has(seg.speaker)) roles.set(seg.speaker, words(seg.role));
    }
    return [...roles].map(([who, role]) => `(${words(who)}) ${role}`).join(', ');
  }

  // Speakers in order of first appearance: {label, role (their first line's that has one), lines}.
  function speakersOf(segments) {
    const found = new Map();
    for (const seg of segments) {
      if (!seg.speaker) continue;
      const known = found.get(seg.speaker) || { label: seg.speaker, role: '', lines: 0 };
      known.lines += 1;
      if (!known.role && seg.role) known.role = seg.role;
      found.set(seg.speaker, known);
    }
    return [...found.values()];
  }

  // options: segments(), range() ({first, last, count}: the selected lines, by number, in time
  // order; null when no line is selected), act(method, path, body, how) (structure.js: one step, drawn,
  // on the undo list), selectedId() (the selected line's number, kept selected after the step).
  function createSpeakers(options) {
    const panel = document.getElementById('speakers');
    const rows = document.getElementById('speaker-rows');
    const assign = document.getElementById('assign');
    let speakers = [];

    function row(speaker) {
      const form = el('form', { class: 'speaker-row', 'data-speaker': speaker.label }, [
        el('span', { class: 'speaker-label', title: 'the name the lines carry now' }, speaker.label),
        el('label', {}, [
          el('span', { class: 'small muted' }, 'Name'),
          el('input', {
            type: 'text',
            name: 'name',
            value: speaker.label,
            size: 10,
            maxlength: 80,
            'aria-label': 'Name',
          }),
        ]),
        el('label', {}, [
          el('span', { class: 'small muted' }, 'Role'),
          el('input', {
            type: 'text',
            name: 'role',
            value: speaker.role,
            size: 18,
            maxlength: 80,
            placeholder: 'e.g. Russian soldier',
            'aria-label': 'Role',
          }),
        ]),
        el('span', { class: 'small muted speaker-lines' }, `${speaker.lines} line${speaker.lines === 1 ? '' : 's'}`),
        el('button', { type: 'submit', class: 'small' }, 'Save'),
      ]);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        save(speaker, form);
      });
      return form;
    }

    // legend: the server's, when the reply that drew the lines has one
    function render(legend) {
      const segments = options.segments();
      speakers = speakersOf(segments);
      const text = legend === undefined || legend === null ? legendOf(segments) : legend;
      const shown = document.getElementById('legend');
      shown.hidden = !text;
      shown.replaceChildren(el('span', { class: 'muted' }, 'Speakers: '), el('span', { class: 'legend-text' }, text));
      rows.replaceChildren(
        ...(speakers.length ? speakers.map(row) : [el('p', { class: 'muted small' }, 'No line has a speaker yet.')]),
      );
      const counts = speakers.map((s) => `${s.label} (${s.lines})`).join(', ');
      panel.querySelector('.speakers-summary').textContent = counts || 'none';
      const known = assign.elements.known;
      known.replaceChildren(...speakers.map((s) => el('option', { value: s.label }, s.label)));
      showRange();
    }

    function showRange() {
      const range = options.range();
      const what = !range
        ? 'No line selected'
        : range.count === 1
          ? `Line ${range.first}`
          : `Lines ${range.first} to ${range.last} (${range.count} lines)`;
      document.getElementById('assign-range').textContent = what;
    }

    // Save on a row: a PUT of only what changed (a new name, a role; '' removes the role)
    async function save(speaker, form) {
      const name = form.elements.name.value.trim();
      const role = form.elements.role.value.trim();
      const body = {};
      if (name !== speaker.label) body.name = name;
      if (role !== speaker.role.trim()) body.role = role;
      if (!Object.keys(body).length) {
        notify(`Nothing to save: ${speaker.label}'s name and role are as they were`, 'info');
        return;
      }
      const said = [];
      if ('name' in body) said.push(`${speaker.label} is now ${name}`);
      if ('role' in body) said.push(role ? `role: ${role}` : 'no role');
      await options.act('PUT', `/speakers/${encodeURIComponent(speaker.label)}`, body, {
        keep: options.selectedId(),
        said: () => `Speaker ${said.join(', ')}`,
      });
    }

    async function give(event) {
      event.preventDefault();
      const range = options.range();
      if (!range) {
        notify('Select a line first (J, K or a click), then give it to a speaker', 'info');
        return;
      }
      const speaker = (assign.elements.other.value.trim() || assign.elements.known.value || '').trim();
      if (!speaker) {
        notify('Not given: choose a speaker, or type a new one', 'error');
        return;
      }
      const which = range.count === 1 ? `Line ${range.first}` : `Lines ${range.first} to ${range.last}`;
      const reply = await options.act(
        'POST',
        '/speakers/assign',
        { first: range.first, last: range.last, speaker },
        { keep: options.selectedId(), said: () => `${which} given to ${speaker}` },
      );
      if (reply) assign.elements.other.value = '';
    }

    function open(focus) {
      panel.open = true;
      showRange();
      focus.focus();
    }

    // G: the speakers' names and roles; Shift+G: give the selected lines to a speaker. true when ours.
    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey || !letter(event, 'g')) return false;
      if (!event.shiftKey) {
        const first = rows.querySelector('input[name=name]');
        open(first || panel.querySelector('summary'));
      } else if (!options.range()) {
        notify('Select a line first (J, K or a click; Shift+J, Shift+K extend), then Shift+G', 'info');
      } else {
        open(assign.elements.known.options.length ? assign.elements.known : assign.elements.other);
      }
      return true;
    }

    assign.addEventListener('submit', give);
    return { render, showRange, onKey };
  }

  window.tolmach.createSignoff = createSignoff;
  window.tolmach.createSpeakers = createSpeakers;
  window.tolmach.actionName = (action) => {
    // the history's word for a step: "speaker change", "undo speaker change" (archive/review.py)
    const undo = action.startsWith('undo ');
    const bare = undo ? action.slice(5) : action;
    const named = bare === 'speaker' ? 'speaker change' : bare;
    return undo ? `undo ${named}` : named;
  };
})();
