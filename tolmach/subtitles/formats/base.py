"""What every output format shares: the base class, the labels, and where a label goes in a track.

A format turns a transcript and its cues into text. It never touches the disk: writing files (atomically)
is the caller's job, so every format is tested on strings alone.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from tolmach.records import Cue, Segment, Transcript
from tolmach.subtitles.cues import CuePair, CueRules

LABEL_TRANSLATION = "Machine translation — not reviewed"
"""Shown with every English track until a human has reviewed every line."""
LABEL_TRANSCRIPT = "Machine transcript — not reviewed"
"""Shown with every original-language track: it is what Whisper heard, not a checked transcript."""

UNTRANSLATED = "[untranslated]"
"""The text of an English event whose line has no English (the engine gave none, or a reviewer emptied it)."""
ELSEWHERE = "[...]"
"""The text of an English event of a translated line whose English all went to the line's other events."""
INAUDIBLE = "[inaudible]"
"""The text of an original-language event whose line has no words (a reviewer emptied them).

These three keep an event in its track, so both tracks have one event per event of the other, at the same
times (a player switching tracks, or a reader comparing files, never finds a line missing). Square brackets,
as the published thread marks what is not in the speech ("[...]"); spelt out, since a subtitle reader cannot
look the convention up."""

LABEL_MAX_MS = 4000  # a label shown before the speech stays at most this long
LABEL_SEGMENT_ID = 0  # the segment_id of a label event: it comes from no segment


class OutputFormat:
    """Base class of an output format: ``render`` returns {file suffix: file content}.

    The suffix is appended to the output stem after a dot: ``{"ru.srt": ...}`` becomes
    ``clip.ru.srt``. To add a format:

    1. Write a subclass in a new module of ``tolmach/subtitles/formats/``, with a ``name`` and a
       ``render(transcript, cues)`` classmethod that returns strings (no I/O). Carry the labels
       (:data:`LABEL_TRANSCRIPT`, :data:`LABEL_TRANSLATION`) in whatever way the format allows.
    2. Add it to ``FORMATS`` in ``tolmach/subtitles/formats/__init__.py`` (and to
       ``tolmach.options.ALL_FORMATS`` so that the CLI accepts it).
    3. Describe the file in ``docs/FORMATS.md``; ``tests/test_formats.py`` fails for a registered
       format that the document does not mention.
    """

    name: ClassVar[str] = ""

    @classmethod
    def render(cls, transcript: Transcript, cues: CuePair) -> dict[str, str]:
        raise NotImplementedError


def labels(transcript: Transcript) -> tuple[str, str]:
    """(transcript label, translation label): the machine labels until a person reviewed every line."""
    if transcript.reviewer and transcript.approver:
        return (
            f"Transcript reviewed by {transcript.reviewer}, approved by {transcript.approver}",
            f"Translated by {transcript.reviewer}, approved by {transcript.approver}",
        )
    if transcript.reviewer:
        return f"Transcript reviewed by {transcript.reviewer}", f"Reviewed by {transcript.reviewer}"
    return LABEL_TRANSCRIPT, LABEL_TRANSLATION


UNCLEAR = "[unclear]"
"""What follows a line a reviewer marked unclear, in the original and the English of every export."""
MARKED_INAUDIBLE = "*inaudible*"
"""What replaces a line a reviewer marked inaudible, in the original and the English of every export."""


def with_marks(transcript: Transcript) -> Transcript:
    """The transcript as exports show it: a line marked "unclear" ends with [unclear], one marked
    "inaudible" reads *inaudible* (the conventions of volunteer subtitlers; the archive keeps the text
    as typed, so taking the mark away brings it back)."""
    if not any(s.mark for s in transcript.segments):
        return transcript
    return dataclasses.replace(transcript, segments=tuple(_marked(s) for s in transcript.segments))


def _marked(s: Segment) -> Segment:
    if s.mark == "inaudible":
        return dataclasses.replace(s, text=MARKED_INAUDIBLE, translation=MARKED_INAUDIBLE, words=())
    if s.mark == "unclear":
        english = f"{s.translation.strip()} {UNCLEAR}" if s.translation.strip() else ""
        return dataclasses.replace(
            s, text=f"{s.text.strip()} {UNCLEAR}".strip(), translation=english, words=()
        )
    return s


def legend(transcript: Transcript) -> str:
    """The speaker legend, "(R) Russian soldier, (M) mother": each speaker with a role once, in order of
    first appearance (the role of their first line that has one); "" when no role was given."""
    roles: dict[str, str] = {}
    for s in transcript.segments:
        if s.speaker and s.role.strip() and s.speaker not in roles:
            roles[s.speaker] = " ".join(s.role.split())
    return ", ".join(f"({' '.join(who.split())}) {role}" for who, role in roles.items())


def rules_for(transcript: Transcript) -> CueRules:
    """The rules the transcript's options ask for (reading speed, frame rate)."""
    return CueRules.from_options(transcript.options)


def tracks(transcript: Transcript, cues: CuePair) -> list[tuple[str, str, tuple[Cue, ...]]]:
    """(language code, label, cues) of each track worth writing, original first.

    The English track is left out when it has no text (translation turned off), and when the original
    is English itself (the two would share a file name and say the same thing). An event with no text
    shows a mark instead (:data:`UNTRANSLATED`, :data:`ELSEWHERE`, :data:`INAUDIBLE`), never disappears.
    """
    original, english = cues
    text_label, translation_label = labels(transcript)
    result = [(transcript.language, text_label, tuple(_shown(c, INAUDIBLE) for c in original))]
    if transcript.language != "en" and any(c.lines for c in english):
        translated = {s.id for s in transcript.segments if s.translation.strip()}
        shown = (_shown(c, ELSEWHERE if c.segment_id in translated else UNTRANSLATED) for c in english)
        result.append(("en", translation_label, tuple(shown)))
    return result


def _shown(cue: Cue, mark: str) -> Cue:
    return cue if cue.lines else Cue(cue.start, cue.end, (mark,), cue.segment_id, cue.speaker)


def labelled(cues: tuple[Cue, ...], label: str, rules: CueRules) -> list[Cue]:
    """A track's visible events with its label, for formats that have no comments (SRT) or whose
    comments players never show (WebVTT's NOTE).

    The label is an event of its own before the speech when there is room for it under the rules
    (the reading speed and the minimum duration, plus the gap); it then stays until the speech starts,
    at most :data:`LABEL_MAX_MS`. When the speech starts too early, the label becomes the top line of
    the first event instead: the one place where a track may show three lines, because an unlabelled
    machine translation is worse than a crowded first subtitle. Events with no text are dropped.
    """
    shown = [c for c in cues if c.lines]
    needed = rules.needed_ms(len(label))
    room = shown[0].start - rules.min_gap_ms if shown else needed
    if room >= needed:
        end = min(room, max(LABEL_MAX_MS, needed))
        return [Cue(0, end, (label,), LABEL_SEGMENT_ID), *shown]
    first = shown[0]
    merged = Cue(first.start, first.end, (label, *first.lines), first.segment_id, first.speaker)
    return [merged, *shown[1:]]
