"""The review page's timeline, timing and listening tools (issue 15, items 1, 2 and 4) in a real browser.

Debian's Chromium, driven by Playwright, against the real server, on the shipped sample clip with a
hand-built transcript of five lines (0-2.5 s, 3-5.5 s, ... 12-14.5 s; the clip is 32.5 s). Positions on
the canvas are worked out from the span the timeline says it shows (its data-start and data-end) and
the canvas's box, never from a run. Every result is checked through the API, after a reload where the
brief asks for one. The fixtures and helpers are test_web_browser.py's.

WEB_SCREENSHOTS=docs/img writes docs/img/timeline.png.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import test_web_browser as web
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

from tolmach.subtitles.cues import CueRules

pytestmark = web.pytestmark
# the canvas's rows, in CSS pixels, as timeline.js draws them (its Y)
RULER, LABEL, BOTTOM, HEIGHT = 18, 34, 108, 124
CANVAS = ".timeline-canvas"


def shoot(page: Page, name: str) -> None:
    """As test_web_browser.screenshot, but of the player pane from the video to the listening tools."""
    if not web.SHOTS:
        return
    folder = Path(web.SHOTS) if Path(web.SHOTS).is_absolute() else web.ROOT / web.SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)  # the player's spinner and the notice settle
    top, bottom = page.locator("#player").bounding_box(), page.locator(".listen-tools").bounding_box()
    assert top is not None and bottom is not None
    clip = {"x": top["x"] - 8, "y": top["y"] - 8, "width": top["width"] + 16}
    page.screenshot(
        path=str(folder / name), clip={**clip, "height": bottom["y"] + bottom["height"] + 16 - clip["y"]}
    )


def clock(ms: int) -> str:
    """As the page writes a time in the lines: 2800 -> "0:02.8"."""
    return f"{ms // 60000}:{ms % 60000 / 1000:04.1f}"


def view(page: Page) -> tuple[int, int]:
    """(start, end) in ms of what the timeline shows."""
    data: dict[str, str] = page.eval_on_selector(CANVAS, "c => ({...c.dataset})")
    return int(data["start"]), int(data["end"])


def x_of(page: Page, ms: float) -> float:
    """The page x of time ``ms`` on the timeline."""
    box = page.locator(CANVAS).bounding_box()
    assert box is not None
    start, end = view(page)
    return box["x"] + (ms - start) / (end - start) * box["width"]


def ms_per_px(page: Page) -> float:
    box = page.locator(CANVAS).bounding_box()
    assert box is not None
    start, end = view(page)
    return (end - start) / box["width"]


def y_at(page: Page, y: float) -> float:
    box = page.locator(CANVAS).bounding_box()
    assert box is not None
    return box["y"] + y


def inked(page: Page, x0: float, x1: float, y0: float, y1: float) -> list[bool]:
    """For each device-pixel column of the canvas between CSS x0 and x1: is any pixel from y0 to y1
    other than the paper's white?"""
    script = """([x0, x1, y0, y1]) => {
      const c = document.querySelector('.timeline-canvas');
      const r = c.width / c.clientWidth;
      const [a, b] = [Math.round(x0 * r), Math.round(x1 * r)];
      const [top, h] = [Math.round(y0 * r), Math.round((y1 - y0) * r)];
      const px = c.getContext('2d').getImageData(a, top, b - a, h).data;
      const cols = [];
      for (let i = 0; i < b - a; i += 1) {
        let ink = false;
        for (let j = 0; j < h && !ink; j += 1) {
          const k = (j * (b - a) + i) * 4;
          ink = px[k] < 245 || px[k + 1] < 245 || px[k + 2] < 245;
        }
        cols.push(ink);
      }
      return cols;
    }"""
    box = page.locator(CANVAS).bounding_box()
    assert box is not None
    columns: list[bool] = page.evaluate(script, [x0 - box["x"], x1 - box["x"], y0, y1])
    return columns


def segment(page: Page, url: str, clip: str, n: int) -> dict[str, Any]:
    response = page.request.get(f"{url}/api/clips/{clip}/segments/{n}")
    assert response.ok
    data: dict[str, Any] = response.json()
    return data


def revisions(page: Page, url: str, clip: str, n: int) -> list[dict[str, Any]]:
    data = page.request.get(f"{url}/api/clips/{clip}/revisions?segment={n}").json()
    found: list[dict[str, Any]] = data["revisions"]
    return found


def until(done: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def open_review(w: Watched, url: str, clip: str) -> Page:
    page = w.page
    page.goto(f"{url}/clips/{clip}")
    expect(page.locator("#lines > li")).to_have_count(5)
    page.wait_for_function("() => document.querySelector('.timeline-canvas').dataset.waveform === 'drawn'")
    return page


def drag(page: Page, from_ms: float, to_ms: float) -> None:
    """Press on the timeline at ``from_ms`` (an edge), move in steps to ``to_ms``, release."""
    y = y_at(page, (LABEL + BOTTOM) / 2)
    page.mouse.move(x_of(page, from_ms), y)
    page.mouse.down()
    page.mouse.move(x_of(page, to_ms), y, steps=8)
    page.mouse.up()


def zoom_to(page: Page, span_ms: int, centre_ms: int) -> None:
    """Zoom in with + until at most ``span_ms`` shows, then scroll so that ``centre_ms`` is in the middle."""
    page.locator(CANVAS).scroll_into_view_if_needed()
    page.click(".zoom-fit")
    while view(page)[1] - view(page)[0] > span_ms:
        page.locator("body").press("+")
    y = y_at(page, (LABEL + BOTTOM) / 2)
    for _ in range(40):  # the wheel scrolls a zoomed-in view; drag would pan too, but clicks seek
        start, end = view(page)
        off = centre_ms - (start + end) / 2
        if abs(off) < (end - start) * 0.1:
            return
        page.mouse.move(x_of(page, (start + end) / 2), y)
        page.mouse.wheel(0, 120 if off > 0 else -120)
    raise AssertionError(f"could not scroll the timeline to {centre_ms} ms: it shows {view(page)}")


def test_timeline_draws_the_waveform_and_lines_seeks_and_zooms(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        w = open_page()
        page = w.page
        peaks = page.request.get(f"{url}/api/clips/{clip}/peaks")
        assert peaks.ok, "the timeline test needs GET /api/clips/{id}/peaks"
        body = peaks.body()
        ms_per_peak = int.from_bytes(body[4:8], "little")
        open_review(w, url, clip)
        duration = page.request.get(f"{url}/api/clips/{clip}").json()["clip"]["duration_ms"]

        # the whole clip shows; the waveform is drawn where there are no lines (16-32 s is speech
        # without a transcript line), column for column where the peaks say there is sound
        start, end = view(page)
        assert start == 0 and end >= duration
        count = int.from_bytes(body[8:12], "little")
        stretch = body[20 + 16000 // ms_per_peak : 20 + min(count, 32000 // ms_per_peak)]
        assert max(stretch) > 0, "the sample is silent after 16 s: pick another stretch"
        band = inked(page, x_of(page, 16000), x_of(page, 32000), LABEL, BOTTOM)
        assert sum(band) > 0.5 * len(band), f"only {sum(band)} of {len(band)} columns show the waveform"
        # nothing but the waveform is drawn there: above and below it the canvas is blank
        assert not any(inked(page, x_of(page, 16000), x_of(page, 32000), BOTTOM - 1, BOTTOM))
        # each line is a region: its box is tinted where the waveform does not reach
        for ms in (1250, 4250, 7250, 10250, 13250):
            assert all(inked(page, x_of(page, ms) - 2, x_of(page, ms) + 2, BOTTOM - 1, BOTTOM)), ms
        # with the labels' row: tinted over a line, blank in the gap after it
        assert any(inked(page, x_of(page, 3100), x_of(page, 5400), RULER + 1, LABEL - 1))
        assert not any(inked(page, x_of(page, 5600), x_of(page, 5900), RULER + 1, LABEL - 1))

        # a click seeks to the time under it and selects the line there
        page.mouse.click(x_of(page, 7000), y_at(page, (LABEL + BOTTOM) / 2))
        wait_for_time(page, 7.0)
        expect(page.locator("#line-3")).to_have_class(re.compile(r"\bcurrent\b"))
        page.mouse.click(x_of(page, 20000), y_at(page, (LABEL + BOTTOM) / 2))
        wait_for_time(page, 20.0)

        # zoom: + and the button by 1.5, Ctrl+wheel too, down to 5 s; Whole clip back to all of it
        whole = end - start
        page.locator("body").press("+")
        start, end = view(page)
        assert abs((end - start) - whole / 1.5) <= 2
        page.click(".zoom-out")
        assert abs((view(page)[1] - view(page)[0]) - whole) <= 2
        page.mouse.move(x_of(page, 10000), y_at(page, (LABEL + BOTTOM) / 2))
        page.keyboard.down("Control")
        page.mouse.wheel(0, -100)
        page.keyboard.up("Control")
        start, end = view(page)
        assert abs((end - start) - whole / 1.5) <= 2
        assert start < 10000 < end  # the time under the pointer stays in view
        for _ in range(12):
            page.locator("body").press("+")
        start, end = view(page)
        assert end - start == 5000
        # zoomed in, the wheel scrolls; the playhead (at 20 s) is what + zoomed around
        assert start <= 20000 <= end
        page.mouse.move(x_of(page, (start + end) / 2), y_at(page, (LABEL + BOTTOM) / 2))
        page.mouse.wheel(0, 200)
        assert view(page)[0] > start
        page.click(".zoom-fit")
        assert view(page) == (
            0,
            max(whole, round(page.evaluate("document.querySelector('video').duration") * 1000)),
        )

        # for the docs: line 3 selected, its end picked, about 14 s in view
        page.click("#line-3 .en")
        page.locator("body").press("+")
        page.locator("body").press("+")
        page.locator("body").press("]")
        shoot(page, "timeline.png")


def test_dragging_an_edge_retimes_the_line_snaps_and_refuses_overlaps(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        w = open_page()
        page = open_review(w, url, clip)
        rules = page.request.get(f"{url}/api/clips/{clip}").json()["run"]["rules"]
        gap = rules["min_gap_ms"]
        assert gap == CueRules().min_gap_ms  # the transcript asks for the default rules

        # line 5's start, dragged from 12.0 s to 12.6 s, far from any neighbour: where it was let go
        zoom_to(page, 8000, 12000)
        tolerance = ms_per_px(page) + 1
        drag(page, 12000, 12600)
        expect(page.locator("#notice")).to_contain_text("Line 5 now")
        page.reload()
        expect(page.locator("#line-5 .time")).to_contain_text("0:12.6")
        stored = segment(page, url, clip, 5)
        assert abs(stored["start"] - 12600) <= tolerance and stored["end"] == 14500
        # the player's English track is built again from the stored times
        page.wait_for_function(
            "s => [...document.querySelector('video').textTracks].some(t => t.language === 'en' && t.cues"
            " && [...t.cues].some(c => Math.abs(c.startTime - s) < 0.002))",
            arg=stored["start"] / 1000,
        )

        # line 4's start dragged to within a few pixels of line 3's end snaps to it, less the gap
        page.wait_for_function(
            "() => document.querySelector('.timeline-canvas').dataset.waveform === 'drawn'"
        )
        zoom_to(page, 8000, 9000)
        near = 8500 + gap + 4 * ms_per_px(page)
        drag(page, 9000, near)
        expect(page.locator("#notice")).to_contain_text("Line 4 now")
        assert segment(page, url, clip, 4)["start"] == 8500 + gap

        # line 2's end dragged over line 3's start: refused on the page, nothing sent
        zoom_to(page, 8000, 6000)
        before = segment(page, url, clip, 2)
        drag(page, 5500, 7000)
        notice = page.locator("#notice")
        expect(notice).to_contain_text("Not saved: line 2 would end at")
        expect(notice).to_contain_text("after line 3 starts (6.000 s)")
        time.sleep(0.8)  # a save would have gone by now
        assert segment(page, url, clip, 2) == before
        assert revisions(page, url, clip, 2) == []

        # the server refuses it as well, for a page that did not check
        refused = page.request.patch(
            f"{url}/api/clips/{clip}/segments/2",
            data={"end": 7000, "version": before["version"]},
            headers={"X-CSRF-Token": page.eval_on_selector("meta[name=csrf-token]", "m => m.content")},
        )
        assert refused.status == 422
        assert "line 2 would end at 7.000 s, after line 3 starts (6.000 s)" in refused.json()["error"]

        # undo of the drag: line 5 starts at 12.0 s again, and its region follows
        page.click("#line-5 .history-toggle")
        change = page.locator("#line-5 .history li").filter(has=page.locator(".rev-field", has_text="start"))
        expect(change).to_have_count(1)
        change.locator(".undo").click()
        expect(page.locator("#line-5 .history")).to_contain_text("undid #")
        assert segment(page, url, clip, 5)["start"] == 12000
        start_revisions = [r for r in revisions(page, url, clip, 5) if r["field"] == "start"]
        assert [(r["before"], r["after"], r["author"]) for r in start_revisions] == [
            ("12000", str(stored["start"]), REVIEWER),
            (str(stored["start"]), "12000", REVIEWER),
        ]


def test_the_keyboard_nudges_the_picked_edge(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        w = open_page()
        page = open_review(w, url, clip)
        fps = page.request.get(f"{url}/api/clips/{clip}").json()["clip"]["fps"]
        assert fps and fps > 0  # ffprobe's frame rate of the sample's video

        page.click("#line-1 .en")
        page.locator("body").press("]")
        expect(page.locator(".timeline-edge")).to_contain_text("End of line 1")
        page.locator("body").press("Shift+Period")
        expect(page.locator("#notice")).to_contain_text("Line 1 now")
        assert segment(page, url, clip, 1)["end"] == 2500 + 100

        # a run of nudges is one change: two frames later, one revision
        page.locator("body").press("Period")
        page.locator("body").press("Period")
        expected = 2600
        for _ in range(2):
            expected = int(expected + 1000 / fps + 0.5)
        until(lambda: segment(page, url, clip, 1)["end"] == expected)
        ends = [(r["before"], r["after"]) for r in revisions(page, url, clip, 1) if r["field"] == "end"]
        assert ends == [("2500", "2600"), ("2600", str(expected))]

        # the start, 100 ms earlier: refused at 0 (a line cannot start before the clip)
        page.locator("body").press("[")
        expect(page.locator(".timeline-edge")).to_contain_text("Start of line 1")
        page.locator("body").press("Shift+Comma")
        expect(page.locator("#notice")).to_contain_text("Not changed: line 1 must start before it ends")
        assert segment(page, url, clip, 1)["start"] == 0

        # line 2's start nudged back towards line 1's end: as far as it, then refused
        page.click("#line-2 .en")
        page.locator("body").press("[")
        steps = (3000 - expected) // 100  # the 100 ms steps that stay at or after line 1's end
        for _ in range(steps):
            page.locator("body").press("Shift+Comma")
        page.locator("body").press("Shift+Comma")
        notice = page.locator("#notice")
        expect(notice).to_contain_text(
            f"Not changed: line 2 would start at {(3000 - 100 * steps - 100) / 1000:.3f} s"
        )
        expect(notice).to_contain_text(f"before line 1 ends ({expected / 1000:.3f} s)")
        until(lambda: segment(page, url, clip, 2)["start"] == 3000 - 100 * steps)
        starts = [(r["before"], r["after"]) for r in revisions(page, url, clip, 2) if r["field"] == "start"]
        assert starts == [("3000", str(3000 - 100 * steps))]
        page.reload()
        expect(page.locator("#line-2 .time")).to_have_text(f"{clock(3000 - 100 * steps)} – 0:05.5")


def test_speed_loop_and_the_two_seconds_before(
    open_page: Callable[[], Watched],  # noqa: F811 (the fixture imported above)
    archive_home: Path,
    sample: Path,
) -> None:
    clip, _ = add_clip(archive_home, sample, "Interview near Bakhmut")
    with serving(archive_home) as url:
        w = open_page()
        page = open_review(w, url, clip)
        rate = (
            "() => { const v = document.querySelector('video'); return [v.playbackRate, v.preservesPitch]; }"
        )
        page.select_option("#speed", "0.5")
        assert page.evaluate(rate) == [0.5, True]
        page.locator("body").press("Shift+BracketRight")
        assert page.evaluate(rate) == [0.75, True]
        expect(page.locator("#speed")).to_have_value("0.75")
        for _ in range(3):
            page.locator("body").press("Shift+BracketLeft")
        assert page.evaluate(rate) == [0.5, True]  # 0.5 is the slowest
        page.select_option("#speed", "1.5")

        # L loops the selected line: playback stays between its start and end, and comes round again
        page.click("#line-2 .en")
        wait_for_time(page, 3.0)
        page.locator("body").press("l")
        expect(page.locator("#loop")).to_have_attribute("aria-pressed", "true")
        seen = []
        deadline = time.monotonic() + 4.5  # 1.5x: the 2.5 s line plays about three times
        while time.monotonic() < deadline:
            seen.append(
                page.evaluate(
                    "() => [...['currentTime', 'paused'].map(k => document.querySelector('video')[k])]"
                )
            )
            time.sleep(0.05)
        times = [t for t, paused in seen]
        assert not any(paused for _, paused in seen[5:])
        assert all(2.95 <= t <= 5.5 + 0.15 for t in times), (min(times), max(times))
        wraps = sum(1 for a, b in itertools.pairwise(times) if b < a - 1.0)
        assert wraps >= 1, times
        page.click("#loop")
        expect(page.locator("#loop")).to_have_attribute("aria-pressed", "false")
        page.evaluate("() => document.querySelector('video').pause()")  # Space would press the button

        # B plays line 4 from 2 s before it, and stops at its end
        page.click("#line-4 .en")
        wait_for_time(page, 9.0)
        page.locator("body").press("b")
        page.wait_for_function("() => !document.querySelector('video').paused")
        first = page.evaluate("() => document.querySelector('video').currentTime")
        assert 7.0 - 0.05 <= first < 8.0
        page.wait_for_function("() => document.querySelector('video').paused", timeout=8000)
        stopped = page.evaluate("() => document.querySelector('video').currentTime")
        assert 11.5 <= stopped <= 11.5 + 0.15


def test_every_timeline_key_is_on_the_page_and_in_the_docs() -> None:
    card = (web.ROOT / "tolmach/web/templates/review.html").read_text(encoding="utf-8")
    docs = (web.ROOT / "docs/WEB.md").read_text(encoding="utf-8")
    keys = ["[", "]", ",", ".", "Shift+,", "Shift+.", "+", "-", "Shift+[", "Shift+]", "L", "B"]
    shown = re.sub(r"</kbd>\+<kbd>", "+", card)
    for key in keys:
        assert f"<kbd>{key}</kbd>" in shown, f"{key} is not in the review page's Keyboard card"
        assert re.search(rf"^\| [^|]*`{re.escape(key)}`", docs, re.M), (
            f"{key} is not in docs/WEB.md's key table"
        )
