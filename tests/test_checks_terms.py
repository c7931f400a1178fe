"""The glossary check: a term of the original that the English neither renders nor glosses (exact details;
the built-in glossary)."""

from __future__ import annotations

from tolmach.checks import terms
from tolmach.checks.base import Pair
from tolmach.records import Segment
from tolmach.translate import Glossary, Term, builtin_glossary

GLOSSARY = builtin_glossary()


def details(source: str, english: str, language: str = "ru", glossary: Glossary = GLOSSARY) -> list[str]:
    found = terms.check(Pair(source, english, language), glossary)
    assert all(f.kind == "glossary" for f in found)
    return [f.detail for f in found]


def test_a_term_the_english_drops() -> None:
    assert details("Пришли мобики.", "The new recruits arrived.") == [
        'glossary: «мобик» is in the original, the English has neither "mobik" nor "mobilised soldier"'
    ]
    assert details("Прийшли мобіки.", "The new recruits arrived.", "uk") == [
        'glossary: «мобік» is in the original, the English has neither "mobik" nor "mobilised soldier"'
    ]


def test_a_term_whose_english_is_its_gloss() -> None:
    assert details("Работала арта.", "The guns were firing.") == [
        'glossary: «арта» is in the original, the English has no "artillery"'
    ]


def test_renderings_and_glosses_pass() -> None:
    assert details("Прийшли мобіки.", "The mobiks arrived.", "uk") == []
    assert details("Пришли мобики.", "The mobilized men arrived.") == []  # the term's match regex
    assert details("Пришли мобики.", "The mobilised soldiers arrived.") == []  # its gloss
    assert details("Работала арта.", "The artillery was firing.") == []


def test_a_line_glossed_by_apply_passes() -> None:
    segment = Segment(1, 0, 900, "Пришли мобики.", "The mobiks arrived.")
    (glossed,) = GLOSSARY.apply([segment], "ru")
    assert glossed.translation == "The mobiks [mobilised soldiers] arrived."
    assert details(glossed.text, glossed.translation) == []


def test_an_everyday_word_is_never_judged() -> None:
    assert details("Нажмите восемь для выхода из конференции.", "Press eight to leave the call.") == []
    assert details("Был выход.", "There was an outgoing launch.") == []


def test_only_the_terms_of_the_clip_language() -> None:
    glossary = Glossary((Term(("бавовна",), "bavovna", "explosion", lang="uk"),))
    assert details("Бавовна в Криму.", "Explosions in Crimea.", "uk", glossary) == [
        'glossary: «бавовна» is in the original, the English has neither "bavovna" nor "explosion"'
    ]
    assert details("Бавовна в Крыму.", "Explosions in Crimea.", "ru", glossary) == []
