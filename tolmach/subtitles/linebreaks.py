"""Where a subtitle line or event may be broken, and wrapping words into at most two lines.

The rules follow the Netflix Timed Text Style Guide (BBC subtitle guidelines as a second reference):
break after punctuation, or before a conjunction or preposition; never leave a preposition, conjunction
or article at the end of a line; never separate a first name from a last name or an adjective from its
noun. We have no parser, so the last two are approximated from spelling (capitals, Russian adjective
endings). Every candidate break gets a penalty, lower is better, and callers pick the cheapest; the same
score serves line breaks inside an event and splits between events.

This module works on words (strings without spaces) only: no timing, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


RU_BREAK_BEFORE = _word_set(
    "и а но или что чтобы когда если в на с к по за из от до для без под над о об при через у"
    " перед про после между"  # common prepositions the style notes did not list
)
UK_BREAK_BEFORE = _word_set("і й та але що щоб коли якщо в у на з із до від для без під над про при через")
EN_BREAK_BEFORE = _word_set("and but or that when if to in on at for from with of by about because while")
BREAK_BEFORE = RU_BREAK_BEFORE | UK_BREAK_BEFORE | EN_BREAK_BEFORE
"""Conjunctions and prepositions: a line may start with one of these."""

NO_BREAK_AFTER = BREAK_BEFORE | frozenset({"a", "an", "the", "не", "ни"})
"""Words that belong to the word after them: a line must not end with one of these."""

# Russian; most also cover Ukrainian masculine adjectives (-ий)
ADJECTIVE_ENDINGS = tuple(sorted(_word_set("ый ий ой ая яя ое ее ые ие ого его ому ему ым им ых их ую юю")))

SENTENCE_END = frozenset(".!?…")
CLAUSE_END = frozenset(",:;—–")
DASHES = frozenset({"—", "–", "-", "--"})
CLOSERS = "»”’\"')]"  # stripped before looking at a word's last punctuation mark
OPENERS = "«“‘\"'(["

# Penalties, in one unit so that they can be compared and summed. The ordering is the style guide's
# order of preference; the 50s mean "only if nothing else fits".
SENTENCE_BREAK = 0.0
CLAUSE_BREAK = 1.0
BEFORE_FUNCTION_WORD = 3.0
PLAIN_BREAK = 6.0
FORBIDDEN = 50.0  # after a preposition/article, inside a name, before a dash (reads as a dialogue dash)
DISCOURAGED = 8.0  # after a likely adjective or a number, before a lower-case word
# Two-line balance: bottom-heavy or equal is the convention, so a longer top line costs more per
# character than a longer bottom line.
TOP_HEAVY_PER_CHAR = 0.25
BOTTOM_HEAVY_PER_CHAR = 0.1


def _bare(word: str) -> str:
    return word.strip(CLOSERS + OPENERS + ".,!?…:;—–-").lower()


def _last_mark(word: str) -> str:
    """The punctuation mark a word ends with (closing quotes and brackets looked through), or ""."""
    if word.endswith((")", "]")):
        return ","  # a parenthesis or a translator's note [..] closes like a comma
    stripped = word.rstrip(CLOSERS)
    last = stripped[-1:]
    return last if last in SENTENCE_END or last in CLAUSE_END else ""


def _is_capitalised(word: str) -> bool:
    core = word.lstrip(OPENERS)
    return bool(core) and core[0].isupper()


def _is_lower(word: str) -> bool:
    core = word.lstrip(OPENERS)
    return bool(core) and core[0].islower()


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


@lru_cache(maxsize=1 << 16)  # the splitter asks about the same pairs many times
def break_penalty(left: str, right: str) -> float:
    """The cost of breaking a line (or an event) between the words ``left`` and ``right``."""
    mark = _last_mark(left)
    if left in DASHES:
        mark = "—"  # a free-standing dash ends its clause: break after it, as Russian typography does
    if mark in SENTENCE_END:
        penalty = SENTENCE_BREAK
    elif mark in CLAUSE_END:
        penalty = CLAUSE_BREAK
    elif _bare(right) in BREAK_BEFORE:
        penalty = BEFORE_FUNCTION_WORD
    else:
        penalty = PLAIN_BREAK
    if right in DASHES:
        penalty += FORBIDDEN  # a line starting with a dash reads as a change of speaker
    if mark:
        return penalty  # punctuation closes the phrase: the checks below are about phrases running on
    if _bare(left) in NO_BREAK_AFTER:
        penalty += FORBIDDEN
    elif _is_capitalised(left) and _is_capitalised(right):
        penalty += FORBIDDEN  # first name + last name, or a multi-word proper name
    elif _is_lower(right) and (_is_adjective(left) or _bare(left).isdigit()):
        penalty += DISCOURAGED  # "новый | дом", "в 2022 | году"
    return penalty


def _is_adjective(word: str) -> bool:
    bare = _bare(word)
    return len(bare) > 3 and _is_cyrillic(bare) and bare.endswith(ADJECTIVE_ENDINGS)


def balance_penalty(top: int, bottom: int) -> float:
    """The cost of two lines of ``top`` and ``bottom`` characters being uneven."""
    diff = top - bottom
    return TOP_HEAVY_PER_CHAR * max(diff, 0) + BOTTOM_HEAVY_PER_CHAR * max(-diff, 0)


def wrap_lines(words: Sequence[str], max_chars: int = 42, max_lines: int = 2) -> tuple[str, ...] | None:
    """Words as one line if they fit, else the best two lines of at most ``max_chars``; None if not.

    One line whenever the text fits is the style guides' rule: a second line is only for text that
    does not fit on one. With ``max_lines`` above 2 only two lines are tried: more than two lines is
    never a subtitle layout we choose; see :func:`wrap_any` for the fallback.
    """
    return _wrap_cached(tuple(words), max_chars, max_lines)


@lru_cache(maxsize=4096)
def _wrap_cached(words: tuple[str, ...], max_chars: int, max_lines: int) -> tuple[str, ...] | None:
    if not words:
        return ()
    text = " ".join(words)
    if len(text) <= max_chars:
        return (text,)
    if max_lines < 2:
        return None
    best: tuple[float, tuple[str, ...]] | None = None
    for k in range(1, len(words)):
        top, bottom = " ".join(words[:k]), " ".join(words[k:])
        if len(top) > max_chars or len(bottom) > max_chars:
            continue
        score = break_penalty(words[k - 1], words[k]) + balance_penalty(len(top), len(bottom))
        if best is None or score < best[0]:
            best = (score, (top, bottom))
    return None if best is None else best[1]


def wrap_any(words: Sequence[str], max_chars: int = 42) -> tuple[str, ...]:
    """As many lines as it takes, for text that cannot be two lines; a word is never cut.

    Fills each line greedily, then moves the break back to a cheaper place among the last few words
    when that does not cost an extra line's worth of space. Used only when a rule has to give way.
    """
    lines: list[str] = []
    rest = list(words)
    while rest:
        two = wrap_lines(rest, max_chars, 2)
        if two is not None:
            lines.extend(two)
            break
        k = 1
        while k < len(rest) and len(" ".join(rest[: k + 1])) <= max_chars:
            k += 1
        # Among breaks that keep the line at least two-thirds full, take the cheapest.
        floor = (2 * max_chars) // 3
        candidates = [j for j in range(1, k + 1) if j == k or len(" ".join(rest[:j])) >= floor]
        k = min(candidates, key=lambda j: (break_penalty(rest[j - 1], rest[j]) if j < len(rest) else 0, -j))
        lines.append(" ".join(rest[:k]))
        rest = rest[k:]
    return tuple(lines)


def reading_chars(lines: Sequence[str]) -> int:
    """Characters a viewer reads: letters, punctuation and spaces, not the line break."""
    return sum(len(line) for line in lines)
