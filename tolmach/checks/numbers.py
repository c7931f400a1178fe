"""Numbers: every number of the original must be in the English as the same value, and the other way round.

«восемьдесят пятой» is 85th, "eighty-fifth" or "85th"; «двадцать семь человек из ста двадцати» is 27 and
120; «полторы тысячи» is 1500, "1,500", "1.5 thousand" or "one and a half thousand"; «152-мм» is "152 mm";
«в 17:00» is "at 5 p.m.". A number is compared by value only, so a cardinal and an ordinal, digits and
words, meet. An English number the original does not have ("in 1985" for «85-ой бригады») is flagged
too, when it is in digits or a word of eleven and up ("thirteen" for «тридцати»): smaller English number
words are often the translator's ("two" for «оба», «пара», «вдвоём»; "one" as a pronoun).

What is never required, for precision on real human translations (a doubtful case is let through):
- a word that alone is too often not a number: «один», «одна» ("a", "alone", "the same"), «первый»,
  «второй», «перший», «другий» ("former", "top", "another"), «ноль», «десяток» ("about ten", "a dozen"),
  «семью» (7 or "family"). In a compound they count: «двадцать один», «одна тысяча». «раз» is not a
  number word at all ("once", "time");
- a number inside a word: «пятилетний», «двухэтажный», «стопроцентной» (they excuse "one-hundred");
- Roman numerals in the original («XX век»): they only excuse the English "20th";
- «COVID-19», which translators often write "COVID";
- in the English: "1" ("up to 1 year" for «до года»), ordinals and other words under eleven, "first",
  "second" (also a time unit), "once", "twice", "dozen", "half", "a decade", "thousands" alone: they
  match, they never flag.
What counts as the same: a decade «90-х» is "1990s", "'90s" or "the nineties"; «2019/20» is "2019-20" or
"2019-2020"; a time «17:30» is "5:30 p.m."; «в 17 часов» is "5 pm"; «10 тысяч» is "10,000", "10 thousand"
or "10" (the mantissa alone: a translator may keep the scale word elsewhere); «сутки» excuse "24 hours",
«полгода» "six months".

No library parses Russian or Ukrainian number words: pymorphy2 (installed with natasha) tags Russian
numerals but has no Ukrainian dictionary and gives no values, so the words are a hand-written table of
every case form (``data/numbers_words.tsv``) and this module composes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from tolmach.checks.base import Finding, Pair
from tolmach.text import normalise

Key = float | tuple[str, int, int]

# Ordinal stems («пят-») take these adjective endings. Only the hard ones: the soft «-ей», «-ем» would
# read «четвертей» (of quarters) as "fourth"; «третий» and «третій» are listed in full instead.
_ORDINAL_ENDINGS = {
    "ru": ("ый", "ой", "ая", "ое", "ые", "ого", "ому", "ым", "ом", "ую", "ых", "ыми", "ою"),
    "uk": ("ий", "а", "е", "і", "ого", "ому", "им", "ім", "ій", "у", "ою", "их", "ими", "ої"),
}

_TOKEN = re.compile(
    r"(?P<date>(?<![\d.])\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})(?![\d.]\d))"
    r"|(?P<time>(?<![\d.,:])(?:[01]?\d|2[0-4])[:.][0-5]\d(?![\d.,:]?\d))"
    r"|(?P<number>\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?![\d.,]?\d)|\d{1,3}(?:,\d{3})+(?![\d.,]?\d)"
    r"|\d+(?:[.,]\d+)?)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)"
)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
_ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# After a number: it is a time of day.
_CLOCK_EN = frozenset({"am", "pm", "a", "p", "o'clock", "hrs"})
_CLOCK_SOURCE = re.compile(r"^(?:час|ч$|годин)")
# Words of the original that a translator writes as a number: «сутки» "24 hours", «полгода» "six months".
_IMPLIED = (
    (re.compile(r"^(?:сут(?:ки|ок|кам|ками|ках|очн)|доб(?:а|у|и|і|ою|ов))"), 24.0),
    (re.compile(r"^(?:полчаса|получаса|півгодин)"), 30.0),
    (re.compile(r"^(?:полгода|полугод|півроку|піврічч)"), 6.0),
)
_AND_A_HALF = frozenset({("с", "половиной"), ("з", "половиною"), ("із", "половиною")})
# Glued to English digits: "$2m", "5bn", "150k".
_GLUED_SCALE_EN = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}


@dataclass(frozen=True)
class _Word:
    value: float
    kind: str  # cardinal, ordinal, scale, scales, fraction, extra (see the table's header)
    soft: bool  # alone, not a number worth requiring


@dataclass(frozen=True)
class _Token:
    kind: str  # date, time, number, word
    text: str  # normalised
    raw: str  # as written
    gap: str  # the text between the previous token and this one


@dataclass
class _Number:
    """One number of a text: what a reviewer is shown, and every value that counts as the same."""

    shown: str
    keys: set[Key] = field(default_factory=set)
    required: bool = True  # in the original: must be in the English; in the English: must be in the original


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, dict[str, tuple[_Word, ...]]]:
    """language -> word form -> what it can mean (most words one thing; "half" two)."""
    table: dict[str, dict[str, tuple[_Word, ...]]] = {"ru": {}, "uk": {}, "en": {}}
    text = resources.files("tolmach.checks").joinpath("data/numbers_words.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, value, kind, alone, forms = line.split("\t")
        word = _Word(float(value), kind, alone == "soft")
        for form in forms.split():
            expanded = [form[:-1] + e for e in _ORDINAL_ENDINGS[language]] if form.endswith("-") else [form]
            for f in expanded:
                table[language].setdefault(f, ())
                if word not in table[language][f]:
                    table[language][f] += (word,)
    return table


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    last = 0
    for m in _TOKEN.finditer(text.translate(_APOSTROPHES)):
        kind = m.lastgroup or "word"
        found.append(_Token(kind, normalise(m.group()), m.group(), text[last : m.start()]))
        last = m.end()
    return found


def _key(value: float) -> float:
    return float(f"{value:.9g}")


def _shown(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.9g}"


def _digits(token: _Token, english: bool) -> tuple[float, set[Key]]:
    """The value of a number written in digits, and the other readings a translator may have taken."""
    text = re.sub(r"[ \u00a0\u202f\u2009]", "", token.text)
    if english:
        return float(text.replace(",", "")), set()
    if "," in text:
        whole, part = text.split(",")
        other: set[Key] = {_key(float(whole + part))} if len(part) == 3 else set()  # «1,500» as 1500
        return float(f"{whole}.{part}"), other
    if "." in text:  # «17.30» in a Russian text is a time of day more often than a decimal
        whole, part = text.split(".")
        other = {("t", int(whole) % 12, int(part))} if len(part) == 2 and int(whole) <= 24 else set()
        return float(text), other
    return float(text), set()


def _decade(value: float) -> set[Key]:
    v = int(value)
    if value == v and v % 10 == 0 and (10 <= v <= 90 or 1800 <= v <= 2090):
        return {("decade", v % 100, 0)}
    return set()


class _Group:
    """A number being read word by word: «тысяча девятьсот сорок пятом», "one hundred and twenty"."""

    def __init__(self) -> None:
        self.total = 0.0  # the parts already multiplied by a scale of a thousand or more
        self.current = 0.0  # the part below the last such scale
        self.room = float("inf")  # the next cardinal must be below this
        self.last_scale = float("inf")
        self.count = 0  # words and numbers read
        self.soft = False  # a single word that alone is not required
        self.digits = False  # started with digits
        self.mantissa = 0.0  # the digits before a scale word: 10 of «10 тысяч»
        self.plural = False  # a plural scale alone: "thousands"
        self.done = False  # an ordinal or a fraction word ends a number

    @property
    def value(self) -> float:
        return self.total + self.current

    def take(self, word: _Word) -> bool:
        """Add ``word``; False when it cannot continue this number (the caller starts a new one)."""
        if self.done and not (word.kind in ("scale", "scales") and self.count == 1 and self.current == 1.5):
            return False
        v = word.value
        if word.kind in ("scale", "scales"):
            if v < 1000:  # hundred, dozen, сотня: multiply the part below the last big scale
                if self.count and self.current >= v:
                    return False
                self.current = (self.current or 1) * v
                self.room = 100 if v == 100 else 0
            else:
                if v >= self.last_scale:
                    return False
                if self.digits and self.count == 1:
                    self.mantissa = self.current
                self.total += (self.current or 1) * v
                self.current, self.last_scale, self.room = 0.0, v, v
            self.done = False
        elif word.kind == "fraction":
            if self.count:
                return False
            self.current, self.room, self.done = v, 0, True
        elif word.kind in ("cardinal", "ordinal"):
            if self.count and not v < self.room:
                return False
            self.current += v
            self.room = 100 if v >= 100 and v % 100 == 0 else 10 if v >= 20 and v % 10 == 0 else 0
            self.done = word.kind == "ordinal"
        else:
            return False
        self.soft = self.count == 0 and word.soft
        self.plural = self.count == 0 and word.kind == "scales"
        self.count += 1
        return True

    def start_digits(self, value: float) -> None:
        self.current, self.room, self.digits, self.count = value, 0, True, 1


def check(pair: Pair) -> list[Finding]:
    """A number of the original missing in the English, and a number in digits the English adds."""
    source = _Reader(pair.source, "uk" if pair.language == "uk" else "ru").read()
    english = _Reader(pair.english, "en").read()
    source_keys = set().union(*(n.keys for n in source))
    english_keys = set().union(*(n.keys for n in english))
    found: list[Finding] = []
    seen: set[str] = set()
    for n in source:
        if n.required and not n.keys & english_keys and n.shown not in seen:
            seen.add(n.shown)
            found.append(Finding("number", f"number {n.shown} in the original is missing in the English"))
    seen.clear()
    for n in english:
        if n.required and not n.keys & source_keys and n.shown not in seen:
            seen.add(n.shown)
            found.append(Finding("number", f"number {n.shown} in the English is not in the original"))
    return found


def _joins(token: _Token) -> bool:
    """Whether ``token`` may continue the number before it: after white space or a hyphen."""
    return token.gap.strip() in ("", "-", "‑")


class _Reader:
    """Reads the numbers of one text left to right, a word or a number at a time."""

    def __init__(self, text: str, language: str) -> None:
        self.english = language == "en"
        self.words = _lexicon()[language]
        self.tokens = _tokens(text)
        self.found: list[_Number] = []
        self.group: _Group | None = None  # the number being read
        self.keys: set[Key] = set()  # more keys for it

    def read(self) -> list[_Number]:
        i = 0
        while i < len(self.tokens):
            token = self.tokens[i]
            if self.group is not None and not _joins(token):
                self.close()
            if token.kind == "date":
                i = self.date(i)
            elif token.kind == "time":
                i = self.time(i)
            elif token.kind == "number":
                i = self.number(i)
            else:
                i = self.word(i)
        self.close()
        return self.found

    def close(self) -> None:
        group = self.group
        if group is not None and group.count:
            value = group.value
            keys: set[Key] = {_key(value)} | _decade(value) | self.keys
            if group.mantissa:
                keys.add(_key(group.mantissa))
            # An English "1" is often the translator's: "up to 1 year" for «до года».
            required = (
                (group.digits or value >= 11) and value != 1 and not group.soft and not group.plural
                if self.english
                else not group.soft
            )
            self.found.append(_Number(_shown(value), keys, required))
        self.group = None
        self.keys = set()

    def _at(self, i: int) -> _Token | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def date(self, i: int) -> int:
        self.close()
        day, month, year = (int(p) for p in self.tokens[i].text.split("."))
        self.found.append(_Number(str(day), {_key(day)}))
        self.found.append(_Number(str(month), {_key(month), ("month", month, 0)}, required=False))
        years: set[Key] = {_key(year), _key(2000 + year)} if year < 100 else {_key(year)}  # «25.07.20»
        self.found.append(_Number(str(year), years))
        return i + 1

    def time(self, i: int) -> int:
        """«17:30», "5:30": the same time on a 12-hour clock; «17.30» may also be a decimal."""
        self.close()
        token = self.tokens[i]
        hour, minute = (int(p) for p in re.split(r"[:.]", token.text))
        keys: set[Key] = {("t", hour % 12, minute)}
        if "." in token.text:
            keys.add(_key(float(token.text)))
        if self.english:  # "at 5:47 PM" for «в 17 часов 47 минут»
            keys |= {_key(hour), _key(hour % 12 or 12), _key(hour % 12 + 12), _key(minute)}
        self.found.append(_Number(token.raw, keys))
        return i + 1

    def number(self, i: int) -> int:
        self.close()
        token = self.tokens[i]
        value, other = _digits(token, self.english)
        self.group = _Group()
        self.group.start_digits(value)
        self.keys = other | self._around(i, value)
        after, then = self._at(i + 1), self._at(i + 2)
        before = self._at(i - 1)
        if before is not None and before.text in ("covid", "ковид", "ковід") and token.gap == "-":
            self.group.soft = True  # the disease's name, which translators often write "COVID"
        if (
            after is not None
            and after.raw == "1"
            and then is not None
            and then.raw == "2"
            and then.gap == "/"
        ):
            self.group.current += 0.5  # "2 1/2 million"
            return i + 3
        if self.english and after is not None and after.gap == "" and after.text in _GLUED_SCALE_EN:
            scale = _GLUED_SCALE_EN[after.text]
            self.group.mantissa, self.group.current, self.group.last_scale = value, value * scale, scale
            return i + 2
        return i + 1

    def _around(self, i: int, value: float) -> set[Key]:
        """What the words either side of a number in digits say of it: a decade, a time, a season's end."""
        token, before, after = self.tokens[i], self._at(i - 1), self._at(i + 1)
        keys: set[Key] = set()
        if after is not None and after.kind == "word":
            if self.english and after.gap in ("", "'") and after.text == "s":  # "1990s", "90's"
                keys |= {("decade", int(value) % 100, 0)}
            clock = after.text in _CLOCK_EN if self.english else _CLOCK_SOURCE.match(after.text)
            if clock and value == int(value) and value <= 24 and after.gap.strip() == "":
                keys.add(("t", int(value) % 12, 0))
        # «2019/20», "2021-22": the second number is a year of the first one's century
        if (
            before is not None
            and before.kind == "number"
            and token.gap.strip() in ("/", "-", "–", "—")
            and len(token.text) == 2
            and len(before.text) == 4
            and before.text[:2] in ("19", "20")
        ):
            keys.add(_key(float(before.text[:2] + token.text)))
        return keys

    def word(self, i: int) -> int:
        token, after, then = self.tokens[i], self._at(i + 1), self._at(i + 2)
        w = token.text
        group = self.group
        if group is not None and group.count:
            # "one hundred and twenty", "two and a half", «два с половиной»
            if self.english and w == "and" and after is not None:
                if after.text == "a" and then is not None and then.text == "half":
                    group.current += 0.5
                    return i + 3
                nxt = self.words.get(after.text)
                if nxt and nxt[0].kind == "cardinal" and nxt[0].value < group.room <= 1000:
                    return i + 1
            if not self.english and after is not None and (w, after.text) in _AND_A_HALF:
                group.current += 0.5
                return i + 2
        if self.english and w == "and" and (after and after.text, then and then.text) == ("a", "half"):
            self.close()  # "a year and a half"
            self.found.append(_Number("1.5", {1.5}, required=False))
            return i + 3
        if self.english and w in ("a", "an", "half") and after is not None:
            # "a hundred", "a dozen", "half a million"
            rest = after if w != "half" else then if after.text in ("a", "an") else None
            scale = self.words.get(rest.text) if rest is not None else None
            if scale and scale[0].kind == "scale":
                self.close()
                self.group = _Group()
                self.group.current = 1 if w != "half" else 0.5
                return i + 1 if w != "half" else i + 2
        entries = self.words.get(w)
        if not entries:
            self.close()
            self._other_word(token)
            return i + 1
        first = entries[0]
        if first.kind == "extra":
            self.close()
            keys: set[Key] = _decade(first.value)  # "the nineties"
            keys |= {_key(e.value) for e in entries}
            self.found.append(_Number(_shown(first.value), keys, required=False))
            return i + 1
        if self.group is None or not self.group.take(first):
            self.close()
            self.group = _Group()
            self.group.take(first)
        self.keys |= {_key(e.value) for e in entries[1:]}
        return i + 1

    def _other_word(self, token: _Token) -> None:
        """A word that is not a number word but names one: a Roman numeral, an English month, noon."""
        raw = token.raw
        if self.english:
            if len(raw) >= 2 and set(raw) <= set("IVX") and _ROMAN.match(raw):
                self.found.append(_Number(raw, {_key(_roman(raw))}, required=False))
            elif token.text in _MONTHS:
                month = _MONTHS.index(token.text) + 1
                self.found.append(_Number(token.text, {("month", month, 0)}, required=False))
            elif token.text in ("noon", "midday", "midnight"):
                self.found.append(_Number(token.text, {("t", 0, 0)}, required=False))
            return
        for pattern, value in _IMPLIED:
            if pattern.match(token.text):
                self.found.append(_Number(_shown(value), {value}, required=False))
                return
        for end in range(len(token.text) - 3, 2, -1):  # «стопроцентной» "one-hundred percent"
            entries = self.words.get(token.text[:end])
            if entries and entries[0].value >= 11:
                self.found.append(_Number(_shown(entries[0].value), {_key(entries[0].value)}, required=False))
                return
        roman = raw.replace("Х", "X").replace("І", "I")
        if set(roman) <= set("IVXLC") and raw != "І" and _ROMAN.match(roman):
            self.found.append(_Number(raw, {_key(_roman(roman))}, required=False))


def _roman(text: str) -> int:
    total = 0
    for a, b in zip(text, text[1:] + " ", strict=True):
        v = _ROMAN_VALUES[a]
        total += -v if b != " " and _ROMAN_VALUES[b] > v else v
    return total
