"""The line checks against injected errors: recall per kind, and false flags on real human translations.

    python bench/checks.py [--limit N] [--show-false N] [--show-missed N]

A mutation benchmark (issue 14). The reference pairs are WMT22 general ru-en and uk-en (all lines) and
FLORES-200 devtest lines 0-499 (rus_Cyrl and ukr_Cyrl beside eng_Latn), from ../shared/bench-data/text;
``--limit N`` takes N lines of each set, evenly spaced, so the sample is the same on every run. Each pair
keeps its corpus neighbours (``Pair.previous`` / ``Pair.following``: the untouched lines either side) and
the entities ``tolmach.entities.find_entities`` finds in its original, once per line, as the pipeline
passes them. Every reference is checked untouched (any finding there is a false flag: these are human
translations), then once per kind of error that applies to it, with one error injected into its English:

- negation: every negation of the English removed when the original negates (``not``, ``n't``, ``never``,
  ``no``, ``nothing``, ``without`` ...), or ``not`` added after the first auxiliary (``do not`` after a
  pronoun) when neither negates, so that the mutant is a real disagreement with the original;
- number: one number of the English (digits, else a number word) changed to a value the line does not have;
- name: a place or person of the original, found in the English, swapped for another real one (the
  gazetteer's places, ``PEOPLE``);
- omission: a clause of at least a third of the line dropped, at ", " "; " " and " " but " " which ";
- bleed: the next line's English appended;
- untranslated: the English left in the original's language (the original itself).

Recall of a kind is the share of its mutants flagged with that kind; time is check_pair's, per line, on the
references and the mutants together (finding the entities is the caller's and is not counted). Writes
nothing; the output is pasted into bench/results/checks.txt.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import cache
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA
from tolmach.checks import Finding, Pair, check_pair
from tolmach.entities import find_entities
from tolmach.entities.places import gazetteer
from tolmach.entities.rules import word_set
from tolmach.records import Entity

FLORES = "flores200_devtest"
FLORES_LINES = 500  # devtest lines 0-499 are measured here; 500-1011 are the checks' calibration set
SETS = (  # (name, language, original, reference), all under DATA/text
    (
        "wmt22 ru-en",
        "ru",
        "wmt22_general_ru-en/generaltest2022.ru-en.src.ru",
        "wmt22_general_ru-en/generaltest2022.ru-en.ref.A.en",
    ),
    ("flores200 ru-en", "ru", f"{FLORES}/rus_Cyrl.devtest", f"{FLORES}/eng_Latn.devtest"),
    (
        "wmt22 uk-en",
        "uk",
        "wmt22_general_uk-en/generaltest2022.uk-en.src.uk",
        "wmt22_general_uk-en/generaltest2022.uk-en.ref.A.en",
    ),
    ("flores200 uk-en", "uk", f"{FLORES}/ukr_Cyrl.devtest", f"{FLORES}/eng_Latn.devtest"),
)
MUTATIONS = ("negation", "number", "name", "omission", "bleed", "untranslated")

# Real people a testimony or the news names, as the English-language press spells them: the swaps for a
# person of the original. No two share a surname, so a swap always changes the name.
_PEOPLE = (
    "Volodymyr Zelensky, Vladimir Putin, Sergei Lavrov, Dmitry Peskov, Sergei Shoigu, Valery Gerasimov,"
    " Ramzan Kadyrov, Alexei Navalny, Mikhail Gorbachev, Boris Yeltsin, Alexander Lukashenko,"
    " Petro Poroshenko, Yulia Tymoshenko, Dmytro Kuleba, Valerii Zaluzhnyi, Kyrylo Budanov, Vitali Klitschko,"
    " Maria Zakharova, Angela Merkel, Emmanuel Macron, Olaf Scholz, Joe Biden"
)
PEOPLE = tuple(_PEOPLE.split(", "))

CYRILLIC = re.compile(r"[\u0400-\u04ff]")


# -- negation --------------------------------------------------------------------------------------------

_APOSTROPHE = "['’]"
# what a negation becomes when it is removed; "" deletes the word with the space after it
_UNNEGATED = {
    **{
        f"{aux}n't": base
        for aux, _, base in (
            word.partition(":")
            for word in word_set(
                "do:do does:does did:did is:is are:are was:was were:were have:have has:has had:had"
                " wo:will would:would ca:can could:could should:should must:must need:need might:might"
                " sha:shall ai:is"
            )
        )
    },
    "cannot": "can",
    "no longer": "still",
    "no one": "someone",
    "nobody": "somebody",
    "nothing": "something",
    "nowhere": "somewhere",
    "none": "some",
    "neither": "either",
    "nor": "or",
    "without": "with",
    "not": "",
    "never": "",
    "no": "",
}
_NEGATION = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(k).replace("'", _APOSTROPHE).replace(r"\ ", " ") for k in sorted(_UNNEGATED, key=len)[::-1]
    )
    + r")\b(,? ?)",
    re.IGNORECASE,
)
_IDIOMS = re.compile(r"\bnot only\b|\bor not\b|\bif not\b|\bno doubt\b|\bnothing but\b", re.IGNORECASE)
_AUXILIARY = re.compile(
    r"(?<!\b[Aa] )(?<!\b[Tt]he )\b(is|are|was|were|am|will|would|can|could|should|must|may|might|shall|"
    r"has|have|had|does|did)\b(?!['’])"
)
_PRONOUN_VERB = re.compile(r"\b(I|[Ww]e|[Yy]ou|[Tt]hey|[Hh]e|[Ss]he|[Ii]t) ([a-z]+)\b")
_NOT_VERBS = word_set(
    "also all both just still only then now too never really often always usually even already "
    "to and or but a an the in on at of for with"
)
SOURCE_NEGATION = re.compile(
    r"(?<!\w)(?:не|ни|нет|никогда|никто|ничто|ничего|никого|никому|ничем|нигде|никуда|никак|нельзя|без|"
    r"ніхто|ніколи|нічого|нікого|ніде|нікуди|ніяк|немає|нема|ні)(?!\w)",
    re.IGNORECASE,
)


def _negated(english: str) -> bool:
    return _NEGATION.search(english) is not None


def _unnegate(match: re.Match[str]) -> str:
    word = match.group(0)[: len(match.group(0)) - len(match.group(1))]
    key = re.sub(_APOSTROPHE, "'", word.lower())
    base = _UNNEGATED[key]
    if not base:
        return ""  # with the comma after it: "No, I can't." -> "I can."
    return (base[0].upper() + base[1:] if word[0].isupper() else base) + match.group(1)


def _base_verb(verb: str, third_person: bool) -> str:
    """A rough base form, "stopped" -> "stop", "carried" -> "carry", "goes" -> "go": grammar roughly kept."""
    if verb.endswith("ied"):
        return verb[:-3] + "y"
    if verb.endswith("ed"):
        stem = verb[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]  # stopped
        return stem + "e" if re.search(r"[cvzu]$|[aeiou]s$", stem) else stem  # noticed, closed
    if third_person and verb.endswith("ies"):
        return verb[:-3] + "y"
    if third_person and re.search(r"(ch|sh|ss|x|o)es$", verb):
        return verb[:-2]
    return verb[:-1] if third_person and verb.endswith("s") else verb


def _add_negation(english: str) -> str | None:
    aux = _AUXILIARY.search(english)
    if aux:
        word = aux.group(1)
        negated = "cannot" if word == "can" else f"{word} not"
        return english[: aux.start()] + negated + english[aux.end() :]
    for m in _PRONOUN_VERB.finditer(english):
        pronoun, verb = m.group(1), m.group(2)
        if verb in _NOT_VERBS or verb.endswith("ly"):
            continue
        third = pronoun.lower() in ("he", "she", "it")
        if verb.endswith("ed"):
            do = "did"
        elif third and verb.endswith("s"):
            do = "does"
        elif not third:
            do = "do"
        else:
            continue
        return f"{english[: m.start(2)]}{do} not {_base_verb(verb, third)}{english[m.end(2) :]}"
    return None


def negation(english: str, source: str) -> str | None:
    """The English with its polarity flipped against an original that keeps it; None: does not apply.

    An English that negates loses every negation, when the original negates too; one that does not gets
    ``not``, when the original does not negate either. Idioms whose ``not`` is no negation ("not only",
    "whether or not") leave the line out.
    """
    if _IDIOMS.search(english):
        return None
    source_negates = SOURCE_NEGATION.search(source) is not None
    if not _negated(english):
        return None if source_negates else _add_negation(english)
    if not source_negates:
        return None
    mutated = _NEGATION.sub(_unnegate, english)
    if not re.search(r"[A-Za-z]", mutated):
        return None
    if english[:1].isupper() and mutated[:1].islower():
        mutated = mutated[0].upper() + mutated[1:]
    return mutated


# -- numbers ---------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\d.,])\d+(?:\.\d+)?(?!\d)")
_NUMBER_WORDS = dict(
    pair.split(":")
    for pair in word_set(
        "two:three three:four four:five five:six six:seven seven:eight eight:nine nine:ten ten:eleven "
        "eleven:twelve twelve:thirteen thirteen:fourteen fourteen:fifteen fifteen:sixteen sixteen:seventeen "
        "seventeen:eighteen eighteen:nineteen nineteen:twenty twenty:thirty thirty:forty forty:fifty "
        "fifty:sixty sixty:seventy seventy:eighty eighty:ninety ninety:twenty hundred:thousand "
        "thousand:million million:billion billion:million hundreds:thousands thousands:millions "
        "millions:billions third:fourth fourth:fifth fifth:sixth sixth:seventh seventh:eighth eighth:ninth "
        "ninth:tenth tenth:eleventh"
    )
)
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def number(english: str, source: str = "") -> str | None:
    """The English with one number changed to a value neither line has; None: it has no number.

    Digits first, not those of a name (COVID-19): the last digit of a value the English writes once goes
    up by one (down from 9: "2019" -> "2018", "85" -> "86", "1,200" -> "1,201"), or down by one where the
    original or the English already has that value. Without digits, a number word the English has once
    moves on ("two" -> "three").
    """
    present = set(_DIGITS.findall(english)) | set(_DIGITS.findall(source))
    for m in _DIGITS.finditer(english):
        value = m.group(0)
        if _DIGITS.findall(english).count(value) > 1 or re.search(r"[A-Za-z]-?$", english[: m.start()]):
            continue  # a value written twice, or part of a name: COVID-19, G7, Su-25
        last = int(value[-1])
        for digit in (last + 1, last - 1) if last < 9 else (8,):
            changed = value[:-1] + str(digit)
            if changed not in present:
                return english[: m.start()] + changed + english[m.end() :]
    for m in _NUMBER_WORD.finditer(english):
        word = m.group(1)
        new = _NUMBER_WORDS[word.lower()]
        if (
            re.search(rf"\b{new}\b", english, re.IGNORECASE)
            or len(re.findall(rf"\b{word}\b", english, re.IGNORECASE)) > 1
        ):
            continue  # "ninth ... tenth", "three ... Three": the English would still have the value
        new = new[0].upper() + new[1:] if word[0].isupper() else new
        return english[: m.start()] + new + english[m.end() :]
    return None


# -- names -----------------------------------------------------------------------------------------------

_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z-]+")
CLOSE = 0.8  # how alike (difflib's ratio) an English spelling must be to an entity's English to be it


def _spans(english: str, size: int) -> Iterable[tuple[int, int]]:
    """Runs of ``size`` capitalised words in a row, one space apart."""
    words = [m.span() for m in _CAPITALISED.finditer(english)]
    for i in range(len(words) - size + 1):
        run = words[i : i + size]
        if all(english[a[1] : b[0]] == " " for a, b in pairwise(run)):
            yield run[0][0], run[-1][1]


def find_name(english: str, name: str, *, surname: bool = False) -> tuple[int, int] | None:
    """Where the English writes ``name`` (or a spelling close to it; its last word alone for a person)."""
    exact = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", english)
    if exact:
        return exact.span()
    wanted = [(name, len(name.split()))]
    if surname and " " in name:
        wanted.append((name.split()[-1], 1))
    for target, size in wanted:
        for a, b in _spans(english, size):
            written, spelling = english[a:b].lower(), target.lower()
            if written.startswith(spelling) and written != spelling:
                continue  # "Russian" is not the place Russia
            if SequenceMatcher(None, written, spelling).ratio() >= CLOSE:
                return a, b
    return None


@cache
def _places() -> tuple[str, ...]:
    return tuple(dict.fromkeys(place.english for place in gazetteer()))


def _swap(english: str, span: tuple[int, int], choices: Sequence[str], taken: Iterable[str]) -> str:
    """``english`` with ``span`` replaced by one of ``choices`` that neither line names, picked by hash."""
    avoid = {word.lower() for name in taken for word in name.split()}
    avoid |= {word.lower() for word in re.findall(r"[A-Za-z]+", english)}
    fits = [c for c in choices if not {w.lower() for w in c.split()} & avoid]
    pick = fits[zlib.crc32(english.encode()) % len(fits)]
    return english[: span[0]] + pick + english[span[1] :]


def name(english: str, entities: Sequence[Entity]) -> str | None:
    """The English with the first place or person of the original that it names swapped for another.

    A place becomes another place of the gazetteer; a person another of ``PEOPLE`` (the surname alone
    when the English gives only the surname). None: the English names none of the original's entities.
    """
    taken = [e.english for e in entities if e.english]
    for entity in entities:
        if entity.kind not in ("place", "person") or not entity.english:
            continue
        span = find_name(english, entity.english, surname=entity.kind == "person")
        if span is None:
            continue
        if entity.kind == "place":
            return _swap(english, span, _places(), taken)
        alone = " " not in english[span[0] : span[1]]
        people = [p.split()[-1] for p in PEOPLE] if alone else list(PEOPLE)
        return _swap(english, span, people, taken)
    return None


# -- omission, bleed, untranslated -------------------------------------------------------------------------

_CLAUSE = re.compile(r", |; | and | but | which ")
_CLOSING = re.compile(r"[.!?…\"'»”’)\]]*$")
_SUBORDINATE = word_set(
    "when if although though after before because while since as unless once until whenever whereas"
)


def omission(english: str) -> str | None:
    """The English with a clause of at least a third of it dropped; None: no such clause.

    A line that opens with a subordinate clause ("When the shelling began, we left") loses that clause;
    any other loses its end from the last ", " "; " " and " " but " " which " that leaves out a third,
    keeping its closing punctuation. What is kept must have three words.
    """
    closing = _CLOSING.search(english.rstrip())
    body = english.rstrip()[: closing.start()] if closing else english.rstrip()
    tail = closing.group(0) if closing else ""
    words = body.split()
    if words and words[0].lower().strip(",") in _SUBORDINATE and ", " in body:
        cut = body.index(", ") + 2
        kept = body[cut:]
        if cut >= len(body) / 3 and len(kept.split()) >= 3:
            return kept[0].upper() + kept[1:] + tail
    for m in reversed(list(_CLAUSE.finditer(body))):
        kept = body[: m.start()]
        if len(body) - m.start() >= len(body) / 3 and len(kept.split()) >= 3:
            return kept + tail
    return None


def bleed(english: str, following: str | None) -> str | None:
    """The English with the next line's English after it; None: the last line of its set."""
    if not following or not following.strip():
        return None
    return f"{english.rstrip()} {following.strip()}"


def untranslated(source: str) -> str | None:
    """The original given as the English; None when it has no Cyrillic to be left untranslated."""
    return source if CYRILLIC.search(source) else None


def mutants(pair: Pair) -> dict[str, str]:
    """One mutant English per kind of error that applies to ``pair``."""
    made = {
        "negation": negation(pair.english, pair.source),
        "number": number(pair.english, pair.source),
        "name": name(pair.english, pair.entities or ()),
        "omission": omission(pair.english),
        "bleed": bleed(pair.english, pair.following[1] if pair.following else None),
        "untranslated": untranslated(pair.source),
    }
    return {kind: text for kind, text in made.items() if text is not None and text != pair.english}


# -- the benchmark ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Figures of one set, one language or all of them."""

    references: int = 0
    flagged: int = 0  # references with any finding
    false_kinds: Counter[str] = field(default_factory=Counter)  # references with a finding of that kind
    made: Counter[str] = field(default_factory=Counter)  # mutants of each kind
    caught: Counter[str] = field(default_factory=Counter)  # of those, flagged with their kind
    already: Counter[str] = field(default_factory=Counter)  # caught, but the reference had that kind too
    seconds: float = 0.0
    calls: int = 0


@dataclass(frozen=True)
class Example:
    set: str
    line: int
    pair: Pair
    findings: tuple[Finding, ...]


def read_pairs(
    original: str, reference: str, language: str, limit: int | None, cap: int | None
) -> list[tuple[int, Pair]]:
    """The pairs by line number (``limit`` evenly spaced ones when given), with neighbours and entities."""
    src = (DATA / "text" / original).read_text(encoding="utf-8").splitlines()
    ref = (DATA / "text" / reference).read_text(encoding="utf-8").splitlines()
    lines = min(len(src), cap or len(src))
    chosen = range(lines) if not limit or limit >= lines else [i * lines // limit for i in range(limit)]
    return [
        (
            i,
            Pair(
                src[i],
                ref[i],
                language,
                entities=_entities(src[i], language),
                previous=(src[i - 1], ref[i - 1]) if i > 0 else None,
                following=(src[i + 1], ref[i + 1]) if i + 1 < len(src) else None,
            ),
        )
        for i in chosen
    ]


@cache
def _entities(source: str, language: str) -> tuple[Entity, ...]:
    return find_entities(source, language)


def _timed(tally: Sequence[Tally], pair: Pair) -> tuple[Finding, ...]:
    clock = time.perf_counter()
    found = check_pair(pair)
    took = time.perf_counter() - clock
    for t in tally:
        t.seconds += took
        t.calls += 1
    return found


def run_set(
    pairs: Sequence[tuple[int, Pair]], name: str, tallies: Sequence[Tally]
) -> tuple[list[Example], list[Example]]:
    """Checks every reference and its mutants, adding to ``tallies``; the false flags and missed mutants."""
    false: list[Example] = []
    missed: list[Example] = []
    for line, pair in pairs:
        found = _timed(tallies, pair)
        kinds = {f.kind for f in found}
        for t in tallies:
            t.references += 1
            t.flagged += bool(found)
            t.false_kinds.update(kinds)
        if found:
            false.append(Example(name, line, pair, found))
        for kind, english in mutants(pair).items():
            mutant = replace(pair, english=english)
            got = _timed(tallies, mutant)
            hit = any(f.kind == kind for f in got)
            for t in tallies:
                t.made[kind] += 1
                t.caught[kind] += hit
                t.already[kind] += hit and kind in kinds
            if not hit:
                missed.append(Example(f"{name} {kind}", line, mutant, got))
    return false, missed


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def report(tallies: dict[str, Tally]) -> None:
    print("\nrecall: share of the mutants flagged with their kind (mutants made)")
    print(f"{'':18}" + "".join(f"{k:>17}" for k in MUTATIONS))
    for label, t in tallies.items():
        cells = "".join(f" {_share(t.caught[k], t.made[k]):>8} ({t.made[k]:>5})" for k in MUTATIONS)
        print(f"{label:18}{cells}")
    total = tallies["all"]
    inflated = ", ".join(f"{k} {total.already[k]}" for k in MUTATIONS if total.already[k])
    print(f"(of the caught mutants, the reference already had that kind: {inflated or 'none'})")
    print("\nfalse flags on the untouched references (lines with any finding; by kind, lines)")
    print(f"{'':18}{'lines':>7}{'flagged':>9}{'rate':>8}  kinds")
    for label, t in tallies.items():
        kinds = ", ".join(f"{k} {n}" for k, n in t.false_kinds.most_common())
        print(
            f"{label:18}{t.references:7d}{t.flagged:9d}{_share(t.flagged, t.references):>8}  {kinds or '-'}"
        )
    print(
        f"\ntime: check_pair {total.seconds / max(total.calls, 1) * 1e6:.0f} µs a line"
        f" ({total.calls} lines: references and mutants; entities found beforehand, not counted)"
    )


def show(
    title: str, examples: Sequence[Example], per_kind: int, kind_of: Callable[[Example], set[str]]
) -> None:
    """Up to ``per_kind`` examples of each kind, spread over the sets."""
    kinds = sorted({k for e in examples for k in kind_of(e)})
    for kind in kinds:
        of_kind = [e for e in examples if kind in kind_of(e)]
        step = max(len(of_kind) // per_kind, 1)
        print(f"\n{title} {kind}: {len(of_kind)} lines, {min(per_kind, len(of_kind))} shown")
        for e in of_kind[::step][:per_kind]:
            print(f"  [{e.set} #{e.line}] {e.pair.source}")
            print(f"    EN: {e.pair.english}")
            for f in e.findings:
                print(f"    -> [{f.kind}] {f.detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="lines of each set, evenly spaced (0: all)")
    parser.add_argument("--show-false", type=int, default=0, metavar="N", help="N false flags of each kind")
    parser.add_argument("--show-missed", type=int, default=0, metavar="N", help="N missed mutants a kind")
    args = parser.parse_args()
    tallies: dict[str, Tally] = {}
    false: list[Example] = []
    missed: list[Example] = []
    clock = time.perf_counter()
    for name_, language, original, reference in SETS:
        cap = FLORES_LINES if original.startswith(FLORES) else None
        pairs = read_pairs(original, reference, language, args.limit or None, cap)
        targets = [tallies.setdefault(k, Tally()) for k in (name_, language, "all")]
        found, lost = run_set(pairs, name_, targets)
        false += found
        missed += lost
    order = [n for n, *_ in SETS] + ["ru", "uk", "all"]
    print(
        f"checks: mutation benchmark of tolmach.checks.check_pair; WMT22 general (all lines) and FLORES-200"
        f" devtest 0-{FLORES_LINES - 1}{f', {args.limit} lines a set' if args.limit else ''};"
        f" {time.perf_counter() - clock:.0f} s with the entities"
    )
    report({k: tallies[k] for k in order})
    if args.show_false:
        show("false flags:", false, args.show_false, lambda e: {f.kind for f in e.findings})
    if args.show_missed:
        show("missed:", missed, args.show_missed, lambda e: {e.set.rsplit(" ", 1)[1]})


if __name__ == "__main__":
    main()
