"""Places: the gazetteer of the war's towns and regions, their dictionary forms and English spellings.

A translator needs «под Кременной», «у Кремінній» and «Кременную» all to come out as Kreminna, the
spelling the English-language press uses, not a transliteration of whichever case form was spoken. The
gazetteer (``data/places.tsv``) lists each place's Russian and Ukrainian dictionary forms and its English;
the phrase matcher in ``rules`` finds those forms in any case. A place that is not in the gazetteer gets a
transliteration (``transliterate``), which is what a careful reader would write for an unknown village.

What it must never do: tag a common word as a place. A gazetteer name must be capitalised in the text, and
the few names that are also ordinary words (Лиман "estuary", Изюм "raisins", Сумы "bags") only count after
a preposition of place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from tolmach.entities.rules import Phrases, Token, read_table, spaced, tokenize, word_set
from tolmach.records import Entity


@dataclass(frozen=True)
class Place:
    """One row of the gazetteer."""

    russian: str  # dictionary form
    ukrainian: str
    english: str  # as the English-language press spells it
    source: str  # where that spelling comes from


@dataclass(frozen=True)
class _Name:
    place: Place
    normal: str  # the dictionary form of the name that matched, in its own language


# Names that are also common words or surnames, by their English: found only after a preposition of place
# («в Лимане», «під Сумами»); natasha still finds them where its context says they are places.
_COMMON_WORDS = word_set(
    "Lyman Izium Sumy Shchastia Pisky Krynky Zolote Hirske Polohy"  # estuary, raisins, bags, ...
    " Mykolaiv Orikhiv Lviv"  # surnames (Николаев, Орехов, Львов)
)
_QUOTES = frozenset("«»\"„“”'")
_PREPOSITIONS = word_set(
    "в во на под подо из изо у с со от до за над около возле близ через к ко по"
    " біля під із зі з від поблизу коло поруч"
)


@lru_cache(maxsize=1)
def gazetteer() -> tuple[Place, ...]:
    """Every row of data/places.tsv, in file order."""
    return tuple(
        Place(r["russian"], r["ukrainian"], r["english"], r["source"]) for r in read_table("places.tsv")
    )


@lru_cache(maxsize=1)
def _phrases() -> Phrases[_Name]:
    entries = []
    for place in gazetteer():
        for language, column in (("ru", place.russian), ("uk", place.ukrainian)):
            forms = column.split(";")  # the dictionary form, then inflected forms the rules cannot reach
            entries += [(form, language, _Name(place, forms[0])) for form in forms if form]
    return Phrases(entries)


def _adjective_in(tokens: Sequence[Token], i: int, normal: str) -> bool:
    """«в Дзержинском районе»: after в, на, о, при, Russian -ом is an adjective, not an instrumental."""
    token = tokens[i]
    return (
        token.norm.endswith("ом")
        and not normal.lower().endswith("ом")
        and i > 0
        and tokens[i - 1].norm in ("в", "во", "на", "о", "об", "при")
    )


def _after_preposition(tokens: Sequence[Token], i: int) -> bool:
    return i > 0 and spaced(tokens[i]) and tokens[i - 1].norm in _PREPOSITIONS


def find_places(text: str, language: str) -> list[Entity]:
    """Gazetteer places named in ``text``, with their dictionary form and English."""
    tokens = tokenize(text)
    found = []
    for hit in _phrases().find(tokens, language):
        place = hit.value.place
        a, b = tokens[hit.start].start, tokens[hit.end - 1].end
        if place.english in _COMMON_WORDS and not _after_preposition(tokens, hit.start):
            continue
        if text[a - 1 : a] in _QUOTES and text[b : b + 1] in _QUOTES:
            continue  # the name of a ship, a newspaper or a company: линкор «Полтава»
        if hit.end - hit.start == 1 and _adjective_in(tokens, hit.start, hit.value.normal):
            continue
        found.append(Entity("place", text[a:b], a, b, hit.value.normal, place.english))
    return found


def lookup(name: str) -> tuple[str, Place] | None:
    """The gazetteer's dictionary form and row for ``name`` (any case form, any capitalisation), if listed."""
    tokens = tokenize(name)
    hit = _phrases().at(tokens, 0, cased=False) if tokens else None
    if hit is None or hit.end != len(tokens):
        return None
    return hit.value.normal, hit.value.place


def english_place(name: str, language: str = "") -> str:
    """The usual English spelling of a place given in any case form: «Бахмуте» -> "Bakhmut".

    A place the gazetteer does not list is transliterated, as Ukrainian when it is spelt with Ukrainian
    letters or ``language`` is "uk", otherwise as Russian; an unknown abbreviation («ЮАР») gets "", since
    its letters spelt out in Latin («YUAR») would mislead.
    """
    found = lookup(name)
    if found:
        return found[1].english
    letters = [c for c in name if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return ""
    ukrainian = language == "uk" or any(c in "іїєґІЇЄҐ" for c in name)
    return transliterate(name, "uk" if ukrainian else "ru")


# -- transliteration ------------------------------------------------------------------------------------


def _pairs(cyrillic: str, latin: str) -> dict[str, str]:
    return dict(zip(cyrillic, latin.split(), strict=True))


# Ukrainian: the national romanization (Cabinet of Ministers resolution No. 55, 2010), the system behind
# Kyiv, Kharkiv and Zaporizhzhia. Of a pair, the second spelling is for the start of a word. The soft sign
# and the apostrophe are dropped; «зг» is written zgh so that it is not read as «ж».
_UK: dict[str, str | tuple[str, str]] = {
    **_pairs("абвгґдежзиіклмнопрстуфхцчшщ", "a b v h g d e zh z y i k l m n o p r s t u f kh ts ch sh shch"),
    **{"ь": "", "'": "", "є": ("ie", "ye"), "ї": ("i", "yi"), "й": ("i", "y"), "ю": ("iu", "yu")},
    "я": ("ia", "ya"),
}
# Russian: BGN/PCGN, the system of the English-language press and of most English maps, simplified as
# the press simplifies it: ё is yo, the hard and soft signs are dropped. е is ye at the start of a word
# and after a vowel or a sign (Енакиево -> Yenakiyevo).
_RU: dict[str, str] = {
    **_pairs("абвгджзиклмнопрстуфхцчшщыэ", "a b v g d zh z i k l m n o p r s t u f kh ts ch sh shch y e"),
    **{"й": "y", "ъ": "", "ь": "", "ё": "yo", "ю": "yu", "я": "ya", "'": ""},
}
_AFTER_VOWEL_YE = frozenset("аеёиоуыэюяъьй")


def transliterate(text: str, language: str) -> str:
    """``text`` in Latin letters: Ukrainian national romanization for "uk", BGN/PCGN for anything else."""
    out: list[str] = []
    text = text.replace("’", "'").replace("ʼ", "'")
    for i, ch in enumerate(text):
        low = ch.lower()
        before = text[i - 1].lower() if i else ""
        initial = not before.isalpha() and before != "'"
        if language == "uk":
            if low == "г" and before == "з":
                latin = "gh"
            else:
                rule = _UK.get(low, ch)
                latin = rule if isinstance(rule, str) else rule[1 if initial else 0]
        elif low == "е":
            latin = "ye" if initial or before in _AFTER_VOWEL_YE else "e"
        else:
            latin = _RU.get(low, ch)
        if ch != low and latin:
            following = text[i + 1] if i + 1 < len(text) else ""
            shouting = following.isupper() or (i > 0 and text[i - 1].isupper())  # ЩАСТЯ -> SHCHASTIA
            latin = latin.upper() if shouting else latin[0].upper() + latin[1:]
        out.append(latin)
    return "".join(out)
