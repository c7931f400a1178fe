"""The transcription stage's cache: a rerun that changes only later stages does not decode again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from records import make_transcript

from tolmach.asr import cache
from tolmach.asr.transcribe import AsrResult
from tolmach.asr.windows import Region
from tolmach.options import Options
from tolmach.records import ModelInfo

MODEL = ModelInfo("base", "/models/base", "d01c")


def _result(tmp_path: Path) -> AsrResult:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"clip")
    segments = make_transcript(clip).segments
    plain = tuple(replace(s, speaker=None, entities=(), notes=()) for s in segments)
    return AsrResult(
        "ru", 0.97, False, plain, 12000, ("a warning",), (("decode", 3.5),), "cpu", (Region(0, 14500),)
    )


def test_a_stored_result_reads_back_equal(tmp_path: Path) -> None:
    result = _result(tmp_path)
    key = cache.asr_key("ab" * 32, MODEL, Options(lang="ru"), "")
    assert cache.load(tmp_path, "ab" * 32, key) is None
    cache.store(tmp_path, "ab" * 32, key, result)
    assert cache.load(tmp_path, "ab" * 32, key) == result


def test_the_key_follows_what_shapes_the_decoding() -> None:
    base = cache.asr_key("ab" * 32, MODEL, Options(lang="ru"), "")
    assert cache.asr_key("ab" * 32, MODEL, Options(lang="ru"), "") == base
    # later stages and the machine do not change the decoded lines
    for same in (
        Options(lang="ru", entities=False),
        Options(lang="ru", threads=2),
        Options(lang="ru", device="cpu"),
    ):
        assert cache.asr_key("ab" * 32, MODEL, same, "") == base
    changed = [
        cache.asr_key("cd" * 32, MODEL, Options(lang="ru"), ""),
        cache.asr_key("ab" * 32, replace(MODEL, sha256="e1"), Options(lang="ru"), ""),
        cache.asr_key("ab" * 32, MODEL, Options(lang="uk"), ""),
        cache.asr_key("ab" * 32, MODEL, Options(lang="ru", beam_size=1), ""),
        cache.asr_key("ab" * 32, MODEL, Options(lang="ru", translate=False), ""),
        cache.asr_key("ab" * 32, MODEL, Options(lang="ru"), "мобики"),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    key = cache.asr_key("ef" * 32, MODEL, Options(), "")
    cache.store(tmp_path, "ef" * 32, key, _result(tmp_path))
    cache.stage_path(tmp_path, "ef" * 32, key).write_text('{"language": "ru"')
    assert cache.load(tmp_path, "ef" * 32, key) is None


def test_an_unwritable_cache_does_not_fail_the_run(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    key = cache.asr_key("ab" * 32, MODEL, Options(), "")
    cache.store(blocked, "ab" * 32, key, _result(tmp_path))
    assert cache.load(blocked, "ab" * 32, key) is None


@pytest.mark.slow
def test_a_rerun_with_other_later_options_does_not_decode_again(sample: Path, tmp_path: Path) -> None:
    from tolmach.archive import Archive
    from tolmach.pipeline import translate_to_files

    archive = Archive(tmp_path / "home")
    first = translate_to_files(
        sample, Options(lang="ru", speakers="1", entities=False), tmp_path / "a", archive=archive
    )
    assert "decode" in first.transcript.timings and "asr_cached" not in first.transcript.timings
    second = translate_to_files(sample, Options(lang="ru", speakers="1"), tmp_path / "b", archive=archive)
    assert second.run_id != first.run_id and not second.reused  # a new run: entities are on now
    assert second.transcript.timings["asr_cached"] == 1.0 and "decode" not in second.transcript.timings
    assert [s.text for s in second.transcript.segments] == [s.text for s in first.transcript.segments]
    assert any(s.entities for s in second.transcript.segments)
    archive.remove(sample_sha := first.transcript.media.sha256)
    assert not (archive.stages / sample_sha).exists()
