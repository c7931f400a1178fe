// The upload page: choose or drop files, send each with the options (XHR, for upload progress), then
// follow each job live (server-sent events, polling when they are unavailable) until done or failed.
'use strict';

(function () {
  const { el, clock, showError, shortId, ApiError } = window.tolmach;
  const POLL_MS = 1500;

  const chosen = []; // files waiting for "Upload and translate", each {file, item}

  function size(bytes) {
    if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
    if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
  }

  // One row of the queue; its parts are updated as the file goes through upload and translation.
  function queueItem(file) {
    const bar = el('progress', { max: 1, value: 0 });
    const status = el('span', { class: 'status' }, 'waiting');
    const detail = el('div', { class: 'detail' });
    const remove = el(
      'button',
      { type: 'button', class: 'quiet small', 'aria-label': `Remove ${file.name}` },
      'Remove',
    );
    const item = el('li', { class: 'queued-file waiting' }, [
      el('div', { class: 'file-head' }, [
        el('span', { class: 'file-name' }, file.name),
        el('span', { class: 'muted small' }, size(file.size)),
        status,
        remove,
      ]),
      bar,
      detail,
    ]);
    const entry = { file, item, bar, status, detail, remove };
    remove.addEventListener('click', () => {
      chosen.splice(chosen.indexOf(entry), 1);
      item.remove();
      updateSummary();
    });
    return entry;
  }

  function addFiles(files) {
    for (const file of files) {
      const entry = queueItem(file);
      chosen.push(entry);
      document.getElementById('queue').append(entry.item);
    }
    updateSummary();
  }

  function updateSummary() {
    const n = chosen.length;
    document.getElementById('start').disabled = n === 0;
    document.getElementById('summary').textContent = n
      ? `${n} file${n === 1 ? '' : 's'} ready`
      : 'No files chosen.';
  }

  function setStage(entry, stage, text) {
    entry.item.className = `queued-file ${stage}`;
    entry.status.textContent = text;
  }

  // The options as the API's form fields; the file is added per request.
  function optionsForm(form) {
    const data = new FormData();
    const field = (name) => form.elements[name];
    data.set('lang', field('lang').value);
    for (const name of ['title', 'place', 'filmed', 'notes', 'tags']) {
      const value = field(name).value.trim();
      if (value) data.set(name, value);
    }
    const formats = [...form.querySelectorAll('input[name="formats"]:checked')].map((box) => box.value);
    data.set('formats', formats.join(','));
    return data;
  }

  // XMLHttpRequest rather than fetch: fetch cannot report upload progress.
  function send(entry, data) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/clips');
      xhr.setRequestHeader('X-CSRF-Token', document.querySelector('meta[name="csrf-token"]').content);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.responseType = 'json';
      xhr.upload.addEventListener('progress', (event) => {
        if (!event.lengthComputable) return;
        entry.bar.max = event.total;
        entry.bar.value = event.loaded;
        setStage(entry, 'uploading', `uploading ${Math.round((100 * event.loaded) / event.total)}%`);
      });
      xhr.addEventListener('load', () => {
        const body = xhr.response || {};
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new ApiError(xhr.status, body.error || `${xhr.status} ${xhr.statusText}`, body.hint));
      });
      xhr.addEventListener('error', () =>
        reject(new ApiError(0, 'the upload was cut off', 'check the connection and try again')),
      );
      xhr.send(data);
    });
  }

  function showFailure(entry, error, hint) {
    setStage(entry, 'failed', 'failed');
    entry.detail.replaceChildren(el('p', { class: 'error' }, hint ? `${error} (${hint})` : error));
  }

  function showJob(entry, job) {
    if (job.state === 'queued') {
      setStage(entry, 'queued', 'queued for translation');
      entry.bar.removeAttribute('value'); // indeterminate while it waits
    } else if (job.state === 'running') {
      setStage(
        entry,
        'running',
        job.duration_ms
          ? `translating ${clock(job.progress_ms || 0, 0)} of ${clock(job.duration_ms, 0)}`
          : 'translating',
      );
      entry.bar.max = job.duration_ms || 1;
      entry.bar.value = job.progress_ms || 0;
    } else if (job.state === 'done') {
      setStage(entry, 'done', 'done');
      entry.bar.max = 1;
      entry.bar.value = 1;
      const href = `/clips/${shortId(job.clip_id)}`;
      entry.detail.replaceChildren(el('a', { class: 'button primary', href }, 'Review the translation'));
    } else if (job.state === 'failed') {
      showFailure(entry, job.error || 'the job failed', job.hint);
    }
    return job.state === 'done' || job.state === 'failed';
  }

  // Server-sent events while they work; if the stream breaks before the end, poll instead.
  function follow(entry, job) {
    if (showJob(entry, job)) return;
    if (!window.EventSource) return poll(entry, job.id);
    const events = new EventSource(`/api/jobs/${job.id}/events`);
    let finished = false;
    events.addEventListener('job', (event) => {
      finished = showJob(entry, JSON.parse(event.data));
      if (finished) events.close();
    });
    events.addEventListener('error', () => {
      events.close();
      if (!finished) poll(entry, job.id);
    });
    return undefined;
  }

  async function poll(entry, jobId) {
    try {
      const job = await window.tolmach.api('GET', `/api/jobs/${jobId}`);
      if (!showJob(entry, job)) setTimeout(() => poll(entry, jobId), POLL_MS);
    } catch (err) {
      showFailure(entry, err.error || err.message, err.hint);
    }
  }

  async function start(event) {
    event.preventDefault();
    const form = event.target;
    const batch = chosen.splice(0);
    updateSummary();
    // one request per file, one after another: each gets its own progress and its own error
    for (const entry of batch) {
      entry.remove.hidden = true;
      const data = optionsForm(form);
      data.append('file', entry.file, entry.file.name);
      try {
        const reply = await send(entry, data);
        for (const job of reply.jobs) follow(entry, job);
      } catch (err) {
        showFailure(entry, err.error || err.message, err.hint);
      }
    }
  }

  function wireDropZone() {
    const zone = document.getElementById('drop');
    const input = document.getElementById('files');
    input.addEventListener('change', () => {
      addFiles([...input.files]);
      input.value = ''; // choosing the same file again still fires "change"
    });
    for (const type of ['dragenter', 'dragover']) {
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add('over');
      });
    }
    for (const type of ['dragleave', 'drop']) {
      zone.addEventListener(type, () => zone.classList.remove('over'));
    }
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      addFiles([...event.dataTransfer.files]);
    });
    // a file dropped beside the zone would otherwise make the browser navigate away to it
    window.addEventListener('dragover', (event) => event.preventDefault());
    window.addEventListener('drop', (event) => event.preventDefault());
  }

  document.addEventListener('DOMContentLoaded', () => {
    wireDropZone();
    document.getElementById('upload').addEventListener('submit', (event) => start(event).catch(showError));
  });
})();
