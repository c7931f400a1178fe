"""The hallucination guard and the doubtful-line flags.

Whisper writes text where there is none: on silence, music and noise it produces the credits of the
subtitle volunteers whose work it was trained on («Субтитры сделал DimaTorzok», «Продолжение следует...»,
"Thanks for watching"). Such a line is dropped when the audio under it is not speech, and kept when it
is (a soldier may really say «продолжение следует»). Everything else that looks unsure is kept but
flagged, so a human looks at it: a flag never deletes a line.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

from tolmach.records import Flag

# Lines Whisper is known to invent, normalised (lower case, letters and digits only, single spaces).
# Sources: the Whisper and faster-whisper issue trackers, and our own silence and music tests.
# Credit lines start the same way and end in any name: they match as prefixes.
CREDIT_PREFIXES = (
    "субтитры сделал",
    "субтитры создавал",
    "субтитры делал",
    "субтитры подогнал",
    "редактор субтитров",
    "корректор а",
    "субтитри зроблені",
    "субтитри створені",
    "subtitles by",
)
# Sign-offs match only as the whole line: a soldier may well say «продолжение следует» mid-sentence.
SIGN_OFFS = (
    "продолжение следует",
    "спасибо за просмотр",
    "спасибо за внимание",
    "подписывайтесь на канал",
    "ставьте лайки и подписывайтесь на канал",
    "до новых встреч",
    "дякую за перегляд",
    "thanks for watching",
    "thank you for watching",
    "please subscribe",
    "music",
    "музыка",
)

# Below these the line is flagged for review; the values follow Whisper's own fallback thresholds.
LOW_LOGPROB = -1.0
HIGH_NO_SPEECH = 0.6
HIGH_COMPRESSION = 2.4
LOW_WORD_PROBABILITY = 0.15
LOW_SPEECH_RATIO = 0.35
NO_SPEECH_RATIO = 0.1  # below this the VAD is all but certain nothing was said
SPEECH_FOR_KNOWN_PHRASE = 0.6  # a known phrase survives only over audio this speech-like
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class LineEvidence:
    """What the guard looks at for one line."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    min_word_probability: float
    speech_ratio: float  # mean VAD speech probability under the line


def compression_ratio(text: str) -> float:
    """Whisper's repetition measure: how well the UTF-8 text gzips (a loop compresses well)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def is_known_phrase(text: str) -> bool:
    norm = normalise(text)
    return (
        norm in SIGN_OFFS
        or any(norm == p or norm.startswith(p + " ") for p in CREDIT_PREFIXES)
        or is_sound_caption(text)
    )


def is_sound_caption(text: str) -> bool:
    """A caption for a sound, as subtitlers write them: «ДИНАМИЧНАЯ МУЗЫКА», [music], (аплодисменты).

    Whisper learned them from subtitles for the hard of hearing and writes them over any noise.
    """
    stripped = text.strip().strip(".!…")
    if re.fullmatch(r"[\[(*♪].*[\])*♪]", stripped):
        return True
    letters = [c for c in stripped if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and len(stripped.split()) <= 4


def is_hallucination(e: LineEvidence) -> bool:
    """True when the line should be dropped: invented text over audio that is not speech."""
    if not normalise(e.text):
        return True
    if is_known_phrase(e.text):
        return e.speech_ratio < SPEECH_FOR_KNOWN_PHRASE or e.no_speech_prob > HIGH_NO_SPEECH
    if e.speech_ratio < NO_SPEECH_RATIO and e.no_speech_prob > HIGH_NO_SPEECH:
        return True  # the VAD hears nothing and Whisper itself doubts there was speech
    # Whisper's own rule for "no speech here", made stricter by requiring the VAD to agree
    return (
        e.no_speech_prob > HIGH_NO_SPEECH
        and e.avg_logprob < LOW_LOGPROB
        and e.speech_ratio < LOW_SPEECH_RATIO
    )


def flags_for(e: LineEvidence) -> tuple[Flag, ...]:
    """The speech model's reasons a human should check this line; empty when nothing looks wrong.

    Only the recognition is judged here; the English is checked against the original after the engine
    that wrote it (``tolmach.checks``), whoever that was.
    """
    flags = []
    if e.avg_logprob < LOW_LOGPROB:
        flags.append(Flag("low-confidence", "the speech model was unsure of this line: listen to it"))
    if e.no_speech_prob > HIGH_NO_SPEECH:
        flags.append(Flag("maybe-no-speech", "the speech model doubts anything was said here"))
    if e.compression_ratio > HIGH_COMPRESSION:
        flags.append(
            Flag("repetitive", "the original repeats itself, as the speech model does when it loops")
        )
    if e.min_word_probability < LOW_WORD_PROBABILITY:
        flags.append(Flag("unsure-word", "a word of the original is very uncertain: listen to it"))
    if e.speech_ratio < LOW_SPEECH_RATIO:
        flags.append(Flag("little-speech", "little of this line's audio sounds like speech"))
    if is_known_phrase(e.text):
        flags.append(
            Flag("known-hallucination-phrase", "the speech model is known to invent this phrase over noise")
        )
    return tuple(flags)
