"""How often subtitle events meet the rules: tolmach's cues against raw faster-whisper segments.

    python bench/subtitles.py [--seconds 180] [--engine local [--local-model 1.5b|0.5b|FILE]]

Real Russian speech from the bench data (read prose and telephone prompts, one recording after another)
is run through (a) tolmach's transcribe stage, whose segments (with their English) are cut into cues
by ``tolmach.subtitles.build_cues``, and (b) raw faster-whisper (same model, beam 5, language ru,
word timestamps), one SRT event per segment with its text as Whisper wrote it. For each rule the
share of events that meet it is printed; the gap rule counts consecutive pairs.

With ``--engine local`` the same audio also goes the way ``tolmach translate`` takes it when the local
language model writes the English: transcript only, then the engine line by line (Whisper's English
kept for a line it cannot translate); its English cues get a column of their own, and the time of
both ways is printed (RTF: seconds per second of audio), with seconds a line and the peak RSS.
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
    parser.add_argument("--engine", choices=("local",), default=None, help="also the local LLM's English")
    parser.add_argument("--local-model", default="1.5b")
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
    if args.engine:
        local, report = engine_way(audio, args.local_model)
        columns[f"English ({args.engine})"] = shares(as_events(build_cues(local, rules)[1]), rules)

    print(f"audio: {len(audio) / 16000:.1f} s of ru-read and ru-phone; both systems ran in {took:.1f} s")
    print(f"events: raw {len(raw)}, tolmach {len(original)} (from {len(segments)} segments)\n")
    width = max(len(rule) for rule in columns["raw faster-whisper"])
    print(f"{'share of events meeting':<{width}}  " + "  ".join(f"{name:>18}" for name in columns))
    for rule in columns["raw faster-whisper"]:
        print(f"{rule:<{width}}  " + "  ".join(f"{col[rule]:>18.1%}" for col in columns.values()))
    if args.engine:
        print(report)
    return 0


def engine_way(audio: np.ndarray, local_model: str) -> tuple[list[Segment], str]:
    """The audio as ``tolmach translate --engine local`` takes it, and the lines saying how long each
    way took. The Whisper way (transcript and English in one pass) runs again here, after the models
    are loaded, so that both times are measured alike."""
    from bench.common import THREADS, PeakRss, whisper_model
    from tolmach.asr.decoder import WindowDecoder
    from tolmach.asr.transcribe import transcribe, whisper_english
    from tolmach.engines import translate_segments
    from tolmach.entities import annotate
    from tolmach.options import Options

    decoder = WindowDecoder(whisper_model())
    seconds = len(audio) / 16000
    clock = time.perf_counter()
    transcribe(audio, decoder, Options(lang="ru", threads=THREADS))
    whisper_s = time.perf_counter() - clock
    options = Options(lang="ru", threads=THREADS, engine="local", local_model=local_model)
    with PeakRss().measure() as rss:
        clock = time.perf_counter()
        heard = transcribe(audio, decoder, options.replace(translate=False)).segments
        heard = annotate(heard, "ru")  # as the pipeline does: the engine is told the names' spelling
        asr_s = time.perf_counter() - clock
        spans = [(s.start, s.end) for s in heard]

        def whisper_lines(indices: Sequence[int]) -> list[str]:
            return whisper_english(audio, decoder, [spans[i] for i in indices], "ru", options)

        clock = time.perf_counter()
        done, _ = translate_segments(
            heard, "ru", options, whisper="whisper:base", whisper_lines=whisper_lines
        )
        engine_s = time.perf_counter() - clock
    fell_back = sum(1 for s in done if "fallback" in s.translated_by)
    total = asr_s + engine_s
    report = (
        f"\ntime on {seconds:.0f} s of audio: Whisper's transcript and English {whisper_s:.1f} s (RTF "
        f"{whisper_s / seconds:.3f}); transcript only {asr_s:.1f} s + engine {engine_s:.1f} s "
        f"= {total:.1f} s "
        f"(RTF {total / seconds:.3f}, {total / whisper_s:.2f}x Whisper's)\n"
        f"engine: {len(done)} lines, {engine_s / max(len(done), 1):.2f} s a line, {fell_back} kept Whisper's "
        f"English; peak RSS {rss.peak:.0f} MiB (Whisper base and the local model loaded)"
    )
    return list(done), report


if __name__ == "__main__":
    sys.exit(main())
