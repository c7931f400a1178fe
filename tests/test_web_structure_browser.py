"""The review page's split, merge, insert and delete, and Ctrl+Z (issue 15, item 3) in a real browser.

As test_web_timeline.py: Debian's Chromium, driven by Playwright, against the real server, on the shipped
sample clip with a hand-built transcript of five lines (0-2.5 s, 3-5.5 s, ... 12-14.5 s; the clip is
32.5 s). The playhead is put where a test wants it by setting the video's time, as a click on the
timeline does. Every result is checked through the API, after a reload where the brief asks for one;
line numbers are stable IDs, so the lines read 1, 2, 6, 3 after a split of line 2. The fixtures and
helpers are test_web_browser.py's.

WEB_SCREENSHOTS=docs/img writes docs/img/structure.png (the page just after a split, its notice showing).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import test_web_browser as web
from records import LINES
from test_web_browser import (  # noqa: F401 (browser and open_page are fixtures)
    REVIEWER,
    Page,
    Watched,
    add_clip,
    browser,
    expect,
    open_page,
    serving,
    wait_for_time,
)

pytestmark = web.pytestmark
CURRENT = re.compile(r"\bcurrent\b")
# The first change of what a line says, in a process, waits for the name check's word list (checks/
# names.py stems some 28,000 words, 5-9 s on a busy machine); the expects after it wait that long.
FIRST_MS = 30_000
STRUCTURE = re.compile(r"/segments(/\d+(/split|/merge)?)?(\?.*)?$")  # the four actions' paths


def lines(page: Page, url: str, clip: str) -> list[dict[str, Any]]:
    """Every standing line, in time order, as the API lists them."""
    found: list[dict[str, Any]] = page.request.get(f"{url}/api/clips/{clip}").json()["segments"]
    return found


def said(page: Page, url: str, clip: str) -> list[tuple[Any, ...]]:
    """What the lines are and say, without their versions (an undo moves those on)."""
    keys = ("id", "start", "end", "speaker", "text", "translation")
    return [tuple(seg[k] for k in keys) for seg in lines(page, url, clip)]


def ids(page: Page, url: str, clip: str) -> list[int]:
    return [seg["id"] for seg in lines(page, url, clip)]


def line(page: Page, url: str, clip: str, n: int) -> dict[str, Any]:
    return next(seg for seg in lines(page, url, clip) if seg["id"] == n)


def shown(page: Page) -> list[str]:
    """The lines' element IDs in the order the page shows them."""
    found: list[str] = page.eval_on_selector_all("#lines > li", "items => items.map(li => li.id)")
    return found


def seek(page: Page, ms: int) -> None:
    """Put the playhead at ``ms`` and wait for the seek to end: with "follow playback" on, the page has
    then selected the line there (its handler runs before this one, added later)."""
    script = """ms => new Promise(done => {
      const video = document.querySelector('video');
      video.addEventListener('seeked', () => done(), { once: true });
      video.currentTime = ms / 1000;
    })"""
    page.evaluate(script, ms)
    wait_for_time(page, ms / 1000)


def open_review(w: Watched, url: str, clip: str) -> Page:
    page = w.page
    page.goto(f"{url}/clips/{clip}")
    expect(page.locator("#lines > li")).to_have_count(5)
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    return page


def watch_changes(page: Page) -> list[str]:
    """The split, merge, insert and delete requests the page sends from now on."""
    sent: list[str] = []

    def seen(request: Any) -> None:
        if request.method != "GET" and STRUCTURE.search(request.url):
            sent.append(f"{request.method} {request.url}")

    page.on("request", seen)
    return sent


def test_s_splits_at_the_playhead_and_the_notice_and_ctrl_z_undo_it(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        as_made = said(page, url, clip)
        sent = watch_changes(page)
        notice = page.locator("#notice")

        # S with the playhead inside line 2: line 2 keeps its start and the first words, the new line
        # takes the next free number (6) and the rest; in time order the lines read 1, 2, 6, 3, 4, 5
        seek(page, 4250)
        expect(page.locator("#line-2")).to_have_class(CURRENT)
        page.keyboard.press("s")
        expect(notice).to_contain_text("Line 2 split: 2 and 6", timeout=FIRST_MS)
        after = lines(page, url, clip)
        assert [seg["id"] for seg in after] == [1, 2, 6, 3, 4, 5]
        two, six = after[1], after[2]
        assert (two["start"], two["end"], six["start"], six["end"]) == (3000, 4250, 4250, 5500)
        assert (two["text"], six["text"]) == ("Командир роты сказал, что в Бахмуте", "тихо.")
        assert (two["translation"], six["translation"]) == (LINES[1][1][: -len(" Bakhmut.")], "Bakhmut.")
        assert six["speaker"] == two["speaker"] == "S2"
        assert shown(page) == ["line-1", "line-2", "line-6", "line-3", "line-4", "line-5"]
        expect(page.locator("#line-6 .orig")).to_have_text("тихо.")
        expect(page.locator("#line-2")).to_have_class(CURRENT)  # the selection stays on the line split
        for half in ("#line-2", "#line-6"):  # the English was cut, not translated: T is suggested for both
            expect(page.locator(f"{half} .retranslate")).to_have_class(re.compile(r"\bsuggested\b"))
        expect(page.locator("#line-1 .retranslate")).not_to_have_class(re.compile(r"\bsuggested\b"))
        expect(page.locator("#clip-meta")).to_contain_text("6 lines")
        expect(page.locator("#review-count")).to_have_text("0 of 6 lines reviewed")

        # the notice's Undo takes the whole split back
        notice.locator(".notice-undo").click()
        expect(notice).to_contain_text("Undone: Line 2 split")
        assert said(page, url, clip) == as_made
        expect(page.locator("#lines > li")).to_have_count(5)
        expect(page.locator("#review-count")).to_have_text("0 of 5 lines reviewed")

        # and so does Ctrl+Z; the next split's line is 7 (6 is never given again)
        page.keyboard.press("s")
        expect(notice).to_contain_text("Line 2 split: 2 and 7")
        assert ids(page, url, clip) == [1, 2, 7, 3, 4, 5]
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: Line 2 split: 2 and 7")
        assert said(page, url, clip) == as_made
        assert shown(page) == [f"line-{n}" for n in range(1, 6)]

        # the order holds after a reload; History shows the split as one entry, whose Undo takes it back
        page.keyboard.press("s")
        expect(notice).to_contain_text("Line 2 split: 2 and 8")
        page.reload()
        expect(page.locator("#lines > li")).to_have_count(6)
        assert shown(page) == ["line-1", "line-2", "line-8", "line-3", "line-4", "line-5"]
        page.click("#line-2 .history-toggle")
        history = page.locator("#line-2 .history li")
        newest = history.first
        expect(newest).to_contain_text(f"split by {REVIEWER} at ")
        expect(newest.locator(".undo")).to_have_count(1)
        expect(history).to_have_count(5)  # three splits, two undos: never a row for each field
        expect(page.locator("#line-2 .history li:not(.step)")).to_have_count(0)
        newest.locator(".undo").click()
        expect(page.locator("#lines > li")).to_have_count(5)
        assert said(page, url, clip) == as_made
        expect(page.locator("#line-2 .history li").first).to_contain_text("undo split")

        # the playhead in the gap after line 2, line 3 selected: refused on the page, nothing sent
        seek(page, 7000)
        expect(page.locator("#line-3")).to_have_class(CURRENT)
        seek(page, 5750)
        expect(page.locator("#line-3")).to_have_class(CURRENT)
        count = len(sent)
        page.keyboard.press("s")
        expect(notice).to_contain_text(
            "Not split: the playhead (0:05.750) is not inside line 3 (0:06.000 – 0:08.500)"
        )
        time.sleep(0.5)
        assert sent[count:] == []
        assert said(page, url, clip) == as_made

        # for the docs: line 2 split again, its notice showing
        seek(page, 4250)
        page.click("#line-2 [data-structure=split]")  # the selected line's Split button does as S
        expect(notice).to_contain_text("Line 2 split: 2 and 9")
        web.screenshot(page, "structure.png")


def test_alt_s_splits_at_the_cursor_in_the_text_boxes(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        notice = page.locator("#notice")
        place = "(box, at) => { box.focus(); box.setSelectionRange(at, at); }"

        # line 4's form open, the cursor in the original before "вывели": the text is cut there, the
        # English at the same share
        seek(page, 10000)
        page.keyboard.press("Enter")
        original = page.locator("#line-4 textarea[name=text]")
        original.evaluate(place, LINES[3][0].index("вывели"))
        page.keyboard.press("Alt+s")
        expect(notice).to_contain_text("Line 4 split: 4 and 6", timeout=FIRST_MS)
        four, six = line(page, url, clip, 4), line(page, url, clip, 6)
        assert (four["text"], six["text"]) == ("Из Бахмута нас", "вывели в апреле.")
        assert (four["end"], six["start"], six["end"]) == (10000, 10000, 11500)
        assert f"{four['translation']} {six['translation']}" == LINES[3][1]
        expect(page.locator("#line-4 form")).to_have_count(0)

        # line 1: the English corrected in the form, its box keeping the focus with the cursor before
        # "for": the correction is saved first, then each text cut at its own cursor
        seek(page, 1500)
        page.keyboard.press("Enter")
        english = page.locator("#line-1 textarea[name=translation]")
        corrected = "We stood near Bakhmut for three long weeks."
        english.fill(corrected)
        original = page.locator("#line-1 textarea[name=text]")
        original.evaluate(place, LINES[0][0].index("три"))
        english.evaluate(place, corrected.index("for"))
        page.keyboard.press("Alt+s")
        expect(notice).to_contain_text("Line 1 split: 1 and 7")
        one, seven = line(page, url, clip, 1), line(page, url, clip, 7)
        assert (one["text"], seven["text"]) == ("Мы стояли под Бахмутом", "три недели.")
        assert one["translation"] == "We stood near Bakhmut"
        assert seven["translation"] == "for three long weeks."
        assert (one["end"], seven["start"]) == (1500, 1500)
        assert ids(page, url, clip) == [1, 7, 2, 3, 4, 6, 5]
        history = page.request.get(f"{url}/api/clips/{clip}/revisions?segment=1").json()["revisions"]
        # the save, then the split
        assert (history[0]["field"], history[0]["action"]) == ("translation", "")
        assert {r["action"] for r in history[1:]} == {"split"}

        # Ctrl+Z takes back the split, then the correction
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: Line 1 split")
        assert line(page, url, clip, 1)["translation"] == corrected
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: the edit of line 1")
        assert line(page, url, clip, 1)["translation"] == LINES[0][1]

        # the cursor at the start of the original: refused on the page, the form left open
        seek(page, 1500)
        page.keyboard.press("Enter")
        original = page.locator("#line-1 textarea[name=text]")
        original.evaluate(place, 0)
        page.keyboard.press("Alt+s")
        expect(notice).to_contain_text("Not split: put the cursor in the original between two words")
        expect(page.locator("#line-1 form")).to_have_count(1)


def test_m_merges_shift_delete_deletes_and_i_adds_a_line(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        notice = page.locator("#notice")
        sent = watch_changes(page)

        # M merges line 3 with line 4, which is deleted
        seek(page, 7000)
        page.keyboard.press("m")
        expect(notice).to_contain_text("Lines 3 and 4 merged into 3", timeout=FIRST_MS)
        merged = lines(page, url, clip)
        assert [seg["id"] for seg in merged] == [1, 2, 3, 5]
        three = merged[2]
        assert (three["start"], three["end"]) == (6000, 11500)
        assert three["text"] == f"{LINES[2][0]} {LINES[3][0]}"
        assert three["translation"] == f"{LINES[2][1]} {LINES[3][1]}"
        assert shown(page) == ["line-1", "line-2", "line-3", "line-5"]
        expect(page.locator("#line-3")).to_have_class(CURRENT)

        # Shift+Delete deletes line 5, Ctrl+Z brings it back; Shift+Backspace too, and the notice's Undo
        seek(page, 13000)
        expect(page.locator("#line-5")).to_have_class(CURRENT)
        page.keyboard.press("Shift+Delete")
        expect(notice).to_have_text(re.compile(r"^Line 5 deleted —"))
        assert ids(page, url, clip) == [1, 2, 3]
        expect(page.locator("#line-5")).to_have_count(0)
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: Line 5 deleted")
        assert ids(page, url, clip) == [1, 2, 3, 5]
        expect(page.locator("#line-5")).to_have_class(CURRENT)
        page.keyboard.press("Shift+Backspace")
        expect(notice).to_have_text(re.compile(r"^Line 5 deleted —"))  # not the "Undone: ..." before it
        assert ids(page, url, clip) == [1, 2, 3]
        notice.locator(".notice-undo").click()
        expect(notice).to_contain_text("Undone: Line 5 deleted")
        assert ids(page, url, clip) == [1, 2, 3, 5]

        # M on the last line: refused on the page, nothing sent
        count = len(sent)
        page.keyboard.press("m")
        expect(notice).to_contain_text("Not merged: line 5 is the last line")
        # I with the playhead inside a line: refused on the page, nothing sent
        page.keyboard.press("i")
        expect(notice).to_contain_text("No line added: the playhead (0:13.000) is inside line 5")
        time.sleep(0.5)
        assert sent[count:] == []

        # I in the gap after line 5: a line from 16 s, 2 s long, its form open in the original's box
        seek(page, 16000)
        page.keyboard.press("i")
        expect(notice).to_contain_text("Line 6 added at 0:16.0")
        added = line(page, url, clip, 6)
        assert (added["start"], added["end"], added["text"], added["translation"]) == (16000, 18000, "", "")
        expect(page.locator("#line-6 textarea[name=text]")).to_be_focused()
        page.keyboard.type("Слышишь?")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-6 .orig")).to_have_text("Слышишь?")
        assert line(page, url, clip, 6)["text"] == "Слышишь?"

        # Ctrl+Z takes the typing back, then the line
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: the edit of line 6")
        assert line(page, url, clip, 6)["text"] == ""
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: Line 6 added")
        assert ids(page, url, clip) == [1, 2, 3, 5]

        # the Add line button does as I: just before line 5 it stops short of it by the rules' gap
        gap = page.request.get(f"{url}/api/clips/{clip}").json()["run"]["rules"]["min_gap_ms"]
        seek(page, 11700)
        page.click("#add-line")
        expect(notice).to_contain_text("Line 7 added at 0:11.7")
        assert (line(page, url, clip, 7)["start"], line(page, url, clip, 7)["end"]) == (11700, 12000 - gap)
        page.keyboard.press("Escape")  # the form closes, the empty line stays

        page.reload()
        expect(page.locator("#lines > li")).to_have_count(5)
        assert shown(page) == ["line-1", "line-2", "line-3", "line-7", "line-5"]
        expect(page.locator("#line-3 .orig")).to_have_text(f"{LINES[2][0]} {LINES[3][0]}")


def test_every_structure_key_is_on_the_page_and_in_the_docs() -> None:
    card = (web.ROOT / "tolmach/web/templates/review.html").read_text(encoding="utf-8")
    docs = (web.ROOT / "docs/WEB.md").read_text(encoding="utf-8")
    shown_keys = re.sub(r"</kbd>\+<kbd>", "+", card)
    for key in ["S", "Alt+S", "M", "I", "Shift+Delete", "Ctrl+Z"]:
        assert f"<kbd>{key}</kbd>" in shown_keys, f"{key} is not in the review page's Keyboard card"
        row = re.search(rf"^\| [^|]*`{re.escape(key)}`", docs, re.M)
        assert row, f"{key} is not in docs/WEB.md's key table"
