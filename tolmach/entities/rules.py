"""Rule-based entities: military units and formations, ranks and posts, and the forces and services.

natasha's NER was trained on news and misses all of these: «в 85-й бригаде» is not a name to it, and
«командира роты» is not an entity at all. The words they are built from are a closed list, kept in
``data/units.tsv`` and ``data/ranks.tsv`` (each file says where its English comes from).

This module also holds the phrase matcher that the place gazetteer uses: it finds dictionary forms such as
«Кременная» or «командир роты» in any case form. What it must never do: guess. A rule here fires only on
words from its tables, so everything it finds comes with a known dictionary form and English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Generic, TypeVar

from tolmach.records import Entity
from tolmach.text import normalise

V = TypeVar("V")


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Numbers and words; an apostrophe inside a word is part of it (Ukrainian «Куп'янськ»), a hyphen is not, so
# that «генерал-майора» and «генерал майора» are the same two words to the matcher.
_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")
_VOWELS = frozenset("аеёиоуыэюяіїє")
# Case endings of Russian and Ukrainian nouns and adjectives: what may follow a dictionary form's base.
ENDINGS = word_set(
    "а я у ю е є и і ї ы о й ь ом ем єм ой ей ою ею єю ам ям ах ях ами ями ов ев ів їв ові еві єві ый ий ій"
    " ая яя ое ее ую юю ого его ього ому ему ьому ым им ім ых их іх ые ие ими ыми іми ої ьої ье ья ью ьи ьем"
) | {""}
# A one-word name that is a noun («Донецк») must not be read in its adjective («Донецкой области»).
_ADJECTIVE_ENDINGS = word_set(
    "ый ий ій ой ая яя ое ее ую юю ого его ього ому ему ьому ым им ім ых их іх ые ие ими ыми іми ої ьої"
)
_NOUN_ENDINGS = ENDINGS - _ADJECTIVE_ENDINGS
_ADJECTIVE_NOMINATIVES = ("ий", "ій", "ый", "ой")  # «Кривий», «Кривой»: adjectives, though they end in й
_MAX_ENDING = max(len(e) for e in ENDINGS)
# Ukrainian closes a final syllable with і where the other cases have о or е: Харків -> Харкова,
# Ірпінь -> Ірпеня, Ріг -> Рогу; ї alternates with є: Київ -> Києва.
_ALTERNATION = re.compile(r"^(.*)([іїе])([бвгґджзклмнпрстфхцчшщ]{1,2}ь?)$")


@dataclass(frozen=True)
class Token:
    """One word or number of a text, with what separates it from the previous one."""

    start: int
    end: int
    text: str  # as written
    norm: str  # normalise()d: lower case, ё as е, one apostrophe
    gap: str  # the text between the previous token and this one ("" for the first)


def tokenize(text: str) -> list[Token]:
    found: list[Token] = []
    last = 0
    for m in _TOKEN.finditer(text):
        found.append(Token(m.start(), m.end(), m.group(), normalise(m.group()), text[last : m.start()]))
        last = m.end()
    return found


def spaced(token: Token) -> bool:
    """Whether only white space separates ``token`` from the one before it."""
    return token.gap != "" and token.gap.isspace()


def _joined(token: Token) -> bool:
    """Whether ``token`` continues a phrase: after white space or one hyphen («генерал-майор»)."""
    return token.gap != "" and token.gap.strip() in ("", "-")


@dataclass(frozen=True)
class _Form:
    """One word of a dictionary form, as the matcher compares it with a token."""

    bases: frozenset[str]  # what an inflected form starts with
    noun: bool  # the dictionary form ends in a consonant: «Донецк», not «Кременная»
    capital: bool  # a name: the token must be capitalised too
    exact: str  # an abbreviation («ВДВ», «ОМБр»): only this, case and all; "" otherwise


def _form(word: str, *, alternate: bool) -> _Form:
    if sum(c.isupper() for c in word) >= 2:
        return _Form(frozenset(), False, True, word)
    w = normalise(word)
    noun = w[-1] not in _VOWELS and not w.endswith(_ADJECTIVE_NOMINATIVES)
    if noun:
        bases = {w, w[:-1]} if w[-1] in "ьй" else {w}
        m = _ALTERNATION.match(w) if alternate else None
        if m:
            head, vowel, tail = m.groups()
            for other in ("є",) if vowel == "ї" else ("о", "е"):
                bases |= {head + other + tail, head + other + tail.rstrip("ь")}
    else:
        bases = {w} | {w[: -len(e)] for e in ENDINGS if e and w.endswith(e) and len(w) - len(e) >= 3}
        if alternate and w[-2:] in ("ка", "га", "ха"):  # Ukrainian dative and locative: Авдіївка -> Авдіївці
            bases.add(w[:-2] + {"к": "ц", "г": "з", "х": "с"}[w[-2]])
    bases |= {b.replace("'", "") for b in bases}
    return _Form(frozenset(bases), noun, word[0].isupper(), "")


def _rest(form: _Form, token: Token, *, alone: bool, cased: bool) -> int | None:
    """How many letters of ending ``token`` has past a base of ``form``; None when it is another word."""
    if form.exact:
        return 0 if token.text == form.exact else None
    if cased and form.capital and not token.text[0].isupper():
        return None
    endings = _NOUN_ENDINGS if alone and form.noun else ENDINGS
    best: int | None = None
    for base in form.bases:
        if token.norm.startswith(base) and token.norm[len(base) :] in endings:
            rest = len(token.norm) - len(base)
            best = rest if best is None else min(best, rest)
    return best


@dataclass(frozen=True)
class Hit(Generic[V]):
    """A phrase found at tokens[start:end]."""

    start: int
    end: int  # exclusive
    value: V
    language: str  # of the dictionary form that matched: "ru" or "uk"


class Phrases(Generic[V]):
    """Dictionary forms of one or more words, found in any case form; longest match wins.

    Tokens are not compared by stem: the stemmers do not agree across the case forms of names («часов»
    stems to «час» but «часовом» to «часов»; Ukrainian «Харків» to «харк» but «Харкова» to «харков»). The
    matcher instead asks whether a token is one of the dictionary form's bases plus a case ending.
    """

    def __init__(self, entries: Iterable[tuple[str, str, V]]) -> None:
        """``entries``: (dictionary form, language, value); Ukrainian forms get the і/о alternation."""
        self._phrases: list[tuple[tuple[_Form, ...], str, V]] = []
        self._first: dict[str, list[int]] = {}
        for text, language, value in entries:
            forms = tuple(_form(w, alternate=language == "uk") for w in _TOKEN.findall(text))
            if not forms:
                continue
            for key in forms[0].bases or {forms[0].exact}:
                self._first.setdefault(key, []).append(len(self._phrases))
            self._phrases.append((forms, language, value))

    def _candidates(self, token: Token) -> set[int]:
        found = set(self._first.get(token.text, ()))
        for cut in range(min(_MAX_ENDING, len(token.norm) - 1) + 1):
            if token.norm[len(token.norm) - cut :] in ENDINGS:
                found.update(self._first.get(token.norm[: len(token.norm) - cut], ()))
        return found

    def at(self, tokens: Sequence[Token], i: int, language: str = "", *, cased: bool = True) -> Hit[V] | None:
        """The best phrase starting at tokens[i]: the longest, then the closest form, then in ``language``."""
        best: tuple[int, int, bool] | None = None
        hit: Hit[V] | None = None
        for index in sorted(self._candidates(tokens[i])):
            forms, phrase_language, value = self._phrases[index]
            if i + len(forms) > len(tokens):
                continue
            total, alone = 0, len(forms) == 1
            for k, form in enumerate(forms):
                token = tokens[i + k]
                rest = _rest(form, token, alone=alone, cased=cased) if k == 0 or _joined(token) else None
                if rest is None:
                    break
                total += rest
            else:
                score = (len(forms), -total, phrase_language == language)
                if best is None or score > best:
                    best, hit = score, Hit(i, i + len(forms), value, phrase_language)
        return hit

    def find(self, tokens: Sequence[Token], language: str = "") -> list[Hit[V]]:
        """Every phrase in ``tokens``, left to right, none overlapping."""
        found: list[Hit[V]] = []
        i = 0
        while i < len(tokens):
            hit = self.at(tokens, i, language)
            if hit:
                found.append(hit)
            i = hit.end if hit else i + 1
        return found


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of ``data/<name>`` (tab-separated, a header line, "#" comment lines) as dicts."""
    text = resources.files("tolmach.entities").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


# -- units --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One row of units.tsv."""

    part: str
    russian: str
    ukrainian: str
    english: str

    def word(self, language: str, feminine: bool = True) -> str:
        """The nominative in ``language`` (else in the other one), feminine or masculine."""
        text = (self.ukrainian if language == "uk" else self.russian) or self.russian or self.ukrainian
        forms = text.split("|")
        return forms[0] if feminine or len(forms) == 1 else forms[1]


@dataclass(frozen=True)
class _Tables:
    adjectives: Phrases[_Part]
    nouns: Phrases[_Part]
    tails: Phrases[_Part]
    abbreviations: Phrases[_Part]
    named: Phrases[Entity]  # organisations, unit abbreviations on their own, ranks and posts


def _entries(rows: Iterable[_Part]) -> list[tuple[str, str, _Part]]:
    return [
        (form, language, row)
        for row in rows
        for language, text in (("ru", row.russian), ("uk", row.ukrainian))
        for form in text.split("|")
        if form
    ]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    rows = [_Part(r["part"], r["russian"], r["ukrainian"], r["english"]) for r in read_table("units.tsv")]
    by_kind: dict[str, list[_Part]] = {}
    for row in rows:
        by_kind.setdefault(row.part.split("-")[0], []).append(row)  # noun-f and noun-m are nouns
    named = [
        (form, language, Entity("org" if row.part == "org" else "unit", "", 0, 0, form, row.english))
        for form, language, row in _entries(by_kind["org"] + by_kind["abbreviation"])
    ]
    for r in read_table("ranks.tsv"):
        for language, form in (("ru", r["russian"]), ("uk", r["ukrainian"])):
            if form:
                named.append((form, language, Entity("rank", "", 0, 0, form, r["english"])))
    return _Tables(
        Phrases(_entries(by_kind["adjective"])),
        Phrases(_entries(by_kind["noun"])),
        Phrases(_entries(by_kind["tail"])),
        Phrases(_entries(by_kind["abbreviation"])),
        Phrases(named),
    )


def english_ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st, 101st, 111th."""
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _ordinal(n: int, feminine: bool, language: str) -> str:
    """The nominative ordinal as Russian and Ukrainian write it after a numeral: 85-я, 93-тя, 47-ма, 3-й."""
    if not feminine:
        return f"{n}-й"
    if language != "uk":
        return f"{n}-я"
    # Ukrainian writes the last syllable of the spoken ordinal: перша, друга, третя, сьома, восьма,
    # сорокова; the teens (одинадцята ...) and every other number end in -та.
    last_two, last = n % 100, n % 10
    if 10 <= last_two <= 19:
        suffix = "та"
    elif last_two == 40:
        suffix = "ва"
    else:
        suffix = {1: "ша", 2: "га", 3: "тя", 7: "ма", 8: "ма"}.get(last, "та")
    return f"{n}-{suffix}"


def _unit_at(tokens: Sequence[Token], i: int, language: str) -> tuple[Entity, int] | None:
    """A unit whose number is tokens[i] («85-й отдельной бригаде», «93 ОМБр»), and the token after it."""
    tables = _tables()
    n, j = int(tokens[i].text), i + 1
    if (
        j < len(tokens)
        and tokens[j].gap in ("", "-")
        and tokens[j].text.islower()
        and len(tokens[j].text) <= 3
    ):
        j += 1  # the ordinal's ending: -я, -й, -го, -тя, -ї
    if j >= len(tokens) or not spaced(tokens[j]):
        return None
    abbreviation = tables.abbreviations.at(tokens, j, language)
    if abbreviation:
        row, feminine = abbreviation.value, abbreviation.value.part.endswith("-f")
        normal = f"{_ordinal(n, feminine, abbreviation.language)} {tokens[j].text}"
        return Entity("unit", "", 0, 0, normal, f"{english_ordinal(n)} {row.english}"), abbreviation.end
    adjectives: list[Hit[_Part]] = []
    while j < len(tokens) and spaced(tokens[j]) and (adjective := tables.adjectives.at(tokens, j, language)):
        adjectives.append(adjective)
        j = adjective.end
    noun = tables.nouns.at(tokens, j, language) if j < len(tokens) and spaced(tokens[j]) else None
    if noun is None:
        return None
    j = noun.end
    tail = tables.tails.at(tokens, j, language) if j < len(tokens) and spaced(tokens[j]) else None
    # The noun's own language decides the dictionary form, so a Russian word in a Ukrainian transcript
    # stays Russian; a noun spelt alike in both (бригада) takes the transcript's language.
    noun_language = noun.language
    feminine = noun.value.part == "noun-f"
    words = [_ordinal(n, feminine, noun_language)]
    words += [a.value.word(noun_language, feminine) for a in adjectives] + [noun.value.word(noun_language)]
    english = [english_ordinal(n)] + [a.value.english for a in adjectives]
    if tail:
        j = tail.end
        words.append(tail.value.word(noun_language))
        pair = [tail.value.english, noun.value.english]  # a tail starting "of " goes after the noun
        english += pair[::-1] if tail.value.english.startswith("of ") else pair
    else:
        english.append(noun.value.english)
    return Entity("unit", "", 0, 0, " ".join(words), " ".join(english)), j


def find_rules(text: str, language: str) -> list[Entity]:
    """Units, organisations, ranks and posts in ``text``; they may overlap, the caller picks."""
    tokens = tokenize(text)
    found: list[Entity] = []

    def place(entity: Entity, start: int, end: int) -> Entity:
        a, b = tokens[start].start, tokens[end - 1].end
        return Entity(entity.kind, text[a:b], a, b, entity.normal, entity.english)

    for i, token in enumerate(tokens):
        decimal = i > 0 and token.gap in (",", ".") and tokens[i - 1].text.isdigit()  # 1,5 бригады
        if token.text.isdigit() and len(token.text) <= 4 and not decimal:
            unit = _unit_at(tokens, i, language)
            if unit:
                found.append(place(unit[0], i, unit[1]))
    for hit in _tables().named.find(tokens, language):
        found.append(place(hit.value, hit.start, hit.end))
    found.extend(_pmc(text))
    return found


# «ЧВК Вагнер», «ЧВК "Вагнер"», «ПВК «Вагнер»»: the quotes, when opened, belong to the name.
_PMC = re.compile(r"\b(ЧВК|ПВК)\s+(?:([«\"„“'])\s*)?([A-ZА-ЯЁІЇЄҐ][\w-]*)(?(2)\s*[»\"“”'])")


def _pmc(text: str) -> list[Entity]:
    found: list[Entity] = []
    for m in _PMC.finditer(text):
        name = tokenize(m.group(3))
        hit = _tables().named.at(name, 0) if name else None
        if hit is not None and hit.value.kind == "org" and hit.end == len(name):
            normal, english = f"{m.group(1)} {hit.value.normal}", hit.value.english
        else:
            normal, english = f"{m.group(1)} {m.group(3)}", ""  # a company the table does not know
        found.append(Entity("org", m.group(), m.start(), m.end(), normal, english))
    return found
