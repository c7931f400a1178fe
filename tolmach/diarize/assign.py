"""Giving every transcript segment its speaker, and splitting a segment where the voice changes inside it.

A segment gets the speaker who talks most during it. When the voice changes inside a segment and the
other voice lasts (at least ``SPLIT_MIN_MS`` over at least ``SPLIT_MIN_WORDS`` words), the segment is
cut at the word where it changes: a quote must never carry two people's words under one name. Each
word belongs to the turn holding its midpoint; briefer changes are taken for the diarizer's blur at a
boundary and follow their neighbours.

The English has no word timings, so it is cut the way subtitles/cues.py cuts it: a boundary after x% of
the original characters and y% of the time maps to near (x+y)/2 % of the English characters, snapped to
a word boundary, preferring one after punctuation. Text is only ever cut between words: joining the
pieces with spaces gives back the original text and translation, up to whitespace. Pure; never drops
a segment.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import replace

from tolmach.diarize.turns import Turn
from tolmach.records import Entity, Segment, Word

SPLIT_MIN_MS = 1000  # a change of voice inside a segment splits it only when it lasts this long ...
SPLIT_MIN_WORDS = 2  # ... over at least this many words
SNAP_COST_PER_CHAR = 0.5  # moving an English cut one character from its target costs this much ...
SENTENCE_BONUS = 6.0  # ... and a cut after a full stop saves this much (12 characters' worth),
CLAUSE_BONUS = 3.0  # after a comma, colon, semicolon or dash this much
DEFAULT_SPEAKER = "S1"  # with no turns at all there is no evidence of a second voice

_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?…][\"'»”)\]]*$")
_CLAUSE_END = re.compile(r"([,;:]|[-–—])[\"'»”)\]]*$")


def assign_speakers(segments: Sequence[Segment], turns: Sequence[Turn]) -> tuple[Segment, ...]:
    """Every segment with its speaker, split where the voice changes for good; ids renumbered 1..n."""
    ordered_turns = sorted(turns, key=lambda t: (t.start, t.end))
    pieces: list[Segment] = []
    for segment in sorted(segments, key=lambda s: (s.start, s.id)):
        pieces.extend(_assign(segment, ordered_turns))
    return tuple(replace(piece, id=i) for i, piece in enumerate(pieces, 1))


def speaker_during(start: int, end: int, turns: Sequence[Turn]) -> str:
    """Who talks most in [start, end] (ms); the nearest turn's speaker when none overlaps."""
    if not turns:
        return DEFAULT_SPEAKER
    talk: dict[str, int] = {}
    for turn in turns:
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > 0:
            talk[turn.speaker] = talk.get(turn.speaker, 0) + overlap
    if talk:
        return max(talk, key=lambda s: (talk[s], -_first_index(s, turns)))
    return min(turns, key=lambda t: max(t.start - end, start - t.end, 0)).speaker


def _first_index(speaker: str, turns: Sequence[Turn]) -> int:
    return next(i for i, t in enumerate(turns) if t.speaker == speaker)


def _assign(segment: Segment, turns: list[Turn]) -> list[Segment]:
    starts = [t.start for t in turns]
    runs = _lasting_runs([_word_speaker(w, turns, starts) for w in segment.words], segment.words)
    if len(runs) <= 1:
        return [replace(segment, speaker=speaker_during(segment.start, segment.end, turns))]
    return _split(segment, runs)


def _word_speaker(word: Word, turns: list[Turn], starts: list[int]) -> str:
    """The speaker of the turn holding the word's midpoint, else of the nearest turn."""
    middle = (word.start + word.end) // 2
    i = bisect.bisect_right(starts, middle) - 1
    if i >= 0 and middle < turns[i].end:
        return turns[i].speaker
    return speaker_during(middle, middle, turns)


def _lasting_runs(speakers: list[str], words: Sequence[Word]) -> list[tuple[str, int, int]]:
    """(speaker, first word, after last word) runs, after brief changes of voice join their neighbours.

    The briefest non-lasting run goes first, to the neighbouring run that lasts longer; each pass
    removes a run, so this ends.
    """
    runs: list[tuple[str, int, int]] = []
    for i, speaker in enumerate(speakers):
        if runs and runs[-1][0] == speaker:
            runs[-1] = (speaker, runs[-1][1], i + 1)
        else:
            runs.append((speaker, i, i + 1))
    while len(runs) > 1:
        spans = [words[j - 1].end - words[i].start for _, i, j in runs]
        brief = [k for k, (_, i, j) in enumerate(runs) if j - i < SPLIT_MIN_WORDS or spans[k] < SPLIT_MIN_MS]
        if not brief:
            break
        k = min(brief, key=lambda k: spans[k])
        other = k + 1 if k == 0 or (k + 1 < len(runs) and spans[k + 1] > spans[k - 1]) else k - 1
        first, last = min(k, other), max(k, other)
        runs[first : last + 1] = [(runs[other][0], runs[first][1], runs[last][2])]
        runs = _join_runs(runs)
    return runs


def _join_runs(runs: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    joined: list[tuple[str, int, int]] = []
    for run in runs:
        if joined and joined[-1][0] == run[0]:
            joined[-1] = (run[0], joined[-1][1], run[2])
        else:
            joined.append(run)
    return joined


def _split(segment: Segment, runs: list[tuple[str, int, int]]) -> list[Segment]:
    words = segment.words
    bounds = [i for _, i, _ in runs[1:]]  # word indices where a new voice starts
    text_cuts = _original_cuts(segment.text, words, bounds)
    english_cuts = _english_cuts(segment, bounds, text_cuts)
    text_parts = _cut(segment.text, text_cuts)
    english_parts = _cut(segment.translation, english_cuts)
    pieces = []
    for k, (speaker, i, j) in enumerate(runs):
        start = segment.start if k == 0 else words[i].start
        end = segment.end if k == len(runs) - 1 else words[j - 1].end
        (text, offset), (english, _) = text_parts[k], english_parts[k]
        pieces.append(
            replace(
                segment,
                start=start,
                end=max(end, start),
                text=text,
                translation=english,
                words=words[i:j],
                speaker=speaker,
                entities=_entities(segment.entities, offset, text),
            )
        )
    return pieces


def _original_cuts(text: str, words: Sequence[Word], bounds: list[int]) -> list[int]:
    """Token indices of ``text`` where each new voice starts.

    When the words spell the text, word by word, the cut is exact. After an edit they may not; then
    the cut goes to the token boundary nearest the same share of the characters.
    """
    tokens = _TOKEN.findall(text)
    counts = [len(w.text.split()) for w in words]
    if sum(counts) == len(tokens):
        return [sum(counts[:b]) for b in bounds]
    lengths = [len(w.text.strip()) for w in words]
    total = max(sum(lengths), 1)
    offsets = _offsets(tokens)
    cuts: list[int] = []
    for b in bounds:
        target = sum(lengths[:b]) / total * offsets[-1]
        lo = cuts[-1] if cuts else 0
        cuts.append(min(range(lo, len(tokens) + 1), key=lambda t: (abs(offsets[t] - target), t)))
    return cuts


def _english_cuts(segment: Segment, bounds: list[int], text_cuts: list[int]) -> list[int]:
    """Token indices of the translation matching each cut of the original (see the module docstring)."""
    tokens = _TOKEN.findall(segment.translation)
    n = len(tokens)
    offsets = _offsets(tokens)
    originals = _offsets(_TOKEN.findall(segment.text))
    words = segment.words
    first, last = words[0].start, max(words[-1].end, words[0].start + 1)
    cuts: list[int] = []
    for k, (b, t) in enumerate(zip(bounds, text_cuts, strict=True)):
        chars = originals[t] / max(originals[-1], 1)
        time = min(max((words[b].start - first) / (last - first), 0.0), 1.0)
        target = (chars + time) / 2 * offsets[-1]
        remaining = len(bounds) - k - 1
        lo = cuts[-1] if cuts else 0
        if n - lo > remaining:  # room for every piece from here on to get a word: keep them non-empty
            lo, hi = lo + 1, n - remaining - 1
            hi = max(hi, lo)
        else:
            hi = lo
        cuts.append(min(range(lo, hi + 1), key=lambda c: (_snap_cost(tokens, offsets, c, target), c)))
    return cuts


def _snap_cost(tokens: list[str], offsets: list[int], cut: int, target: float) -> float:
    cost = abs(offsets[cut] - target) * SNAP_COST_PER_CHAR
    if 0 < cut < len(tokens):
        if _SENTENCE_END.search(tokens[cut - 1]):
            cost -= SENTENCE_BONUS
        elif _CLAUSE_END.search(tokens[cut - 1]):
            cost -= CLAUSE_BONUS
    return cost


def _offsets(tokens: list[str]) -> list[int]:
    """Character offset of each token boundary in the tokens joined by single spaces."""
    offsets = [0]
    for i, token in enumerate(tokens):
        offsets.append(offsets[-1] + len(token) + (1 if i else 0))
    return offsets


def _cut(text: str, cuts: list[int]) -> list[tuple[str, int]]:
    """``text`` cut before the given token indices: (piece, offset in ``text``), inner whitespace kept."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    edges = [0, *cuts, len(spans)]
    parts = []
    for a, b in itertools.pairwise(edges):
        if a < b:
            parts.append((text[spans[a][0] : spans[b - 1][1]], spans[a][0]))
        else:
            at = spans[a][0] if a < len(spans) else len(text)
            parts.append(("", at))
    return parts


def _entities(entities: tuple[Entity, ...], offset: int, text: str) -> tuple[Entity, ...]:
    """The entities that start inside a piece, with offsets into the piece (cut short at its end)."""
    kept = []
    for entity in entities:
        start = entity.start - offset
        if 0 <= start < len(text):
            end = min(entity.end - offset, len(text))
            kept.append(replace(entity, start=start, end=end, text=text[start:end]))
    return tuple(kept)
