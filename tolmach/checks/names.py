"""Names: the people, places, units and ranks of the original must be in the English, and the English must
not name anyone or anything the original does not.

A place of the gazetteer must be spelt as the English-language press spells it or as a transliteration of
its Russian or Ukrainian form («Харьков»: Kharkiv or Kharkov), so "Bahmud" for «Бахмут» is flagged as
misspelt. A person's surname, and a place the gazetteer does not list, are transliterated in many ways
(Zelensky, Zelenskyy, Zelenskiy), so they are compared loosely, after folding the usual variants together
(y/i, kh/h, ts/c, g/h, ye/e, the -iy/-y/-i ending). A unit or rank needs its English head word ("Brigade",
"Colonel"). An English capitalised word that is not an ordinary English word (``data/names_ordinary.txt``)
and matches no word of the original, by transliteration or by ``data/names_exonyms.tsv`` ("German" for
«немецкий»), is flagged as invented.

What it must never do: flag a faithful line. Real translations write "Kyiv" for «Киев», "Russian" for
«российский», "the Kremlin" for «Кремль», drop a first name or call a governor by his surname; all of those
pass. Organisations are not checked: their English names vary too much («ВСУ»: AFU, the Ukrainian army).
A name written in the original in Latin letters («сайт KP.ru») is in the original as it stands.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources

from tolmach.checks.base import Finding, Pair
from tolmach.entities import find_entities
from tolmach.entities.places import gazetteer, lookup, transliterate
from tolmach.records import Entity
from tolmach.text import normalise, stem

SAME = 0.88  # folded spellings this similar are one spelling (Dnieper, Dnepr)
CLOSE = 0.7  # a gazetteer place's English word this similar is that place misspelt ("Bahmud")
LOOSE = 0.75  # a name this similar is the same name transliterated another way (Zelensky, Zelenskyy)
SKELETON = 0.8  # consonant skeletons this similar: one name written back and forth (Merenids, «маринідами»)
_MIN_STEM = 4  # letters a prefix must have to count (Putin in «Путина», Ukrainian of Ukraine)
_MAX_ENDING = 4  # letters of a Russian or Ukrainian case ending past a name («Хабаровского»)

_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CYRILLIC_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
_CONTRACTION = re.compile(r"['’](?:ve|re|ll|d|m|t)$", re.IGNORECASE)
_PROPER = re.compile(r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’]+(?: [А-ЯЁІЇЄҐ][а-яёіїєґ'’]+)*")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)?$")
_GLUE = frozenset({"the", "and", "for", "of"})
# English adjective and demonym endings: "Tibetan" is «тибетский» by its stem, "Belarusian" «белорусский».
_ADJECTIVE_ENDINGS = ("ians", "ian", "eans", "ean", "ans", "an", "ese", "ish", "ic", "i")

# Sounds that English writes several ways, folded to one: first the digraphs, then the letters.
_FOLDS = (
    ("shch", "ш"),
    ("sch", "ш"),
    ("dzh", "ж"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("zh", "ж"),
    ("kh", "h"),
    ("th", "t"),
    ("tz", "ц"),
    ("ts", "ц"),
    ("ph", "f"),
    ("x", "ks"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("w", "v"),
    ("g", "h"),
    ("j", "ж"),
    ("z", "s"),
    ("eu", "ev"),
    ("y", "i"),
)
_INITIAL_I = re.compile(r"^i(?=[aeiou])")  # Yevgeny and Evgeny, Yulia and Ulia
_DOUBLE = re.compile(r"(.)\1+")
_VOWELS = re.compile(r"[aeiou]")
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")  # initials with dots: U.S., U.K.
_MIN_SKELETON = 3  # consonants a skeleton needs to be compared at all


def _words(text: str) -> list[str]:
    return text.split()


# Capitalised in English but ordinary words, beyond the vocabulary list: the calendar, titles.
_CALENDAR = (
    "january february march april may june july august september october november december"
    " monday tuesday wednesday thursday friday saturday sunday"
)
_TITLES = "mr mrs ms dr st jr sr mt inc ltd co ok"
# Endings of English derived words that names hardly have: "Hydrometeorological", "Wagonways".
_WORD_ENDINGS = tuple(
    _words(
        "ical ically ist ists ism isms ation ations ment ments ness ity ities ous ive ives ful less able ible"
        " wards ways ship ships hood logy ologist ologists graphy ly"
    )
)
# Words of a place's English that say what kind of place it is, not which: Belgorod Oblast, Belgorod Region.
_PLACE_WORDS = frozenset(_words("oblast region krai raion district republic province county city saint st"))
# Endings of Russian and Ukrainian surnames, as the English spells them: a word shaped like this is a name.
_SURNAME = re.compile(
    r"(?:ov|ova|ev|eva|yev|yeva|in|ina|yn|yna|sky|skyi|skiy|ski|skaya|ska|enko|uk|yuk|chuk|ich|vich|ych|ovych"
    r"|evych|yk|ko|ets|iy|yi|ny|nyi)$"
)


@lru_cache(maxsize=1)
def _ordinary() -> tuple[frozenset[str], frozenset[str]]:
    """The ordinary words, and their English stems (so "Curiously" is ordinary by "curious")."""
    text = resources.files("tolmach.checks").joinpath("data", "names_ordinary.txt").read_text("utf-8")
    listed = {line for line in text.splitlines() if line and not line.startswith("#")}
    listed |= set(_words(_CALENDAR)) | set(_words(_TITLES))
    return frozenset(listed), frozenset(stem(w, "en") for w in listed)


def warm() -> None:
    """Build the word lists now (a few seconds, mostly stemming the ordinary words) rather than in the
    first edit a reviewer saves: the server calls this in the background when it starts."""
    _ordinary()
    _known_names()
    _known_places()
    _exonyms()


def _is_ordinary(word: str) -> bool:
    words, stems = _ordinary()
    low = word.lower()
    return low in words or stem(low, "en") in stems or low.endswith(_WORD_ENDINGS)


@lru_cache(maxsize=1)
def _known_names() -> frozenset[str]:
    """Folded names the English may invent: the gazetteer's English words and ``data/names_people.txt``."""
    text = resources.files("tolmach.checks").joinpath("data", "names_people.txt").read_text("utf-8")
    people = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    places = [w for place in gazetteer() for w in re.split(r"[\s-]+", place.english)]
    return frozenset(fold(w) for w in [*people, *places] if len(w) >= 3 and w.lower() not in _PLACE_WORDS)


@lru_cache(maxsize=1)
def _known_places() -> frozenset[str]:
    """Lower-case one-word places of the gazetteer that are also ordinary words (Turkey, China, Georgia):
    capitalised and standing alone, they name the place, so they are checked all the same."""
    return frozenset(p.english.lower() for p in gazetteer() if " " not in p.english and "-" not in p.english)


def _name_like(word: str) -> bool:
    """Whether an unknown capitalised word is a name worth flagging: a known one, or a Slavic surname."""
    return fold(word) in _known_names() or bool(_SURNAME.search(word.lower()))


@lru_cache(maxsize=1)
def _exonyms() -> dict[str, tuple[str, ...]]:
    """Each English form of ``names_exonyms.tsv``, lower case, to the stems of the original it stands for."""
    text = resources.files("tolmach.checks").joinpath("data", "names_exonyms.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    table: dict[str, tuple[str, ...]] = {}
    for english, stems in rows[1:]:
        for form in english.split("|"):
            table[form.lower()] = table.get(form.lower(), ()) + tuple(stems.split("|"))
    return table


def _lone_place(text: str, m: re.Match[str]) -> bool:
    """Whether the word ``m`` found in ``text`` is a one-word gazetteer place on its own, not part of a name
    of several capitalised words (South Africa, the Georgia Institute)."""
    if _POSSESSIVE.sub("", m.group()).lower() not in _known_places():
        return False
    before = text[: m.start()].rstrip().split(" ")[-1:]
    after = text[m.end() :].lstrip().split(" ")[:1]
    return not any(w[:1].isupper() for w in before + after if w.strip(".,;:!?\"'()"))


def _exonym_of(english_word: str, words: Sequence[str]) -> bool:
    """Whether ``english_word`` is the exonym or demonym of one of ``words`` (normalised Cyrillic)."""
    low = english_word.lower()
    stems = _exonyms().get(low) or _exonyms().get(low.removesuffix("s")) or ()
    return any(w.startswith(stem) or (len(stem) >= _MIN_STEM and stem in w) for stem in stems for w in words)


@lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """``name`` as a sound, roughly: the spellings of one transliterated name fold to one string."""
    text = unicodedata.normalize("NFKD", _POSSESSIVE.sub("", normalise(name)))
    text = "".join(c for c in text if c.isalpha())
    for spelling, sound in _FOLDS:
        text = text.replace(spelling, sound)
    return _DOUBLE.sub(r"\1", _INITIAL_I.sub("", text))


@lru_cache(maxsize=65536)
def _skeleton(folded: str) -> str:
    """A folded name's consonants: back-transliteration changes vowels most (Hancock, «Хенкок»)."""
    return _DOUBLE.sub(r"\1", _VOWELS.sub("", folded))


def _similar(a: str, b: str, threshold: float = 0.0) -> float:
    """How alike two folded names are, 0 to 1; names starting with different sounds are not alike."""
    if a == b:
        return 1.0
    if not a or not b or a[0] != b[0]:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= threshold else 0.0


def _inflected(name: str, word: str) -> bool:
    """Whether folded ``word`` is folded ``name`` with a case ending, or ``name`` one of ``word``'s forms
    that English shortens («Кремль»: Kreml, Kremlin)."""
    short, long = sorted((name, word), key=len)
    return len(short) >= _MIN_STEM and long.startswith(short) and len(long) - len(short) <= _MAX_ENDING


def _same_name(name: str, word: str) -> bool:
    """Whether folded English ``name`` and folded transliterated ``word`` can be one name: alike as
    spelt, an inflected form of it, or alike in their consonants."""
    if _inflected(name, word) or _similar(name, word, LOOSE) >= LOOSE:
        return True
    a, b = _skeleton(name), _skeleton(word)
    if len(a) < _MIN_SKELETON or len(b) < _MIN_SKELETON:
        return False
    short, long = sorted((a, b), key=len)
    if long.startswith(short) and len(long) - len(short) <= 2:
        return True
    return _similar(a, b, SKELETON) >= SKELETON


def _adjective_stems(name: str) -> list[str]:
    """ "tibetan" -> "tibet": the stems an English adjective or demonym may share with the original's."""
    return [name[: -len(e)] for e in _ADJECTIVE_ENDINGS if name.endswith(e) and len(name) - len(e) >= 4]


@lru_cache(maxsize=65536)
def _spoken(word: str) -> tuple[str, ...]:
    """A word of the original transliterated as Russian and as Ukrainian, folded."""
    return tuple(dict.fromkeys(fold(transliterate(word, language)) for language in ("ru", "uk")))


class _English:
    """The English line's words, folded once for every comparison."""

    def __init__(self, text: str) -> None:
        self.text = text
        undotted = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)  # "U.S." is the word "US"
        self.words = [m.group() for m in _LATIN_WORD.finditer(undotted)]
        self.folded = [fold(w) for w in self.words]
        self.lower = {_POSSESSIVE.sub("", w.lower()) for w in self.words}

    def best(self, name: str) -> tuple[float, str]:
        """The English word most like folded ``name`` (an inflected form counts as one), and how alike."""
        best = (0.0, "")
        for word, folded in zip(self.words, self.folded, strict=True):
            score = 1.0 if _inflected(name, folded) and folded.startswith(name) else _similar(name, folded)
            if score > best[0]:
                best = (score, word)
        return best

    def has_exonym(self, entity: Entity) -> bool:
        """Whether an English word is the exonym or demonym of ``entity`` (``data/names_exonyms.tsv``)."""
        forms = [normalise(w) for w in _CYRILLIC_WORD.findall(f"{entity.normal} {entity.text}")]
        return any(_exonym_of(_POSSESSIVE.sub("", w), forms) for w in self.words)

    def has_initials(self, spelling: str) -> bool:
        """ "US" for United States: the initials of a name of several words, as an English word."""
        parts = spelling.split()
        initials = "".join(p[0] for p in parts if p[0].isupper())
        return len(parts) > 1 and any(w.startswith(initials) and w.isupper() for w in self.words)

    def has_word(self, word: str) -> bool:
        """Whether a word of the English starts with ``word`` ("brigade" in "brigade's", "brigades")."""
        word = word.lower()
        return any(w.startswith(word) for w in self.lower)


def check(pair: Pair) -> list[Finding]:
    """Entities of the original missing or misspelt in the English, and names the English invents."""
    entities = pair.entities if pair.entities is not None else find_entities(pair.source, pair.language)
    english = _English(pair.english)
    found = []
    for entity in _distinct(entities):
        detail = _check_entity(entity, english, pair.language)
        if detail:
            found.append(Finding("name", detail))
    for name in _invented(pair, entities):
        found.append(Finding("name", f'name "{name}" in the English is not in the original'))
    return found


def named_in(name: str, source: str, language: str) -> bool:
    """Whether English ``name`` is one of the entities of ``source`` (another line's original), by its
    English, its transliteration or its exonym: the bleed check's evidence that a name moved lines. Only
    the entities count, not every word as for an invented name: more text gives more chance likeness."""
    entities = find_entities(source, language)
    folded = fold(name)
    for entity in entities:
        forms = [normalise(w) for w in _CYRILLIC_WORD.findall(f"{entity.normal} {entity.text}")]
        if _exonym_of(name, forms):
            return True
        spellings = [w for w in re.split(r"[\s-]+", entity.english) if w]
        spellings += [s for w in forms if len(w) >= 3 for s in _spoken(w)]
        if any(_same_name(folded, fold(w)) for w in spellings):
            return True
    return False


def _distinct(entities: Iterable[Entity]) -> list[Entity]:
    """One entity per kind and dictionary form: «Бахмут» twice in a line is checked once."""
    seen: dict[tuple[str, str], Entity] = {}
    for entity in entities:
        seen.setdefault((entity.kind, entity.normal), entity)
    return list(seen.values())


def _check_entity(entity: Entity, english: _English, language: str) -> str:
    if entity.kind in ("place", "person") and english.has_exonym(entity):
        return ""  # "US" for «США», "Britain" for «Великобритания», "Jesus" for «Иисус»
    if entity.kind == "place":
        return _check_place(entity, english, language)
    if entity.kind == "person":
        return _check_person(entity, english, language)
    if entity.kind in ("unit", "rank") and entity.english:
        words = re.split(r"[\s-]+", entity.english)
        heads = [w for w in words if not _ORDINAL.match(w) and len(w) >= 3 and w.lower() not in _GLUE]
        if heads and not any(english.has_word(w) for w in heads):
            return f"{entity.kind} {entity.normal} is missing in the English (expected {entity.english})"
    return ""


def _check_place(entity: Entity, english: _English, language: str) -> str:
    """A gazetteer place must be spelt right; a place it does not list is only looked for loosely and
    never flagged, since English may well call it by another name («Пекин»: Beijing)."""
    listed = lookup(entity.normal) or lookup(entity.text)
    if not listed:
        return ""
    expected = listed[1].english
    spellings = {
        expected,
        transliterate(listed[1].russian.split(";")[0], "ru"),
        transliterate(listed[1].ukrainian.split(";")[0], "uk"),
    }
    closest = (0.0, "")
    for spelling in spellings:
        score = _phrase_score(spelling, english)
        if score[0] >= SAME or _demonym(spelling, english) or english.has_initials(spelling):
            return ""
        closest = max(closest, score)
    if closest[0] >= CLOSE:
        return f'place {entity.normal}: English has "{closest[1]}", expected {expected}'
    return f"place {entity.normal} is missing in the English (expected {expected})"


def _phrase_score(spelling: str, english: _English) -> tuple[float, str]:
    """How well the English holds every word of ``spelling``: the worst word's score, and the words."""
    words = [w for w in re.split(r"[\s-]+", spelling) if len(w) >= 3 and w.lower() not in _PLACE_WORDS]
    parts = [fold(w) for w in words] or [fold(spelling)]
    scores = [english.best(part) for part in parts]
    worst = min(s for s, _ in scores)
    return worst, " ".join(w for _, w in scores)


def _demonym(spelling: str, english: _English) -> bool:
    """ "Ukrainian" for «Украина», "Crimean" for «Крым»: an English word that starts like the place."""
    name = spelling.split()[0].lower()
    stem = name[: max(_MIN_STEM, len(name) - 2)]
    return len(name) >= _MIN_STEM and any(w.startswith(stem) and w != name for w in english.lower)


def _check_person(entity: Entity, english: _English, language: str) -> str:
    """A person's surname (the last word of the name) must be in the English in some transliteration."""
    surname = entity.normal.split()[-1] if entity.normal.split() else ""
    if not _PROPER.fullmatch(entity.normal) or len(surname) < _MIN_STEM:
        return ""  # natasha's person is sometimes a word stuck to another («туризмЭто») or a thing
    if surname.lower() in english.text.lower():
        return ""  # the English keeps it in Cyrillic: the surface check's to flag
    if not _name_like(transliterate(surname, "ru")):
        return ""  # a foreign name written back from Cyrillic (Chase, «Чейз») has too many spellings
    spoken = _spoken(normalise(surname))
    if any(_same_name(word, s) for word in english.folded for s in spoken):
        return ""
    latin = entity.english.split()[-1] if entity.english.split() else transliterate(surname, language)
    return f"person {surname} is missing in the English (expected {latin})"


def _invented(pair: Pair, entities: Sequence[Entity]) -> list[str]:
    """Capitalised English words that are not ordinary words and match nothing in the original."""
    source_words = [normalise(w) for w in _CYRILLIC_WORD.findall(pair.source)]
    spoken = [s for w in source_words if len(w) >= 3 for s in _spoken(w)]
    latin = pair.source.lower()
    known = [fold(w) for e in entities for w in re.split(r"[\s-]+", e.english) if w]
    invented: list[str] = []
    for m in _NAME_WORD.finditer(pair.english):
        word = _CONTRACTION.sub("", _POSSESSIVE.sub("", m.group()))
        if len(word) < 3 or not word[0].isupper() or not word[1:].islower() or word in invented:
            continue
        if (_is_ordinary(word) or not _name_like(word)) and not _lone_place(pair.english, m):
            continue
        if word.lower() in latin or _exonym_of(word, source_words):
            continue
        name = fold(word)
        candidates = [name, *_adjective_stems(name)]
        if any(_same_name(c, k) for c in candidates for k in [*known, *spoken]):
            continue
        invented.append(word)
    return invented
