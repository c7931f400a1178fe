"""The length check: omissions and additions against the calibrated bounds (exact details)."""

from __future__ import annotations

from tolmach.checks import length
from tolmach.checks.base import Pair


def details(source: str, english: str, language: str = "ru") -> list[tuple[str, str]]:
    return [(f.kind, f.detail) for f in length.check(Pair(source, english, language))]


RU = "Мы держали позиции три дня, потом пришёл приказ отходить к Бахмуту."
UK = "Ми тримали позиції три дні, потім прийшов наказ відходити до Бахмута."
FULL = "We held the positions for three days, then the order came to fall back to Bakhmut."


def test_a_clause_left_out() -> None:
    assert details(RU, "We held the positions for three days.") == [
        ("omission", "omission: the English is 55% of the length the original would give")
    ]
    assert details(UK, "We held the positions.", "uk") == [
        ("omission", "omission: the English is 32% of the length the original would give")
    ]


def test_a_sentence_added() -> None:
    english = "We held the positions, and then the enemy attacked us with tanks and artillery all night long."
    assert details("Мы держали позиции.", english) == [
        ("addition", "addition: the English is 475% of the length the original would give")
    ]


def test_faithful_lines_pass() -> None:
    assert details(RU, FULL) == []
    assert details(UK, FULL, "uk") == []
    assert (
        details(UK, "We held our positions for three days; then we were ordered back to Bakhmut.", "uk") == []
    )


def test_short_lines_are_not_judged_tightly() -> None:
    assert details("Да.", "Yes, sir.") == []
    assert details("Так точно!", "Yes, sir.") == []
    assert details("Ну, в общем, да.", "Yes.") == []
    assert details("Ні.", "No, sir, no.", "uk") == []


def test_an_empty_english_is_left_to_the_surface_check() -> None:
    assert details(RU, "") == []
