"""The readable transcript (.txt): one block per segment, original then English, for reading and quoting.

Written per segment, not per subtitle event: a journalist quotes whole lines, with the time the line
starts and ends in the source file.
"""

from __future__ import annotations

from tolmach.records import Segment, Transcript
from tolmach.subtitles.cues import CuePair
from tolmach.subtitles.formats.base import OutputFormat, labels, legend


def clock(ms: int) -> str:
    """``HH:MM:SS.mmm``, the time format of the text transcript."""
    seconds, milli = divmod(max(ms, 0), 1000)
    minutes, sec = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    return f"{hours:02d}:{mins:02d}:{sec:02d}.{milli:03d}"


def header(t: Transcript) -> list[str]:
    how = "forced" if t.language_forced else f"detected, p={t.language_probability:.2f}"
    lines = [
        f"tolmach {t.tool_version}".rstrip() + " transcript",
        f"file:        {t.media.path}",
        f"sha256:      {t.media.sha256}",
        f"language:    {t.language} ({how})",
        f"model:       {t.model.name} (sha256 {t.model.sha256})",
        f"transcript:  {labels(t)[0]}",
    ]
    if any(s.translation for s in t.segments):
        lines.append(f"translation: {labels(t)[1]}")
    lines.append(f"doubtful:    {t.doubtful_count} of {len(t.segments)} lines")
    if legend(t):
        lines.append(f"speakers:    {legend(t)}")
    return lines


def block(s: Segment) -> list[str]:
    who = f"{s.speaker}: " if s.speaker else ""
    lines = [f"[{clock(s.start)} → {clock(s.end)}] {who}{s.text.strip()}"]
    if s.translation:
        lines.append(f"    EN: {s.translation.strip()}")
    lines.extend(f"    NOTE: {note}" for note in s.notes)
    if s.doubtful:
        lines.extend(f"    CHECK: {f.detail}" for f in s.flags)
        if not s.flags:
            lines.append("    CHECK: doubtful")
    return lines


class TxtFormat(OutputFormat):
    """``txt``: header, then ``[start → end] S1: original`` / ``    EN: english`` per segment."""

    name = "txt"

    @classmethod
    def render(cls, transcript: Transcript, cues: CuePair) -> dict[str, str]:
        out = header(transcript)
        for segment in transcript.segments:
            out.append("")
            out.extend(block(segment))
        return {"txt": "\n".join(out) + "\n"}
