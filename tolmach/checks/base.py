"""What a check looks at and what it finds: one line's original, its English, and its neighbours."""

from __future__ import annotations

from dataclasses import dataclass

from tolmach.records import Entity, Flag

# Every kind of finding, in the order a reviewer reads them. A check gives only these kinds.
KINDS = (
    "untranslated",  # Cyrillic left in the English, or the English empty
    "refusal",  # a model's boilerplate instead of a translation ("I'm sorry", "As an AI", "Subtitles by")
    "loop",  # the English repeats itself
    "number",  # a number of the original missing in the English, or one the English adds
    "name",  # a person, place or unit of the original missing or misspelt, or an English name invented
    "negation",  # the original negates and the English does not, or the other way round
    "omission",  # the English is much shorter than the original would give: something left out
    "addition",  # the English is much longer than the original would give: something added
    "bleed",  # the English repeats its neighbour's English, or translates its neighbour's original
    "glossary",  # a glossary term of the original with neither its English nor its gloss in the English
)


Finding = Flag
"""What a check finds is a line's flag: ``Finding(kind, detail)``, kind one of KINDS, detail the reason a
reviewer reads at a glance, e.g. "number 85 in the original is missing in the English"."""


@dataclass(frozen=True)
class Pair:
    """One line to check: its original and English, and the lines either side of it (for bleed)."""

    source: str  # the original, Russian or Ukrainian
    english: str
    language: str  # "ru" or "uk"
    entities: tuple[Entity, ...] | None = None  # the original's entities; None: find them here
    previous: tuple[str, str] | None = None  # (original, English) of the line before, when there is one
    following: tuple[str, str] | None = None  # (original, English) of the line after
