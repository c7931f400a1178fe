"""SubRip (.srt) and WebVTT (.vtt): one file per language, written through pysubs2.

Times come straight from the integer-millisecond cues; both formats keep milliseconds. Neither format
has a comment a player shows, so each track carries its label as a visible event (see
:func:`~tolmach.subtitles.formats.base.labelled`); WebVTT also gets a ``NOTE`` block for tools that read
the file.
"""

from __future__ import annotations

from collections.abc import Callable

import pysubs2

from tolmach.records import Cue, Transcript
from tolmach.subtitles.cues import CuePair
from tolmach.subtitles.formats.base import OutputFormat, labelled, rules_for, tracks


def _ssafile(cues: list[Cue], text_of: Callable[[Cue], str]) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(pysubs2.SSAEvent(start=cue.start, end=cue.end, text=text_of(cue)))
    return subs


def _srt_text(cue: Cue) -> str:
    return "\\N".join(cue.lines)  # pysubs2's line break


def _vtt_text(cue: Cue) -> str:
    # Cue text is markup in WebVTT: escape it, and name the speaker with a voice span, which players
    # use for styling and do not print.
    text = "\\N".join(_escape(line) for line in cue.lines)
    return f"<v {_escape(cue.speaker)}>{text}" if cue.speaker else text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SrtFormat(OutputFormat):
    """``<lang>.srt`` and ``en.srt``."""

    name = "srt"

    @classmethod
    def render(cls, transcript: Transcript, cues: CuePair) -> dict[str, str]:
        rules = rules_for(transcript)
        files = {}
        for lang, label, track in tracks(transcript, cues):
            subs = _ssafile(labelled(track, label, rules), _srt_text)
            # keep_ssa_tags: our text is plain, so nothing in it may be read as an override tag
            files[f"{lang}.srt"] = subs.to_string("srt", keep_ssa_tags=True)
        return files


class VttFormat(OutputFormat):
    """``<lang>.vtt`` and ``en.vtt``."""

    name = "vtt"

    @classmethod
    def render(cls, transcript: Transcript, cues: CuePair) -> dict[str, str]:
        rules = rules_for(transcript)
        files = {}
        for lang, label, track in tracks(transcript, cues):
            body = _ssafile(labelled(track, label, rules), _vtt_text).to_string("vtt", keep_ssa_tags=True)
            # The NOTE goes right after the header: pysubs2 reads text after a cue as part of that cue.
            note = f"NOTE\n{label}. Source sha256 {transcript.media.sha256}.\n\n"
            files[f"{lang}.vtt"] = "WEBVTT\n\n" + note + body.removeprefix("WEBVTT\n\n")
        return files
