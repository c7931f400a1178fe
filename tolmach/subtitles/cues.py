"""Turning segments into subtitle events (cues) that meet the timing and reading-speed rules.

A segment is one line of speech with one English line. Here it becomes one or more events: the
original track and the English track get the *same* events (same count, same start and end, same
segment), so the two files can be switched or shown together and every English event still matches
the speech under it. How a segment is cut:

1. The original words (with Whisper's word timestamps) are split into events by a small dynamic
   programme over the word boundaries. Each event's cost counts whether its text fits two lines of 42
   characters, whether the time until the next event allows the reading speed and the minimum
   duration, whether it lasts longer than the maximum, and whether it is a fragment (a word or two
   left on their own); each split costs a constant (fewer events read better) plus the line-break
   penalty at that place, minus a bonus for a pause in the speech. The cheapest cut wins.
2. The English line is cut at the same points, proportionally: an original boundary after x% of the
   original characters and y% of the segment's time maps to near (x+y)/2 % of the English
   characters, snapped to an English word boundary, preferring punctuation. Because this mapping
   depends only on the original boundary, the English cost is known inside the programme, so the
   number of events is chosen for *both*
   languages: a segment whose English is longer than two lines is split more finely even when the
   original would fit in one event. Only when no split makes the English fit (very long English for
   very few words) does an English event get a third line.
3. Events are then timed across the whole clip: from the first word, until the later of the last word
   and the time the text needs at the reading speed (the longer of the two languages decides), at most
   the maximum duration, and always ending a minimum gap (2 frames) before the next event, even in the
   next segment. A gap shorter than 12 frames is closed to the minimum, as Netflix asks: a brief blank
   between two subtitles reads as flicker. Starts are never moved earlier than the speech; a start
   moves later only when Whisper's timestamps overlap.

Pure: no I/O, no randomness; the same segments and rules always give the same cues.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from tolmach.options import READING_SPEEDS, Options
from tolmach.records import Cue, Segment
from tolmach.subtitles.linebreaks import break_penalty, reading_chars, wrap_any, wrap_lines

CuePair = tuple[tuple[Cue, ...], tuple[Cue, ...]]
"""(original-language cues, English cues), one-to-one, with identical timings."""


@dataclass(frozen=True)
class CueRules:
    """The subtitle rules (Netflix Timed Text Style Guide; BBC guidelines as a second reference)."""

    max_chars_per_line: int = 42  # Netflix, most Latin and Cyrillic languages
    max_lines: int = 2  # per event
    max_cps: float = 20.0  # reading speed, characters incl. spaces per second (adult programmes)
    min_duration_ms: int = 833  # 5/6 of a second
    max_duration_ms: int = 7000
    min_gap_frames: int = 2  # between consecutive events
    chain_frames: int = 12  # a shorter gap flickers: the earlier event stays until the minimum gap
    fps: float = 25.0  # frame rate the gap is counted in

    @classmethod
    def from_options(cls, options: Options | Mapping[str, object]) -> CueRules:
        """The rules an :class:`Options` (or its ``as_dict()``, as stored in a transcript) asks for."""
        values = options.as_dict() if isinstance(options, Options) else options
        speed = values.get("reading_speed", "normal")
        fps = values.get("fps", 25.0)
        return cls(
            max_cps=READING_SPEEDS.get(speed, 20.0) if isinstance(speed, str) else 20.0,
            fps=float(fps) if isinstance(fps, int | float) else 25.0,
        )

    @property
    def min_gap_ms(self) -> int:
        """The minimum gap in whole milliseconds, rounded up so that it is never under the frames."""
        return math.ceil(self.min_gap_frames * 1000 / self.fps - 1e-9)

    @property
    def chain_ms(self) -> int:
        return math.ceil(self.chain_frames * 1000 / self.fps - 1e-9)

    def needed_ms(self, chars: int) -> int:
        """How long an event of ``chars`` reading characters must stay on screen."""
        return max(self.min_duration_ms, math.ceil(chars * 1000 / self.max_cps - 1e-9))


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Plan:
    """One event of one segment, before it is timed against its neighbours."""

    segment: Segment
    start: int  # the first word's start
    end: int  # the last word's end
    original: tuple[str, ...]
    english: tuple[str, ...]

    @property
    def chars(self) -> int:
        return max(reading_chars(self.original), reading_chars(self.english))


# Costs of the event-splitting programme, in the units of linebreaks' penalties.
EVENT_COST = 10.0  # each extra event; larger than the biggest pause bonus, so splits are never free
PAUSE_BONUS_PER_100MS = 1.0
MAX_PAUSE_BONUS = 8.0
TOO_FAST = 100.0  # times the share by which the text needs more time than it has
TOO_LONG = 200.0  # an event spanning more speech than the maximum duration: split it
ENGLISH_OVERFLOW = 300.0  # English that needs a third line; plus 2 per character over
EMPTY_ENGLISH = 300.0  # an event with no English words while the segment has some
CROSSED_ENGLISH = 1000.0  # snapped English boundaries out of order (the English part is then empty)
SHORT_EVENT_CHARS = 20  # an event with less text than this is a fragment ("увидел" left on its own) ...
SHORT_EVENT_PER_CHAR = 0.5  # ... and costs this much per missing character
OVERLONG_WORD = 100.0  # a single word longer than a line: it gets its own event
ENGLISH_BREAK_WEIGHT = 0.5  # the English break counts, but the original decides
SNAP_COST_PER_CHAR = 0.5  # moving an English boundary 12 characters away is worth reaching a full stop
SNAP_EDGE = 20.0  # a boundary at the very start or end of the English leaves one part empty


def build_cues(segments: Sequence[Segment], rules: CueRules | None = None) -> CuePair:
    """Split segments into (original cues, English cues): one-to-one, identically timed."""
    rules = rules or CueRules()
    ordered = sorted(segments, key=lambda s: (s.start, s.id))
    tokens = [_original_tokens(s) for s in ordered]
    plans: list[_Plan] = []
    for k, segment in enumerate(ordered):
        limit = _first_start(ordered[k + 1], tokens[k + 1]) if k + 1 < len(ordered) else None
        plans.extend(_plan_segment(segment, tokens[k], limit, rules))
    original: list[Cue] = []
    english: list[Cue] = []
    for plan, (start, end) in zip(plans, _time_plans(plans, rules), strict=True):
        seg = plan.segment
        original.append(Cue(start, end, plan.original, seg.id, seg.speaker))
        english.append(Cue(start, end, plan.english, seg.id, seg.speaker))
    return _dialogue(original, english, rules)


DIALOGUE_GAP_MS = 500  # two speakers' lines this close together may share one event


def _dialogue(original: list[Cue], english: list[Cue], rules: CueRules) -> CuePair:
    """Two short one-line events by different speakers, close together, become one two-line event
    with a hyphen starting each speaker's line (Netflix and BBC dialogue convention).

    Both tracks keep identical timing, so a pair is joined only when it qualifies in both: each event
    one line that still fits with "- " in front, the gap under :data:`DIALOGUE_GAP_MS`, and the joined
    event within the duration and reading-speed rules.
    """
    out_o: list[Cue] = []
    out_e: list[Cue] = []
    i = 0
    while i < len(original):
        if i + 1 < len(original) and _joinable(original, english, i, rules):
            for track, out in ((original, out_o), (english, out_e)):
                a, b = track[i], track[i + 1]
                lines = (f"- {a.lines[0]}", f"- {b.lines[0]}") if a.lines and b.lines else a.lines + b.lines
                out.append(Cue(a.start, b.end, lines, a.segment_id, None))
            i += 2
            continue
        out_o.append(original[i])
        out_e.append(english[i])
        i += 1
    return tuple(out_o), tuple(out_e)


def _joinable(original: list[Cue], english: list[Cue], i: int, rules: CueRules) -> bool:
    a, b = original[i], original[i + 1]
    if not a.speaker or not b.speaker or a.speaker == b.speaker or b.start - a.end > DIALOGUE_GAP_MS:
        return False
    duration = b.end - a.start
    if duration > rules.max_duration_ms:
        return False
    for track in (original, english):
        pair = (track[i], track[i + 1])
        if any(len(c.lines) != 1 or len(c.lines[0]) + 2 > rules.max_chars_per_line for c in pair):
            return False
        if rules.needed_ms(sum(len(c.lines[0]) + 2 for c in pair)) > duration:
            return False
    return True


def _words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def _original_tokens(segment: Segment) -> list[_Token]:
    """The segment's words with times: Whisper's, or the text spread over the segment by length.

    Word timestamps are used only when the words still spell the segment's text: after an edit (or a
    repair by the hallucination guard) they would show text that is no longer there.
    """
    words = [w for w in segment.words if w.text.strip()]
    text_words = _words(segment.text)
    if words and [unicodedata.normalize("NFC", w.text.strip()) for w in words] == text_words:
        tokens: list[_Token] = []
        for w in words:
            start = max(w.start, tokens[-1].start) if tokens else w.start  # Whisper's times can go back
            tokens.append(_Token(text_words[len(tokens)], start, max(w.end, start)))
        return tokens
    start, end = (words[0].start, words[-1].end) if words else (segment.start, segment.end)
    return _spread(text_words, start, max(end, start))


def _spread(words: list[str], start: int, end: int) -> list[_Token]:
    """Give each word a share of [start, end] proportional to its length; spaces get a share too."""
    total = max(len(" ".join(words)), 1)
    tokens: list[_Token] = []
    pos = 0
    for w in words:
        a = start + round((end - start) * pos / total)
        b = start + round((end - start) * (pos + len(w)) / total)
        tokens.append(_Token(w, a, b))
        pos += len(w) + 1
    return tokens


def _first_start(segment: Segment, tokens: list[_Token]) -> int:
    return tokens[0].start if tokens else segment.start


def _plan_segment(segment: Segment, tokens: list[_Token], limit: int | None, rules: CueRules) -> list[_Plan]:
    english = _words(segment.translation)
    if not tokens:
        if not english:
            return []
        return [_Plan(segment, segment.start, segment.end, (), _layout(english, rules))]
    splitter = _Splitter(tokens, english, limit, rules)
    bounds = splitter.best_bounds()
    plans = []
    en_at = 0
    for i, j in itertools.pairwise(bounds):
        en_to = max(splitter.english_bound(j), en_at)  # out of order: that English part stays empty
        plans.append(
            _Plan(
                segment,
                tokens[i].start,
                tokens[j - 1].end,
                splitter.original_lines(i, j),
                splitter.english_lines(en_at, en_to),
            )
        )
        en_at = en_to
    return plans


class _Splitter:
    """The event-splitting programme for one segment (see the module docstring, steps 1 and 2)."""

    def __init__(self, tokens: list[_Token], english: list[str], limit: int | None, rules: CueRules):
        self.tokens = tokens
        self.words = [t.text for t in tokens]
        self.english = english
        self.limit = limit
        self.rules = rules
        self._event_cost: dict[tuple[int, int], float] = {}
        self._english_bound: dict[int, int] = {}

    @cached_property
    def _original_offsets(self) -> list[int]:
        return _offsets(self.words)

    @cached_property
    def _english_offsets(self) -> list[int]:
        return _offsets(self.english)

    def best_bounds(self) -> list[int]:
        """Word indices [0, b1, ..., m] cutting the segment into the cheapest events."""
        m = len(self.tokens)
        room = self.rules.max_lines * self.rules.max_chars_per_line
        best: list[tuple[float, int]] = [(0.0, 0)] + [(math.inf, 0)] * m
        for j in range(1, m + 1):
            for i in range(j - 1, -1, -1):
                if i < j - 1 and self._original_offsets[j] - self._original_offsets[i] - 1 > room:
                    break
                split = self.split_cost(i) if i > 0 else 0.0
                cost = best[i][0] + split + self.event_cost(i, j)
                if cost < best[j][0]:
                    best[j] = (cost, i)
        bounds = [m]
        while bounds[-1] > 0:
            bounds.append(best[bounds[-1]][1])
        return bounds[::-1]

    def split_cost(self, j: int) -> float:
        """The cost of starting a new event at word ``j``."""
        left, right = self.tokens[j - 1], self.tokens[j]
        pause = max(right.start - left.end, 0)
        cost = EVENT_COST + break_penalty(left.text, right.text)
        cost -= min(MAX_PAUSE_BONUS, PAUSE_BONUS_PER_100MS * pause / 100)
        b = self.english_bound(j)
        if 0 < b < len(self.english):
            cost += ENGLISH_BREAK_WEIGHT * break_penalty(self.english[b - 1], self.english[b])
        return cost

    def event_cost(self, i: int, j: int) -> float:
        """The cost of words [i, j) being one event: fit, reading speed and duration, both languages."""
        if (i, j) not in self._event_cost:
            self._event_cost[(i, j)] = self._compute_event_cost(i, j)
        return self._event_cost[(i, j)]

    def _compute_event_cost(self, i: int, j: int) -> float:
        rules = self.rules
        original = self.original_lines(i, j)
        cost = OVERLONG_WORD if len(original) > rules.max_lines or not _fits(original, rules) else 0.0
        a, b = self.english_bound(i), self.english_bound(j)
        english: tuple[str, ...] = ()
        if a > b:
            cost += CROSSED_ENGLISH
        else:
            english = self.english_lines(a, b)
            if self.english and a == b:
                cost += EMPTY_ENGLISH
            if len(english) > rules.max_lines:
                over = len(" ".join(self.english[a:b])) - rules.max_lines * rules.max_chars_per_line
                cost += ENGLISH_OVERFLOW + 2 * max(over, 0)
        cost += SHORT_EVENT_PER_CHAR * max(0, SHORT_EVENT_CHARS - reading_chars(original))
        start = self.tokens[i].start
        next_start = self.tokens[j].start if j < len(self.tokens) else self.limit
        end = start + rules.max_duration_ms
        if next_start is not None:
            end = min(end, next_start - rules.min_gap_ms)
        available = max(end - start, 1)
        needed = rules.needed_ms(max(reading_chars(original), reading_chars(english)))
        if needed > available:
            cost += TOO_FAST * (needed / available - 1)
        if self.tokens[j - 1].end - start > rules.max_duration_ms:
            cost += TOO_LONG
        return cost

    def english_bound(self, j: int) -> int:
        """The English word index matching original word boundary ``j`` (step 2 of the docstring)."""
        if j not in self._english_bound:
            self._english_bound[j] = self._compute_english_bound(j)
        return self._english_bound[j]

    def _compute_english_bound(self, j: int) -> int:
        m, n = len(self.tokens), len(self.english)
        if j == 0 or n == 0:
            return 0
        if j == m:
            return n
        offsets = self._english_offsets
        # Halfway between the share of the original's characters and the share of the time before
        # boundary j: characters keep the English near what was said, time keeps each English part
        # readable in the time its event has (the English has no timings of its own).
        first = self.tokens[0].start
        total = max((self.limit if self.limit is not None else self.tokens[-1].end) - first, 1)
        share = self._original_offsets[j] / self._original_offsets[m]
        share = (share + min((self.tokens[j].start - first) / total, 1.0)) / 2
        target = share * offsets[n]

        def score(b: int) -> tuple[float, int]:
            brk = SNAP_EDGE if b in (0, n) else break_penalty(self.english[b - 1], self.english[b])
            return (abs(offsets[b] - target) * SNAP_COST_PER_CHAR + brk, b)

        return min(range(n + 1), key=score)

    def original_lines(self, i: int, j: int) -> tuple[str, ...]:
        return _layout(self.words[i:j], self.rules)

    def english_lines(self, a: int, b: int) -> tuple[str, ...]:
        return _layout(self.english[a:b], self.rules)


def _layout(words: list[str], rules: CueRules) -> tuple[str, ...]:
    """Two lines at most when the words fit; otherwise as many as they take (the cost says so)."""
    lines = wrap_lines(words, rules.max_chars_per_line, rules.max_lines)
    return lines if lines is not None else wrap_any(words, rules.max_chars_per_line)


def _offsets(words: list[str]) -> list[int]:
    """Character offset of each word in the words joined by spaces, plus one past the end."""
    offsets = [0]
    for w in words:
        offsets.append(offsets[-1] + len(w) + 1)
    return offsets


def _fits(lines: tuple[str, ...], rules: CueRules) -> bool:
    return all(len(line) <= rules.max_chars_per_line for line in lines)


def _time_plans(plans: list[_Plan], rules: CueRules) -> list[tuple[int, int]]:
    """(start, end) of every event, across segments (step 3 of the module docstring)."""
    gap = rules.min_gap_ms
    times: list[tuple[int, int]] = []
    for k, plan in enumerate(plans):
        # Only when Whisper's timestamps overlap the previous event does a start move later.
        start = plan.start if not times else max(plan.start, times[-1][1] + gap)
        end = max(plan.end, start + rules.needed_ms(plan.chars))
        # Too close to the next event (trim), or a gap so short it flickers (close it).
        if k + 1 < len(plans) and plans[k + 1].start - end < rules.chain_ms:
            end = plans[k + 1].start - gap
        end = min(end, start + rules.max_duration_ms)
        times.append((start, max(end, start + gap)))  # never empty, even when the next speech overlaps
    return times
