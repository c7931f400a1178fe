"""Lines split, merged, added, deleted and given to speakers by a reviewer, each change one undoable step.

Whisper runs two sentences together, cuts one in half, misses a short reply and invents a line on
noise; a subtitler fixes each with one key (Subtitle Edit and Aegisub have the same four). Every such
change is written as revisions of the fields it touched (``archive/review.py``), all in one
transaction and all sharing one *step*, so :func:`undo_step` takes the whole change back, or refuses
when something it wrote was changed again since.

A line's number is its stable ID: it is never renumbered and never given to another line. A line
added by a split or an insert takes the run's next free number, so the lines in time order may read
1, 2, 9, 3; the page and the exports show them in time order. A deleted line stays as a row marked
``deleted`` (a tombstone), its revisions and what it said kept for the undo and the history; nothing
that lists, searches, counts or exports lines sees it. Adding a line, by a split or an insert, is a
``deleted`` revision from "1" to "0": the line did not stand before.

What each action writes, on the lines as they are now (the reviewer's edits included):
- split line N at a time and at a place in its text: N keeps the start, the text before the place and
  the English before the matching place; the new line gets the rest, N's speaker and the words timed
  after the cut. The English is divided at the word nearest the same share of its length, at a
  sentence end when one is near (the caller may name the place, or have an engine re-translate both);
- merge line N with the line after it in time: N runs to the other's end, their texts, English, notes
  and words are joined, and the other line is deleted;
- insert a line over a stretch no line covers, with the text, English and speaker given (any may be
  empty, for the reviewer to type);
- delete line N;
- name a speaker on every line they speak, and give them a role for the legend ("S1" -> "R", "Russian
  soldier"), or give a range of lines to a speaker (each takes the speaker's role).
A change to what a line says takes its reviewed mark and its dismissals away, as any edit does (the
undo gives them back with the rest); the lines changed and their neighbours are checked again.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tolmach.archive import review
from tolmach.archive.db import write
from tolmach.archive.review import SAID, WORDS, Revision
from tolmach.errors import InputError, OptionsError
from tolmach.records import Segment
from tolmach.subtitles.formats.jsonformat import segment_to_dict
from tolmach.translate.glossary import Glossary

ACTIONS = ("split", "merge", "insert", "delete", "speaker")
SENTENCE_END = re.compile(r"[.!?;…]['\"»”)]*\s")
SENTENCE_REACH = 0.15  # a sentence end this share of the English away from the cut is taken instead


@dataclass(frozen=True)
class Step:
    """What one action wrote: its revisions, oldest first, and the lines it changed or added."""

    action: str
    revisions: tuple[Revision, ...]
    lines: tuple[int, ...]  # line numbers: the line acted on first, then any line added or deleted


def split_line(
    conn: sqlite3.Connection,
    run_id: str,
    number: int,
    at_ms: int,
    author: str,
    *,
    text_at: int | None = None,
    translation_at: int | None = None,
    version: int | None = None,
    glossary: Glossary | None = None,
) -> Step:
    """Split line ``number`` at ``at_ms`` into itself and a new line (the run's next number).

    ``text_at`` is where in the text the second line begins (a character offset, e.g. the text box's
    cursor); without it the text is cut where the words timed before ``at_ms`` end, or at the same share
    of its length as of the line's time. ``translation_at`` is the same for the English; without it
    the English is cut at the same share as the text. OptionsError when the time or a place is not
    inside the line, or a side would have no text.
    """
    author = review._author(author)
    with write(conn) as c:
        row = _standing(c, run_id, number, version)
        start, end = row["start_ms"], row["end_ms"]
        if not start < at_ms < end:
            raise OptionsError(
                f"line {number} runs from {_clock(start)} to {_clock(end)}: {_clock(at_ms)} is not inside it",
                "move the playhead into the line, then split",
            )
        text, english = row["text"], row["translation"]
        detail = review.timed_detail(json.loads(row["detail"]), start, end)
        words = detail.get("words") or []
        left_words = [w for w in words if (w["start"] + w["end"]) / 2 < at_ms]
        right_words = [w for w in words if (w["start"] + w["end"]) / 2 >= at_ms]
        if text_at is None:
            share = _words_share(left_words, words) if words else (at_ms - start) / (end - start)
            text_at = cut_at(text, share)
        head, tail = text[:text_at].strip(), text[text_at:].strip()
        if not head or not tail:
            raise OptionsError(
                f"splitting line {number} there leaves {'the first' if not head else 'the second'} part"
                " with no text",
                "put the cursor between two words of the line's text (or the playhead in the middle)",
            )
        if translation_at is None:
            translation_at = cut_at(english, len(text[:text_at].rstrip()) / len(text.rstrip()))
        if not 0 <= translation_at <= len(english):
            raise OptionsError(
                f"the English of line {number} has {len(english)} characters: cannot split it at"
                f" {translation_at}",
                "give a place from 0 to the English's length, or leave it out to split at the same share",
            )
        new = _add_line(
            c,
            row,
            start=at_ms,
            end=end,
            text=tail,
            translation=english[translation_at:].strip(),
            speaker=row["speaker"],
            detail={
                k: v
                for k, v in json.loads(row["detail"]).items()
                if k not in _PER_LINE and k != review.WORDS_SPAN
            }
            | {"words": [_within(w, at_ms, end) for w in right_words]},
        )
        steps = _Writer(c, author, "split")
        steps.change(
            row,
            {
                "end": str(at_ms),
                "text": head,
                "translation": english[:translation_at].strip(),
                WORDS: review.words_value(
                    {"words": [_within(w, start, at_ms) for w in left_words]}, start, at_ms
                ),
            },
        )
        steps.added(new)
        return steps.done(glossary, (number, new["number"]))


def merge_lines(
    conn: sqlite3.Connection,
    run_id: str,
    number: int,
    author: str,
    *,
    version: int | None = None,
    next_version: int | None = None,
    glossary: Glossary | None = None,
) -> Step:
    """Merge line ``number`` with the line after it in time, which is deleted; InputError for the last."""
    author = review._author(author)
    with write(conn) as c:
        row = _standing(c, run_id, number, version)
        _, after = review.neighbours(c, row)
        if after is None:
            raise InputError(f"line {number} is the last line: there is none after it to merge with", "")
        if next_version is not None and next_version != after["version"]:
            raise review._stale(c, after, next_version)
        mine = review.timed_detail(json.loads(row["detail"]), row["start_ms"], row["end_ms"])
        theirs = review.timed_detail(json.loads(after["detail"]), after["start_ms"], after["end_ms"])
        notes = [
            *mine.get("notes", ()),
            *(n for n in theirs.get("notes", ()) if n not in mine.get("notes", ())),
        ]
        steps = _Writer(c, author, "merge")
        end = max(row["end_ms"], after["end_ms"])
        steps.change(
            row,
            {
                "end": str(end),
                "text": _joined(row["text"], after["text"]),
                "translation": _joined(row["translation"], after["translation"]),
                "notes": "\n".join(notes),
                WORDS: review.words_value(
                    {"words": [*mine.get("words", ()), *theirs.get("words", ())]}, row["start_ms"], end
                ),
            },
        )
        steps.change(after, {"deleted": "1"})
        return steps.done(glossary, (number, after["number"]))


def insert_line(
    conn: sqlite3.Connection,
    run_id: str,
    start: int,
    end: int,
    author: str,
    *,
    text: str = "",
    translation: str = "",
    speaker: str | None = None,
    glossary: Glossary | None = None,
) -> Step:
    """Add a line over [start, end], which no standing line may overlap; it takes the run's next number."""
    author = review._author(author)
    with write(conn) as c:
        if c.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise InputError(f"no run {run_id[:12]}", "see 'tolmach list'")
        text = review._checked("text", text)
        translation = review._checked("translation", translation)
        speaker = review._checked("speaker", speaker or "") or None
        place = {"run_id": run_id, "start_ms": start, "end_ms": end, "number": 0, "id": 0}
        _check_free(c, place, start, end)
        new = _add_line(c, place, start=start, end=end, text=text, translation=translation, speaker=speaker)
        steps = _Writer(c, author, "insert")
        steps.added(new)
        return steps.done(glossary, (new["number"],))


def delete_line(
    conn: sqlite3.Connection,
    run_id: str,
    number: int,
    author: str,
    *,
    version: int | None = None,
    glossary: Glossary | None = None,
) -> Step:
    """Delete line ``number``: it leaves every list, count, search and export; an undo brings it back."""
    author = review._author(author)
    with write(conn) as c:
        row = _standing(c, run_id, number, version)
        steps = _Writer(c, author, "delete")
        steps.change(row, {"deleted": "1"})
        return steps.done(glossary, (number,))


def name_speaker(
    conn: sqlite3.Connection,
    run_id: str,
    label: str,
    author: str,
    *,
    name: str | None = None,
    role: str | None = None,
    glossary: Glossary | None = None,
) -> Step:
    """Rename speaker ``label`` on every line they speak and/or give them a ``role`` for the legend
    ("S1" -> "R", "Russian soldier"), as one step. OptionsError when no standing line is theirs."""
    author = review._author(author)
    with write(conn) as c:
        rows = [r for r in _lines(c, run_id) if r["speaker"] == label]
        if not rows:
            raise OptionsError(f"no line is spoken by '{label}' in this clip", "see 'tolmach speakers ID'")
        changes = {"speaker": name} if name is not None else {}
        if role is not None:
            changes["role"] = role
        wanted = {f: review._checked(f, v) for f, v in changes.items()}
        if wanted.get("speaker") == "":
            raise OptionsError("a speaker's name cannot be empty", "give a name or a short tag, e.g. R")
        steps = _Writer(c, author, "speaker")
        for row in rows:
            steps.change(row, wanted)
        return steps.done(glossary, tuple(r["number"] for r in rows))


def assign_speaker(
    conn: sqlite3.Connection,
    run_id: str,
    first: int,
    last: int,
    speaker: str,
    author: str,
    *,
    glossary: Glossary | None = None,
) -> Step:
    """Give lines ``first`` to ``last`` (both included, in time order) to ``speaker``, as one step;
    each takes the speaker's role in the legend when one was given."""
    author = review._author(author)
    speaker = review._checked("speaker", speaker)
    if not speaker:
        raise OptionsError("a speaker's name cannot be empty", "give a name or a short tag, e.g. R")
    with write(conn) as c:
        rows = _lines(c, run_id)
        numbers = [r["number"] for r in rows]
        for n in (first, last):
            review._segment(c, run_id, n)  # an unknown or deleted line is refused by name
        a, b = sorted((numbers.index(first), numbers.index(last)))
        roles = [
            review._value(r, "role") for r in rows if r["speaker"] == speaker and review._value(r, "role")
        ]
        steps = _Writer(c, author, "speaker")
        for row in rows[a : b + 1]:
            steps.change(row, {"speaker": speaker, **({"role": roles[0]} if roles else {})})
        return steps.done(glossary, tuple(numbers[a : b + 1]))


def undo_step(
    c: sqlite3.Connection, run_id: str, rev: Revision, author: str, glossary: Glossary | None
) -> Revision:
    """Take back the whole action ``rev`` is part of, newest revision first, inside the caller's
    transaction; returns the undo's revision on the line the action was on. InputError, writing
    nothing, when any field the action wrote holds something else now (undo the later change first),
    or when a line it deleted would now overlap another."""
    assert rev.step is not None
    rows = c.execute(
        "SELECT r.id, r.segment_id, r.field, r.before, r.after, r.author, r.action FROM revisions r"
        " JOIN segments s ON s.id = r.segment_id WHERE r.step = ? AND s.run_id = ? ORDER BY r.id DESC",
        (rev.step, run_id),
    ).fetchall()
    action = rows[0]["action"]
    ids = [r["id"] for r in rows]
    if c.execute(f"SELECT 1 FROM revisions WHERE undoes IN ({_marks(ids)}) LIMIT 1", ids).fetchone():
        raise InputError(
            f"the {review.action_name(action)} of revision {rev.id} was undone already", "see its history"
        )
    steps = _Writer(c, author.strip() or rev.author, f"undo {action}")
    retimed: dict[int, tuple[sqlite3.Row, dict[str, str]]] = {}  # segment id: (line before, times back)
    for r in rows:
        line = c.execute("SELECT * FROM segments WHERE id = ?", (r["segment_id"],)).fetchone()
        changed = _field(r["field"]) if review._value(line, r["field"]) != r["after"] else None
        if r["field"] == "deleted" and r["before"] == "1":  # the undo takes away a line the action added
            changed = changed or _changed_since(line)
        if changed:
            raise InputError(
                f"line {line['number']} was changed after the {review.action_name(action)} (its {changed}):"
                f" the {review.action_name(action)} cannot be undone",
                "undo the later changes to that line first",
            )
        if r["field"] in ("start", "end"):
            retimed.setdefault(line["id"], (line, {}))[1][r["field"]] = r["before"]
        steps.write(line, r["field"], r["after"], r["before"], undoes=r["id"])
    # overlaps are checked on the lines as the whole undo leaves them (a merge's undo shortens one line
    # and brings the other back): only another change made since can make them overlap
    for line, times in retimed.values():
        review._check_times(c, line, times)
    for r in rows:
        if r["field"] == "deleted" and r["before"] == "0":
            back = c.execute("SELECT * FROM segments WHERE id = ?", (r["segment_id"],)).fetchone()
            _check_free(c, back, back["start_ms"], back["end_ms"])
    steps.done(glossary, ())
    return next(r for r in steps.revisions if r.undoes == rows[-1]["id"])  # on the line acted on first


class _Writer:
    """The revisions of one action, written as one step, and the lines to check again after it."""

    def __init__(self, c: sqlite3.Connection, author: str, action: str) -> None:
        self.c, self.author, self.action = c, author, action
        self.revisions: list[Revision] = []
        self.touched: dict[int, set[str]] = {}  # segment id: the fields written on it

    def change(self, row: sqlite3.Row, changes: dict[str, str]) -> None:
        """Set fields of ``row``, with the marks an edit of what it says takes away."""
        changes = {f: v for f, v in changes.items() if review._value(row, f) != v}
        if SAID.intersection(changes) and review._value(row, "dismissed"):
            changes["dismissed"] = ""
        if row["reviewed"] and review.CONTENT.intersection(changes):
            changes["reviewed"] = "0"
        for field, value in changes.items():
            self.write(row, field, review._value(row, field), value)

    def added(self, row: sqlite3.Row) -> None:
        self.write(row, "deleted", "1", "0")

    def write(self, row: sqlite3.Row, field: str, before: str, after: str, undoes: int | None = None) -> None:
        rev = review._apply(self.c, row, field, before, after, self.author, undoes, self.action)
        self.revisions.append(rev)
        self.touched.setdefault(row["id"], set()).add(field)
        self.c.execute("UPDATE segments SET version = version + 1 WHERE id = ?", (row["id"],))

    def done(self, glossary: Glossary | None, lines: Sequence[int]) -> Step:
        """Join the revisions into one step, and check the lines changed and their neighbours again."""
        if not self.revisions:
            raise OptionsError("nothing to change", "")
        step = self.revisions[0].id
        ids = [r.id for r in self.revisions]
        self.c.execute(f"UPDATE revisions SET step = ? WHERE id IN ({_marks(ids)})", (step, *ids))
        for segment_id, fields in self.touched.items():
            row = self.c.execute("SELECT * FROM segments WHERE id = ?", (segment_id,)).fetchone()
            if any(
                r.field == "deleted" and r.after == "0" and r.segment == row["number"] for r in self.revisions
            ):
                review._update_detail(self.c, segment_id, {STANDING_AS: _snapshot(row)})
            if fields & {"text", "deleted"} and not row["deleted"]:
                review._find_entities(self.c, segment_id, review.run_language(self.c, row["run_id"]))
            if fields - _UNCHECKED:  # what the line says, or where it stands, changed
                review.recheck(self.c, row, glossary, found_again=False)
        self.revisions = review._revisions(self.c, f"r.id IN ({_marks(ids)})", tuple(ids))
        return Step(self.action, tuple(self.revisions), tuple(lines))


STANDING_AS = "standing_as"
"""Key in the ``detail`` of a line an action added (a split's second half, an insert, a deletion
undone): what it said and when, as the action left it. An undo that would take the line away again
is refused while it says anything else: the reviewer's work on it would be lost."""
_SNAPSHOT = ("start", "end", "text", "translation", "speaker", "role", "notes")
_UNCHECKED = frozenset({"speaker", "role", "reviewed"})  # the line checks read none of these


def _snapshot(row: sqlite3.Row) -> dict[str, str]:
    return {f: review._value(row, f) for f in _SNAPSHOT}


def _changed_since(row: sqlite3.Row) -> str | None:
    """The first field (as a reader says it) that differs from the line as the action adding it left it."""
    was = json.loads(row["detail"]).get(STANDING_AS)
    now = _snapshot(row)
    return next((_field(f) for f in _SNAPSHOT if was is not None and was.get(f) != now[f]), None)


def cut_at(text: str, share: float) -> int:
    """Where to cut ``text`` so that about ``share`` of it comes first: at the space nearest that point,
    or at a sentence end when one lies within :data:`SENTENCE_REACH` of it. 0 or len(text) when the
    text has no space inside it."""
    if not text.strip():
        return 0
    target = share * len(text)
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    near = [e for e in ends if 0 < e < len(text) and abs(e - target) <= SENTENCE_REACH * len(text)]
    if near:
        return min(near, key=lambda e: abs(e - target))
    spaces = [m.start() for m in re.finditer(r"\s", text.strip())]
    if not spaces:
        return len(text) if share >= 0.5 else 0
    lead = len(text) - len(text.lstrip())
    return lead + min(spaces, key=lambda i: abs(lead + i - target))


_PER_LINE = ("notes", "dismissed", "entities", review.TRANSLATED_BY_WAS, "words", "standing_as")
"""What of a line's detail a split does not copy to the new line: it belongs to the line it was made on."""


def _add_line(
    c: sqlite3.Connection,
    near: sqlite3.Row | dict[str, Any],
    *,
    start: int,
    end: int,
    text: str,
    translation: str,
    speaker: str | None,
    detail: dict[str, Any] | None = None,
) -> sqlite3.Row:
    """A new line, the run's next number, standing from the first revision written on it."""
    run_id = near["run_id"]
    number = c.execute(
        "SELECT coalesce(max(number), 0) + 1 FROM segments WHERE run_id = ?", (run_id,)
    ).fetchone()[0]
    language = review.run_language(c, run_id)
    from tolmach.text import stems

    cursor = c.execute(
        "INSERT INTO segments (run_id, number, start_ms, end_ms, speaker, text, translation, stems, names,"
        " doubtful, detail, deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)",
        (
            run_id,
            number,
            start,
            end,
            speaker,
            text,
            translation,
            stems(text, language),
            "",
            0,
            json.dumps(detail if detail is not None else _fresh_detail(), ensure_ascii=False),
        ),
    )
    row: sqlite3.Row = c.execute("SELECT * FROM segments WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return row


def _fresh_detail() -> dict[str, Any]:
    """The detail of a line a person added: no words, no flags, the confidence of nothing measured."""
    blank = segment_to_dict(Segment(0, 0, 1, "", ""))
    return {k: v for k, v in blank.items() if k not in review.SEGMENT_COLUMNS}


def _lines(c: sqlite3.Connection, run_id: str) -> list[sqlite3.Row]:
    """The run's standing lines in time order."""
    return c.execute(
        "SELECT * FROM segments WHERE run_id = ? AND NOT deleted ORDER BY start_ms, number", (run_id,)
    ).fetchall()


def _standing(c: sqlite3.Connection, run_id: str, number: int, version: int | None) -> sqlite3.Row:
    row = review._segment(c, run_id, number)
    if version is not None and version != row["version"]:
        raise review._stale(c, row, version)
    return row


def _check_free(c: sqlite3.Connection, row: sqlite3.Row | dict[str, Any], start: int, end: int) -> None:
    """Refuse (OptionsError) a line over [start, end] that overlaps a standing line or leaves the clip."""
    if not 0 <= start < end:
        raise OptionsError(
            f"a line must start before it ends (start {start} ms, end {end} ms)",
            "give a start of 0 or more and an end after it",
        )
    clip = c.execute(
        "SELECT c.duration_ms FROM clips c JOIN runs r ON r.clip_id = c.id WHERE r.id = ?", (row["run_id"],)
    ).fetchone()
    if clip is not None and clip[0] > 0 and end > clip[0]:
        raise OptionsError(
            f"a line from {_clock(start)} to {_clock(end)} would end after the clip ({_clock(clip[0])})",
            f"end it at {clip[0]} ms or earlier",
        )
    over = c.execute(
        "SELECT number, start_ms, end_ms FROM segments WHERE run_id = ? AND NOT deleted AND id != ?"
        " AND start_ms < ? AND end_ms > ? ORDER BY start_ms LIMIT 1",
        (row["run_id"], row["id"], end, start),
    ).fetchone()
    if over is not None:
        raise OptionsError(
            f"a line from {_clock(start)} to {_clock(end)} would overlap line {over['number']}"
            f" ({_clock(over['start_ms'])} to {_clock(over['end_ms'])})",
            "put it where no line is, or shorten that line first",
        )


def _within(word: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    return {**word, "start": min(max(word["start"], start), end), "end": min(max(word["end"], start), end)}


def _words_share(left: list[dict[str, Any]], words: list[dict[str, Any]]) -> float:
    total = sum(len(w["text"].strip()) + 1 for w in words)
    return sum(len(w["text"].strip()) + 1 for w in left) / total if total else 0.5


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _joined(a: str, b: str) -> str:
    return " ".join(p for p in (a.strip(), b.strip()) if p)


def _clock(ms: int) -> str:
    return f"{ms // 60000}:{ms % 60000 / 1000:06.3f}"


def _field(field: str) -> str:
    return {"deleted": "deletion", WORDS: "timing", "translation": "English"}.get(field, field)
