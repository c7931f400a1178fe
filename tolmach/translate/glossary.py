"""The glossary of war slang and military terms, Russian and Ukrainian to English, and how it is applied.

Human translators in this field keep the speaker's term or render it the way the field does ("mobik",
"cargo 200", "AFU") and explain it in square brackets on its first use; that is what ``Glossary.apply``
does to a clip's machine translation. The conventions, for users and for the docs:

* A term is found in a segment's original text by its **forms** (``term`` column, ``|``-separated):
  each word matches by stem in the clip's language, so «мобиков» meets «мобик» and «двохсоті» meets
  «двохсотий»; a form of several words matches consecutive words («груз 200», also written «груз-200»).
  **Abbreviations** (all capitals, at most four letters: БК, ВСУ, ДРГ) match exactly, case-sensitive and
  as whole words, never by stem. A one-word form whose stem is shorter than four letters («арта», «орк»)
  matches only as written, so list its inflected forms. List Russian forms first, Ukrainian after.
* Only a term's **first use** in a clip is glossed: the first segment whose text holds a form.
* In that segment's English, the first place that renders the term is found: its ``english`` form or
  what its ``match`` regex accepts (case-insensitive, whole words, British or American spelling).
  After the ``english`` form the gloss goes in brackets: "The mobiks [mobilised soldiers] were sent".
  After another rendering, the field's term goes in too: "mobilized men [mobiks: mobilised soldiers]";
  only the term when the gloss would repeat the words: "special forces [spetsnaz]", "art [artillery]".
  Nothing is inserted when the English already uses a plain rendering ("artillery", "air defense") or
  holds the gloss itself ("Armed Forces of Ukraine").
* ``english`` and ``gloss`` may be written "singular|plural" ("mobik|mobiks"): a plural rendering gets
  the plural, decided by the words found ("mobiks", "mobilized men").
* When the English renders the term nowhere, it is left alone and a translator's note is added to the
  segment's ``notes``: "мобик (mobik): mobilised soldier, derogatory slang".
* A term whose ``note`` says it is **also** an everyday word («выход»: also 'exit'; «Град»: also hail)
  never changes the English; it gets a note, which says so, and the reader decides. It is taken as the
  term only in a military context: its segment or the one before or after holds another term that is
  not an everyday word, or a word of war (``matching.MILITARY_CUES``: снаряд, обстрел, позиция ...);
  and never where the words after it show the everyday sense («выход из конференции», «вихід з чату»:
  ``matching.EVERYDAY_AFTER``). An everyday use does not count as the first use.

``apply`` never changes the number or order of segments, an original ``text``, or anything but
``translation`` and ``notes``; running it twice gives what running it once gave. Glossary files are TSV
(header ``term lang english gloss match note source``, tab-separated; the last three columns may be left
off) or TOML (``[[term]]`` tables with the same keys, ``term`` and ``lang`` may be lists). The built-in
file comes first and later files override earlier entries for the same form. Its order is the order of
usefulness that ``hotwords`` follows.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from tolmach.errors import InputError
from tolmach.media.files import atomic_write_text
from tolmach.records import Segment
from tolmach.text import normalise, stem
from tolmach.translate.matching import (
    MILITARY_CUES,
    Source,
    form_key,
    gloss_line,
    note_for,
    numbers,
    position,
    tokens,
)

COLUMNS = ("term", "lang", "english", "gloss", "match", "note", "source")
REQUIRED = 4  # term, lang, english, gloss: the columns a TSV line must have
LANGUAGES = ("ru", "uk")
BUILTIN = "built-in glossary"
DATA = Path(__file__).with_name("data") / "glossary.tsv"

_KEYS = ", ".join(COLUMNS)
HINT_TSV = f"a glossary TSV starts with the header line and has the tab-separated columns {_KEYS}"
HINT_TOML = f"a glossary TOML file holds [[term]] tables with the keys {_KEYS}"
# Letters only one of the two languages writes (Russian writes ъ where Ukrainian writes an apostrophe).
# A term that is also an everyday word («выход»: exit; «посадка»: landing) is only ever a note: measured
# on telephone prompts, "8 to exit the conference" became "8 to exit [outgoing: ...] the conference";
# and only in a military context, else the prompts got a note about a launch.
_AMBIGUOUS = re.compile(r"\balso\b", re.IGNORECASE)
_SLUR = re.compile(r"slur|pejorative|derogatory|offensive|insult", re.IGNORECASE)
_ONLY = {"ru": frozenset("ыэъёЫЭЪЁ"), "uk": frozenset("іїєґІЇЄҐ'’ʼ")}


@dataclass(frozen=True)
class Term:
    """One glossary entry: how the source writes it, how the field renders it, what the brackets say."""

    forms: tuple[str, ...]  # as people write them, Russian first: ("мобик", "мобік")
    english: str  # the field's rendering, "singular|plural" where they differ: "mobik|mobiks"
    gloss: str  # the explanation in brackets, "singular|plural" likewise
    lang: str = "ru,uk"  # the clip languages it applies to: "ru", "uk" or "ru,uk"
    match: str = ""  # regex of what machine translation writes for it: "mobili[sz]ed men"
    note: str = ""  # register: "derogatory slang", "official euphemism"
    source: str = ""  # where the meaning is attested: "Wikipedia: Cargo 200"
    origin: str = field(default="", compare=False)  # the file it came from; user files lead the hotwords

    def row(self) -> tuple[str, ...]:
        """The entry's cells, in the order of ``COLUMNS``."""
        return ("|".join(self.forms), self.lang, self.english, self.gloss, self.match, self.note, self.source)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(code for code in LANGUAGES if code in self.lang.split(","))

    def headword(self, language: str) -> str:
        """The form to show for a clip in ``language``: the first one the language can write (Russian
        forms come first), except that Ukrainian takes the first form spelled with letters only Ukrainian
        has («мобік», «приліт») unless it merely inflects an earlier form («орків» of «орк»)."""
        other = "uk" if language == "ru" else "ru"
        fitting = [f for f in self.forms if not _ONLY.get(other, frozenset()) & set(f)] or list(self.forms)
        if language == "uk":
            for i, form in enumerate(self.forms):
                root = stem(normalise(form), "uk")
                if _ONLY["uk"] & set(form) and not any(normalise(f).startswith(root) for f in self.forms[:i]):
                    return form
        return fitting[0]


@dataclass(frozen=True)
class Glossary:
    """Terms in order of usefulness; later entries have already overridden earlier ones."""

    terms: tuple[Term, ...] = ()

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def find(self, form: str) -> Term | None:
        """The entry that holds ``form`` (compared normalised), if any."""
        key = form_key(form)
        return next((t for t in self.terms if key in {form_key(f) for f in t.forms}), None)

    def add(self, term: Term) -> Glossary:
        """A glossary with ``term`` checked and added; it takes its forms from any earlier entry."""
        return Glossary(_merge(self.terms, check_term(term, "new glossary entry")))

    def extend(self, other: Glossary) -> Glossary:
        """``other``'s entries added in order, each overriding entries for the same forms."""
        terms = self.terms
        for term in other.terms:
            terms = _merge(terms, term)
        return Glossary(terms)

    def terms_in(self, text: str, language: str) -> tuple[Term, ...]:
        """The terms a text in ``language`` uses, in the order they first occur in it."""
        if language not in LANGUAGES:
            return ()
        source = Source.of(text, language)
        hits = [(p, i) for i, t in enumerate(self.terms) if (p := _at(t, language, source)) is not None]
        return tuple(self.terms[i] for _, i in sorted(hits))

    def apply(self, segments: Sequence[Segment], language: str) -> tuple[Segment, ...]:
        """The segments with each term glossed on its first use in the clip (see the module docstring)."""
        segments = tuple(segments)
        if language not in LANGUAGES:
            return segments
        unused = {i: t for i, t in enumerate(self.terms) if language in t.languages}
        sources = [Source.of(segment.text, language) for segment in segments]
        military = self._military(sources, language)
        result = []
        for segment, source, war in zip(segments, sources, military, strict=True):
            hits = sorted((p, i) for i, t in unused.items() if (p := _at(t, language, source)) is not None)
            translation, notes = segment.translation, segment.notes
            for _, i in hits:
                everyday = bool(_AMBIGUOUS.search(unused[i].note))
                if everyday and not war:
                    continue  # stays unused: a later use in a military context gets the note
                term = unused.pop(i)
                glossed = None if everyday else gloss_line(term, translation)
                if glossed is not None:
                    translation = glossed
                elif (note := note_for(term, language)) not in notes:
                    notes = (*notes, note)
            if (translation, notes) != (segment.translation, segment.notes):
                segment = replace(segment, translation=translation, notes=notes)
            result.append(segment)
        return tuple(result)

    def _military(self, sources: Sequence[Source], language: str) -> list[bool]:
        """For each segment, whether it or a neighbour speaks of war (see the module docstring)."""
        plain = [t for t in self.terms if language in t.languages and not _AMBIGUOUS.search(t.note)]
        plain.append(_CUES)
        own = [any(position(t, language, source) is not None for t in plain) for source in sources]
        return [any(own[max(k - 1, 0) : k + 2]) for k in range(len(own))]

    def hotwords(self, language: str, limit: int = 40) -> str:
        """Up to ``limit`` source forms for the decoder's prompt, space-separated: the terms of the user's
        files first (they were added because they occur in the user's clips), then the built-in order."""
        if language not in LANGUAGES or limit <= 0:
            return ""
        ranked = sorted((t for t in self.terms if language in t.languages), key=lambda t: t.origin == BUILTIN)
        chosen: list[str] = []
        for term in ranked:
            if _SLUR.search(term.note):
                continue  # a prompt full of slurs would pull them into testimony that never said them
            word = term.headword(language)
            if word not in chosen:
                chosen.append(word)
            if len(chosen) == limit:
                break
        return " ".join(chosen)

    def fingerprint(self) -> str:
        """A sha256 of every entry and of whether it is built in (which orders the hotwords): equal
        fingerprints gloss a clip, and prime the decoder, the same way."""
        digest = hashlib.sha256()
        for term in self.terms:
            digest.update(("\t".join((*term.row(), str(term.origin == BUILTIN))) + "\n").encode("utf-8"))
        return digest.hexdigest()

    def to_tsv_string(self) -> str:
        return "".join("\t".join(row) + "\n" for row in [COLUMNS, *(t.row() for t in self)])

    def write_tsv(self, path: str | os.PathLike[str]) -> None:
        """Write the glossary as TSV to ``path``, whole or not at all."""
        atomic_write_text(path, self.to_tsv_string())

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Glossary:
        """One glossary file alone: TOML when it ends in .toml, TSV otherwise."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")  # -sig: spreadsheets save TSV with a byte-order mark
        except FileNotFoundError:
            raise InputError(f"{p}: no such glossary file", "check the path of the glossary") from None
        except UnicodeDecodeError:
            raise InputError(f"{p}: the glossary is not UTF-8 text", "save the glossary as UTF-8") from None
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise InputError(f"{p}: the glossary cannot be read ({reason})", "check the path") from exc
        if p.suffix.lower() == ".toml":
            return cls.from_toml_string(text, str(p))
        return cls.from_tsv_string(text, str(p))

    @classmethod
    def from_tsv_string(cls, text: str, name: str = "glossary TSV") -> Glossary:
        """Parse a glossary TSV; InputError naming ``name`` and the line for anything malformed."""
        terms: tuple[Term, ...] = ()
        header = False
        for n, line in enumerate(text.lstrip("\ufeff").split("\n"), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in line.rstrip("\r").split("\t")]
            where = f"{name}, line {n}"
            if not header:
                if tuple(c.lower() for c in cells) != COLUMNS:
                    raise InputError(f"{where}: the first line must be the header line", HINT_TSV)
                header = True
            elif not REQUIRED <= len(cells) <= len(COLUMNS):
                found = f"{len(cells)} tab-separated columns"
                raise InputError(f"{where}: {found}, expected {REQUIRED} to {len(COLUMNS)}", HINT_TSV)
            else:
                terms = _merge(terms, _term(dict(zip(COLUMNS, cells, strict=False)), where, name, HINT_TSV))
        return cls(terms)

    @classmethod
    def from_toml_string(cls, text: str, name: str = "glossary TOML") -> Glossary:
        """Parse a glossary TOML; InputError naming ``name`` and the entry for anything malformed."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{name}: not valid TOML ({exc})", HINT_TOML) from exc
        entries = data.get("term", [])
        tables = isinstance(entries, list) and all(isinstance(e, dict) for e in entries)
        if set(data) - {"term"} or not tables:
            raise InputError(f"{name}: expected only [[term]] tables", HINT_TOML)
        terms: tuple[Term, ...] = ()
        for i, entry in enumerate(entries, 1):
            first = entry.get("term")
            first = first[0] if isinstance(first, list) and first else first
            where = f"{name}, entry {i}" + (f" ({first})" if isinstance(first, str) else "")
            unknown = sorted(set(entry) - set(COLUMNS))
            if unknown:
                raise InputError(f"{where}: unknown key '{unknown[0]}'", HINT_TOML)
            terms = _merge(terms, _term(entry, where, name, HINT_TOML))
        return cls(terms)


_CUES = Term(forms=tuple(MILITARY_CUES.split("|")), english="war", gloss="war", origin=BUILTIN)


@lru_cache(maxsize=1)
def builtin_glossary() -> Glossary:
    """The glossary shipped in ``tolmach/translate/data/glossary.tsv`` (read once)."""
    return Glossary.from_tsv_string(DATA.read_text(encoding="utf-8"), BUILTIN)


def load_glossary(*paths: str | os.PathLike[str], builtin: bool = True) -> Glossary:
    """The built-in glossary (unless ``builtin`` is false), then each file, later ones overriding."""
    glossary = builtin_glossary() if builtin else Glossary()
    for path in paths:
        glossary = glossary.extend(Glossary.read(path))
    return glossary


def add_term(path: str | os.PathLike[str], term: Term) -> Glossary:
    """Add ``term`` to the user's TSV glossary at ``path`` (created if missing), replacing the entries it
    shares a form with; the file is rewritten atomically. Returns that file's glossary."""
    p = Path(path)
    if p.suffix.lower() == ".toml":
        raise InputError(f"{p}: terms are added to TSV files only", "give a .tsv file; edit TOML by hand")
    current = Glossary.read(p) if p.exists() else Glossary()
    updated = current.add(term)
    updated.write_tsv(p)
    return updated


def remove_term(path: str | os.PathLike[str], form: str) -> Term:
    """Take the entry holding ``form`` out of the user's TSV glossary at ``path`` (rewritten atomically);
    returns it. InputError when the file has no such entry (a built-in term cannot be removed: add
    your own with the same form to override it)."""
    p = Path(path)
    current = Glossary.read(p) if p.is_file() else Glossary()
    term = current.find(form)
    if term is None:
        raise InputError(
            f"your glossary has no term '{form}'",
            "see 'tolmach glossary list' (built-in terms are overridden with 'glossary add', not removed)",
        )
    Glossary(tuple(t for t in current.terms if t is not term)).write_tsv(p)
    return term


def check_term(term: Term, where: str, hint: str = HINT_TSV) -> Term:
    """``term`` with its fields trimmed and its languages in canonical order, or InputError saying what
    is wrong with it at ``where``."""
    forms = tuple(f.strip() for f in term.forms if f.strip())
    langs = [code.strip() for code in re.split(r"[,\s]+", term.lang.strip()) if code.strip()]
    texts = {"english": term.english.strip(), "gloss": term.gloss.strip(), "match": term.match.strip()}
    texts.update(note=term.note.strip(), source=term.source.strip())
    if not forms:
        raise InputError(f"{where}: no source form in 'term'", hint)
    bad_form = next((f for f in forms if "|" in f or not tokens(f)), None)
    if bad_form is not None:
        raise InputError(f"{where}: the form '{bad_form}' has no words, or holds a |", hint)
    if any(code not in LANGUAGES for code in langs) or not langs:
        raise InputError(f"{where}: lang must be ru, uk or ru,uk, not '{term.lang}'", hint)
    for key in ("english", "gloss"):
        if not all(numbers(texts[key])) or texts[key].count("|") > 1:
            raise InputError(f"{where}: {key} is empty or not 'singular|plural'", hint)
    if any(ch in value for value in (*forms, *texts.values()) for ch in "\t\n\r"):
        raise InputError(f"{where}: a field holds a tab or a line break", hint)
    _check_regex(texts["match"], where)
    lang = ",".join(code for code in LANGUAGES if code in langs)
    return replace(term, forms=forms, lang=lang, **texts)


def _check_regex(pattern: str, where: str) -> None:
    hint = "the match column is a Python regular expression; escape ( ) [ ] . ? + * with a backslash"
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise InputError(f"{where}: bad match regex ({exc})", hint) from exc
    if pattern and compiled.fullmatch(""):
        raise InputError(f"{where}: the match regex matches empty text", hint)


def _term(values: Mapping[str, object], where: str, origin: str, hint: str) -> Term:
    """A checked Term from a TSV line's cells or a TOML table."""

    def text(key: str, separator: str = "") -> str:
        value = values.get(key, "")
        if separator and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return separator.join(value)
        if not isinstance(value, str):
            raise InputError(f"{where}: '{key}' must be text", hint)
        return value

    forms = tuple(text("term", "|").split("|"))
    fields = {key: text(key) for key in ("english", "gloss", "match", "note", "source")}
    term = Term(forms=forms, lang=text("lang", ",") or "ru,uk", origin=origin, **fields)
    return check_term(term, where, hint)


def _merge(terms: Iterable[Term], new: Term) -> tuple[Term, ...]:
    """``terms`` with ``new`` taking its forms from them: an entry left without forms goes, and ``new``
    takes the place of the first entry it took from (so the order of usefulness stays)."""
    taken = {form_key(f) for f in new.forms}
    result: list[Term] = []
    placed = False
    for old in terms:
        kept = tuple(f for f in old.forms if form_key(f) not in taken)
        if len(kept) < len(old.forms) and not placed:
            result.append(new)
            placed = True
        if kept:
            result.append(old if len(kept) == len(old.forms) else replace(old, forms=kept))
    if not placed:
        result.append(new)
    return tuple(result)


def _at(term: Term, language: str, source: Source) -> int | None:
    return position(term, language, source) if language in term.languages else None
