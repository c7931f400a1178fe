"""The archive: every processed clip, its runs and their segments, in SQLite and the file store.

A *clip* is one original file, identified by its sha256 and stored once. A *run* is one result for a
clip: the same clip with the same options (and model, and glossary) is the same run, found again instead
of recomputed; different options make another run, and both stay addressable. The clip's *current* run
is what list, search and export show. IDs shown to users are sha256 prefixes of either.

A person's work is never hidden by a machine: a new run (or a stored one met again) becomes current
only while the current run has no revision at all; otherwise it is stored beside it, and only
``use_run`` (the user choosing) changes which run the clip shows.

Writes: files first (content-addressed, atomic, harmless if orphaned), then every row of a run in one
transaction. A process killed at any point leaves either the whole run or none of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tolmach.archive import review, signoff, structure
from tolmach.archive.db import connect, now, write
from tolmach.archive.store import Store
from tolmach.errors import InputError
from tolmach.options import Options
from tolmach.records import ClipInfo, Edit, Entity, MediaInfo, Segment, Transcript
from tolmach.subtitles.formats.jsonformat import (
    ENTITY_FIELDS,
    media_from_dict,
    media_to_dict,
    segment_from_dict,
    segment_to_dict,
    transcript_from_dict,
    transcript_to_dict,
)
from tolmach.text import stems
from tolmach.translate.glossary import Glossary

THUMBS = "thumbs"  # the web app's cached thumbnails: <clip id>.jpg
PEAKS = "peaks"  # the web app's cached waveforms: <clip id>.peaks (media/peaks.py)
ID_LENGTH = 12  # characters of sha256 shown; unique in any archive a person will build
MIN_PREFIX = 4
_SEGMENT_COLUMNS = review.SEGMENT_COLUMNS
_INFO_FIELDS = ("title", "place", "filmed", "notes")


def default_home() -> Path:
    """``$TOLMACH_HOME``, else ``$XDG_DATA_HOME/tolmach``, else ``~/.local/share/tolmach``."""
    if home := os.environ.get("TOLMACH_HOME"):
        return Path(home).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "tolmach"


def run_id_for(sha256: str, key: Mapping[str, Any]) -> tuple[str, str]:
    """The run ID and canonical key text for a clip and everything that shaped its result."""
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{sha256}\n{text}".encode()).hexdigest(), text


@dataclass(frozen=True)
class ClipSummary:
    """One row of ``tolmach list``."""

    id: str
    run_id: str | None
    filename: str
    title: str
    language: str
    duration_ms: int
    lines: int
    doubtful: int
    runs: int
    tags: tuple[str, ...]
    added: str
    reviewed: int = 0  # lines of the current run a person has marked reviewed
    has_video: bool = False


@dataclass(frozen=True)
class RunSummary:
    """One run of a clip, as ``tolmach runs list`` and the review page list them."""

    id: str
    created: str
    language: str
    key: dict[str, Any]
    current: bool
    lines: int = 0
    reviewed: int = 0  # lines marked reviewed now
    revisions: int = 0  # every change a person made: edits, reviewed marks, undos

    @property
    def worked_on(self) -> bool:
        """True once a person changed anything in the run: it then stays the clip's text."""
        return self.revisions > 0


@dataclass(frozen=True)
class ClipRecord:
    """Everything ``tolmach show`` prints about a clip."""

    id: str
    filename: str
    media: MediaInfo
    info: ClipInfo
    sources: tuple[tuple[str, str], ...]  # (location, when)
    runs: tuple[RunSummary, ...]


class Archive:
    """One archive folder: ``archive.db``, ``objects/`` (the store) and ``tmp/`` (downloads in flight)."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from tolmach.media.files import output_error

            raise output_error(self.home, exc) from exc
        self.store = Store(self.home / "objects")
        self.tmp = self.home / "tmp"
        self.stages = self.home / "stages"  # decoded lines kept for reruns (tolmach.asr.cache)
        self.conn = connect(self.home / "archive.db")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- finding ---------------------------------------------------------------------------------

    def has_run(self, run_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None

    def current_run(self, clip_id: str) -> str | None:
        """The run a clip's ID stands for (its latest), or None for a clip not in the archive."""
        row = self.conn.execute("SELECT current_run FROM clips WHERE id = ?", (clip_id,)).fetchone()
        return row[0] if row is not None else None

    def resolve(self, prefix: str) -> tuple[str, str | None]:
        """(clip ID, run ID) for a clip or run ID prefix; a clip means its current run."""
        prefix = prefix.strip().lower()
        if len(prefix) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in prefix):
            hint = f"IDs are {MIN_PREFIX} or more hex characters; see 'tolmach list'"
            raise InputError(f"'{prefix}' is not an archive ID", hint)
        like = (prefix + "%",)
        clips = self.conn.execute("SELECT id, current_run FROM clips WHERE id LIKE ?", like).fetchall()
        runs = self.conn.execute("SELECT clip_id, id FROM runs WHERE id LIKE ?", like).fetchall()
        found = {(r[0], r[1]) for r in clips} | {(r[0], r[1]) for r in runs}
        if not found:
            raise InputError(f"no clip or run with ID {prefix} in {self.home}", "see 'tolmach list'")
        if len(found) > 1:
            raise InputError(f"ID {prefix} is ambiguous ({len(found)} matches)", "give more characters")
        return found.pop()

    def run_of(self, prefix: str) -> str:
        clip_id, run_id = self.resolve(prefix)
        if run_id is None:
            raise InputError(f"clip {clip_id[:ID_LENGTH]} has no finished run", "translate it again")
        return run_id

    # -- writing ---------------------------------------------------------------------------------

    def save(
        self,
        transcript: Transcript,
        info: ClipInfo,
        key: Mapping[str, Any],
        outputs: Mapping[str, bytes] | None = None,
        *,
        original: Path | None = None,
    ) -> str:
        """Store a clip's original, a run and its outputs; returns the run ID (existing or new)."""
        media = transcript.media
        run_id, key_text = run_id_for(media.sha256, key)
        self.store.add_file(original or Path(media.path), media.sha256)
        stored = {name: (self.store.add_bytes(data), len(data)) for name, data in (outputs or {}).items()}
        with write(self.conn) as c:
            self._upsert_clip(c, media, info)
            if not self.has_run(run_id):
                self._insert_run(c, run_id, key_text, transcript)
            c.executemany(
                "INSERT OR REPLACE INTO outputs (run_id, name, sha256, size) VALUES (?, ?, ?, ?)",
                [(run_id, name, sha, size) for name, (sha, size) in stored.items()],
            )
            _offer_current(c, media.sha256, run_id)
        return run_id

    def note_source(self, clip_id: str, info: ClipInfo, current_run: str | None = None) -> None:
        """Record that a clip was met again (another path or URL), with any new details; ``current_run``
        (the stored run found again) is offered as the current one, on the terms ``save`` gives."""
        with write(self.conn) as c:
            row = c.execute("SELECT media FROM clips WHERE id = ?", (clip_id,)).fetchone()
            if row is not None:
                self._upsert_clip(c, media_from_dict(json.loads(row[0])), info)
                if current_run is not None:
                    _offer_current(c, clip_id, current_run)

    def use_run(self, run_id: str) -> RunSummary:
        """Make ``run_id`` its clip's current run: the user's choice, whatever either run holds."""
        with write(self.conn) as c:
            row = c.execute("SELECT clip_id FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise InputError(
                    f"no run {run_id[:ID_LENGTH]} in {self.home}", "see 'tolmach runs list CLIP'"
                )
            c.execute("UPDATE clips SET current_run = ? WHERE id = ?", (run_id, row[0]))
        return self.run_summary(run_id)

    def _upsert_clip(self, c: sqlite3.Connection, media: MediaInfo, info: ClipInfo) -> None:
        added = info.added or now()
        c.execute(
            "INSERT OR IGNORE INTO clips (id, size, duration_ms, filename, media, added)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                media.sha256,
                media.size,
                media.duration_ms,
                Path(media.path).name,
                json.dumps(media_to_dict(media), ensure_ascii=False),
                added,
            ),
        )
        for name in _INFO_FIELDS:
            if value := getattr(info, name):
                c.execute(f"UPDATE clips SET {name} = ? WHERE id = ?", (value, media.sha256))
        if info.source:
            c.execute(
                "INSERT OR REPLACE INTO sources (clip_id, location, seen) VALUES (?, ?, ?)",
                (media.sha256, info.source, added),
            )
        c.executemany(
            "INSERT OR IGNORE INTO tags (clip_id, tag) VALUES (?, ?)", [(media.sha256, t) for t in info.tags]
        )

    def _insert_run(self, c: sqlite3.Connection, run_id: str, key: str, t: Transcript) -> None:
        head = transcript_to_dict(replace(t, segments=()))
        del head["segments"]
        c.execute(
            "INSERT INTO runs (id, clip_id, key, language, transcript, created) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, t.media.sha256, key, t.language, json.dumps(head, ensure_ascii=False), now()),
        )
        for s in t.segments:
            self._insert_segment(c, run_id, s, t.language)

    def _insert_segment(self, c: sqlite3.Connection, run_id: str, s: Segment, language: str) -> None:
        detail = {k: v for k, v in segment_to_dict(s).items() if k not in _SEGMENT_COLUMNS}
        names = " ".join(dict.fromkeys(n for e in s.entities for n in (e.normal, e.english) if n))
        cursor = c.execute(
            "INSERT INTO segments (run_id, number, start_ms, end_ms, speaker, text, translation, stems,"
            " names, doubtful, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                s.id,
                s.start,
                s.end,
                s.speaker,
                s.text,
                s.translation,
                stems(s.text, language),
                names,
                int(s.doubtful),
                json.dumps(detail, ensure_ascii=False),
            ),
        )
        c.executemany(
            "INSERT INTO entities (segment_id, kind, text, start, end, normal, english)"
            " VALUES (?,?,?,?,?,?,?)",
            [(cursor.lastrowid, *(getattr(e, f) for f in ENTITY_FIELDS)) for e in s.entities],
        )

    def tag(self, clip_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> tuple[str, ...]:
        with write(self.conn) as c:
            c.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)", ((clip_id, t) for t in add))
            c.executemany("DELETE FROM tags WHERE clip_id = ? AND tag = ?", ((clip_id, t) for t in remove))
        return self.tags(clip_id)

    def remove(self, clip_id: str) -> int:
        """Delete a clip, its runs and their files; returns how many stored files were removed."""
        with write(self.conn) as c:
            shas = {clip_id} | {
                r[0]
                for r in c.execute(
                    "SELECT o.sha256 FROM outputs o JOIN runs r ON r.id = o.run_id WHERE r.clip_id = ?",
                    (clip_id,),
                )
            }
            c.execute("DELETE FROM clips WHERE id = ?", (clip_id,))
            still = {r[0] for r in c.execute("SELECT DISTINCT sha256 FROM outputs")} | {
                r[0] for r in c.execute("SELECT id FROM clips")
            }
        # after the commit: a crash here leaves unreferenced files, never rows pointing at nothing
        gone = shas - still
        for sha in gone:
            self.store.remove(sha)
        (self.home / THUMBS / f"{clip_id}.jpg").unlink(missing_ok=True)  # the web app's cached frame
        (self.home / PEAKS / f"{clip_id}.peaks").unlink(missing_ok=True)  # ... and waveform
        shutil.rmtree(self.stages / clip_id, ignore_errors=True)  # its decoded lines
        return len(gone)

    # -- reading ---------------------------------------------------------------------------------

    def tags(self, clip_id: str) -> tuple[str, ...]:
        rows = self.conn.execute("SELECT tag FROM tags WHERE clip_id = ? ORDER BY tag", (clip_id,))
        return tuple(r[0] for r in rows)

    def clips(self, *, tag: str | None = None) -> list[ClipSummary]:
        where, args = ("WHERE c.id IN (SELECT clip_id FROM tags WHERE tag = ?)", (tag,)) if tag else ("", ())
        rows = self.conn.execute(
            f"""SELECT c.id, c.current_run, c.filename, c.title, c.duration_ms, c.added,
                   r.language, (SELECT count(*) FROM runs WHERE clip_id = c.id) AS runs,
                   (SELECT count(*) FROM segments WHERE run_id = c.current_run AND NOT deleted) AS lines,
                   (SELECT count(*) FROM segments WHERE run_id = c.current_run AND NOT deleted AND doubtful)
                       AS doubtful,
                   (SELECT count(*) FROM segments WHERE run_id = c.current_run AND NOT deleted AND reviewed)
                       AS reviewed,
                   c.media,
                   (SELECT group_concat(tag, ' ') FROM tags WHERE clip_id = c.id) AS tags
                FROM clips c LEFT JOIN runs r ON r.id = c.current_run {where}
                ORDER BY c.added DESC, c.id""",
            args,
        ).fetchall()
        return [
            ClipSummary(
                id=r["id"],
                run_id=r["current_run"],
                filename=r["filename"],
                title=r["title"],
                language=r["language"] or "",
                duration_ms=r["duration_ms"],
                lines=r["lines"],
                doubtful=r["doubtful"],
                runs=r["runs"],
                tags=tuple(sorted((r["tags"] or "").split())),
                added=r["added"],
                reviewed=r["reviewed"],
                has_video=any(s.get("kind") == "video" for s in json.loads(r["media"]).get("streams", ())),
            )
            for r in rows
        ]

    def clip(self, clip_id: str) -> ClipRecord:
        row = self.conn.execute("SELECT * FROM clips WHERE id = ?", (clip_id,)).fetchone()
        if row is None:
            raise InputError(f"no clip {clip_id[:ID_LENGTH]} in {self.home}", "see 'tolmach list'")
        sources = self.conn.execute(
            "SELECT location, seen FROM sources WHERE clip_id = ? ORDER BY seen", (clip_id,)
        ).fetchall()
        info = ClipInfo(
            source=sources[0][0] if sources else "",
            added=row["added"],
            tags=self.tags(clip_id),
            **{name: row[name] for name in _INFO_FIELDS},
        )
        return ClipRecord(
            id=clip_id,
            filename=row["filename"],
            media=media_from_dict(json.loads(row["media"])),
            info=info,
            sources=tuple((s[0], s[1]) for s in sources),
            runs=self.runs(clip_id),
        )

    def runs(self, clip_id: str) -> tuple[RunSummary, ...]:
        """The clip's runs, oldest first, with how much of each a person has reviewed or changed."""
        rows = self.conn.execute(_RUNS_SQL + " WHERE r.clip_id = ? ORDER BY r.created, r.id", (clip_id,))
        return tuple(_run_summary(r) for r in rows)

    def run_summary(self, run_id: str) -> RunSummary:
        row = self.conn.execute(_RUNS_SQL + " WHERE r.id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"no run {run_id[:ID_LENGTH]} in {self.home}", "see 'tolmach list'")
        return _run_summary(row)

    def run_in(self, clip_id: str, prefix: str) -> str:
        """The run of clip ``clip_id`` that ``prefix`` names (a clip ID prefix names its current run)."""
        clip, run_id = self.resolve(prefix)
        if clip != clip_id or run_id is None:
            raise InputError(
                f"no run {prefix} in clip {clip_id[:ID_LENGTH]}",
                f"see 'tolmach runs list {clip_id[:ID_LENGTH]}'",
            )
        return run_id

    def kept_instead(self, run_id: str) -> RunSummary | None:
        """The clip's current run when it is not ``run_id``: a person's work kept over a newer run."""
        current = self.current_run(self._clip_of(run_id))
        return self.run_summary(current) if current is not None and current != run_id else None

    def _clip_of(self, run_id: str) -> str:
        row = self.conn.execute("SELECT clip_id FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"no run {run_id[:ID_LENGTH]} in {self.home}", "see 'tolmach list'")
        return str(row[0])

    def transcript(self, run_id: str) -> Transcript:
        """The run's Transcript, rebuilt from its rows (so it reflects any edit stored since)."""
        row = self.conn.execute("SELECT transcript FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"no run {run_id[:ID_LENGTH]} in {self.home}", "see 'tolmach list'")
        head = json.loads(row[0])
        head["segments"] = []
        transcript = transcript_from_dict(head)
        state = review.state(self.conn, run_id)
        return replace(
            transcript,
            segments=self.segments(run_id),
            reviewer=state.reviewer,
            approver=state.approver if state.reviewer else None,
        )

    # -- review ----------------------------------------------------------------------------------

    def edit_line(
        self,
        run_id: str,
        number: int,
        changes: Mapping[str, str],
        author: str,
        *,
        version: int | None = None,
    ) -> list[review.Revision]:
        """Change fields of one line together (one transaction); see :func:`review.edit_line`."""
        return review.edit_line(
            self.conn, run_id, number, changes, author, version=version, glossary=self.glossary(run_id)
        )

    def set_machine_translation(
        self, run_id: str, number: int, english: str, engine: str, *, version: int | None = None
    ) -> list[review.Revision]:
        """Give line ``number`` an engine's new English: its revisions are by ``engine`` (the label,
        "local:..."), so the history tells machine from human, and the line's ``translated_by`` becomes
        ``engine`` in the same transaction. The same English writes nothing."""
        return review.edit_line(
            self.conn,
            run_id,
            number,
            {"translation": english},
            engine,
            version=version,
            translated_by=engine,
            glossary=self.glossary(run_id),
        )

    def split_line(
        self,
        run_id: str,
        number: int,
        at_ms: int,
        author: str,
        *,
        text_at: int | None = None,
        translation_at: int | None = None,
        version: int | None = None,
    ) -> structure.Step:
        """Split one line in two at ``at_ms``; see :func:`structure.split_line`."""
        return structure.split_line(
            self.conn,
            run_id,
            number,
            at_ms,
            author,
            text_at=text_at,
            translation_at=translation_at,
            version=version,
            glossary=self.glossary(run_id),
        )

    def merge_lines(
        self,
        run_id: str,
        number: int,
        author: str,
        *,
        version: int | None = None,
        next_version: int | None = None,
    ) -> structure.Step:
        """Merge a line with the next one in time; see :func:`structure.merge_lines`."""
        return structure.merge_lines(
            self.conn,
            run_id,
            number,
            author,
            version=version,
            next_version=next_version,
            glossary=self.glossary(run_id),
        )

    def insert_line(
        self,
        run_id: str,
        start: int,
        end: int,
        author: str,
        *,
        text: str = "",
        translation: str = "",
        speaker: str | None = None,
    ) -> structure.Step:
        """Add a line where none is; see :func:`structure.insert_line`."""
        return structure.insert_line(
            self.conn,
            run_id,
            start,
            end,
            author,
            text=text,
            translation=translation,
            speaker=speaker,
            glossary=self.glossary(run_id),
        )

    def delete_line(
        self, run_id: str, number: int, author: str, *, version: int | None = None
    ) -> structure.Step:
        """Delete a line (kept as a tombstone an undo brings back); see :func:`structure.delete_line`."""
        return structure.delete_line(
            self.conn, run_id, number, author, version=version, glossary=self.glossary(run_id)
        )

    def name_speaker(
        self, run_id: str, label: str, author: str, *, name: str | None = None, role: str | None = None
    ) -> structure.Step:
        """Rename a speaker and/or give their role, on every line; see :func:`structure.name_speaker`."""
        return structure.name_speaker(self.conn, run_id, label, author, name=name, role=role)

    def assign_speaker(self, run_id: str, first: int, last: int, speaker: str, author: str) -> structure.Step:
        """Give a range of lines to a speaker; see :func:`structure.assign_speaker`."""
        return structure.assign_speaker(self.conn, run_id, first, last, speaker, author)

    def approve(self, run_id: str, approver: str) -> signoff.Approval:
        """The second step of sign-off; see :func:`signoff.approve`."""
        return signoff.approve(self.conn, run_id, approver)

    def withdraw_approval(self, run_id: str, author: str) -> signoff.Approval:
        return signoff.withdraw(self.conn, run_id, author)

    def check_version(self, run_id: str, number: int, version: int) -> None:
        """ConflictError unless line ``number`` is at ``version`` (what the caller's page shows)."""
        review.check_version(self.conn, run_id, number, version)

    def edit(self, run_id: str, number: int, field: str, value: str, author: str) -> review.Revision | None:
        return review.edit(self.conn, run_id, number, field, value, author, self.glossary(run_id))

    def undo(self, run_id: str, revision_id: int, author: str) -> review.Revision:
        return review.undo(self.conn, run_id, revision_id, author, self.glossary(run_id))

    def glossary(self, run_id: str) -> Glossary | None:
        """The glossary the run was made with (None when it was off), for the checks after an edit:
        the built-in one, this archive's and the files its options named that are still there."""
        from tolmach.pipeline import glossary_for

        row = self.conn.execute("SELECT transcript FROM runs WHERE id = ?", (run_id,)).fetchone()
        given = json.loads(row[0]).get("options", {}) if row is not None else {}
        paths = tuple(p for p in given.get("glossaries", ()) if Path(p).expanduser().is_file())
        options = Options().replace(glossary=bool(given.get("glossary", True)), glossaries=paths)
        return glossary_for(options, self.home)

    def revisions(self, run_id: str, number: int | None = None) -> list[review.Revision]:
        return review.revisions(self.conn, run_id, number)

    def edits(self, run_id: str) -> tuple[Edit, ...]:
        return review.edits(self.conn, run_id)

    def review_state(self, run_id: str) -> review.ReviewState:
        return review.state(self.conn, run_id)

    def segments(self, run_id: str) -> tuple[Segment, ...]:
        """The run's lines as they stand, with their versions; words follow any edit of the times."""
        rows = self.conn.execute(
            "SELECT number, start_ms, end_ms, speaker, text, translation, doubtful, reviewed, detail, version"
            " FROM segments WHERE run_id = ? AND NOT deleted ORDER BY start_ms, number",
            (run_id,),
        )
        return tuple(
            replace(
                segment_from_dict(
                    {
                        **review.timed_detail(json.loads(r[8]), r[1], r[2]),
                        **dict(zip(_SEGMENT_COLUMNS, _columns(r), strict=True)),
                    }
                ),
                version=r[9],
            )
            for r in rows
        )

    def outputs(self, run_id: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT name, sha256 FROM outputs WHERE run_id = ? ORDER BY name", (run_id,))
        return {r[0]: r[1] for r in rows}

    def original(self, clip_id: str) -> Path:
        return self.store.path(clip_id)


_RUNS_SQL = """SELECT r.id, r.created, r.language, r.key, r.id = c.current_run AS current,
        (SELECT count(*) FROM segments s WHERE s.run_id = r.id AND NOT s.deleted) AS lines,
        (SELECT coalesce(sum(s.reviewed), 0) FROM segments s WHERE s.run_id = r.id AND NOT s.deleted)
            AS reviewed,
        (SELECT count(*) FROM revisions v JOIN segments s ON s.id = v.segment_id WHERE s.run_id = r.id)
            AS revisions
    FROM runs r JOIN clips c ON c.id = r.clip_id"""


def _run_summary(r: sqlite3.Row) -> RunSummary:
    return RunSummary(
        r["id"],
        r["created"],
        r["language"],
        json.loads(r["key"]),
        bool(r["current"]),
        r["lines"],
        r["reviewed"],
        r["revisions"],
    )


def _offer_current(c: sqlite3.Connection, clip_id: str, run_id: str) -> None:
    """Make ``run_id`` current unless the clip's current run holds a person's work (any revision):
    reviewed text is never replaced by a machine's rerun; the user picks another run with ``use_run``."""
    row = c.execute("SELECT current_run FROM clips WHERE id = ?", (clip_id,)).fetchone()
    current = row[0] if row is not None else None
    if current is not None and current != run_id:
        worked_on = c.execute(
            "SELECT 1 FROM revisions v JOIN segments s ON s.id = v.segment_id WHERE s.run_id = ? LIMIT 1",
            (current,),
        ).fetchone()
        if worked_on is not None:
            return
    c.execute("UPDATE clips SET current_run = ? WHERE id = ?", (run_id, clip_id))


def _columns(row: sqlite3.Row) -> tuple[Any, ...]:
    return (row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), bool(row[7]))


def entities_of(segments: Sequence[Segment]) -> list[Entity]:
    """Each distinct entity of a transcript once, in order of first mention."""
    seen: dict[tuple[str, str], Entity] = {}
    for s in segments:
        for e in s.entities:
            seen.setdefault((e.kind, e.normal), e)
    return list(seen.values())
