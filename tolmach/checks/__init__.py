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

from tolmach.checks import bleed, length, names, negation, numbers, surface, terms
from tolmach.checks.base import KINDS, Finding, Pair
from tolmach.translate.glossary import Glossary

__all__ = ["KINDS", "Finding", "Pair", "check_pair"]


def check_pair(pair: Pair, glossary: Glossary | None = None) -> tuple[Finding, ...]:
    """Every finding for one line, in the order of ``KINDS``; empty when nothing looks wrong."""
    found = surface.check(pair)
    if any(f.kind == "untranslated" for f in found):
        return tuple(found)  # an English that is not English has nothing else worth checking
    for module in (numbers, names, negation, length, bleed):
        found += module.check(pair)
    if glossary is not None:
        found += terms.check(pair, glossary)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return tuple(sorted(found, key=lambda f: order[f.kind]))
