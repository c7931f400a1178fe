"""Every line's English checked against its original, whoever wrote it: numbers, names, negation,
omissions and additions, bleed from a neighbouring line, untranslated text, refusals, loops, glossary.

Professional translation QA (Xbench, Verifika, memoQ's QA) runs such checks on every segment; they sit
after the engine, so Whisper's English, the local LLM's, a remote LLM's, NMT's and a hurried human's
are held to the same rules. Each check is one module with one ``check`` function giving typed findings;
a finding makes the line doubtful, with its ``detail`` as the reason a reviewer reads.

>>> [f.kind for f in check_pair(Pair("Мы не отказываемся служить.", "We refuse to serve.", "ru"))]
['negation']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tolmach.checks import bleed, length, names, negation, numbers, surface, terms
from tolmach.checks.base import KINDS, Finding, Pair
from tolmach.records import Segment
from tolmach.translate.glossary import Glossary

__all__ = ["CHECKED_LANGUAGES", "KINDS", "Finding", "Pair", "check_pair", "check_segments"]

CHECKED_LANGUAGES = ("ru", "uk")
"""The originals every check reads; a line in another language gets only the checks of its English
(untranslated text, refusals, loops): numbers, names and negation need the original's grammar."""


def check_pair(pair: Pair, glossary: Glossary | None = None) -> tuple[Finding, ...]:
    """Every finding for one line, in the order of ``KINDS``; empty when nothing looks wrong."""
    found = surface.check(pair)
    if any(f.kind == "untranslated" for f in found):
        return tuple(found)  # an English that is not English has nothing else worth checking
    for module in (numbers, names, negation, length, bleed):
        found += module.check(pair)
    found = bleed.moved(pair, found)
    if glossary is not None:
        found += terms.check(pair, glossary)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return tuple(sorted(found, key=lambda f: order[f.kind]))


def check_segments(
    segments: Sequence[Segment],
    language: str,
    glossary: Glossary | None = None,
    *,
    only: Sequence[int] | None = None,
    entities: bool = True,
) -> tuple[Segment, ...]:
    """The segments with their line checks done again: each line's flags are the speech model's, then
    what the checks find now. A finding the reviewer dismissed (``Segment.dismissed``) stays dismissed
    and does not count; a dismissal whose finding is gone is dropped. ``doubtful`` follows the flags.

    ``only`` limits the work to those indices (a reviewed edit changes one line and its neighbours'
    bleed). ``entities`` False: the lines were not annotated, so the names check finds them itself.
    Lines with no English (translation off) and English originals are left as they are.
    """
    out = list(segments)
    translated = any(s.translation.strip() for s in segments)  # else an empty English is no finding
    if language == "en" or not translated:
        return tuple(out)
    for i in range(len(out)) if only is None else sorted(set(only)):
        s = out[i]
        if not s.text.strip():
            continue
        pair = Pair(
            s.text,
            s.translation,
            language,
            entities=s.entities if entities else None,
            previous=_side(segments, i - 1),
            following=_side(segments, i + 1),
        )
        found = check_pair(pair, glossary) if language in CHECKED_LANGUAGES else tuple(surface.check(pair))
        kept = tuple(f for f in s.flags if f.kind not in KINDS)  # the speech model's doubts stay
        active = tuple(f for f in found if f not in s.dismissed)
        dismissed = tuple(f for f in s.dismissed if f in found)
        flags = kept + active
        out[i] = replace(s, flags=flags, dismissed=dismissed, doubtful=bool(flags))
    return tuple(out)


def _side(segments: Sequence[Segment], i: int) -> tuple[str, str] | None:
    return (segments[i].text, segments[i].translation) if 0 <= i < len(segments) else None
