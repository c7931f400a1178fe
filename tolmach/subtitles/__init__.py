"""Subtitles: cutting segments into timed events, and the output formats (SRT, WebVTT, ASS, JSON, text)."""

from tolmach.subtitles.cues import CuePair, CueRules, build_cues
from tolmach.subtitles.formats import (
    FORMATS,
    LABEL_TRANSCRIPT,
    LABEL_TRANSLATION,
    SCHEMA,
    OutputFormat,
    render,
    transcript_from_json,
    transcript_to_dict,
    transcript_to_json,
)
from tolmach.subtitles.linebreaks import break_penalty, wrap_lines

__all__ = [
    "FORMATS",
    "LABEL_TRANSCRIPT",
    "LABEL_TRANSLATION",
    "SCHEMA",
    "CuePair",
    "CueRules",
    "OutputFormat",
    "break_penalty",
    "build_cues",
    "render",
    "transcript_from_json",
    "transcript_to_dict",
    "transcript_to_json",
    "wrap_lines",
]
