"""Throughput of ``tolmach batch``: sequential calls in one process against the local pool and Ray.

    python bench/batch.py [--clips 16] [--corpus ru-read]

The same clips (real Russian speech from the bench data) go through:

- sequential:  ``translate_clip`` called for each clip in this process, the model loaded before timing
               (the baseline: no executor at all)
- local x1:    ``run_batch`` with one worker process (all cores to its model)
- local x2:    two worker processes (the cores shared out between them)
- ray x2:      two Ray actors on a local Ray started by the batch (fractional CPUs)

Each executor run is timed from the call to the report, in a fresh archive, so it includes starting the
workers and loading the model in each, hashing and probing the clips, and storing every result: what a
user waits for. For each: clips per minute, audio hours per hour, the ratio to the baseline, the mean
model time per clip (the pipeline's own ``timings["total"]``), and the per-clip overhead = worker time
not spent in the pipeline = (wall x workers - sum of model time) / clips. Written to
bench/results/batch.txt as well as printed.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import THREADS, clips
from tolmach.archive import Archive
from tolmach.jobs import BatchSettings, gather, run_batch
from tolmach.options import Options
from tolmach.pipeline import translate_clip

RESULTS = Path(__file__).resolve().parent / "results" / "batch.txt"
OPTIONS = Options(lang="ru", speakers="1", formats=("srt", "json"))  # beam 5, entities: the defaults


def line(name: str, n: int, audio_s: float, wall: float, workers: int, model_s: float, base: float) -> str:
    per_min = n / wall * 60
    overhead = (wall * workers - model_s) / n
    return (
        f"{name:12}{wall:8.1f}{per_min:11.1f}{audio_s / wall:10.2f}{base / wall:8.2f}"
        f"{model_s / n:10.2f}{overhead:11.2f}"
    )


def main(count: int, corpus: str) -> None:
    chosen = clips(corpus, count)
    audio_s = 0.0
    print(
        f"{len(chosen)} clips from {corpus}; Whisper base int8 on CPU, {os.cpu_count()} cores; "
        f"options: lang ru, beam 5, speakers 1, entities on"
    )
    # the baseline: one process, the model warm, one clip after another
    translate_clip(chosen[0].path, OPTIONS.replace(threads=THREADS))  # load the model, untimed
    clock = time.perf_counter()
    totals = 0.0
    for clip in chosen:
        t = translate_clip(clip.path, OPTIONS.replace(threads=THREADS))
        totals += t.timings["total"]
        audio_s += t.media.duration_ms / 1000
    base = time.perf_counter() - clock
    load = os.getloadavg()[0]  # other processes on a shared machine take cores from every system alike
    print(f"{len(chosen)} clips, {audio_s / 60:.1f} min of audio; load average {load:.1f} at the start\n")
    print(
        f"{'system':12}{'wall s':>8}{'clips/min':>11}{'audio h/h':>10}{'ratio':>8}"
        f"{'model s/clip':>13}{'overhead s/clip':>16}"
    )
    print(line("sequential", len(chosen), audio_s, base, 1, totals, base))
    for name, executor, workers in (("local x1", "local", 1), ("local x2", "local", 2), ("ray x2", "ray", 2)):
        with tempfile.TemporaryDirectory(prefix="bench-batch-") as home, Archive(home) as archive:
            sources = gather([str(c.path) for c in chosen])
            settings = BatchSettings(executor=executor, workers=workers, retries=0)
            clock = time.perf_counter()
            report = run_batch(archive, sources, OPTIONS, None, settings)
            wall = time.perf_counter() - clock
        if not report.ok:
            print(f"{name}: {report.count('failed')} clips failed")
        model_s = sum(j.timings.get("total", 0.0) for j in report.jobs)
        print(line(name, len(chosen), audio_s, wall, workers, model_s, base))
    print("\nratio: the baseline's wall time / this one's (above 1 is faster than sequential calls)")
    print("overhead: worker time not in the pipeline per clip (start-up and model loads included)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--corpus", default="ru-read")
    args = parser.parse_args()
    captured = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, text: str) -> int:
            sys.__stdout__.write(text)
            sys.__stdout__.flush()
            return captured.write(text)

    with redirect_stdout(Tee()):
        main(args.clips, args.corpus)
    RESULTS.write_text(captured.getvalue(), encoding="utf-8")
