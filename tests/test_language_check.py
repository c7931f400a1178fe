"""A forced language is checked against the speech: `--lang uk` on Russian says so, `--lang ru` does not.

Detection runs on the first batch's encoder output, which decoding computes anyway. When the speech is
detected as another language with probability 0.8 or more, the transcript gets a warning (printed by
the CLI like the others) and ``language.mismatch`` in the JSON. The sample clip is Russian read speech.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from records import make_transcript
from test_cli import run_tolmach

from tolmach.asr import cache
from tolmach.asr.transcribe import MISMATCH_PROBABILITY, AsrResult, is_mismatch
from tolmach.asr.windows import Region
from tolmach.options import Options
from tolmach.pipeline import translate_clip
from tolmach.records import ModelInfo
from tolmach.subtitles.formats.jsonformat import transcript_from_dict, transcript_to_dict

WARNING = "language forced to 'uk', but the speech sounds like 'ru' (probability 0.98); check --lang"


def test_russian_forced_to_ukrainian_is_reported(sample: Path, tmp_path: Path) -> None:
    done = run_tolmach("translate", sample, "--lang", "uk", "-o", tmp_path)
    assert done.returncode == 0, done.stderr
    printed = " ".join(done.stderr.split())  # rich may wrap a long line
    assert f"warning {sample.name}: {WARNING}" in printed
    data = json.loads((tmp_path / f"{sample.stem}.json").read_text(encoding="utf-8"))
    assert data["language"] == {
        "code": "uk",
        "probability": 1.0,
        "forced": True,
        "detected": {"code": "ru", "probability": pytest.approx(0.98, abs=0.005)},
        "mismatch": True,
    }
    assert WARNING in data["warnings"]


def test_russian_forced_to_russian_is_not(sample: Path) -> None:
    t = translate_clip(sample, Options(lang="ru"))
    assert (t.language, t.language_forced, t.language_mismatch) == ("ru", True, False)
    assert t.language_detected == "ru" and t.language_detected_probability >= MISMATCH_PROBABILITY
    assert not any("language" in w for w in t.warnings)


def test_the_threshold() -> None:
    assert is_mismatch("uk", True, "ru", MISMATCH_PROBABILITY)
    assert not is_mismatch("uk", True, "ru", MISMATCH_PROBABILITY - 0.001)  # unsure: no claim
    assert not is_mismatch("ru", True, "ru", 0.99)
    assert not is_mismatch("uk", False, "ru", 0.99)  # detected, not forced: nothing to contradict
    assert not is_mismatch("uk", True, "", 0.0)  # no speech, nothing detected


def test_a_transcript_from_before_the_check_reads_as_unchecked(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"clip")
    checked = replace(
        make_transcript(clip),
        language_detected="ru",
        language_detected_probability=0.98,
        language_mismatch=True,
    )
    data = transcript_to_dict(checked)
    assert transcript_from_dict(data) == checked
    data["language"] = {k: v for k, v in data["language"].items() if k not in ("detected", "mismatch")}
    old = transcript_from_dict(data)
    assert (old.language_detected, old.language_detected_probability, old.language_mismatch) == (
        "",
        0.0,
        False,
    )


def test_the_stage_cache_keeps_the_check_and_misses_older_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ModelInfo("base", "/models/base", "d01c")
    result = AsrResult(
        "uk", 1.0, True, (), 12000, (WARNING,), (), "cpu", (Region(0, 14500),), "ru", 0.98, True
    )
    key = cache.asr_key("ab" * 32, model, Options(lang="uk"), "")
    cache.store(tmp_path, "ab" * 32, key, result)
    assert cache.load(tmp_path, "ab" * 32, key) == result
    # entries of the format before (the window's confidence on every line, no check) are never read
    monkeypatch.setattr(cache, "FORMAT", 1)
    assert cache.asr_key("ab" * 32, model, Options(lang="uk"), "") != key
