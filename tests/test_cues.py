"""Cutting segments into subtitle events: exact lines, breaks and times (no model needed).

The segments are built by hand. Where timings look real they are: Whisper base's word timestamps on
the ru-read bench clips, with the text set to what the speaker actually read.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import pytest

from tolmach.options import Options
from tolmach.records import Cue, Segment, Word
from tolmach.subtitles import CueRules, break_penalty, build_cues, wrap_lines

RULES = CueRules()


def seg(
    id: int, words: list[tuple[int, int, str]], translation: str = "", speaker: str | None = None
) -> Segment:
    """A segment from (start, end, word) triples; its text is the words joined, as Whisper writes it."""
    ws = tuple(Word(a, b, " " + t, 0.9) for a, b, t in words)
    return Segment(
        id, ws[0].start, ws[-1].end, " ".join(t for _, _, t in words), translation, ws, speaker=speaker
    )


def lines(cues: tuple[Cue, ...]) -> list[tuple[str, ...]]:
    return [c.lines for c in cues]


def times(cues: tuple[Cue, ...]) -> list[tuple[int, int]]:
    return [(c.start, c.end) for c in cues]


def split(text: str) -> list[str]:
    return text.split()


def most_even(words: list[str]) -> int:
    """Where a break would go on shape alone: the most even two lines."""
    return min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))


def assert_rules(cues: tuple[Cue, ...], rules: CueRules = RULES) -> None:
    """Every rule, checked independently of the implementation."""
    gap = math.ceil(rules.min_gap_frames * 1000 / rules.fps)
    for cue in cues:
        assert 1 <= len(cue.lines) <= rules.max_lines, cue
        assert all(len(line) <= rules.max_chars_per_line for line in cue.lines), cue
        duration = cue.end - cue.start
        assert rules.min_duration_ms <= duration <= rules.max_duration_ms, cue
        assert sum(len(line) for line in cue.lines) * 1000 / duration <= rules.max_cps, cue
    for a, b in itertools.pairwise(cues):
        assert b.start - a.end >= gap, (a, b)


# Whisper base on ru-read clip ru_0001: 7.2 s of speech with pauses after the commas.
CORRESPONDENT = seg(
    1,
    [
        (0, 1160, "Корреспондент"),
        (1160, 2160, "американской"),
        (2160, 2760, "газеты,"),
        (3260, 4020, "Арчибальд"),
        (4020, 4780, "Скайлс,"),
        (5260, 5820, "проходя"),
        (5820, 6200, "мимо,"),
        (6840, 7200, "увидел"),
    ],
    "A correspondent for an American newspaper, Archibald Skyles, walking past, saw",
    speaker="S1",
)
# ru_0004-0005 (clip 11-14 of the bench run): three segments, the last one short.
SOLDIER = (
    seg(
        11,
        [
            (42780, 43040, "В"),
            (43040, 43220, "это"),
            (43220, 43640, "время"),
            (43640, 44300, "перед"),
            (44300, 45000, "объявлением"),
            (45000, 46200, "остановился"),
            (46200, 46840, "рослый"),
            (46840, 47840, "широкоплечий"),
        ],
        "At that moment a tall, broad-shouldered",
    ),
    seg(
        12,
        [
            (47840, 48360, "человек"),
            (48360, 49080, "без"),
            (49080, 49620, "шапки,"),
            (50200, 50300, "по"),
            (50300, 50720, "одежде"),
            (50720, 51440, "солдат,"),
            (51920, 52140, "в"),
            (52140, 52600, "рубахе"),
            (52600, 53420, "без"),
        ],
        "man without a cap, a soldier by his clothes, in a shirt without",
    ),
    seg(
        13,
        [(53420, 53880, "пояса,"), (53880, 54100, "в"), (54100, 54520, "обмотках.")],
        "a belt, in puttees.",
    ),
)


def test_rules_from_options_follow_reading_speed_and_frame_rate() -> None:
    assert CueRules.from_options(Options()) == CueRules()
    slow = CueRules.from_options(Options(reading_speed="slow", fps=30.0))
    assert (slow.max_cps, slow.fps, slow.min_gap_ms) == (17.0, 30.0, 67)
    assert CueRules.from_options({"reading_speed": "slow", "fps": 23.976}).min_gap_ms == 84
    assert RULES.min_gap_ms == 80
    assert RULES.needed_ms(34) == 1700 and RULES.needed_ms(3) == 833


def test_line_breaks_fall_after_punctuation() -> None:
    words = split("Мы не смогли связаться с командиром. Связи не было весь день")
    assert wrap_lines(words) == ("Мы не смогли связаться с командиром.", "Связи не было весь день")


def test_a_first_name_is_never_split_from_the_last_name() -> None:
    words = split("Командир роты Андрей Петров погиб под Бахмутом")
    # The most even break falls inside the name; the rule has to move it.
    k = most_even(words)
    assert words[k - 1 : k + 1] == ["Андрей", "Петров"]
    assert wrap_lines(words) == ("Командир роты", "Андрей Петров погиб под Бахмутом")


def test_a_line_never_ends_with_a_preposition() -> None:
    words = split("Утром танки вошли в Купянск со стороны Харькова")
    assert words[most_even(words) - 1] == "в"  # shape alone would leave "в" at the end of the top line
    assert wrap_lines(words) == ("Утром танки вошли", "в Купянск со стороны Харькова")
    assert wrap_lines(split("We could not reach the commander of the battalion before the evening")) == (
        "We could not reach the commander",
        "of the battalion before the evening",
    )


def test_an_adjective_stays_with_its_noun() -> None:
    words = split("Солдаты обстреляли новый жилой дом на окраине")
    assert words[most_even(words) - 1 :][:2] == ["новый", "жилой"]  # 24 | 20 characters
    assert wrap_lines(words) == ("Солдаты обстреляли", "новый жилой дом на окраине")
    assert break_penalty("новый", "дом") > break_penalty("дом", "новый")


def test_text_that_fits_one_line_stays_on_one_line() -> None:
    assert wrap_lines(split("Колонна бронетехники утром вошла в Купянск")) == (
        "Колонна бронетехники утром вошла в Купянск",
    )
    name = "Петропавловск-Камчатский-Северо-Западный-Район"  # 46 characters
    assert wrap_lines([name]) is None
    (cue,), _ = build_cues([seg(1, [(0, 900, "Прибыли"), (900, 1300, "в"), (1300, 3000, name + ".")])])
    assert cue.lines == ("Прибыли в", name + ".")  # a word is never cut, even when it is over-long
    assert wrap_lines(["слово"] * 20) is None  # 119 characters cannot be two lines of 42


def test_a_segment_longer_than_seven_seconds_is_split_at_a_pause_after_punctuation() -> None:
    original, english = build_cues([CORRESPONDENT])
    assert lines(original) == [
        ("Корреспондент американской газеты,",),
        ("Арчибальд Скайлс, проходя мимо, увидел",),
    ]
    # English cut proportionally (35 of 74 characters) and snapped to the comma after "newspaper".
    assert lines(english) == [
        ("A correspondent for an American newspaper,",),
        ("Archibald Skyles, walking past, saw",),
    ]
    # Each event runs from its first word to its last: both have time enough to be read, and the
    # 500 ms pause between them is over 12 frames, so it is left open.
    assert times(original) == times(english) == [(0, 2760), (3260, 7200)]
    assert [c.segment_id for c in english] == [1, 1] and {c.speaker for c in english} == {"S1"}
    assert_rules(original)
    assert_rules(english)


def test_consecutive_segments_keep_two_frames_apart_and_meet_every_rule() -> None:
    original, english = build_cues(SOLDIER)
    assert lines(original) == [
        ("В это время перед объявлением", "остановился рослый широкоплечий"),
        ("человек без шапки,", "по одежде солдат, в рубахе без"),
        ("пояса, в обмотках.",),
    ]
    assert lines(english) == [
        ("At that moment a tall, broad-shouldered",),
        ("man without a cap, a soldier", "by his clothes, in a shirt without"),
        ("a belt, in puttees.",),
    ]
    assert times(original) == times(english) == [(42780, 47760), (47840, 53340), (53420, 54520)]
    assert [c.segment_id for c in original] == [11, 12, 13]
    assert_rules(original)


def test_text_needing_more_time_than_its_words_stays_into_the_following_silence() -> None:
    quick = seg(
        1,
        [
            (1000, 1300, "Связи"),
            (1300, 1450, "нет"),
            (1450, 1600, "уже"),
            (1600, 1900, "третий"),
            (1900, 2200, "день."),
        ],
    )
    (cue,), _ = build_cues([quick])
    assert (cue.start, cue.end) == (1000, 2300)  # 26 characters spoken in 1.2 s need 1.3 s
    later = seg(2, [(2330, 2800, "Ждём.")])
    (first, second), _ = build_cues([quick, later])
    assert (first.end, second.start) == (2250, 2330)  # the next event is close: trimmed to leave 80 ms


def test_a_gap_under_twelve_frames_is_closed_to_two_frames() -> None:
    quick = seg(1, [(1000, 1300, "Связи"), (1300, 1450, "нет"), (1450, 1900, "пока.")])  # needs 833 ms
    near = seg(2, [(2200, 2800, "Ждём.")])
    far = seg(2, [(2400, 2800, "Ждём.")])
    assert times(build_cues([quick, near])[0])[0] == (1000, 2120)  # 220 ms gap (5.5 frames) closed to 80
    assert times(build_cues([quick, far])[0])[0] == (1000, 1900)  # 500 ms gap (12.5 frames) kept


def test_a_short_word_stays_on_screen_for_the_minimum_duration() -> None:
    (cue,), _ = build_cues([seg(1, [(5000, 5200, "Да.")], "Yes.")])
    assert (cue.start, cue.end, cue.lines) == (5000, 5833, ("Да.",))


def test_a_segment_without_words_is_spread_by_text_length() -> None:
    text = "Связи нет уже третий день. Мобиков отвели на вторую линию, а позиции держат контрактники."
    segment = Segment(4, 10_000, 16_000, text, "No contact for the third day now.", speaker="S2")
    original, english = build_cues([segment])
    assert lines(original) == [
        ("Связи нет уже третий день.",),
        ("Мобиков отвели на вторую линию,", "а позиции держат контрактники."),
    ]
    # 89 characters over 6 s: "Мобиков" starts at character 27 -> 10 000 + 6000 * 27 / 89 = 11 820.
    assert len(text) == 89
    assert times(original) == [(10_000, 11_740), (11_820, 16_000)]
    # The English is cut at the same share of its characters (27 of 89 -> 10 of 33), before "for".
    assert lines(english) == [("No contact",), ("for the third day now.",)]
    assert {c.speaker for c in original} == {"S2"}


def test_english_too_long_for_two_lines_gets_more_events() -> None:
    words = [
        (0, 700, "Мобики"),
        (700, 1300, "держат"),
        (1300, 2000, "позиции"),
        (2000, 2200, "под"),
        (2200, 3100, "Авдеевкой"),
        (3100, 3500, "уже"),
        (3500, 4100, "третью"),
        (4100, 4800, "неделю."),
    ]
    alone, _ = build_cues([seg(1, words)])
    assert lines(alone) == [("Мобики держат позиции", "под Авдеевкой уже третью неделю.")]
    note = "The mobiks [mobilised soldiers] have been holding positions near Avdiivka for the third week now."
    original, english = build_cues([seg(1, words, note)])
    assert lines(original) == [("Мобики держат позиции",), ("под Авдеевкой уже третью неделю.",)]
    assert lines(english) == [
        ("The mobiks [mobilised soldiers]",),
        ("have been holding positions near", "Avdiivka for the third week now."),
    ]
    # 64 English characters need 3.2 s: the second event stays 400 ms past the last word.
    assert times(english) == [(0, 1920), (2000, 5200)]
    assert_rules(english)


def test_words_that_no_longer_spell_the_text_are_ignored() -> None:
    edited = Segment(1, 0, 4000, "Позывной «Гром» на связи.", "", CORRESPONDENT.words[:3])
    (cue,), _ = build_cues([edited])
    # The old words span 0-2760 ms; the edited text is spread over that span, not shown with its timing.
    assert (cue.start, cue.end, cue.lines) == (0, 2760, ("Позывной «Гром» на связи.",))


def test_no_translation_gives_empty_english_events_with_the_same_timing() -> None:
    original, english = build_cues([dataclasses.replace(CORRESPONDENT, translation="")])
    assert times(original) == times(english)
    assert lines(english) == [(), ()]


def test_overlapping_whisper_timestamps_never_give_overlapping_events() -> None:
    a = seg(1, [(1000, 1600, "Огонь!"), (1600, 2400, "Огонь!")])
    b = seg(2, [(1500, 2000, "Ложись!")])  # starts before the previous segment's last word ends
    original, _ = build_cues([a, b])
    assert times(original) == [(1000, 1420), (1500, 2333)]  # the earlier end is cut back
    c = seg(2, [(1020, 1500, "Ложись!")])  # starts with it: the later start has to move
    original, _ = build_cues([a, c])
    assert times(original) == [(1000, 1080), (1160, 1993)]


def test_segments_are_cut_in_time_order_whatever_order_they_come_in() -> None:
    forward = build_cues(SOLDIER)
    assert build_cues(tuple(reversed(SOLDIER))) == forward
    assert build_cues(SOLDIER) == forward  # deterministic


@pytest.mark.parametrize("speed", ["normal", "slow"])
def test_a_whole_clip_meets_every_rule_at_either_reading_speed(speed: str) -> None:
    rules = CueRules.from_options(Options(reading_speed=speed))
    original, english = build_cues((CORRESPONDENT, *SOLDIER), rules)
    assert len(original) == len(english) >= 5
    assert times(original) == times(english)
    assert_rules(original, rules)
    assert_rules(english, rules)


VOCABULARY = split(
    "Андрей Петров командир роты сказал, что мобики держат позиции под Авдеевкой уже третью неделю. "
    "Связи нет, и в штабе никто не отвечает. Мы ждём приказа — отходить некуда! "
    "Петропавловск-Камчатский а в на с к the of soldiers [mobilised] said: «Гром» 2022 году"
)


def random_segments(rng: random.Random, count: int) -> list[Segment]:
    """Segments of real words with awkward timing: bursts, overlaps, long pauses, missing words."""
    segments: list[Segment] = []
    t = 0
    for k in range(1, count + 1):
        text = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 40))]
        english = [rng.choice(VOCABULARY) for _ in range(rng.randint(0, 50))]
        t += rng.choice([-300, 0, 40, 200, 1500])
        timed = []
        for word in text:
            length = rng.randint(30, 600)
            timed.append((max(t, 0), max(t, 0) + length, word))
            t += length + rng.choice([0, 0, 80, 700])
        segment = seg(k, timed, " ".join(english), speaker=rng.choice([None, "S1", "S2"]))
        if rng.random() < 0.15:
            segment = dataclasses.replace(segment, words=())
        segments.append(segment)
    return segments


@pytest.mark.parametrize("seed", range(8))
def test_awkward_speech_never_loses_a_word_nor_breaks_the_hard_rules(seed: int) -> None:
    segments = random_segments(random.Random(seed), 40)
    original, english = build_cues(segments)
    assert times(original) == times(english)
    assert [c.segment_id for c in original] == [c.segment_id for c in english]
    for a, b in itertools.pairwise(original):
        assert a.start < a.end and b.start - a.end >= RULES.min_gap_ms, (a, b)
    for s in segments:
        mine = [c for c in original if c.segment_id == s.id]
        theirs = [c for c in english if c.segment_id == s.id]
        assert " ".join(line for c in mine for line in c.lines) == s.text  # every word, once, in order
        assert " ".join(line for c in theirs for line in c.lines) == s.translation
        assert {c.speaker for c in mine} == {s.speaker}
        for cue in mine:
            assert 1 <= len(cue.lines) <= 2 and cue.end - cue.start <= RULES.max_duration_ms
            # Only a word longer than a line may make a line longer than 42 characters.
            assert all(len(line) <= 42 or " " not in line for line in cue.lines), cue


def test_two_speakers_close_together_share_an_event_with_a_hyphen_each() -> None:
    """The dialogue convention: one event, one line per speaker, each line starting with "- "."""
    ask = seg(1, [(1000, 1400, "Ты"), (1400, 1900, "откуда?")], "Where are you from?", speaker="S1")
    answer = seg(2, [(2100, 2600, "Из"), (2600, 3300, "Бахмута.")], "From Bakhmut.", speaker="S2")
    original, english = build_cues([ask, answer], RULES)
    assert lines(original) == [("- Ты откуда?", "- Из Бахмута.")]
    assert lines(english) == [("- Where are you from?", "- From Bakhmut.")]
    assert times(original) == times(english) and original[0].start == 1000 and original[0].speaker is None
    assert_rules(original)
    assert_rules(english)


def test_dialogue_is_not_joined_for_one_speaker_a_long_gap_or_a_long_line() -> None:
    a = seg(1, [(1000, 1400, "Ты"), (1400, 1900, "откуда?")], "Where are you from?", speaker="S1")
    same = dataclasses.replace(
        seg(2, [(2100, 2600, "Из"), (2600, 3300, "Бахмута.")], "From Bakhmut."), speaker="S1"
    )
    late = seg(2, [(2600, 3000, "Из"), (3000, 3700, "Бахмута.")], "From Bakhmut.", speaker="S2")
    long_text = "From Bakhmut, where we stood for three weeks under fire."
    long = seg(2, [(2100, 2600, "Из"), (2600, 3300, "Бахмута.")], long_text, speaker="S2")
    for second in (same, late, long):
        original, english = build_cues([a, second], RULES)
        assert len(original) == len(english) == 2, second
        assert not any(line.startswith("- ") for c in original + english for line in c.lines)
