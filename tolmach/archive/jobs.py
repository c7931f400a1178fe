"""Jobs in the archive: one clip and its options to process, with state, progress and the error if any.

The table is the queue: a worker claims the oldest queued job in a write transaction (so two workers
never take the same one), reports progress, and ends it done (with its clip and run) or failed (with
the one-line message and hint a user sees). A job left ``running`` by a worker that died is put back by
``requeue_stale``.

Two kinds of job share the table: the web app's (``batch`` empty), which its runner claims one at a time,
and those of ``tolmach batch`` (``batch`` set), which only the batch driver that owns them starts
(``start``), so a web server on the same archive never takes a batch's clip and the other way round.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

from tolmach.archive.db import now, write
from tolmach.errors import InputError
from tolmach.records import ClipInfo

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    id: str
    source: str  # what the user gave: a file name or a URL
    path: str  # where the media is: an upload under the archive's tmp/, or the URL
    options: dict[str, Any]
    info: ClipInfo
    state: str
    progress_ms: int
    duration_ms: int
    clip_id: str | None
    run_id: str | None
    error: str
    hint: str
    attempts: int
    worker: str
    created: str
    started: str | None
    finished: str | None
    batch: str = ""  # the batch it belongs to; "" for the web app's jobs
    output: str = ""  # where its files go: folder/stem, to which ".en.srt" etc. are added; "" none
    executor: str = ""  # local, ray
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, as the pipeline timed them
    reused: bool = False  # done from a run the archive already held: nothing was decoded

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["info"] = asdict(self.info)
        return data


def add(conn: sqlite3.Connection, source: str, path: str, options: dict[str, Any], info: ClipInfo) -> Job:
    job_id = secrets.token_hex(8)
    with write(conn) as c:
        c.execute(
            "INSERT INTO jobs (id, source, path, options, info, state, created)"
            " VALUES (?, ?, ?, ?, ?, 'queued', ?)",
            (job_id, source, path, json.dumps(options), json.dumps(asdict(info)), now()),
        )
    return get(conn, job_id)


def get(conn: sqlite3.Connection, job_id: str) -> Job:
    row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise InputError(f"no job {job_id}", "list them: GET /api/jobs or 'tolmach jobs'")
    return _job(row)


def listed(conn: sqlite3.Connection, state: str | None = None, limit: int = 200) -> list[Job]:
    where, args = ("WHERE state = ?", (state,)) if state else ("", ())
    rows = conn.execute(f"SELECT * FROM jobs {where} ORDER BY created DESC, id LIMIT ?", (*args, limit))
    return [_job(r) for r in rows]


def claim(conn: sqlite3.Connection, worker: str) -> Job | None:
    """Take the oldest queued job of the web app's for ``worker``, or None when there is none."""
    with write(conn) as c:
        row = c.execute(
            "SELECT id FROM jobs WHERE state = 'queued' AND batch = '' ORDER BY created, id LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        c.execute(
            "UPDATE jobs SET state = 'running', worker = ?, attempts = attempts + 1, started = ?"
            " WHERE id = ?",
            (worker, now(), row[0]),
        )
    return get(conn, row[0])


def progress(conn: sqlite3.Connection, job_id: str, done_ms: int, duration_ms: int | None = None) -> None:
    with write(conn) as c:
        if duration_ms is not None:
            c.execute("UPDATE jobs SET duration_ms = ? WHERE id = ?", (duration_ms, job_id))
        c.execute("UPDATE jobs SET progress_ms = ? WHERE id = ?", (done_ms, job_id))


def finish(
    conn: sqlite3.Connection,
    job_id: str,
    clip_id: str,
    run_id: str,
    *,
    timings: dict[str, float] | None = None,
    reused: bool = False,
    duration_ms: int | None = None,
    worker: str | None = None,
) -> None:
    """Mark a job done with its clip and run (and, for a batch, the stage timings and who did it)."""
    with write(conn) as c:
        if duration_ms is not None:
            c.execute("UPDATE jobs SET duration_ms = ? WHERE id = ?", (duration_ms, job_id))
        if worker is not None:
            c.execute("UPDATE jobs SET worker = ? WHERE id = ?", (worker, job_id))
        if timings is not None:
            c.execute("UPDATE jobs SET timings = ? WHERE id = ?", (json.dumps(timings), job_id))
        c.execute(
            "UPDATE jobs SET state = 'done', clip_id = ?, run_id = ?, progress_ms = duration_ms,"
            " finished = ?, reused = ?, error = '', hint = '' WHERE id = ?",
            (clip_id, run_id, now(), int(reused), job_id),
        )


def fail(conn: sqlite3.Connection, job_id: str, error: str, hint: str = "") -> None:
    with write(conn) as c:
        c.execute(
            "UPDATE jobs SET state = 'failed', error = ?, hint = ?, finished = ? WHERE id = ?",
            (error, hint, now(), job_id),
        )


def process_exists(pid: int) -> bool:
    """Whether a worker's process on this machine is still there (to tell a live job from a stale one)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def requeue_stale(conn: sqlite3.Connection, workers_alive: set[str]) -> int:
    """Put back the running jobs of workers that are gone; returns how many."""
    with write(conn) as c:
        rows = c.execute("SELECT id, worker FROM jobs WHERE state = 'running'").fetchall()
        stale = [r[0] for r in rows if r[1] not in workers_alive]
        c.executemany("UPDATE jobs SET state = 'queued', worker = '' WHERE id = ?", [(j,) for j in stale])
    return len(stale)


# -- batches --------------------------------------------------------------------------------------


def add_batch(
    conn: sqlite3.Connection,
    batch: str,
    executor: str,
    jobs: list[tuple[str, str, dict[str, Any], ClipInfo, str]],
) -> list[Job]:
    """Queue a batch's jobs, each (source, path, options, info, output), in one transaction."""
    ids = [secrets.token_hex(8) for _ in jobs]
    created = now()
    with write(conn) as c:
        c.executemany(
            "INSERT INTO jobs (id, source, path, options, info, state, created, batch, executor, output)"
            " VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
            [
                (
                    i,
                    source,
                    path,
                    json.dumps(options),
                    json.dumps(asdict(info)),
                    created,
                    batch,
                    executor,
                    out,
                )
                for i, (source, path, options, info, out) in zip(ids, jobs, strict=True)
            ],
        )
    return [get(conn, i) for i in ids]


def of_batch(conn: sqlite3.Connection, batch: str) -> list[Job]:
    """A batch's jobs in the order they were queued."""
    rows = conn.execute("SELECT * FROM jobs WHERE batch = ? ORDER BY created, rowid", (batch,))
    return [_job(r) for r in rows]


def start(conn: sqlite3.Connection, job_id: str, worker: str, executor: str) -> None:
    """A batch driver hands the job to ``worker``: one more attempt."""
    with write(conn) as c:
        c.execute(
            "UPDATE jobs SET state = 'running', worker = ?, executor = ?, attempts = attempts + 1,"
            " started = ?, error = '', hint = '', finished = NULL, progress_ms = 0 WHERE id = ?",
            (worker, executor, now(), job_id),
        )


def requeue(conn: sqlite3.Connection, job_ids: list[str], *, count_attempt: bool = True) -> None:
    """Put jobs back in the queue; ``count_attempt=False`` when they were stopped, not failed (Ctrl+C)."""
    minus = 0 if count_attempt else 1
    with write(conn) as c:
        c.executemany(
            "UPDATE jobs SET state = 'queued', worker = '', progress_ms = 0, finished = NULL,"
            " attempts = max(attempts - ?, 0) WHERE id = ? AND state != 'done'",
            [(minus, j) for j in job_ids],
        )


def retry(conn: sqlite3.Connection, job_id: str) -> Job:
    """Put a failed job back in the queue; InputError if it is not failed."""
    job = get(conn, job_id)
    if job.state != "failed":
        raise InputError(f"job {job_id} is {job.state}, not failed", "only failed jobs are retried")
    requeue(conn, [job_id])
    return get(conn, job_id)


def failed_ids(conn: sqlite3.Connection, batch: str | None = None) -> list[str]:
    where, args = ("AND batch = ?", (batch,)) if batch is not None else ("", ())
    rows = conn.execute(f"SELECT id FROM jobs WHERE state = 'failed' {where} ORDER BY created, rowid", args)
    return [r[0] for r in rows]


def resolve(conn: sqlite3.Connection, prefix: str) -> str:
    """The job ID starting with ``prefix`` (4 characters or more)."""
    prefix = prefix.strip().lower()
    rows = conn.execute("SELECT id FROM jobs WHERE id LIKE ?", (prefix + "%",)).fetchall() if prefix else []
    if len(prefix) < 4 or not rows:
        raise InputError(f"no job {prefix}", "list them: 'tolmach jobs'")
    if len(rows) > 1:
        raise InputError(f"job ID {prefix} is ambiguous ({len(rows)} matches)", "give more characters")
    return str(rows[0][0])


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["options"] = json.loads(data["options"])
    data["timings"] = json.loads(data.get("timings") or "{}")
    data["reused"] = bool(data.get("reused", 0))
    info = json.loads(data["info"])
    info["tags"] = tuple(info.get("tags", ()))
    data["info"] = ClipInfo(**info)
    return Job(**data)
