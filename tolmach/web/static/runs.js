// The review page's runs panel, shown when a clip has more than one run: which run the page shows, a
// plain warning when that is not the run a person reviewed, a way to show another, and a diff of lines.
//
// Run text is untrusted like every transcript: built with el() (textContent), never innerHTML.
'use strict';

(function () {
  const { api, el, clock, showError, shortId } = window.tolmach;
  const KIND = { changed: 'changed', only_a: 'only in the shown run', only_b: 'only in the other run' };

  const given = () => document.getElementById('review').dataset.clip;
  const panel = () => document.getElementById('runs');
  const base = () => `/api/clips/${encodeURIComponent(given())}`;

  function options(run) {
    const short = (v) => {
      const text = v === null || v === undefined ? '-' : String(v);
      return /^[0-9a-f]{13,}$/.test(text) ? text.slice(0, 12) : text;
    };
    return Object.entries(run.differs || {})
      .map(([name, value]) => `${name}=${short(value)}`)
      .join(' ');
  }

  function describe(run) {
    const parts = [run.language, `${run.lines} lines`, `${run.reviewed} of ${run.lines} reviewed`];
    if (run.revisions) parts.push(`${run.revisions} changes`);
    const opts = options(run);
    if (opts) parts.push(opts);
    return parts.join(' · ');
  }

  // The page shows the run its address names, else the clip's current run.
  function shownRun(runs) {
    return runs.find((r) => r.id.startsWith(given())) || runs.find((r) => r.current) || runs[0];
  }

  // The run with the most reviewed lines (then the most changes): where a person's work is.
  function reviewedRun(runs) {
    const worked = runs.filter((r) => r.revisions > 0);
    worked.sort((x, y) => y.reviewed - x.reviewed || y.revisions - x.revisions);
    return worked[0] || null;
  }

  function warning(shown, reviewed) {
    if (!reviewed || reviewed.id === shown.id) return null;
    if (shown.reviewed >= reviewed.reviewed && shown.revisions > 0) return null;
    const text =
      `This page shows run ${shortId(shown.id)}, which is not the reviewed one: run ` +
      `${shortId(reviewed.id)} has ${reviewed.reviewed} of ${reviewed.lines} lines reviewed ` +
      `and ${reviewed.revisions} changes.`;
    return el('p', { class: 'label draft runs-warning', role: 'alert' }, text);
  }

  function runItem(run, shown) {
    const isShown = run.id === shown.id;
    const actions = isShown
      ? [el('strong', { class: 'small' }, run.current ? 'shown (current)' : 'shown')]
      : [
          el('button', { type: 'button', class: 'quiet small compare', 'data-run': run.id }, 'Compare'),
          el('button', { type: 'button', class: 'small use', 'data-run': run.id }, 'Show this run'),
        ];
    return el('li', { class: isShown ? 'run shown' : 'run', 'data-run': run.id }, [
      el('code', {}, shortId(run.id)),
      ' ',
      el('span', { class: 'small muted' }, `${(run.created || '').slice(0, 16).replace('T', ' ')} `),
      el('span', { class: 'small' }, describe(run)),
      ' ',
      ...actions,
    ]);
  }

  function render(data) {
    const shown = shownRun(data.runs);
    panel().replaceChildren(
      el('h2', {}, `Runs (${data.runs.length})`),
      warning(shown, reviewedRun(data.runs)) || el('span', { hidden: true }),
      el('p', { class: 'small muted' }, `This page shows run ${shortId(shown.id)}: ${describe(shown)}.`),
      el('ul', { class: 'runs-list' }, data.runs.map((run) => runItem(run, shown))),
      el('div', { id: 'runs-diff' }),
    );
    panel().hidden = false;
  }

  function side(text, translation, present) {
    if (!present) return el('td', { class: 'muted small' }, '—');
    return el('td', {}, [el('p', { class: 'orig' }, text), el('p', { class: 'en', lang: 'en' }, translation)]);
  }

  function diffTable(data) {
    const rows = data.rows.filter((r) => r.kind !== 'same');
    const head = el('tr', {}, [
      el('th', {}, 'time'),
      el('th', {}, `shown run ${shortId(data.a.id)} (lines)`),
      el('th', {}, `run ${shortId(data.b.id)} (lines)`),
    ]);
    const body = rows.map((r) =>
      el('tr', { class: `diff-${r.kind}` }, [
        el('td', { class: 'small' }, [`${clock(r.start)}–${clock(r.end)}`, el('br'), KIND[r.kind]]),
        side(r.a_text, r.a_translation, r.a_lines.length > 0),
        side(r.b_text, r.b_translation, r.b_lines.length > 0),
      ]),
    );
    const n = data.counts;
    const summary =
      `${n.changed} changed, ${n.only_a} only in the shown run, ${n.only_b} only in run ` +
      `${shortId(data.b.id)}, ${n.same} the same (not listed).`;
    return [
      el('p', { class: 'small' }, [
        summary,
        ' ',
        el('button', { type: 'button', class: 'quiet small use', 'data-run': data.b.id }, 'Show that run'),
      ]),
      rows.length
        ? el('table', { class: 'clips-table runs-diff' }, [el('thead', {}, [head]), el('tbody', {}, body)])
        : null,
    ].filter(Boolean);
  }

  async function compare(runId) {
    const data = await api('GET', `${base()}/diff?b=${encodeURIComponent(runId)}`);
    document.getElementById('runs-diff').replaceChildren(...diffTable(data));
  }

  // the page then opens the clip itself (not a run's address): what it shows is the clip's current run
  async function use(runId) {
    const data = await api('PUT', `${base()}/current`, { run: runId });
    location.assign(`/clips/${shortId(data.clip_id)}`);
  }

  function onClick(event) {
    const button = event.target.closest('button[data-run]');
    if (!button) return;
    const action = button.classList.contains('use') ? use : compare;
    action(button.dataset.run).catch(showError);
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (!panel()) return;
    panel().addEventListener('click', onClick);
    api('GET', `${base()}/runs`)
      .then((data) => {
        if (data.runs.length > 1) render(data);
      })
      .catch(showError);
  });
})();
