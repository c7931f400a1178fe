"""Bleed: a line's English that repeats its neighbour's.

Whisper's English is cut into lines after the fact, and a cut in the wrong place puts the end of one
sentence into both lines, or a sentence into the line before the one that says it; an LLM given the
neighbouring lines as context sometimes translates them too. Either way this line's English, at its start
or its end, repeats a long run of its neighbour's English: at least four content words, or most of the
neighbour's English. What it must never do: flag a speaker who repeats himself. When the two originals
share as many content words as the repeated run holds, the repetition is in the original and the English
only follows it.
"""

from __future__ import annotations

import re

from tolmach.checks.base import Finding, Pair
from tolmach.checks.length import STOP_WORDS
from tolmach.text import WORD, normalise, stem

MIN_CONTENT_WORDS = 4  # a repeated run this long (in content words) is bleed ...
MIN_SHARE = 0.6  # ... or one that covers this share of the neighbour's words
MIN_SHARE_WORDS = 3  # (but at least this many words)
_MAX_QUOTED = 10
_DIGITS = re.compile(r"\d")


def check(pair: Pair) -> list[Finding]:
    """Bleed from the line before (at the start of the English) or the line after (at its end)."""
    found = []
    if pair.following is not None:
        detail = _repeat(pair, pair.following, at_end=True)
        if detail:
            found.append(Finding("bleed", detail))
    if pair.previous is not None and not found:
        detail = _repeat(pair, pair.previous, at_end=False)
        if detail:
            found.append(Finding("bleed", detail))
    return found


def _tokens(text: str) -> list[re.Match[str]]:
    return [m for m in WORD.finditer(text) if m.group().strip("-'’ʼ")]


def _key(word: str) -> str:
    return normalise(word).strip("-'")


def _run(own: list[str], other: list[str], *, at_end: bool) -> int:
    """How many words at the end (or start) of ``own`` occur together, in order, in ``other``."""
    haystack = f" {' '.join(other)} "
    size = 0
    while size < len(own):
        part = own[len(own) - size - 1 :] if at_end else own[: size + 1]
        if f" {' '.join(part)} " not in haystack:
            break
        size += 1
    return size


def _content_stems(text: str, language: str) -> set[str]:
    stop = STOP_WORDS.get(language, frozenset())
    return {stem(w, language) for w in (_key(m.group()) for m in _tokens(text)) if w not in stop}


def _repeat(pair: Pair, neighbour: tuple[str, str], *, at_end: bool) -> str:
    """The detail when the English's end (start) repeats ``neighbour``'s English, or ""."""
    own_tokens = _tokens(pair.english)
    own = [_key(m.group()) for m in own_tokens]
    other = [_key(m.group()) for m in _tokens(neighbour[1])]
    size = _run(own, other, at_end=at_end)
    if not size:
        return ""
    run = own[len(own) - size :] if at_end else own[:size]
    content = [w for w in run if w not in STOP_WORDS["en"] and not _DIGITS.search(w)]
    covers = size >= MIN_SHARE_WORDS and size >= MIN_SHARE * len(other)
    if len(content) < MIN_CONTENT_WORDS and not covers:
        return ""
    shared = _content_stems(pair.source, pair.language) & _content_stems(neighbour[0], pair.language)
    if len(shared) >= max(len(content), 1) * 0.5:
        return ""  # the originals repeat each other: so may the English
    first = len(own) - size if at_end else 0
    shown = own_tokens[first : first + size]
    text = pair.english[shown[0].start() : shown[min(len(shown), _MAX_QUOTED) - 1].end()]
    if len(shown) > _MAX_QUOTED:
        text += " …"
    edge, whose = ("end", "next") if at_end else ("start", "previous")
    return f'bleed: the {edge} of the English repeats the {whose} line\'s "{text}"'
