"""Omission and addition: an English much shorter or much longer than its original would give.

A dropped clause or an invented sentence changes how much English there is. Two measures must agree
before a line is flagged: its letters and its content words (words that are not articles, prepositions,
pronouns or auxiliaries), each against what the original's would give. Either alone swings with how a
translator words a line; together they are stable enough. A short line cannot be judged this tightly (a
three-word line loses half its letters to one rewording), so a line is flagged only when the letters
missing or added also reach a floor. What it must never do: flag a faithful line for its wording; a doubtful
case is let through, since the other checks (numbers, names, negation) catch most clauses left out.

Calibration: the bounds below were measured on WMT21 ru-en (newstest2021, reference A, 1000 lines) and
FLORES-200 devtest lines 500-1011 (rus_Cyrl and ukr_Cyrl against eng_Latn), never on what the benchmark
draws. The expected ratios are the medians there. The lower letter bound sits near the 1st percentile of
the letter ratio; with the content-word bound it flags 0.8% of those 2,024 reference pairs (0.2% of WMT21,
2.5% of FLORES Russian, whose Russian was translated from the English and runs long, 0.2% of FLORES
Ukrainian), and catches 70% of the same references with one clause dropped (a random comma-separated
clause, else half the line). The upper bounds sit above the 99.5th percentile: only a line about twice as
long as its original would give is an addition (a neighbour's English appended, a model's commentary).
"""

from __future__ import annotations

import re

from tolmach.checks.base import Finding, Pair
from tolmach.text import words

# English letters per letter of the original, and English content words per content word (medians).
_LETTER_RATIO = {"ru": 1.0, "uk": 0.975}
_CONTENT_RATIO = {"ru": 1.0, "uk": 0.9}
OMISSION_LETTERS = 0.67  # the English has under 67% of the letters the original would give ...
OMISSION_CONTENT = 0.8  # ... and under 80% of the content words
ADDITION_LETTERS = 1.7  # the English has over 170% of the letters ...
ADDITION_CONTENT = 1.6  # ... and over 160% of the content words
MIN_LETTERS_OFF = 16  # and at least this many letters missing or added (three or four words)


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NOT_LETTERS = re.compile(r"[\W\d_]+")
STOP_WORDS = {
    "en": _set(
        "a an the and or but nor of to in on at by for with from as is are was were be been being am it its"
        " this that these those he she they we you i his her their our your my me him them us do does did"
        " have has had will would shall can could should may might must there here which who whom whose what"
        " when where than then so if also into onto over about after before up out not no"
    ),
    "ru": _set(
        "и в во не на с со по к ко о об обо от до за из изо у а но или что как так же ли бы б то это этот эта"
        " эти этого он она они оно мы вы я его ее её их был была было были быть для при под над без уже ещё"
        " еще все всё весь также только ни да нет"
    ),
    "uk": _set(
        "і й та в у на з із зі до від за по про при під над без що як так же чи б би то це цей ця ці цього"
        " він вона вони воно ми ви я його її їх був була було були бути для ще вже все всі весь також тільки"
        " лише а але або ні так"
    ),
}


def _letters(text: str) -> int:
    return len(_NOT_LETTERS.sub("", text))


def _content(text: str, language: str) -> int:
    stop = STOP_WORDS.get(language, frozenset())
    return sum(1 for w in words(text) if w not in stop and not w.isdigit())


def check(pair: Pair) -> list[Finding]:
    """An omission or an addition when the English's letters and content words both fall outside the
    calibrated bounds of what the original would give."""
    source_letters = _letters(pair.source)
    english_letters = _letters(pair.english)
    if not source_letters or not english_letters:
        return []  # an empty English is the surface check's
    expected = source_letters * _LETTER_RATIO.get(pair.language, 1.0)
    expected_content = max(_content(pair.source, pair.language), 1) * _CONTENT_RATIO.get(pair.language, 1.0)
    share = english_letters / expected
    content_share = _content(pair.english, "en") / expected_content
    percent = round(share * 100)
    if (
        share < OMISSION_LETTERS
        and content_share < OMISSION_CONTENT
        and expected - english_letters >= MIN_LETTERS_OFF
    ):
        detail = f"omission: the English is {percent}% of the length the original would give"
        return [Finding("omission", detail)]
    if (
        share > ADDITION_LETTERS
        and content_share > ADDITION_CONTENT
        and english_letters - expected >= MIN_LETTERS_OFF
    ):
        detail = f"addition: the English is {percent}% of the length the original would give"
        return [Finding("addition", detail)]
    return []
