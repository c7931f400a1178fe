// The archive page: the clip table (sort, filter, live job states) and search over every line.
'use strict';

(function () {
  const { api, el, marked, clock, duration, showError, shortId } = window.tolmach;
  const ACTIVE = new Set(['queued', 'running']);
  const POLL_MS = 2000;

  const view = { clips: [], jobs: [], sortKey: 'added', sortDir: -1, filter: '' };
  let pollTimer = 0;

  // -- the clip table --------------------------------------------------------------------------

  // What the State column says: a running job first, else how far review has got.
  function stateOf(clip) {
    const job = view.jobs.find((j) => ACTIVE.has(j.state) && j.clip_id && j.clip_id.startsWith(clip.id));
    if (job) return job.state === 'running' ? `translating ${percent(job)}` : 'queued';
    if (clip.lines && clip.reviewed >= clip.lines) return 'reviewed';
    return clip.reviewed ? 'in review' : 'machine draft';
  }

  function percent(job) {
    if (!job.duration_ms) return '';
    return `${Math.min(100, Math.round((100 * job.progress_ms) / job.duration_ms))}%`;
  }

  function sortValue(clip, key) {
    if (key === 'title') return (clip.title || clip.filename || '').toLowerCase();
    if (key === 'state') return stateOf(clip);
    if (key === 'share') return clip.lines ? clip.reviewed / clip.lines : 0;
    return clip[key] === null || clip[key] === undefined ? '' : clip[key];
  }

  function matchesFilter(clip) {
    if (!view.filter) return true;
    const haystack = [clip.title, clip.filename, clip.language, ...(clip.tags || [])].join(' ').toLowerCase();
    return view.filter.split(/\s+/).every((word) => haystack.includes(word));
  }

  // A picture for the row; audio-only clips and missing frames get a labelled placeholder instead.
  function thumbnail(clip) {
    const placeholder = () =>
      el('span', { class: 'thumb none', 'aria-hidden': 'true' }, clip.has_video ? '▶' : '♪');
    if (!clip.has_video) return placeholder();
    const img = el('img', {
      class: 'thumb',
      src: `/api/clips/${clip.id}/thumbnail.jpg`,
      alt: '',
      loading: 'lazy',
      width: 96,
      height: 54,
    });
    img.addEventListener('error', () => img.replaceWith(placeholder()), { once: true });
    return img;
  }

  function reviewedCell(clip) {
    const share = clip.lines ? clip.reviewed / clip.lines : 0;
    return el('td', { class: 'share' }, [
      el('progress', { max: 1, value: share, 'aria-label': 'reviewed share' }),
      el('span', { class: 'muted' }, ` ${clip.reviewed} / ${clip.lines}`),
    ]);
  }

  function tagList(tags) {
    if (!tags.length) return null;
    const chips = tags.map((tag) => el('span', { class: 'tag' }, tag));
    return el('div', { class: 'tags' }, chips);
  }

  function row(clip) {
    const href = `/clips/${clip.id}`;
    const state = stateOf(clip);
    const title = el('td', { class: 'title' }, [
      el('a', { href }, clip.title || clip.filename || clip.id),
      clip.title && clip.filename ? el('div', { class: 'muted small' }, clip.filename) : null,
      tagList(clip.tags || []),
    ]);
    return el('tr', { 'data-id': clip.id }, [
      el('td', { class: 'thumb-col' }, [el('a', { href, tabindex: -1 }, [thumbnail(clip)])]),
      title,
      el('td', {}, clip.language || ''),
      el('td', { class: 'num' }, duration(clip.duration_ms)),
      el('td', {}, [el('span', { class: `state ${state.split(' ')[0]}` }, state)]),
      el('td', { class: clip.doubtful ? 'num doubtful-count' : 'num' }, String(clip.doubtful)),
      reviewedCell(clip),
      el('td', { class: 'muted small' }, (clip.added || '').slice(0, 10)),
    ]);
  }

  function renderClips() {
    const rows = view.clips.filter(matchesFilter).sort((a, b) => {
      const x = sortValue(a, view.sortKey);
      const y = sortValue(b, view.sortKey);
      return (x < y ? -1 : x > y ? 1 : 0) * view.sortDir;
    });
    document.querySelector('#clips tbody').replaceChildren(...rows.map(row));
    const count = document.getElementById('clip-count');
    count.textContent =
      rows.length === view.clips.length ? `(${rows.length})` : `(${rows.length} of ${view.clips.length})`;
    document.getElementById('empty').hidden = view.clips.length > 0;
    document.getElementById('clips').hidden = view.clips.length === 0;
    for (const th of document.querySelectorAll('#clips th[data-sort]')) {
      const on = th.dataset.sort === view.sortKey;
      th.setAttribute('aria-sort', on ? (view.sortDir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }

  function onSortClick(event) {
    const th = event.target.closest('th[data-sort]');
    if (!th) return;
    const key = th.dataset.sort;
    // a new column starts with the order people usually want: text A-Z, numbers largest first
    if (key === view.sortKey) view.sortDir = -view.sortDir;
    else view.sortDir = ['title', 'language', 'state'].includes(key) ? 1 : -1;
    view.sortKey = key;
    renderClips();
  }

  // -- jobs in flight ------------------------------------------------------------------------------

  function jobItem(job) {
    const running = job.state === 'running';
    return el('li', { class: 'job' }, [
      el('span', { class: 'job-source' }, job.title || job.source || job.id),
      el('progress', { max: job.duration_ms || 1, value: running ? job.progress_ms || 0 : 0 }),
      el('span', { class: 'muted' }, running ? `translating ${percent(job)}` : 'queued'),
    ]);
  }

  function renderJobs() {
    const active = view.jobs.filter((j) => ACTIVE.has(j.state));
    document.getElementById('jobs').hidden = active.length === 0;
    document.getElementById('job-list').replaceChildren(...active.map(jobItem));
  }

  async function refresh() {
    const wasActive = view.jobs.filter((j) => ACTIVE.has(j.state)).length;
    const [clips, jobs] = await Promise.all([api('GET', '/api/clips'), api('GET', '/api/jobs')]);
    view.clips = clips.clips;
    view.jobs = jobs.jobs;
    renderClips();
    renderJobs();
    const active = view.jobs.filter((j) => ACTIVE.has(j.state)).length;
    clearTimeout(pollTimer);
    // poll only while something is translating; a finished job adds or changes a row
    if (active || wasActive > active) pollTimer = setTimeout(() => refresh().catch(showError), POLL_MS);
  }

  // -- search ------------------------------------------------------------------------------------

  function hitNode(hit) {
    const id = shortId(hit.clip_id);
    const head = [hit.title || id, clock(hit.start), hit.speaker].filter(Boolean).join(' · ');
    return el('li', {}, [
      el('a', { class: `hit${hit.doubtful ? ' doubtful' : ''}`, href: `/clips/${id}#line-${hit.segment}` }, [
        el('span', { class: 'hit-head' }, head),
        marked('span', hit.text, { class: 'hit-orig', lang: hit.language }),
        marked('span', hit.translation, { class: 'hit-en', lang: 'en' }),
      ]),
    ]);
  }

  async function search(event) {
    event.preventDefault();
    const form = event.target;
    const q = form.elements.q.value.trim();
    const box = document.getElementById('hits');
    if (!q && !form.elements.doubtful.checked) return clearSearch();
    const params = new URLSearchParams({ q });
    if (form.elements.doubtful.checked) params.set('doubtful', 'true');
    let result;
    try {
      result = await api('GET', `/api/search?${params}`);
    } catch (err) {
      showError(err);
      return undefined;
    }
    const summary = result.hits.length
      ? `${result.hits.length} line${result.hits.length === 1 ? '' : 's'}`
      : 'Nothing found';
    box.replaceChildren(el('h2', {}, summary), el('ol', { class: 'hit-list' }, result.hits.map(hitNode)));
    box.hidden = false;
    document.getElementById('search-clear').hidden = false;
    return undefined;
  }

  function clearSearch() {
    const form = document.getElementById('search');
    form.elements.q.value = '';
    document.getElementById('hits').hidden = true;
    document.getElementById('search-clear').hidden = true;
  }

  document.addEventListener('DOMContentLoaded', () => {
    document.querySelector('#clips thead').addEventListener('click', onSortClick);
    document.getElementById('filter').addEventListener('input', (event) => {
      view.filter = event.target.value.trim().toLowerCase();
      renderClips();
    });
    document.getElementById('search').addEventListener('submit', search);
    document.getElementById('search-clear').addEventListener('click', clearSearch);
    refresh().catch(showError);
  });
})();
