"""Which engine wrote each line: kept in the JSON, the archive, the manifest and the run key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from records import make_transcript

from tolmach.archive import Archive
from tolmach.engines import engine_key, translate_segments
from tolmach.options import Options
from tolmach.pipeline import run_key
from tolmach.publish.manifest import build_manifest
from tolmach.records import ClipInfo, ModelInfo
from tolmach.subtitles.formats.jsonformat import transcript_from_json, transcript_to_json


def marked(tmp_path: Path):  # type: ignore[no-untyped-def]
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a video")
    t = make_transcript(clip)
    by = ["llm:qwen2.5:7b"] * len(t.segments)
    by[2] = "whisper:base (fallback: llm answer invalid)"
    segments = tuple(replace(s, translated_by=b) for s, b in zip(t.segments, by, strict=True))
    return replace(t, segments=segments, options={**t.options, "engine": "llm"}), by


def test_whisper_lines_are_marked_as_whispers(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    segments = make_transcript(clip).segments
    out, warnings = translate_segments(segments, "ru", Options(), whisper="whisper:base")
    assert warnings == () and {s.translated_by for s in out} == {"whisper:base"}
    assert [s.translation for s in out] == [s.translation for s in segments]


def test_json_and_archive_keep_translated_by(tmp_path: Path) -> None:
    t, by = marked(tmp_path)
    back = transcript_from_json(transcript_to_json(t))
    assert back == t and [s.translated_by for s in back.segments] == by
    with Archive(tmp_path / "home") as archive:
        run = archive.save(t, ClipInfo(source="x"), {"engine": "llm"})
        assert [s.translated_by for s in archive.transcript(run).segments] == by
    unmarked = make_transcript(tmp_path / "clip.mp4")
    assert '"translated_by"' not in transcript_to_json(unmarked)  # older transcripts: absent, read as ""


def test_the_manifest_says_which_engine_wrote_each_line(tmp_path: Path) -> None:
    t, by = marked(tmp_path)
    manifest = build_manifest(t, ClipInfo(source="x"), {}, [])
    assert [s["translated_by"] for s in manifest["segments"]] == by
    assert manifest["options"]["engine"] == "llm"


def test_the_engine_is_part_of_the_run_key() -> None:
    model = ModelInfo("base", "/m", "abc")
    whisper = run_key(Options(), model, None)
    assert "engine" not in whisper  # runs made before engines existed keep their IDs
    llm = run_key(Options(engine="llm", llm_model="qwen2.5:7b"), model, None)
    other = run_key(Options(engine="llm", llm_model="llama3.1:8b"), model, None)
    assert llm["engine"] == "llm" and llm != other != whisper
    assert engine_key(Options(engine="nmt", nmt_model="/models/opus")) == {
        "engine": "nmt",
        "nmt_model": "/models/opus",
    }
