"""Voice embeddings: one resemblyzer d-vector for every short window of speech.

The speech regions are covered by overlapping windows of ``WINDOW_MS`` every ``HOP_MS``; each window is
turned into a mel spectrogram and then a 256-number vector that is close (cosine) for windows of the
same voice. Windows never cross a region's edge, and their times are exact: the waveform is never
trimmed or resampled here (resemblyzer's own ``preprocess_wav`` drops silences with webrtcvad, which
would shift every time after the first pause). Memory stays bounded on long audio: mel spectrograms
exist for one batch of windows at a time, and only the vectors (1 KB each) are kept.

This module must never import torch or resemblyzer at import time: ``import tolmach.diarize`` has to
work, and stay fast, without the optional extra.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tolmach.asr.windows import SAMPLE_RATE, Region

# resemblyzer was trained on partial utterances of 160 mel frames (1.6 s); windows of that length give
# its most stable vectors. Shorter regions get one window of their own length.
WINDOW_MS = 1600
# Each moment of speech is seen by four windows: fine enough to place a change of voice within about
# half a second, and still cheap (2.5 windows a second of speech, a few ms each on one CPU core).
HOP_MS = 400
# Regions shorter than this have too little voice for a vector worth clustering (a cough, a click).
MIN_WINDOW_MS = 400
BATCH = 32  # windows per forward pass: bounds the spectra held at once to ~4 MB
N_FFT = 400  # 25 ms mel window (resemblyzer's hparams)
MEL_HOP = 160  # 10 ms between mel frames
N_MELS = 40
TARGET_DBFS = -30.0  # resemblyzer's training loudness (its hparams.audio_norm_target_dBFS)
_INT16_MAX = 2**15 - 1


@dataclass(frozen=True)
class Embeddings:
    """Windows of speech (ms, on the clip's timeline) and their unit-length voice vectors."""

    starts: np.ndarray  # int64, (n,)
    ends: np.ndarray  # int64, (n,)
    vectors: np.ndarray  # float32, (n, 256), each of length 1

    def __len__(self) -> int:
        return len(self.starts)


@functools.lru_cache(maxsize=1)
def voice_encoder() -> Any:
    """resemblyzer's VoiceEncoder with the weights it ships, on the CPU, loaded once per process."""
    encoder = resemblyzer().VoiceEncoder(device="cpu", verbose=False)
    encoder.eval()
    return encoder


def resemblyzer() -> Any:
    """The resemblyzer package, imported quietly."""
    with warnings.catch_warnings():
        # resemblyzer 0.1.4 imports scipy.ndimage.morphology and webrtcvad imports pkg_resources, both
        # deprecated: third-party noise the user can do nothing about.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        import resemblyzer

    return resemblyzer


def window_spans(regions: Sequence[Region], window_ms: int = WINDOW_MS, hop_ms: int = HOP_MS) -> list[Region]:
    """The windows covering each region: every ``hop_ms``, plus one flush with the region's end.

    A region no longer than a window is one window; one shorter than ``MIN_WINDOW_MS`` gets none.
    """
    spans: list[Region] = []
    for region in regions:
        length = region.end - region.start
        if length < MIN_WINDOW_MS:
            continue
        if length <= window_ms:
            spans.append(region)
            continue
        last = region.end - window_ms
        starts = list(range(region.start, last + 1, hop_ms))
        if starts[-1] != last:
            starts.append(last)
        spans.extend(Region(s, s + window_ms) for s in starts)
    return spans


def embed_windows(samples: np.ndarray, regions: Sequence[Region]) -> Embeddings:
    """Voice vectors for the windows over ``regions`` of 16 kHz mono float32 ``samples``."""
    spans = window_spans(regions)
    vectors = np.zeros((len(spans), 256), dtype=np.float32)
    done = 0
    for batch in _batches(spans):
        vectors[done : done + len(batch)] = _embed_batch(samples, batch)
        done += len(batch)
    return Embeddings(
        starts=np.array([s.start for s in spans], dtype=np.int64),
        ends=np.array([s.end for s in spans], dtype=np.int64),
        vectors=vectors,
    )


def _batches(spans: list[Region]) -> Iterator[list[Region]]:
    # The LSTM takes one length per batch: full windows go together, each shorter region on its own.
    batch: list[Region] = []
    for span in spans:
        if span.end - span.start != WINDOW_MS:
            yield [span]
            continue
        batch.append(span)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _embed_batch(samples: np.ndarray, spans: list[Region]) -> np.ndarray:
    import torch

    encoder = voice_encoder()
    wavs = np.stack([_loudness(_cut(samples, s)) for s in spans])
    threads = torch.get_num_threads()
    # One thread: on a 2-core machine with anything else running, torch's spinning worker threads made
    # the LSTM 30 times slower (15.7 s against 0.5 s for the 32 s sample). The LSTM's small matrices
    # gain little from more threads anyway, and one thread leaves the other cores to the rest.
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            out = encoder(torch.from_numpy(mel_spectrogram(wavs)))
    finally:
        torch.set_num_threads(threads)
    return np.asarray(out.numpy(), dtype=np.float32)


def mel_spectrogram(wavs: np.ndarray) -> np.ndarray:
    """resemblyzer's input features for a batch of equal-length waveforms: (batch, frames, 40), float32.

    The numbers of ``resemblyzer.audio.wav_to_mel_spectrogram`` (librosa's power mel spectrogram: 25 ms
    Hann windows every 10 ms, centred with zero padding, 40 Slaney mel bands), to within 1e-6 of the
    largest value, less the last, half-empty frame. Computed here because librosa compiles its numba
    kernels on first use: 15 s on a fresh install, longer than the rest of a test run.
    """
    padded = np.pad(wavs, ((0, 0), (N_FFT // 2, N_FFT // 2)))
    count = wavs.shape[1] // MEL_HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=1)[:, : count * MEL_HOP : MEL_HOP]
    spectrum = np.fft.rfft(frames * _hann(), axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return np.ascontiguousarray(power @ _mel_basis().T)


@functools.lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic


@functools.lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney's mel scale and area normalisation."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    ramps = edges[:, None] - np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)[None, :]
    widths = np.diff(edges)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


_MEL_STEP = 200.0 / 3  # Hz per mel below 1 kHz; logarithmic above (Slaney)
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: float) -> float:
    return hz / _MEL_STEP if hz < 1000 else 1000 / _MEL_STEP + float(np.log(hz / 1000)) / _LOG_STEP


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    linear = mels * _MEL_STEP
    logarithmic = 1000 * np.exp(_LOG_STEP * (mels - 1000 / _MEL_STEP))
    return np.where(mels >= 1000 / _MEL_STEP, logarithmic, linear)


def _cut(samples: np.ndarray, span: Region) -> np.ndarray:
    a, b = span.start * SAMPLE_RATE // 1000, span.end * SAMPLE_RATE // 1000
    piece = np.asarray(samples[a:b], dtype=np.float32)
    if len(piece) < b - a:  # a region reaching past the decoded audio by a rounding ms
        piece = np.pad(piece, (0, b - a - len(piece)))
    return piece


def _loudness(wav: np.ndarray) -> np.ndarray:
    """Scale a window to resemblyzer's training loudness (-30 dBFS).

    The encoder reads a power (not log) mel spectrogram, so loudness alone moves the vector: a voice
    that comes closer to the microphone would look like another voice. resemblyzer only raises quiet
    utterances; levelling every window both ways counted voices right in more of our test mixes (46 of 47
    against 45, see cluster.THRESHOLD), the gain coming from mixes with noise and changing levels.
    """
    rms = float(np.sqrt(np.mean(np.square(wav * _INT16_MAX, dtype=np.float64))))
    if rms <= 0.0:
        return wav
    return wav * np.float32(10 ** ((TARGET_DBFS - 20 * np.log10(rms / _INT16_MAX)) / 20))
