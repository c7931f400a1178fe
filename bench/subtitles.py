"""How often subtitle events meet the rules: tolmach's cues against raw faster-whisper segments.

    python bench/subtitles.py [--seconds 180]

Real Russian speech from the bench data (read prose and telephone prompts, one recording after another)
is run through (a) tolmach's transcribe stage, whose segments (with their English) are cut into cues
by ``tolmach.subtitles.build_cues``, and (b) raw faster-whisper (same model, beam 5, language ru,
word timestamps), one SRT event per segment with its text as Whisper wrote it. For each rule the
share of events that meet it is printed; the gap rule counts consecutive pairs.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tolmach.records import Cue, Segment
from tolmach.subtitles import CueRules, build_cues

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass(frozen=True)
class Event:
    start: int
    end: int
    lines: tuple[str, ...]


def segments_both_ways(audio: np.ndarray) -> tuple[list[Segment], list[Event]]:
    """tolmach's Segments (with English) and raw faster-whisper's one-event-per-segment."""
    from bench.common import THREADS, whisper_model
    from tolmach.asr.decoder import WindowDecoder
    from tolmach.asr.transcribe import transcribe
    from tolmach.options import Options

    model = whisper_model()
    ours = transcribe(audio, WindowDecoder(model), Options(lang="ru", threads=THREADS)).segments
    raw_segments, _ = model.transcribe(audio, language="ru", beam_size=5, word_timestamps=True)
    raw = [
        Event(
            round(s.start * 1000),
            round(s.end * 1000),
            tuple(line for line in s.text.strip().split("\n") if line),
        )
        for s in raw_segments
    ]
    return list(ours), raw


def shares(events: Sequence[Event], rules: CueRules) -> dict[str, float]:
    """The share of events meeting each rule (the gap rule: share of consecutive pairs)."""
    n = len(events)
    if n == 0:
        return {}
    gaps = [b.start - a.end for a, b in itertools.pairwise(events)]

    def share(flags: Sequence[bool]) -> float:
        return sum(flags) / len(flags) if flags else 1.0

    def cps(e: Event) -> float:
        return sum(len(line) for line in e.lines) * 1000 / max(e.end - e.start, 1)

    return {
        f"line length <= {rules.max_chars_per_line}": share(
            [all(len(line) <= rules.max_chars_per_line for line in e.lines) for e in events]
        ),
        f"lines <= {rules.max_lines}": share([len(e.lines) <= rules.max_lines for e in events]),
        f"duration {rules.min_duration_ms}-{rules.max_duration_ms} ms": share(
            [rules.min_duration_ms <= e.end - e.start <= rules.max_duration_ms for e in events]
        ),
        f"gap >= {rules.min_gap_frames} frames ({rules.min_gap_ms} ms)": share(
            [g >= rules.min_gap_ms for g in gaps]
        ),
        f"reading speed <= {rules.max_cps:g} cps": share([cps(e) <= rules.max_cps + 1e-9 for e in events]),
        "all rules": share(
            [
                all(len(line) <= rules.max_chars_per_line for line in e.lines)
                and len(e.lines) <= rules.max_lines
                and rules.min_duration_ms <= e.end - e.start <= rules.max_duration_ms
                and cps(e) <= rules.max_cps + 1e-9
                and (k + 1 == n or gaps[k] >= rules.min_gap_ms)
                for k, e in enumerate(events)
            ]
        ),
    }


def as_events(cues: Sequence[Cue]) -> list[Event]:
    return [Event(c.start, c.end, c.lines) for c in cues]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="audio to transcribe (default 180)")
    args = parser.parse_args(argv)
    from bench.common import long_audio

    audio = long_audio(args.seconds, corpora=("ru-read", "ru-phone"))
    began = time.perf_counter()
    segments, raw = segments_both_ways(audio)
    took = time.perf_counter() - began
    rules = CueRules()
    original, english = build_cues(segments, rules)
    columns = {
        "raw faster-whisper": shares(raw, rules),
        "tolmach original": shares(as_events(original), rules),
        "tolmach English": shares(as_events(english), rules),
    }

    print(f"audio: {len(audio) / 16000:.1f} s of ru-read and ru-phone; both systems ran in {took:.1f} s")
    print(f"events: raw {len(raw)}, tolmach {len(original)} (from {len(segments)} segments)\n")
    width = max(len(rule) for rule in columns["raw faster-whisper"])
    print(f"{'share of events meeting':<{width}}  " + "  ".join(f"{name:>18}" for name in columns))
    for rule in columns["raw faster-whisper"]:
        print(f"{rule:<{width}}  " + "  ".join(f"{col[rule]:>18.1%}" for col in columns.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
