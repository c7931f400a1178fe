"""Speed and memory of ``translate`` against raw faster-whisper, same audio, same model, same process.

    python bench/speed.py [--minutes 3 30] [--repeat 2]

For each input length (real Russian speech from the bench data, recordings one after another):

- raw:      faster-whisper ``WhisperModel.transcribe`` with its defaults, beam 5, language forced
            (transcription alone: the baseline)
- matched:  raw with the options tolmach uses (VAD, word timestamps, temperature 0, no conditioning
            on previous text, no_repeat_ngram_size 5)
- raw x2:   raw transcription and then raw translation (what a user without tolmach runs)
- tolmach transcript:             tolmach, transcript only
- tolmach transcript+translation: what ``tolmach translate`` does
- line checks: ``tolmach.checks`` on that run's lines (entities found first, as the pipeline does),
            as a share of that run's decoding time (issue 14: under 2%)

Ratios are against ``raw`` measured in the same run (machines here are noisy: compare ratios, not
seconds). Peak RSS is sampled every 50 ms during each run; the model is loaded before any timing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import THREADS, PeakRss, long_audio, timed, whisper_model
from tolmach.asr.decoder import WindowDecoder
from tolmach.asr.transcribe import transcribe
from tolmach.options import Options


def main(minutes: list[float], repeat: int) -> None:
    model = whisper_model()
    decoder = WindowDecoder(model)
    options = Options(lang="ru", threads=THREADS)
    rss = PeakRss()

    def raw(audio, task="transcribe", **kw):  # type: ignore[no-untyped-def]
        segments, _ = model.transcribe(audio, language="ru", task=task, beam_size=5, **kw)
        return len(list(segments))

    def matched(audio):  # type: ignore[no-untyped-def]
        return raw(
            audio,
            vad_filter=True,
            word_timestamps=True,
            temperature=0.0,
            condition_on_previous_text=False,
            no_repeat_ngram_size=5,
        )

    def raw_twice(audio):  # type: ignore[no-untyped-def]
        return raw(audio) + raw(audio, "translate")

    def ours(audio, translate=True):  # type: ignore[no-untyped-def]
        return len(transcribe(audio, decoder, options.replace(translate=translate)).segments)

    systems = [
        ("raw (baseline)", raw),
        ("matched", matched),
        ("raw x2 (transcribe, translate)", raw_twice),
        ("tolmach transcript", lambda a: ours(a, translate=False)),
        ("tolmach transcript+translation", ours),
    ]
    print(f"Whisper base int8 on CPU, {THREADS} threads, beam 5, language ru")
    for length in minutes:
        audio = long_audio(length * 60, corpora=("ru-read", "ru-phone"))
        seconds = len(audio) / 16000
        runs = repeat if length <= 5 else 1
        chosen = systems if length <= 5 else [systems[0], systems[3], systems[4]]
        print(f"\n{seconds / 60:.1f} min of speech ({runs} run(s) each, best time kept)")
        print(f"{'system':34}{'time s':>9}{'RTF':>8}{'ratio':>8}{'peak RSS MiB':>14}{'lines':>7}")
        base = None
        for name, fn in chosen:
            best, peak, lines = float("inf"), 0.0, 0
            for _ in range(runs):
                with rss.measure():
                    lines, t = timed(fn, audio)
                best, peak = min(best, t), max(peak, rss.peak)
            base = base or best
            print(f"{name:34}{best:9.1f}{best / seconds:8.3f}{best / base:8.2f}{peak:14.0f}{lines:7d}")
        checks_share(audio, decoder, options, best)


def checks_share(audio, decoder, options, decode_s):  # type: ignore[no-untyped-def]
    """Print what the line checks cost against the decoding of the same lines (best of 3)."""
    from tolmach.checks import check_segments
    from tolmach.entities import annotate
    from tolmach.translate import load_glossary

    segments = annotate(transcribe(audio, decoder, options).segments, "ru")
    glossary = load_glossary()
    best = min(timed(lambda s: check_segments(s, "ru", glossary), segments)[1] for _ in range(3))
    doubtful = sum(1 for s in check_segments(segments, "ru", glossary) if s.doubtful)
    print(
        f"{'line checks':34}{best:9.3f}{'':8}{'':8}{'':14}{len(segments):7d}"
        f"   {100 * best / decode_s:.2f}% of the decode, {1000 * best / max(1, len(segments)):.2f} ms a line,"
        f" {doubtful} doubtful"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[3, 30])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    main(args.minutes, args.repeat)
