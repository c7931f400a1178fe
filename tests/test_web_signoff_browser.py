"""The review page's sign-off panel and speakers panel (issue 15, items 5 and 7) in a real browser.

As test_web_structure_browser.py: Debian's Chromium, driven by Playwright, against the real server, on
the shipped sample clip with a hand-built transcript of five lines, spoken by S1 (lines 1, 3, 5) and S2
(lines 2, 4). The page's user is test_web_browser.py's REVIEWER; a second person's work (olena's
reviewed marks) is written through the archive directly, as her own page would, then the page reloaded.
Every result is checked through the API.

WEB_SCREENSHOTS=docs/img writes docs/img/signoff.png (the panel with an approval standing, and the
speakers' legend above the lines).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import test_web_browser as web
from test_web_browser import (  # noqa: F401 (browser and open_page are fixtures)
    HOSTILE,
    REVIEWER,
    Page,
    Watched,
    add_clip,
    browser,
    expect,
    open_page,
    serving,
)
from test_web_structure_browser import FIRST_MS, open_review, seek

from tolmach.archive import Archive

pytestmark = web.pytestmark
IN_RANGE = re.compile(r"\bin-range\b")
CURRENT = re.compile(r"\bcurrent\b")


def clip_data(page: Page, url: str, clip: str) -> dict[str, Any]:
    found: dict[str, Any] = page.request.get(f"{url}/api/clips/{clip}").json()
    return found


def review(page: Page, url: str, clip: str) -> dict[str, Any]:
    state: dict[str, Any] = clip_data(page, url, clip)["review"]
    return state


def speakers(page: Page, url: str, clip: str) -> list[tuple[str, str]]:
    """(speaker, role) of every line, in time order."""
    return [(seg["speaker"], seg.get("role", "")) for seg in clip_data(page, url, clip)["segments"]]


def reviewed_by(home: Path, run: str, who: str, numbers: range | list[int]) -> None:
    """Lines marked reviewed by ``who`` on their own page: through the archive, not this page."""
    with Archive(home) as archive:
        for n in numbers:
            archive.edit_line(run, n, {"reviewed": "1"}, who)


def test_approve_needs_every_line_reviewed_and_a_second_person_and_a_change_withdraws_it(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, run = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        notice = page.locator("#notice")
        label = page.locator("#label")
        approve, withdraw = page.locator("#approve"), page.locator("#withdraw")
        withdrawn = page.locator("#withdrawn")
        expect(label).to_have_text("Machine translation — not reviewed")
        expect(approve).to_be_disabled()
        expect(withdraw).to_be_hidden()

        # A while no line is reviewed: the server's refusal, shown; nothing changes
        page.locator("body").press("a")
        expect(notice).to_contain_text("Not approved: 5 of 5 lines are not reviewed yet")
        assert review(page, url, clip)["approver"] is None

        # every line reviewed by the page's own user: the approval must come from someone else
        for n in range(1, 6):
            page.check(f"#line-{n} .reviewed-toggle")
            expect(page.locator("#review-count")).to_have_text(f"{n} of 5 lines reviewed")
        expect(label).to_have_text(f"Reviewed by {REVIEWER}")
        expect(approve).to_be_enabled()
        approve.click()
        expect(notice).to_contain_text(f"Not approved: {REVIEWER} reviewed lines of this clip")
        state = review(page, url, clip)
        assert (state["approver"], state["reviewed"], state["reviewer"]) == (None, 5, REVIEWER)
        expect(label).to_have_text(f"Reviewed by {REVIEWER}")

        # the marks taken back; olena reviews every line and names the speakers on her own page
        for n in range(1, 6):
            page.uncheck(f"#line-{n} .reviewed-toggle")
        expect(page.locator("#review-count")).to_have_text("0 of 5 lines reviewed")
        with Archive(archive_home) as archive:
            archive.name_speaker(run, "S1", "olena", name="R", role="Russian soldier")
            archive.name_speaker(run, "S2", "olena", name="M", role="mother")
        reviewed_by(archive_home, run, "olena", range(1, 6))
        page.reload()
        expect(label).to_have_text("Reviewed by olena")
        expect(page.locator("#legend")).to_have_text("Speakers: (R) Russian soldier, (M) mother")

        # A approves, as the page's user
        page.locator("body").press("a")
        expect(label).to_have_text(f"Translated by olena, approved by {REVIEWER}")
        expect(notice).to_contain_text(f"Approved: Translated by olena, approved by {REVIEWER}")
        state = review(page, url, clip)
        assert (state["approver"], state["reviewer"], state["withdrawn"]) == (REVIEWER, "olena", "")
        data = clip_data(page, url, clip)
        assert data["run"]["label"]["translation"] == f"Translated by olena, approved by {REVIEWER}"
        expect(approve).to_be_hidden()
        expect(withdraw).to_be_visible()
        expect(withdrawn).to_be_hidden()
        page.reload()  # the server's own label says the same
        expect(label).to_have_text(f"Translated by olena, approved by {REVIEWER}")
        expect(page.locator("#signoff-step")).to_contain_text(f"Approved by {REVIEWER}")
        page.click("#speakers summary")  # the speakers card open, for the picture
        expect(page.locator("#speaker-rows .speaker-row")).to_have_count(2)
        page.locator("#signoff").scroll_into_view_if_needed()
        web.screenshot(page, "signoff.png")

        # a later change on the page withdraws it: the panel says which change, plainly
        page.dblclick("#line-2 .en")
        page.fill("#line-2 textarea[name=translation]", "The commander said Bakhmut was quiet.")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#line-2 .en")).to_have_text(
            "The commander said Bakhmut was quiet.", timeout=FIRST_MS
        )
        expect(withdrawn).to_be_visible()
        expect(withdrawn).to_contain_text(
            f"Approval withdrawn by a later change: line 2's English by {REVIEWER} at "
        )
        state = review(page, url, clip)
        assert state["approver"] is None
        assert state["withdrawn"].startswith(f"withdrawn by a later change: line 2's English by {REVIEWER}")
        expect(label).to_have_text("Machine translation — not reviewed")  # line 2 is unreviewed now
        expect(approve).to_be_visible()
        expect(approve).to_be_disabled()
        expect(withdraw).to_be_hidden()

        # olena reviews line 2 again; a fresh approval, then Withdraw approval takes it back
        reviewed_by(archive_home, run, "olena", [2])
        page.reload()
        expect(withdrawn).to_contain_text("Approval withdrawn by a later change")  # still the last word
        approve.click()
        expect(label).to_have_text(f"Translated by olena, approved by {REVIEWER}")
        expect(withdrawn).to_be_hidden()
        assert review(page, url, clip)["approver"] == REVIEWER
        withdraw.click()
        expect(notice).to_contain_text("Approval withdrawn")
        expect(label).to_have_text("Reviewed by olena")
        expect(withdrawn).to_contain_text(f"Approval withdrawn by {REVIEWER} at ")
        state = review(page, url, clip)
        assert state["approver"] is None
        assert state["withdrawn"].startswith(f"withdrawn by {REVIEWER} at ")
        expect(approve).to_be_enabled()
        expect(withdraw).to_be_hidden()


def test_speakers_are_renamed_given_a_role_and_given_lines_each_one_undo(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        page = open_review(open_page(), url, clip)
        notice = page.locator("#notice")
        legend = page.locator("#legend")
        as_made = [("S1", ""), ("S2", ""), ("S1", ""), ("S2", ""), ("S1", "")]
        assert speakers(page, url, clip) == as_made
        expect(legend).to_be_hidden()
        rows = page.locator("#speaker-rows .speaker-row")

        # G opens the panel: one row per speaker in order of first appearance, with their line counts
        seek(page, 1000)
        page.keyboard.press("g")
        expect(page.locator("#speakers")).to_have_attribute("open", "")
        expect(rows).to_have_count(2)
        expect(rows.locator(".speaker-label")).to_have_text(["S1", "S2"])
        expect(rows.locator(".speaker-lines")).to_have_text(["3 lines", "2 lines"])
        s1 = rows.nth(0)
        expect(s1.locator("input[name=name]")).to_be_focused()

        # S1 renamed R, with the role "Russian soldier": every line of theirs, one step
        s1.locator("input[name=name]").fill("R")
        s1.locator("input[name=role]").fill("Russian soldier")
        s1.locator("input[name=role]").press("Enter")
        expect(notice).to_contain_text("Speaker S1 is now R, role: Russian soldier", timeout=FIRST_MS)
        soldier = ("R", "Russian soldier")
        renamed = [soldier, ("S2", ""), soldier, ("S2", ""), soldier]
        assert speakers(page, url, clip) == renamed
        assert clip_data(page, url, clip)["run"]["legend"] == "(R) Russian soldier"
        expect(legend).to_have_text("Speakers: (R) Russian soldier")
        expect(page.locator("#line-3 .speaker")).to_have_text("R")
        expect(rows.locator(".speaker-label")).to_have_text(["R", "S2"])
        expect(page.locator("#line-1")).to_have_class(CURRENT)

        # History shows it as one entry with one Undo
        page.click("#line-1 .history-toggle")
        entries = page.locator("#line-1 .history li")
        expect(entries).to_have_count(1)
        expect(entries.first).to_contain_text(f"speaker change by {REVIEWER} at ")
        expect(entries.first.locator(".undo")).to_have_count(1)

        # Ctrl+Z takes it back, on every line
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: Speaker S1 is now R")
        assert speakers(page, url, clip) == as_made
        assert clip_data(page, url, clip)["run"]["legend"] == ""
        expect(legend).to_be_hidden()
        expect(rows.locator(".speaker-label")).to_have_text(["S1", "S2"])

        # Shift+J twice from line 3 takes lines 3 to 5 in; Shift+G asks for the speaker: S2
        seek(page, 7000)
        page.keyboard.press("Shift+J")
        page.keyboard.press("Shift+J")
        for n in (3, 4, 5):
            expect(page.locator(f"#line-{n}")).to_have_class(IN_RANGE)
        expect(page.locator("#line-2")).not_to_have_class(IN_RANGE)
        expect(page.locator("#assign-range")).to_have_text("Lines 3 to 5 (3 lines)")
        page.keyboard.press("Shift+G")
        known = page.locator("#assign select[name=known]")
        expect(known).to_be_focused()
        known.select_option("S2")
        page.click("#assign button[type=submit]")
        expect(notice).to_contain_text("Lines 3 to 5 given to S2")
        assert [who for who, _ in speakers(page, url, clip)] == ["S1", "S2", "S2", "S2", "S2"]
        expect(page.locator("#line-3 .speaker")).to_have_text("S2")
        expect(page.locator("#lines .in-range")).to_have_count(0)
        expect(rows.locator(".speaker-lines")).to_have_text(["1 line", "4 lines"])
        page.keyboard.press("Control+z")
        expect(notice).to_contain_text("Undone: Lines 3 to 5 given to S2")
        assert speakers(page, url, clip) == as_made

        # Shift+click takes lines in too; a new speaker is typed; Shift+K shrinks the range back
        seek(page, 1000)
        page.click("#line-3 .en", modifiers=["Shift"])
        page.keyboard.press("Shift+K")
        expect(page.locator("#assign-range")).to_have_text("Lines 1 to 2 (2 lines)")
        page.keyboard.press("Shift+G")
        page.fill("#assign input[name=other]", "Medic")
        page.press("#assign input[name=other]", "Enter")
        expect(notice).to_contain_text("Lines 1 to 2 given to Medic")
        assert [who for who, _ in speakers(page, url, clip)] == ["Medic", "Medic", "S1", "S2", "S1"]

        # an empty name is refused with the server's reason; a role is text, never markup
        medic = rows.filter(has=page.locator(".speaker-label", has_text="Medic"))
        medic.locator("input[name=name]").fill("")
        medic.locator("button[type=submit]").click()
        expect(notice).to_contain_text("a speaker's name cannot be empty")
        assert [who for who, _ in speakers(page, url, clip)] == ["Medic", "Medic", "S1", "S2", "S1"]
        medic.locator("input[name=name]").fill("Medic")
        medic.locator("input[name=role]").fill(HOSTILE)
        medic.locator("button[type=submit]").click()
        expect(legend).to_have_text(f"Speakers: (Medic) {HOSTILE}")
        page.reload()
        expect(legend).to_have_text(f"Speakers: (Medic) {HOSTILE}")


def test_every_signoff_and_speaker_key_is_on_the_page_and_in_the_docs() -> None:
    card = (web.ROOT / "tolmach/web/templates/review.html").read_text(encoding="utf-8")
    docs = (web.ROOT / "docs/WEB.md").read_text(encoding="utf-8")
    shown_keys = re.sub(r"</kbd>\+<kbd>", "+", card)
    for key in ["A", "G", "Shift+G", "Shift+J", "Shift+K"]:
        assert f"<kbd>{key}</kbd>" in shown_keys, f"{key} is not in the review page's Keyboard card"
        row = re.search(rf"^\| [^|]*`{re.escape(key)}`", docs, re.M)
        assert row, f"{key} is not in docs/WEB.md's key table"
