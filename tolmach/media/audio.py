"""Decode a source file's sound into what the speech model reads: 16 kHz mono float32 samples.

ffmpeg decodes and resamples any container it knows and pipes raw 16-bit PCM; nothing is written to
disk. A damaged file is decoded as far as it goes: for evidence, what survives is worth transcribing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from tolmach.errors import InputError
from tolmach.media.ffmpeg import FFMPEG, input_url, run_tool
from tolmach.media.probe import HINT_TRUNCATED, check_input_file, probe
from tolmach.records import MediaInfo

SAMPLE_RATE = 16000  # what Whisper and Silero VAD expect
log = logging.getLogger(__name__)

Audio = npt.NDArray[np.float32]


def decode_audio(
    path: str | os.PathLike[str], sample_rate: int = SAMPLE_RATE, *, audio_index: int = 0
) -> Audio:
    """The file's ``audio_index``-th audio stream as mono float32 samples in [-1, 1] at ``sample_rate``.

    A truncated or partly corrupt file gives the audio ffmpeg could decode, with a logged warning. It is
    an InputError when no audio at all comes out.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, not {sample_rate}")
    name = os.fspath(path)
    check_input_file(name)
    url = input_url(name)
    args = [
        "-threads", "0", "-i", url, "-vn", "-sn", "-dn", "-map", f"0:a:{audio_index}",
        "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-",
    ]  # fmt: skip
    result = run_tool(FFMPEG, args, what=name, url=url)
    pcm = result.stdout[: len(result.stdout) // 2 * 2]  # a cut-off last sample cannot be decoded
    if not pcm:
        if audio_index == 0:
            probe(name)  # says precisely why, when the file is not media or has no sound at all
        if "matches no streams" in result.stderr:
            raise InputError(
                f"{name}: has no audio stream number {audio_index}", "see 'ffprobe' for its streams"
            )
        reason = result.tail or (
            "no audio samples" if result.returncode == 0 else f"exit {result.returncode}"
        )
        message = f"{name}: no audio could be decoded; the file looks truncated or corrupt ({reason})"
        raise InputError(message, HINT_TRUNCATED)
    if result.returncode != 0 or result.stderr.strip():
        log.warning(
            "%s: decoded %.1f s of audio despite errors: %s", name, len(pcm) / 2 / sample_rate, result.tail
        )
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    samples /= 32768.0
    return samples


def ingest(path: str | os.PathLike[str]) -> tuple[MediaInfo, Audio]:
    """Probe and hash the file, then decode its first audio stream at 16 kHz: the start of every pipeline.

    When the container does not say how long it is (a live-stream dump), the decoded length is used.
    """
    info = probe(path)
    audio = decode_audio(path)
    decoded_ms = len(audio) * 1000 // SAMPLE_RATE
    if info.duration_ms == 0:
        return replace(info, duration_ms=decoded_ms), audio
    if info.duration_ms and decoded_ms < info.duration_ms - max(1000, info.duration_ms // 10):
        log.warning(
            "%s: only %d of %d ms of audio could be decoded; the file may be truncated",
            info.path,
            decoded_ms,
            info.duration_ms,
        )
    return info, audio
