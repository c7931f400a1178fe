"""The transcribe stage: 16 kHz samples in, guarded and flagged Segments (with English) out.

Runs the VAD once, packs speech into windows, decodes them in batches, maps every time back to the
clip's own timeline and applies the hallucination guard. Knows nothing of files or formats.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tolmach.asr import guard
from tolmach.asr.decoder import DecodeSettings, RawLine, WindowDecoder, load_whisper
from tolmach.asr.windows import (
    SAMPLE_RATE,
    Region,
    Window,
    pack_windows,
    speech_probabilities,
    speech_ratio,
    speech_regions,
    take_window,
)
from tolmach.options import Options
from tolmach.records import ModelInfo, Segment, Word

LOW_LANGUAGE_PROBABILITY = 0.5
# A forced language is reported as wrong when the speech is detected as another language at least this
# surely. Russian and Ukrainian sound alike and detection is the model's guess (under 0.5 it is reported
# as unsure), so only a clear answer contradicts the user: the sample clip's Russian reads as 'ru' at 0.98.
MISMATCH_PROBABILITY = 0.8
UNDETERMINED = "und"  # ISO 639-2 for "no language could be told": nothing was said

Progress = Callable[[int], None]  # called with the ms of audio processed so far
SPAN_PAD_MS = 300  # audio kept either side of a line decoded alone for its English


@dataclass(frozen=True)
class AsrResult:
    language: str
    language_probability: float
    language_forced: bool
    segments: tuple[Segment, ...]
    speech_ms: int  # how much audio the VAD kept
    warnings: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    device: str = "cpu"
    regions: tuple[Region, ...] = ()  # the speech the VAD found (ms), for later stages to reuse
    detected: str = ""  # what detection found, also when the language was forced ("" without speech)
    detected_probability: float = 0.0
    language_mismatch: bool = False  # forced, and detected as another one with MISMATCH_PROBABILITY


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """'auto' picks CUDA when CTranslate2 sees a GPU; the compute type follows the device."""
    import ctranslate2

    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def decoder_for(model: ModelInfo, options: Options) -> WindowDecoder:
    device, compute_type = resolve_device(options.device, options.compute_type)
    threads = options.threads or (os.cpu_count() or 1)
    return WindowDecoder(load_whisper(model.path, device, compute_type, threads))


def transcribe(
    samples: np.ndarray,
    decoder: WindowDecoder,
    options: Options,
    progress: Progress | None = None,
    hotwords: Callable[[str], str] | None = None,
) -> AsrResult:
    """VAD, windows, language, then decode; ``hotwords(language)`` gives terms to prime the decoder."""
    total_ms = len(samples) * 1000 // SAMPLE_RATE
    clock = _Clock()
    probs = speech_probabilities(samples)
    regions = speech_regions(probs, total_ms) if options.vad else [Region(0, total_ms)]
    windows = pack_windows([r for r in regions if r.end > r.start])
    clock.lap("vad")
    warnings: list[str] = []
    if not windows:
        return AsrResult(
            options.lang or UNDETERMINED,
            0.0,
            options.lang is not None,
            (),
            0,
            ("no speech found",),
            clock.laps,
        )

    language, probability = options.lang or "", 1.0
    detected: tuple[str, float] | None = None
    if options.lang is None:
        language, probability = decoder.detect_language(samples, windows)
        detected = (language, probability)
        clock.lap("language")
        if probability < LOW_LANGUAGE_PROBABILITY:
            warnings.append(
                f"language detected as '{language}' with low probability {probability:.2f}; "
                "pass --lang if that is wrong"
            )
    settings = DecodeSettings(
        language=language,
        beam_size=options.beam_size,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        translate=options.translate,
        hotwords=hotwords(language) if hotwords is not None else "",
    )
    lines: list[RawLine] = []
    # The speech is cut into as many stretches as windows are decoded together; each stretch is
    # decoded in order, one window per batch, so that what Whisper leaves unfinished at the end of a
    # window (its tail) is decoded again at the start of the next window of the same stretch.
    stretches = [s for s in _stretches(windows, options.batch_size) if s]
    speech_total = sum(w.duration for w in windows)
    done_ms = 0
    while stretches:
        batch = [take_window(stretch) for stretch in stretches]
        encoded = decoder.encode(samples, batch)
        if detected is None:  # a forced language, checked on the first batch's encoder output
            detected = decoder.language_of(encoded)
        decoded, tails = decoder.decode(samples, batch, settings, encoded)
        lines.extend(decoded)
        for stretch, tail in zip(stretches, tails, strict=True):
            if tail is not None:
                stretch[:0] = tail.regions
        stretches = [s for s in stretches if s]
        # stretches advance side by side: progress is the share of speech left behind, on the clip's scale
        left = sum(r.end - r.start for stretch in stretches for r in stretch)
        advanced = total_ms * (speech_total - left) // speech_total
        if advanced > done_ms:
            done_ms = advanced
            if progress is not None:
                progress(done_ms)
    clock.lap("decode")
    lines.sort(key=lambda line: line.window.to_original(line.start))
    segments = _to_segments(lines, probs)
    dropped = len(lines) - len(segments)
    if dropped:
        warnings.append(f"dropped {dropped} line(s) that looked invented over non-speech audio")
    code, sureness = detected or ("", 0.0)
    mismatch = is_mismatch(language, options.lang is not None, code, sureness)
    if mismatch:
        warnings.append(
            f"language forced to '{language}', but the speech sounds like '{code}' "
            f"(probability {sureness:.2f}); check --lang"
        )
    speech_ms = sum(r.end - r.start for r in regions)
    return AsrResult(
        language,
        probability,
        options.lang is not None,
        segments,
        speech_ms,
        tuple(warnings),
        clock.laps,
        regions=tuple(regions),
        detected=code,
        detected_probability=round(sureness, 4),
        language_mismatch=mismatch,
    )


def whisper_english(
    samples: np.ndarray,
    decoder: WindowDecoder,
    spans: Sequence[tuple[int, int]],
    language: str,
    options: Options,
) -> list[str]:
    """Whisper's own English for each span (ms) of ``samples``: the fallback of a line that another
    engine could not translate, when the clip was only transcribed. Each span, padded a little, is
    decoded as a window of its own (both tasks, as ``transcribe`` does), a batch at a time."""
    if language == "en":
        return ["" for _ in spans]
    total_ms = len(samples) * 1000 // SAMPLE_RATE
    settings = DecodeSettings(
        language=language,
        beam_size=options.beam_size,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        translate=True,
    )
    windows = [
        Window((Region(max(0, start - SPAN_PAD_MS), min(total_ms, max(end, start + 1) + SPAN_PAD_MS)),))
        for start, end in spans
    ]
    parts: list[list[str]] = [[] for _ in windows]
    size = max(1, options.batch_size)
    for first in range(0, len(windows), size):
        pending = list(enumerate(windows[first : first + size], start=first))
        for _ in range(2):  # the window, then what Whisper left unfinished at its end (its tail)
            lines, tails = decoder.decode(samples, [w for _, w in pending], settings)
            for k, window in pending:  # by identity: two equal spans are two windows
                parts[k].extend(line.translation for line in lines if line.window is window)
            pending = [(k, tail) for (k, _), tail in zip(pending, tails, strict=True) if tail is not None]
            if not pending:
                break
    return [" ".join(" ".join(p).split()) for p in parts]


def is_mismatch(language: str, forced: bool, detected: str, probability: float) -> bool:
    """Whether a forced ``language`` contradicts what the speech was surely detected as."""
    return forced and bool(detected) and detected != language and probability >= MISMATCH_PROBABILITY


def _stretches(windows: list[Window], count: int) -> list[list[Region]]:
    """Split the windows' regions into ``count`` consecutive stretches of about equal length."""
    size = -(-len(windows) // count)
    return [[r for w in windows[i : i + size] for r in w.regions] for i in range(0, len(windows), size)]


def _to_segments(lines: list[RawLine], probs: np.ndarray) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    last_end = 0
    for line in lines:
        window = line.window
        words = tuple(
            Word(*window.span_to_original(w.start, w.end), w.text, w.probability) for w in line.words
        )
        start, end = (
            (words[0].start, words[-1].end) if words else window.span_to_original(line.start, line.end)
        )
        start = max(start, last_end)
        end = max(end, start + 1)
        evidence = guard.LineEvidence(
            text=line.text,
            avg_logprob=line.avg_logprob,
            no_speech_prob=line.no_speech_prob,
            compression_ratio=guard.compression_ratio(line.text),
            min_word_probability=min((w.probability for w in words), default=1.0),
            speech_ratio=speech_ratio(probs, start, end),
        )
        if guard.is_hallucination(evidence):
            continue
        flags = guard.flags_for(evidence)
        segments.append(
            Segment(
                id=len(segments) + 1,
                start=start,
                end=end,
                text=line.text,
                translation=line.translation,
                words=words,
                avg_logprob=round(evidence.avg_logprob, 4),
                no_speech_prob=round(evidence.no_speech_prob, 4),
                compression_ratio=round(evidence.compression_ratio, 4),
                min_word_probability=round(evidence.min_word_probability, 4),
                speech_ratio=round(evidence.speech_ratio, 4),
                doubtful=bool(flags),
                flags=flags,
            )
        )
        last_end = end
    return tuple(segments)


class _Clock:
    def __init__(self) -> None:
        self._t = time.perf_counter()
        self._laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps.append((name, round(now - self._t, 3)))
        self._t = now

    @property
    def laps(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._laps)
