"""Two-step sign-off: every line reviewed by a translator, then approved by a second person; any later
change withdraws the approval, and every label follows. Real SQLite, hand-built transcripts: exact."""

from __future__ import annotations

import re

import pytest

from tolmach.archive import Archive
from tolmach.errors import InputError, OptionsError
from tolmach.publish import build_manifest, build_thread, quotes_html, quotes_markdown
from tolmach.records import ClipInfo
from tolmach.subtitles import render

SIGNED = "Translated by olena, approved by Ivan Petrenko"


def review_all(archive: Archive, run: str, who: str = "olena") -> None:
    for s in archive.segments(run):
        archive.edit_line(run, s.id, {"reviewed": "1"}, who)


def published(archive: Archive, run: str) -> dict[str, str]:
    """The label of every kind of output made from the run as it stands."""
    t = archive.transcript(run)
    files = {name: text for kind in ("txt", "json", "ass") for name, text in render(kind, t).items()}
    info = ClipInfo(source="x")
    manifest = build_manifest(t, info, {}, archive.edits(run), reviewer=t.reviewer)
    return {
        "txt": re.search(r"translation: (.*)", files["txt"]).group(1),
        "json": files["json"],
        "ass": files["ass"],
        "thread": build_thread(t, info, reviewer=t.reviewer)[-1],
        "quotes.md": quotes_markdown(t, info, reviewer=t.reviewer),
        "quotes.html": quotes_html(t, info, reviewer=t.reviewer),
        "manifest": f"{manifest['label']} | {manifest.get('approver')}",
    }


def test_approval_needs_every_line_reviewed_and_a_second_person(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    with pytest.raises(InputError, match="5 of 5 lines are not reviewed yet"):
        archive.approve(run, "Ivan Petrenko")
    review_all(archive, run)
    with pytest.raises(
        OptionsError, match="olena reviewed lines of this clip: the approval must come from someone else"
    ):
        archive.approve(run, " Olena ")
    with pytest.raises(OptionsError, match="needs a name"):
        archive.approve(run, "  ")
    assert archive.review_state(run).approver is None
    approval = archive.approve(run, "Ivan  Petrenko")
    assert (approval.approver, approval.standing, approval.withdrawn) == ("Ivan Petrenko", True, "")
    assert archive.approve(run, "Ivan Petrenko") == approval  # approving again changes nothing
    state = archive.review_state(run)
    assert (state.reviewer, state.approver) == ("olena", "Ivan Petrenko")
    labels = published(archive, run)
    assert labels["txt"] == SIGNED and labels["manifest"] == f"{SIGNED} | Ivan Petrenko"
    assert f'"translation": "{SIGNED}"' in labels["json"] and '"approver": "Ivan Petrenko"' in labels["json"]
    for name in ("ass", "thread", "quotes.md", "quotes.html"):
        assert SIGNED in labels[name], name


def test_a_change_after_approval_withdraws_it(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    review_all(archive, run)
    archive.approve(run, "Ivan Petrenko")
    archive.edit_line(run, 2, {"speaker": "S7"}, "olena")  # not even what it says: still a change
    state = archive.review_state(run)
    assert state.approver is None and state.reviewer == "olena"
    assert re.fullmatch(r"withdrawn by a later change: line 2's speaker by olena at \S+Z", state.withdrawn)
    assert published(archive, run)["txt"] == "Reviewed by olena"
    assert published(archive, run)["manifest"] == "Reviewed by olena | None"
    archive.approve(run, "Ivan Petrenko")
    archive.split_line(run, 4, 10000, "olena", text_at=4)
    state = archive.review_state(run)
    assert state.approver is None and state.reviewer is None  # the split halves are not reviewed
    assert state.withdrawn.startswith("withdrawn by a later change: a split of line 4 by olena at ")
    assert published(archive, run)["txt"].startswith("Machine translation")


def test_the_approver_can_withdraw_it(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    with pytest.raises(InputError, match="no approval standing"):
        archive.withdraw_approval(run, "Ivan Petrenko")
    review_all(archive, run)
    archive.approve(run, "Ivan Petrenko")
    gone = archive.withdraw_approval(run, "Ivan Petrenko")
    assert not gone.standing and re.fullmatch(r"withdrawn by Ivan Petrenko at \S+Z", gone.withdrawn)
    assert archive.review_state(run).approver is None
    assert archive.approve(run, "Maria").standing and archive.review_state(run).approver == "Maria"
