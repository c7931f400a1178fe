"""Shared helpers for the benchmarks: the bench data, the models, text normalisation, RSS sampling.

The bench data lives outside the repository (``../shared/bench-data``, or ``$TOLMACH_BENCH_DATA``):
real Russian recordings with references and their licences.
"""

from __future__ import annotations

import csv
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOLMACH_BENCH_DATA", ROOT.parent / "shared" / "bench-data"))
THREADS = int(os.environ.get("TOLMACH_BENCH_THREADS", os.cpu_count() or 1))


@dataclass(frozen=True)
class Clip:
    id: str
    path: Path
    transcript: str
    english: str = ""


def clips(corpus: str, limit: int | None = None) -> list[Clip]:
    folder = DATA / corpus
    if not (folder / "index.tsv").is_file():
        raise SystemExit(f"{folder}/index.tsv: bench data not found (set TOLMACH_BENCH_DATA)")
    with open(folder / "index.tsv", encoding="utf-8", newline="") as fp:
        rows = list(csv.DictReader(fp, delimiter="\t"))
    found = [Clip(r["id"], folder / r["audio"], r["transcript"], r.get("english", "")) for r in rows]
    return found[:limit] if limit else found


def load(clip: Clip) -> np.ndarray:
    from tolmach.media import decode_audio

    return decode_audio(clip.path)


def long_audio(seconds: float, corpora: tuple[str, ...] = ("ru-read",), gap_s: float = 0.8) -> np.ndarray:
    """Real speech from the corpora, one recording after another with pauses, cut to ``seconds``."""
    parts: list[np.ndarray] = []
    total = 0
    pause = np.zeros(int(16000 * gap_s), dtype=np.float32)
    while total < seconds * 16000:
        for corpus in corpora:
            for clip in clips(corpus):
                audio = load(clip)
                parts += [audio, pause]
                total += len(audio) + len(pause)
                if total >= seconds * 16000:
                    return np.concatenate(parts)[: int(seconds * 16000)]
    return np.concatenate(parts)[: int(seconds * 16000)]


def normalise_ru(text: str) -> str:
    """For WER: lower case, ё as е, no punctuation (the references put commas at prosodic pauses)."""
    text = text.lower().replace("ё", "е")
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def whisper_model():  # type: ignore[no-untyped-def]
    """The shipped base model, loaded as tolmach loads it (int8 on CPU)."""
    from tolmach.asr.decoder import load_whisper
    from tolmach.asr.models import resolve_model

    return load_whisper(resolve_model("base").path, "cpu", "int8", THREADS)


class PeakRss:
    """Samples this process's resident memory every 50 ms; ``peak`` is the highest seen (MiB)."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak = 0.0

    @contextmanager
    def measure(self) -> Iterator[PeakRss]:
        stop = threading.Event()
        self.peak = self._proc.memory_info().rss / 2**20

        def sample() -> None:
            while not stop.is_set():
                self.peak = max(self.peak, self._proc.memory_info().rss / 2**20)
                time.sleep(0.05)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start
