"""Telling speakers apart: the real voice model on real recordings, and exact checks of the assignment.

The two-voice clip is built here from the repository's recordings: the man of sample-ru.mp4 (ru-read,
three recordings at the times in sample-ru.tsv) taking turns with the woman of tests/data/ru-phone,
with pauses between 0.3 and 1.2 s, so every change of voice is known to the millisecond.
"""

from __future__ import annotations

import csv
import itertools
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from tolmach.diarize import Turn, assign_speakers, diarize, require_diarize
from tolmach.errors import MissingExtraError
from tolmach.records import Flag, Segment, Word

DATA = Path(__file__).parent / "data"
PHONE = ("tt-allbusy", "vm-nobox", "privacy-unident", "ss-noservice")
PAUSES_MS = (400, 800, 300, 1200, 600, 500, 700)
RATE = 16  # samples per ms
Mix = tuple[np.ndarray, list[tuple[int, int, str]]]  # samples, and (start ms, end ms, "M" or "F") per turn


@pytest.fixture(scope="module")
def mix(sample_audio: np.ndarray) -> Mix:
    """Eight turns, man and woman alternating, and the truth: (start ms, end ms, "M" or "F") per turn."""
    from tolmach.media import decode_audio

    rows = list(csv.DictReader((DATA / "sample-ru.tsv").open(encoding="utf-8"), delimiter="\t"))
    male = [sample_audio[int(r["start_ms"]) * RATE : int(r["end_ms"]) * RATE] for r in rows]
    female = [decode_audio(DATA / "ru-phone" / f"{name}.flac") for name in PHONE]
    turns = [("M", male[0]), ("F", female[0]), ("M", male[1]), ("F", female[1])]
    turns += [("M", male[2]), ("F", female[2]), ("M", male[0][: 8000 * RATE]), ("F", female[3])]
    parts, truth, at = [np.zeros(500 * RATE, dtype=np.float32)], [], 500
    for (voice, audio), pause in zip(turns, (*PAUSES_MS, 500), strict=True):
        truth.append((at, at + len(audio) // RATE, voice))
        parts += [audio, np.zeros(pause * RATE, dtype=np.float32)]
        at += len(audio) // RATE + pause
    return np.concatenate(parts), truth


@pytest.fixture(scope="module")
def estimated(mix: Mix) -> list[Turn]:
    return diarize(mix[0])


def _changes(turns: list[Turn]) -> list[int]:
    return [(a.end + b.start) // 2 for a, b in itertools.pairwise(turns) if a.speaker != b.speaker]


def _right_share(truth: list[tuple[int, int, str]], turns: list[Turn], mapping: dict[str, str]) -> float:
    right = sum(
        max(0, min(end, t.end) - max(start, t.start))
        for start, end, voice in truth
        for t in turns
        if t.speaker == mapping[voice]
    )
    return right / sum(end - start for start, end, _ in truth)


def _check_two_voices(mix: Mix, turns: list[Turn]) -> None:
    samples, truth = mix
    assert {t.speaker for t in turns} == {"S1", "S2"}
    assert turns[0].speaker == "S1"  # the man speaks first, so he is S1
    assert all(a.end <= b.start for a, b in itertools.pairwise(turns))
    assert all(0 <= t.start < t.end <= len(samples) // RATE for t in turns)
    # every change of voice found, each within 1 s of the pause where it happens, and no other
    pauses = [(a[1], b[0]) for a, b in itertools.pairwise(truth)]
    found = _changes(turns)
    assert len(found) == len(pauses)
    for (after, before), change in zip(pauses, found, strict=True):
        assert after - 1000 <= change <= before + 1000
    assert _right_share(truth, turns, {"M": "S1", "F": "S2"}) >= 0.9


def test_two_voices_found_with_their_turns(mix: Mix, estimated: list[Turn]) -> None:
    _check_two_voices(mix, estimated)


def test_a_known_number_of_speakers_is_kept(mix: Mix) -> None:
    _check_two_voices(mix, diarize(mix[0], 2))


def test_one_voice_is_one_speaker(sample_audio: np.ndarray) -> None:
    turns = diarize(sample_audio)
    assert {t.speaker for t in turns} == {"S1"}
    # the three recordings of sample-ru.tsv, 0.5-32.4 s, are covered
    assert turns[0].start <= 1000 and turns[-1].end >= 31500


def test_given_regions_are_used(sample_audio: np.ndarray) -> None:
    from tolmach.asr.windows import Region

    assert diarize(sample_audio, regions=[Region(17180, 25680)]) == [Turn(17180, 25680, "S1")]
    assert diarize(sample_audio, regions=[]) == []
    # out of order, overlapping, past the ends: joined and cut to the audio, so turns never overlap; a
    # region too short for a window of its own takes the voice of the nearest one
    end = len(sample_audio) // RATE
    turns = diarize(sample_audio, regions=[Region(26000, 40000), Region(17180, 26500), Region(-50, 300)])
    assert turns == [Turn(0, 300, "S1"), Turn(17180, end, "S1")]


def test_silence_has_no_turns() -> None:
    assert diarize(np.zeros(3 * 16000, dtype=np.float32)) == []


def test_speakers_must_be_positive(sample_audio: np.ndarray) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        diarize(sample_audio, 0)


def test_turn_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Turn(0, 1000, "S1").speaker = "S2"  # type: ignore[misc]


@pytest.mark.parametrize("module", ["resemblyzer", "torch", "sklearn"])
def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(MissingExtraError) as caught:
        require_diarize()
    assert "telling speakers apart" in caught.value.message
    assert "tolmach[diarize]" in caught.value.hint
    with pytest.raises(MissingExtraError):
        diarize(np.zeros(16000, dtype=np.float32))


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, tolmach.diarize; print(sorted({'torch', 'resemblyzer', 'sklearn'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- assign_speakers: exact, no model ---

TURNS = [Turn(0, 5000, "S1"), Turn(5000, 10000, "S2"), Turn(10500, 14000, "S1")]


def _words(*spec: tuple[str, int, int]) -> tuple[Word, ...]:
    return tuple(Word(start, end, f" {text}", 0.9) for text, start, end in spec)


def _segment(
    id: int, start: int, end: int, text: str, translation: str, *words: tuple[str, int, int]
) -> Segment:
    return Segment(id, start, end, text, translation, _words(*words))


CHANGING = Segment(
    7,
    3200,
    9000,
    "Они пришли утром. Нет, это было вечером.",
    "They came in the morning. No, it was in the evening.",
    _words(
        ("Они", 3200, 3600),
        ("пришли", 3600, 4100),
        ("утром.", 4100, 4800),
        ("Нет,", 5100, 5600),
        ("это", 5600, 6300),
        ("было", 6300, 7000),
        ("вечером.", 7000, 8900),
    ),
    avg_logprob=-1.2,
    doubtful=True,
    flags=(Flag("low-logprob", "unsure"),),
    speech_ratio=0.8,
)


def test_a_segment_is_split_where_the_voice_changes() -> None:
    before = _segment(
        3, 0, 3000, "Я был там.", "I was there.", ("Я", 100, 300), ("был", 300, 700), ("там.", 700, 1500)
    )
    after = _segment(9, 11000, 13000, "Да.", "Yes.", ("Да.", 11000, 11400))
    result = assign_speakers([after, CHANGING, before], TURNS)
    assert [s.id for s in result] == [1, 2, 3, 4]
    assert [s.speaker for s in result] == ["S1", "S1", "S2", "S1"]
    first, second = result[1], result[2]
    assert (first.start, first.end, second.start, second.end) == (3200, 4800, 5100, 9000)
    assert (first.text, second.text) == ("Они пришли утром.", "Нет, это было вечером.")
    assert (first.translation, second.translation) == (
        "They came in the morning.",
        "No, it was in the evening.",
    )
    assert first.words == CHANGING.words[:3] and second.words == CHANGING.words[3:]
    for piece in (first, second):
        assert (piece.avg_logprob, piece.doubtful, piece.flags, piece.speech_ratio) == (
            -1.2,
            True,
            (Flag("low-logprob", "unsure"),),
            0.8,
        )
    assert result[0].text == "Я был там." and result[3].text == "Да."


def test_a_brief_change_does_not_split() -> None:
    # one word (and under a second) of the other voice: the diarizer's blur at a boundary
    segment = _segment(
        1, 3000, 6000, "раз два три четыре", "one two three four",
        ("раз", 3000, 3800), ("два", 3800, 4600), ("три", 4600, 4950), ("четыре", 5050, 5600),
    )  # fmt: skip
    result = assign_speakers([segment], TURNS)
    assert len(result) == 1 and result[0].speaker == "S1" and result[0].text == segment.text


def test_a_segment_without_words_is_kept_whole() -> None:
    segment = Segment(4, 4000, 9500, "Они пришли утром. Нет, это было вечером.", "They came. No, evening.")
    result = assign_speakers([segment], TURNS)
    assert result == (Segment(1, 4000, 9500, segment.text, segment.translation, speaker="S2"),)


def test_one_turn_makes_everyone_s1() -> None:
    segments = [CHANGING, _segment(2, 100, 900, "Да.", "Yes.", ("Да.", 100, 500))]
    result = assign_speakers(segments, [Turn(0, 20000, "S1")])
    assert [(s.id, s.speaker, s.text) for s in result] == [(1, "S1", "Да."), (2, "S1", CHANGING.text)]
    assert [s.speaker for s in assign_speakers(segments, [])] == ["S1", "S1"]


def test_a_three_way_split_loses_no_word() -> None:
    turns = [Turn(0, 2000, "S1"), Turn(2000, 4000, "S2"), Turn(4000, 6000, "S1")]
    words = [(f"w{i}", i * 400, i * 400 + 350) for i in range(15)]
    text = " ".join(w for w, _, _ in words)
    english = "one two three, four five six seven eight nine ten"
    result = assign_speakers([_segment(1, 0, 6000, text, english, *words)], turns)
    assert [s.speaker for s in result] == ["S1", "S2", "S1"]
    assert [len(s.words) for s in result] == [5, 5, 5]
    assert " ".join(s.text for s in result) == text
    assert " ".join(s.translation for s in result).split() == english.split()
    assert all(s.translation for s in result)
    assert result[0].translation == "one two three,"  # the comma is near the cut, so the cut goes there


def test_edited_text_is_still_cut_between_words() -> None:
    # the words no longer spell the text (a reviewer rewrote it): cut by share of characters instead
    segment = Segment(1, 3200, 9000, "Они пришли рано утром. Нет, нет, это было вечером.", "", CHANGING.words)
    result = assign_speakers([segment], TURNS)
    assert len(result) == 2
    assert " ".join(s.text for s in result) == segment.text
    assert [s.translation for s in result] == ["", ""]


@st.composite
def _segments_and_turns(draw: st.DrawFn) -> tuple[list[Segment], list[Turn]]:
    cuts = sorted(draw(st.lists(st.integers(0, 30000), min_size=0, max_size=8, unique=True)))
    edges = [0, *cuts, 30000]
    turns = [Turn(a, b, f"S{i % 3 + 1}") for i, (a, b) in enumerate(itertools.pairwise(edges)) if a < b]
    segments = []
    for i in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, 28000))
        count = draw(st.integers(0, 12))
        lengths = draw(st.lists(st.integers(50, 900), min_size=count, max_size=count))
        words, at = [], start
        for k, length in enumerate(lengths):
            words.append((f"слово{k}{'.' if k % 4 == 3 else ''}", at, at + length))
            at += length + draw(st.integers(0, 300))
        text = " ".join(w for w, _, _ in words) or "(тишина)"
        english = " ".join(draw(st.lists(st.sampled_from(["word", "word,", "end.", "—", "x"]), max_size=15)))
        segments.append(_segment(i + 1, start, max(at, start + 100), text, english, *words))
    return segments, turns


@given(_segments_and_turns())
@settings(max_examples=200, deadline=None)
def test_assignment_never_loses_or_changes_text(case: tuple[list[Segment], list[Turn]]) -> None:
    segments, turns = case
    result = assign_speakers(segments, turns)
    assert [s.id for s in result] == list(range(1, len(result) + 1))
    assert all(s.speaker in {t.speaker for t in turns} for s in result)
    rest = list(result)
    for original in sorted(segments, key=lambda s: (s.start, s.id)):
        group = [rest.pop(0)]  # its pieces: one, or as many as it takes to hold its words
        while sum(len(p.words) for p in group) < len(original.words):
            group.append(rest.pop(0))
        assert [w for p in group for w in p.words] == list(original.words)
        assert all(p.words for p in group) or len(group) == 1
        for field in ("text", "translation"):
            joined = " ".join(getattr(p, field) for p in group)
            assert joined.split() == getattr(original, field).split()
        assert (group[0].start, group[-1].end) == (original.start, original.end)
        assert all(p.start <= p.end for p in group)
        if len(group) > 1:  # split only for changes of voice that last, never between one voice's pieces
            assert all(len(p.words) >= 2 and p.words[-1].end - p.words[0].start >= 1000 for p in group)
            assert all(a.speaker != b.speaker for a, b in itertools.pairwise(group))
    assert rest == []


def test_the_property_test_makes_splits() -> None:
    # else the property test above would check only the easy case
    splits = find(
        _segments_and_turns(),
        lambda case: len(assign_speakers(*case)) > len(case[0]),
        settings=settings(phases=[Phase.generate], database=None),
    )
    assert len(assign_speakers(*splits)) > len(splits[0])
