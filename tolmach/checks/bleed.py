"""Bleed: a line's English that repeats its neighbour's, or that translates its neighbour's original.

Whisper's English is cut into lines after the fact, and a cut in the wrong place puts the end of one
sentence into both lines, or a sentence into the line before the one that says it; an LLM given the
neighbouring lines as context sometimes translates them too. Either way this line's English, at its start
or its end, repeats a long run of its neighbour's English: at least four content words, or most of the
neighbour's English. What it must never do: flag a speaker who repeats himself. When the two originals
share as many content words as the repeated run holds, the repetition is in the original and the English
only follows it.

The other half is a sentence moved whole: Whisper's English for the next line's words, cut into this line.
No word of it repeats a neighbour's English, but its numbers and names do not come from this line's
original. So a number or name the English adds (the numbers and names checks' "not in the original") that
the neighbour's original does say is relabelled: `bleed: 85 in the English is in the next line's
original, not in this one`. It adds no flag of its own; it names the likelier cause of one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tolmach.checks import names, numbers
from tolmach.checks.base import Finding, Pair
from tolmach.checks.length import STOP_WORDS
from tolmach.text import WORD, normalise, stem

MIN_CONTENT_WORDS = 4  # a repeated run this long (in content words) is bleed ...
MIN_SHARE = 0.6  # ... or one that covers this share of the neighbour's words
MIN_SHARE_WORDS = 3  # (but at least this many words)
_MAX_QUOTED = 10
_DIGITS = re.compile(r"\d")
# What the numbers and names checks say of a number or name the English adds; group 1 is the item.
_ADDED = re.compile(r'^(?:number (\S+)|name "([^"]+)") in the English is not in the original$')


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


def moved(pair: Pair, found: Sequence[Finding]) -> list[Finding]:
    """``found`` with the numbers and names the English adds relabelled as bleed when a neighbour's
    original says them: a number the numbers check finds in that original, a name among its entities.
    One bleed finding a side, in place of the first it replaces."""
    added = [f for f in found if _ADDED.match(f.detail)]
    if not added:
        return list(found)
    out = list(found)
    for whose, neighbour in (("previous", pair.previous), ("next", pair.following)):
        if neighbour is None or not neighbour[0].strip():
            continue
        there = Pair(neighbour[0], pair.english, pair.language)
        numbers_there = {f.detail for f in numbers.check(there)}
        moved = []
        for f in added:
            m = _ADDED.match(f.detail)
            assert m is not None
            number, name = m.groups()
            if f not in out:
                continue
            if (number and f.detail not in numbers_there) or (
                name and names.named_in(name, neighbour[0], pair.language)
            ):
                moved.append(f)
        if not moved:
            continue
        items = [_item(f.detail) for f in moved]
        verb = "is" if len(items) == 1 else "are"
        bleed = Finding(
            "bleed",
            f"bleed: {' and '.join(items)} in the English {verb} in the {whose} line's original,"
            " not in this one",
        )
        out[out.index(moved[0])] = bleed
        out = [f for f in out if f not in moved[1:]]
    return out


def _item(detail: str) -> str:
    m = _ADDED.match(detail)
    assert m is not None
    return m.group(1) or f'"{m.group(2)}"'
