"""The glossary: the built-in data, matching by stems and abbreviations, the glossing conventions, and
user files (no model needed; every assert is exact)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tolmach.errors import InputError
from tolmach.records import Segment
from tolmach.translate import BUILTIN, COLUMNS, Glossary, Term, add_term, builtin_glossary, load_glossary
from tolmach.translate.glossary import _SLUR as SLUR
from tolmach.translate.glossary import DATA

GLOSSARY = builtin_glossary()
HEADER = "\t".join(COLUMNS) + "\n"


def seg(i: int, text: str, translation: str = "") -> Segment:
    return Segment(i, i * 1000, i * 1000 + 900, text, translation)


def found(text: str, language: str = "ru") -> list[str]:
    """The ``english`` of each term the text uses, in order."""
    return [t.english for t in GLOSSARY.terms_in(text, language)]


def glossed(text: str, translation: str, language: str = "ru") -> tuple[str, tuple[str, ...]]:
    (segment,) = GLOSSARY.apply([seg(1, text, translation)], language)
    return segment.translation, segment.notes


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# The built-in data


def test_builtin_glossary_has_at_least_70_complete_entries() -> None:
    assert len(GLOSSARY) >= 70
    for term in GLOSSARY:
        assert term.forms and term.english and term.gloss and term.source, term
        assert term.languages, term
        assert term.origin == BUILTIN
    # One entry per line: no built-in entry took the forms of another.
    assert len(DATA.read_text(encoding="utf-8").splitlines()) == len(GLOSSARY) + 1


@pytest.mark.parametrize(
    ("form", "english"),
    [
        ("мобик", "mobik|mobiks"),
        ("чмобик", "chmobik|chmobiks"),
        ("груз 200", "cargo 200"),
        ("двухсотый", "cargo 200"),
        ("груз 300", "cargo 300"),
        ("трёхсотый", "cargo 300"),
        ("штурмовики", "assault trooper|assault troops"),
        ("спецназ", "spetsnaz"),
        ("ротный", "company commander"),
        ("рашист", "rashist|rashists"),
        ("ВСУ", "AFU"),
        ("ЗСУ", "AFU"),
        ("СВО", "special military operation"),
        ("вагнеровцы", "Wagner fighter|Wagner fighters"),
        ("ДРГ", "DRG"),
        ("БК", "ammunition"),
        ("арта", "artillery"),
        ("СЗЧ", "AWOL"),
        ("посадка", "tree line|tree lines"),
        ("приліт", "incoming"),
    ],
)
def test_builtin_holds_the_core_terms(form: str, english: str) -> None:
    term = GLOSSARY.find(form)
    assert term is not None and term.english == english


def test_builtin_round_trips_through_tsv() -> None:
    assert Glossary.from_tsv_string(GLOSSARY.to_tsv_string()) == GLOSSARY


# Matching the original text


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Нас, мобиков, бросили без связи", ["mobik|mobiks"]),
        ("Забрали двухсотых только утром", ["cargo 200"]),
        ("Трёхсотые лежали в подвале", ["cargo 300"]),
        ("Трехсотые лежали в подвале", ["cargo 300"]),
        ("Штурмовиков гнали вперёд", ["assault trooper|assault troops"]),
        ("Привезли груз-200, потом груз 300", ["cargo 200", "cargo 300"]),
        ("Вагнеровцев там уже не было", ["Wagner fighter|Wagner fighters"]),
    ],
)
def test_russian_terms_match_inflected_forms(text: str, english: list[str]) -> None:
    assert found(text) == english


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Мобіків кинули на нулі", ["mobik|mobiks", "the zero line"]),
        ("Двохсотих забрали вночі", ["cargo 200"]),
        ("Був приліт, трьохсоті в бліндажі", ["incoming", "cargo 300", "dugout|dugouts"]),
        ("ЗСУ тримають посадку", ["AFU", "tree line|tree lines"]),
        ("Штурмовиків не вистачає", ["assault trooper|assault troops"]),
    ],
)
def test_ukrainian_terms_match_inflected_forms(text: str, english: list[str]) -> None:
    assert found(text, "uk") == english


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("БК закончился, ДРГ ушла", ["ammunition", "DRG"]),
        ("бк закончился", []),  # abbreviations match by case
        ("Обкатка прошла, Бк нет", []),  # and as whole words only
        ("ДРГшники ушли", []),
        ("ДРГ-шники ушли", ["DRG"]),
        ("ВСУшники стояли", ["AFU"]),  # by the listed form «всушник», not by the abbreviation
        ("Арта работала", ["artillery"]),
        ("Артем работал", []),  # a short stem matches only the listed forms
    ],
)
def test_abbreviations_and_short_words_match_only_as_written(text: str, english: list[str]) -> None:
    assert found(text) == english


def test_terms_apply_only_to_their_languages() -> None:
    assert found("ВСУ наступают", "uk") == []  # ВСУ is the Russian abbreviation; Ukrainian writes ЗСУ
    assert found("Мобики пришли", "en") == []


# Glossing the English


def test_gloss_follows_the_english_form() -> None:
    assert glossed("Мобики пришли утром", "The mobiks came in the morning") == (
        "The mobiks [mobilised soldiers] came in the morning",
        (),
    )
    assert glossed("Один мобик остался", "One mobik's rifle stayed") == (
        "One mobik's [mobilised soldier] rifle stayed",
        (),
    )


def test_a_literal_rendering_keeps_its_words_and_gains_the_term() -> None:
    assert glossed("Мобиков отправили вперёд", "The mobilized men were sent forward") == (
        "The mobilized men [mobiks: mobilised soldiers] were sent forward",
        (),
    )
    assert glossed("Трёхсотых вывезли", "The three hundredths were taken out") == (
        "The three hundredths [cargo 300: wounded in action] were taken out",
        (),
    )


def test_the_bracket_never_repeats_the_words() -> None:
    assert glossed("Зашёл спецназ", "The special forces went in") == (
        "The special forces [spetsnaz] went in",
        (),
    )
    assert glossed("Арта отработала", "The art worked") == ("The art [artillery] worked", ())
    # Plain renderings and translations that already explain the term stay as they are, with no note.
    assert glossed("Арта отработала", "The artillery worked") == ("The artillery worked", ())
    assert glossed("ПВО сработало", "The air defense worked") == ("The air defense worked", ())
    assert glossed("ВСУ отошли", "The Armed Forces of Ukraine withdrew") == (
        "The Armed Forces of Ukraine withdrew",
        (),
    )


def test_a_term_the_english_does_not_render_gets_a_note() -> None:
    assert glossed("Мобики сидели в окопе", "The guys sat in the trench") == (
        "The guys sat in the trench",
        ("мобик (mobik): mobilised soldier, derogatory slang",),
    )
    assert glossed("Мобіки сиділи в окопі", "The guys sat in the trench", "uk") == (
        "The guys sat in the trench",
        ("мобік (mobik): mobilised soldier, derogatory slang",),
    )
    assert glossed("Арта молчала", "It was quiet") == ("It was quiet", ("арта: artillery, slang",))


def test_only_the_first_use_in_a_clip_is_glossed() -> None:
    segments = [
        seg(1, "Тишина", "Silence"),
        seg(2, "Мобики пришли утром", "The mobiks came in the morning"),
        seg(3, "Мобиков опять прислали", "They sent mobiks again"),
        seg(4, "Опять мобики", "Mobiks again"),
    ]
    assert [s.translation for s in GLOSSARY.apply(segments, "ru")] == [
        "Silence",
        "The mobiks [mobilised soldiers] came in the morning",
        "They sent mobiks again",
        "Mobiks again",
    ]


def test_several_terms_in_one_segment_are_glossed_in_order() -> None:
    text = "Двухсотых и трёхсотых вывезли на бэхе"
    english = "The two hundredths and three hundredths were taken out on a BMP"
    assert glossed(text, english) == (
        "The two hundredths [cargo 200: killed in action] and three hundredths [cargo 300: wounded in action]"
        " were taken out on a BMP [infantry fighting vehicle]",
        (),
    )


def test_apply_leaves_other_languages_alone_and_is_idempotent() -> None:
    segments = (seg(1, "Мобики пришли", "The mobiks came"), seg(2, "Арта молчала", "It was quiet"))
    assert GLOSSARY.apply(segments, "en") == segments
    once = GLOSSARY.apply(segments, "ru")
    assert GLOSSARY.apply(once, "ru") == once


# User files


def test_a_user_tsv_overrides_a_form_and_adds_a_term(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mine.tsv",
        HEADER + "груз 200\tru\tKIA\tkilled in action\t\t\tour style guide\n"
        "укрепрайон\tru\tfortified area\tfortified defensive district\tUR\n",  # trailing columns left off
    )
    glossary = load_glossary(path)
    kia, area, cargo = (glossary.find(f) for f in ("груз 200", "укрепрайон", "двухсотый"))
    assert kia is not None and (kia.english, kia.source, kia.origin) == ("KIA", "our style guide", str(path))
    assert area is not None and (area.english, area.match, area.note) == ("fortified area", "UR", "")
    assert cargo is not None and cargo.english == "cargo 200"  # the rest of the built-in entry stays
    assert cargo.forms == ("груз двести", "двухсотый", "двохсотий", "вантаж 200")
    assert len(glossary) == len(GLOSSARY) + 2
    assert glossary.terms.index(kia) == GLOSSARY.terms.index(GLOSSARY.find("груз 200"))  # in its place


def test_a_user_toml_overrides_and_adds_and_later_files_win(tmp_path: Path) -> None:
    toml = write(
        tmp_path / "house.toml",
        """
[[term]]
term = ["мобик", "мобилизованный"]
lang = "ru"
english = "mobik|mobiks"
gloss = "conscript|conscripts"
source = "house style"

[[term]]
term = "дрон-ждун"
english = "lurking drone"
gloss = "drone left by a road to strike passing vehicles"
""",
    )
    tsv = write(tmp_path / "later.tsv", HEADER + "мобилизованный\tru\tdraftee\tmobilised man\n")
    glossary = load_glossary(toml, tsv)
    mobik, draftee, lurking, builtin = (
        glossary.find(f) for f in ("мобик", "мобилизованный", "дрон ждун", "мобік")
    )
    assert mobik is not None and (mobik.forms, mobik.gloss, mobik.lang) == (
        ("мобик",),
        "conscript|conscripts",
        "ru",
    )
    assert draftee is not None and draftee.english == "draftee"
    assert lurking is not None and (lurking.forms, lurking.lang) == (("дрон-ждун",), "ru,uk")
    assert builtin is not None and (builtin.forms, builtin.english) == (("мобік",), "mobik|mobiks")
    assert found_in(glossary, "Дрон-ждун висел над дорогой") == ["lurking drone"]


def found_in(glossary: Glossary, text: str) -> list[str]:
    return [t.english for t in glossary.terms_in(text, "ru")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("мобик\tru\tmobik\n", "line 2: 3 tab-separated columns, expected 4 to 7"),
        (
            "мобик\tru\tmobik\tsoldier\t\t\tsource\textra\n",
            "line 2: 8 tab-separated columns, expected 4 to 7",
        ),
        ("# mine\nмобик\tde\tmobik\tsoldier\n", "line 3: lang must be ru, uk or ru,uk, not 'de'"),
        ("мобик\tru\t\tsoldier\n", "line 2: english is empty or not 'singular|plural'"),
        (
            "мобик\tru\tmobik\tsoldier\tmobi(k\n",
            "line 2: bad match regex (missing ), unterminated subpattern",
        ),
        ("мобик\tru\tmobik\tsoldier\tx*\n", "line 2: the match regex matches empty text"),
    ],
)
def test_a_bad_tsv_names_the_file_and_the_line(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "bad.tsv", HEADER + body)
    with pytest.raises(InputError) as info:
        load_glossary(path)
    assert info.value.message.startswith(f"{path}, {message}")
    assert info.value.hint


def test_a_tsv_without_its_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.tsv", "мобик\tru\tmobik\tsoldier\n")
    with pytest.raises(InputError) as info:
        load_glossary(path)
    assert info.value.message == f"{path}, line 1: the first line must be the header line"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[term]]\nterm = [", ": not valid TOML (Invalid value (at end of document))"),
        ('[[term]]\nterm = "мобик"\ngloss = "soldier"\n', ", entry 1 (мобик): english is empty"),
        (
            '[[term]]\nterm = "мобик"\nenglish = "m"\ngloss = "s"\ntranslation = "x"\n',
            ", entry 1 (мобик): unknown key",
        ),
        ('[[term]]\nterm = "мобик"\nenglish = 1\ngloss = "s"\n', ", entry 1 (мобик): 'english' must be text"),
        ('[[terms]]\nterm = "мобик"\n', ": expected only [[term]] tables"),
    ],
)
def test_a_bad_toml_names_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(InputError) as info:
        load_glossary(path)
    assert info.value.message.startswith(f"{path}{message}")
    assert "[[term]]" in info.value.hint


def test_a_missing_glossary_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_glossary(tmp_path / "none.tsv")
    assert info.value.message == f"{tmp_path / 'none.tsv'}: no such glossary file"


def test_add_term_writes_a_file_that_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    add_term(path, Term(forms=("накат",), english="nakat", gloss="wave of infantry assaults", lang="ru"))
    add_term(path, Term(forms=("укреп", "укрепрайон"), english="fortified area", gloss="fortified district"))
    mine = add_term(
        path, Term(forms=(" накаты ", "накат"), english="assault wave", gloss="assault", lang="uk, ru")
    )
    assert [(t.forms, t.lang) for t in mine] == [
        (("накаты", "накат"), "ru,uk"),
        (("укреп", "укрепрайон"), "ru,uk"),
    ]
    assert Glossary.read(path) == mine
    assert path.read_text(encoding="utf-8").splitlines()[0] == "\t".join(COLUMNS)
    merged = load_glossary(path)  # the built-in «накат» entry keeps only «накати»
    assert merged.find("накат") == mine.terms[0] and len(merged) == len(GLOSSARY) + 2
    assert merged.find("накати") == dataclasses.replace(GLOSSARY.find("накат"), forms=("накати",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glossary.tsv"]  # no temporary file left


def test_add_term_refuses_a_bad_term_and_toml_files(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    with pytest.raises(InputError) as info:
        add_term(path, Term(forms=("накат",), english="", gloss="x"))
    assert info.value.message == "new glossary entry: english is empty or not 'singular|plural'"
    assert not path.exists()
    with pytest.raises(InputError) as info:
        add_term(tmp_path / "mine.toml", Term(forms=("накат",), english="nakat", gloss="x"))
    assert info.value.message == f"{tmp_path / 'mine.toml'}: terms are added to TSV files only"


def test_the_fingerprint_follows_the_content() -> None:
    added = GLOSSARY.add(Term(forms=("накат",), english="nakat", gloss="assault wave"))
    assert GLOSSARY.fingerprint() == Glossary.from_tsv_string(GLOSSARY.to_tsv_string(), BUILTIN).fingerprint()
    assert added.fingerprint() != GLOSSARY.fingerprint()


# Hotwords


def test_hotwords_follow_the_builtin_order_in_the_clip_language() -> None:
    assert GLOSSARY.hotwords("ru", limit=4) == "груз 200 груз 300 пятисотый штурмовик"
    assert GLOSSARY.hotwords("uk", limit=4) == "груз 200 груз 300 п'ятисотий штурмовик"
    ru = [t.headword("ru") for t in GLOSSARY if "ru" in t.languages and not SLUR.search(t.note)]
    assert GLOSSARY.hotwords("ru") == " ".join(ru[:40])
    assert GLOSSARY.hotwords("en") == "" and GLOSSARY.hotwords("ru", limit=0) == ""


def test_hotwords_put_the_users_terms_first(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mine.tsv", HEADER + "груз 200\tru\tKIA\tkilled\nукрепрайон\tru\tUR\tfortified area\n"
    )
    hotwords = load_glossary(path).hotwords("ru", limit=4)
    assert hotwords.startswith("груз 200 укрепрайон ")  # the user's terms, in their order, lead
    assert hotwords.endswith(" груз 300")  # then the built-in order, slurs left out


def test_hotwords_leave_out_slurs_and_insults() -> None:
    """Primed with a slur, the decoder hears it where nobody said it: slurs are glossed, never hotwords."""
    words = GLOSSARY.hotwords("ru", limit=1000).split()
    for slur in ("мобик", "чмобик", "хохол", "кацап", "рашист", "укроп"):
        assert slur not in words
        assert GLOSSARY.find(slur) is not None  # still in the glossary for the notes


# What apply must never do

WORDS = [
    "мобики",
    "Мобіків",
    "груз",
    "200",
    "БК",
    "бк",
    "арта",
    "Артем",
    "посадке",
    "и",
    "ВСУ",
    "ЗСУ",
    "приліт",
]
ENGLISH = [
    "The",
    "mobiks",
    "mobilized",
    "men",
    "cargo",
    "200",
    "art",
    "[",
    "]",
    "artillery",
    "AFU",
    "zero",
    ",",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), max_size=6), st.lists(st.sampled_from(ENGLISH), max_size=8)
        ),
        max_size=6,
    ),
    st.sampled_from(["ru", "uk", "en"]),
)
def test_apply_keeps_every_segment_and_text(lines: list[tuple[list[str], list[str]]], language: str) -> None:
    segments = [seg(i, " ".join(text), " ".join(english)) for i, (text, english) in enumerate(lines, 1)]
    out = GLOSSARY.apply(segments, language)
    assert len(out) == len(segments)
    for before, after in zip(segments, out, strict=True):
        assert dataclasses.replace(after, translation=before.translation, notes=before.notes) == before
        assert after.notes[: len(before.notes)] == before.notes
    assert GLOSSARY.apply(out, language) == out


OUTGOING = "выход (outgoing): our own shot or launch, slang; also 'exit', and going out to positions"
OUTGOING_UK = OUTGOING.replace("выход", "вихід", 1)


def test_a_term_that_is_also_an_everyday_word_is_only_a_note() -> None:
    """In a military line the English is left alone too: the note says the word is also 'exit'."""
    assert glossed("Был выход, прилёт.", "There was an exit, an arrival.") == (
        "There was an exit, an arrival [incoming: an enemy shell, rocket or drone landing].",
        (OUTGOING,),
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Нажмите 8 для выхода из конференции.", "ru"),  # the telephone prompt of the issue
        ("Или просто сейчас нажмите решётку для выхода.", "ru"),  # ru-phone: dictate/enter_filename
        ("После выхода из чата он пропал.", "ru"),
        ("Выход из звонка по кнопке внизу.", "ru"),
        ("Выход из группы: нажмите здесь.", "ru"),
        ("Трамваи ежедневно выходят из строя.", "ru"),  # the verb shares the stem
        ("Выход со станции закрыт: рядом обстрел.", "ru"),  # "from" is everyday, even in a war
        ("Вихід з чату.", "uk"),
        ("Вихід із групи.", "uk"),
        ("Град побил урожай.", "ru"),
    ],
)
def test_an_everyday_use_gets_no_note(text: str, language: str) -> None:
    assert glossed(text, "The English.", language) == ("The English.", ())


@pytest.mark.parametrize(
    ("text", "language", "note"),
    [
        ("Был выход, прилёт.", "ru", OUTGOING),
        ("Слышу выход снаряда.", "ru", OUTGOING),  # a shell's launch: a word of war in the line
        ("Выход! Все в укрытие.", "ru", OUTGOING),
        ("Був вихід, потім приліт.", "uk", OUTGOING_UK),
        ("Вихід по нашій позиції.", "uk", OUTGOING_UK),
    ],
)
def test_a_military_use_keeps_its_note(text: str, language: str, note: str) -> None:
    assert note in glossed(text, "The English.", language)[1]


def test_a_neighbouring_line_gives_the_military_context() -> None:
    lines = [
        seg(1, "Слышу выход."),
        seg(2, "Ложись, сейчас будет обстрел."),
        seg(3, "Тихо."),
        seg(4, "Тихо."),
    ]
    assert GLOSSARY.apply(lines, "ru")[0].notes == (OUTGOING,)
    far = [seg(1, "Слышу выход."), seg(2, "Тихо."), seg(3, "Ложись, сейчас будет обстрел.")]
    assert GLOSSARY.apply(far, "ru")[0].notes == ()


def test_an_everyday_use_is_not_the_first_use() -> None:
    """«выход из чата» first, a launch later: the later line gets the note."""
    lines = [
        seg(1, "Выход из чата.", "Leaving the chat."),
        seg(2, "Был выход, прилёт.", "An exit, an arrival."),
    ]
    first, second = GLOSSARY.apply(lines, "ru")
    assert first.notes == () and second.notes == (OUTGOING,)
