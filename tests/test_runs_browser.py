"""The review page's runs panel in Chromium: the warning, the diff and the switch (test_web_browser.py's
server, browser and page watcher; test_runs.py's pair of runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from records import make_transcript
from test_runs import REWORDED, run_b
from test_web_browser import (  # noqa: F401 (browser and open_page are fixtures)
    Watched,
    browser,
    expect,
    not_media,
    open_page,
    serving,
)

from tolmach.archive import Archive
from tolmach.records import ClipInfo


def test_the_page_warns_when_it_shows_an_unreviewed_run_and_switches(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    tmp_path: Path,
) -> None:
    a = make_transcript(not_media(tmp_path, "clip.mp4"))
    with Archive(archive_home) as archive:
        reviewed = archive.save(a, ClipInfo(source="clip.mp4", title="Two runs"), {"k": 1})
        for number in range(1, 6):
            archive.edit(reviewed, number, "reviewed", "1", "Olena")
        other = archive.save(run_b(a), ClipInfo(source="clip.mp4"), {"k": 2})
        archive.use_run(other)  # chosen by hand (or an archive from before runs were kept)
    clip = a.media.sha256[:12]
    with serving(archive_home) as url:
        page = open_page().page
        page.goto(f"{url}/clips/{clip}")
        expect(page.locator("#lines > li")).to_have_count(6)
        expect(page.locator("#runs h2")).to_have_text("Runs (2)")
        expect(page.locator("#runs .runs-warning")).to_have_text(
            f"This page shows run {other[:12]}, which is not the reviewed one: run {reviewed[:12]}"
            " has 5 of 5 lines reviewed and 5 changes."
        )
        item = page.locator(f'#runs li[data-run="{reviewed}"]')
        item.locator("button.compare").click()
        rows = page.locator("#runs-diff tbody tr")
        expect(rows).to_have_count(3)  # changed, only in the shown run, only in the other
        expect(rows.nth(0)).to_contain_text(REWORDED)
        expect(rows.nth(0)).to_contain_text("The mobiks were sent to assault without training.")
        expect(page.locator("#runs-diff p").first).to_contain_text("1 changed, 1 only in the shown run")

        item.locator("button.use").click()
        expect(page.locator("#review-count")).to_have_text("5 of 5 lines reviewed")
        expect(page.locator("#lines > li")).to_have_count(5)
        expect(page.locator("#runs .runs-warning")).to_have_count(0)
        expect(page.locator(f'#runs li[data-run="{reviewed}"]')).to_contain_text("shown (current)")
    with Archive(archive_home) as archive:
        assert archive.current_run(a.media.sha256) == reviewed
