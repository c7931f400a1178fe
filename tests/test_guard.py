"""The hallucination guard and doubtful-line flags (deterministic rules, exact)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tolmach.asr.guard import (
    LineEvidence,
    compression_ratio,
    flags_for,
    is_hallucination,
    is_known_phrase,
    normalise,
)

GOOD = LineEvidence(
    text="Мы стояли под Бахмутом три недели.",
    avg_logprob=-0.3,
    no_speech_prob=0.05,
    compression_ratio=1.2,
    min_word_probability=0.6,
    speech_ratio=0.9,
)


def kinds(line: LineEvidence) -> list[str]:
    return [f.kind for f in flags_for(line)]


@pytest.mark.parametrize(
    "text",
    [
        "Субтитры сделал DimaTorzok",
        "Редактор субтитров А.Синецкая Корректор А.Егорова",
        "Продолжение следует...",
        "ПРОДОЛЖЕНИЕ СЛЕДУЕТ",
        "Thanks for watching!",
        "[Music]",
    ],
)
def test_known_phrases_are_recognised(text: str) -> None:
    assert is_known_phrase(text)


def test_ordinary_speech_is_not_a_known_phrase() -> None:
    assert not is_known_phrase("Продолжение следует за нами по пятам, сказал он")
    assert not is_known_phrase(GOOD.text)


def test_normalise_folds_case_yo_and_punctuation() -> None:
    assert normalise("  Ещё, «раз»!  ") == "еще раз"


def test_known_phrase_over_non_speech_is_dropped() -> None:
    line = replace(GOOD, text="Субтитры сделал DimaTorzok", speech_ratio=0.1)
    assert is_hallucination(line)


def test_known_phrase_over_real_speech_is_kept_but_flagged() -> None:
    line = replace(GOOD, text="Продолжение следует.", speech_ratio=0.85)
    assert not is_hallucination(line)
    assert "known-hallucination-phrase" in kinds(line)


def test_no_speech_needs_the_vad_to_agree_before_dropping() -> None:
    unsure = replace(GOOD, no_speech_prob=0.8, avg_logprob=-1.4)
    assert not is_hallucination(unsure)  # the VAD heard speech: keep, flag
    assert is_hallucination(replace(unsure, speech_ratio=0.1))


def test_empty_text_is_dropped() -> None:
    assert is_hallucination(replace(GOOD, text=" ... "))


def test_a_clean_line_has_no_flags() -> None:
    assert flags_for(GOOD) == ()


def test_each_doubt_has_its_flag() -> None:
    line = replace(
        GOOD,
        avg_logprob=-1.5,
        no_speech_prob=0.7,
        compression_ratio=3.0,
        min_word_probability=0.05,
        speech_ratio=0.2,
    )
    assert kinds(line) == ["low-confidence", "maybe-no-speech", "repetitive", "unsure-word", "little-speech"]
    assert flags_for(line)[0].detail == "the speech model was unsure of this line: listen to it"


@pytest.mark.parametrize(
    "text", ["ДИНАМИЧНАЯ МУЗЫКА", "[музыка]", "(аплодисменты)", "♪ ♪", "ТЕЛЕФОННЫЙ ЗВОНОК."]
)
def test_sound_captions_count_as_known_phrases(text: str) -> None:
    assert is_known_phrase(text)


def test_shouted_speech_in_capitals_is_not_a_caption_when_long() -> None:
    assert not is_known_phrase("МЫ НЕ ОТСТУПИМ ОТСЮДА НИ НА ШАГ, РЕБЯТА")


def test_line_over_near_silence_that_whisper_doubts_is_dropped() -> None:
    assert is_hallucination(replace(GOOD, speech_ratio=0.05, no_speech_prob=0.65, avg_logprob=-0.9))
    assert not is_hallucination(replace(GOOD, speech_ratio=0.05, no_speech_prob=0.3, avg_logprob=-0.9))


def test_compression_ratio_finds_a_loop() -> None:
    loop = "his eyes are blue, his eyes are gray, " * 6
    assert compression_ratio(loop) > 2.4 > compression_ratio("We stood near Bakhmut for three weeks.")
    assert compression_ratio("") == 0.0
