"""The hallucination guard end to end: no lines on silence, noise or music; speech kept inside noise.

Whisper invents text on audio that is not speech («Субтитры сделал DimaTorzok», «ДИНАМИЧНАЯ МУЗЫКА»,
"Thanks for watching"). The media here is generated with ffmpeg at test time, in a temporary folder;
the real speech is the shipped sample. The unit-level tests at the end feed ``_to_segments`` a decoded
line by hand, to check the guard's decision on one line with known VAD probabilities.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tolmach.asr.decoder import RawLine, RawWord
from tolmach.asr.transcribe import _to_segments
from tolmach.asr.windows import VAD_FRAME, Region, Window
from tolmach.options import Options
from tolmach.pipeline import translate_clip, write_outputs

SECONDS = 60
NOISE_S = 20  # noise before and after the speech
# a real recording of music shipped by Debian (sound-theme-freedesktop): a 6 s alarm-clock melody
MELODY = Path("/usr/share/sounds/freedesktop/stereo/alarm-clock-elapsed.oga")
# three harmonically related sines (an A major chord) gated at 2 Hz: a synthetic rhythm of chords
CHORDS = "aevalsrc='0.2*(sin(2*PI*220*t)+sin(2*PI*277.18*t)+sin(2*PI*329.63*t))*lt(mod(t,0.5),0.35)':s=16000"
SOURCES = {
    "silence": ["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"],
    "white-noise": ["-f", "lavfi", "-i", "anoisesrc=color=white:amplitude=0.3:r=16000:seed=1"],
    "pink-noise": ["-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:r=16000:seed=2"],
    "brown-noise": ["-f", "lavfi", "-i", "anoisesrc=color=brown:amplitude=0.5:r=16000:seed=3"],
    "chords": ["-f", "lavfi", "-i", CHORDS],
    "melody": ["-stream_loop", "-1", "-i", str(MELODY)],
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """60 s of each kind of non-speech, as WAV files (made once for the module)."""
    folder = tmp_path_factory.mktemp("non-speech")
    made = {}
    for name, source in SOURCES.items():
        if name == "melody" and not MELODY.is_file():
            continue
        made[name] = folder / f"{name}.wav"
        ffmpeg(*source, "-t", str(SECONDS), "-ac", "1", "-ar", "16000", str(made[name]))
    return made


@pytest.mark.parametrize("lang", ["ru", None], ids=["forced", "detected"])
@pytest.mark.parametrize("kind", list(SOURCES))
def test_non_speech_gives_no_lines(media: dict[str, Path], kind: str, lang: str | None) -> None:
    if kind not in media:
        pytest.skip(f"{MELODY} is missing: apt-get install sound-theme-freedesktop")
    transcript = translate_clip(media[kind], Options(lang=lang))
    assert abs(transcript.media.duration_ms - SECONDS * 1000) <= 100
    assert transcript.segments == ()


def test_non_speech_gives_no_lines_with_the_vad_off(media: dict[str, Path]) -> None:
    # the VAD does not cut the audio, so only the guard stands between Whisper and the output
    transcript = translate_clip(media["chords"], Options(lang="ru", vad=False))
    assert transcript.segments == ()


def test_silence_with_detection_writes_sensible_file_names(media: dict[str, Path], tmp_path: Path) -> None:
    transcript = translate_clip(media["silence"], Options())
    files = write_outputs(transcript, Options(formats=("srt", "vtt", "json")), tmp_path)
    assert files
    assert not any(".." in p.name for p in files), [p.name for p in files]


# -- real speech inside noise ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def speech_in_noise(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of pink noise, the sample's 32.5 s of speech, 20 s of pink noise (as loud as the speech)."""
    target = tmp_path_factory.mktemp("speech-in-noise") / "noisy.wav"
    noise = "anoisesrc=color=pink:amplitude=0.3:r=16000:seed={}:d=" + str(NOISE_S)
    graph = "[1:a]aresample=16000,aformat=channel_layouts=mono[s];[0:a][s][2:a]concat=n=3:v=0:a=1[out]"
    ffmpeg(
        *("-f", "lavfi", "-i", noise.format(7), "-i", str(sample), "-f", "lavfi", "-i", noise.format(8)),
        *("-filter_complex", graph, "-map", "[out]", "-ac", "1", "-ar", "16000", str(target)),
    )
    return target


def test_speech_inside_noise_is_kept_and_noise_is_not_transcribed(speech_in_noise: Path) -> None:
    transcript = translate_clip(speech_in_noise, Options(lang="ru"))
    total = transcript.media.duration_ms
    assert abs(total - (2 * NOISE_S * 1000 + 32_500)) <= 200
    segments = transcript.segments
    text = " ".join(s.text for s in segments).lower().replace("ё", "е")
    for word in ("газеты", "улицу", "городе"):
        assert word in text, text
    assert "street" in " ".join(s.translation for s in segments).lower()
    speech_start, speech_end = NOISE_S * 1000, total - NOISE_S * 1000
    for s in segments:
        # no line in the noise, and none reaching into it by more than the VAD's padding
        assert speech_start - 300 <= s.start < s.end <= speech_end + 300, s


# -- one line through the guard ----------------------------------------------------------------------

CREDITS = "Субтитры сделал DimaTorzok"


def credit_line() -> tuple[RawLine, int]:
    """The stock credit line, decoded over 1-3 s of a window that starts 5 s into a 10 s clip."""
    window = Window((Region(5_000, 10_000),))
    words = [
        RawWord(1_000, 1_600, " Субтитры", 0.8),
        RawWord(1_600, 2_200, " сделал", 0.8),
        RawWord(2_200, 3_000, " DimaTorzok", 0.7),
    ]
    line = RawLine(
        window=window,
        start=1_000,
        end=3_000,
        text=CREDITS,
        words=words,
        avg_logprob=-0.3,
        no_speech_prob=0.1,
        translation="Subtitles by DimaTorzok",
    )
    frames = 10 * 16_000 // VAD_FRAME + 1
    return line, frames


def test_known_phrase_over_non_speech_is_dropped() -> None:
    line, frames = credit_line()
    assert _to_segments([line], np.zeros(frames, dtype=np.float32)) == ()


def test_known_phrase_over_speech_is_kept_and_flagged() -> None:
    line, frames = credit_line()
    (segment,) = _to_segments([line], np.full(frames, 0.9, dtype=np.float32))
    assert segment.text == CREDITS
    assert segment.translation == "Subtitles by DimaTorzok"
    assert (segment.start, segment.end) == (6_000, 8_000)  # window time mapped to the clip's
    assert segment.speech_ratio == pytest.approx(0.9)
    assert "known-hallucination-phrase" in [f.kind for f in segment.flags]
    assert segment.doubtful


def test_the_same_line_is_kept_or_dropped_by_what_lies_under_it() -> None:
    # no speech in the first half of the clip, speech in the second: the line at 1-3 s goes, 6-8 s stays
    late, frames = credit_line()
    early = replace(late, window=Window((Region(0, 5_000),)))
    probs = np.zeros(frames, dtype=np.float32)
    probs[frames // 2 :] = 0.9
    segments = _to_segments([early, late], probs)
    assert [(s.id, s.start, s.end) for s in segments] == [(1, 6_000, 8_000)]
