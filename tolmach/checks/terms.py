"""Glossary: a term of the original whose English is nowhere in the English.

A glossary term («мобик», «груз 200», «ДРГ») is found in the original the way ``Glossary.apply`` finds it
(``Glossary.terms_in``: by stem, abbreviations exactly) and looked for in the English the way ``apply`` looks
for it (``matching.gloss_line``: its ``english`` forms, its ``match`` regex, or its gloss). So a line that
``apply`` glossed passes, and so does one that renders the term the way machine translation usually does
("mobilised men"). What it must never do: judge a term that is also an everyday word («выход»: also
'exit'): which sense was meant is the reviewer's call, and ``apply`` gives it only a note.
"""

from __future__ import annotations

import re

from tolmach.checks.base import Finding, Pair
from tolmach.translate.glossary import Glossary
from tolmach.translate.matching import gloss_line, numbers

# As glossary.py marks a term that is also an everyday word: its note says "also".
_EVERYDAY = re.compile(r"\balso\b", re.IGNORECASE)


def check(pair: Pair, glossary: Glossary) -> list[Finding]:
    """A finding for each glossary term of the original that the English neither renders nor glosses."""
    found = []
    for term in glossary.terms_in(pair.source, pair.language):
        if _EVERYDAY.search(term.note) or gloss_line(term, pair.english) is not None:
            continue
        english, gloss = numbers(term.english)[0], numbers(term.gloss)[0]
        if english.lower() == gloss.lower():
            wanted = f'no "{english}"'
        else:
            wanted = f'neither "{english}" nor "{gloss}"'
        head = term.headword(pair.language)
        found.append(Finding("glossary", f"glossary: «{head}» is in the original, the English has {wanted}"))
    return found
