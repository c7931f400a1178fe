"""The surface checks: Cyrillic left in the English, an empty English, boilerplate, loops (exact details)."""

from __future__ import annotations

import pytest

from tolmach.checks import surface
from tolmach.checks.base import Pair


def details(source: str, english: str, language: str = "ru") -> list[tuple[str, str]]:
    return [(f.kind, f.detail) for f in surface.check(Pair(source, english, language))]


def test_russian_word_left_in_the_english() -> None:
    found = details("Мы не отказываемся служить.", "We do not refuse служить.")
    assert found == [("untranslated", "untranslated: the English has Russian text «служить»")]


def test_ukrainian_line_left_untranslated_is_named_by_its_letters() -> None:
    found = details("Ми не відмовляємося служити.", "Ми не відмовляємося служити.", "uk")
    assert found == [
        ("untranslated", "untranslated: the English has Ukrainian text «Ми не відмовляємося служити»")
    ]


def test_a_long_cyrillic_run_is_shortened() -> None:
    english = "So: один два три четыре пять шесть семь."
    found = details("Один два три четыре пять шесть семь.", english)
    assert found == [
        ("untranslated", "untranslated: the English has Russian text «один два три четыре пять шесть…»")
    ]


def test_empty_english() -> None:
    assert details("Мы держим позиции.", "  ") == [("untranslated", "untranslated: the English is empty")]
    assert details("…", "") == []  # nothing was said, nothing to translate


def test_cyrillic_signs_in_a_measure_are_not_text() -> None:
    assert details("Матрас 105х195, до 50 °С.", "A 105х195 mattress, up to 50 °С.") == []


def test_a_cyrillic_web_address_is_a_name() -> None:
    assert (
        details("Об этом сообщает сайт стопкоронавирус.рф.", "The site стопкоронавирус.рф reports it.") == []
    )


@pytest.mark.parametrize(
    ("source", "english", "phrase"),
    [
        ("Мы держим позиции.", "I'm sorry, but I can't assist with that.", "I'm sorry"),
        ("Ми тримаємо позиції.", "As an AI language model, I cannot translate this.", "As an AI"),
        ("Продолжение следует.", "Subtitles by DimaTorzok", "Subtitles by"),
        ("Ну всё, пока.", "Thanks for watching!", "Thanks for watching"),
        ("Ми йдемо далі.", "Here is the translation: we go on.", "Here is the translation"),
    ],
)
def test_boilerplate_the_original_does_not_say(source: str, english: str, phrase: str) -> None:
    language = "uk" if "і" in source else "ru"
    found = details(source, english, language)
    assert found == [("refusal", f'refusal: the English has "{phrase}", which the original does not say')]


@pytest.mark.parametrize(
    ("source", "english", "language"),
    [
        ("Извините, я опоздал.", "I'm sorry, I'm late.", "ru"),
        ("Вибачте, я запізнився.", "I'm sorry, I'm late.", "uk"),
        ("Спасибо за просмотр!", "Thanks for watching!", "ru"),
        ("Дякую за перегляд!", "Thank you for watching!", "uk"),
        ("Я не могу вам помочь.", "I can't help you.", "ru"),
    ],
)
def test_boilerplate_the_original_says_is_a_translation(source: str, english: str, language: str) -> None:
    assert details(source, english, language) == []


def test_a_phrase_said_over_and_over_is_a_loop() -> None:
    english = "We will not leave. We will not leave. We will not leave. We will not leave."
    found = details("Мы не уйдём с позиций.", english)
    assert found == [("loop", 'loop: the English repeats "we will not leave" 4 times')]


def test_one_word_four_times_is_a_loop_unless_the_speaker_says_it() -> None:
    assert details("Ні, ми не підемо.", "no no no no no", "uk") == [
        ("loop", 'loop: the English repeats "no" 5 times')
    ]
    assert details("Нет, нет, нет, нет!", "No, no, no, no!") == []
    assert details("Очень, очень, очень хорошо.", "Very, very, very good.") == []


def test_a_faithful_line_passes() -> None:
    assert details("Мы не отказываемся служить.", "We do not refuse to serve.") == []
    assert details("Ми не відмовляємося служити.", "We don't refuse to serve.", "uk") == []
