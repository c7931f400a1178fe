"""The waveform the review page draws under the video: the loudest sample of each short window, a byte each.

The clip's first audio stream is decoded by ffmpeg to mono 16 kHz 16-bit PCM and read from a pipe in
blocks (``ffmpeg.stream_ffmpeg``): two hours of it are 230 MB and are never held whole, only each
window's maximum is kept. Peaks are scaled by the clip's own loudest sample, so that a quiet recording
still fills the timeline; the header's ``scale`` says what 255 stands for. Written through
``atomic_write_bytes`` (``atomic_path``): a peaks file is whole or absent. This module never changes
the source.

File format (``<clip sha256>.peaks``), little-endian, a 20-byte header and then the peaks:

    bytes 0-3    b"TPK1"
    bytes 4-7    uint32   ms_per_peak   the window, in milliseconds (PEAK_MS)
    bytes 8-11   uint32   count         the number of peaks: ceil(duration_ms / ms_per_peak)
    bytes 12-15  uint32   duration_ms   the decoded audio's length, rounded up to a millisecond
    bytes 16-19  float32  scale         the amplitude 255 stands for, as a share of full scale (0..1);
                                        0 for a clip that is silent throughout
    bytes 20-    uint8 x count          peak i: the loudest |sample| in [i, i + 1) x ms_per_peak,
                                        as 0..255 of scale (rounded half up); the last window may be shorter
"""

from __future__ import annotations

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tolmach.errors import InputError
from tolmach.media.ffmpeg import input_url, stream_ffmpeg
from tolmach.media.files import atomic_write_bytes
from tolmach.media.probe import HINT_TRUNCATED, check_input_file, probe

MAGIC = b"TPK1"
HEADER = struct.Struct("<4sIIIf")  # magic, ms_per_peak, count, duration_ms, scale: 20 bytes
# A 5-second view about 1000 px wide still gets ~4 px per peak, and a 2-hour clip is 360,000 bytes of peaks.
PEAK_MS = 20
# 16 kHz, as the speech model reads, rather than 8 kHz: on 10 minutes of a tone as 48 kHz stereo AAC,
# ffmpeg spent the same 0.51 s of CPU for either (decoding the AAC is the cost, not the resampling),
# and 8 kHz would drop everything above 4 kHz, the sibilants whose peaks a reviewer looks for.
SAMPLE_RATE = 16000
BLOCK_BYTES = 1 << 20  # PCM read from ffmpeg at a time (about 33 s of audio)
FULL_SCALE = 32768  # |sample| of a full-scale 16-bit sample
HINT_NO_AUDIO = "the timeline works without a waveform; a copy of the clip with sound would have one"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Peaks:
    """A clip's waveform as the peaks file holds it."""

    ms_per_peak: int  # the window each value covers
    duration_ms: int  # the decoded audio's length, rounded up to a millisecond
    scale: float  # the amplitude 255 stands for, as a share of full scale (0..1)
    values: bytes  # one per window, 0..255 of scale

    def to_bytes(self) -> bytes:
        head = HEADER.pack(MAGIC, self.ms_per_peak, len(self.values), self.duration_ms, self.scale)
        return head + self.values

    @classmethod
    def from_bytes(cls, data: bytes) -> Peaks:
        """Read a peaks file's bytes back; ValueError when they are not one."""
        if len(data) < HEADER.size or data[:4] != MAGIC:
            raise ValueError("not a tolmach peaks file (TPK1)")
        _, ms, count, duration_ms, scale = HEADER.unpack_from(data)
        if len(data) != HEADER.size + count:
            raise ValueError(f"a peaks file of {count} peaks has {len(data) - HEADER.size} bytes of them")
        return cls(ms, duration_ms, scale, bytes(data[HEADER.size :]))


def write_peaks(
    source: str | os.PathLike[str], target: str | os.PathLike[str], *, ms_per_peak: int = PEAK_MS
) -> Path:
    """Decode ``source``'s first audio stream and write its peaks file to ``target``.

    InputError for a file with no audio stream, or from which no audio at all can be decoded; a file
    that breaks off part way gets the peaks of what could be decoded, with a logged warning.
    """
    if ms_per_peak <= 0:
        raise ValueError(f"ms_per_peak must be positive, not {ms_per_peak}")
    target = Path(target)
    name = os.fspath(source)
    check_input_file(name)
    url = input_url(name)
    maxima = _Maxima(SAMPLE_RATE * ms_per_peak // 1000)
    args = [
        "-threads", "0", "-i", url, "-vn", "-sn", "-dn", "-map", "0:a:0",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-",
    ]  # fmt: skip
    block = maxima.window * 2 * max(1, BLOCK_BYTES // (maxima.window * 2))  # whole windows
    result = stream_ffmpeg(args, maxima.add, what=name, url=url, block_size=block)
    loudest = maxima.finish()
    if not maxima.samples:
        if "matches no streams" in result.stderr:
            raise InputError(f"{name}: has no audio stream, so no waveform", HINT_NO_AUDIO)
        probe(name)  # says precisely why, when the file is not media at all
        reason = result.tail or (
            "no audio samples" if result.returncode == 0 else f"exit {result.returncode}"
        )
        message = f"{name}: no audio could be decoded; the file looks truncated or corrupt ({reason})"
        raise InputError(message, HINT_TRUNCATED)
    if result.returncode != 0 or result.stderr.strip():
        seconds = maxima.samples / SAMPLE_RATE
        log.warning("%s: peaks of %.1f s of audio, decoded despite errors: %s", name, seconds, result.tail)
    top = int(loudest.max())
    values = np.zeros(len(loudest), np.uint8)
    if top:
        values = ((loudest.astype(np.uint32) * 255 + top // 2) // top).astype(np.uint8)
    duration_ms = -(-maxima.samples * 1000 // SAMPLE_RATE)
    peaks = Peaks(ms_per_peak, duration_ms, top / FULL_SCALE, values.tobytes())
    atomic_write_bytes(target, peaks.to_bytes())
    return target


def cached_peaks(source: str | os.PathLike[str], folder: Path, sha256: str) -> Path:
    """``folder/<sha256>.peaks``, made on first use."""
    target = folder / f"{sha256}.peaks"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_peaks(source, target)
    return target


class _Maxima:
    """The loudest |sample| of each window of ``window`` samples, from s16le PCM handed over in blocks
    of any length (a block may end inside a window, or inside a sample)."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.samples = 0  # whole samples seen
        self._pending = b""  # the bytes after the last whole window
        self._parts: list[npt.NDArray[np.uint16]] = []

    def add(self, block: bytes) -> None:
        data = self._pending + block if self._pending else block
        whole = len(data) // (2 * self.window) * self.window  # samples in whole windows
        if whole:
            pcm = np.frombuffer(data, "<i2", count=whole).reshape(-1, self.window)
            self._parts.append(_loudest(pcm))
            self.samples += whole
        self._pending = data[2 * whole :]

    def finish(self) -> npt.NDArray[np.uint16]:
        """Every window's maximum, the last (shorter) window's included; the same length when empty."""
        rest = len(self._pending) // 2  # a cut-off last sample cannot be decoded
        if rest:
            pcm = np.frombuffer(self._pending, "<i2", count=rest).reshape(1, rest)
            self._parts.append(_loudest(pcm))
            self.samples += rest
        self._pending = b""
        return np.concatenate(self._parts) if self._parts else np.zeros(0, np.uint16)


def _loudest(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.uint16]:
    """Each row's largest |sample| (|-32768| is 32768: it fits in uint16, not int16)."""
    high = pcm.max(axis=1).astype(np.int32)
    low = pcm.min(axis=1).astype(np.int32)
    return np.maximum(high, -low).astype(np.uint16)
