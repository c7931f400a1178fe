"""The mutators of bench/checks.py: each injects exactly its one error into a real-looking English line,
and gives None where its kind of error does not apply, so that the benchmark measures what it says."""

from __future__ import annotations

import pytest

from bench.checks import PEOPLE, bleed, mutants, name, negation, number, omission, untranslated
from tolmach.checks import Pair
from tolmach.entities.places import gazetteer
from tolmach.records import Entity


@pytest.mark.parametrize(
    ("english", "source", "expected"),
    [
        # removed, where the original negates
        ("We do not refuse to serve.", "Мы не отказываемся служить.", "We do refuse to serve."),
        (
            "I didn't see him and he won't come.",
            "Я его не видел, и он не придёт.",
            "I did see him and he will come.",
        ),
        ("There was no water in the cellar.", "В подвале не было воды.", "There was water in the cellar."),
        ("Nothing happened that night.", "Той ночі нічого не сталося.", "Something happened that night."),
        ("He never came back.", "Він так і не повернувся.", "He came back."),
        ("No, I can't.", "Нет, не могу.", "I can."),
        ("They left without water.", "Они ушли без воды.", "They left with water."),
        # added, where neither negates
        ("We refuse to serve.", "Мы отказываемся служить.", "We do not refuse to serve."),
        ("The shelling was heavy.", "Обстрел был сильным.", "The shelling was not heavy."),
        ("They can leave tomorrow.", "Они могут уехать завтра.", "They cannot leave tomorrow."),
        ("He goes home every day.", "Він щодня ходить додому.", "He does not go home every day."),
        ("They stopped the car.", "Они остановили машину.", "They did not stop the car."),
        ("We noticed the drones.", "Ми помітили дрони.", "We did not notice the drones."),
        ("The can of beans fell.", "Банка упала.", None),  # no auxiliary (a can is not one), no pronoun
        # the English and the original disagree already: no mutant that the original could show up
        ("We refuse to serve.", "Мы не служим.", None),
        ("It is not far.", "Это близко.", None),
        # "not only" is no negation
        ("Not only the city but the villages were hit.", "Пострадал не только город, но и сёла.", None),
    ],
)
def test_negation(english: str, source: str, expected: str | None) -> None:
    assert negation(english, source) == expected


@pytest.mark.parametrize(
    ("english", "source", "expected"),
    [
        ("We served in the 85th brigade.", "", "We served in the 86th brigade."),
        ("It cost 1,200 dollars.", "", "It cost 1,201 dollars."),
        ("The road is 3.5 km long.", "", "The road is 3.6 km long."),
        ("In 2019 we had 85 men.", "В 2018 году у нас было 85 человек.", "In 2019 we had 86 men."),
        ("In 2019 we had 85 men.", "", "In 2018 we had 85 men."),
        ("He was 19 and 19 again, then 9.", "", "He was 19 and 19 again, then 8."),  # 19 twice: left
        ("Two soldiers came back.", "", "Three soldiers came back."),
        (
            "After COVID-19 he served 5 years.",
            "",
            "After COVID-19 he served 6 years.",
        ),  # a name keeps its digits
        ("Three rooms and the Room of Three Windows.", "", None),  # three twice
        ("She finished ninth, and he tenth.", "", "She finished ninth, and he eleventh."),
        ("One of them stayed.", "", None),  # "one" is a pronoun as often as a number
        ("Nobody counted them.", "", None),
    ],
)
def test_number(english: str, source: str, expected: str | None) -> None:
    assert number(english, source) == expected


BAKHMUT = Entity("place", "Бахмутом", 4, 12, "Бахмут", "Bakhmut")
ZELENSKY = Entity("person", "Зеленский", 0, 9, "Зеленский", "Zelenskiy")
PUTIN = Entity("person", "Владимир Путин", 0, 14, "Владимир Путин", "Vladimir Putin")
RUSSIA = Entity("place", "России", 20, 26, "Россия", "Russia")


def test_name_swaps_a_place_for_another_of_the_gazetteer() -> None:
    swapped = name("Heavy fighting near Bakhmut since May.", [BAKHMUT])
    assert swapped is not None
    assert swapped.startswith("Heavy fighting near ") and swapped.endswith(" since May.")
    place = swapped.removeprefix("Heavy fighting near ").removesuffix(" since May.")
    assert place != "Bakhmut"
    assert place in {p.english for p in gazetteer()}


def test_name_swaps_a_person_by_a_close_spelling_and_the_surname_alone() -> None:
    # the transliteration Zelenskiy is close enough to the press's Zelensky; a surname for a surname
    swapped = name("Zelensky said the front holds.", [ZELENSKY])
    assert swapped == "Biden said the front holds."
    assert name("Putin's speech was short.", [PUTIN]) == "Zaluzhnyi's speech was short."
    assert name("Vladimir Putin spoke.", [PUTIN]) == "Mikhail Gorbachev spoke."
    assert {"Joe Biden", "Valerii Zaluzhnyi", "Mikhail Gorbachev"} <= set(PEOPLE)


def test_name_does_not_apply_where_the_english_lacks_the_entity() -> None:
    assert name("Heavy fighting near the town.", [BAKHMUT]) is None
    assert name("Heavy fighting near Bakhmut.", []) is None
    assert name("The Russian army advanced.", [RUSSIA]) is None  # an adjective is not the place
    unit = Entity("unit", "85-й бригаде", 0, 12, "85-я бригада", "85th Brigade")
    assert name("He served in the 85th Brigade.", [unit]) is None  # places and people only


@pytest.mark.parametrize(
    ("english", "expected"),
    [
        ("When the shelling began, we left the city at night.", "We left the city at night."),
        (
            "The soldiers went to the front and the civilians stayed at home.",
            "The soldiers went to the front.",
        ),
        (
            "Of course, we're not the closest friends, but we try to keep up the warm relations.",
            "Of course, we're not the closest friends.",
        ),
        ("He said it was a shell which hit the school yesterday.", "He said it was a shell."),
        ('"We stayed in the cellar; the house above us burned."', '"We stayed in the cellar."'),
        ("He came, and left.", None),  # what would be kept is under three words
        ("We stayed in the cellar for three whole days.", None),  # no clause to drop
    ],
)
def test_omission(english: str, expected: str | None) -> None:
    assert omission(english) == expected


def test_bleed_and_untranslated() -> None:
    assert bleed("We left at night. ", "The house burned.") == "We left at night. The house burned."
    assert bleed("We left at night.", None) is None
    assert bleed("We left at night.", "  ") is None
    assert untranslated("Мы ушли ночью.") == "Мы ушли ночью."
    assert untranslated("OK") is None


def test_mutants_of_a_pair_give_only_the_kinds_that_apply() -> None:
    pair = Pair(
        "Под Бахмутом мы не отступали 85 дней.",
        "Near Bakhmut we did not retreat for 85 days.",
        "ru",
        entities=(Entity("place", "Бахмутом", 4, 12, "Бахмут", "Bakhmut"),),
        following=("Потом был приказ.", "Then came the order."),
    )
    made = mutants(pair)
    assert sorted(made) == ["bleed", "name", "negation", "number", "untranslated"]  # no clause to drop
    assert made["negation"] == "Near Bakhmut we did retreat for 85 days."
    assert made["number"] == "Near Bakhmut we did not retreat for 86 days."
    assert made["bleed"] == "Near Bakhmut we did not retreat for 85 days. Then came the order."
    assert made["untranslated"] == pair.source
    assert "Bakhmut" not in made["name"]
