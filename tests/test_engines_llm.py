"""The llm engine against a scripted OpenAI-compatible server on 127.0.0.1 (tests/llm_server.py).

Every case checks alignment: output line i is the fake model's answer for input line i (it carries the
id and the transliteration of its own line) or that line's fallback, never another line's text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import SUMMARY, LlmServer, english
from typer.testing import CliRunner

from tolmach.cli import app
from tolmach.engines import Context, get_engine, is_local_url, translate_segments
from tolmach.engines.base import EngineError
from tolmach.engines.llm import AnswerError, LlmEngine, parse_answer, retry_after
from tolmach.errors import OptionsError
from tolmach.options import Options
from tolmach.translate import load_glossary

LINES = [
    "Мы стояли под Бахмутом три недели.",
    "Командир роты сказал, что в Бахмуте тихо.",
    "Мобиков отправили на штурм без подготовки.",
    "Из Бахмута нас вывели в апреле.",
    "Ёлки, опять обстрел.",
]
WHISPER = tuple(f"whisper line {i}" for i in range(1, len(LINES) + 1))


@pytest.fixture
def server() -> Iterator[LlmServer]:
    with LlmServer().running() as running:
        yield running


def engine_for(server: LlmServer, **kwargs: object) -> tuple[LlmEngine, list[float]]:
    slept: list[float] = []
    options = Options(engine="llm", llm_url=server.url, llm_model="test-model", llm_timeout=2.0)
    settings: dict[str, object] = {"backoff": 0.01, "sleep": slept.append, **kwargs}
    return LlmEngine(options, **settings), slept  # type: ignore[arg-type]


def context(n: int = len(LINES)) -> Context:
    return Context(source_lang="ru", fallback=WHISPER[:n], fallback_by="whisper:base")


def assert_aligned(lines: tuple[str, ...], reasons: tuple[str, ...], source: list[str] = LINES) -> None:
    assert len(lines) == len(source) == len(reasons)
    for i, (line, why) in enumerate(zip(lines, reasons, strict=True), 1):
        assert line == (WHISPER[i - 1] if why else english(i, source[i - 1])), (i, line, why)


def test_correct_answers_are_used_in_order(server: LlmServer) -> None:
    engine, _ = engine_for(server, batch_size=2)
    outcome = engine.run(LINES, context())
    assert outcome.fallback == ("",) * 5 and outcome.events == ()
    assert_aligned(outcome.lines, outcome.fallback)
    assert [r["lines"] for r in server.translation_requests] == [[1, 2], [3, 4], [5]]
    # batches after the first see the lines before them, with their English
    third = json.loads(server.translation_requests[2]["body"]["messages"][1]["content"])
    assert [c["text"] for c in third["context_before"]] == LINES[:4]
    assert third["context_before"][3]["en"] == english(4, LINES[3])
    assert third["summary"] == SUMMARY  # more than one batch: a summary was asked for first


def test_fenced_json_is_accepted(server: LlmServer) -> None:
    server.script = ["fenced"]
    engine, _ = engine_for(server)
    outcome = engine.run(LINES, context())
    assert_aligned(outcome.lines, outcome.fallback)
    assert len(server.translation_requests) == 1


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("short", "missing ids 5"),
        ("extra", "unknown ids 999"),
        ("broken", "not valid JSON"),
        ("cyrillic", "still has Cyrillic"),
        ("merge", "missing ids 5"),
    ],
)
def test_a_refused_answer_is_asked_again_with_the_error(server: LlmServer, fault: str, said: str) -> None:
    server.script = [fault]
    engine, _ = engine_for(server)
    outcome = engine.run(LINES, context())
    assert_aligned(outcome.lines, outcome.fallback)
    assert outcome.fallback == ("",) * 5
    retry = server.translation_requests[1]["body"]["messages"]
    assert retry[-1]["role"] == "user" and "Your answer was refused" in retry[-1]["content"]
    assert said in retry[-1]["content"]
    assert any("llm: 1 answer refused" in e for e in outcome.events)


def test_refused_twice_the_batch_is_split(server: LlmServer) -> None:
    server.script = ["merge", "merge"]
    engine, _ = engine_for(server)
    outcome = engine.run(LINES, context())
    assert_aligned(outcome.lines, outcome.fallback)
    assert outcome.fallback == ("",) * 5
    assert [r["lines"] for r in server.translation_requests] == [[1, 2, 3, 4, 5]] * 2 + [[1, 2], [3, 4, 5]]


def test_a_line_refused_to_the_end_keeps_whispers_english_marked(server: LlmServer) -> None:
    # batch [1,2] twice, then line 1 alone twice: broken every time; line 2 alone answers
    server.script = ["broken"] * 4
    engine, _ = engine_for(server)
    outcome = engine.run(LINES[:2], context(2))
    assert outcome.lines == (WHISPER[0], english(2, LINES[1]))
    assert outcome.fallback == ("llm answer invalid", "")
    assert "llm: 1 line kept its fallback" in outcome.events


def test_segments_record_the_engine_and_the_fallback(server: LlmServer, tmp_path: Path) -> None:
    from records import make_transcript

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    segments = make_transcript(clip).segments
    server.script = ["cyrillic"] * 20  # every answer refused
    engine, _ = engine_for(server)
    options = Options(engine="llm", llm_url=server.url, llm_model="test-model")
    out, warnings = translate_segments(segments, "ru", options, whisper="whisper:base", engine=engine)
    assert [s.translation for s in out] == [s.translation for s in segments]
    assert all(s.translated_by == "whisper:base (fallback: llm answer invalid)" for s in out)
    assert any("kept their fallback" in w for w in warnings)
    server.script = []
    out, warnings = translate_segments(segments, "ru", options, whisper="whisper:base", engine=engine)
    assert [s.translation for s in out] == [english(i, s.text) for i, s in enumerate(segments, 1)]
    assert {s.translated_by for s in out} == {"llm:test-model"} and warnings == ()
    assert [(s.id, s.start, s.text) for s in out] == [(s.id, s.start, s.text) for s in segments]


def test_429_waits_as_told_and_500_backs_off(server: LlmServer) -> None:
    server.script = ["429:3", "500", "500"]
    engine, slept = engine_for(server)
    outcome = engine.run(LINES, context())
    assert_aligned(outcome.lines, outcome.fallback)
    assert outcome.fallback == ("",) * 5
    assert slept == [3.0, 0.02, 0.04]  # Retry-After, then 0.01 x 2^attempt
    assert outcome.events[0] == "llm: retried 1 x rate-limited (429), 2 x server error (500)"


def test_a_slow_answer_times_out_and_is_retried(server: LlmServer) -> None:
    server.script = ["slow:1.5"]
    engine, _ = engine_for(server)
    engine.timeout = 0.4
    outcome = engine.run(LINES, context())
    assert_aligned(outcome.lines, outcome.fallback)
    assert outcome.fallback == ("",) * 5
    assert "timed out" in outcome.events[0]


def test_the_deadline_stops_a_run_that_would_hang(server: LlmServer) -> None:
    server.script = ["slow:3"] * 10
    engine, _ = engine_for(server, deadline=1.0)
    engine.timeout = 0.4
    clock = time.monotonic()
    outcome = engine.run(LINES, context())
    assert time.monotonic() - clock < 2.0
    assert outcome.lines == WHISPER
    assert all("deadline passed" in why for why in outcome.fallback)


def test_server_errors_that_persist_fall_back_for_the_batch(server: LlmServer) -> None:
    server.script = ["500"] * 4
    engine, _ = engine_for(server, batch_size=3)
    outcome = engine.run(LINES, context())
    assert outcome.lines[:3] == WHISPER[:3] and outcome.fallback[:3] == ("llm server error (500)",) * 3
    assert_aligned(outcome.lines, outcome.fallback)  # the second batch was answered


def test_refused_key_or_model_stops_the_run(server: LlmServer) -> None:
    server.script = ["401"]
    engine, _ = engine_for(server)
    with pytest.raises(EngineError, match=r"refused the request: HTTP 401 scripted 401"):
        engine.run(LINES, context())


def test_a_server_without_json_mode_is_asked_again_without_it(server: LlmServer) -> None:
    server.script = ["400-json"]
    engine, _ = engine_for(server)
    outcome = engine.run(LINES, context())
    assert_aligned(outcome.lines, outcome.fallback)
    first, second = (r["body"] for r in server.translation_requests)
    assert "response_format" in first and "response_format" not in second


def test_no_server_is_one_clear_error() -> None:
    options = Options(engine="llm", llm_url="http://127.0.0.1:9/v1", llm_model="m")
    with pytest.raises(EngineError, match=r"llm server http://127.0.0.1:9/v1 is not reachable"):
        LlmEngine(options).run(LINES, context())


def test_the_key_comes_from_the_environment_as_bearer(
    server: LlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = engine_for(server)
    engine.run(LINES[:1], context(1))
    assert "Authorization" not in server.requests[-1]["headers"]
    monkeypatch.setenv("TOLMACH_LLM_KEY", "sk-test-123")
    engine.run(LINES[:1], context(1))
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer sk-test-123"
    monkeypatch.setenv("MY_KEY", "other")
    options = Options(engine="llm", llm_url=server.url, llm_model="test-model", llm_key_env="MY_KEY")
    LlmEngine(options).run(LINES[:1], context(1))
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer other"


def test_remote_servers_are_refused_without_allow_remote() -> None:
    assert is_local_url("http://127.0.0.1:11434/v1") and is_local_url("http://localhost:8080/v1")
    assert is_local_url("http://[::1]:8000/v1") and is_local_url("http://127.8.0.1/v1")
    assert not is_local_url("http://192.168.1.20:11434/v1") and not is_local_url("https://api.openai.com/v1")
    remote = Options(engine="llm", llm_url="https://api.example.com/v1", llm_model="m")
    with pytest.raises(
        OptionsError, match=r"would send the text to another machine \(https://api.example.com/v1\)"
    ):
        get_engine(remote)
    engine = get_engine(remote.replace(allow_remote=True))
    assert engine.remote and engine.label == "llm:m"
    assert not get_engine(remote.replace(llm_url="http://localhost:1/v1")).remote
    with pytest.raises(OptionsError, match="user name or password"):
        Options(llm_url="https://user:secret@api.example.com/v1").validate()
    with pytest.raises(OptionsError, match="needs a model name"):
        Options(engine="llm").validate()


@pytest.mark.parametrize("command", ["translate", "batch"])
def test_a_remote_server_is_refused_before_any_decoding(
    command: str, sample: Path, archive_home: Path
) -> None:
    with pytest.raises(OptionsError, match=r"would send the text to another machine \(api.example.com\)"):
        Options(engine="llm", llm_url="https://api.example.com/v1", llm_model="m").validate()
    args = [
        command,
        str(sample),
        "--engine",
        "llm",
        "--llm-url",
        "https://api.example.com/v1",
        "--llm-model",
        "m",
    ]
    clock = time.perf_counter()
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "would send the text to another machine (api.example.com)" in result.output
    assert "--allow-remote" in result.output
    assert time.perf_counter() - clock < 5  # refused up front, not after decoding the clip
    assert not list(archive_home.glob("objects/*/*"))  # nothing stored


def test_glossary_renderings_are_in_the_instructions(server: LlmServer, tmp_path: Path) -> None:
    from records import make_transcript

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    segments = make_transcript(clip).segments
    engine, _ = engine_for(server)
    options = Options(engine="llm", llm_url=server.url, llm_model="test-model")
    translate_segments(segments, "ru", options, load_glossary(), whisper="whisper:base", engine=engine)
    system = server.translation_requests[0]["body"]["messages"][0]["content"]
    assert "«мобик» -> mobik / mobiks" in system
    assert "without explaining them" in system


def test_parse_answer_checks_every_id() -> None:
    ok = json.dumps({"translations": [{"id": 3, "en": "c"}, {"id": 2, "en": "b"}]})
    assert parse_answer(ok, [2, 3]) == {2: "b", 3: "c"}  # matched by id, not by position
    assert parse_answer(json.dumps([{"id": "2", "en": "b"}]), [2]) == {2: "b"}
    with pytest.raises(AnswerError, match="repeated ids 2"):
        parse_answer(json.dumps([{"id": 2, "en": "b"}, {"id": 2, "en": "c"}, {"id": 3, "en": "x"}]), [2, 3])
    with pytest.raises(AnswerError, match="line 2 is empty"):
        parse_answer(json.dumps([{"id": 2, "en": " "}]), [2])
    with pytest.raises(AnswerError, match=r'has no "en"'):
        parse_answer(json.dumps([{"id": 2}]), [2])
    assert retry_after("7") == 7.0 and retry_after(None) is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0


def test_check_and_the_engines_command(server: LlmServer) -> None:
    engine, _ = engine_for(server)
    assert engine.check() == (True, "reachable")
    engine.model = "other"
    assert engine.check() == (False, "reachable, but has no model other (it has: test-model)")
    result = CliRunner().invoke(app, ["engines", "--llm-url", server.url, "--llm-model", "test-model"])
    assert result.exit_code == 0, result.output
    assert "yes: reachable" in result.output and "speech translation" in result.output
    result = CliRunner().invoke(app, ["engines", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m"])
    assert result.exit_code == 0 and "no: not reachable" in result.output
    before = len(server.requests)
    remote = ["engines", "--llm-url", "https://api.example.com/v1", "--llm-model", "m"]
    result = CliRunner().invoke(app, remote, env={"COLUMNS": "200"})
    assert "not contacted, refused without --allow-remote" in result.output and len(server.requests) == before


@pytest.mark.slow
def test_translate_sample_with_the_llm_engine(server: LlmServer, sample: Path, tmp_path: Path) -> None:
    args = ["translate", str(sample), "-o", str(tmp_path), "--formats", "json", "--lang", "ru", "-q"]
    args += ["--engine", "llm", "--llm-url", server.url, "--llm-model", "test-model", "--no-archive"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "sample-ru.json").read_text(encoding="utf-8"))
    segments = data["segments"]
    assert segments and data["options"]["engine"] == "llm"
    for s in segments:
        assert s["translated_by"] == "llm:test-model"
        assert s["translation"].startswith(english(s["id"], s["text"])), s
    assert [r["lines"] for r in server.translation_requests] == [[s["id"] for s in segments]]
