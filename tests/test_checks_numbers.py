"""The numbers check: values of the original against the English, Russian and Ukrainian (exact details)."""

from __future__ import annotations

import pytest

from tolmach.checks.base import Pair
from tolmach.checks.numbers import check


def details(source: str, english: str, language: str = "ru") -> list[str]:
    found = check(Pair(source, english, language))
    assert all(f.kind == "number" for f in found)
    return [f.detail for f in found]


@pytest.mark.parametrize(
    ("source", "english", "language"),
    [
        # number words in any case, gender and as ordinals
        (
            "Бойцы восемьдесят пятой бригады держат оборону.",
            "Fighters of the 85th brigade hold the line.",
            "ru",
        ),
        ("Бойцы восемьдесят пятой бригады.", "Fighters of the eighty-fifth brigade.", "ru"),
        (
            "Вернулись двадцать семь человек из ста двадцати.",
            "Twenty-seven people out of 120 came back.",
            "ru",
        ),
        ("Повернулися двадцять сім людей зі ста двадцяти.", "27 of the hundred and twenty came back.", "uk"),
        ("Ми стояли там із дванадцятьма хлопцями.", "We stood there with twelve guys.", "uk"),
        ("Бойцы 85-ой бригады.", "Soldiers of the 85th Brigade.", "ru"),
        ("Около двухсот человек.", "About two hundred people.", "ru"),
        ("Погибли полторы тысячи человек.", "1,500 people died.", "ru"),
        ("Погибли полторы тысячи человек.", "One and a half thousand people died.", "ru"),
        ("Загинули півтори тисячі людей.", "1.5 thousand people died.", "uk"),
        ("Они стреляли из 152-мм гаубиц.", "They fired 152 mm howitzers.", "ru"),
        ("Это было 9 мая, в 2022 году.", "It was on May 9, in 2022.", "ru"),
        ("Начали в 5:30 утра.", "We started at 5.30 in the morning.", "ru"),
        ("Сбор в 17:00.", "We meet at 5 pm.", "ru"),
        ("В тысяча девятьсот сорок пятом году.", "In 1945.", "ru"),
        ("У тисяча дев'ятсот сорок п'ятому році.", "In 1945.", "uk"),
        ("Там было 10 тысяч человек.", "There were 10,000 people.", "ru"),
        ("Ущерб составил 2,5 млн рублей.", "The damage was 2.5 million roubles.", "ru"),
        ("Это было в 90-х.", "That was in the 1990s.", "ru"),
        ("В 1990-е годы.", "In the nineties.", "ru"),
        ("В сезоне 2019/20 он забил 16 голов.", "In the 2019-2020 season he scored 16 goals.", "ru"),
        ("В XX веке.", "In the 20th century.", "ru"),
        ("За сутки погибли 13 человек.", "13 people died in the past 24 hours.", "ru"),
        ("Прошло полгода.", "Six months have passed.", "ru"),
        ("Він вдвічі старший.", "He is twice as old.", "uk"),
        # what is not a number worth requiring
        ("Один из них сказал, что это первый раз.", "One of them said it was the first time.", "ru"),
        ("Он был один.", "He was alone.", "ru"),
        ("Я сделал это первым.", "I did it before anyone.", "ru"),
        ("Я позвонил ему раз.", "I called him once.", "ru"),
        ("Это тот, кто нам помог.", "He is the one who helped us.", "ru"),
        ("Подожди секунду.", "Wait a second.", "ru"),
        ("Он пропал без вести в Другій світовій війні.", "He went missing in World War II.", "uk"),
        ("Никто не пришёл.", "No one came.", "ru"),
        ("Его семью эвакуировали.", "His family was evacuated.", "ru"),
        ("Пятилетний план.", "The five-year plan.", "ru"),
        ("Тысячи людей вышли на улицы.", "Thousands of people took to the streets.", "ru"),
    ],
)
def test_the_same_values_pass(source: str, english: str, language: str) -> None:
    assert details(source, english, language) == []


@pytest.mark.parametrize(
    ("source", "english", "language", "expected"),
    [
        (
            "Бойцы 85-ой бригады держат оборону.",
            "Fighters have held the line since 1985.",
            "ru",
            [
                "number 85 in the original is missing in the English",
                "number 1985 in the English is not in the original",
            ],
        ),
        (
            "Бойцы восемьдесят пятой бригады.",
            "Fighters of the 58th brigade.",
            "ru",
            [
                "number 85 in the original is missing in the English",
                "number 58 in the English is not in the original",
            ],
        ),
        (
            "Вернулись двадцать семь человек из ста двадцати.",
            "Twenty-seven people came back.",
            "ru",
            ["number 120 in the original is missing in the English"],
        ),
        (
            "Ми стояли там із дванадцятьма хлопцями.",
            "We stood there with eleven guys.",
            "uk",
            [
                "number 12 in the original is missing in the English",
                "number 11 in the English is not in the original",
            ],
        ),
        (
            "Погибли полторы тысячи человек.",
            "1,000 people died.",
            "ru",
            [
                "number 1500 in the original is missing in the English",
                "number 1000 in the English is not in the original",
            ],
        ),
        (
            "Вони стріляли зі 152-мм гаубиць.",
            "They fired 122 mm howitzers.",
            "uk",
            [
                "number 152 in the original is missing in the English",
                "number 122 in the English is not in the original",
            ],
        ),
        (
            "Это было 9 мая.",
            "It was in May.",
            "ru",
            ["number 9 in the original is missing in the English"],
        ),
        (
            "Сбор в 17:30.",
            "We meet at 6:30.",
            "ru",
            [
                "number 17:30 in the original is missing in the English",
                "number 6:30 in the English is not in the original",
            ],
        ),
        (
            "У тисяча дев'ятсот сорок п'ятому році.",
            "In 1944.",
            "uk",
            [
                "number 1945 in the original is missing in the English",
                "number 1944 in the English is not in the original",
            ],
        ),
        (
            "Там было три танка.",
            "There were two tanks.",
            "ru",
            ["number 3 in the original is missing in the English"],
        ),
        (
            "Він пройшов двадцять кілометрів.",
            "He walked thirty kilometres.",
            "uk",
            [
                "number 20 in the original is missing in the English",
                "number 30 in the English is not in the original",
            ],
        ),
    ],
)
def test_a_changed_missing_or_added_number_is_flagged(
    source: str, english: str, language: str, expected: list[str]
) -> None:
    assert details(source, english, language) == expected


def test_each_value_is_reported_once() -> None:
    assert details("Погибли 5 человек, ранены 5 человек.", "Nobody died.") == [
        "number 5 in the original is missing in the English"
    ]
