"""The negation check: polarity of the original against the English, Russian and Ukrainian (exact details)."""

from __future__ import annotations

import pytest

from tolmach.checks.base import Pair
from tolmach.checks.negation import check


def details(source: str, english: str, language: str = "ru") -> list[str]:
    found = check(Pair(source, english, language))
    assert all(f.kind == "negation" for f in found)
    return [f.detail for f in found]


@pytest.mark.parametrize(
    ("source", "english", "language"),
    [
        ("Мы не отказываемся служить.", "We do not refuse to serve.", "ru"),
        ("Ми не відмовляємося служити.", "We don't refuse to serve.", "uk"),
        ("Никто не пришёл.", "Nobody came.", "ru"),  # a double negation is one
        ("Ніхто нічого не бачив.", "No one saw anything.", "uk"),
        ("Он никогда там не был.", "He has never been there.", "ru"),
        ("Там не було світла.", "There was no light.", "uk"),
        ("Воды нет.", "There isn't any water.", "ru"),
        ("Это не будет просто.", "It won't be easy.", "ru"),
        ("Мы не смогли выйти.", "We failed to get out.", "ru"),  # a word that says "not" itself
        ("Он не смог ответить.", "He was unable to answer.", "ru"),
        ("Сюда нельзя.", "You cannot come here.", "ru"),
        ("Сюди не можна заходити.", "Entry is forbidden here.", "uk"),
        ("Мы ждали, пока он не вернулся.", "We waited until he came back.", "ru"),
        ("Не забудьте паспорт.", "Make sure you take your passport.", "ru"),
        ("Он ушёл без оружия.", "He left without his weapon.", "ru"),
        ("Он упал без сознания.", "He fell unconscious.", "ru"),
        # what is not a negated predicate in the original
        ("Там были не только солдаты, но и дети.", "There were soldiers as well as children.", "ru"),
        ("Там були не лише солдати, а й діти.", "There were not only soldiers but also children.", "uk"),
        ("Погибли не менее десяти человек.", "At least ten people died.", "ru"),
        ("Он чуть не погиб.", "He almost died.", "ru"),
        ("Ничего себе!", "Wow!", "ru"),
        ("Спасибо! — Не за что.", "Thank you! - You're welcome.", "ru"),
        ("Тем не менее, мы остались.", "Nevertheless, we stayed.", "ru"),
        ("Кто бы ни пришёл, мы готовы.", "Whoever comes, we are ready.", "ru"),
        ("Хто б не прийшов, ми готові.", "Whoever comes, we are ready.", "uk"),
        ("Как ни странно, связь есть.", "Curiously, there is a signal.", "ru"),
        ("Он будет решать, готов я или нет.", "He will decide whether I'm ready or not.", "ru"),
        ("Это совсем не дешево.", "It is pricey.", "ru"),
        ("Без сомнения, это он.", "Certainly, it is him.", "ru"),
        # an English negation for a word of the original that says "not" itself
        ("Возвращаться после такой паузы нелегко.", "It's not easy to come back after such a break.", "ru"),
        ("Ціна невідома.", "The price is not known.", "uk"),
        ("Света в доме отсутствовал.", "There was no light in the house.", "ru"),
        ("Там запрещено курить.", "Smoking is not allowed there.", "ru"),
        ("Он пропал бесследно.", "He disappeared without a trace.", "ru"),
        # English phrases that are no negated predicate
        ("Погибли по меньшей мере десять человек.", "No fewer than ten people died.", "ru"),
        ("Неважно, кто это сказал.", "No matter who said it.", "ru"),
        ("Дом № 5.", "House No. 5.", "ru"),
    ],
)
def test_the_same_polarity_passes(source: str, english: str, language: str) -> None:
    assert details(source, english, language) == []


@pytest.mark.parametrize(
    ("source", "english", "language", "expected"),
    [
        (
            "Мы не отказываемся служить.",
            "We refuse to serve.",
            "ru",
            ["negation: the original says «не отказываемся», the English has none"],
        ),
        (
            "Ми не відмовляємося служити.",
            "We refuse to serve.",
            "uk",
            ["negation: the original says «не відмовляємося», the English has none"],
        ),
        (
            "Мы не будем стрелять.",
            "We will shoot.",
            "ru",
            ["negation: the original says «не будем», the English has none"],
        ),
        (
            "Ніхто не стріляв.",
            "Everyone was shooting.",
            "uk",
            ["negation: the original says «не стріляв», the English has none"],
        ),
        (
            "Там не було світла.",
            "There was light.",
            "uk",
            ["negation: the original says «не було», the English has none"],
        ),
        (
            "Он никогда не сдавался и ничего не боялся.",
            "He always gave up and feared everything.",
            "ru",
            ["negation: the original says «не сдавался» and «не боялся», the English has none"],
        ),
        (
            "Мы выполним приказ.",
            "We will not carry out the order.",
            "ru",
            ['negation: the English says "not", the original has none'],
        ),
        (  # «против» is rendered by "against": it cannot excuse the "not" as well
            "Он выступил против санкций.",
            "He did not speak against the sanctions.",
            "ru",
            ['negation: the English says "not", the original has none'],
        ),
        (
            "Ми виконаємо наказ.",
            "We won't carry out the order.",
            "uk",
            ['negation: the English says "won\'t", the original has none'],
        ),
        (
            "Он вернулся домой.",
            "He never came home.",
            "ru",
            ['negation: the English says "never", the original has none'],
        ),
        (
            "Не стреляйте, не бегите, не кричите: ждите.",
            "Shoot, run, shout: wait.",
            "ru",
            [
                "negation: the original says «Не стреляйте» and «не бегите» and «не кричите»,"
                " the English has none"
            ],
        ),
        (
            "Не стріляйте, не біжіть, не кричіть, не тікайте.",
            "Don't shoot, run, shout or escape.",
            "uk",
            ["negation: the original negates 4 clauses, the English 1"],
        ),
    ],
)
def test_a_lost_or_added_negation_is_flagged(
    source: str, english: str, language: str, expected: list[str]
) -> None:
    assert details(source, english, language) == expected
