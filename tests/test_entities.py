"""Named entities: units, ranks and places exactly (rules and gazetteer), natasha's on its real models."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from tolmach.entities import annotate, english_place, find_entities, ner
from tolmach.entities.places import find_places, gazetteer, transliterate
from tolmach.entities.rules import english_ordinal
from tolmach.records import Entity, Flag, Segment


def only(text: str, language: str, kind: str) -> list[tuple[str, str, str]]:
    """(text, normal, english) of each entity of ``kind``: what most tests compare exactly."""
    return [(e.text, e.normal, e.english) for e in find_entities(text, language) if e.kind == kind]


@pytest.fixture(autouse=True, scope="module")
def _natasha_once() -> None:
    ner._models()  # load the models once (about a second) before the first test is timed


# -- units --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "found"),
    [
        ("Я служил в 85-й бригаде.", "ru", ("85-й бригаде", "85-я бригада", "85th Brigade")),
        ("85-я бригада стояла там.", "ru", ("85-я бригада", "85-я бригада", "85th Brigade")),
        (
            "Это была 58-я общевойсковая армия.",
            "ru",
            ("58-я общевойсковая армия", "58-я общевойсковая армия", "58th Combined Arms Army"),
        ),
        (
            "106-я гвардейская воздушно-десантная дивизия наступала.",
            "ru",
            (
                "106-я гвардейская воздушно-десантная дивизия",
                "106-я гвардейская воздушно-десантная дивизия",
                "106th Guards Airborne Division",
            ),
        ),
        (
            "Бойцы 3-й отдельной штурмовой бригады вышли.",
            "ru",
            (
                "3-й отдельной штурмовой бригады",
                "3-я отдельная штурмовая бригада",
                "3rd Separate Assault Brigade",
            ),
        ),
        (
            "Там была 155-я бригада морской пехоты.",
            "ru",
            ("155-я бригада морской пехоты", "155-я бригада морской пехоты", "155th Naval Infantry Brigade"),
        ),
        (
            "Командира 1-го батальона ранило.",
            "ru",
            ("1-го батальона", "1-й батальон", "1st Battalion"),
        ),
        (
            "Служил в 331-м гвардейском парашютно-десантном полку.",
            "ru",
            (
                "331-м гвардейском парашютно-десантном полку",
                "331-й гвардейский парашютно-десантный полк",
                "331st Guards Airborne Regiment",
            ),
        ),
        ("Он из 93 ОМБр.", "ru", ("93 ОМБр", "93-я ОМБр", "93rd Separate Mechanized Brigade")),
        ("Выдали 1,5 бригады пайков.", "ru", None),  # a decimal, not an ordinal
        (
            "93-тя окрема механізована бригада тримала оборону.",
            "uk",
            (
                "93-тя окрема механізована бригада",
                "93-тя окрема механізована бригада",
                "93rd Separate Mechanized Brigade",
            ),
        ),
        ("Бійці 47-ї бригади пішли вперед.", "uk", ("47-ї бригади", "47-ма бригада", "47th Brigade")),
        (
            "Він служив у 36-й окремій бригаді морської піхоти.",
            "uk",
            (
                "36-й окремій бригаді морської піхоти",
                "36-та окрема бригада морської піхоти",
                "36th Separate Marine Brigade",
            ),
        ),
        ("Ми з 3-ї штурмової.", "uk", None),  # no head noun: not a unit
        ("У 2022-му році.", "ru", None),
    ],
)
def test_units(text: str, language: str, found: tuple[str, str, str] | None) -> None:
    assert only(text, language, "unit") == ([found] if found else [])


ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st"}
ORDINALS |= {22: "22nd", 23: "23rd", 101: "101st", 111: "111th", 112: "112th", 113: "113th"}


@pytest.mark.parametrize(("n", "english"), ORDINALS.items())
def test_english_ordinal(n: int, english: str) -> None:
    assert english_ordinal(n) == english


@pytest.mark.parametrize(
    ("text", "normal", "english"),
    [
        ("ЧВК Вагнер", "ЧВК Вагнер", "Wagner Group"),
        ('ЧВК "Вагнер"', "ЧВК Вагнер", "Wagner Group"),
        ("ЧВК «Вагнер»", "ЧВК Вагнер", "Wagner Group"),
        ("ВДВ", "ВДВ", "Russian Airborne Forces (VDV)"),
        ("ВСУ", "ВСУ", "Armed Forces of Ukraine"),
    ],
)
def test_organisations(text: str, normal: str, english: str) -> None:
    assert only(f"Тогда {text} пошли вперёд.", "ru", "org") == [(text, normal, english)]


# -- ranks and posts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "normal", "english"),
    [
        ("генерал-майор", "ru", "генерал-майор", "Major General"),
        ("генерал-майора", "ru", "генерал-майор", "Major General"),
        ("генерал армии", "ru", "генерал армии", "General of the Army"),
        ("старший лейтенант", "ru", "старший лейтенант", "Senior Lieutenant"),
        ("старшего лейтенанта", "ru", "старший лейтенант", "Senior Lieutenant"),
        ("командир роты", "ru", "командир роты", "company commander"),
        ("командира роты", "ru", "командир роты", "company commander"),
        ("командиром взвода", "ru", "командир взвода", "platoon commander"),
        ("командир батальона", "ru", "командир батальона", "battalion commander"),
        ("комбат", "ru", "комбат", "battalion commander"),
        ("комбата", "ru", "комбат", "battalion commander"),
        ("ротного", "ru", "ротный", "company commander"),
        ("замполит", "ru", "замполит", "deputy commander for political affairs"),
        ("начальника штаба", "ru", "начальник штаба", "chief of staff"),
        ("командира роти", "uk", "командир роти", "company commander"),
        ("старшого сержанта", "uk", "старший сержант", "Senior Sergeant"),
        ("начальник штабу", "uk", "начальник штабу", "chief of staff"),
    ],
)
def test_ranks_and_posts_in_any_case(text: str, language: str, normal: str, english: str) -> None:
    assert only(f"Потом {text} сказал идти.", language, "rank") == [(text, normal, english)]


# -- places ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "found"),
    [
        ("Мы стояли в Бахмуте.", "ru", ("Бахмуте", "Бахмут", "Bakhmut")),
        ("Мы стояли под Кременной.", "ru", ("Кременной", "Кременная", "Kreminna")),
        ("Нас перебросили в Кременную.", "ru", ("Кременную", "Кременная", "Kreminna")),
        ("Ми стояли у Кремінній.", "uk", ("Кремінній", "Кремінна", "Kreminna")),
        ("Мы стояли у Белогоровки.", "ru", ("Белогоровки", "Белогоровка", "Bilohorivka")),
        ("Взяли Белогоровку.", "ru", ("Белогоровку", "Белогоровка", "Bilohorivka")),
        ("Ми були біля Білогорівки.", "uk", ("Білогорівки", "Білогорівка", "Bilohorivka")),
        ("Бои шли в Часовом Яре.", "ru", ("Часовом Яре", "Часов Яр", "Chasiv Yar")),
        ("Бої йшли у Часовому Яру.", "uk", ("Часовому Яру", "Часів Яр", "Chasiv Yar")),
        ("Он жил в Новой Каховке.", "ru", ("Новой Каховке", "Новая Каховка", "Nova Kakhovka")),
        ("Він жив у Великій Новосілці.", "uk", ("Великій Новосілці", "Велика Новосілка", "Velyka Novosilka")),
        ("Я з Авдіївки, а жив в Авдіївці.", "uk", ("Авдіївки", "Авдіївка", "Avdiivka")),
        ("Ми поїхали з Харкова.", "uk", ("Харкова", "Харків", "Kharkiv")),
        ("Я з Ірпеня.", "uk", ("Ірпеня", "Ірпінь", "Irpin")),
        ("Він був у Кривому Розі.", "uk", ("Кривому Розі", "Кривий Ріг", "Kryvyi Rih")),
        ("Она из Куп’янська.", "uk", ("Куп’янська", "Куп'янськ", "Kupiansk")),
        ("Обстрел в Донецкой области.", "ru", ("Донецкой области", "Донецкая область", "Donetsk Oblast")),
        ("Бои у Суджи в Курской области.", "ru", ("Суджи", "Суджа", "Sudzha")),
        ("Ми були в Лимані.", "uk", ("Лимані", "Лиман", "Lyman")),
    ],
)
def test_places_in_any_case_form(text: str, language: str, found: tuple[str, str, str]) -> None:
    assert only(text, language, "place")[0] == found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Лиман був широкий, а за ним море.", "uk"),  # a common word where no preposition says it is a place
        ("На лимане было тихо.", "ru"),  # lower case: the estuary
        ("Суми й горе, от що лишилося.", "uk"),
        ("Пожар в Дзержинском районе.", "ru"),  # an adjective of the name, not the place
        ("Линкор «Полтава» вышел в море.", "ru"),  # a ship's name in quotes
        ("Донецкий уголь и Донецкой степи.", "ru"),
    ],
)
def test_common_words_are_not_places(text: str, language: str) -> None:
    assert find_places(text, language) == []


def test_english_place_takes_any_case_form() -> None:
    names = ["Бахмуте", "Кременной", "Кремінна", "Белогоровку", "Білогорівки", "часовом яре", "Лиманом"]
    assert [english_place(n) for n in names] == [
        "Bakhmut",
        "Kreminna",
        "Kreminna",
        "Bilohorivka",
        "Bilohorivka",
        "Chasiv Yar",
        "Lyman",
    ]


def test_english_place_transliterates_what_the_gazetteer_lacks() -> None:
    assert english_place("Нижнее Село") == "Nizhneye Selo"  # BGN/PCGN
    assert english_place("Васильків") == "Vasylkiv"  # Ukrainian letters: national romanization
    assert english_place("Згурівка", "uk") == "Zghurivka"
    assert transliterate("Юрий Щёлоков", "ru") == "Yuriy Shchyolokov"
    assert transliterate("Мар'їнка Яготин Їжакевич", "uk") == "Marinka Yahotyn Yizhakevych"


def test_gazetteer_rows_are_complete_and_find_themselves() -> None:
    places = gazetteer()
    assert len(places) >= 80
    for place in places:
        assert place.russian and place.ukrainian and place.english and place.source, place
        assert "http" not in place.source
        for language, column in (("ru", place.russian), ("uk", place.ukrainian)):
            name = column.split(";")[0]
            found = find_places(f"Мы были в {name} тогда", language)
            assert [(e.text, e.normal, e.english) for e in found] == [(name, name, place.english)], name


# -- natasha and the merge --------------------------------------------------------------------------------


def test_natasha_people_places_and_organisations() -> None:
    assert only("Я видел Владимира Путина.", "ru", "person") == [
        ("Владимира Путина", "Владимир Путин", "Vladimir Putin")
    ]
    # Not in the gazetteer: natasha's dictionary form and a transliteration.
    assert only("Мы жили в Нижнем Новгороде.", "ru", "place") == [
        ("Нижнем Новгороде", "Нижний Новгород", "Nizhniy Novgorod")
    ]
    # Only the head of an organisation's name is put in the nominative.
    orgs = only("Он писал в Генеральную прокуратуру Украины.", "ru", "org")
    assert orgs and orgs[0][1].startswith("Генеральная прокуратура")


def test_rules_and_gazetteer_win_where_natasha_overlaps() -> None:
    # natasha reads «Белогоровки» as a person and cannot normalise «Кременной»; it tags «ЧВК Вагнер» ORG.
    found = find_entities("ЧВК Вагнер стояла под Кременной и у Белогоровки.", "ru")
    assert [(e.kind, e.normal, e.english) for e in found] == [
        ("org", "ЧВК Вагнер", "Wagner Group"),
        ("place", "Кременная", "Kreminna"),
        ("place", "Белогоровка", "Bilohorivka"),
    ]


TESTIMONY = (
    "Командир роты, старший лейтенант Иванов, сказал, что генерал-майор Петров из 58-й общевойсковой армии "
    "приедет в Бахмут, а 3-я отдельная штурмовая бригада и ЧВК «Вагнер» стоят у Часового Яра."
)


def test_offsets_are_exact_and_entities_do_not_overlap() -> None:
    found = find_entities(TESTIMONY, "ru")
    assert {e.kind for e in found} == {"rank", "person", "unit", "place", "org"}
    for entity in found:
        assert TESTIMONY[entity.start : entity.end] == entity.text
    assert [e.start for e in found] == sorted(e.start for e in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_a_sentence_with_nothing_named_gives_nothing(language: str) -> None:
    assert find_entities("Ничего интересного тут нет, мы просто сидели и ждали.", language) == ()


def test_other_languages_give_nothing_and_never_load_natasha(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("natasha was loaded")

    monkeypatch.setattr(ner, "_models", refuse)
    assert find_entities("We were in Bakhmut with the 93rd Brigade.", "en") == ()
    assert find_entities("Мы были в Бахмуте.", "de") == ()
    # Ukrainian uses the rules and the gazetteer only.
    assert only("Ми були в Бахмуті.", "uk", "place") == [("Бахмуті", "Бахмут", "Bakhmut")]


def test_annotate_keeps_order_and_every_other_field() -> None:
    segments = [
        Segment(
            1,
            0,
            2000,
            "Я видел Владимира",
            "I saw Vladimir",
            flags=(Flag("low-logprob", "unsure"),),
            speaker="S1",
        ),
        Segment(2, 2000, 4000, "Путина вчера в Бахмуте.", "Putin yesterday in Bakhmut.", doubtful=True),
        Segment(3, 4000, 5000, "", ""),
        Segment(4, 5000, 9000, "Сергей Шойгу приехал в 85-ю бригаду.", "Sergei Shoigu came to the 85th."),
    ]
    result = annotate(segments, "ru")
    assert [replace(s, entities=()) for s in result] == segments
    # A name cut between two segments is dropped, not glued; offsets are each segment's own.
    assert result[0].entities == ()
    assert result[1].entities == (Entity("place", "Бахмуте", 15, 22, "Бахмут", "Bakhmut"),)
    assert result[2].entities == ()
    assert [(e.kind, e.text, e.start) for e in result[3].entities] == [
        ("person", "Сергей Шойгу", 0),
        ("unit", "85-ю бригаду", 23),
    ]
    assert annotate([], "ru") == ()
    assert annotate(segments, "en") == tuple(segments)
