"""The English voice-over of a clip: each line spoken in its slot, mixed over the ducked original.

    transcript lines -> speech (tts) -> placements (fit) -> tempo (ffmpeg atempo) -> duck + mix
    -> EBU R128 loudness, AI-voice tags (ffmpeg) -> one .wav, plus a DubReport saying what happened

The voice-over opens with a spoken disclosure ("English voice-over, AI-generated.") that the user may
reword but can only remove with an explicit flag (``DubOptions.disclose=False``), which the report
records. The original audio is never replaced, only lowered under the voice: it is the evidence.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tolmach import __version__
from tolmach.errors import InputError, OptionsError
from tolmach.media.audio import decode_audio
from tolmach.media.files import atomic_path
from tolmach.records import Transcript
from tolmach.voice.fit import GAP_MS, Placement, Slot, fit_lines
from tolmach.voice.mix import (
    DEFAULT_LEVEL_DB,
    MIX_RATE,
    Loudness,
    change_tempo,
    duck_envelope,
    loudness_normalise,
    mix,
    place_lines,
    set_level,
    speech_level_db,
    write_raw,
)
from tolmach.voice.tts import Speech, synthesize
from tolmach.voice.voices import DEFAULT_VOICE, get_voice

DISCLOSURE = "English voice-over, AI-generated."
REPORT_FORMAT = "tolmach.dub/1"
MAX_SPEED_LIMIT = 2.0  # --max-speed above this is refused: nobody follows speech that fast


@dataclass(frozen=True)
class DubOptions:
    voice: str = DEFAULT_VOICE  # a registered voice name or a path to a piper .onnx voice
    max_speed: float = 1.25  # the most a line is sped up to fit its slot
    duck_db: float = -12.0  # original audio level while the voice speaks
    loudness: float = -16.0  # integrated loudness of the mix, LUFS (EBU R128)
    disclosure: str = DISCLOSURE  # spoken first
    disclose: bool = True  # False only through an explicit --no-disclosure flag; recorded in the report

    def validate(self) -> DubOptions:
        """Return self if every value is usable, else raise OptionsError naming the bad one."""
        if not 1.0 <= self.max_speed <= MAX_SPEED_LIMIT:
            raise OptionsError(
                f"--max-speed {self.max_speed:g} is outside 1.0 to {MAX_SPEED_LIMIT:g}", "1.25 is the default"
            )
        if not -60.0 <= self.duck_db <= 0.0:
            raise OptionsError(f"duck level {self.duck_db:g} dB is outside -60 to 0", "-12 is the default")
        if not -40.0 <= self.loudness <= -5.0:
            raise OptionsError(f"loudness {self.loudness:g} LUFS is outside -40 to -5", "-16 is for the web")
        if self.disclose and not self.disclosure.strip():
            raise OptionsError(
                "the spoken disclosure cannot be empty",
                "reword it, or remove it explicitly with --no-disclosure",
            )
        return self


@dataclass(frozen=True)
class LineReport:
    """How one line was placed; times in ms in the clip."""

    id: int
    start: int  # the voice starts
    end: int  # the voice ends
    slot_start: int  # the source line's time
    slot_end: int
    speech_ms: int  # the English at 1.0x
    speed: float
    overflow_ms: int  # over the next line's start (or the clip's end); 0 when it fitted
    delay_ms: int  # started late because the line before ran long
    fitted: bool
    how: str  # "slot", "sped-up", "silence" or "overflow"
    text: str  # the English spoken


@dataclass(frozen=True)
class DubReport:
    """What a dub did: per line timing and speed, the disclosure, the voice and the loudness."""

    media: str
    sha256: str
    output: str
    voice: str  # e.g. "piper joe"
    max_speed: float
    duck_db: float
    loudness_target: float
    loudness: Loudness
    disclosure: str  # the words spoken first; "" when removed
    disclosure_spoken: bool
    disclosure_end: int  # ms; 0 when not spoken
    reviewed: bool  # whether a human reviewed the English that is spoken
    duration_ms: int
    lines: tuple[LineReport, ...]

    @property
    def at_normal_speed(self) -> int:
        return sum(1 for line in self.lines if line.fitted and line.speed == 1.0)

    @property
    def sped_up(self) -> int:
        return sum(1 for line in self.lines if line.fitted and line.speed > 1.0)

    @property
    def overflowing(self) -> tuple[LineReport, ...]:
        return tuple(line for line in self.lines if not line.fitted)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lines"] = [asdict(line) for line in self.lines]
        return {
            "format": REPORT_FORMAT,
            "tool_version": __version__,
            "ai_generated": True,
            **data,
            "disclosure": {
                "text": self.disclosure,
                "spoken": self.disclosure_spoken,
                "end": self.disclosure_end,
                "removed_by_flag": "--no-disclosure" if not self.disclosure_spoken else None,
            },
            "counts": {
                "lines": len(self.lines),
                "at_1x": self.at_normal_speed,
                "sped_up": self.sped_up,
                "overflowing": len(self.overflowing),
            },
        }

    def summary(self) -> str:
        """One line for the CLI."""
        over = self.overflowing
        worst = max(over, key=lambda line: line.overflow_ms) if over else None
        overflow = f"{len(over)} overflowing" + (
            f" (worst: line {worst.id}, {worst.overflow_ms} ms)" if worst else ""
        )
        fastest = max((line.speed for line in self.lines if line.fitted), default=1.0)
        sped = f"{self.sped_up} sped up" + (f" (up to {fastest:.2f}x)" if self.sped_up else "")
        said = "disclosure spoken" if self.disclosure_spoken else "NO spoken disclosure (--no-disclosure)"
        return (
            f"dub: {len(self.lines)} lines: {self.at_normal_speed} at 1.0x, {sped}, {overflow}; "
            f"{self.voice}; {said}; {self.loudness.output_i:.1f} LUFS"
        )


Progress = Callable[[int, int], None]


def dub(
    transcript: Transcript,
    media: Path,
    output: Path,
    options: DubOptions | None = None,
    *,
    progress: Progress | None = None,
) -> DubReport:
    """Write ``output`` (.wav): the original audio ducked under the English voice, loudness-normalised.

    Lines without English (inaudible) are not spoken. Nothing is written unless everything succeeds.
    """
    options = (options or DubOptions()).validate()
    lines = sorted((s for s in transcript.segments if s.translation.strip()), key=lambda s: s.start)
    if not lines:
        raise InputError(
            f"{media}: no English lines to speak", "translate the clip first; it may have no speech"
        )
    voice = get_voice(options.voice)
    original = decode_audio(media, MIX_RATE)
    total = len(lines) + 3
    report = progress or (lambda done, total: None)

    opening: Speech | None = None
    if options.disclose:
        opening = synthesize(options.disclosure, voice)
    speeches: list[Speech] = []
    for i, segment in enumerate(lines):
        speeches.append(synthesize(segment.translation, voice))
        report(i + 1, total)
    duration = max(transcript.media.duration_ms, len(original) * 1000 // MIX_RATE)
    opening_end = opening.duration_ms if opening else 0
    slots = [Slot(s.start, s.end, sp.duration_ms) for s, sp in zip(lines, speeches, strict=True)]
    placements = fit_lines(
        slots,
        max_speed=options.max_speed,
        limit=duration,
        after=opening_end + GAP_MS if opening else 0,
    )
    said = ([opening] if opening else []) + speeches
    starts = ([0] if opening else []) + [p.start for p in placements]
    speeds = ([1.0] if opening else []) + [p.speed for p in placements]
    clips = change_tempo([s.samples for s in said], speeds, voice.sample_rate, MIX_RATE)
    report(len(lines) + 1, total)
    level = speech_level_db(original, MIX_RATE)
    level = DEFAULT_LEVEL_DB if level is None else level
    placed = [
        (start * MIX_RATE // 1000, set_level(clip, MIX_RATE, level))
        for start, clip in zip(starts, clips, strict=True)
    ]
    envelope = duck_envelope(len(original), [(a, a + len(c)) for a, c in placed], MIX_RATE, options.duck_db)
    mixed = mix(original, place_lines(len(original), placed), envelope)
    del original, envelope
    report(len(lines) + 2, total)
    tags = _tags(transcript, media, voice.label, options)
    with tempfile.TemporaryDirectory(prefix="tolmach-dub-") as folder, atomic_path(output) as tmp:
        source = write_raw(Path(folder) / "mix.f32", mixed)
        del mixed
        loudness = loudness_normalise(
            source, tmp, target=options.loudness, sample_rate=MIX_RATE, what=str(media), tags=tags
        )
    report(total, total)
    return DubReport(
        media=os.fspath(media),
        sha256=transcript.media.sha256,
        output=os.fspath(output),
        voice=voice.label,
        max_speed=options.max_speed,
        duck_db=options.duck_db,
        loudness_target=options.loudness,
        loudness=loudness,
        disclosure=options.disclosure if options.disclose else "",
        disclosure_spoken=opening is not None,
        disclosure_end=opening_end,
        reviewed=transcript.reviewer is not None,
        duration_ms=duration,
        lines=tuple(_line(s, p, sp) for s, p, sp in zip(lines, placements, speeches, strict=True)),
    )


def _line(segment: Any, placed: Placement, speech: Speech) -> LineReport:
    return LineReport(
        id=segment.id,
        start=placed.start,
        end=placed.end,
        slot_start=segment.start,
        slot_end=segment.end,
        speech_ms=speech.duration_ms,
        speed=placed.speed,
        overflow_ms=placed.overflow_ms,
        delay_ms=placed.delay_ms,
        fitted=placed.fitted,
        how=placed.how,
        text=segment.translation,
    )


def _tags(transcript: Transcript, media: Path, voice: str, options: DubOptions) -> dict[str, str]:
    """File tags (RIFF INFO in a wav) that say, in any player, that this voice is synthetic."""
    text = "reviewed translation" if transcript.reviewer else "machine translation, not reviewed"
    spoken = (
        "spoken disclosure at the start"
        if options.disclose
        else "spoken disclosure removed (--no-disclosure)"
    )
    return {
        "title": f"{media.stem}: English voice-over (AI-generated voice)",
        "artist": f"AI-generated voice ({voice})",
        "comment": (
            f"Voice is AI-generated ({voice}). English voice-over of a {text}, over the original audio "
            f"lowered by {-options.duck_db:g} dB while the voice speaks; {spoken}. "
            f"Source sha256 {transcript.media.sha256}."
        ),
        "language": "eng",
        "encoded_by": f"tolmach {__version__}",
    }
