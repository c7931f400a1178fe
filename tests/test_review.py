"""Review in the archive: edits, reviewed marks, revisions and undo, the label, and the jobs table.

Real SQLite, hand-built transcripts (tests/records.py): every assertion exact.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from records import LINES, make_clip, make_transcript

from tolmach.archive import Archive, search
from tolmach.archive import jobs as joblist
from tolmach.errors import ConflictError, InputError, OptionsError
from tolmach.records import ClipInfo, Edit
from tolmach.subtitles import build_cues, render
from tolmach.subtitles.formats import LABEL_TRANSLATION


def test_an_edit_changes_the_line_everywhere_and_is_kept(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    rev = archive.edit(run, 3, "translation", "  The mobiks were thrown into the assault.  ", "olena")
    assert (rev.segment, rev.field, rev.author, rev.undoes) == (3, "translation", "olena", None)
    assert rev.before == LINES[2][1] and rev.after == "The mobiks were thrown into the assault."
    transcript = archive.transcript(run)
    assert transcript.segments[2].translation == "The mobiks were thrown into the assault."
    assert "The mobiks were thrown into the assault." in render("srt", transcript)["en.srt"]
    assert [h.segment for h in search(archive.conn, "thrown")] == [3]  # the index follows
    assert archive.edits(run) == (Edit(3, "translation", LINES[2][1], rev.after, "olena", rev.at),)


def test_editing_the_original_updates_its_stems_for_search(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.edit(run, 5, "text", "Опять обстрел у Кременной.", "olena")
    assert [h.segment for h in search(archive.conn, "Кременная")] == [5]  # found by stem after the edit
    assert search(archive.conn, "ёлки") == []


def test_times_and_speaker(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.edit(run, 1, "start", "100", "olena")
    archive.edit(run, 1, "end", "2600", "olena")
    archive.edit(run, 1, "speaker", "  Company   commander ", "olena")
    first = archive.transcript(run).segments[0]
    assert (first.start, first.end, first.speaker) == (100, 2600, "Company commander")
    archive.edit(run, 1, "speaker", "", "olena")
    assert archive.transcript(run).segments[0].speaker is None
    with pytest.raises(OptionsError, match="must start before it ends"):
        archive.edit(run, 1, "start", "2600", "olena")
    with pytest.raises(OptionsError, match="whole number of milliseconds"):
        archive.edit(run, 1, "end", "2.5s", "olena")
    with pytest.raises(OptionsError, match="not an editable field"):
        archive.edit(run, 1, "doubtful", "0", "olena")
    with pytest.raises(OptionsError, match="needs an author"):
        archive.edit(run, 1, "text", "x", "  ")
    with pytest.raises(InputError, match="no line 9"):
        archive.edit(run, 9, "text", "x", "olena")
    assert len(archive.revisions(run, 1)) == 4  # the refused edits left nothing


def test_undo_restores_and_refuses_when_changed_again(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    first = archive.edit(run, 2, "translation", "First try.", "olena")
    second = archive.edit(run, 2, "translation", "Second try.", "ivan")
    with pytest.raises(InputError, match="changed again after revision"):
        archive.undo(run, first.id, "olena")
    back = archive.undo(run, second.id, "olena")
    assert (back.undoes, back.after, back.author) == (second.id, "First try.", "olena")
    archive.undo(run, first.id, "olena")
    assert archive.transcript(run).segments[1].translation == LINES[1][1]
    assert [r.after for r in archive.revisions(run, 2)] == [
        "First try.",
        "Second try.",
        "First try.",
        LINES[1][1],
    ]
    with pytest.raises(InputError, match="no revision 999"):
        archive.undo(run, 999, "olena")


def test_the_label_changes_only_when_every_line_is_reviewed(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    for n in range(1, len(LINES)):
        archive.edit(run, n, "reviewed", "1", "olena" if n < 3 else "ivan")
    state = archive.review_state(run)
    assert (state.reviewed, state.total, state.complete, state.reviewer) == (4, 5, False, None)
    assert archive.transcript(run).reviewer is None
    assert LABEL_TRANSLATION in render("srt", archive.transcript(run))["en.srt"]

    archive.edit(run, len(LINES), "reviewed", "1", "olena")
    transcript = archive.transcript(run)
    assert transcript.reviewer == "olena and ivan"
    assert all(s.reviewed for s in transcript.segments)
    srt = render("srt", transcript)["en.srt"]
    assert "Reviewed by olena and ivan" in srt and LABEL_TRANSLATION not in srt
    data = json.loads(render("json", transcript)["json"])
    assert data["reviewer"] == "olena and ivan"
    assert data["label"]["translation"] == "Reviewed by olena and ivan"
    assert archive.edits(run) == ()  # review marks are not edits of the text

    archive.edit(run, 2, "reviewed", "0", "ivan")
    assert archive.transcript(run).reviewer is None
    with pytest.raises(OptionsError, match="reviewed must be 0 or 1"):
        archive.edit(run, 2, "reviewed", "yes", "ivan")


def test_an_unchanged_value_adds_no_revision(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.edit(run, 4, "translation", "Changed.", "olena")
    archive.edit(run, 4, "translation", "Changed.", "olena")
    assert len(archive.revisions(run, 4)) == 1


def test_removing_a_clip_removes_its_revisions(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.edit(run, 1, "translation", "x", "olena")
    clip_id, _ = archive.resolve(run[:12])
    archive.remove(clip_id)
    assert archive.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0


def test_jobs_queue_claim_progress_finish_fail_and_requeue(tmp_path: Path) -> None:
    with Archive(tmp_path / "home") as archive:
        conn = archive.conn
        a = joblist.add(conn, "a.mp4", "/tmp/a", {"lang": "ru"}, ClipInfo(source="a.mp4", tags=("x",)))
        b = joblist.add(conn, "b.mp4", "/tmp/b", {}, ClipInfo(source="b.mp4"))
        assert (a.state, a.info.tags, a.options) == ("queued", ("x",), {"lang": "ru"})
        first = joblist.claim(conn, "w1")
        second = joblist.claim(conn, "w2")
        assert first is not None and second is not None
        assert {first.id, second.id} == {a.id, b.id}
        assert (first.state, first.attempts) == ("running", 1)
        assert joblist.claim(conn, "w3") is None
        joblist.progress(conn, first.id, 5000, 32500)
        assert (joblist.get(conn, first.id).progress_ms, joblist.get(conn, first.id).duration_ms) == (
            5000,
            32500,
        )
        joblist.finish(conn, first.id, "c" * 64, "r" * 64)
        done = joblist.get(conn, first.id)
        assert (done.state, done.progress_ms, done.clip_id) == ("done", 32500, "c" * 64)
        assert joblist.requeue_stale(conn, {"w1"}) == 1  # w2 is gone: its job goes back
        again = joblist.claim(conn, "w4")
        assert again is not None and (again.id, again.attempts) == (second.id, 2)
        joblist.fail(conn, again.id, "b.mp4: not media", "check the file")
        failed = joblist.get(conn, again.id)
        assert (failed.state, failed.error, failed.hint) == ("failed", "b.mp4: not media", "check the file")
        assert [j.state for j in joblist.listed(conn, "failed")] == ["failed"]
        with pytest.raises(InputError, match="no job nope"):
            joblist.get(conn, "nope")


def cue_times(archive: Archive, run: str) -> dict[int, list[tuple[int, int]]]:
    original, english = build_cues(archive.transcript(run).segments)
    assert [(c.start, c.end) for c in original] == [(c.start, c.end) for c in english]
    times: dict[int, list[tuple[int, int]]] = {}
    for c in original:
        times.setdefault(c.segment_id, []).append((c.start, c.end))
    return times


def test_an_edited_end_reaches_the_cues_and_moves_no_other_line(timed: tuple[Archive, str]) -> None:
    archive, run = timed
    before = cue_times(archive, run)
    assert before[3] == [(6000, 8500)]
    words = archive.segments(run)[2].words
    srt_before = render("srt", archive.transcript(run))["en.srt"]
    (rev,) = archive.edit_line(run, 3, {"end": "8900"}, "olena")
    assert (rev.field, rev.before, rev.after) == ("end", "8500", "8900")
    after = cue_times(archive, run)
    # Ends at the new end, then (as the rules say) stays until 2 frames before line 4, 80 ms later: a
    # shorter gap would flicker.
    assert after[3] == [(6000, 8920)]
    assert {n: t for n, t in after.items() if n != 3} == {n: t for n, t in before.items() if n != 3}
    srt = render("srt", archive.transcript(run))["en.srt"]
    assert "00:00:06,000 --> 00:00:08,920" in srt and "00:00:08,500" not in srt
    assert srt.replace("08,920", "08,500") == srt_before  # nothing else in the file changed
    # The words were stretched into the new span; undo puts them back exactly as Whisper timed them.
    line = archive.segments(run)[2]
    assert (line.words[0].start, line.words[-1].end) == (6000, 8900)
    archive.undo(run, rev.id, "olena")
    assert archive.segments(run)[2].words == words
    assert render("srt", archive.transcript(run))["en.srt"] == srt_before


def test_moving_a_line_checks_start_and_end_together(timed: tuple[Archive, str]) -> None:
    archive, run = timed
    # Line 2 (3.0-5.5 s) moved into the gap before line 3: its new start is after its old end, which
    # only a pair of times checked together allows.
    revs = archive.edit_line(run, 2, {"start": "5550", "end": "5950"}, "olena")
    assert [(r.field, r.before, r.after) for r in revs] == [
        ("start", "3000", "5550"),
        ("end", "5500", "5950"),
    ]
    line = archive.segments(run)[1]
    assert (line.start, line.end, line.words[0].start, line.words[-1].end) == (5550, 5950, 5550, 5950)
    # The words fill the new span; the cue then stays until 2 frames before line 3, as the rules say.
    assert cue_times(archive, run) == {
        1: [(0, 2500)],
        2: [(5550, 5920)],
        3: [(6000, 8500)],
        4: [(9000, 14500)],
    }


@pytest.mark.parametrize(
    ("number", "changes", "message"),
    [
        (
            3,
            {"start": "1000", "end": "999999"},
            "line 3 would end at 999.999 s, after the clip ends (15.000 s)",
        ),
        (
            3,
            {"start": "1000", "end": "8500"},
            "line 3 would start at 1.000 s, before line 2 ends (5.500 s)",
        ),
        (3, {"end": "9100"}, "line 3 would end at 9.100 s, after line 4 starts (9.000 s)"),
        (3, {"start": "8500"}, "a line must start before it ends (line 3: start 8500 ms, end 8500 ms)"),
        (1, {"start": "-1"}, "a line must start before it ends"),
        (3, {"end": "8.9"}, "end must be a whole number of milliseconds"),
        (3, {"translation": "Fine.", "colour": "red"}, "'colour' is not an editable field"),
    ],
)
def test_a_refused_edit_writes_nothing(
    timed: tuple[Archive, str], number: int, changes: dict[str, str], message: str
) -> None:
    archive, run = timed
    before = archive.segments(run)
    with pytest.raises(OptionsError, match=re.escape(message)):
        archive.edit_line(run, number, {"translation": "Changed too.", **changes}, "olena")
    assert archive.segments(run) == before and archive.revisions(run) == []


def test_touching_ends_are_not_an_overlap_and_whisper_overlaps_may_shrink(tmp_path: Path) -> None:
    t = make_transcript(make_clip(tmp_path, "c.mp4", b"clip"))
    overlapping = dataclasses.replace(t.segments[1], start=2400)  # Whisper's line 2 starts before 1 ends
    with Archive(tmp_path / "home") as archive:
        run = archive.save(
            dataclasses.replace(t, segments=(t.segments[0], overlapping, *t.segments[2:])), ClipInfo("x"), {}
        )
        archive.edit_line(run, 1, {"end": "2450"}, "olena")  # smaller overlap: accepted
        archive.edit_line(run, 2, {"end": "6000"}, "olena")  # ends where line 3 starts: no overlap
        with pytest.raises(OptionsError, match="before line 1 ends"):
            archive.edit_line(run, 2, {"start": "2300"}, "olena")  # a bigger overlap: refused
        assert [(s.start, s.end) for s in archive.segments(run)[:2]] == [(0, 2450), (2400, 6000)]


def test_a_change_to_a_reviewed_line_takes_its_mark_away(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    for n in (1, 2, 3, 4):
        archive.edit(run, n, "reviewed", "1", "olena")
    revs = archive.edit_line(run, 1, {"translation": "We held Bakhmut for three weeks."}, "ivan")
    assert [(r.field, r.before, r.after, r.author) for r in revs] == [
        ("translation", LINES[0][1], "We held Bakhmut for three weeks.", "ivan"),
        ("reviewed", "1", "0", "ivan"),
    ]
    archive.edit_line(run, 2, {"translation": ""}, "ivan")  # an emptied English is a change too
    archive.edit_line(run, 3, {"end": "8000"}, "ivan")
    archive.edit_line(run, 4, {"speaker": "Olena"}, "ivan")  # a name is not what the line says
    assert [s.reviewed for s in archive.segments(run)] == [False, False, False, True, False]
    # Changed and checked in one go: the mark stays, and no revision says otherwise.
    archive.edit(run, 4, "reviewed", "1", "olena")
    revs = archive.edit_line(run, 4, {"text": "Из Бахмута нас вывели в мае.", "reviewed": "1"}, "olena")
    assert [r.field for r in revs] == ["text"] and archive.segments(run)[3].reviewed
    revs = archive.edit_line(run, 1, {"text": "Мы стояли в Бахмуте.", "reviewed": "1"}, "olena")
    assert [(r.field, r.after) for r in revs] == [("text", "Мы стояли в Бахмуте."), ("reviewed", "1")]
    # An undo is a change as well.
    back = archive.undo(run, revs[0].id, "ivan")
    assert back.after == LINES[0][0] and not archive.segments(run)[0].reviewed
    last = archive.revisions(run, 1)[-1]
    assert (last.field, last.before, last.after, last.author, last.undoes) == (
        "reviewed",
        "1",
        "0",
        "ivan",
        None,
    )


def test_the_reviewers_are_those_whose_marks_stand(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    for n in (1, 2, 3):
        archive.edit(run, n, "reviewed", "1", "olena")
    archive.edit(run, 4, "reviewed", "1", "ivan")
    archive.edit(run, 5, "reviewed", "1", "petro")
    assert archive.review_state(run).reviewers == ("olena", "ivan", "petro")
    archive.edit(run, 5, "reviewed", "0", "petro")  # taken back ...
    archive.edit(run, 5, "reviewed", "1", "olena")  # ... and checked again by someone else
    archive.edit(run, 4, "translation", "They took us out of Bakhmut in April.", "olena")  # ivan's mark goes
    archive.edit(run, 4, "reviewed", "1", "olena")
    state = archive.review_state(run)
    assert (state.complete, state.reviewers) == (True, ("olena",))
    assert archive.transcript(run).reviewer == "olena"
    archive.edit(run, 1, "reviewed", "0", "olena")
    archive.edit(run, 1, "reviewed", "1", "ivan")  # ordered by each standing mark: line 1's is the latest
    assert archive.review_state(run).reviewers == ("olena", "ivan")


def test_every_accepted_change_adds_one_to_the_version(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    assert [s.version for s in archive.segments(run)] == [1, 1, 1, 1, 1]
    archive.edit_line(run, 2, {"translation": "Quiet, he said.", "speaker": "Ivan"}, "olena", version=1)
    assert archive.segments(run)[1].version == 2  # one edit, two fields
    assert archive.edit_line(run, 2, {"translation": "Quiet, he said."}, "olena", version=2) == []
    assert archive.segments(run)[1].version == 2  # nothing changed, nothing counted
    rev = archive.edit_line(run, 2, {"translation": "All quiet, he said."}, "olena", version=2)[0]
    archive.undo(run, rev.id, "olena")
    assert [s.version for s in archive.segments(run)] == [1, 4, 1, 1, 1]
    assert "version" not in json.loads(render("json", archive.transcript(run))["json"])["segments"][1]


def test_a_write_from_a_stale_page_is_refused_and_names_who_changed_the_line(
    stored: tuple[Archive, str],
) -> None:
    archive, run = stored
    # Two pages read line 3 at version 1; Olena saves first.
    (rev,) = archive.edit_line(run, 3, {"translation": "Olena's English."}, "Olena", version=1)
    with pytest.raises(ConflictError) as caught:
        archive.edit_line(run, 3, {"translation": "Ivan's English.", "reviewed": "1"}, "Ivan", version=1)
    assert caught.value.message == (
        f"line 3 was changed by Olena at {rev.at}: your page shows version 1, the archive has 2"
    )
    assert caught.value.hint == "reload the line and apply your change again"
    line = archive.segments(run)[2]
    assert (line.translation, line.reviewed, line.version) == ("Olena's English.", False, 2)
    assert len(archive.revisions(run, 3)) == 1
    with pytest.raises(
        ConflictError, match="line 1 was changed: your page shows version 7, the archive has 1"
    ):
        archive.edit_line(run, 1, {"text": "x"}, "Ivan", version=7)


def test_translators_notes_can_be_edited_and_removed(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    note = "мобик (mobik): mobilised soldier, derogatory"
    (rev,) = archive.edit_line(run, 3, {"notes": ""}, "olena")
    assert (rev.field, rev.before, rev.after) == ("notes", note, "")
    transcript = archive.transcript(run)
    assert transcript.segments[2].notes == ()
    assert "NOTE:" not in render("txt", transcript)["txt"]
    archive.undo(run, rev.id, "olena")
    assert archive.segments(run)[2].notes == (note,)
    archive.edit_line(run, 1, {"notes": "  Bakhmut: the city, not the river \n\n second note "}, "olena")
    assert archive.segments(run)[0].notes == ("Bakhmut: the city, not the river", "second note")
    assert archive.edits(run)[-1] == Edit(
        1,
        "notes",
        "",
        "Bakhmut: the city, not the river\nsecond note",
        "olena",
        archive.revisions(run, 1)[0].at,
    )


def test_a_time_edit_that_cuts_into_the_words_spreads_them_over_the_line(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    assert [(w.start, w.end) for w in archive.segments(run)[1].words] == [(3000, 3400)]
    archive.edit_line(run, 2, {"start": "3500"}, "olena")  # after line 2's only timed word ended
    assert [(w.start, w.end) for w in archive.segments(run)[1].words] == [(3500, 5500)]


def test_an_undo_that_would_overlap_a_neighbour_is_refused(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    (shorter,) = archive.edit_line(run, 3, {"end": "8000"}, "olena")
    archive.edit_line(run, 4, {"start": "8200"}, "ivan")  # into the room the first edit made
    with pytest.raises(
        OptionsError, match=re.escape("line 3 would end at 8.500 s, after line 4 starts (8.200 s)")
    ):
        archive.undo(run, shorter.id, "olena")
    assert archive.segments(run)[2].end == 8000 and archive.segments(run)[2].version == 2
