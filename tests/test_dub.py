"""The English voice-over of the sample clip, end to end: real piper voice, real ffmpeg, real Whisper.

The transcript is hand-built (tests/records.py) so the English and its timing are known exactly; one
slow test runs the whole command on the sample, transcription and the muxed video included.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from records import make_transcript
from test_voice import ebur128
from typer.testing import CliRunner

from tolmach.cli import app
from tolmach.errors import InputError, OptionsError
from tolmach.media import decode_audio
from tolmach.media.ledger import LEDGER
from tolmach.records import Transcript
from tolmach.voice import DISCLOSURE, DubOptions, DubReport, dub
from tolmach.voice.fit import GAP_MS, spoken_ms
from tolmach.voice.mix import ATTACK_MS, MIX_RATE, RELEASE_MS

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
runner = CliRunner()

# English for the sample's six lines at the sample's timings: its Russian, translated once by hand, in
# plain words (the round trip checks the voice, not how Whisper base spells "Skyles" or hears "calm horror")
SAMPLE_LINES = [
    (664, 6328, "A reporter from an American newspaper was walking past,"),
    (6328, 10848, "and saw a young woman standing in front of the notice,"),
    (10848, 15948, "in a simple summer dress; she was reading it, moving her lips."),
    (17640, 22088, "She tucked her hair behind her ear and picked up her basket"),
    (22088, 25068, "of greens from the pavement and walked across the street."),
    (26720, 31820, "He was ready for anything in this mad city."),
]


def sample_transcript(sample: Path) -> Transcript:
    base = make_transcript(sample, [("…", english) for _, _, english in SAMPLE_LINES])
    segments = tuple(
        replace(s, start=start, end=end)
        for s, (start, end, _) in zip(base.segments, SAMPLE_LINES, strict=True)
    )
    return replace(base, segments=segments, media=replace(base.media, duration_ms=32512))


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.fixture(scope="module")
def dubbed(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DubReport]:
    out = tmp_path_factory.mktemp("dub") / "sample.en-dub.wav"
    calls: list[tuple[int, int]] = []
    report = dub(
        sample_transcript(sample), sample, out, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1][0] == calls[-1][1] and [d for d, _ in calls] == sorted(d for d, _ in calls)
    return out, report


def test_dub_writes_a_tagged_48k_wav_as_long_as_the_clip(dubbed: tuple[Path, DubReport]) -> None:
    out, report = dubbed
    probe = ffprobe(out)
    (stream,) = probe["streams"]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("pcm_s16le", "48000", 1)
    assert abs(float(probe["format"]["duration"]) * 1000 - report.duration_ms) < 50
    assert report.duration_ms >= 32_000
    tags = probe["format"]["tags"]
    assert tags["comment"].startswith("Voice is AI-generated (piper joe)")
    assert (
        "machine translation, not reviewed" in tags["comment"]
        and "spoken disclosure at the start" in tags["comment"]
    )
    assert tags["artist"] == "AI-generated voice (piper joe)" and tags["language"] == "eng"
    assert "AI-generated" in tags["title"]
    assert not list(out.parent.glob(".*tmp*"))  # no temp files left


def test_the_report_says_where_each_line_went(dubbed: tuple[Path, DubReport]) -> None:
    _, report = dubbed
    assert [line.id for line in report.lines] == [1, 2, 3, 4, 5, 6]
    assert report.disclosure == DISCLOSURE and report.disclosure_spoken and report.disclosure_end > 1000
    assert report.lines[0].start == max(SAMPLE_LINES[0][0], report.disclosure_end + GAP_MS)
    for line, (start, end, english) in zip(report.lines, SAMPLE_LINES, strict=True):
        assert (line.slot_start, line.slot_end, line.text) == (start, end, english)
        assert line.start >= start and line.delay_ms == line.start - start
        assert line.end - line.start == spoken_ms(line.speech_ms, line.speed)
        assert 1.0 <= line.speed <= 1.25 and line.fitted == (line.overflow_ms == 0)
    for a, b in zip(report.lines, report.lines[1:], strict=False):
        assert b.start >= a.end  # the voice never talks over itself
    data = json.loads(json.dumps(report.to_dict()))
    assert data["format"] == "tolmach.dub/1" and data["ai_generated"] is True
    assert data["disclosure"] == {
        "text": DISCLOSURE, "spoken": True, "end": report.disclosure_end, "removed_by_flag": None,
    }  # fmt: skip
    assert data["counts"]["lines"] == 6
    assert sum(data["counts"][k] for k in ("at_1x", "sped_up", "overflowing")) == 6
    assert set(data["lines"][0]) >= {"id", "start", "end", "slot_start", "slot_end", "speech_ms", "speed",
                                     "overflow_ms", "fitted"}  # fmt: skip
    summary = report.summary()
    assert summary.startswith(f"dub: 6 lines: {report.at_normal_speed} at 1.0x, {report.sped_up} sped up")
    assert "piper joe; disclosure spoken;" in summary and "\n" not in summary


def test_the_mix_is_at_minus_16_lufs_with_the_original_ducked_12_db(
    dubbed: tuple[Path, DubReport], sample: Path
) -> None:
    out, report = dubbed
    integrated, peak = ebur128(out)
    assert integrated == pytest.approx(-16.0, abs=0.5) and peak <= -1.0
    assert report.loudness.output_i == pytest.approx(integrated, abs=0.2)
    # How much of the original is in the output: project the output onto it (the voice is uncorrelated)
    original = decode_audio(sample, MIX_RATE)
    mixed = decode_audio(out, MIX_RATE)

    def share(*spans: tuple[int, int]) -> float:
        o, m = (
            np.concatenate([x[a * MIX_RATE // 1000 : b * MIX_RATE // 1000] for a, b in spans])
            for x in (original, mixed)
        )
        o, m = o.astype(np.float64), m.astype(np.float64)
        return float(np.dot(o, m) / np.dot(o, o))

    # under every line at once: over one line alone, chance likeness of the voice and the original
    # (both speech) moved the figure by a decibel or two from run to run (piper is not deterministic)
    under = share(*((line.start + ATTACK_MS, line.end - 100) for line in report.lines))
    last = report.lines[-1]
    gaps = [
        (a.end + RELEASE_MS + 50, b.start - ATTACK_MS - 50)
        for a, b in zip(report.lines, report.lines[1:], strict=False)
        if b.start - a.end > RELEASE_MS + ATTACK_MS + 600
    ]
    assert gaps, "the sample has pauses between its lines"
    between = [share(gap) for gap in gaps]
    gain = 10 ** (report.loudness.gain_db / 20)
    for level in between:  # between lines: the original times the one loudness gain (the limiter only
        assert 20 * np.log10(level / gain) == pytest.approx(0.0, abs=1.5)  # holds its loudest peaks)
    print(f"ducked by {20 * np.log10(under / np.mean(between)):.2f} dB")
    assert 20 * np.log10(under / np.mean(between)) == pytest.approx(-12.0, abs=1.5)
    assert last.end <= report.duration_ms


def test_no_disclosure_is_explicit_and_recorded(sample: Path, tmp_path: Path) -> None:
    transcript = sample_transcript(sample)
    transcript = replace(transcript, segments=transcript.segments[:2])
    out = tmp_path / "x.wav"
    report = dub(transcript, sample, out, DubOptions(disclose=False, voice="espeak"))
    assert not report.disclosure_spoken and report.disclosure == "" and report.disclosure_end == 0
    assert report.to_dict()["disclosure"]["removed_by_flag"] == "--no-disclosure"
    assert report.lines[0].start == SAMPLE_LINES[0][0]  # nothing before the first line
    assert "NO spoken disclosure" in report.summary() and report.voice == "espeak-ng espeak"
    tags = ffprobe(out)["format"]["tags"]
    assert "spoken disclosure removed (--no-disclosure)" in tags["comment"]
    assert tags["comment"].startswith("Voice is AI-generated (espeak-ng espeak)")


def test_bad_options_and_inputs_write_nothing(sample: Path, tmp_path: Path) -> None:
    transcript = sample_transcript(sample)
    out = tmp_path / "x.wav"
    for bad, message in [
        (DubOptions(max_speed=0.9), "--max-speed 0.9 is outside"),
        (DubOptions(max_speed=3.0), "--max-speed 3 is outside"),
        (DubOptions(disclosure="  "), "disclosure cannot be empty"),
        (DubOptions(voice="nobody"), "unknown voice 'nobody'"),
    ]:
        with pytest.raises(OptionsError, match=message):
            dub(transcript, sample, out, bad)
    silent = replace(transcript, segments=tuple(replace(s, translation=" ") for s in transcript.segments))
    with pytest.raises(InputError, match="no English lines to speak"):
        dub(silent, sample, out)
    with pytest.raises(InputError, match=r"not found|does not exist|no such"):
        dub(transcript, tmp_path / "missing.mp4", out)
    assert list(tmp_path.iterdir()) == []


def test_cli_errors_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"
    result = runner.invoke(app, ["dub", str(missing), "--no-archive"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "missing.mp4: no such file" in result.stderr
    result = runner.invoke(app, ["dub", str(missing), "--voice", "nobody"])
    assert result.exit_code == 2 and "unknown voice 'nobody'" in result.stderr
    result = runner.invoke(app, ["dub", str(missing), "--disclosure", "x", "--no-disclosure"])
    assert result.exit_code == 2 and "contradict" in result.stderr
    result = runner.invoke(app, ["dub", str(missing), "--max-speed", "5"])
    assert result.exit_code == 2 and "--max-speed 5 is outside" in result.stderr
    assert list(tmp_path.iterdir()) == []


def words(text: str) -> list[str]:
    import re

    from tolmach.voice import speakable

    spoken = re.sub(r"[.']", "", speakable(text).lower()).replace("metre", "meter")  # Whisper spells US
    return re.sub(r"[^a-z ]+", " ", spoken).split()


def recall(spoken: list[str], heard: list[str]) -> float:
    """Share of the spoken words Whisper heard (each heard word counts once)."""
    from collections import Counter

    left = Counter(heard)
    found = 0
    for word in spoken:
        if left[word] > 0:
            left[word] -= 1
            found += 1
    return found / len(spoken)


def hear(audio_path: Path, spans: list[tuple[int, int]]) -> list[str]:
    """What the shipped Whisper model hears in ``spans`` (ms) of a file, the spans read one after another
    with a second of silence between (so a line is judged on its own, with the original under it)."""
    from tolmach.asr.models import resolve_model
    from tolmach.asr.transcribe import decoder_for, transcribe
    from tolmach.options import Options

    options = Options(lang="en", translate=False)
    audio = decode_audio(audio_path)  # 16 kHz
    pause = np.zeros(16000, dtype=np.float32)
    parts = [p for a, b in spans for p in (audio[max(0, a - 150) * 16 : (b + 250) * 16], pause)]
    result = transcribe(np.concatenate(parts), decoder_for(resolve_model("base"), options), options)
    return [s.text for s in result.segments]


@pytest.mark.slow
def test_round_trip_whisper_hears_the_dub(dubbed: tuple[Path, DubReport]) -> None:
    """At least 90% of the spoken words come back, from where the report says each line is."""
    out, report = dubbed
    heard = hear(out, [(0, report.disclosure_end)] + [(line.start, line.end) for line in report.lines])
    said = words(" ".join(line.text for line in report.lines))
    got = words(" ".join(heard))
    assert recall(said, got) >= 0.9, (said, got)
    first = words(heard[0])  # the disclosure is the first thing heard
    assert first[0] == "english" and "generated" in first[:6], heard


@pytest.mark.slow
def test_cli_dubs_the_sample_into_wav_report_and_video(sample: Path, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(sample.read_bytes())
    result = runner.invoke(app, ["dub", str(clip), "--lang", "ru", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [LEDGER, "clip.dub.json", "clip.dubbed.mp4", "clip.en-dub.wav"]  # and what tolmach wrote
    assert "dub: 6 lines:" in result.stdout or "dub: " in result.stdout
    data = json.loads((tmp_path / "out" / "clip.dub.json").read_text())
    assert data["output"] == str(tmp_path / "out" / "clip.en-dub.wav") and data["run_id"]
    assert data["video"] == str(tmp_path / "out" / "clip.dubbed.mp4")
    streams = ffprobe(tmp_path / "out" / "clip.dubbed.mp4")["streams"]
    kinds = [(s["codec_type"], s.get("tags", {}).get("language")) for s in streams]
    assert kinds[0][0] == "video" and ("audio", "eng") in kinds and kinds.count(("audio", "eng")) == 1
    # the archive is used the second time: no transcription, the same text
    again = runner.invoke(
        app,
        ["dub", data["sha256"][:12], "-o", str(tmp_path / "again"), "--no-disclosure", "--voice", "espeak"],
    )
    assert again.exit_code == 0, again.output
    assert "NO spoken disclosure" in again.stdout and "warning" in again.stderr
    redone = json.loads((tmp_path / "again" / "clip.dub.json").read_text())
    assert redone["disclosure"]["removed_by_flag"] == "--no-disclosure"
    assert [line["text"] for line in redone["lines"]] == [line["text"] for line in data["lines"]]
