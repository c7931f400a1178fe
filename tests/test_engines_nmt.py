"""The nmt engine on a tiny real Marian model built and converted here (tests/nmt_model.py).

The model's weights are random, so only structure is checked: one English line per input line, in
order, blank lines blank, long lines cut into sentences and joined again, the model loaded once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nmt_model import RU, build_marian
from records import make_transcript

from tolmach.engines import Context, get_engine, translate_segments
from tolmach.engines.base import EngineError
from tolmach.engines.nmt import NmtEngine, _load, split_sentences
from tolmach.options import Options

pytest.importorskip("transformers", reason="building the test model needs transformers (the test extra)")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_marian(tmp_path_factory.mktemp("nmt"))


def options(folder: Path | str) -> Options:
    return Options(engine="nmt", nmt_model=str(folder), device="cpu", threads=1)


def test_the_model_translates_one_line_per_line(model: Path) -> None:
    engine = get_engine(options(model))
    assert isinstance(engine, NmtEngine) and not engine.remote and engine.label == "nmt:opus-mt-tiny-ru-en"
    lines = [*RU, "", "   "]
    english = engine.translate(lines, Context(source_lang="ru"))
    assert len(english) == len(lines)
    assert all(isinstance(e, str) for e in english)
    assert english[-2:] == ["", ""]  # nothing to translate, nothing written
    assert engine.check() == (True, "loaded (marian)")


def test_long_lines_are_cut_into_sentences_and_joined(model: Path) -> None:
    long = " ".join(RU * 3)
    assert len(long) > 200
    sentences = split_sentences(long)
    assert len(sentences) == len(RU) * 3 and sentences[0] == RU[0]
    assert split_sentences("Короткая строка. Вторая.") == ["Короткая строка. Вторая."]
    assert split_sentences("  ") == []
    engine = get_engine(options(model))
    english = engine.translate([RU[0], long, RU[1]], Context(source_lang="ru"))
    assert len(english) == 3


def test_the_model_is_loaded_once(model: Path) -> None:
    engine = get_engine(options(model))
    engine.translate(RU[:1], Context(source_lang="ru"))
    before = _load.cache_info().hits
    get_engine(options(model)).translate(RU[:1], Context(source_lang="ru"))
    assert _load.cache_info().hits == before + 1


def test_segments_keep_their_ids_and_say_which_model(model: Path, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    segments = make_transcript(clip).segments
    out, warnings = translate_segments(segments, "ru", options(model), whisper="whisper:base")
    assert warnings == ()
    assert [(s.id, s.start, s.end, s.text) for s in out] == [(s.id, s.start, s.end, s.text) for s in segments]
    assert {s.translated_by for s in out} == {"nmt:opus-mt-tiny-ru-en"}


def test_bad_model_folders_are_one_line_errors(tmp_path: Path, model: Path) -> None:
    missing = NmtEngine(options(tmp_path / "nope"))
    with pytest.raises(EngineError, match=r"nope: no such model folder"):
        missing.translate(["a"], Context(source_lang="ru"))
    empty = tmp_path / "empty"
    empty.mkdir()
    ready, why = NmtEngine(options(empty)).check()
    assert (
        not ready and "not a CTranslate2 model (no model.bin)" in why and "ct2-transformers-converter" in why
    )
    no_spm = tmp_path / "no-spm"
    no_spm.mkdir()
    for name in ("model.bin", "config.json", "shared_vocabulary.json"):
        (no_spm / name).write_bytes((model / name).read_bytes())
    with pytest.raises(EngineError, match="no SentencePiece files"):
        NmtEngine(options(no_spm)).translate(["a"], Context(source_lang="ru"))


def test_many_language_models_get_their_language_tokens() -> None:
    from tolmach.engines.nmt import _language_tokens, _Model

    nllb = _Model(None, None, None, "nllb", False, frozenset({"rus_Cyrl", "ukr_Cyrl", "eng_Latn"}))
    assert _language_tokens(nllb, "uk", None) == ("eng_Latn", "ukr_Cyrl")
    m2m = _Model(None, None, None, "m2m100", True, frozenset({"__ru__", "__en__"}))
    assert _language_tokens(m2m, "ru", None) == ("__en__", "__ru__")
    with pytest.raises(EngineError, match="no language token for 'uk'"):
        _language_tokens(m2m, "uk", Path("m2m"))
