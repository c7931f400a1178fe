"""Human review of a run: edits to a line's fields, "reviewed" marks, and every change kept as a revision.

An edit (all the fields one request changes) updates the segment row and adds one revision per field
(field, before, after, who, when) in one transaction, checked as a whole first: a refused edit writes
nothing. Undo applies a revision's ``before`` again, as a new revision that says which one it takes
back, and only while the field still holds that revision's ``after`` (a later edit is not silently lost).
Each accepted edit or undo adds 1 to the line's ``version``; a write that names an older version is
refused (ConflictError), so two stale pages cannot both win. A change to what a line says or when
(text, English, notes, times) takes its reviewed mark away, as a revision of its own: the reviewer
checked the old line, not this one. Exports, search and manifests read the rows, so they follow every
edit; this module never writes files.

The line checks (``tolmach.checks``) run again, in the same transaction, on every line whose text or
English an edit or undo changed, and on its neighbours (bleed looks across lines). A reviewer may
dismiss a check's finding: the ``dismissed`` field, one ``kind: detail`` a line, each of them a finding
the line has. A dismissal holds for the text and English it was made on: changing either takes the
dismissals away, as a revision of its own, and the line is checked again. The speech model's flags
(``low-confidence`` ...) cannot be dismissed: the reviewed mark says a person listened.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tolmach.archive import signoff
from tolmach.archive.db import now, write
from tolmach.checks.base import KINDS
from tolmach.errors import ConflictError, InputError, OptionsError
from tolmach.records import Edit, Entity, Segment
from tolmach.subtitles.formats.jsonformat import ENTITY_FIELDS, flag_from_json, flag_to_json
from tolmach.text import stems
from tolmach.translate.glossary import Glossary

FIELDS = (
    "text",
    "translation",
    "speaker",
    "role",
    "start",
    "end",
    "notes",
    "mark",
    "comment",
    "dismissed",
    "reviewed",
)
"""Editable fields, in the order one edit's revisions are written: the reviewed mark last."""
SAID = frozenset({"text", "translation"})
"""What the line checks read: a change to either takes the line's dismissals away and checks it again."""
CONTENT = frozenset({"text", "translation", "notes", "start", "end", "mark"})
"""A change to any of these takes the line's reviewed mark away (the speaker's name does not)."""
IN_DETAIL = ("role", "mark", "comment")
"""Fields kept as plain strings in the row's ``detail`` JSON."""
MARKS = ("unclear", "inaudible")
"""A line's marks; exports show them in the conventional forms (``subtitles.formats.base.with_marks``)."""
WORDS_SPAN = "words_span"
"""Key in a segment's ``detail``: the (start, end) its words were timed for, kept from the first time
edit on. The words themselves stay as Whisper timed them; :func:`timed_detail` moves them into the
line's current span when it is read, so an undo restores them exactly."""
TRANSLATED_BY_WAS = "translated_by_was"
"""Key in a segment's ``detail``: {revision id: the ``translated_by`` the line had before that revision},
for the revisions that changed which engine wrote the English (a re-translation, and the undos of one),
so that an undo gives the English back together with the name of what wrote it."""
MAX_TEXT = 2000  # characters of one field
_COLUMN = {"start": "start_ms", "end": "end_ms"}


def action_name(action: str) -> str:
    """An action (``revisions.action``) as a sentence says it: "speaker change", "undo of the split"."""
    if action.startswith("undo "):
        return f"undo of the {action_name(action[5:])}"
    return {"speaker": "speaker change"}.get(action, action)


SEGMENT_COLUMNS = ("id", "start", "end", "speaker", "text", "translation", "doubtful", "reviewed")
"""The fields of a Segment kept in columns of their own; the rest is the row's ``detail`` JSON."""
WORDS = "words"
"""A revision field of its own, written only by a split or a merge: the line's word timings and their
span as JSON (:func:`words_value`), so an undo gives them back exactly. Not an editable field, and not
an edit the manifest lists: the words follow the text."""


def words_value(detail: Mapping[str, Any], start: int, end: int) -> str:
    """A line's stored word timings and the span they were timed for (``WORDS_SPAN``, or the line's
    [start, end] when its times were never edited), as the ``words`` revision keeps them."""
    value = {"words": detail.get("words", []), "span": list(detail.get(WORDS_SPAN) or (start, end))}
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


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
    action: str = ""  # split, merge, insert, delete, speaker (archive/structure.py), "undo ..."; "" an edit
    step: int | None = None  # the first revision of the action this one is part of

    def as_edit(self) -> Edit:
        return Edit(self.segment, self.field, self.before, self.after, self.author, self.at)


@dataclass(frozen=True)
class ReviewState:
    reviewed: int
    total: int
    reviewers: tuple[str, ...]  # who marked the lines now reviewed, in order of first such mark
    approver: str | None = None  # who approved it, while that approval stands (archive/signoff.py)
    withdrawn: str = ""  # why the last approval no longer stands; "" when none was withdrawn

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.reviewed == self.total

    @property
    def reviewer(self) -> str | None:
        """The name the label shows once every line is reviewed."""
        return " and ".join(self.reviewers) if self.complete and self.reviewers else None


def edit_line(
    conn: sqlite3.Connection,
    run_id: str,
    number: int,
    changes: Mapping[str, str],
    author: str,
    *,
    version: int | None = None,
    translated_by: str | None = None,
    glossary: Glossary | None = None,
) -> list[Revision]:
    """Change fields of line ``number`` together; returns the revisions written (none when nothing changed).

    ``changes`` maps field names to their new values as text (times in milliseconds, reviewed "0"/"1",
    notes one per line). Start and end are checked as a pair, against the clip's length and the
    neighbouring lines. ``version``, when given, must be the line's stored version (ConflictError).
    ``translated_by``, when given and the English changes, becomes the line's ``translated_by`` in the
    same transaction: an engine's new English (``tolmach.retranslate``) names the engine. ``glossary``
    is the run's, for the glossary check when the line is checked again.
    """
    unknown = [f for f in changes if f not in FIELDS]
    if unknown:
        raise OptionsError(f"'{unknown[0]}' is not an editable field", f"edit one of {', '.join(FIELDS)}")
    if not changes:
        raise OptionsError("nothing to change", f"give any of {', '.join(FIELDS)}")
    author = _author(author)
    with write(conn) as c:
        row = _segment(c, run_id, number)
        if version is not None and version != row["version"]:
            raise _stale(c, row, version)
        wanted = {f: _checked(f, changes[f]) for f in FIELDS if f in changes}
        _check_times(c, row, wanted)
        changed = [f for f in wanted if wanted[f] != _value(row, f)]
        if "dismissed" in changed:
            _check_dismissed(row, wanted["dismissed"])
        if _value(row, "dismissed") and "dismissed" not in wanted and SAID.intersection(changed):
            changed.insert(changed.index("reviewed") if "reviewed" in changed else len(changed), "dismissed")
            wanted["dismissed"] = ""
        if row["reviewed"] and "reviewed" not in wanted and CONTENT.intersection(changed):
            changed.append("reviewed")
            wanted["reviewed"] = "0"
        written = [_apply(c, row, f, _value(row, f), wanted[f], author, None) for f in changed]
        if SAID.intersection(changed) or "dismissed" in changed:
            recheck(c, row, glossary, found_again="text" in changed)
        if translated_by is not None and "translation" in changed:
            english = next(r for r in written if r.field == "translation")
            _set_translated_by(c, row["id"], translated_by, english.id)
        if written:
            c.execute("UPDATE segments SET version = version + 1 WHERE id = ?", (row["id"],))
        return written


def check_version(conn: sqlite3.Connection, run_id: str, number: int, version: int) -> None:
    """ConflictError, as :func:`edit_line` raises it, unless line ``number`` is at ``version``."""
    row = _segment(conn, run_id, number)
    if version != row["version"]:
        raise _stale(conn, row, version)


def edit(
    conn: sqlite3.Connection,
    run_id: str,
    number: int,
    field: str,
    value: str,
    author: str,
    glossary: Glossary | None = None,
) -> Revision | None:
    """Set one field of line ``number``: the field's revision, or its last one when nothing changed
    (None when it never had one). A cleared reviewed mark is a second revision, not returned."""
    written = edit_line(conn, run_id, number, {field: value}, author, glossary=glossary)
    mine = [r for r in written if r.field == field]
    if mine:
        return mine[0]
    last = _revisions(conn, "s.run_id = ? AND s.number = ? AND r.field = ?", (run_id, number, field))
    return last[-1] if last else None


def undo(
    conn: sqlite3.Connection, run_id: str, revision_id: int, author: str, glossary: Glossary | None = None
) -> Revision:
    """Take revision ``revision_id`` back; InputError if the field changed again since."""
    with write(conn) as c:
        found = _revisions(c, "r.id = ? AND s.run_id = ?", (revision_id, run_id))
        if not found:
            raise InputError(f"no revision {revision_id} in this clip", "list them: GET .../revisions")
        rev = found[0]
        if rev.step is not None:
            from tolmach.archive.structure import undo_step

            return undo_step(c, run_id, rev, author, glossary)
        row = _segment(c, run_id, rev.segment)
        if _value(row, rev.field) != rev.after:
            raise InputError(
                f"line {rev.segment}'s {rev.field} was changed again after revision {revision_id}",
                "undo the later revision first",
            )
        _check_times(c, row, {rev.field: rev.before})
        if rev.field == "dismissed":
            _check_dismissed(row, rev.before)
        who = author.strip() or rev.author
        back = _apply(c, row, rev.field, rev.after, rev.before, who, rev.id)
        if rev.field in SAID and _value(row, "dismissed"):
            _apply(c, row, "dismissed", _value(row, "dismissed"), "", who, None)
        if rev.field in SAID or rev.field == "dismissed":
            recheck(c, row, glossary, found_again=rev.field == "text")
        was = _detail(c, row["id"]).get(TRANSLATED_BY_WAS, {}).get(str(rev.id))
        if was is not None:  # the English goes back to what another engine (or Whisper) wrote
            _set_translated_by(c, row["id"], was, back.id)
        if rev.field in CONTENT and row["reviewed"]:
            _apply(c, row, "reviewed", "1", "0", who, None)
        c.execute("UPDATE segments SET version = version + 1 WHERE id = ?", (row["id"],))
        return back


def revisions(conn: sqlite3.Connection, run_id: str, number: int | None = None) -> list[Revision]:
    if number is None:
        return _revisions(conn, "s.run_id = ?", (run_id,))
    return _revisions(conn, "s.run_id = ? AND s.number = ?", (run_id, number))


def edits(conn: sqlite3.Connection, run_id: str) -> tuple[Edit, ...]:
    """Every human change to the run's text, for the manifest (review marks are not edits of text)."""
    return tuple(r.as_edit() for r in revisions(conn, run_id) if r.field not in ("reviewed", WORDS))


def state(conn: sqlite3.Connection, run_id: str) -> ReviewState:
    """How many lines are reviewed, and by whom: for each line reviewed now, the author of the mark
    that stands (its latest "reviewed -> 1"); a mark taken back names no one. A mark an undo gave
    back (of an edit, a split or a merge that had taken it away) is still its first author's: the
    undo restores what they checked, it does not check it again."""
    reviewed, total = conn.execute(
        "SELECT coalesce(sum(reviewed), 0), count(*) FROM segments WHERE run_id = ? AND NOT deleted",
        (run_id,),
    ).fetchone()
    marks = conn.execute(
        "SELECT r.id, r.segment_id, r.after, r.author, r.undoes FROM revisions r"
        " JOIN segments s ON s.id = r.segment_id WHERE s.run_id = ? AND r.field = 'reviewed' ORDER BY r.id",
        (run_id,),
    ).fetchall()
    mark: dict[int, tuple[int, str] | None] = {}  # segment id: (revision id, author) of the mark now
    was: dict[int, tuple[int, str] | None] = {}  # revision id: the segment's mark just before it
    for rid, segment, after, author, undoes in marks:
        was[rid] = mark.get(segment)
        mark[segment] = (was.get(undoes) or (rid, author)) if after == "1" else None
    standing = conn.execute(
        "SELECT id FROM segments WHERE run_id = ? AND reviewed AND NOT deleted", (run_id,)
    ).fetchall()
    first: dict[str, int] = {}
    for rid, author in sorted(m for m in (mark.get(row[0]) for row in standing) if m):
        first.setdefault(author, rid)
    approval = signoff.latest(conn, run_id)
    standing_approval = approval is not None and approval.standing and total > 0 and reviewed == total
    return ReviewState(
        reviewed,
        total,
        tuple(first),
        approver=approval.approver if approval is not None and standing_approval else None,
        withdrawn=approval.withdrawn if approval is not None else "",
    )


def timed_detail(detail: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    """A segment's stored ``detail`` with its words moved into the line's current [start, end].

    Each edge of the words' span moves as far as the line's edge on that side moved, and the words in
    between are stretched to fit (then kept inside the line): an edited end moves the last word's end,
    never the first word's start, so the cue builder's view of the neighbouring lines does not change.
    """
    span = detail.pop(WORDS_SPAN, None)
    words = detail.get("words") or []
    if span is None or not words or (span[0], span[1]) == (start, end):
        return detail
    first, last = min(w["start"] for w in words), max(w["end"] for w in words)
    to_first, to_last = first + start - span[0], last + end - span[1]
    if not start <= to_first < to_last <= end:
        to_first, to_last = start, end  # the edit cut into the words: spread them over the line
    scale = (to_last - to_first) / (last - first) if last > first else 0.0

    def at(t: int) -> int:
        return min(max(to_first + round((t - first) * scale), start), end)

    detail["words"] = [{**w, "start": at(w["start"]), "end": at(w["end"])} for w in words]
    return detail


def _author(author: str) -> str:
    author = author.strip()
    if not author:
        raise OptionsError("an edit needs an author", "give your name: it goes on every revision")
    return author


def _stale(c: sqlite3.Connection, row: sqlite3.Row, version: int) -> ConflictError:
    last = c.execute(
        "SELECT author, at FROM revisions WHERE segment_id = ? ORDER BY id DESC LIMIT 1", (row["id"],)
    ).fetchone()
    by = f" by {last['author']} at {last['at']}" if last else ""
    return ConflictError(
        f"line {row['number']} was changed{by}: your page shows version {version},"
        f" the archive has {row['version']}",
        "reload the line and apply your change again",
    )


def _check_times(c: sqlite3.Connection, row: sqlite3.Row, wanted: Mapping[str, str]) -> None:
    """Refuse (OptionsError) times that put the line out of order, past the clip, or over a neighbour.

    Only a side that moves outwards is checked against its neighbour, so an overlap Whisper left
    between two lines never blocks an edit that makes it smaller.
    """
    if "start" not in wanted and "end" not in wanted:
        return
    n = row["number"]
    start, end = int(wanted.get("start", row["start_ms"])), int(wanted.get("end", row["end_ms"]))
    if not 0 <= start < end:
        raise OptionsError(
            f"a line must start before it ends (line {n}: start {start} ms, end {end} ms)",
            "give a start of 0 or more and an end after it; send both to move a line",
        )
    clip = c.execute(
        "SELECT c.duration_ms FROM clips c JOIN runs r ON r.clip_id = c.id WHERE r.id = ?", (row["run_id"],)
    ).fetchone()
    if clip is not None and clip[0] > 0 and end > clip[0]:
        raise OptionsError(
            f"line {n} would end at {_seconds(end)}, after the clip ends ({_seconds(clip[0])})",
            f"end it at {clip[0]} ms or earlier",
        )
    prev, after = neighbours(c, row)
    if start < row["start_ms"] and prev is not None and start < prev["end_ms"]:
        raise OptionsError(
            f"line {n} would start at {_seconds(start)}, before line {prev['number']} ends"
            f" ({_seconds(prev['end_ms'])})",
            f"start it at {prev['end_ms']} ms or later, or end line {prev['number']} earlier first",
        )
    if end > row["end_ms"] and after is not None and end > after["start_ms"]:
        raise OptionsError(
            f"line {n} would end at {_seconds(end)}, after line {after['number']} starts"
            f" ({_seconds(after['start_ms'])})",
            f"end it at {after['start_ms']} ms or earlier, or start line {after['number']} later first",
        )


def around(c: sqlite3.Connection, row: sqlite3.Row, k: int) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
    """Up to ``k`` standing (not deleted) lines just before ``row`` and just after it, in time order
    (start, then number: the order of the page and the exports), ``row`` itself excluded. A line's
    number is its stable ID, so a line added later may have a higher number than its neighbours."""
    where = "run_id = ? AND NOT deleted AND id != ?"
    key = (row["run_id"], row["id"], row["start_ms"], row["start_ms"], row["number"], k)
    before = c.execute(
        f"SELECT * FROM segments WHERE {where} AND (start_ms < ? OR (start_ms = ? AND number < ?))"
        " ORDER BY start_ms DESC, number DESC LIMIT ?",
        key,
    ).fetchall()
    after = c.execute(
        f"SELECT * FROM segments WHERE {where} AND (start_ms > ? OR (start_ms = ? AND number > ?))"
        " ORDER BY start_ms, number LIMIT ?",
        key,
    ).fetchall()
    return before[::-1], after


def neighbours(c: sqlite3.Connection, row: sqlite3.Row) -> tuple[sqlite3.Row | None, sqlite3.Row | None]:
    """The standing lines just before and just after ``row`` in time order (``row`` itself excluded)."""
    before, after = around(c, row, 1)
    return (before[0] if before else None), (after[0] if after else None)


def run_language(c: sqlite3.Connection, run_id: str) -> str:
    """The language code of the run's speech, as stored."""
    return str(c.execute("SELECT language FROM runs WHERE id = ?", (run_id,)).fetchone()[0])


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f} s"


def _apply(
    c: sqlite3.Connection,
    row: sqlite3.Row,
    field: str,
    before: str,
    after: str,
    author: str,
    undoes: int | None,
    action: str = "",
) -> Revision:
    """Write one field and its revision. ``row`` is the line as it was before this edit began."""
    if field == WORDS:
        given = json.loads(after)
        detail = {k: v for k, v in _detail(c, row["id"]).items() if k != WORDS_SPAN}
        detail["words"] = given["words"]
        if given["span"] is not None:
            detail[WORDS_SPAN] = given["span"]
        c.execute(
            "UPDATE segments SET detail = ? WHERE id = ?", (json.dumps(detail, ensure_ascii=False), row["id"])
        )
    elif field == "notes":
        _update_detail(c, row["id"], {"notes": after.split("\n") if after else []})
    elif field in IN_DETAIL:
        _update_detail(c, row["id"], {field: after})
    elif field == "dismissed":
        _update_detail(c, row["id"], {"dismissed": [_flag_json(line) for line in after.splitlines()]})
    else:
        if field in ("start", "end"):
            # The span the words were timed for, recorded once: before any of this edit's times moved.
            detail = _detail(c, row["id"])
            if WORDS_SPAN not in detail:
                _update_detail(c, row["id"], {WORDS_SPAN: [row["start_ms"], row["end_ms"]]})
        stored: object = after
        if field in ("start", "end", "reviewed", "deleted"):
            stored = int(after)
        elif field == "speaker":
            stored = after or None  # no speaker is NULL, as the pipeline stores it
        c.execute(f"UPDATE segments SET {_COLUMN.get(field, field)} = ? WHERE id = ?", (stored, row["id"]))
    if field == "text":
        language = run_language(c, row["run_id"])
        c.execute("UPDATE segments SET stems = ? WHERE id = ?", (stems(after, language), row["id"]))
    cursor = c.execute(
        "INSERT INTO revisions (segment_id, field, before, after, author, at, undoes, action)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (row["id"], field, before, after, author, now(), undoes, action),
    )
    return _revisions(c, "r.id = ?", (cursor.lastrowid,))[0]


def _detail(c: sqlite3.Connection, segment_id: int) -> dict[str, Any]:
    text = c.execute("SELECT detail FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    detail: dict[str, Any] = json.loads(text)
    return detail


def _set_translated_by(c: sqlite3.Connection, segment_id: int, by: str, revision: int) -> None:
    """Name what wrote the line's English now, remembering for ``revision``'s undo what it replaced."""
    detail = _detail(c, segment_id)
    was = {**detail.get(TRANSLATED_BY_WAS, {}), str(revision): detail.get("translated_by", "")}
    _update_detail(c, segment_id, {"translated_by": by, TRANSLATED_BY_WAS: was})


def _update_detail(c: sqlite3.Connection, segment_id: int, values: Mapping[str, Any]) -> None:
    detail = {**_detail(c, segment_id), **values}
    c.execute(
        "UPDATE segments SET detail = ? WHERE id = ?", (json.dumps(detail, ensure_ascii=False), segment_id)
    )


def _segment(c: sqlite3.Connection, run_id: str, number: int) -> sqlite3.Row:
    row = c.execute("SELECT * FROM segments WHERE run_id = ? AND number = ?", (run_id, number)).fetchone()
    if row is None:
        raise InputError(f"no line {number} in this clip", "line numbers start at 1")
    if row["deleted"]:
        raise InputError(f"line {number} was deleted", "undo its deletion first to change it")
    return row


def _value(row: sqlite3.Row, field: str) -> str:
    if field == WORDS:
        return words_value(json.loads(row["detail"]), row["start_ms"], row["end_ms"])
    if field == "notes":
        return "\n".join(json.loads(row["detail"]).get("notes", ()))
    if field in IN_DETAIL:
        return str(json.loads(row["detail"]).get(field, ""))
    if field == "dismissed":
        return "\n".join(_flag_line(f) for f in json.loads(row["detail"]).get("dismissed", ()))
    value = row[_COLUMN.get(field, field)]
    return "" if value is None else str(value)


def _checked(field: str, value: str) -> str:
    """The value as it would be stored; OptionsError when it cannot be (times are checked together)."""
    value = str(value)
    if field == "reviewed":
        if value not in ("0", "1"):
            raise OptionsError(f"reviewed must be 0 or 1, not '{value}'", "send true or false")
        return value
    if field in ("start", "end"):
        try:
            return str(int(value))
        except ValueError:
            raise OptionsError(
                f"{field} must be a whole number of milliseconds, not '{value}'", "e.g. 12500 for 0:12.5"
            ) from None
    if field in ("speaker", "role"):
        return " ".join(value.split())[:80]
    if field == "mark":
        if value.strip() not in ("", *MARKS):
            raise OptionsError(
                f"'{value[:40]}' is not a mark", f"mark a line {' or '.join(MARKS)}, or '' for none"
            )
        return value.strip()
    if "\x00" in value or len(value) > MAX_TEXT:
        raise OptionsError(
            f"the {field} is not a line of text (too long, or holds NUL)",
            f"at most {MAX_TEXT} characters, plain text",
        )
    if field == "notes":  # one note a line; blank lines are no notes
        return "\n".join(line.strip() for line in value.splitlines() if line.strip())
    if field == "dismissed":  # one "kind: detail" a line, each kind a line check's
        lines = [" ".join(line.split()) for line in value.splitlines() if line.strip()]
        for line in lines:
            kind = line.partition(":")[0]
            if kind not in KINDS or not line.partition(":")[2].strip():
                raise OptionsError(
                    f"'{line[:60]}' is not a line check's finding",
                    f"dismiss a flag as 'kind: detail', kind one of {', '.join(KINDS)}",
                )
        return "\n".join(dict.fromkeys(lines))
    return value.strip()


def recheck(c: sqlite3.Connection, row: sqlite3.Row, glossary: Glossary | None, *, found_again: bool) -> None:
    """Run the line checks again on ``row``'s line and its neighbours, writing their flags and
    ``doubtful``; ``found_again``: its text changed, so its entities are found again first."""
    from tolmach.checks import check_segments

    language = run_language(c, row["run_id"])
    if found_again:
        _find_entities(c, row["id"], language)
    # the line (or, when it was just deleted, the place it stood) and two lines either side, in time
    # order: bleed reads a line's neighbours; the line and the next one each side are checked again
    row = c.execute("SELECT * FROM segments WHERE id = ?", (row["id"],)).fetchone()  # as it is now
    before, after = around(c, row, 2)
    here = [] if row["deleted"] else [row]
    rows = [*before, *here, *after]
    checked = {r["id"] for r in (*before[-1:], *here, *after[:1])}  # the line and the next each side
    near = [i for i, r in enumerate(rows) if r["id"] in checked]
    if not rows:
        return
    segments = [_checkable(r) for r in rows]
    for i, s in enumerate(check_segments(segments, language, glossary, only=near)):
        if i in near:
            _update_detail(
                c,
                rows[i]["id"],
                {
                    "flags": [flag_to_json(f) for f in s.flags],
                    "dismissed": [flag_to_json(f) for f in s.dismissed],
                },
            )
            c.execute("UPDATE segments SET doubtful = ? WHERE id = ?", (int(s.doubtful), rows[i]["id"]))


def _checkable(r: sqlite3.Row) -> Segment:
    """The fields of a stored line that the checks read."""
    detail = json.loads(r["detail"])
    return Segment(
        r["number"],
        r["start_ms"],
        r["end_ms"],
        r["text"],
        r["translation"],
        flags=tuple(flag_from_json(f) for f in detail.get("flags", ())),
        dismissed=tuple(flag_from_json(f) for f in detail.get("dismissed", ())),
        entities=tuple(Entity(**{k: e[k] for k in ENTITY_FIELDS}) for e in detail.get("entities", ())),
    )


def _find_entities(c: sqlite3.Connection, segment_id: int, language: str) -> None:
    """The entities of a line whose text changed, found again: in its detail, its names and the
    entities table, so the checks, the search and the page all follow the edit."""
    from tolmach.entities import find_entities

    text = c.execute("SELECT text FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    found = find_entities(text, language) if text.strip() else ()
    _update_detail(c, segment_id, {"entities": [{k: getattr(e, k) for k in ENTITY_FIELDS} for e in found]})
    names = " ".join(dict.fromkeys(n for e in found for n in (e.normal, e.english) if n))
    c.execute("UPDATE segments SET names = ? WHERE id = ?", (names, segment_id))
    c.execute("DELETE FROM entities WHERE segment_id = ?", (segment_id,))
    c.executemany(
        "INSERT INTO entities (segment_id, kind, text, start, end, normal, english) VALUES (?,?,?,?,?,?,?)",
        [(segment_id, *(getattr(e, f) for f in ENTITY_FIELDS)) for e in found],
    )


def _check_dismissed(row: sqlite3.Row, value: str) -> None:
    """Refuse (InputError) dismissing what the line was not found to have."""
    detail = json.loads(row["detail"])
    known = {_flag_line(f) for f in (*detail.get("flags", ()), *detail.get("dismissed", ()))}
    for line in value.splitlines():
        if line not in known:
            raise InputError(
                f"line {row['number']} has no flag '{line[:80]}'", "dismiss one of the flags the line shows"
            )


def _flag_line(flag: Mapping[str, str]) -> str:
    return f"{flag['kind']}: {flag['detail']}"


def _flag_json(line: str) -> dict[str, str]:
    kind, _, detail = line.partition(":")
    return {"kind": kind, "detail": detail.strip()}


def _revisions(c: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[Revision]:
    rows = c.execute(
        "SELECT r.id, s.number, r.field, r.before, r.after, r.author, r.at, r.undoes, r.action, r.step"
        f" FROM revisions r JOIN segments s ON s.id = r.segment_id WHERE {where} ORDER BY r.id",
        args,
    )
    return [Revision(*row) for row in rows]
