"""Reconciling the transcript's and the translation's cuts into aligned lines (exact)."""

from __future__ import annotations

from tolmach.asr.decoder import RawLine, reconcile
from tolmach.asr.windows import Region, Window

WINDOW = Window((Region(0, 30_000),))


def line(start: int, end: int, text: str) -> RawLine:
    return RawLine(window=WINDOW, start=start, end=end, text=text, tokens=[len(text)])


def test_cuts_both_tasks_share_are_kept() -> None:
    source = [line(0, 5000, "a1"), line(5000, 9000, "b1"), line(9000, 14_000, "c1")]
    english = [line(0, 5400, "A"), line(5400, 8600, "B"), line(8600, 14_000, "C")]
    out = reconcile(source, english, tolerance_ms=1500)
    assert [(x.start, x.end, x.text, x.translation) for x in out] == [
        (0, 5000, "a1", "A"),
        (5000, 9000, "b1", "B"),
        (9000, 14_000, "c1", "C"),
    ]


def test_a_cut_the_translation_lacks_joins_the_source_lines() -> None:
    source = [line(0, 5000, "a1"), line(5000, 9000, "a2"), line(9000, 14_000, "b1")]
    english = [line(0, 9200, "A whole sentence."), line(9200, 14_000, "B")]
    out = reconcile(source, english, tolerance_ms=1500)
    assert [(x.text, x.translation) for x in out] == [("a1 a2", "A whole sentence."), ("b1", "B")]
    assert out[0].tokens == [2, 2]


def test_several_english_pieces_in_one_line_are_joined_in_order() -> None:
    source = [line(0, 12_000, "long line")]
    english = [line(0, 4000, "First."), line(4000, 8000, "Second."), line(8000, 12_000, "Third.")]
    out = reconcile(source, english, tolerance_ms=1500)
    assert [x.translation for x in out] == ["First. Second. Third."]


def test_a_line_that_gets_no_english_joins_its_neighbour() -> None:
    # English cuts match, but nothing English falls inside the short middle line
    source = [line(0, 6000, "a"), line(6000, 6600, "b"), line(6600, 12_000, "c")]
    english = [line(0, 6050, "A"), line(6550, 12_000, "C")]
    out = reconcile(source, english, tolerance_ms=200)
    assert [(x.text, x.translation) for x in out] == [("a b", "A"), ("c", "C")]
    # and a leading line without English joins the next one
    out = reconcile(source[1:], [line(6700, 12_000, "C")], tolerance_ms=200)
    assert [(x.text, x.translation) for x in out] == [("b c", "C")]


def test_every_source_piece_ends_up_in_exactly_one_line() -> None:
    source = [line(i * 2000, i * 2000 + 2000, f"s{i}") for i in range(12)]
    english = [line(0, 7000, "A"), line(7000, 15_000, "B"), line(15_000, 24_000, "C")]
    out = reconcile(source, english, tolerance_ms=1100)
    assert " ".join(x.text for x in out) == " ".join(p.text for p in source)
    assert all(x.translation for x in out)
    assert [x.translation for x in out] == ["A", "B", "C"]


def test_no_english_at_all_gives_one_untranslated_line() -> None:
    out = reconcile([line(0, 2000, "a"), line(2000, 4000, "b")], [], tolerance_ms=1500)
    assert [(x.text, x.translation) for x in out] == [("a b", "")]


def test_no_source_gives_no_lines() -> None:
    assert reconcile([], [line(0, 1000, "A")], tolerance_ms=1500) == []


def test_a_sentence_the_translation_says_twice_is_kept_once() -> None:
    source = [line(0, 5000, "a1"), line(5000, 9000, "b1")]
    english = [
        line(0, 4000, "We are not refusing to serve."),
        line(4000, 5200, "We are not refusing to serve."),
        line(5200, 9000, "We were broken."),
    ]
    out = reconcile(source, english, tolerance_ms=1500)
    assert [(x.text, x.translation) for x in out] == [
        ("a1", "We are not refusing to serve."),
        ("b1", "We were broken."),
    ]


def test_a_repeated_beginning_is_cut_and_short_echoes_are_kept() -> None:
    source = [line(0, 5000, "a1"), line(5000, 9000, "b1")]
    english = [line(0, 5000, "They said: hold the line."), line(5000, 9000, "Hold the line, and we held it.")]
    out = reconcile(source, english, tolerance_ms=1500)
    assert [x.translation for x in out] == ["They said: hold the line.", "and we held it."]
    echo = [line(0, 5000, "Yes, yes."), line(5000, 9000, "Yes, they came.")]
    assert [x.translation for x in reconcile(source, echo, tolerance_ms=1500)] == [
        "Yes, yes.",
        "Yes, they came.",
    ]
