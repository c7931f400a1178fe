"""Burned-in subtitles: the ASS script libass draws, the font it draws with, and the filter that reads it.

The script is made in the video's own pixel space from the same cues as every subtitle file
(``subtitles.build_cues``), so what is burned is what the .srt says. The font is checked, through
fontconfig, to have Russian and Ukrainian letters: libass would otherwise fall back silently and could
draw boxes. Pure functions except ``find_font`` (which asks fontconfig once); ffmpeg runs in render.py.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pysubs2
from pysubs2 import Alignment, Color, SSAEvent, SSAStyle

from tolmach.errors import MediaToolError
from tolmach.records import Cue, Transcript
from tolmach.subtitles.cues import build_cues
from tolmach.subtitles.formats.base import LABEL_TRANSCRIPT, LABEL_TRANSLATION, rules_for

LABEL_SHOW_MS = 5000  # the burned label's time on screen, from the start


@dataclass(frozen=True)
class Font:
    """The font burned subtitles use: a family libass can ask for, and the file that has it."""

    family: str
    path: Path


def label_text(mode: str, transcript: Transcript) -> str:
    """The burned label for a burn mode: what is machine-made in what is shown (a line per language)."""
    if mode == "orig" or transcript.language == "en":
        return LABEL_TRANSCRIPT
    return LABEL_TRANSLATION if mode == "en" else f"{LABEL_TRANSCRIPT}\\N{LABEL_TRANSLATION}"


def burn_script(
    transcript: Transcript, mode: str, width: int, height: int, *, font: str, label: str | None
) -> str:
    """The ASS script burned into a ``width`` x ``height`` video, in that pixel space.

    Sizes follow the height of a 16:9 frame (a portrait frame's width limits them instead, so a
    42-character line still fits): English 5.5% of it, white with a black outline and a soft shadow,
    which hides less of the picture than a box and reads on bright and dark footage alike. Margins are
    the title-safe 5% of the frame. ``both`` stacks each cue's original above its English at the bottom,
    the original smaller and pale yellow: one place to look, the English (what the audience reads) at
    full size, the original (the evidence) right above the words it translates. ``label`` goes in a
    semi-opaque box at the top left for the first :data:`LABEL_SHOW_MS`.
    """
    width, height = max(width, 16), max(height, 16)
    base = min(height, width * 9 / 16)
    main = base * 0.055
    subs = pysubs2.SSAFile()
    subs.info.update(
        {
            "Title": f"{Path(transcript.media.path).name} (sha256 {transcript.media.sha256})",
            "PlayResX": str(width),
            "PlayResY": str(height),
            "ScaledBorderAndShadow": "yes",
            "WrapStyle": "0",
        }
    )
    margin_h, margin_v = round(width * 0.05), round(height * 0.05)

    def style(size: float, colour: Color, alignment: Alignment = Alignment.BOTTOM_CENTER) -> SSAStyle:
        return SSAStyle(
            fontname=font,
            fontsize=round(size, 1),
            primarycolor=colour,
            outlinecolor=Color(0, 0, 0),
            backcolor=Color(0, 0, 0, 128),
            outline=round(max(size * 0.07, 1.0), 1),
            shadow=round(size * 0.03, 1),
            alignment=alignment,
            marginl=margin_h,
            marginr=margin_h,
            marginv=margin_v,
        )

    label_style = style(base * 0.035, Color(235, 235, 235), Alignment.TOP_LEFT)
    label_style.borderstyle = 3  # an opaque box in the outline colour, here half transparent
    label_style.outlinecolor = Color(0, 0, 0, 96)
    label_style.outline = round(base * 0.01, 1)
    label_style.shadow = 0
    subs.styles = {
        "English": style(main, Color(255, 255, 255)),
        "Original": style(main * (0.8 if mode == "both" else 1.0), Color(255, 245, 200)),
        "Label": label_style,
    }
    original, english = build_cues(transcript.segments, rules_for(transcript))
    for orig_cue, en_cue in zip(original, english, strict=True):
        text = _event_text(orig_cue, en_cue, mode)
        if text:
            start, end = _centiseconds(orig_cue)
            subs.append(SSAEvent(start=start, end=end, text=text, style="English"))
    if label:
        end = LABEL_SHOW_MS
        if transcript.media.duration_ms > 0:
            end = max(min(end, transcript.media.duration_ms) // 10 * 10, 10)
        subs.append(SSAEvent(start=0, end=end, text=label, style="Label"))
    return subs.to_string("ass")


def _event_text(orig: Cue, en: Cue, mode: str) -> str:
    original = _ass_text(orig.lines)
    english = _ass_text(en.lines)
    if mode == "orig":
        return "{\\rOriginal}" + original if original else ""
    if mode == "en":
        return english
    parts = ["{\\rOriginal}" + original if original else "", "{\\rEnglish}" + english if english else ""]
    return "\\N".join(p for p in parts if p)


def _ass_text(lines: tuple[str, ...]) -> str:
    # Braces open override blocks and a backslash starts a tag; ASS has no escape for either, so they
    # are shown as look-alikes (the ass format does the same with braces).
    return "\\N".join(
        line.replace("{", "(").replace("}", ")").replace("\\", "\u29f5") for line in lines if line
    )


def _centiseconds(cue: Cue) -> tuple[int, int]:
    start = -(-cue.start // 10) * 10
    return start, max(cue.end // 10 * 10, start + 10)


def ass_filter(script: Path, fonts_dir: Path) -> str:
    """The ``ass`` filter reading ``script`` with fonts from ``fonts_dir``, escaped for a filtergraph.

    Two levels, as ffmpeg's filtergraph documentation describes: an option value escapes ``\\ ' :``; the
    whole filter description then escapes ``\\ ' [ ] , ;``.
    """
    value = functools.partial(_escape, chars="\\':")
    description = f"ass=filename={value(str(script))}:fontsdir={value(str(fonts_dir))}"
    return _escape(description, chars="\\'[],;")


def _escape(text: str, chars: str) -> str:
    return re.sub("([" + re.escape(chars) + "])", r"\\\1", text)


# Families tried first, in order; any other installed family with Russian and Ukrainian letters after.
PREFERRED_FONTS = ("DejaVu Sans", "Noto Sans", "Liberation Sans")
# Where Debian (fonts-dejavu-core), Fedora and Arch put DejaVu Sans: used when fc-list is not installed.
KNOWN_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
HINT_FONT = "install a font with Cyrillic letters: apt-get install fonts-dejavu-core"


@functools.cache
def find_font() -> Font:
    """The font for burned subtitles: one that fontconfig says covers Russian and Ukrainian.

    libass finds fonts through fontconfig too, but silently falls back to whatever it has, which can
    draw boxes ("tofu") instead of Cyrillic; failing here with an install hint is better.
    """
    covered = _fc_list(":lang=ru") & _fc_list(":lang=uk") if shutil.which("fc-list") else None
    if covered is None:  # no fontconfig tools: trust the known file names of DejaVu Sans
        for file in KNOWN_FONT_FILES:
            if os.path.isfile(file):
                return Font("DejaVu Sans", Path(file))
        raise MediaToolError("no font with Cyrillic letters found to burn subtitles with", HINT_FONT)
    regular = [(family, path) for family, style, path in covered if style in ("Book", "Regular")]
    for wanted in PREFERRED_FONTS:
        for family, path in sorted(regular):
            if family == wanted:
                return Font(family, Path(path))
    if regular:
        family, path = sorted(regular)[0]
        return Font(family, Path(path))
    raise MediaToolError("no font with Cyrillic letters found to burn subtitles with", HINT_FONT)


def _fc_list(pattern: str) -> set[tuple[str, str, str]]:
    """(first family name, first style name, file) of every font fontconfig lists for ``pattern``."""
    fmt = "%{family[0]}\t%{style[0]}\t%{file}\n"
    try:
        proc = subprocess.run(
            ["fc-list", "--format", fmt, pattern], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    rows = set()
    for line in proc.stdout.decode("utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].lower().endswith((".ttf", ".otf", ".ttc")):
            rows.add((parts[0], parts[1], parts[2]))
    return rows
