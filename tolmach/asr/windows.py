"""Speech regions and decoding windows: where the speech is, and how it is packed for the model.

The VAD finds speech regions; consecutive regions are packed into windows of at most 30 s of speech
(silence between them removed), the unit the Whisper encoder takes. A window remembers which original
spans it holds, so any time inside it maps back to the clip's own timeline. Pure numpy; no model calls
here except the Silero VAD that faster-whisper ships.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
WINDOW_MS = 30_000
VAD_FRAME = 512  # samples per Silero VAD probability


@dataclass(frozen=True)
class Region:
    """A span of the original audio, in ms."""

    start: int
    end: int


@dataclass(frozen=True)
class Window:
    """Up to 30 s of speech cut from one or more regions and glued together."""

    regions: tuple[Region, ...]

    @property
    def duration(self) -> int:
        return sum(r.end - r.start for r in self.regions)

    def audio(self, samples: np.ndarray) -> np.ndarray:
        parts = [samples[_sample(r.start) : _sample(r.end)] for r in self.regions]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def to_original(self, t: int, *, is_end: bool = False) -> int:
        """Map a time inside the window (ms) to the clip's timeline.

        A time exactly on the seam between two regions belongs to the earlier region when it ends
        something and to the later one when it starts something, so no span crosses a removed silence.
        """
        offsets = self._offsets()
        i = bisect.bisect_left(offsets, t) if is_end else bisect.bisect_right(offsets, t)
        i = min(max(i, 1), len(self.regions))
        region = self.regions[i - 1]
        return min(region.start + t - offsets[i - 1], region.end)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span (a word) to the clip's timeline inside one region: the one holding its middle.

        Word timings from the aligner can stray a few ms across a seam; mapping each end on its own
        would then stretch the word over the silence that was removed there.
        """
        offsets = self._offsets()
        i = min(max(bisect.bisect_right(offsets, (start + end) // 2), 1), len(self.regions)) - 1
        region, offset = self.regions[i], offsets[i]
        a = min(max(region.start + start - offset, region.start), region.end)
        b = min(max(region.start + end - offset, a), region.end)
        return a, b

    def after(self, t: int) -> Window:
        """The part of this window from window time ``t`` on, as a window of its own."""
        offsets = self._offsets()
        kept = [
            Region(max(r.start, r.start + t - offsets[i]), r.end)
            for i, r in enumerate(self.regions)
            if offsets[i + 1] > t
        ]
        return Window(tuple(kept))

    def _offsets(self) -> list[int]:
        offsets = [0]
        for r in self.regions:
            offsets.append(offsets[-1] + r.end - r.start)
        return offsets


def take_window(regions: list[Region], window_ms: int = WINDOW_MS) -> Window:
    """Remove regions from the front of ``regions`` into one window of at most ``window_ms``.

    Each region must itself fit a window (``pack_windows`` cuts longer ones).
    """
    taken: list[Region] = []
    used = 0
    while regions and (not taken or used + regions[0].end - regions[0].start <= window_ms):
        region = regions.pop(0)
        taken.append(region)
        used += region.end - region.start
    return Window(tuple(taken))


def _sample(ms: int) -> int:
    return ms * SAMPLE_RATE // 1000


def speech_probabilities(samples: np.ndarray) -> np.ndarray:
    """Silero VAD speech probability for every 32 ms frame of the audio."""
    from faster_whisper.vad import get_vad_model

    if len(samples) == 0:
        return np.zeros(0, dtype=np.float32)
    padded = np.pad(samples, (0, VAD_FRAME - len(samples) % VAD_FRAME))
    return np.asarray(get_vad_model()(padded), dtype=np.float32).reshape(-1)


def speech_regions(
    probs: np.ndarray,
    total_ms: int,
    *,
    threshold: float = 0.5,
    min_silence_ms: int = 500,
    min_speech_ms: int = 250,
    pad_ms: int = 200,
    max_region_ms: int = 28_000,
) -> list[Region]:
    """Turn frame probabilities into padded speech regions.

    Hysteresis like faster-whisper's get_speech_timestamps (enter at ``threshold``, leave below
    ``threshold - 0.15`` for ``min_silence_ms``), but on probabilities computed once, because the
    hallucination guard needs the same probabilities and the VAD should run a single time.
    A region longer than ``max_region_ms`` is cut at its least speech-like frame.
    """
    frame_ms = VAD_FRAME * 1000 / SAMPLE_RATE
    low = max(threshold - 0.15, 0.01)
    raw: list[tuple[int, int]] = []
    start: int | None = None
    silent_since: int | None = None
    for i, p in enumerate(probs):
        if start is None:
            if p >= threshold:
                start, silent_since = i, None
            continue
        if p < low:
            silent_since = i if silent_since is None else silent_since
            if (i - silent_since) * frame_ms >= min_silence_ms:
                raw.append((start, silent_since))
                start, silent_since = None, None
        elif p >= threshold:
            silent_since = None
    if start is not None:
        raw.append((start, len(probs)))

    regions: list[Region] = []
    for a, b in raw:
        for s, e in _cut_long(probs, a, b, int(max_region_ms / frame_ms)):
            if (e - s) * frame_ms >= min_speech_ms:
                regions.append(Region(int(s * frame_ms), int(e * frame_ms)))
    return _pad(regions, pad_ms, total_ms)


def _cut_long(probs: np.ndarray, a: int, b: int, limit: int) -> list[tuple[int, int]]:
    if b - a <= limit:
        return [(a, b)]
    # cut in the second half of the allowed span at the quietest frame, so pieces stay long
    lo, hi = a + limit // 2, a + limit
    cut = lo + int(np.argmin(probs[lo:hi]))
    return [(a, cut), *_cut_long(probs, cut, b, limit)]


def _pad(regions: list[Region], pad_ms: int, total_ms: int) -> list[Region]:
    padded: list[Region] = []
    for i, r in enumerate(regions):
        start = max(0, r.start - pad_ms)
        if padded and start < padded[-1].end:
            # neighbours closer than two pads share the silence between them instead of overlapping
            start = (regions[i - 1].end + r.start) // 2
            padded[-1] = Region(padded[-1].start, start)
        padded.append(Region(start, min(total_ms, r.end + pad_ms)))
    return padded


def pack_windows(regions: list[Region], window_ms: int = WINDOW_MS) -> list[Window]:
    """Greedily pack consecutive regions into windows holding at most ``window_ms`` of audio."""
    windows: list[Window] = []
    current: list[Region] = []
    for region in regions:
        pieces = [region]
        if region.end - region.start > window_ms:  # only when the VAD is off
            pieces = [
                Region(s, min(s + window_ms, region.end)) for s in range(region.start, region.end, window_ms)
            ]
        for piece in pieces:
            used = sum(r.end - r.start for r in current)
            if current and used + piece.end - piece.start > window_ms:
                windows.append(Window(tuple(current)))
                current = []
            current.append(piece)
    if current:
        windows.append(Window(tuple(current)))
    return windows


def speech_ratio(probs: np.ndarray, start: int, end: int) -> float:
    """Mean VAD speech probability over [start, end) ms of the original audio."""
    frame_ms = VAD_FRAME * 1000 / SAMPLE_RATE
    a, b = int(start / frame_ms), max(int(start / frame_ms) + 1, int(np.ceil(end / frame_ms)))
    chunk = probs[a:b]
    return float(chunk.mean()) if len(chunk) else 0.0
