"""The archive's SQLite database: how it is opened, and the migrations that shape it.

Opened in WAL mode (readers never block the writer) with foreign keys on and a busy timeout, so two
tolmach processes can share one archive: each write is one ``BEGIN IMMEDIATE`` transaction, and a second
writer waits for the first instead of failing. Migrations are registered functions applied in order
on open and recorded in the ``migrations`` table (sqlite-utils' ``migrations`` does the same); a
migration is never edited once released, a change is a new one.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from tolmach.errors import OutputError

BUSY_TIMEOUT_S = 60.0  # a writer waits this long for another process's transaction
Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        MIGRATIONS.append((name, fn))
        return fn

    return register


def now() -> str:
    """The current time as ISO 8601 UTC with seconds, the archive's one time format."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when absent) the database at ``path`` and bring its schema up to date."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        _wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise OutputError(
            f"cannot open the archive database {path}: {exc}",
            "check the folder's permissions and free space, or point --home / TOLMACH_HOME elsewhere",
        ) from exc
    return conn


def _wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, waiting for other processes: SQLite answers "locked" at once here, without
    calling the busy handler, when another process is creating the same database (measured: two
    ``translate`` processes started together on a new archive)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: all of it is stored, or (on any error, or a killed process) none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every registered migration not yet recorded; returns the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    # an up-to-date archive is opened without taking the write lock (the web app opens one per request)
    for name, fn in (m for m in MIGRATIONS if m[0] not in done):
        with write(conn):  # re-checked inside the lock: another process may have just applied it
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                continue
            fn(conn)
            conn.execute("INSERT INTO migrations (name, applied) VALUES (?, ?)", (name, now()))
            applied.append(name)
    return applied


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction.

    ``executescript`` would commit the open transaction first, so a migration could be half-applied;
    this splits the script with ``sqlite3.complete_statement`` (which knows about trigger bodies).
    """
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                conn.execute(statement)
            statement = ""


@migration("0001_archive")
def _archive(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE clips (
            id TEXT PRIMARY KEY,               -- sha256 of the original file
            size INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            filename TEXT NOT NULL,            -- its name when first added; metadata only
            media TEXT NOT NULL,               -- MediaInfo as JSON
            title TEXT NOT NULL DEFAULT '',
            place TEXT NOT NULL DEFAULT '',
            filmed TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            added TEXT NOT NULL,
            current_run TEXT                   -- the run that list, search and export show
        );
        CREATE INDEX clips_current_run ON clips(current_run);
        CREATE TABLE sources (
            clip_id TEXT NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
            location TEXT NOT NULL,            -- the path or URL it was taken from
            seen TEXT NOT NULL,
            PRIMARY KEY (clip_id, location)
        );
        CREATE TABLE tags (
            clip_id TEXT NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (clip_id, tag)
        );
        CREATE INDEX tags_tag ON tags(tag);
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,               -- sha256 of the clip id and the key
            clip_id TEXT NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
            key TEXT NOT NULL,                 -- canonical JSON of everything that shaped the result
            language TEXT NOT NULL,
            transcript TEXT NOT NULL,          -- the rest of the Transcript record as JSON
            created TEXT NOT NULL
        );
        CREATE INDEX runs_clip ON runs(clip_id);
        CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,           -- Segment.id
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            speaker TEXT,
            text TEXT NOT NULL,
            translation TEXT NOT NULL,
            stems TEXT NOT NULL,               -- stems of text: what inflected queries match
            names TEXT NOT NULL,               -- entity names, nominative and English
            doubtful INTEGER NOT NULL,
            detail TEXT NOT NULL,              -- flags, notes, confidence, words as JSON
            UNIQUE (run_id, number)
        );
        CREATE TABLE entities (
            segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            normal TEXT NOT NULL,
            english TEXT NOT NULL
        );
        CREATE INDEX entities_segment ON entities(segment_id);
        CREATE INDEX entities_normal ON entities(normal COLLATE NOCASE);
        CREATE INDEX entities_english ON entities(english COLLATE NOCASE);
        CREATE TABLE outputs (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,                -- e.g. "en.srt"
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (run_id, name)
        );
        CREATE VIRTUAL TABLE segments_fts USING fts5(
            text, translation, stems, names,
            content='segments', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN
            INSERT INTO segments_fts(rowid, text, translation, stems, names)
            VALUES (new.id, new.text, new.translation, new.stems, new.names);
        END;
        CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN
            INSERT INTO segments_fts(segments_fts, rowid, text, translation, stems, names)
            VALUES ('delete', old.id, old.text, old.translation, old.stems, old.names);
        END;
        CREATE TRIGGER segments_au AFTER UPDATE ON segments BEGIN
            INSERT INTO segments_fts(segments_fts, rowid, text, translation, stems, names)
            VALUES ('delete', old.id, old.text, old.translation, old.stems, old.names);
            INSERT INTO segments_fts(rowid, text, translation, stems, names)
            VALUES (new.id, new.text, new.translation, new.stems, new.names);
        END;
        """,
    )


@migration("0002_review_and_jobs")
def _review_and_jobs(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE segments ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            field TEXT NOT NULL,               -- text, translation, speaker, start, end, reviewed
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            author TEXT NOT NULL,
            at TEXT NOT NULL,
            undoes INTEGER REFERENCES revisions(id)  -- set when this revision took another back
        );
        CREATE INDEX revisions_segment ON revisions(segment_id);
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,               -- random hex
            source TEXT NOT NULL,              -- what the user gave: a file name or a URL
            path TEXT NOT NULL,                -- where the media is now (an upload under tmp/, or the URL)
            options TEXT NOT NULL,             -- Options as JSON
            info TEXT NOT NULL,                -- ClipInfo as JSON
            state TEXT NOT NULL,               -- queued, running, done, failed
            progress_ms INTEGER NOT NULL DEFAULT 0,
            duration_ms INTEGER NOT NULL DEFAULT 0,
            clip_id TEXT,
            run_id TEXT,
            error TEXT NOT NULL DEFAULT '',
            hint TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            started TEXT,
            finished TEXT
        );
        CREATE INDEX jobs_state ON jobs(state, created);
        """,
    )


@migration("0003_batch")
def _batch(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE jobs ADD COLUMN batch TEXT NOT NULL DEFAULT '';     -- '' for the web app's jobs
        ALTER TABLE jobs ADD COLUMN output TEXT NOT NULL DEFAULT '';    -- folder/stem of the files; '' none
        ALTER TABLE jobs ADD COLUMN executor TEXT NOT NULL DEFAULT '';  -- local, ray, web
        ALTER TABLE jobs ADD COLUMN timings TEXT NOT NULL DEFAULT '{}'; -- seconds per stage, as JSON
        ALTER TABLE jobs ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;  -- 1: done from a stored run
        CREATE INDEX jobs_batch ON jobs(batch, state);
        """,
    )


@migration("0004_segment_versions")
def _segment_versions(conn: sqlite3.Connection) -> None:
    # A line's version goes up with every accepted edit or undo, so a write from a page that read an
    # older version is refused instead of silently replacing what someone else wrote since.
    conn.execute("ALTER TABLE segments ADD COLUMN version INTEGER NOT NULL DEFAULT 1")


@migration("0005_line_structure")
def _line_structure(conn: sqlite3.Connection) -> None:
    # Split, merge, insert and delete (archive/structure.py). A deleted line stays as a row marked
    # deleted, so its history and an undo keep what it said; a line's number is never given to
    # another. The revisions one such change wrote share a step (the id of its first revision) and
    # name the action, so an undo takes the whole change back at once.
    run_script(
        conn,
        """
        ALTER TABLE segments ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE revisions ADD COLUMN action TEXT NOT NULL DEFAULT '';  -- split, merge, insert, delete
        ALTER TABLE revisions ADD COLUMN step INTEGER;                     -- first revision of the action
        CREATE INDEX revisions_step ON revisions(step);
        """,
    )


@migration("0006_approvals")
def _approvals(conn: sqlite3.Connection) -> None:
    # The second step of sign-off (archive/signoff.py): an approval stands while the run has no
    # revision after ``last_revision``; ``withdrawn`` says why when its approver took it back.
    run_script(
        conn,
        """
        CREATE TABLE approvals (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            approver TEXT NOT NULL,
            at TEXT NOT NULL,
            last_revision INTEGER NOT NULL,   -- the run's last revision when it was approved
            withdrawn TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX approvals_run ON approvals(run_id);
        """,
    )
