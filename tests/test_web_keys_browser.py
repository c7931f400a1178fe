"""The review page's keys for ticking a line reviewed (R), dismissing a line check (D, Shift+D) and
withdrawing an approval (Shift+A), in a real browser (issue 15, "keyboard first").

As test_web_signoff_browser.py: Debian's Chromium, driven by Playwright, against the real server, on the
shipped sample clip with a hand-built transcript of five lines; every result is checked through the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import test_web_browser as web
from test_web_browser import (  # noqa: F401 (browser and open_page are fixtures)
    Watched,
    add_clip,
    browser,
    expect,
    open_page,
    serving,
)
from test_web_signoff_browser import clip_data, reviewed_by
from test_web_structure_browser import open_review

from tolmach.archive import Archive

pytestmark = web.pytestmark
REVIEWED = re.compile(r"\bis-reviewed\b")
NUMBER = "number 3 in the original is missing in the English"


def test_r_ticks_d_dismisses_and_shift_a_withdraws(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, run = add_clip(archive_home, sample, "Interview near Bakhmut")
    with Archive(archive_home) as archive:  # line 1's English loses its number: the line check finds it
        archive.edit_line(run, 1, {"translation": "We stood near Bakhmut for weeks."}, "olena")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        body = page.locator("body")
        page.click("#line-1 .time")
        expect(page.locator("#line-1 .dismiss")).to_have_count(1)

        body.press("d")
        expect(page.locator("#line-1 .dismiss")).to_have_count(0)
        line = clip_data(page, url, clip)["segments"][0]
        assert [f["detail"] for f in line["dismissed"]] == [NUMBER] and not line["doubtful"]
        body.press("Shift+D")
        expect(page.locator("#line-1 .dismiss")).to_have_count(1)
        assert clip_data(page, url, clip)["segments"][0]["dismissed"] == []

        body.press("r")
        expect(page.locator("#line-1")).to_have_class(REVIEWED)  # once the server said so
        assert clip_data(page, url, clip)["segments"][0]["reviewed"] is True
        body.press("r")
        expect(page.locator("#line-1")).not_to_have_class(REVIEWED)
        assert clip_data(page, url, clip)["segments"][0]["reviewed"] is False

        reviewed_by(archive_home, run, "olena", range(1, 6))
        page.reload()
        expect(page.locator("#approve")).to_be_enabled()
        body.press("a")
        expect(page.locator("#withdraw")).to_be_visible()
        assert clip_data(page, url, clip)["review"]["approver"] == web.REVIEWER
        body.press("Shift+A")
        expect(page.locator("#withdraw")).to_be_hidden()
        review = clip_data(page, url, clip)["review"]
        assert review["approver"] is None and review["withdrawn"].startswith(
            f"withdrawn by {web.REVIEWER} at "
        )
