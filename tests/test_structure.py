"""Split, merge, insert and delete in the archive: stable line numbers, one undo a change, nothing lost.

Real SQLite, hand-built transcripts (tests/records.py; lines 1-5 at 0-2.5 s, 3-5.5 s ... 12-14.5 s of
a 15 s clip): every assertion exact.
"""

from __future__ import annotations

import json

import pytest
from records import LINES

from tolmach.archive import Archive, search
from tolmach.archive.structure import cut_at
from tolmach.errors import ConflictError, InputError, OptionsError
from tolmach.records import ClipInfo, Segment
from tolmach.subtitles import build_cues, render


def lines(archive: Archive, run: str) -> list[tuple[int, int, int, str, str]]:
    return [(s.id, s.start, s.end, s.text, s.translation) for s in archive.segments(run)]


def everything(archive: Archive, run: str) -> list[Segment]:
    """Every standing line with all it holds but its version (which every change moves on) and its
    entities (found again from the text whenever it changes: the hand-built ones are not the finder's)."""
    return [s.__class__(**{**s.__dict__, "version": 0, "entities": ()}) for s in archive.segments(run)]


def hits(archive: Archive, query: str) -> list[int]:
    return [h.segment for h in search(archive.conn, query)]


def test_a_split_keeps_the_number_and_gives_the_second_half_the_next_one(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    text = LINES[1][0]  # «Командир роты сказал, что в Бахмуте тихо.»
    step = archive.split_line(run, 2, 4000, "olena", text_at=text.index("что"))
    assert (step.action, step.lines) == ("split", (2, 6))
    assert lines(archive, run)[1:3] == [
        (2, 3000, 4000, "Командир роты сказал,", "The company commander said"),
        (6, 4000, 5500, "что в Бахмуте тихо.", "it was quiet in Bakhmut."),
    ]
    assert [s.id for s in archive.segments(run)] == [1, 2, 6, 3, 4, 5]  # time order, numbers kept
    new = archive.segments(run)[2]
    assert (new.speaker, new.reviewed, [e.english for e in new.entities]) == ("S2", False, ["Bakhmut"])
    assert "Bakhmut" not in [e.english for e in archive.segments(run)[1].entities]  # it went with its words
    assert {r.action for r in step.revisions} == {"split"}
    assert {r.step for r in step.revisions} == {step.revisions[0].id}
    assert [(r.segment, r.field) for r in step.revisions] == [
        (2, "end"), (2, "text"), (2, "translation"), (2, "words"), (6, "deleted"),
    ]  # fmt: skip
    assert step.revisions[-1].before == "1" and step.revisions[-1].after == "0"  # line 6 did not stand before
    srt = render("srt", archive.transcript(run))["en.srt"]
    assert "The company commander said" in srt and "it was quiet in Bakhmut." in srt
    assert hits(archive, "тихо") == [6]
    assert archive.clips()[0].lines == 6


def test_undoing_a_split_gives_back_the_line_exactly(timed: tuple[Archive, str]) -> None:
    archive, run = timed
    archive.edit_line(run, 2, {"reviewed": "1"}, "olena")
    before = everything(archive, run)
    step = archive.split_line(run, 2, 3800, "olena")  # no place in the text: the words timed before it
    second = archive.segments(run)[2]
    assert (lines(archive, run)[1][3], second.text) == ("Командир роты", "сказал, что в Бахмуте тихо.")
    assert [w.text for w in archive.segments(run)[1].words] == [" Командир", " роты"]
    assert [w.text for w in second.words] == [" сказал,", " что", " в", " Бахмуте", " тихо."]
    assert all(3800 <= w.start < w.end <= 5500 for w in second.words)
    assert archive.segments(run)[1].reviewed is False  # the reviewer checked the whole line, not this half
    back = archive.undo(run, step.revisions[2].id, "olena")  # any revision of the step takes it all back
    assert (back.segment, back.field, back.action) == (2, "end", "undo split")
    assert everything(archive, run) == before  # words, reviewed mark and all
    assert hits(archive, "тихо") == [2]
    with pytest.raises(InputError, match="undone already"):
        archive.undo(run, step.revisions[0].id, "olena")
    redo = archive.undo(run, back.id, "olena")  # undoing the undo splits it again
    assert redo.action == "undo undo split" and [s.id for s in archive.segments(run)] == [1, 2, 6, 3, 4, 5]


def test_a_split_cue_follows_the_new_times(timed: tuple[Archive, str]) -> None:
    archive, run = timed
    archive.split_line(run, 3, 7000, "olena")
    original, _ = build_cues(archive.transcript(run).segments)
    by_line = {c.segment_id: (c.start, c.end) for c in original}
    assert by_line[3][0] == 6000 and by_line[3][1] <= 7000 and by_line[6][0] >= 7000


def test_the_english_is_cut_at_the_same_share_or_where_asked(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.split_line(run, 4, 10000, "olena", text_at=LINES[3][0].index("нас"), translation_at=8)
    assert lines(archive, run)[3][3:] == ("Из Бахмута", "We were")
    assert lines(archive, run)[4][3:] == ("нас вывели в апреле.", "withdrawn from Bakhmut in April.")
    assert cut_at("We stood there. Then we left at night", 0.35) == len("We stood there. ")
    assert cut_at("one two three four", 0.5) == len("one two") and cut_at("", 0.5) == 0
    assert cut_at("Bakhmut", 0.8) == 7 and cut_at("Bakhmut", 0.2) == 0


def test_a_split_is_refused_where_it_cannot_be_made(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    with pytest.raises(
        OptionsError, match=r"line 2 runs from 0:03.000 to 0:05.500: 0:06.000 is not inside it"
    ):
        archive.split_line(run, 2, 6000, "olena")
    with pytest.raises(OptionsError, match="leaves the first part with no text"):
        archive.split_line(run, 2, 4000, "olena", text_at=0)
    with pytest.raises(OptionsError, match="cannot split it at 99"):
        archive.split_line(run, 2, 4000, "olena", text_at=5, translation_at=99)
    with pytest.raises(ConflictError, match="your page shows version 7"):
        archive.split_line(run, 2, 4000, "olena", version=7)
    with pytest.raises(OptionsError, match="needs an author"):
        archive.split_line(run, 2, 4000, " ")
    assert [s.id for s in archive.segments(run)] == [1, 2, 3, 4, 5] and archive.revisions(run) == []


def test_a_merge_joins_two_lines_and_its_undo_parts_them(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    before = everything(archive, run)
    step = archive.merge_lines(run, 3, "olena", version=1, next_version=1)
    assert step.lines == (3, 4)
    assert lines(archive, run)[2] == (
        3,
        6000,
        11500,
        f"{LINES[2][0]} {LINES[3][0]}",
        f"{LINES[2][1]} {LINES[3][1]}",
    )
    assert [s.id for s in archive.segments(run)] == [1, 2, 3, 5]
    assert archive.segments(run)[2].notes == ("мобик (mobik): mobilised soldier, derogatory",)
    assert archive.review_state(run).total == 4 and archive.clips()[0].lines == 4
    assert hits(archive, "апреле") == [3]
    archive.undo(run, step.revisions[-1].id, "olena")
    assert everything(archive, run) == before
    with pytest.raises(InputError, match="line 5 is the last line"):
        archive.merge_lines(run, 5, "olena")
    with pytest.raises(ConflictError, match="line 4 was changed by olena"):
        archive.merge_lines(run, 3, "ivan", next_version=1)  # the merge and its undo moved line 4 on to 3
    assert [s.id for s in archive.segments(run)] == [1, 2, 3, 4, 5]


def test_an_inserted_line_takes_the_next_number_and_may_not_overlap(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    step = archive.insert_line(
        run, 14500, 15000, "olena", text="Всё.", translation="That's all.", speaker="S1"
    )
    assert step.lines == (6,)
    assert lines(archive, run)[-1] == (6, 14500, 15000, "Всё.", "That's all.")
    assert "That's all." in render("srt", archive.transcript(run))["en.srt"]
    with pytest.raises(OptionsError, match=r"would overlap line 2 \(0:03.000 to 0:05.500\)"):
        archive.insert_line(run, 2600, 3100, "olena")
    with pytest.raises(OptionsError, match=r"would end after the clip \(0:15.000\)"):
        archive.insert_line(run, 14000, 15500, "olena")
    with pytest.raises(OptionsError, match="must start before it ends"):
        archive.insert_line(run, 2800, 2700, "olena")
    gap = archive.insert_line(run, 2500, 3000, "olena")  # touching both neighbours is no overlap
    assert [s.id for s in archive.segments(run)] == [1, 7, 2, 3, 4, 5, 6]
    archive.undo(run, gap.revisions[0].id, "olena")
    archive.undo(run, step.revisions[0].id, "olena")
    assert [s.id for s in archive.segments(run)] == [1, 2, 3, 4, 5]


def test_a_deleted_line_leaves_every_view_and_its_number_is_never_reused(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    step = archive.delete_line(run, 5, "olena", version=1)
    assert [s.id for s in archive.segments(run)] == [1, 2, 3, 4]
    assert hits(archive, "обстрел") == [] and archive.clips()[0].lines == 4
    assert "shelling" not in render("srt", archive.transcript(run))["en.srt"]
    with pytest.raises(InputError, match="line 5 was deleted"):
        archive.edit_line(run, 5, {"text": "x"}, "olena")
    taken = archive.insert_line(run, 12500, 13000, "olena", text="Тихо.")
    assert taken.lines == (6,)  # not 5
    with pytest.raises(OptionsError, match=r"overlap line 6"):
        archive.undo(run, step.revisions[0].id, "olena")  # line 5 cannot come back over line 6
    archive.undo(run, taken.revisions[0].id, "olena")
    archive.undo(run, step.revisions[0].id, "olena")
    assert lines(archive, run)[-1] == (5, 12000, 14500, *LINES[4])
    assert hits(archive, "обстрел") == [5]
    assert [(e.segment_id, e.field) for e in archive.edits(run)] == [
        (5, "deleted"),
        (6, "deleted"),
        (6, "deleted"),
        (5, "deleted"),
    ]


def test_an_undo_is_refused_while_a_later_edit_stands_on_a_line_it_wrote(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    step = archive.split_line(run, 1, 1000, "olena", text_at=LINES[0][0].index("под"))
    edit = archive.edit_line(run, 6, {"text": "под Бахмутом три недели!"}, "ivan")
    with pytest.raises(InputError, match=r"line 6 was changed after the split \(its text\)"):
        archive.undo(run, step.revisions[0].id, "olena")
    assert [s.id for s in archive.segments(run)] == [1, 6, 2, 3, 4, 5]  # nothing was taken back
    archive.undo(run, edit[0].id, "ivan")
    archive.undo(run, step.revisions[0].id, "olena")
    assert lines(archive, run)[0] == (1, 0, 2500, *LINES[0])


def test_a_change_to_a_reviewed_line_clears_the_label_until_undone(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    for n in range(1, 6):
        archive.edit_line(run, n, {"reviewed": "1"}, "olena")
    assert archive.review_state(run).complete
    step = archive.merge_lines(run, 1, "ivan")
    state = archive.review_state(run)
    assert (state.reviewed, state.total, state.complete) == (3, 4, False)
    archive.undo(run, step.revisions[0].id, "ivan")
    assert archive.review_state(run).reviewer == "olena"
    deleted = archive.delete_line(run, 5, "ivan")  # deleting a line changes no other line's mark
    assert archive.review_state(run).complete
    assert json.loads(json.dumps([r.field for r in deleted.revisions])) == ["deleted"]


def test_a_speaker_named_once_with_a_role_gives_the_legend_everywhere(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    from tolmach.publish import build_thread, quotes_markdown

    step = archive.name_speaker(run, "S1", "olena", name="R", role="Russian  soldier")
    assert (step.action, step.lines) == ("speaker", (1, 3, 5))
    assert [(r.segment, r.field) for r in step.revisions] == [
        (n, f) for n in (1, 3, 5) for f in ("speaker", "role")
    ]
    archive.name_speaker(run, "S2", "olena", role="mother")
    transcript = archive.transcript(run)
    assert [(s.speaker, s.role) for s in transcript.segments[:2]] == [
        ("R", "Russian soldier"),
        ("S2", "mother"),
    ]
    legend = "(R) Russian soldier, (S2) mother"
    assert f"speakers:    {legend}\n" in render("txt", transcript)["txt"]
    assert f"Speakers: {legend}." in "\n".join(build_thread(transcript, ClipInfo(source="x")))
    assert "**Speakers:** \\(R\\) Russian soldier, \\(S2\\) mother" in quotes_markdown(
        transcript, ClipInfo(source="x")
    )
    assert '"role": "mother"' in render("json", transcript)["json"]
    assigned = archive.assign_speaker(run, 3, 4, "S2", "olena")  # the range takes S2 and S2's role
    assert [(s.speaker, s.role) for s in archive.segments(run)][2:4] == [("S2", "mother"), ("S2", "mother")]
    with pytest.raises(InputError, match=r"line 3 was changed after the speaker change \(its role\)"):
        archive.undo(run, step.revisions[0].id, "olena")
    archive.undo(run, assigned.revisions[0].id, "olena")
    archive.undo(run, step.revisions[0].id, "olena")
    assert [(s.speaker, s.role) for s in archive.segments(run)][::2] == [("S1", "")] * 3
    with pytest.raises(OptionsError, match="no line is spoken by 'S9'"):
        archive.name_speaker(run, "S9", "olena", name="X")
    with pytest.raises(OptionsError, match="cannot be empty"):
        archive.name_speaker(run, "S1", "olena", name=" ")
    assert archive.segments(run)[0].reviewed is False and archive.segments(run)[0].doubtful is False
