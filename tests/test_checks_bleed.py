"""The bleed check: a line's English that repeats its neighbour's English (exact details)."""

from __future__ import annotations

from tolmach.checks import bleed, check_pair
from tolmach.checks.base import Pair

NEXT_RU = ("Мы не уйдём с наших позиций.", "We will not leave our positions.")
NEXT_UK = ("Ми не залишимо наших позицій.", "We will not leave our positions.")


def details(pair: Pair) -> list[tuple[str, str]]:
    return [(f.kind, f.detail) for f in bleed.check(pair)]


def test_the_end_repeats_the_next_line() -> None:
    pair = Pair(
        "Нам сказали держаться.",
        "We were told to hold on. We will not leave our positions.",
        "ru",
        following=NEXT_RU,
    )
    assert details(pair) == [
        ("bleed", 'bleed: the end of the English repeats the next line\'s "We will not leave our positions"')
    ]
    pair = Pair(
        "Нам сказали триматися.",
        "We were told to hold on. We will not leave our positions.",
        "uk",
        following=NEXT_UK,
    )
    assert details(pair) == [
        ("bleed", 'bleed: the end of the English repeats the next line\'s "We will not leave our positions"')
    ]


def test_the_start_repeats_the_previous_line() -> None:
    previous = ("Наш командир погиб под Бахмутом в мае.", "Our commander was killed near Bakhmut in May.")
    english = "commander was killed near Bakhmut in May. We buried him there."
    pair = Pair("Мы похоронили его там.", english, "ru", previous=previous)
    assert details(pair) == [
        (
            "bleed",
            "bleed: the start of the English repeats the previous line's"
            ' "commander was killed near Bakhmut in May"',
        )
    ]


def test_a_long_repeat_is_quoted_shortened() -> None:
    following = (
        "Потом мы шли пешком через лес до самой реки и ждали там лодку.",
        "Then we walked through the forest all the way to the river and waited there for a boat.",
    )
    english = f"We left at night. {following[1]}"
    pair = Pair("Мы ушли ночью.", english, "ru", following=following)
    assert details(pair) == [
        (
            "bleed",
            "bleed: the end of the English repeats the next line's"
            ' "Then we walked through the forest all the way to …"',
        )
    ]


def test_neighbours_that_do_not_repeat_pass() -> None:
    pair = Pair(
        "Нам сказали держаться.",
        "We were told to hold on.",
        "ru",
        following=NEXT_RU,
        previous=("Был приказ.", "There was an order."),
    )
    assert details(pair) == []
    assert details(Pair("Нам сказали триматися.", "We were told to hold on.", "uk")) == []


def test_a_speaker_who_repeats_himself_passes() -> None:
    previous = ("Мы не уйдём с наших позиций.", "We will not leave our positions.")
    pair = Pair(
        "Мы не уйдём с наших позиций, слышите?",
        "We will not leave our positions, do you hear?",
        "ru",
        previous=previous,
    )
    assert details(pair) == []


def test_a_short_shared_phrase_is_not_bleed() -> None:
    pair = Pair(
        "Он сказал, что мы правы.",
        "He said that we were right.",
        "ru",
        following=("Я сказал, что нет.", "I said that we were not."),
    )
    assert details(pair) == []


def kinds_and_details(pair: Pair) -> list[tuple[str, str]]:
    return [(f.kind, f.detail) for f in check_pair(pair)]


def test_a_sentence_moved_from_the_next_line_is_bleed_by_its_number_and_place() -> None:
    # Whisper cut the next line's sentence into this one: nothing repeats the next English, but its
    # number and place are the next original's
    pair = Pair(
        "Я служив під Бахмутом.",
        "I served near Bakhmut. There were 85 of us in Avdiivka.",
        "uk",
        following=("Нас було вісімдесят п'ять в Авдіївці.", "We were near Avdiivka."),
    )
    assert kinds_and_details(pair) == [
        ("addition", "addition: the English is 234% of the length the original would give"),
        (
            "bleed",
            'bleed: 85 and "Avdiivka" in the English are in the next line\'s original, not in this one',
        ),
    ]


def test_a_number_the_previous_line_said_is_bleed_and_one_nobody_said_is_a_number() -> None:
    pair = Pair(
        "Нас просто бросили.",
        "Two hundred of us were simply abandoned in 1985.",
        "ru",
        previous=("Нас было двести человек.", "There were two hundred of us."),
    )
    assert kinds_and_details(pair) == [
        ("number", "number 1985 in the English is not in the original"),
        ("bleed", "bleed: 200 in the English is in the previous line's original, not in this one"),
    ]
