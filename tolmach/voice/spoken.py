"""Written English to the words a voice should say: dates, numbers, units and abbreviations.

A TTS voice reads "24.02.2022" as "twenty-four point zero two point..." and "e.g." as "e g". News text
is full of both, so before synthesis they are spelled out the way a newsreader says them:
"24.02.2022" -> "the twenty-fourth of February twenty twenty-two", "3,000 km" -> "three thousand
kilometres", "No. 5" -> "number five". Numbers are spelled out here rather than left to the voice so
that every voice (piper, espeak-ng) reads them alike and the tests can check the words exactly.

Written by hand because no installed library covers dates, units and abbreviations together; the
rules are few, ordered, and each has a test. Only the spoken form changes: subtitles and the narration's
SRT keep the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_ENDINGS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip

# Case-sensitive, whole tokens. "No." is "number" only before a digit (see _RULES).
ABBREVIATIONS = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "approx.": "approximately",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Dr.": "Doctor",
    "Gen.": "General",
    "Col.": "Colonel",
    "Lt.": "Lieutenant",
    "Sgt.": "Sergeant",
    "Capt.": "Captain",
    "a.m.": "A M",
    "p.m.": "P M",
}
# unit -> (singular, plural); only after a number
UNITS = {
    "km/h": ("kilometre per hour", "kilometres per hour"),
    "km": ("kilometre", "kilometres"),
    "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"),
    "m": ("metre", "metres"),
    "kg": ("kilogram", "kilograms"),
    "mph": ("mile per hour", "miles per hour"),
    "ft": ("foot", "feet"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "%": ("percent", "percent"),
}
CURRENCIES = {
    "$": ("dollar", "dollars"),
    "€": ("euro", "euros"),
    "£": ("pound", "pounds"),
    "₽": ("rouble", "roubles"),
    "₴": ("hryvnia", "hryvnias"),
}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"


def number_words(n: int) -> str:
    """``n`` in words, British style: 3000 -> "three thousand", 125 -> "one hundred and twenty-five"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    for scale, word in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            joiner = " and " if 0 < rest < 100 else " "
            return f"{number_words(high)} {word}" + (joiner + number_words(rest) if rest else "")
    raise AssertionError("unreachable")


def ordinal_words(n: int) -> str:
    """24 -> "twenty-fourth", 1 -> "first", 100 -> "one hundredth"."""
    words = number_words(n)
    head, sep, last = words.rpartition("-") if "-" in words.split()[-1] else words.rpartition(" ")
    if last in _ORDINAL_ENDINGS:
        last = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def year_words(n: int) -> str:
    """A year as said aloud: 1984 -> "nineteen eighty-four", 2005 -> "two thousand and five"."""
    if not 1100 <= n <= 2099 or 2000 <= n <= 2009:
        return number_words(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{number_words(high)} hundred"
    return f"{number_words(high)} " + (f"oh {_ONES[low]}" if low < 10 else number_words(low))


def decimal_words(text: str) -> str:
    """A written number, "3,000" or "3.5" or "2022", in words ("3.5" -> "three point five")."""
    plain = text.replace(",", "")
    whole, _, fraction = plain.partition(".")
    if not fraction and "," not in text and len(whole) == 4 and not whole.startswith("0"):
        return year_words(int(whole))
    words = number_words(int(whole))
    return words + (" point " + " ".join(_ONES[int(d)] for d in fraction) if fraction else "")


def _plural(number: str) -> bool:
    return number.replace(",", "") not in ("1", "1.0")


def _date(day: int, month: int, year: int | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    spoken = f"the {ordinal_words(day)} of {MONTHS[month - 1]}"
    return f"{spoken} {year_words(year)}" if year is not None else spoken


def _sub_date(m: re.Match[str]) -> str:
    day, month, year = (int(m[k]) for k in ("d", "m", "y"))
    return _date(day, month, year) or m[0]


def _sub_day_month(m: re.Match[str]) -> str:
    spoken = _date(int(m["d"]), MONTHS.index(m["month"]) + 1, None)
    return spoken or m[0]


def _sub_month_day(m: re.Match[str]) -> str:
    return f"{m['month']} the {ordinal_words(int(m['d']))}"


def _sub_unit(m: re.Match[str]) -> str:
    singular, plural = UNITS[m["unit"]]
    return f"{decimal_words(m['n'])} {plural if _plural(m['n']) else singular}"


def _sub_currency(m: re.Match[str]) -> str:
    singular, plural = CURRENCIES[m["cur"]]
    scale = f" {m['scale']}" if m["scale"] else ""
    return f"{decimal_words(m['n'])}{scale} {plural if scale or _plural(m['n']) else singular}"


def _sub_time(m: re.Match[str]) -> str:
    hours, minutes = int(m["h"]), int(m["min"])
    if minutes == 0:
        return f"{number_words(hours)} hundred" if hours >= 10 else f"{number_words(hours)} o'clock"
    return f"{number_words(hours)} " + (f"oh {_ONES[minutes]}" if minutes < 10 else number_words(minutes))


_MONTH = "|".join(MONTHS)
_ABBREVIATION = "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_CURRENCY = "|".join(re.escape(c) for c in CURRENCIES)

# Order matters: dates before times and numbers, units and currencies before bare numbers.
_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?<![\w.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?![\w.]\w)"), _sub_date),
    (re.compile(r"(?<![\w-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\w-])"), _sub_date),
    (re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\b"), _sub_day_month),
    (re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)"), _sub_month_day),
    (re.compile(r"(?<=\d)\s*[–—-]\s*(?=\d)"), " to "),  # a range: 2014-2022, 5–10 km
    (re.compile(r"\s+[–—]\s+"), ", "),  # a dash between clauses is a pause
    (re.compile(rf"(?<![\w.])(?:{_ABBREVIATION})(?!\w)"), lambda m: ABBREVIATIONS[m[0]]),
    (re.compile(r"\bNo\.\s*(?=\d)"), "number "),
    (re.compile(r"\bNos\.\s*(?=\d)"), "numbers "),
    (re.compile(r"(?<![\d:])(?P<h>[01]?\d|2[0-3]):(?P<min>[0-5]\d)(?![\d:])"), _sub_time),
    (
        re.compile(rf"(?P<cur>{_CURRENCY})\s?(?P<n>{_NUMBER})(?:\s(?P<scale>thousand|million|billion))?\b"),
        _sub_currency,
    ),
    (re.compile(rf"(?<![\w.,])(?P<n>{_NUMBER})\s?(?P<unit>{_UNIT})(?![\w/])"), _sub_unit),
    (re.compile(r"\b(?P<n>\d+)(?:st|nd|rd|th)\b"), lambda m: ordinal_words(int(m["n"]))),
    (re.compile(rf"(?<![\w.,])(?P<n>{_NUMBER})(?![\w]|[.,]\d)"), lambda m: decimal_words(m["n"])),
    (re.compile(r"\s&\s"), " and "),
)


def speakable(text: str) -> str:
    """``text`` with dates, numbers, units and abbreviations spelled out, whitespace collapsed."""
    text = " ".join(text.split())
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
