"""The review page's translator's marks and comments (issue 15, item 6) in a real browser.

As test_web_signoff_browser.py: Debian's Chromium, driven by Playwright, against the real server, on
the shipped sample clip with a hand-built transcript of five lines (tests/records.py LINES). Every
result is checked through the API, and after a reload: a mark (U unclear, Shift+U inaudible, or the
form's Mark select) changes what the exports say and takes a reviewed mark away; a comment (C) is
kept for the team and exported only when asked (the quote sheet with include_notes).

WEB_SCREENSHOTS=docs/img writes docs/img/marks.png (a line marked inaudible, its history open).
"""

from __future__ import annotations

import re
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
)
from test_web_structure_browser import FIRST_MS, line, open_review

pytestmark = web.pytestmark
REVIEWED = re.compile(r"\bis-reviewed\b")
HOSTILE_IMG = '<img src=x onerror="alert(4)">'


def exported(page: Page, url: str, clip: str, name: str) -> str:
    """A download, its lines joined by spaces (a subtitle cue wraps its text)."""
    response = page.request.get(f"{url}/api/clips/{clip}/export/{name}")
    assert response.ok, response.status
    return " ".join(response.text().split())


def pick(page: Page, n: int) -> None:
    """Select line ``n`` as a reviewer does: a click on its original (it seeks there too)."""
    page.click(f"#line-{n} .orig")
    expect(page.locator(f"#line-{n}")).to_have_class(re.compile(r"\bcurrent\b"))


def mark_of(page: Page, url: str, clip: str, n: int) -> Any:
    return line(page, url, clip, n)["mark"]


def test_u_marks_a_line_unclear_shift_u_inaudible_the_exports_follow_and_ctrl_z_takes_it_back(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        notice = page.locator("#notice")
        badge2, badge5 = page.locator("#line-2 .mark-badge"), page.locator("#line-5 .mark-badge")
        expect(page.locator("#lines .mark-badge")).to_have_count(0)

        # U on line 2: unclear, and the subtitles say so
        pick(page, 2)
        page.keyboard.press("u")
        expect(badge2).to_have_text("unclear", timeout=FIRST_MS)
        expect(badge2).to_have_class(re.compile(r"\bmark-unclear\b"))
        expect(notice).to_contain_text("Line 2 marked unclear")
        assert mark_of(page, url, clip, 2) == "unclear"
        assert f"{LINES[1][1]} [unclear]" in exported(page, url, clip, "en.srt")
        page.reload()
        expect(badge2).to_have_text("unclear")
        expect(page.locator("#line-2 .en")).to_have_text(LINES[1][1])  # the page shows the text as typed

        # U again takes it away
        pick(page, 2)
        page.keyboard.press("u")
        expect(badge2).to_have_count(0)
        expect(notice).to_contain_text("Line 2 no longer marked unclear")
        assert mark_of(page, url, clip, 2) == ""
        assert "[unclear]" not in exported(page, url, clip, "en.srt")
        page.reload()
        expect(page.locator("#lines .mark-badge")).to_have_count(0)

        # Shift+U on line 5: inaudible, in place of its English
        pick(page, 5)
        page.keyboard.press("Shift+U")
        expect(badge5).to_have_text("inaudible")
        expect(badge5).to_have_class(re.compile(r"\bmark-inaudible\b"))
        assert mark_of(page, url, clip, 5) == "inaudible"
        srt = exported(page, url, clip, "en.srt")
        assert "*inaudible*" in srt and LINES[4][1] not in srt
        page.reload()
        expect(badge5).to_have_text("inaudible")

        # Ctrl+Z takes a mark back: U on line 1, then Ctrl+Z
        badge1 = page.locator("#line-1 .mark-badge")
        pick(page, 1)
        page.keyboard.press("u")
        expect(badge1).to_have_text("unclear")
        assert mark_of(page, url, clip, 1) == "unclear"
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: the edit of line 1")
        expect(badge1).to_have_count(0)
        assert mark_of(page, url, clip, 1) == ""
        assert "[unclear]" not in exported(page, url, clip, "en.srt")
        page.reload()
        expect(badge1).to_have_count(0)
        expect(badge5).to_have_text("inaudible")

        # History names the revisions, newest first
        page.click("#line-1 .history-toggle")
        marks = page.locator("#line-1 .history li").filter(
            has=page.locator(".rev-field", has_text="translator's mark")
        )
        expect(marks).to_have_count(2)
        expect(marks.nth(0)).to_contain_text("undid #")
        expect(marks.nth(0)).to_contain_text("took the mark unclear away")
        expect(marks.nth(1)).to_contain_text("marked unclear")
        expect(marks.nth(1)).to_contain_text("undone")
        page.click("#line-5 .history-toggle")
        expect(page.locator("#line-5 .history li")).to_have_count(1)
        expect(page.locator("#line-5 .history li")).to_contain_text("marked inaudible")
        page.locator("#line-5").scroll_into_view_if_needed()
        web.screenshot(page, "marks.png")


def test_the_forms_mark_select_takes_the_reviewed_mark_away_and_ctrl_z_gives_both_back(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        count = page.locator("#review-count")
        page.check("#line-4 .reviewed-toggle")
        expect(count).to_have_text("1 of 5 lines reviewed")
        assert line(page, url, clip, 4)["reviewed"] is True

        # the form's Mark select, saved with the rest of the form: the line comes back unreviewed
        page.dblclick("#line-4 .en")
        mark = page.locator("#line-4 select[name=mark]")
        expect(mark).to_have_value("")
        mark.select_option("unclear")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-4 .mark-badge")).to_have_text("unclear", timeout=FIRST_MS)
        expect(page.locator("#line-4 .reviewed-toggle")).not_to_be_checked()
        expect(page.locator("#line-4")).not_to_have_class(REVIEWED)
        expect(count).to_have_text("0 of 5 lines reviewed")
        seg = line(page, url, clip, 4)
        assert (seg["mark"], seg["reviewed"]) == ("unclear", False)
        assert f"{LINES[3][1]} [unclear]" in exported(page, url, clip, "en.srt")
        page.reload()
        expect(page.locator("#line-4 .mark-badge")).to_have_text("unclear")
        expect(page.locator("#line-4 .reviewed-toggle")).not_to_be_checked()
        page.dblclick("#line-4 .en")
        expect(page.locator("#line-4 select[name=mark]")).to_have_value("unclear")
        page.keyboard.press("Escape")

        # after a fresh edit, Ctrl+Z gives back both: no mark, and the line reviewed
        page.dblclick("#line-4 .en")
        page.locator("#line-4 select[name=mark]").select_option("inaudible")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-4 .mark-badge")).to_have_text("inaudible")
        page.check("#line-4 .reviewed-toggle")
        expect(count).to_have_text("1 of 5 lines reviewed")
        pick(page, 4)
        page.keyboard.press("Shift+U")  # inaudible taken away: the reviewed mark with it
        expect(page.locator("#line-4 .mark-badge")).to_have_count(0)
        expect(page.locator("#notice")).to_contain_text("It is no longer reviewed")
        expect(count).to_have_text("0 of 5 lines reviewed")
        page.keyboard.press("Control+z")
        expect(page.locator("#line-4 .mark-badge")).to_have_text("inaudible")
        expect(page.locator("#line-4 .reviewed-toggle")).to_be_checked()
        expect(count).to_have_text("1 of 5 lines reviewed")
        seg = line(page, url, clip, 4)
        assert (seg["mark"], seg["reviewed"]) == ("inaudible", True)
        page.reload()
        expect(page.locator("#line-4 .mark-badge")).to_have_text("inaudible")
        expect(page.locator("#line-4 .reviewed-toggle")).to_be_checked()


def test_c_writes_a_comment_for_the_team_never_exported_and_markup_in_it_stays_text(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        w = open_page()
        page = open_review(w, url, clip)
        comment = page.locator("#line-3 .comment")
        page.check("#line-3 .reviewed-toggle")
        expect(page.locator("#review-count")).to_have_text("1 of 5 lines reviewed")

        # C opens the form in its Comment box; Ctrl+Enter saves; a comment leaves the reviewed mark
        pick(page, 3)
        page.keyboard.press("c")
        box = page.locator("#line-3 textarea[name=comment]")
        expect(box).to_be_focused()
        page.keyboard.type("ask Ivan: mobiks or mobilised?")
        page.keyboard.press("Control+Enter")
        expect(comment).to_have_text("ask Ivan: mobiks or mobilised?", timeout=FIRST_MS)
        seg = line(page, url, clip, 3)
        assert (seg["comment"], seg["reviewed"]) == ("ask Ivan: mobiks or mobilised?", True)
        expect(page.locator("#line-3 .reviewed-toggle")).to_be_checked()
        for name in ("txt", "en.srt", "json", "thread.txt"):
            assert "ask Ivan" not in exported(page, url, clip, name), name
        page.reload()
        expect(comment).to_have_text("ask Ivan: mobiks or mobilised?")

        # the history names it; the form shows it to rewrite, and markup in it stays text
        page.click("#line-3 .history-toggle")
        entry = page.locator("#line-3 .history li").filter(
            has=page.locator(".rev-field", has_text="comment for the team")
        )
        expect(entry).to_have_count(1)
        expect(entry.locator("ins")).to_have_text("ask Ivan: mobiks or mobilised?")
        expect(entry).to_contain_text(REVIEWER)
        pick(page, 3)
        page.keyboard.press("c")
        expect(page.locator("#line-3 .comment")).to_have_count(0)  # the form holds it while open
        expect(box).to_have_value("ask Ivan: mobiks or mobilised?")
        box.fill(HOSTILE_IMG)
        page.keyboard.press("Control+Enter")
        expect(comment).to_have_text(HOSTILE_IMG)
        assert line(page, url, clip, 3)["comment"] == HOSTILE_IMG
        assert "onerror" not in exported(page, url, clip, "txt")
        page.reload()
        expect(comment).to_have_text(HOSTILE_IMG)
        page.click("#line-3 .history-toggle")
        expect(page.locator("#line-3 .history ins").first).to_have_text(HOSTILE_IMG)
        assert page.locator("main img").count() == 0
        assert w.dialogs == []


def test_every_marks_key_is_on_the_page_and_in_the_docs() -> None:
    card = (web.ROOT / "tolmach/web/templates/review.html").read_text(encoding="utf-8")
    docs = (web.ROOT / "docs/WEB.md").read_text(encoding="utf-8")
    shown_keys = re.sub(r"</kbd>\+<kbd>", "+", card)
    for key in ["U", "Shift+U", "C"]:
        assert f"<kbd>{key}</kbd>" in shown_keys, f"{key} is not in the review page's Keyboard card"
        row = re.search(rf"^\| [^|]*`{re.escape(key)}`", docs, re.M)
        assert row, f"{key} is not in docs/WEB.md's key table"
