"""Advanced SubStation Alpha (.ass): one file showing both languages, written through pysubs2.

The original sits at the top centre in a smaller size, the English at the bottom centre; the same cue
timing drives both, so the pair always changes together. DejaVu Sans covers Cyrillic and is installed
wherever ffmpeg's subtitle filter (libass) is, which matters for burning in. The label is both a
``Comment`` event (for tools) and a small visible event in the top-left corner at the start, above the
band the original text uses.

ASS counts time in centiseconds: starts are rounded up and ends down to the centisecond, so an event
never starts before the speech and the gap between events never shrinks.
"""

from __future__ import annotations

import pysubs2
from pysubs2 import Alignment, Color, SSAEvent, SSAStyle

from tolmach.records import Cue, Transcript
from tolmach.subtitles.cues import CuePair
from tolmach.subtitles.formats.base import OutputFormat, labels, tracks

FONT = "DejaVu Sans"
LABEL_SHOW_MS = 5000  # the visible label's time on screen, from the start of the clip
WIDTH, HEIGHT = 1920, 1080  # the script's coordinate space; players scale it to the video


def _style(size: int, alignment: Alignment, margin_v: int, colour: Color) -> SSAStyle:
    return SSAStyle(
        fontname=FONT,
        fontsize=size,
        primarycolor=colour,
        outlinecolor=Color(0, 0, 0),
        backcolor=Color(0, 0, 0, 128),
        outline=3.0 if size > 40 else 2.0,
        shadow=1.0,
        alignment=alignment,
        marginl=60,
        marginr=60,
        marginv=margin_v,
    )


STYLES = {
    "English": _style(56, Alignment.BOTTOM_CENTER, 60, Color(255, 255, 255)),
    "Original": _style(46, Alignment.TOP_CENTER, 120, Color(255, 245, 200)),  # below the label's band
    "Label": _style(30, Alignment.TOP_LEFT, 24, Color(220, 220, 220)),
}


def _ass_text(lines: tuple[str, ...]) -> str:
    # Braces open override blocks and ASS has no portable escape for them: show them as parentheses.
    return "\\N".join(line.replace("{", "(").replace("}", ")") for line in lines)


def _centiseconds(cue: Cue) -> tuple[int, int]:
    start = -(-cue.start // 10) * 10
    return start, max(cue.end // 10 * 10, start + 10)


class AssFormat(OutputFormat):
    """``ass``: both languages in one styled file."""

    name = "ass"

    @classmethod
    def render(cls, transcript: Transcript, cues: CuePair) -> dict[str, str]:
        subs = pysubs2.SSAFile()
        subs.info.update(
            {
                "Title": f"{transcript.media.path} (sha256 {transcript.media.sha256})",
                "PlayResX": str(WIDTH),
                "PlayResY": str(HEIGHT),
                "ScaledBorderAndShadow": "yes",
            }
        )
        subs.styles = {name: style.copy() for name, style in STYLES.items()}
        for label in labels(transcript):
            subs.append(SSAEvent(start=0, end=0, text=label, type="Comment", style="Label"))
        shown = tracks(transcript, cues)
        visible_label = "\\N".join(label for _, label, _ in shown)
        duration = transcript.media.duration_ms
        end = min(LABEL_SHOW_MS, duration) if duration > 0 else LABEL_SHOW_MS
        subs.append(SSAEvent(start=0, end=max(end // 10 * 10, 10), text=visible_label, style="Label"))
        for lang, _, track in shown:
            style = "English" if lang == "en" else "Original"
            for cue in track:
                if not cue.lines:
                    continue
                start, stop = _centiseconds(cue)
                subs.append(
                    SSAEvent(
                        start=start, end=stop, text=_ass_text(cue.lines), style=style, name=cue.speaker or ""
                    )
                )
        return {"ass": subs.to_string("ass")}
