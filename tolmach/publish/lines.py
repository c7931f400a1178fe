"""How one transcript line reads in published text: its time, its English, its marks, and the label.

The thread, the quote sheet and the manifest must agree on what "inaudible" and "the English of a line"
mean, or a journalist could quote a line that the manifest calls silent. Those decisions live here and
nowhere else. Pure functions on records; nothing here formats a whole document.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from tolmach.errors import OptionsError
from tolmach.records import ClipInfo, Segment, Transcript
from tolmach.subtitles.formats.base import LABEL_TRANSLATION

INAUDIBLE = "*inaudible*"
INAUDIBLE_FLAGS = frozenset({"inaudible", "no-speech"})
"""Flags that say the words are not there. The guard's "maybe-no-speech" is a doubt, not a verdict: such a
line keeps its text and is marked doubtful instead."""
DOUBT_MARK = "(?)"
_SPACE = re.compile(r"\s+")


def label(reviewer: str | None, approver: str | None = None) -> str:
    """The label every published text carries: machine translation, who reviewed every line, or who
    reviewed it and who approved it (the two-step sign-off, ``archive/signoff.py``)."""
    if not (reviewer and reviewer.strip()):
        return LABEL_TRANSLATION
    if approver and approver.strip():
        return f"Translated by {one_line(reviewer)}, approved by {one_line(approver)}"
    return f"Reviewed by {one_line(reviewer)}"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space, stripped.

    Published text is reflowed (thread posts, Markdown paragraphs); a newline inside a line would start a
    new paragraph or list item there, so lines are flattened first.
    """
    return _SPACE.sub(" ", text).strip()


def shown_source(source: str) -> str:
    """Where a clip came from, as published: a URL whole, a local file by its name only.

    A local path names the user's folders (and often their login); it says nothing to a reader.
    """
    source = one_line(source)
    if source.startswith(("http://", "https://")) or not source:
        return source
    return PurePath(source).name


def clock(ms: int) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from an hour: how video players show a time."""
    seconds = max(ms, 0) // 1000
    minutes, sec = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    return f"{hours}:{mins:02d}:{sec:02d}" if hours else f"{mins}:{sec:02d}"


def clock_tenths(ms: int) -> str:
    """``m:ss.t``: precise enough to find a subtitle cue, still readable (truncated, never rounded up)."""
    return f"{clock(ms)}.{max(ms, 0) % 1000 // 100}"


def clock_ms(ms: int) -> str:
    """``m:ss.mmm``: for the rare change too small to show in tenths."""
    return f"{clock(ms)}.{max(ms, 0) % 1000:03d}"


def span(start: int, end: int) -> str:
    """``0:12–0:18``: where a line sits in the source."""
    return f"{clock(start)}–{clock(end)}"


def is_inaudible(segment: Segment) -> bool:
    """True when the line has no words to publish: empty text, or flagged as not speech."""
    return not segment.text.strip() or any(f.kind in INAUDIBLE_FLAGS for f in segment.flags)


def english(transcript: Transcript, segment: Segment) -> str:
    """The English of a line, flattened; an English original is its own English."""
    text = segment.translation if segment.translation.strip() else ""
    if not text and transcript.language == "en":
        text = segment.text
    return one_line(text)


def doubt_reasons(segment: Segment) -> str:
    """Why a doubtful line is doubtful, for a reader: its flags' reasons, or "doubtful" when it has none."""
    return "; ".join(f.detail for f in segment.flags) if segment.flags else "doubtful"


def segment_by_id(transcript: Transcript, segment_id: int) -> Segment:
    """The segment with this id; an unknown id is the user's mistake, reported as such."""
    for segment in transcript.segments:
        if segment.id == segment_id:
            return segment
    ids = [s.id for s in transcript.segments]
    known = f"lines {ids[0]}–{ids[-1]}" if ids else "no lines"
    raise OptionsError(f"no line {segment_id} in the transcript", f"the transcript has {known}")


def context(clip: ClipInfo, *, include_notes: bool = False) -> list[str]:
    """What the user told us about the clip, one item a line, empty fields left out.

    The clip's notes are the user's own ("the brother of our source", "do not name the unit") and stay
    private unless ``include_notes``; the translator's notes on lines are another thing (Segment.notes).
    """
    items = [one_line(clip.title)]
    if clip.place.strip():
        items.append(f"Where: {one_line(clip.place)}")
    if clip.filmed.strip():
        items.append(f"When: {one_line(clip.filmed)}")
    if include_notes:
        items.append(one_line(clip.notes))
    return [item for item in items if item]
