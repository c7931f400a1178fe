"""The English's surface: text left untranslated, a model's boilerplate instead of a translation, loops.

These are the failures that need no understanding of the original to see: Cyrillic in the English, an
empty English, "As an AI language model", a subtitler's credit ("Subtitles by", "Thanks for watching",
which Whisper learned from the subtitles it was trained on) and the same words over and over (a decoder
loop). What it must never do: flag a faithful line. A boilerplate phrase the original itself says
(«извините» -> "I'm sorry", «спасибо за просмотр» -> "Thanks for watching") is a translation, and a
repetition the original makes («нет, нет, нет, нет») is the speaker's, so both are let through.
"""

from __future__ import annotations

import re

from tolmach.asr.guard import CYRILLIC, HIGH_COMPRESSION, compression_ratio
from tolmach.checks.base import Finding, Pair
from tolmach.text import WORD, words

_LANGUAGE_NAMES = {"ru": "Russian", "uk": "Ukrainian"}
_ONLY_UKRAINIAN = frozenset("іїєґІЇЄҐ")
_ONLY_RUSSIAN = frozenset("ыэъёЫЭЪЁ")
_MAX_QUOTED_WORDS = 6
# A Cyrillic web address is a name, kept as written: "the site стопкоронавирус.рф reports".
_WEB_ADDRESS = re.compile(r"[\w.-]+\.(?:рф|укр|рус|онлайн)\b", re.IGNORECASE)

# (what a model or a subtitler writes instead of a translation, what in the original would excuse it).
# The excuses are stems of the words an original would say to mean the same thing.
_BOILERPLATE = tuple(
    (re.compile(pattern, re.IGNORECASE), re.compile(excuse, re.IGNORECASE))
    for pattern, excuse in (
        (
            r"\bI(?:'m| am) sorry\b|\bI apologi[sz]e\b",
            r"извин|прост(?:и|ите)\b|прощени|жаль|сожал|вибач|пробач|перепрош|шкод",
        ),
        (
            r"\bI (?:can't|cannot|can not|am unable to|'m unable to|am not able to)"
            r" (?:assist|help|translate|provide|comply|fulfil)",
            r"не (?:мог|смог|можу|змож|могу|в силах|в змозі)",
        ),
        (r"\bas an AI\b|\b(?:AI|large) language model\b|\bas a language model\b", r"\bИИ\b|искусствен|штучн"),
        (
            r"\b(?:subtitles?|subtitled|captions?|captioned|transcribed|translated|translation)"
            r" (?:by|provided by|done by|made by)\b",
            r"субтитр|перев[оеё]д|переклад",
        ),
        (
            r"\bthanks? (?:you )?for watching\b|\bplease subscribe\b|\blike and subscribe\b"
            r"|\bsubscribe to (?:our|my|the) channel\b",
            r"просмотр|перегляд|подпис|підпис",
        ),
        (r"^\s*(?:here is|here's) (?:the|a|my) translation\b", r"перев[оеё]д|переклад"),
    )
)

# Cyrillic letters a writer uses as signs, not words: «х» for "by" in 105х195, «С» in °С.
_SIGNS = re.compile(r"(?<=\d)[хХ](?=\d)|(?<=°)[СC]")
_MIN_COPIES = 3  # a run of words said three times in a row, or one word four times, is a loop
_MIN_COPIES_ONE_WORD = 4
_MAX_UNIT = 12  # words in the repeated run


def check(pair: Pair) -> list[Finding]:
    """Untranslated text, refusals and boilerplate, and loops in ``pair``'s English."""
    if not pair.english.strip():
        if words(pair.source):
            return [Finding("untranslated", "untranslated: the English is empty")]
        return []
    english = _SIGNS.sub("", _WEB_ADDRESS.sub("", pair.english))
    if CYRILLIC.search(english):
        return [_untranslated(english, pair.language)]
    found = [Finding("refusal", detail) for detail in _boilerplate(pair)]
    loop = _loop(pair)
    if loop:
        found.append(Finding("loop", loop))
    return found


def _untranslated(english: str, language: str) -> Finding:
    """The first run of Cyrillic words in the English, quoted, with the language its letters are in."""
    tokens = list(WORD.finditer(english))
    first = next(i for i, m in enumerate(tokens) if CYRILLIC.search(m.group()))
    last = first
    while last + 1 < len(tokens) and CYRILLIC.search(tokens[last + 1].group()):
        last += 1
    shown = min(last, first + _MAX_QUOTED_WORDS - 1)
    text = english[tokens[first].start() : tokens[shown].end()] + ("…" if shown < last else "")
    letters = set(english)
    if letters & _ONLY_UKRAINIAN:
        name = "Ukrainian"
    elif letters & _ONLY_RUSSIAN:
        name = "Russian"
    else:
        name = _LANGUAGE_NAMES.get(language, "Cyrillic")
    return Finding("untranslated", f"untranslated: the English has {name} text «{text}»")


def _boilerplate(pair: Pair) -> list[str]:
    """The first boilerplate phrase the original does not excuse ("I'm sorry, but I can't assist" is one
    refusal, not two)."""
    found = [
        m
        for pattern, excuse in _BOILERPLATE
        if (m := pattern.search(pair.english)) and not excuse.search(pair.source)
    ]
    if not found:
        return []
    first = min(found, key=lambda m: m.start())
    return [f'refusal: the English has "{first.group()}", which the original does not say']


def _tandem(tokens: list[str]) -> tuple[list[str], int]:
    """The run of words repeated most often back to back in ``tokens``, and how many copies; the
    longest run wins a tie (its shorter parts repeat as often)."""
    best: tuple[list[str], int] = ([], 0)
    for size in range(1, min(_MAX_UNIT, len(tokens) // 2) + 1):
        for start in range(len(tokens) - 2 * size + 1):
            unit = tokens[start : start + size]
            copies = 1
            while tokens[start + copies * size : start + (copies + 1) * size] == unit:
                copies += 1
            if copies > best[1] or (copies == best[1] and copies > 1 and size > len(best[0])):
                best = (unit, copies)
    return best


def _is_loop(unit: list[str], copies: int) -> bool:
    return copies >= (_MIN_COPIES_ONE_WORD if len(unit) == 1 else _MIN_COPIES)


def _loop(pair: Pair) -> str:
    """Why the English is a loop, or "" when it is not (or the original repeats itself as much)."""
    unit, copies = _tandem(words(pair.english))
    _, source_copies = _tandem(words(pair.source))
    if source_copies >= _MIN_COPIES or compression_ratio(pair.source) > HIGH_COMPRESSION:
        return ""  # the speaker repeats: the English may too
    if _is_loop(unit, copies):
        return f'loop: the English repeats "{" ".join(unit)}" {copies} times'
    ratio = compression_ratio(pair.english)
    if ratio > HIGH_COMPRESSION:
        return f"loop: the English repeats itself (it compresses {ratio:.1f} to 1)"
    return ""
