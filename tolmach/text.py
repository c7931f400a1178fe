"""Words and stems: what search, the glossary and entity matching agree to call "the same word".

Russian and Ukrainian inflect nouns into six or seven cases, so «Бахмут», «Бахмуте», «Бахмута» and
«Бахмуті» must meet in one stem. Russian and English use the Snowball stemmers (``snowballstemmer``).
Snowball has no Ukrainian stemmer and the Ukrainian morphological dictionaries are large, so Ukrainian
gets a light suffix stripper written here: it only has to make inflected forms of one word agree, not to
find linguistic roots, and over-stemming a little costs search precision, never recall.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[\w'’ʼ-]+", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "ё": "е", "Ё": "е"})

# Longest first. Case endings of nouns and adjectives, and the commonest verb endings.
_UK_ENDING_LIST = (
    "ого ього ому ьому ими іми ові еві єві ами ями ях ах ою ею єю ої ьої ий ій ім им их іх ів їв ей "
    "ом ем єм ам ям ти ть уть ють ать ять ить іть ете ємо емо имо ла ло ли ав ив а я о е є у ю і ї и"
)
_UK_ENDINGS = tuple(sorted(_UK_ENDING_LIST.split(), key=len, reverse=True))
_UK_MIN_STEM = 3


def normalise(word: str) -> str:
    """Lower case, ё as е, one apostrophe: how every word is compared."""
    return word.translate(_APOSTROPHES).lower()


def words(text: str) -> list[str]:
    """The words of ``text``, normalised, in order."""
    return [normalise(w).strip("-'") for w in WORD.findall(text) if w.strip("-'’ʼ")]


@lru_cache(maxsize=4)
def _snowball(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


def _uk_stem(word: str) -> str:
    for reflexive in ("ся", "сь"):
        if word.endswith(reflexive) and len(word) - 2 >= _UK_MIN_STEM:
            word = word[:-2]
            break
    for ending in _UK_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _UK_MIN_STEM:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """The stem of one normalised word in ``language`` (ISO 639-1); other languages keep the word."""
    if language == "ru":
        return str(_snowball("russian").stemWord(word))
    if language == "uk":
        return _uk_stem(word)
    if language == "en":
        return str(_snowball("english").stemWord(word))
    return word


def stems(text: str, language: str) -> str:
    """The stems of every word of ``text``, space-separated: the column that search matches inflection on."""
    return " ".join(stem(w, language) for w in words(text))


def stem_variants(word: str) -> tuple[str, ...]:
    """A query word's stems under every language it could be in, without repeats, the word first."""
    word = normalise(word)
    found = [word]
    for language in ("ru", "uk"):
        s = stem(word, language)
        if s not in found:
            found.append(s)
    return tuple(found)


def plural(count: int, word: str, words: str = "") -> str:
    """``1 file``, ``2 files``; ``words`` for an irregular plural."""
    return f"{count} {word if count == 1 else words or word + 's'}"
