// The review page's changes to which lines there are: a line split in two at the playhead (and, from
// its edit form, at the text box's cursor), merged with the next, added in a gap, deleted; and Ctrl+Z,
// which takes back the last change made on this page, one of these or an edit, through the server's
// undo of its revisions. Each of the four is one step on the server (archive/structure.py): an undo of
// any of its revisions takes all of it back. A line's number is a stable ID, never its place: after a
// split the lines in time order may read 1, 2, 6, 3, so lines are looked up by number, never by n - 1.
//
// What the server would refuse for want of a place (a playhead outside the line, no next line, no gap)
// is refused here first, with the reason, and nothing is sent; what only the server knows (a stale
// version, an overlap) comes back as its one-line message, and a stale version redraws the lines as
// stored. The keys come through the page's one handler (review.js onKey).
'use strict';

(function () {
  const { api, el, clock, notify, showError } = window.tolmach;
  const INSERT_MS = 2000; // an added line's length, when the gap after the playhead has room for it
  const KEEP = 50; // changes Ctrl+Z can take back, newest last

  // What one PATCH wrote, from the line's whole history (oldest first) that the PATCH answers with:
  // the newest revisions, written together (consecutive IDs, one author, one second), each field
  // once, of the fields sent or the marks an edit takes away (reviewed, dismissals).
  function lastEdit(history, sent) {
    const allowed = new Set([...sent, 'reviewed', 'dismissed']);
    const mine = [];
    for (let i = history.length - 1; i >= 0; i -= 1) {
      const r = history[i];
      const later = mine[0];
      if (r.undoes || r.step || !allowed.has(r.field) || mine.some((m) => m.field === r.field)) break;
      if (later && (r.id !== later.id - 1 || r.author !== later.author || r.at !== later.at)) break;
      mine.unshift(r);
    }
    return mine;
  }

  // The order that takes an edit back: what the line says first, then its dismissals, then its
  // reviewed mark (taking the text back first would otherwise take the mark away again); of its times,
  // the one whose undo lengthens the line first, so that a moved line never ends before it starts.
  function undoOrder(revisions) {
    const lengthens = (r) =>
      r.field === 'start' ? Number(r.before) < Number(r.after) : Number(r.before) > Number(r.after);
    const rank = (r) => {
      if (r.field === 'reviewed') return 3;
      if (r.field === 'dismissed') return 2;
      if (r.field === 'start' || r.field === 'end') return lengthens(r) ? 0 : 1;
      return 0;
    };
    return [...revisions].sort((a, b) => rank(a) - rank(b));
  }

  // options: base (the clip's API path), player (player.js), durationMs, minGapMs, segments(),
  // selected() (an index into segments(), or -1), editing() ({index, form} of the open edit form, or
  // null), saveOpen() (a promise: true once the open form's changes are saved, false when refused),
  // show(segments, {keep, at, review, legend}) (every line again, the selection on line `keep`, else on
  // the line at `at` ms; the review count from `review`, the speakers' legend from `legend`),
  // undone(reply) (an undo's answer, drawn), edit(n) (opens line n's form in its original text box),
  // corrected(n) (line n's English no longer matches its original: Translate again is suggested).
  // act(method, path, body, {keep, at, said}) is offered to the other modules for their one-step actions.
  function createStructure(options) {
    const { player } = options;
    const undoable = []; // {revisions: [ids, in the order to undo], label}
    const playhead = () => Math.round(player.media.currentTime * 1000);
    const segments = () => options.segments();

    function remember(entry) {
      undoable.push(entry);
      if (undoable.length > KEEP) undoable.shift();
    }

    // review.js calls this after each saved PATCH: `sent` the fields it sent
    function rememberEdit(reply, sent) {
      const fields = sent.map((name) => (name === 'retranslate' ? 'translation' : name));
      const written = lastEdit(reply.revisions || [], fields);
      if (!written.length) return;
      const label = `the edit of line ${reply.segment.id}`;
      remember({ revisions: undoOrder(written).map((r) => r.id), label });
    }

    // "Line 2 split: 2 and 6 — Undo": the notice, with a button that takes the action back
    function offerUndo(message, entry) {
      notify(`${message} —`, 'ok');
      const box = document.getElementById('notice');
      const button = el('button', { type: 'button', class: 'small notice-undo' }, 'Undo');
      button.addEventListener('click', () => {
        box.hidden = true;
        undo(entry);
      });
      box.querySelector('.notice-close').before(button);
    }

    function busy() {
      if (!options.editing()) return false;
      notify('Save or cancel the edit first (Ctrl+Enter or Esc)', 'info');
      return true;
    }

    // One action (the four here, or signoff.js's speaker changes): the reply is every line as it now
    // stands, drawn with the selection on `keep` (else the line at `at`), with the review state and the
    // speaker legend it carries; the action goes on the undo list and the notice offers its undo.
    async function act(method, path, body, { keep, at, said, changed }) {
      let reply;
      try {
        reply = await api(method, `${options.base}${path}`, body);
      } catch (err) {
        refused(err);
        return null;
      }
      if (changed) changed(reply); // before the lines are drawn again
      const selection = {
        keep: keep === undefined ? reply.lines[0] : keep,
        at,
        review: reply.review,
        legend: reply.legend,
      };
      options.show(reply.segments, selection);
      player.refresh();
      if (!reply.revisions.length) {
        notify('Nothing changed: the lines already say that', 'info'); // a speaker step may write nothing
        return reply;
      }
      const entry = { revisions: [reply.revisions[0].id], label: said(reply) };
      remember(entry);
      offerUndo(entry.label, entry);
      return reply;
    }

    // As a refused save: one message. A stale version also redraws the lines as stored, the selection
    // kept, so that a second try is made on what the archive holds.
    function refused(err) {
      if (err && err.status === 409 && err.body && Array.isArray(err.body.segments)) {
        const seg = segments()[options.selected()];
        options.show(err.body.segments, { keep: seg ? seg.id : undefined, at: seg ? seg.start : undefined });
        const then = 'The page now shows the lines as stored; look at them, then try again.';
        notify(`Not done: ${err.error}. ${then}`, 'error');
        return;
      }
      showError(err);
    }

    function selectedLine(what) {
      const seg = segments()[options.selected()];
      if (!seg) notify(`Select a line first (J, K or a click), then ${what}`);
      return seg || null;
    }

    // `places`: {text, translation}, character offsets where the second line's text and English begin
    // (the edit form's cursors); without them the server cuts where the words timed before the playhead
    // end, and the English at the same share.
    async function split(places = {}) {
      const seg = selectedLine('S splits it at the playhead');
      if (!seg) return null;
      const at = playhead();
      if (!(seg.start < at && at < seg.end)) {
        notify(
          `Not split: the playhead (${clock(at, 3)}) is not inside line ${seg.id} ` +
            `(${clock(seg.start, 3)} – ${clock(seg.end, 3)}): move it into the line, then split`,
          'error',
        );
        return null;
      }
      const body = { at, version: seg.version, text_at: null, translation_at: null };
      if (places.text !== undefined) body.text_at = places.text;
      if (places.translation !== undefined) body.translation_at = places.translation;
      return act('POST', `/segments/${seg.id}/split`, body, {
        keep: seg.id,
        said: (reply) => `Line ${seg.id} split: ${reply.lines.join(' and ')}`,
        // each half's English was cut, not translated: both offer Translate again (T), highlighted
        changed: (reply) => reply.lines.forEach((n) => options.corrected(n)),
      });
    }

    // Alt+S in the open form: split at the playhead and at the original's cursor (and at the English's,
    // when that box has the focus). What the form changed is saved first, so the cursor is a place in
    // the text as stored.
    async function splitHere() {
      const open = options.editing();
      const seg = segments()[open.index];
      const at = playhead();
      if (!(seg.start < at && at < seg.end)) {
        notify(
          `Not split: the playhead (${clock(at, 3)}) is not inside line ${seg.id} ` +
            `(${clock(seg.start, 3)} – ${clock(seg.end, 3)}): play or click to a place in it, then Alt+S`,
          'error',
        );
        return;
      }
      const { text, translation } = open.form.elements;
      const places = { text: text.selectionStart };
      if (document.activeElement === translation) places.translation = translation.selectionStart;
      if (!text.value.slice(0, places.text).trim() || !text.value.slice(places.text).trim()) {
        notify('Not split: put the cursor in the original between two words, then Alt+S', 'error');
        return;
      }
      if (!(await options.saveOpen())) return;
      await split(places);
    }

    async function merge() {
      const seg = selectedLine('M merges it with the next');
      if (!seg) return;
      const next = segments()[options.selected() + 1];
      if (!next) {
        notify(`Not merged: line ${seg.id} is the last line: there is none after it to merge with`, 'error');
        return;
      }
      await act(
        'POST',
        `/segments/${seg.id}/merge`,
        { version: seg.version, next_version: next.version },
        { keep: seg.id, said: () => `Lines ${seg.id} and ${next.id} merged into ${seg.id}` },
      );
    }

    async function remove() {
      const seg = selectedLine('Shift+Delete deletes it');
      if (!seg) return;
      await act('DELETE', `/segments/${seg.id}?version=${seg.version}`, undefined, {
        keep: null,
        at: seg.start,
        said: () => `Line ${seg.id} deleted`,
      });
    }

    // A line from the playhead to 2 s on, or less where the next line (less the rules' gap) or the
    // clip's end comes first; its form opens for the original to be typed.
    async function insert() {
      const list = segments();
      const at = playhead();
      const inside = list.find((seg) => seg.start <= at && at < seg.end);
      if (inside) {
        notify(
          `No line added: the playhead (${clock(at, 3)}) is inside line ${inside.id}: ` +
            'put it where no line is (or split the line with S)',
          'error',
        );
        return;
      }
      const next = list.find((seg) => seg.start > at);
      let end = at + INSERT_MS;
      if (next) end = Math.min(end, next.start - options.minGapMs);
      if (options.durationMs > 0) end = Math.min(end, options.durationMs);
      if (end <= at) {
        const why = next ? `line ${next.id} starts at ${clock(next.start, 3)}` : 'the clip ends there';
        notify(`No line added: no room at ${clock(at, 3)} (${why}): move the playhead earlier`, 'error');
        return;
      }
      const body = { start: at, end, text: '', translation: '', speaker: null };
      const reply = await act('POST', '/segments', body, {
        said: (r) => `Line ${r.lines[0]} added at ${clock(at)}`,
      });
      if (reply) options.edit(reply.lines[0]);
    }

    // Take `entry` back: its revisions undone in order, each answer drawn as it comes (a refusal half
    // way says why, with what was undone before it shown).
    async function undo(entry) {
      if (busy()) return;
      const at = undoable.indexOf(entry);
      if (at >= 0) undoable.splice(at, 1);
      try {
        for (const id of entry.revisions) {
          options.undone(await api('POST', `${options.base}/revisions/${id}/undo`));
        }
        notify(`Undone: ${entry.label}`, 'ok');
      } catch (err) {
        showError(err);
      }
    }

    function undoLast() {
      if (!undoable.length) {
        notify('Nothing to undo: no change was made on this page since it was opened', 'info');
        return;
      }
      undo(undoable[undoable.length - 1]);
    }

    // S split, M merge, I insert, Shift+Delete (or Shift+Backspace) delete, Ctrl+Z undo; outside text
    // boxes. true when the key was ours. Letters are matched by character, or by place where the layout
    // types no Latin letter there (Cyrillic ones).
    function onKey(event) {
      const { key, code, shiftKey, altKey, ctrlKey, metaKey } = event;
      // a letter of another script at that place (not a mark: ',' is KeyM's on a French keyboard)
      const place = (c) => code === c && /^\p{L}$/u.test(key) && !/^[a-z]$/i.test(key);
      const letter = (c) => key.toLowerCase() === c || place(`Key${c.toUpperCase()}`);
      if ((ctrlKey || metaKey) && !altKey && !shiftKey && letter('z')) {
        undoLast();
        return true;
      }
      if (altKey || ctrlKey || metaKey) return false;
      if (shiftKey && (key === 'Delete' || key === 'Backspace')) {
        if (!busy()) remove();
      } else if (letter('s')) {
        if (!busy()) split();
      } else if (letter('m')) {
        if (!busy()) merge();
      } else if (letter('i')) {
        if (!busy()) insert();
      } else {
        return false;
      }
      return true;
    }

    // Alt+S while the line's form is open. true when the key was ours.
    function onEditKey(event) {
      const { key, code, altKey, ctrlKey, metaKey } = event;
      if (!altKey || ctrlKey || metaKey || !(code === 'KeyS' || key.toLowerCase() === 's')) return false;
      splitHere().catch(showError);
      return true;
    }

    // the buttons: Split, Merge with next and Delete on the selected line, Add line by the timeline
    function onButton(which) {
      if (busy()) return;
      if (which === 'split') split();
      else if (which === 'merge') merge();
      else if (which === 'delete') remove();
      else if (which === 'insert') insert();
    }

    const addButton = document.getElementById('add-line');
    if (addButton) addButton.addEventListener('click', () => onButton('insert'));
    return { onKey, onEditKey, onButton, rememberEdit, act };
  }

  window.tolmach.createStructure = createStructure;
})();
