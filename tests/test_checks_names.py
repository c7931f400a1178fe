"""The names check: places, people, units and ranks of the original in the English, and names the English
invents (exact details; entities found by the real entity finder, natasha for Russian)."""

from __future__ import annotations

import pytest

from tolmach.checks import names
from tolmach.checks.base import Pair
from tolmach.records import Entity


def details(source: str, english: str, language: str = "ru") -> list[str]:
    found = names.check(Pair(source, english, language))
    assert all(f.kind == "name" for f in found)
    return [f.detail for f in found]


def test_a_gazetteer_place_misspelt() -> None:
    assert details("Я служил под Бахмутом.", "I served near Bahmud.") == [
        'place Бахмут: English has "Bahmud", expected Bakhmut'
    ]


def test_a_place_swapped_is_missing_and_the_other_invented() -> None:
    assert details(
        "Українські військові відступили з Авдіївки.", "Ukrainian troops left Pokrovsk.", "uk"
    ) == [
        "place Авдіївка is missing in the English (expected Avdiivka)",
        'name "Pokrovsk" in the English is not in the original',
    ]


@pytest.mark.parametrize(
    ("source", "english", "language"),
    [
        ("Я служив під Бахмутом.", "I served near Bakhmut.", "uk"),
        ("Мы были в Киеве.", "We were in Kyiv.", "ru"),
        ("Мы были в Киеве.", "We were in Kiev.", "ru"),  # the Russian form transliterated
        ("Ми були в Харкові.", "We were in Kharkiv.", "uk"),
        ("Российские войска отступили.", "Russian troops retreated.", "ru"),
        ("Кремль это отрицает.", "The Kremlin denies it.", "ru"),
        ("Это заявил Зеленский.", "Zelenskyy said so.", "ru"),
        ("Евгений Пригожин выступил с заявлением.", "Yevgeny Prigozhin made a statement.", "ru"),
        ("Власти США это отрицают.", "The US authorities deny it.", "ru"),
        ("Мы воевали с немецкими наёмниками.", "We fought German mercenaries.", "ru"),
        ("Компания под санкциями США.", "The company is under U.S. sanctions.", "ru"),  # dotted initials
        ("Я вчу чеську мову.", "I am learning Czech.", "uk"),
    ],
)
def test_faithful_names_pass(source: str, english: str, language: str) -> None:
    assert details(source, english, language) == []


def test_a_person_left_out() -> None:
    assert details("Пригожин выступил с заявлением.", "He made a statement.") == [
        "person Пригожин is missing in the English (expected Prigozhin)"
    ]


def test_an_invented_name() -> None:
    assert details("Мы читали книгу.", "We read Dostoevsky.") == [
        'name "Dostoevsky" in the English is not in the original'
    ]
    assert details("Ми читали книжку.", "We read a book in Kharkiv.", "uk") == [
        'name "Kharkiv" in the English is not in the original'
    ]


def test_units_and_ranks_need_their_english() -> None:
    assert details("Я служил в 85-й бригаде.", "I served in the 85th brigade.") == []
    assert details("Я служил в 85-й бригаде.", "I served in the 85th.") == [
        "unit 85-я бригада is missing in the English (expected 85th Brigade)"
    ]
    assert details("Командир роти загинув.", "The company commander was killed.", "uk") == []
    assert details("Командир роти загинув.", "The platoon leader was killed.", "uk") == [
        "rank командир роти is missing in the English (expected company commander)"
    ]


def test_given_entities_are_used_as_they_are() -> None:
    entity = Entity("place", "Бахмуте", 2, 9, "Бахмут", "Bakhmut")
    pair = Pair("В Бахмуте тихо.", "It is quiet in the town.", "ru", entities=(entity,))
    assert [f.detail for f in names.check(pair)] == [
        "place Бахмут is missing in the English (expected Bakhmut)"
    ]
    assert names.check(Pair("В Бахмуте тихо.", "It is quiet in the town.", "ru", entities=())) == []


def test_fold_brings_transliterations_together() -> None:
    assert names.fold("Zelenskyy") == names.fold("Zelenskiy") == names.fold("Zelensky")
    assert names.fold("Kharkiv") == names.fold("Harkiv")
    assert names.fold("Yevgeny") == names.fold("Evgeny")
    assert names.fold("Bakhmut") != names.fold("Bahmud")
