"""Where a glossary term occurs: in the original text by stems, in the English line by patterns.

The conventions are described in ``glossary.py``; this module holds the string work behind them, as pure
functions of strings and terms, so that each rule is tested without segments. Nothing here ever changes
an original text, and an English line only ever gains one bracket after words it already had.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from tolmach.text import WORD, normalise, stem

if TYPE_CHECKING:
    from tolmach.translate.glossary import Term

SHORT_STEM = 4
"""A one-word form whose stem is shorter matches only as written: the stem «арт» of «арта» is also the
stem of the name «Артем», so such words list their inflected forms instead."""

RAW, WORD_FORM, STEM = 0, 1, 2  # how one word of a form is compared: as written, normalised, by stem
FormWord = tuple[int, str]

_APOSTROPHES = "'’ʼ"
_BRACKETED = re.compile(r"\[[^\[\]]*\]")  # innermost: a stray "[" in the English hides nothing
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# Plurals that do not end in -s; enough for the renderings machine translation gives these terms.
_IRREGULAR_PLURALS = frozenset({"men", "women", "people", "children", "police", "personnel"})

_RU_FROM = frozenset({"из", "изо", "с", "со"})
_UK_FROM = frozenset({"з", "із", "зі", "зо"})
EVERYDAY_AFTER: dict[str, frozenset[str]] = {"выход": _RU_FROM, "вихід": _UK_FROM, "виходи": _UK_FROM}
"""Words that, right after a form of a term that is also an everyday word, show the everyday sense.

«выход из конференции», «выхода из чата», «вихід з групи» are someone leaving something; a launch
(«был выход, прилёт») is never followed by "out of". The same holds for the verb, which shares the
stem: «выходят из строя». Keyed by the form as ``form_key`` writes it."""

MILITARY_CUES = (  # a glossary "term" cell: forms separated by |
    "снаряд|снаряды|снарядів|мина|мины|мину|миной|міна|міни|міну|ракета|ракеты|ракети|артиллерия|"
    "артилерія|миномёт|міномет|гаубица|гаубиця|обстрел|обстріл|залп|окоп|блиндаж|бліндаж|укрытие|"
    "укриття|позиция|позиції|танк|дрон|граната|выстрел|постріл|стрельба|стрілянина|бой|боя|бою|бои|"
    "бій|бої|фронт|враг|ворог|штурм|пехота|піхота|взвод|батальон|батальйон|бригада|РСЗО|ПВО|ППО|ВСУ|ЗСУ"
)
"""Words that place a line in a war: with one of them, or another glossary term that is not an
everyday word, in the line or the next to it, a term that is also an everyday word is taken in its
military sense. Matched as glossary forms are (by stem; short ones and abbreviations as written)."""


def tokens(text: str) -> list[str]:
    """The words of ``text`` as written, case kept, hyphenated words split (so «груз-200» is «груз 200»).

    ``tolmach.text.words`` lower-cases, and abbreviations are matched by case, hence the raw split here.
    """
    found = []
    for word in WORD.findall(text):
        for part in word.split("-"):
            part = part.strip(_APOSTROPHES)
            if part:
                found.append(part)
    return found


def is_abbreviation(token: str) -> bool:
    """All capitals and at most four letters (БК, ВСУ, ДРГ, ПТУР): matched exactly, never by stem."""
    return token.isupper() and sum(ch.isalpha() for ch in token) <= 4


def form_key(form: str) -> str:
    """What makes two written forms the same form: their normalised words."""
    return " ".join(normalise(t) for t in tokens(form))


def numbers(value: str) -> tuple[str, str]:
    """(singular, plural) of an ``english`` or ``gloss`` value written "singular|plural" or just once."""
    singular, _, plural = value.partition("|")
    return singular.strip(), (plural.strip() or singular.strip())


@dataclass(frozen=True)
class Source:
    """One original text, cut the three ways a form's words are compared."""

    raw: tuple[str, ...]
    words: tuple[str, ...]
    stems: tuple[str, ...]
    vocabulary: frozenset[str]  # all three together: rules a term out before any positional scan

    @classmethod
    def of(cls, text: str, language: str) -> Source:
        raw = tuple(tokens(text))
        words = tuple(normalise(t) for t in raw)
        stems = tuple(stem(w, language) for w in words)
        return cls(raw, words, stems, frozenset(raw + words + stems))


@lru_cache(maxsize=8192)
def form_words(term: Term, language: str) -> tuple[tuple[FormWord, ...], ...]:
    """Each form of ``term`` as the words a text must hold consecutively, and how each is compared."""
    forms = []
    for form in term.forms:
        parts = tokens(form)
        single = len(parts) == 1
        words: list[FormWord] = []
        for part in parts:
            word = normalise(part)
            if is_abbreviation(part):
                words.append((RAW, part))
            elif single and len(stem(word, language)) < SHORT_STEM:
                words.append((WORD_FORM, word))
            else:
                words.append((STEM, stem(word, language)))
        if words:
            forms.append(tuple(words))
    return tuple(forms)


def position(term: Term, language: str, source: Source) -> int | None:
    """The index of the first word of ``source`` where a form of ``term`` begins, or None.

    A form followed by a word of ``everyday_after(term)`` is the everyday word, not the term.
    """
    columns = (source.raw, source.words, source.stems)
    after = everyday_after(term)
    best: int | None = None
    for words in form_words(term, language):
        if not all(value in source.vocabulary for _, value in words):
            continue
        stop = len(source.raw) - len(words) + 1
        for start in range(stop if best is None else min(stop, best)):
            if all(columns[kind][start + k] == value for k, (kind, value) in enumerate(words)):
                following = start + len(words)
                if following < len(source.words) and source.words[following] in after:
                    continue
                best = start
                break
    return best


@lru_cache(maxsize=4096)
def everyday_after(term: Term) -> frozenset[str]:
    """The words after which ``term``'s forms are read in their everyday sense (``EVERYDAY_AFTER``)."""
    found: frozenset[str] = frozenset()
    for form in term.forms:
        found |= EVERYDAY_AFTER.get(form_key(form), frozenset())
    return found


def fold(text: str) -> str:
    """English compared loosely: case, hyphens and British or American spelling do not matter."""
    text = re.sub(r"[\s-]+", " ", text.strip().lower())
    text = text.replace("our", "or")
    text = re.sub(r"is(?=e|ing|ation)", "iz", text)
    return re.sub(r"tre\b", "ter", re.sub(r"ence\b", "ense", text))


def _tolerant(phrase: str) -> str:
    """A regex for ``phrase`` that also accepts the other spelling and hyphens for spaces, as fold()."""
    parts = []
    for word in re.split(r"[\s-]+", phrase.strip()):
        if word:
            pattern = re.sub(r"our", "ou?r", re.escape(word))
            pattern = re.sub(r"is(?=e|ing|ation)", "i[sz]", pattern)
            pattern = re.sub(r"ence$", "en[cs]e", pattern)
            parts.append(re.sub(r"tre$", "t(?:re|er)", pattern))
    return r"[\s-]+".join(parts)


def _whole(body: str) -> re.Pattern[str]:
    # Whole words only, and a possessive stays with its word: "the mobik's [mobilised soldier] rifle".
    return re.compile(rf"(?<![\w-])(?:{body})(?:['’]s)?(?![\w-])", re.IGNORECASE)


def _phrases(*phrases: str) -> re.Pattern[str]:
    alternatives = sorted({_tolerant(p) for p in phrases if p.strip()}, key=len, reverse=True)
    return _whole("|".join(alternatives))


@lru_cache(maxsize=4096)
def _patterns(term: Term) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str]]:
    """(the English forms, the ``match`` regex, the gloss) of ``term`` as patterns."""
    match = _whole(term.match) if term.match else None
    return _phrases(*numbers(term.english)), match, _phrases(*numbers(term.gloss))


def _search(pattern: re.Pattern[str], line: str) -> re.Match[str] | None:
    """The first non-empty match outside brackets: a gloss already inserted is never glossed again."""
    inserted = [m.span() for m in _BRACKETED.finditer(line)]
    for m in pattern.finditer(line):
        if m.end() > m.start() and not any(a <= m.start() < b for a, b in inserted):
            return m
    return None


def rendering(term: Term, line: str) -> re.Match[str] | None:
    """The first place where ``line`` renders ``term``, by its English forms or its ``match`` regex.

    The leftmost wins; of two starting together, the longer ("FPV drone" rather than "FPV").
    """
    english, match, _ = _patterns(term)
    found = [m for m in (_search(english, line), match and _search(match, line)) if m]
    return min(found, key=lambda m: (m.start(), -m.end()), default=None)


def _is_plural(text: str, english: str) -> bool:
    singular, plural = numbers(english)
    if fold(text) == fold(singular):
        return False
    if fold(text) == fold(plural):
        return True
    last = text.split()[-1].lower() if text.split() else ""
    return last in _IRREGULAR_PLURALS or (last.endswith("s") and not last.endswith(("ss", "us", "is")))


def gloss_line(term: Term, line: str) -> str | None:
    """``line`` with ``term``'s gloss inserted after its rendering; None when the line does not render it.

    A line that already explains the term (it holds the gloss itself, or the bracket from an earlier
    run) comes back unchanged.
    """
    found = rendering(term, line)
    if found is None:
        return line if _search(_patterns(term)[2], line) else None
    end = found.end()
    if line.startswith(" [", end):
        return line
    text = _POSSESSIVE.sub("", found.group())
    plural = _is_plural(text, term.english)
    english, gloss = numbers(term.english)[plural], numbers(term.gloss)[plural]
    if fold(text) in {fold(e) for e in numbers(term.english)}:
        if fold(gloss) == fold(english):
            return line  # plain English that needs no explaining: "artillery"
        bracket = gloss
    elif fold(gloss) in (fold(text), fold(english)):
        bracket = english  # "special forces [spetsnaz]", "art [artillery]"
    else:
        bracket = f"{english}: {gloss}"
    return f"{line[:end]} [{bracket}]{line[end:]}"


def note_for(term: Term, language: str) -> str:
    """The note for a term the English does not render: "мобик (mobik): mobilised soldier, derogatory"."""
    english, gloss = numbers(term.english)[0], numbers(term.gloss)[0]
    head = term.headword(language)
    text = f"{head}: {english}" if fold(gloss) == fold(english) else f"{head} ({english}): {gloss}"
    return f"{text}, {term.note}" if term.note else text
