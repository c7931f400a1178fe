// The review page's translator's marks and comments. A mark is the translator's verdict on the speech
// of a line: "unclear" (the exports end it with [unclear]) or "inaudible" (they read *inaudible* in
// its place). It changes what is published, so the server takes a reviewed mark away with it, as it
// does for any edit of what a line says. A comment is for the team: kept in the archive and its
// history, not exported unless asked, and it leaves the reviewed mark alone.
//
// Here: the badge and the comment drawn in each line, the Mark select for the edit form, and the keys
// U (unclear), Shift+U (inaudible), each a toggle, and C (the form, in its Comment box). Each mark is
// one PATCH through review.js (its version, its conflict handling, its place on the Ctrl+Z list). A
// comment is anyone's text: set with el() (textContent), never innerHTML. The keys come through
// review.js onKey.
'use strict';

(function () {
  const { el, notify } = window.tolmach;
  const MARKS = ['unclear', 'inaudible']; // archive/review.py MARKS
  const WHAT = {
    unclear: 'the exports end the line with [unclear]',
    inaudible: 'the exports read *inaudible* in place of the line',
  };

  // A letter by the character it types, or by its place where the layout types no Latin letter there
  // (Cyrillic), as structure.js and signoff.js match their keys.
  function letter(event, c) {
    const { key, code } = event;
    if (key.toLowerCase() === c) return true;
    return code === `Key${c.toUpperCase()}` && /^\p{L}$/u.test(key) && !/^[a-z]$/i.test(key);
  }

  // the line's mark, as a badge in its head; null when it has none
  function markBadge(seg) {
    if (!seg.mark) return null;
    const title = `Marked ${seg.mark}: ${WHAT[seg.mark] || 'a mark this page does not know'} (U, Shift+U)`;
    return el('span', { class: `mark-badge mark-${seg.mark}`, title }, seg.mark);
  }

  // the comment for the team, under the line's English; null when there is none
  function commentLine(seg) {
    if (!seg.comment) return null;
    const title = 'Comment for the team: kept in the archive, not exported unless asked (C)';
    return el('p', { class: 'comment', title }, seg.comment);
  }

  // the edit form's Mark select: none, unclear, inaudible
  function markSelect(value) {
    const options = [['', 'none'], ...MARKS.map((mark) => [mark, mark])].map(([mark, label]) =>
      el('option', { value: mark, selected: mark === (value || '') }, label),
    );
    const title = 'unclear: [unclear] after the line; inaudible: *inaudible* in its place (U, Shift+U)';
    return el('label', { class: 'field field-mark', title }, ['Mark', el('select', { name: 'mark' }, options)]);
  }

  // options: segments(), selected() (an index into segments(), or -1), patch(index, body) (review.js:
  // one PATCH on the version the page shows, the line drawn as stored and put on the Ctrl+Z list; the
  // reply, or null when refused, the refusal shown), edit(index, field) (opens the line's form there).
  function createMarks(options) {
    function selectedLine(what) {
      const index = options.selected();
      if (index < 0) notify(`Select a line first (J, K or a click), then ${what}`);
      return index;
    }

    // U, Shift+U: the mark given, or taken away when the line has it already
    async function toggle(mark) {
      const index = selectedLine(`${mark === 'unclear' ? 'U' : 'Shift+U'} marks it ${mark}`);
      if (index < 0) return;
      const seg = options.segments()[index];
      const next = seg.mark === mark ? '' : mark;
      const reply = await options.patch(index, { mark: next });
      if (!reply) return;
      const unreviewed = seg.reviewed && !reply.segment.reviewed;
      const said = next
        ? `Line ${seg.id} marked ${next}: ${WHAT[next]}`
        : `Line ${seg.id} no longer marked ${mark}`;
      const mind = unreviewed ? '. It is no longer reviewed: a mark changes what is published' : '';
      notify(`${said}${mind} (Ctrl+Z takes it back)`, 'ok');
    }

    // U unclear, Shift+U inaudible, C the comment; outside text boxes. true when the key was ours.
    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return false;
      if (letter(event, 'u')) {
        toggle(event.shiftKey ? 'inaudible' : 'unclear');
      } else if (!event.shiftKey && letter(event, 'c')) {
        const index = selectedLine('C writes a comment on it');
        if (index >= 0) options.edit(index, 'comment');
      } else {
        return false;
      }
      return true;
    }

    return { onKey };
  }

  window.tolmach.markBadge = markBadge;
  window.tolmach.commentLine = commentLine;
  window.tolmach.markSelect = markSelect;
  window.tolmach.createMarks = createMarks;
})();
