"""Jobs in the archive: one clip and its options to process, with state, progress and the error if any.

The table is the queue: a worker claims the oldest queued job in a write transaction (so two workers
never take the same one), reports progress, and ends it done (with its clip and run) or failed (with
the one-line message and hint a user sees). A job left ``running`` by a worker that died is put back by
``requeue_stale``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass
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
    """Take the oldest queued job for ``worker``, or None when there is none."""
    with write(conn) as c:
        row = c.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created, id LIMIT 1").fetchone()
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


def finish(conn: sqlite3.Connection, job_id: str, clip_id: str, run_id: str) -> None:
    with write(conn) as c:
        c.execute(
            "UPDATE jobs SET state = 'done', clip_id = ?, run_id = ?, progress_ms = duration_ms, finished = ?"
            " WHERE id = ?",
            (clip_id, run_id, now(), job_id),
        )


def fail(conn: sqlite3.Connection, job_id: str, error: str, hint: str = "") -> None:
    with write(conn) as c:
        c.execute(
            "UPDATE jobs SET state = 'failed', error = ?, hint = ?, finished = ? WHERE id = ?",
            (error, hint, now(), job_id),
        )


def requeue_stale(conn: sqlite3.Connection, workers_alive: set[str]) -> int:
    """Put back the running jobs of workers that are gone; returns how many."""
    with write(conn) as c:
        rows = c.execute("SELECT id, worker FROM jobs WHERE state = 'running'").fetchall()
        stale = [r[0] for r in rows if r[1] not in workers_alive]
        c.executemany("UPDATE jobs SET state = 'queued', worker = '' WHERE id = ?", [(j,) for j in stale])
    return len(stale)


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["options"] = json.loads(data["options"])
    info = json.loads(data["info"])
    info["tags"] = tuple(info.get("tags", ()))
    data["info"] = ClipInfo(**info)
    return Job(**data)
