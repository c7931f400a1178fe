"""Text to speech samples: normalise the text for speaking, synthesise it, trim the silence around it.

The timing fit measures how long each line takes to say, so the silence a voice leaves before and after
a line (piper: about 50 ms before, 200 ms after) is trimmed here; otherwise every line would look longer
than it is and start later than it sounds. Samples stay float32 in [-1, 1] at the voice's own rate until
a file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tolmach.voice.spoken import speakable
from tolmach.voice.voices import DEFAULT_VOICE, Samples, Voice, get_voice

SILENCE_DB = -45.0  # below this (dBFS) a sample is silence at the edges of an utterance
EDGE_MS = 30  # kept around the speech when trimming, so consonants are not clipped


@dataclass(frozen=True)
class Speech:
    """One utterance: the text as written, as spoken, and its samples."""

    text: str
    spoken: str  # after normalisation, what the voice was given
    samples: Samples
    sample_rate: int

    @property
    def duration_ms(self) -> int:
        return -(-len(self.samples) * 1000 // self.sample_rate)  # ceiling: never under-count speech


def synthesize(text: str, voice: Voice | str = DEFAULT_VOICE, *, normalise: bool = True) -> Speech:
    """``text`` spoken by ``voice`` (a Voice or its name), edges trimmed; empty text gives no samples."""
    speaker = get_voice(voice) if isinstance(voice, str) else voice
    spoken = speakable(text) if normalise else " ".join(text.split())
    samples = speaker.synthesize(spoken) if spoken else np.zeros(0, dtype=np.float32)
    return Speech(text, spoken, trim_silence(samples, speaker.sample_rate), speaker.sample_rate)


def trim_silence(samples: Samples, sample_rate: int, threshold_db: float = SILENCE_DB) -> Samples:
    """``samples`` without the silence before the first and after the last sound, less ``EDGE_MS``."""
    loud = np.flatnonzero(np.abs(samples) > 10 ** (threshold_db / 20))
    if loud.size == 0:
        return samples[:0]
    edge = sample_rate * EDGE_MS // 1000
    return samples[max(0, int(loud[0]) - edge) : int(loud[-1]) + 1 + edge]


def to_int16(samples: Samples) -> np.ndarray:
    """float32 in [-1, 1] to 16-bit PCM, clipped (as piper's own writer does)."""
    return np.clip(np.round(samples * 32767.0), -32767, 32767).astype("<i2")
