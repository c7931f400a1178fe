"""Human review of a run: edits to a line's fields, "reviewed" marks, and every change kept as a revision.

An edit changes the segment row and adds a revision (field, before, after, who, when) in one
transaction; undo applies a revision's ``before`` again, as a new revision that says which one it takes
back, and only while the field still holds that revision's ``after`` (a later edit is not silently lost).
Exports, search and manifests read the rows, so they follow every edit.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tolmach.archive.db import now, write
from tolmach.errors import InputError, OptionsError
from tolmach.records import Edit
from tolmach.text import stems

FIELDS = ("text", "translation", "speaker", "start", "end", "reviewed")
_COLUMN = {"start": "start_ms", "end": "end_ms"}


@dataclass(frozen=True)
class Revision:
    id: int
    segment: int  # Segment.id (the line number)
    field: str
    before: str
    after: str
    author: str
    at: str
    undoes: int | None  # the revision this one took back

    def as_edit(self) -> Edit:
        return Edit(self.segment, self.field, self.before, self.after, self.author, self.at)


@dataclass(frozen=True)
class ReviewState:
    reviewed: int
    total: int
    reviewers: tuple[str, ...]  # who marked lines reviewed, in order of first mark

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.reviewed == self.total

    @property
    def reviewer(self) -> str | None:
        """The name the label shows once every line is reviewed."""
        return " and ".join(self.reviewers) if self.complete and self.reviewers else None


def edit(conn: sqlite3.Connection, run_id: str, number: int, field: str, value: str, author: str) -> Revision:
    """Set one field of line ``number``; returns the revision (or the last one, when nothing changed)."""
    if field not in FIELDS:
        raise OptionsError(f"'{field}' is not an editable field", f"edit one of {', '.join(FIELDS)}")
    author = author.strip()
    if not author:
        raise OptionsError("an edit needs an author", "give your name: it goes on every revision")
    with write(conn) as c:
        row = _segment(c, run_id, number)
        after = _checked(field, value, row)
        before = _value(row, field)
        if after == before:
            last = _revisions(c, "r.segment_id = ? AND r.field = ?", (row["id"], field))
            if last:
                return last[-1]
        return _apply(c, row, field, before, after, author, None)


def undo(conn: sqlite3.Connection, run_id: str, revision_id: int, author: str) -> Revision:
    """Take revision ``revision_id`` back; InputError if the field changed again since."""
    with write(conn) as c:
        found = _revisions(c, "r.id = ? AND s.run_id = ?", (revision_id, run_id))
        if not found:
            raise InputError(f"no revision {revision_id} in this clip", "list them: GET .../revisions")
        rev = found[0]
        row = _segment(c, run_id, rev.segment)
        if _value(row, rev.field) != rev.after:
            raise InputError(
                f"line {rev.segment}'s {rev.field} was changed again after revision {revision_id}",
                "undo the later revision first",
            )
        return _apply(c, row, rev.field, rev.after, rev.before, author.strip() or rev.author, rev.id)


def revisions(conn: sqlite3.Connection, run_id: str, number: int | None = None) -> list[Revision]:
    if number is None:
        return _revisions(conn, "s.run_id = ?", (run_id,))
    return _revisions(conn, "s.run_id = ? AND s.number = ?", (run_id, number))


def edits(conn: sqlite3.Connection, run_id: str) -> tuple[Edit, ...]:
    """Every human change to the run's text, for the manifest (review marks are not edits of text)."""
    return tuple(r.as_edit() for r in revisions(conn, run_id) if r.field != "reviewed")


def state(conn: sqlite3.Connection, run_id: str) -> ReviewState:
    reviewed, total = conn.execute(
        "SELECT coalesce(sum(reviewed), 0), count(*) FROM segments WHERE run_id = ?", (run_id,)
    ).fetchone()
    names = conn.execute(
        "SELECT r.author FROM revisions r JOIN segments s ON s.id = r.segment_id"
        " WHERE s.run_id = ? AND r.field = 'reviewed' AND r.after = '1' GROUP BY r.author ORDER BY min(r.id)",
        (run_id,),
    )
    return ReviewState(reviewed, total, tuple(n[0] for n in names))


def _apply(
    c: sqlite3.Connection,
    row: sqlite3.Row,
    field: str,
    before: str,
    after: str,
    author: str,
    undoes: int | None,
) -> Revision:
    column = _COLUMN.get(field, field)
    stored: object = after
    if field in ("start", "end", "reviewed"):
        stored = int(after)
    elif field == "speaker":
        stored = after or None  # no speaker is NULL, as the pipeline stores it
    c.execute(f"UPDATE segments SET {column} = ? WHERE id = ?", (stored, row["id"]))
    if field == "text":
        language = c.execute("SELECT language FROM runs WHERE id = ?", (row["run_id"],)).fetchone()[0]
        c.execute("UPDATE segments SET stems = ? WHERE id = ?", (stems(after, language), row["id"]))
    cursor = c.execute(
        "INSERT INTO revisions (segment_id, field, before, after, author, at, undoes) VALUES (?,?,?,?,?,?,?)",
        (row["id"], field, before, after, author, now(), undoes),
    )
    return _revisions(c, "r.id = ?", (cursor.lastrowid,))[0]


def _segment(c: sqlite3.Connection, run_id: str, number: int) -> sqlite3.Row:
    row = c.execute("SELECT * FROM segments WHERE run_id = ? AND number = ?", (run_id, number)).fetchone()
    if row is None:
        raise InputError(f"no line {number} in this clip", "line numbers start at 1")
    return row


def _value(row: sqlite3.Row, field: str) -> str:
    value = row[_COLUMN.get(field, field)]
    return "" if value is None else str(value)


def _checked(field: str, value: str, row: sqlite3.Row) -> str:
    value = str(value)
    if field == "reviewed":
        if value not in ("0", "1"):
            raise OptionsError(f"reviewed must be 0 or 1, not '{value}'", "send true or false")
        return value
    if field in ("start", "end"):
        try:
            ms = int(value)
        except ValueError:
            raise OptionsError(
                f"{field} must be a whole number of milliseconds, not '{value}'", "e.g. 12500 for 0:12.5"
            ) from None
        start, end = (ms, row["end_ms"]) if field == "start" else (row["start_ms"], ms)
        if not 0 <= start < end:
            raise OptionsError(
                f"a line must start before it ends (start {start} ms, end {end} ms)",
                "change the other end first, or give both",
            )
        return str(ms)
    if field == "speaker":
        return " ".join(value.split())[:80]
    if "\x00" in value or len(value) > 2000:
        raise OptionsError(
            f"the {field} is not a line of text (too long, or holds NUL)",
            "at most 2000 characters, plain text",
        )
    return value.strip()


def _revisions(c: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[Revision]:
    rows = c.execute(
        "SELECT r.id, s.number, r.field, r.before, r.after, r.author, r.at, r.undoes"
        f" FROM revisions r JOIN segments s ON s.id = r.segment_id WHERE {where} ORDER BY r.id",
        args,
    )
    return [Revision(*row) for row in rows]
