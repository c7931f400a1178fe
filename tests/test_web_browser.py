"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the real server.

The server runs in this process (uvicorn in a thread) on an archive in the test's temporary folder.
Clips come from hand-built transcripts (tests/records.py), except in the one slow test, where the
sample clip is uploaded through the page and the shipped Whisper model translates it. Every page is
watched for script errors, Content-Security-Policy violations and dialogs: any of them fails the test.

Set WEB_SCREENSHOTS=docs/img to write the screenshots the docs show; a normal run writes none. (Not a
TOLMACH_ variable: conftest.py clears those so that no test sees the user's settings.)
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from records import LINES, make_clip, make_transcript

from tolmach.archive import Archive
from tolmach.checks import check_segments
from tolmach.errors import InputError
from tolmach.media import probe
from tolmach.records import ClipInfo

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium ('make system' installs it)"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the test extra: pip install -e '.[test]'")
uvicorn = pytest.importorskip("uvicorn", reason="needs the web extra: pip install -e '.[web]'")

from tolmach.web import WebConfig, create_app  # noqa: E402 (after the skips: needs the web extra)

Page = sync_api.Page
expect = sync_api.expect
REVIEWER = "Test Reviewer"
VIEWPORT = {"width": 1360, "height": 860}
ROOT = Path(__file__).parent.parent
SHOTS = os.environ.get("WEB_SCREENSHOTS")
HOSTILE = "<script>alert(1)</script>"


# -- the server and the browser ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(home: Path, *, token: str | None = None, run_jobs: bool = False) -> Iterator[str]:
    """The real app on a free port, in a thread; yields its base URL."""
    config = WebConfig(home=home, port=free_port(), token=token, name=REVIEWER, run_jobs=run_jobs)
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=config.port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@dataclass
class Watched:
    """A browser context and its page, with everything that must not happen recorded."""

    context: sync_api.BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"script errors or CSP violations: {self.errors}"


@pytest.fixture
def open_page(browser: sync_api.Browser) -> Iterator[Callable[[], Watched]]:
    """Opens pages in fresh contexts (no shared cookies); each is checked and closed afterwards."""
    opened: list[Watched] = []

    def opener() -> Watched:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        watched = Watched(context, page)
        page.on("dialog", lambda d: (watched.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: watched.errors.append(str(e)))
        page.on("console", lambda m: _console(watched, m))
        opened.append(watched)
        return watched

    yield opener
    for watched in opened:
        watched.context.close()
    for watched in opened:
        watched.check()


def _console(watched: Watched, message: sync_api.ConsoleMessage) -> None:
    # a 404 thumbnail or a refused API call logs "Failed to load resource", which the pages expect
    if message.type == "error" and "Failed to load resource" not in message.text:
        watched.errors.append(message.text)


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    if SHOTS:
        folder = Path(SHOTS) if Path(SHOTS).is_absolute() else ROOT / SHOTS
        folder.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1500)  # let the player's loading spinner and other animations settle
        page.screenshot(path=str(folder / name), full_page=full_page)


# -- hand-built clips ----------------------------------------------------------------------------


def add_clip(
    home: Path,
    media: Path,
    title: str,
    lines: list[tuple[str, str]] = LINES,
    tags: tuple[str, ...] = (),
) -> tuple[str, str]:
    """Save a hand-built transcript of ``media`` (real media is probed, so it plays); (clip ID, run ID)."""
    transcript = make_transcript(media, lines)
    with contextlib.suppress(InputError):  # not media at all: keep the hand-built media info
        transcript = replace(transcript, media=probe(media))
    info = ClipInfo(source=str(media), title=title, place="near Bakhmut", filmed="2023-04", tags=tags)
    with Archive(home) as archive:
        run_id = archive.save(transcript, info, {"title": title})
    return transcript.media.sha256[:12], run_id


def not_media(folder: Path, name: str) -> Path:
    """A file standing in for a clip that is never played: unique bytes, so a clip of its own."""
    return make_clip(folder, name, f"{name} {secrets.token_hex(8)}".encode())


def current_time(page: Page) -> float:
    seconds: float = page.evaluate("document.querySelector('#player video, #player audio').currentTime")
    return seconds


def wait_for_time(page: Page, seconds: float) -> None:
    # functions, not expressions: Playwright polls an expression with eval, which the CSP forbids
    near = "s => Math.abs(document.querySelector('#player video').currentTime - s) < 0.3"
    page.wait_for_function(near, arg=seconds, timeout=5000)


# -- tests ---------------------------------------------------------------------------------------


def test_review_page_plays_edits_and_tracks_review(
    open_page: Callable[[], Watched], archive_home: Path, sample: Path
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        w = open_page()
        page = w.page
        page.goto(f"{url}/clips/{clip}")
        lines = page.locator("#lines > li")
        expect(lines).to_have_count(5)
        expect(page.locator("#clip-title")).to_have_text("Interview near Bakhmut")
        expect(page.locator("#label")).to_have_text("Machine translation — not reviewed")
        expect(page.locator("#review-count")).to_have_text("0 of 5 lines reviewed")
        doubtful = page.locator("#line-3")
        expect(doubtful).to_have_class(re.compile(r"\bdoubtful\b"))
        expect(doubtful.locator(".flag")).to_have_text("low-logprob")
        expect(doubtful.locator(".notes")).to_contain_text("mobilised soldier")

        # clicking a line seeks the video to it; J and K move between lines and seek too
        page.click("#line-4 .en")
        wait_for_time(page, 9.0)
        expect(page.locator("#line-4")).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("j")
        expect(page.locator("#line-5")).to_have_class(re.compile(r"\bcurrent\b"))
        wait_for_time(page, 12.0)
        page.keyboard.press("k")
        page.keyboard.press("k")
        expect(page.locator("#line-3")).to_have_class(re.compile(r"\bcurrent\b"))

        # Enter edits, Ctrl+Enter saves and moves on; Esc leaves a line as it was
        page.keyboard.press("Enter")
        expect(page.locator("#line-3 textarea[name=translation]")).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type("The mobilised were sent to storm without training.")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-3 .en")).to_have_text("The mobilised were sent to storm without training.")
        expect(page.locator("#line-4")).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("Enter")
        page.keyboard.type(" and more")
        page.keyboard.press("Escape")
        expect(page.locator("#line-4 form")).to_have_count(0)
        expect(page.locator("#line-4 .en")).to_have_text(LINES[3][1])

        # every field edits in place: a double click opens the form at that field
        page.dblclick("#line-1 .speaker")
        expect(page.locator("#line-1 input[name=speaker]")).to_be_focused()
        page.fill("#line-1 input[name=speaker]", "Commander")
        page.fill("#line-1 input[name=end]", "0:02.900")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-1 .speaker")).to_have_text("Commander")
        expect(page.locator("#line-1 .time")).to_have_text("0:00.0 – 0:02.9")

        # the history shows who changed what, and undo takes it back
        page.click("#line-3 .history-toggle")
        history = page.locator("#line-3 .history")
        expect(history).to_contain_text(REVIEWER)
        expect(history.locator("del")).to_have_text(LINES[2][1])
        history.locator(".undo").click()
        expect(page.locator("#line-3 .en")).to_have_text(LINES[2][1])
        expect(history).to_contain_text("undid #")

        # reviewed marks: the count, then the label once every line is done
        for n in range(1, 6):
            page.check(f"#line-{n} .reviewed-toggle")
            expect(page.locator("#review-count")).to_have_text(f"{n} of 5 lines reviewed")
        expect(page.locator("#label")).to_have_text(f"Reviewed by {REVIEWER}")
        page.uncheck("#line-2 .reviewed-toggle")
        expect(page.locator("#label")).to_have_text("Machine translation — not reviewed")

        # the subtitle tracks switch: English, the original, off
        expect(page.locator("#track-switch")).to_have_text("Subtitles: English")
        page.click("#track-switch")
        expect(page.locator("#track-switch")).to_have_text("Subtitles: Original (ru)")
        showing = (
            "[...document.querySelector('video').textTracks].filter(t => t.mode === 'showing')[0].language"
        )
        assert page.evaluate(showing) == "ru"

        # exports follow the edits
        exported = page.request.get(f"{url}/api/clips/{clip}/export/json").json()
        first = exported["segments"][0]
        assert (first["speaker"], first["end"]) == ("Commander", 2900)

        # a link to a line opens the page there, video included
        page.goto(f"{url}/clips/{clip}#line-5")
        expect(page.locator("#line-5")).to_have_class(re.compile(r"\bcurrent\b"))
        wait_for_time(page, 12.0)


def test_archive_lists_sorts_filters_and_searches(
    open_page: Callable[[], Watched], archive_home: Path, sample: Path, tmp_path: Path
) -> None:
    video, _ = add_clip(archive_home, sample, "Bravo: interview near Bakhmut", tags=("bakhmut",))
    add_clip(archive_home, not_media(tmp_path, "alpha.m4a"), "Alpha: phone call")
    add_clip(archive_home, not_media(tmp_path, "charlie.mov"), "Charlie: trench")
    with serving(archive_home) as url:
        page = open_page().page
        page.goto(url)
        titles = page.locator("#clips tbody td.title a")
        expect(titles).to_have_count(3)
        page.click("#clips th[data-sort=title] button")
        expect(titles).to_have_text(["Alpha: phone call", "Bravo: interview near Bakhmut", "Charlie: trench"])
        page.click("#clips th[data-sort=title] button")
        expect(titles).to_have_text(["Charlie: trench", "Bravo: interview near Bakhmut", "Alpha: phone call"])
        page.fill("#filter", "bakhmut")
        expect(titles).to_have_text(["Bravo: interview near Bakhmut"])
        expect(page.locator("#clip-count")).to_have_text("(1 of 3)")
        page.fill("#filter", "")
        # the real clip has a picture; the others get a placeholder, not a broken image
        picture = page.locator(f"tr[data-id='{video}'] img.thumb")
        expect(picture).to_have_count(1)
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("img => img.naturalWidth") > 0
        expect(page.locator("#clips tbody .thumb.none")).to_have_count(2)

        # an inflected form finds the word in the original; the match is marked, the link opens the line
        page.fill("#search-q", "Бахмуте")
        page.click("#search button[type=submit]")
        hit = page.locator("#hits .hit").first
        expect(hit.locator(".hit-orig mark")).to_have_count(1)
        expect(hit.locator(".hit-orig")).to_contain_text("в Бахмуте тихо")
        expect(hit.locator(".hit-en")).to_contain_text("quiet in Bakhmut")
        hit.click()
        page.wait_for_url(re.compile(r"/clips/[0-9a-f]{12}#line-2$"))
        expect(page.locator("#line-2")).to_have_class(re.compile(r"\bcurrent\b"))


def test_hostile_text_stays_text(
    open_page: Callable[[], Watched], archive_home: Path, tmp_path: Path
) -> None:
    title = '<img src=x onerror="alert(2)">'
    clip, run = add_clip(archive_home, not_media(tmp_path, "call.m4a"), title)
    with Archive(archive_home) as archive:
        archive.edit(run, 2, "translation", HOSTILE, "tester")
        archive.edit(run, 1, "speaker", "<b onmouseover=alert(3)>S1</b>", "tester")
    with serving(archive_home) as url:
        w = open_page()
        page = w.page
        response = page.goto(f"{url}/clips/{clip}")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator("#line-2 .en")).to_have_text(HOSTILE)
        expect(page.locator("#line-1 .speaker")).to_have_text("<b onmouseover=alert(3)>S1</b>")
        expect(page.locator("#clip-title")).to_have_text(title)
        page.hover("#line-1 .speaker")
        page.click("#line-2 .history-toggle")
        expect(page.locator("#line-2 .history ins")).to_have_text(HOSTILE)
        assert page.locator("main script, main img, main b").count() == 0

        page.goto(url)
        expect(page.locator("#clips td.title a")).to_have_text(title)
        page.fill("#search-q", "alert")
        page.click("#search button[type=submit]")
        expect(page.locator("#hits .hit-en").first).to_contain_text(HOSTILE)
        assert page.locator("main script, main b, main img:not(.thumb)").count() == 0
        assert w.dialogs == []


def test_token_sends_strangers_to_the_login_page(
    open_page: Callable[[], Watched], archive_home: Path, tmp_path: Path
) -> None:
    clip, _ = add_clip(archive_home, not_media(tmp_path, "call.m4a"), "Phone call")
    token = secrets.token_hex(24)
    with serving(archive_home, token=token) as url:
        page = open_page().page
        page.goto(f"{url}/clips/{clip}")
        page.wait_for_url(re.compile(r"/login\?next="))
        refused = page.request.get(f"{url}/api/clips")
        assert refused.status == 401 and "token" in refused.json()["error"]

        page.fill("input[name=token]", "not the token at all, but long enough")
        page.fill("input[name=name]", "Olena K.")
        page.click("button[type=submit]")
        expect(page.locator(".form-error")).to_have_text("wrong token")

        page.fill("input[name=token]", token)
        page.fill("input[name=name]", "Olena K.")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/clips/{clip}")
        expect(page.locator(".who")).to_contain_text("Olena K.")
        page.check("#line-1 .reviewed-toggle")
        expect(page.locator("#review-count")).to_have_text("1 of 5 lines reviewed")
        revisions = page.request.get(f"{url}/api/clips/{clip}/revisions?segment=1").json()["revisions"]
        assert [r["author"] for r in revisions] == ["Olena K."]


def log_in(page: Page, url: str, token: str, name: str, clip: str) -> None:
    page.goto(f"{url}/clips/{clip}")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("input[name=token]", token)
    page.fill("input[name=name]", name)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/clips/{clip}")
    expect(page.locator("#lines > li")).to_have_count(5)


def test_two_pages_edit_one_line_and_the_stale_save_is_refused(
    open_page: Callable[[], Watched], archive_home: Path, tmp_path: Path
) -> None:
    clip, _ = add_clip(archive_home, not_media(tmp_path, "call.m4a"), "Phone call")
    token = secrets.token_hex(24)
    with serving(archive_home, token=token) as url:
        olena, ivan = open_page().page, open_page().page
        log_in(olena, url, token, "Olena K.", clip)
        log_in(ivan, url, token, "Ivan P.", clip)
        for page in (olena, ivan):  # both open line 2 as it was loaded
            page.dblclick("#line-2 .en")
            expect(page.locator("#line-2 textarea[name=translation]")).to_be_focused()

        olena.fill("#line-2 textarea[name=translation]", "Olena's English.")
        olena.keyboard.press("Control+Enter")
        expect(olena.locator("#line-2 .en")).to_have_text("Olena's English.")

        ivan.fill("#line-2 textarea[name=translation]", "Ivan's English.")
        ivan.fill("#line-2 input[name=speaker]", "Medic")
        ivan.keyboard.press("Control+Enter")
        notice = ivan.locator("#notice")
        expect(notice).to_contain_text("Not saved: line 2 was changed by Olena K. at ")
        expect(notice).to_contain_text("Your changes are still in the form")
        conflict = ivan.locator("#line-2 .conflict")
        expect(conflict.locator(".conflict-en")).to_have_text("Olena's English.")
        expect(conflict.locator(".conflict-orig")).to_have_text(LINES[1][0])
        # nothing Ivan typed is lost, and nothing of his reached the archive
        expect(ivan.locator("#line-2 textarea[name=translation]")).to_have_value("Ivan's English.")
        expect(ivan.locator("#line-2 input[name=speaker]")).to_have_value("Medic")
        stored = ivan.request.get(f"{url}/api/clips/{clip}/segments/2").json()
        assert (stored["translation"], stored["speaker"], stored["version"]) == ("Olena's English.", "S2", 2)

        # saving again, having seen the newer line, is Ivan's choice: it goes on top of Olena's
        ivan.click("#line-2 button[type=submit]")
        expect(ivan.locator("#line-2 .en")).to_have_text("Ivan's English.")
        expect(ivan.locator("#line-2 .speaker")).to_have_text("Medic")
        expect(ivan.locator("#line-2 .conflict")).to_have_count(0)
        revisions = ivan.request.get(f"{url}/api/clips/{clip}/revisions?segment=2").json()["revisions"]
        assert [(r["field"], r["after"], r["author"]) for r in revisions] == [
            ("translation", "Olena's English.", "Olena K."),
            ("translation", "Ivan's English.", "Ivan P."),
            ("speaker", "Medic", "Ivan P."),
        ]

        # a stale reviewed mark is refused too: Olena's page still shows version 2
        olena.check("#line-2 .reviewed-toggle")
        expect(olena.locator("#notice")).to_contain_text("Not saved: line 2 was changed by Ivan P. at ")
        expect(olena.locator("#line-2 .en")).to_have_text("Ivan's English.")
        expect(olena.locator("#line-2 .reviewed-toggle")).not_to_be_checked()
        expect(olena.locator("#review-count")).to_have_text("0 of 5 lines reviewed")


def test_an_edit_of_a_reviewed_line_shows_it_unreviewed(
    open_page: Callable[[], Watched], archive_home: Path, tmp_path: Path
) -> None:
    clip, _ = add_clip(archive_home, not_media(tmp_path, "call.m4a"), "Phone call")
    with serving(archive_home) as url:
        page = open_page().page
        page.goto(f"{url}/clips/{clip}")
        for n in (2, 3):
            page.check(f"#line-{n} .reviewed-toggle")
        expect(page.locator("#review-count")).to_have_text("2 of 5 lines reviewed")
        expect(page.locator("#line-2")).to_have_class(re.compile(r"\bis-reviewed\b"))

        page.dblclick("#line-2 .en")
        page.fill("#line-2 textarea[name=translation]", "It was quiet in Bakhmut, the commander said.")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-2 .en")).to_have_text("It was quiet in Bakhmut, the commander said.")
        expect(page.locator("#line-2 .reviewed-toggle")).not_to_be_checked()
        expect(page.locator("#line-2")).not_to_have_class(re.compile(r"\bis-reviewed\b"))
        expect(page.locator("#review-count")).to_have_text("1 of 5 lines reviewed")

        # a wrong translator's note comes off with one click, and the mark with it; History can undo
        note = page.locator("#line-3 .notes li")
        expect(note).to_contain_text("mobilised soldier")
        note.locator(".note-remove").click()
        expect(page.locator("#line-3 .notes")).to_have_count(0)
        expect(page.locator("#line-3 .reviewed-toggle")).not_to_be_checked()
        expect(page.locator("#review-count")).to_have_text("0 of 5 lines reviewed")
        page.click("#line-3 .history-toggle")
        # newest first: the cleared mark, then the removed note, which is the one to take back
        removal = page.locator("#line-3 .history li").filter(has=page.locator(".rev-field", has_text="notes"))
        expect(removal.locator("del")).to_have_text("мобик (mobik): mobilised soldier, derogatory")
        removal.locator(".undo").click()
        expect(page.locator("#line-3 .notes li")).to_contain_text("mobilised soldier")

        # and a note is written in the edit form, one a line
        page.dblclick("#line-3 .en")
        page.fill("#line-3 textarea[name=notes]", "mobik: a mobilised soldier (scornful)")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-3 .notes li")).to_have_count(1)
        expect(page.locator("#line-3 .notes li")).to_contain_text("mobik: a mobilised soldier (scornful)")


def test_a_check_is_dismissed_kept_over_a_reload_and_back_after_an_edit(
    open_page: Callable[[], Watched], archive_home: Path, tmp_path: Path
) -> None:
    wrong = [("Мы стояли под Бахмутом три недели.", "We stood near Bakhmut for two weeks."), *LINES[1:]]
    media = not_media(tmp_path, "wrong.m4a")
    transcript = make_transcript(media, wrong)
    transcript = replace(transcript, segments=check_segments(transcript.segments, "ru"))
    with Archive(archive_home) as archive:
        archive.save(transcript, ClipInfo(source=str(media), title="Wrong number"), {})
    clip = transcript.media.sha256[:12]
    detail = "number 3 in the original is missing in the English"
    with serving(archive_home) as url:
        page = open_page().page
        page.goto(f"{url}/clips/{clip}")
        line = page.locator("#line-1")
        expect(line).to_have_class(re.compile(r"\bdoubtful\b"))
        expect(line.locator(".flag")).to_have_text("number")
        expect(line.locator(".check-item")).to_have_text(re.compile(rf"^{detail}\s*Dismiss$"))

        # N jumps to the next doubtful line: line 1, then line 3 (the speech model's flag, no Dismiss)
        page.locator("body").press("n")
        expect(page.locator("#line-1")).to_have_class(re.compile(r"\bcurrent\b"))
        page.locator("body").press("n")
        expect(page.locator("#line-3")).to_have_class(re.compile(r"\bcurrent\b"))
        expect(page.locator("#line-3 .dismiss")).to_have_count(0)

        line.locator(".dismiss").click()
        expect(line).not_to_have_class(re.compile(r"\bdoubtful\b"))
        expect(line.locator(".check-item.dismissed")).to_contain_text(f"dismissed: {detail}")
        page.reload()
        expect(line).not_to_have_class(re.compile(r"\bdoubtful\b"))
        expect(line.locator(".check-item.dismissed")).to_contain_text(f"dismissed: {detail}")
        page.click("#line-1 .history-toggle")
        dismissal = line.locator(".history li").filter(has=page.locator(".rev-field", has_text="dismissed"))
        expect(dismissal).to_contain_text(REVIEWER)

        # a new English is checked again: the dismissal was for the old one
        page.dblclick("#line-1 .en")
        page.fill("#line-1 textarea[name=translation]", "We stood near Bakhmut for 2 weeks.")
        page.keyboard.press("Control+Enter")
        expect(line).to_have_class(re.compile(r"\bdoubtful\b"))
        expect(line.locator(".check-item").first).to_contain_text(detail)
        expect(line.locator(".check-item.dismissed")).to_have_count(0)

        # and the right English clears it
        page.dblclick("#line-1 .en")
        page.fill("#line-1 textarea[name=translation]", "We stood near Bakhmut for three weeks.")
        page.keyboard.press("Control+Enter")
        expect(line).not_to_have_class(re.compile(r"\bdoubtful\b"))
        expect(line.locator(".checks")).to_have_count(0)


def test_upload_that_fails_says_why(
    open_page: Callable[[], Watched], archive_home: Path, tmp_path: Path
) -> None:
    with serving(archive_home, run_jobs=True) as url:
        page = open_page().page
        page.goto(f"{url}/upload")
        expect(page.locator("#start")).to_be_disabled()
        page.set_input_files("#files", str(not_media(tmp_path, "notes.mp4")))
        expect(page.locator("#queue li")).to_have_count(1)
        page.click("#start")
        failed = page.locator("#queue li.failed")
        expect(failed).to_have_count(1, timeout=30_000)
        expect(failed.locator(".error")).to_contain_text("notes.mp4")


@pytest.mark.slow
def test_upload_translate_review_export(
    open_page: Callable[[], Watched], archive_home: Path, sample: Path, tmp_path: Path
) -> None:
    add_clip(
        archive_home, not_media(tmp_path, "checkpoint.mov"), "Checkpoint, Bakhmut road", tags=("bakhmut",)
    )
    add_clip(archive_home, not_media(tmp_path, "call.m4a"), "Intercepted call")
    with serving(archive_home, run_jobs=True) as url:
        page = open_page().page
        page.goto(f"{url}/upload")
        page.select_option("select[name=lang]", "ru")
        page.fill("input[name=title]", "Sample: read Russian speech")
        page.fill("input[name=tags]", "sample, test")
        page.set_input_files("#files", [str(sample), str(not_media(tmp_path, "broken.mp4"))])
        page.click("#start")
        expect(page.locator("#queue li.failed")).to_have_count(1, timeout=30_000)
        review = page.locator("#queue li.done a")
        expect(review).to_have_text("Review the translation", timeout=120_000)
        screenshot(page, "upload.png")

        review.click()
        lines = page.locator("#lines > li")
        expect(lines.first).to_be_visible()
        assert lines.count() >= 2
        start = page.evaluate("document.querySelector('#line-2 .time').textContent.split(' ')[0]")
        page.click("#line-2 .orig")
        minutes, seconds = start.split(":")
        wait_for_time(page, int(minutes) * 60 + float(seconds))
        page.keyboard.press("Enter")
        page.keyboard.press("Control+A")
        page.keyboard.type("Checked against the video: edited in the browser.")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-2 .en")).to_have_text("Checked against the video: edited in the browser.")
        page.check("#line-1 .reviewed-toggle")
        page.check("#line-2 .reviewed-toggle")
        page.click("#line-2 .history-toggle")
        expect(page.locator("#line-2 .history li")).to_have_count(2)
        page.locator("#line-1").scroll_into_view_if_needed()
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return !v.seeking && v.readyState >= 3; }"
        )
        screenshot(page, "review.png")

        with page.expect_download() as download:
            page.click("#exports a[href$='/export/en.srt']")
        srt = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Checked against the video: edited in the browser." in " ".join(srt.split())  # cues wrap

        page.goto(url)
        expect(page.locator("#clips tbody tr")).to_have_count(3)
        page.fill("#search-q", "Бахмут")
        page.click("#search button[type=submit]")
        expect(page.locator("#hits .hit").first).to_be_visible()
        screenshot(page, "archive.png", full_page=True)
