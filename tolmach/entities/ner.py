"""Named entities of a transcript: natasha for people, places and organisations, rules for the rest.

The entities stage reads the original text of each segment and records who, where and which unit it
names, each with its dictionary form (for search and the glossary) and its English (for the translator).
natasha (a Russian news NER, shipping its models) finds people, places and organisations; the rules in
``rules`` find units, ranks and the forces; the gazetteer in ``places`` finds the war's places in any case
form and knows their English spelling. Where they overlap, the more specific wins (``_merge``).

What it must never do: load natasha for a language it cannot read, or change a segment's other fields.
"""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from tolmach.entities.places import english_place, find_places, lookup, transliterate
from tolmach.entities.rules import find_rules
from tolmach.records import Entity, Segment

# natasha reads Russian only. On Ukrainian it tags «під Бахмутом» and «у Кремінній» as people and cannot
# normalise Ukrainian endings, so for "uk" its guesses would cost more than they find: Ukrainian gets the
# rules and the gazetteer alone; people, and organisations the rules do not list, are left to the reviewer.
LANGUAGES = ("ru", "uk")
_KINDS = {"PER": "person", "LOC": "place", "ORG": "org"}


@dataclass(frozen=True)
class _Natasha:
    segmenter: Any
    morph_tagger: Any
    ner_tagger: Any
    morph_vocab: Any


@lru_cache(maxsize=1)
def _models() -> _Natasha:
    """natasha's models, loaded once per process (about a second)."""
    with warnings.catch_warnings():
        # pymorphy2 (natasha's morphology, imported by MorphVocab) imports pkg_resources, which warns on
        # every run: noise the user can do nothing about.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

        embedding = NewsEmbedding()
        return _Natasha(Segmenter(), NewsMorphTagger(embedding), NewsNERTagger(embedding), MorphVocab())


def _natasha_entity(kind: str, text: str, start: int, normal: str) -> Entity:
    """An entity natasha found; a place it found gets the gazetteer's forms when the gazetteer lists it."""
    end = start + len(text)
    if kind == "place":
        listed = lookup(normal) or lookup(text)
        if listed:
            return Entity(kind, text, start, end, listed[0], listed[1].english)
        return Entity(kind, text, start, end, normal, english_place(normal, "ru"))
    return Entity(kind, text, start, end, normal, transliterate(normal, "ru") if kind == "person" else "")


def _normal(span: Any, vocab: Any) -> str:
    span.normalize(vocab)
    return str(span.normal or span.text)


def _org_normal(span: Any, vocab: Any) -> str:
    """An organisation's name with only its head put in the nominative: «Министерство обороны».

    natasha normalises ORG spans through the syntax tree; without the syntax parser (which would double
    the stage's time) it puts every word in the nominative («Министерство оборона»). In a Russian name the
    head is the first noun, and the adjectives before it agree with it, so those are inflected and the
    rest (the genitive tail) is kept as written. The helpers are natasha's own (natasha is pinned).
    """
    from natasha.norm import inflect_word, recover_shapes, recover_spaces

    words: list[str] = []
    head_seen = False
    for token in span.tokens:
        words.append(token.text if head_seen else inflect_word(vocab, token))
        head_seen = head_seen or token.pos in ("NOUN", "PROPN")
    return str(recover_spaces(recover_shapes(words, span.tokens), span.tokens))


def _statistical(texts: Sequence[str]) -> list[list[Entity]]:
    """natasha's entities in each text, from one pass over all of them.

    The texts are joined by newlines into one document: natasha batches a document's sentences, which
    makes a 1000-segment transcript about 1.7 times as fast as one document per segment, and a sentence cut
    between two segments keeps its context. A span that crosses from one segment into the next is dropped.
    """
    from natasha import Doc

    models = _models()
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    doc = Doc("\n".join(texts))
    doc.segment(models.segmenter)
    doc.tag_morph(models.morph_tagger)
    doc.tag_ner(models.ner_tagger)
    found: list[list[Entity]] = [[] for _ in texts]
    for span in doc.spans:
        k = bisect.bisect_right(starts, span.start) - 1
        if span.type not in _KINDS or span.stop > starts[k] + len(texts[k]):
            continue
        kind = _KINDS[span.type]
        normal = _org_normal(span, models.morph_vocab) if kind == "org" else _normal(span, models.morph_vocab)
        found[k].append(_natasha_entity(kind, span.text, span.start - starts[k], normal or span.text))
    return found


def _merge(
    rules: Sequence[Entity], places: Sequence[Entity], statistical: Sequence[Entity]
) -> tuple[Entity, ...]:
    """One entity per stretch of text, in order.

    The rules come first: they only fire on their own tables, so a unit or rank they find is more specific
    than natasha's ORG or LOC inside or around it. Then places and natasha's entities, the longer first,
    the gazetteer first among equals: it knows the dictionary form natasha misses («Кременной») and the
    place natasha calls a person («у Белогоровки»), while a longer natasha span («Министерства обороны
    России») is a name of its own that merely contains a place.
    """
    ranked = sorted(rules, key=lambda e: (e.start - e.end, e.start))
    others = sorted(
        [(e, 0) for e in places] + [(e, 1) for e in statistical],
        key=lambda pair: (pair[0].start - pair[0].end, pair[1], pair[0].start),
    )
    ranked += [e for e, _ in others]
    kept: list[Entity] = []
    for entity in ranked:
        if all(entity.end <= k.start or entity.start >= k.end for k in kept):
            kept.append(entity)
    return tuple(sorted(kept, key=lambda e: e.start))


def _find_all(texts: Sequence[str], language: str) -> list[tuple[Entity, ...]]:
    if language not in LANGUAGES:
        return [() for _ in texts]
    statistical = _statistical(texts) if language == "ru" else [[] for _ in texts]
    return [
        _merge(find_rules(text, language), find_places(text, language), found)
        for text, found in zip(texts, statistical, strict=True)
    ]


def find_entities(text: str, language: str) -> tuple[Entity, ...]:
    """People, places, organisations, units and ranks named in ``text`` (ISO 639-1 ``language``), in order.

    Russian and Ukrainian only; any other language gives () without loading natasha.
    """
    return _find_all([text], language)[0]


def annotate(segments: Sequence[Segment], language: str) -> tuple[Segment, ...]:
    """``segments`` with ``entities`` filled from each one's original text, in one pass of natasha."""
    found = _find_all([s.text for s in segments], language)
    return tuple(replace(s, entities=e) for s, e in zip(segments, found, strict=True))
