"""The voice-over mix: speed-up, ducking, loudness and the tags that say the voice is synthetic.

- Speed-up is ffmpeg's ``atempo`` (WSOLA: tempo changes, pitch does not), many lines per ffmpeg run.
- Ducking is a gain envelope computed in numpy: the original drops by ``duck_db`` while the voice
  speaks, with short ramps, and is untouched between lines, so the original voices stay audible as
  evidence. The envelope is exact and testable, which an ffmpeg sidechain compressor would not be.
- Loudness is EBU R128 in two ffmpeg passes: ``ebur128`` measures, then one constant gain and, only
  where peaks would pass -1.5 dBTP, a look-ahead limiter. The ducking depth survives exactly.

The mix runs at 48 kHz mono, float32, in memory: a ten-minute clip is about 115 MB per track. Narration,
which can be an hour long, never comes here with whole tracks: it streams (narrate.py).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tolmach.errors import MediaToolError
from tolmach.media.ffmpeg import input_url, run_ffmpeg
from tolmach.voice.voices import Samples

MIX_RATE = 48000
ATTACK_MS = 120  # the original fades down this long before the voice starts
RELEASE_MS = 300  # and back up this long after it stops
TRUE_PEAK = -1.5  # dBTP ceiling of the result (EBU R128 for the web)
LOSSY_PEAK = -3.0  # ceiling before a lossy encoder, whose output overshoots the input's peaks by 1-2 dB
LIMITER_TRIES = 5  # measurements to bring a limited result onto the target loudness
TEMPO_BATCH = 32  # lines per ffmpeg run when speeding up
DEFAULT_LEVEL_DB = -20.0  # speech level of the voice when the original is silent
BLOCK_MS = 400  # gating blocks for the speech level, as EBU R128 uses


@dataclass(frozen=True)
class Loudness:
    """What loudnorm measured before and reported after normalising."""

    input_i: float  # integrated loudness of the mix before, LUFS
    input_tp: float  # true peak before, dBTP
    output_i: float  # after, LUFS
    output_tp: float  # after, dBTP
    gain_db: float  # the constant gain applied
    mode: str  # "linear" (one gain), "limited" (one gain, peaks held by a limiter) or "none" (silence)


@dataclass(frozen=True)
class RawAudio:
    """A headerless float32 mono file (what the mix writes for ffmpeg) or any file ffmpeg reads."""

    path: Path
    sample_rate: int | None = None  # set for raw f32le; None for a file with a header

    def args(self) -> list[str]:
        raw = ["-f", "f32le", "-ar", str(self.sample_rate), "-ac", "1"] if self.sample_rate else []
        return [*raw, "-i", input_url(self.path)]


def change_tempo(
    clips: Sequence[Samples], speeds: Sequence[float], rate: int, out_rate: int = MIX_RATE
) -> list[Samples]:
    """Each clip resampled to ``out_rate`` and played ``speed`` times faster, pitch kept (atempo)."""
    if len(clips) != len(speeds):
        raise ValueError("one speed per clip")
    done: list[Samples] = []
    with tempfile.TemporaryDirectory(prefix="tolmach-tempo-") as folder:
        for first in range(0, len(clips), TEMPO_BATCH):
            batch = range(first, min(first + TEMPO_BATCH, len(clips)))
            args: list[str] = []
            outputs: list[str] = []
            for i in batch:
                source = Path(folder) / f"in{i}.f32"
                np.asarray(clips[i], dtype="<f4").tofile(source)
                args += RawAudio(source, rate).args()
            chains = []
            for n, i in enumerate(batch):
                tempo = f"atempo={speeds[i]:.4f}," if speeds[i] != 1.0 else ""
                chains.append(f"[{n}:a]{tempo}aresample={out_rate}[o{n}]")
                outputs.append(str(Path(folder) / f"out{i}.f32"))
            args += ["-filter_complex", ";".join(chains)]
            for n, out in enumerate(outputs):
                args += ["-map", f"[o{n}]", "-f", "f32le", "-ac", "1", out]
            run_ffmpeg(args, what="the voice-over lines", output=folder)
            done += [np.fromfile(out, dtype="<f4") for out in outputs]
    return done


def duck_envelope(
    length: int,
    spans: Sequence[tuple[int, int]],
    rate: int,
    duck_db: float,
    attack_ms: int = ATTACK_MS,
    release_ms: int = RELEASE_MS,
) -> Samples:
    """Gain for the original, per sample: ``duck_db`` inside each (start, end) span (in samples),
    1.0 away from them, linear ramps of ``attack_ms`` before and ``release_ms`` after."""
    envelope = np.ones(length, dtype=np.float32)
    low = np.float32(10 ** (duck_db / 20))
    attack, release = rate * attack_ms // 1000, rate * release_ms // 1000
    for start, end in spans:
        a, b = max(0, start - attack), min(length, end + release)
        if a >= b:
            continue
        t = np.arange(a, b, dtype=np.float64)
        # 1 before the ramp, falling to ``low`` at ``start``, ``low`` until ``end``, rising after it
        down = np.clip((start - t) / max(attack, 1), 0.0, 1.0)
        up = np.clip((t - end) / max(release, 1), 0.0, 1.0)
        shape = (low + (1.0 - low) * np.maximum(down, up)).astype(np.float32)
        np.minimum(envelope[a:b], shape, out=envelope[a:b])
    return envelope


def speech_level_db(samples: Samples, rate: int) -> float | None:
    """The level of the speech in ``samples``, dBFS RMS, gated as EBU R128 gates (400 ms blocks, -70 dB
    absolute and -10 dB relative), unweighted; None when there is nothing above the gate.

    The voice is set to the original's speech level, so ``duck_db`` is what the original sits under the
    voice: the same ratio whether the clip is loud or quiet (loudness is normalised afterwards).
    """
    block = rate * BLOCK_MS // 1000
    n = len(samples) // block
    if n == 0:
        return None
    power = np.mean(np.square(samples[: n * block].reshape(n, block), dtype=np.float64), axis=1)
    power = power[power > 10 ** (-70 / 10)]
    if power.size == 0:
        return None
    power = power[power > np.mean(power) * 10 ** (-10 / 10)]
    return float(10 * np.log10(np.mean(power)))


def set_level(samples: Samples, rate: int, level_db: float) -> Samples:
    """``samples`` scaled so that their speech level is ``level_db`` (see speech_level_db)."""
    now = speech_level_db(samples, rate)
    if now is None:  # shorter than a block or silent: scale by the plain RMS
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
        if rms == 0.0:
            return samples
        now = 20 * np.log10(rms)
    return samples * np.float32(10 ** ((level_db - now) / 20))


def place_lines(length: int, lines: Sequence[tuple[int, Samples]]) -> Samples:
    """A track of ``length`` samples with each (start sample, samples) line added in; grows if needed."""
    end = max([length] + [start + len(s) for start, s in lines])
    track = np.zeros(end, dtype=np.float32)
    for start, samples in lines:
        track[start : start + len(samples)] += samples
    return track


def mix(original: Samples, voice: Samples, envelope: Samples) -> Samples:
    """``original`` times its ducking ``envelope``, plus ``voice``; the longer of the two sets the length."""
    length = max(len(original), len(voice))
    out = np.zeros(length, dtype=np.float32)
    n = min(len(original), len(envelope))
    out[:n] = original[:n] * envelope[:n]
    out[: len(voice)] += voice
    return out


def loudness_normalise(
    source: RawAudio,
    output: Path,
    *,
    target: float,
    sample_rate: int,
    what: str,
    tags: Mapping[str, str] | None = None,
    metadata: Path | None = None,
    codec: Sequence[str] = ("-c:a", "pcm_s16le"),
    ceiling: float = TRUE_PEAK,
) -> Loudness:
    """Write ``source`` to ``output`` at ``target`` LUFS, with ``tags`` and, from an ffmetadata file,
    chapters. ``output`` is written by ffmpeg directly: give it a temp path.

    Two passes: ebur128 measures; then one constant gain brings the integrated loudness to ``target``,
    and where that would push peaks over ``ceiling`` (dBTP) a look-ahead limiter (5 ms attack, delay
    compensated) holds them down. Not loudnorm's dynamic mode: it rides the gain over 3 s windows and
    would partly undo the ducking, which is evidence that the original is still there.
    """
    before = _ebur128([*source.args(), "-af", EBUR128, "-f", "null", "-"], what)
    args = [*source.args()]
    if metadata is not None:
        args += ["-f", "ffmetadata", "-i", input_url(metadata), "-map_metadata", "1", "-map_chapters", "1"]
    args += ["-map", "0:a"]
    if before.integrated <= -70.0:  # silence (ebur128 says -70.0): there is nothing to measure or to raise
        gain, mode = 0.0, "none"
    else:
        gain = target - before.integrated
        mode = "linear" if before.peak + gain <= ceiling else "limited"
    # the limiter takes loudness off the peaks it holds, the more the higher the gain: find the gain that
    # lands on the target by the secant method, starting from a slope of 1 LU per dB
    last: tuple[float, float] | None = None
    for _ in range(LIMITER_TRIES if mode == "limited" else 0):
        chain = _chain(gain, mode, ceiling).replace(EBUR128, EBUR128_QUICK)
        got = _ebur128([*source.args(), "-af", chain, "-f", "null", "-"], what).integrated
        if abs(target - got) <= 0.2:
            break
        slope = 1.0 if last is None or gain == last[0] else (got - last[1]) / (gain - last[0])
        last = (gain, got)
        gain += (target - got) / min(1.0, max(0.2, slope))
    for key, value in (tags or {}).items():
        args += ["-metadata", f"{key}={value}"]
    args += [
        "-af",
        _chain(gain, mode, ceiling),
        "-ar",
        str(sample_rate),
        "-ac",
        "1",
        *codec,
        os.fspath(output),
    ]
    after = _ebur128(args, what, output=os.fspath(output))
    return Loudness(before.integrated, before.peak, after.integrated, after.peak, round(gain, 2), mode)


def _chain(gain: float, mode: str, ceiling: float) -> str:
    chain = [f"volume={gain:.2f}dB"] if mode != "none" else []
    if mode == "limited":  # sample peaks 0.5 dB under the ceiling leave room for inter-sample peaks
        chain.append(f"alimiter=limit={10 ** ((ceiling - 0.5) / 20):.4f}:level=false:latency=true")
    return ",".join([*chain, EBUR128])


EBUR128 = "ebur128=peak=true:framelog=verbose"
EBUR128_QUICK = "ebur128=framelog=verbose"  # integrated loudness only: the true peak needs 4x oversampling
_INTEGRATED = re.compile(r"\bI:\s+(-?[\d.]+|-inf) LUFS")
_PEAK = re.compile(r"\bPeak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True)
class _Measured:
    integrated: float
    peak: float


def _ebur128(args: list[str], what: str, output: str | None = None) -> _Measured:
    """Run ffmpeg with an ``ebur128`` filter and read the summary it logs when it ends."""
    # ebur128 logs its summary at "info"; this later -loglevel wins over ffmpeg.py's "error"
    result = run_ffmpeg(["-loglevel", "info", "-nostats", *args], what=what, output=output)
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    integrated, peak = _INTEGRATED.search(summary), _PEAK.search(summary)
    if "Summary:" not in result.stderr or integrated is None:
        raise MediaToolError(f"{what}: ffmpeg's ebur128 printed no loudness summary")
    return _Measured(float(integrated[1]), float(peak[1]) if peak else math.nan)


def write_raw(path: Path, samples: Samples) -> RawAudio:
    """``samples`` as a headerless float32 file at MIX_RATE, for ffmpeg to read."""
    np.asarray(samples, dtype="<f4").tofile(path)
    return RawAudio(path, MIX_RATE)
