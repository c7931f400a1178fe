"""Output formats behind a plain registry: name -> OutputFormat subclass (see base.OutputFormat).

Layering: ``render(name, transcript, cues)`` returns {file suffix: text}; writing those strings to disk,
atomically, belongs to the caller.
"""

from __future__ import annotations

from tolmach.errors import OptionsError
from tolmach.records import Transcript
from tolmach.subtitles.cues import CuePair, build_cues
from tolmach.subtitles.formats.ass import AssFormat
from tolmach.subtitles.formats.base import (
    LABEL_TRANSCRIPT,
    LABEL_TRANSLATION,
    OutputFormat,
    rules_for,
    with_marks,
)
from tolmach.subtitles.formats.jsonformat import (
    SCHEMA,
    JsonFormat,
    public_transcript,
    transcript_from_json,
    transcript_to_dict,
    transcript_to_json,
)
from tolmach.subtitles.formats.subrip import SrtFormat, VttFormat
from tolmach.subtitles.formats.text import TxtFormat

FORMATS: dict[str, type[OutputFormat]] = {
    "srt": SrtFormat,
    "vtt": VttFormat,
    "ass": AssFormat,
    "json": JsonFormat,
    "txt": TxtFormat,
}


def render(name: str, transcript: Transcript, cues: CuePair | None = None) -> dict[str, str]:
    """The files of format ``name`` as {suffix: text}; cues are built from the transcript when not given."""
    try:
        fmt = FORMATS[name]
    except KeyError:
        raise OptionsError(f"unknown output format '{name}'", f"choose from {','.join(FORMATS)}") from None
    transcript = with_marks(transcript)  # a reviewer's marks, as every export shows them
    if cues is None:
        cues = build_cues(transcript.segments, rules_for(transcript))
    # every rendered file may leave the machine: file names only, never the folders (jsonformat)
    return fmt.render(public_transcript(transcript), cues)


__all__ = [
    "FORMATS",
    "LABEL_TRANSCRIPT",
    "LABEL_TRANSLATION",
    "SCHEMA",
    "AssFormat",
    "JsonFormat",
    "OutputFormat",
    "SrtFormat",
    "TxtFormat",
    "VttFormat",
    "render",
    "transcript_from_json",
    "transcript_to_dict",
    "transcript_to_json",
]
