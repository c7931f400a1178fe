"""How often subtitle events meet the rules: tolmach's cues against raw faster-whisper segments.

Run: ``.venv/bin/python bench/subtitles.py [--seconds 180] [--model-dir DIR]``

Transcribes about three minutes of real Russian read speech (``/work/shared/bench-data/ru-read``, clips
concatenated in index order) with faster-whisper (Whisper base, word timestamps, language ru, beam 5),
then measures, for each rule, the share of events that meet it:

(a) tolmach: the segments cut into cues by ``tolmach.subtitles.build_cues``;
(b) raw: one SRT event per faster-whisper segment, its text as Whisper wrote it (one line).

The "get segments" step is one function, ``whisper_segments``, so that it can later be swapped for the
real pipeline. With no translation available here the original text stands in for the English line, so
the English track has the same text as the original; the table says so.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tolmach.records import Cue, Segment, Word
from tolmach.subtitles import CueRules, build_cues

DATA = Path("/work/shared/bench-data/ru-read")
FALLBACK_MODEL = Path("/tmp/proto/model")
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Event:
    start: int
    end: int
    lines: tuple[str, ...]


def load_audio(seconds: float) -> tuple[np.ndarray, list[str]]:
    """The first clips of ru-read, in index order, concatenated until ``seconds`` of audio."""
    from faster_whisper import decode_audio

    pieces: list[np.ndarray] = []
    names: list[str] = []
    total = 0.0
    with (DATA / "index.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if total >= seconds:
                break
            pieces.append(decode_audio(str(DATA / row["audio"]), sampling_rate=SAMPLE_RATE))
            names.append(row["id"])
            total += len(pieces[-1]) / SAMPLE_RATE
    return np.concatenate(pieces), names


def model_path(model_dir: str | None) -> tuple[str, str]:
    """(folder, how it was found): the shipped base model, or a folder given on the command line."""
    if model_dir:
        return model_dir, "--model-dir"
    try:
        from tolmach.asr.models import resolve_model

        return resolve_model("base").path, "tolmach.asr.models.resolve_model('base')"
    except Exception as exc:  # the resolver is young; the benchmark should still run
        return str(FALLBACK_MODEL), f"fallback {FALLBACK_MODEL} ({type(exc).__name__}: {exc})"


def whisper_segments(audio: np.ndarray, model_dir: str) -> tuple[list[Segment], list[Event]]:
    """Transcribe; return tolmach Segments (text doubles as translation) and raw one-per-segment events.

    The one place to swap for ``tolmach.pipeline`` later.
    """
    from faster_whisper import WhisperModel

    model = WhisperModel(model_dir, device="cpu", compute_type="int8")
    raw_segments, _ = model.transcribe(audio, language="ru", beam_size=5, word_timestamps=True)
    segments: list[Segment] = []
    raw: list[Event] = []
    for k, s in enumerate(raw_segments, 1):
        start, end = round(s.start * 1000), round(s.end * 1000)
        words = tuple(
            Word(round(w.start * 1000), round(w.end * 1000), w.word, w.probability) for w in s.words or ()
        )
        segments.append(Segment(k, start, end, s.text.strip(), s.text.strip(), words))
        raw.append(Event(start, end, tuple(line for line in s.text.strip().split("\n") if line)))
    return segments, raw


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
    parser.add_argument("--model-dir", help="a CTranslate2 Whisper folder instead of the shipped base")
    args = parser.parse_args(argv)

    audio, clips = load_audio(args.seconds)
    folder, found = model_path(args.model_dir)
    began = time.perf_counter()
    segments, raw = whisper_segments(audio, folder)
    took = time.perf_counter() - began
    rules = CueRules()
    original, english = build_cues(segments, rules)
    columns = {
        "raw faster-whisper": shares(raw, rules),
        "tolmach original": shares(as_events(original), rules),
        "tolmach English*": shares(as_events(english), rules),
    }

    print(f"audio: {len(audio) / SAMPLE_RATE:.1f} s, {len(clips)} clips of {DATA} ({clips[0]}..{clips[-1]})")
    print(f"model: {folder} via {found}; transcribed in {took:.1f} s")
    print(f"events: raw {len(raw)}, tolmach {len(original)} (from {len(segments)} segments)")
    print("* no translation is available here: the original text stands in for the English line\n")
    width = max(len(rule) for rule in columns["raw faster-whisper"])
    print(f"{'share of events meeting':<{width}}  " + "  ".join(f"{name:>18}" for name in columns))
    for rule in columns["raw faster-whisper"]:
        print(f"{rule:<{width}}  " + "  ".join(f"{col[rule]:>18.1%}" for col in columns.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
