"""Review in the archive: edits, reviewed marks, revisions and undo, the label, and the jobs table.

Real SQLite, hand-built transcripts (tests/records.py): every assertion exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from records import LINES, make_clip, make_transcript

from tolmach.archive import Archive, search
from tolmach.archive import jobs as joblist
from tolmach.errors import InputError, OptionsError
from tolmach.records import ClipInfo, Edit
from tolmach.subtitles import render
from tolmach.subtitles.formats import LABEL_TRANSLATION


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Archive, str]:
    archive = Archive(tmp_path / "home")
    run = archive.save(make_transcript(make_clip(tmp_path, "c.mp4", b"clip")), ClipInfo(source="x"), {})
    yield archive, run
    archive.close()


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
