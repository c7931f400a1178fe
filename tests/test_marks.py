"""A reviewer's marks and comments on a line: [unclear] and *inaudible* in every export in the
conventional forms, comments kept in the archive and exported only in the quote sheet, when asked.
Real SQLite, hand-built clip."""

from __future__ import annotations

import pytest
from records import LINES

from tolmach.archive import Archive
from tolmach.errors import OptionsError
from tolmach.publish import build_manifest, build_thread, line_sha256, quotes_markdown
from tolmach.records import ClipInfo
from tolmach.subtitles import render

COMMENT = "ask Ivan: is it «роты» or «работы»?"


def exports(archive: Archive, run: str) -> str:
    """Everything a reader can get: every subtitle and text format, the thread, the quote sheet."""
    t = archive.transcript(run)
    files = [text for kind in ("srt", "vtt", "ass", "txt", "json") for text in render(kind, t).values()]
    files += [*build_thread(t, ClipInfo(source="x")), quotes_markdown(t, ClipInfo(source="x"))]
    return "\n".join(files)


def test_marks_show_in_every_export_and_the_archive_keeps_the_text(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.edit_line(run, 2, {"mark": "unclear", "comment": COMMENT}, "olena")
    archive.edit_line(run, 5, {"mark": "inaudible"}, "olena")
    out = exports(archive, run)
    assert "The company commander said it was quiet in Bakhmut. [unclear]" in out
    assert "Командир роты сказал, что в Бахмуте тихо. [unclear]" in out
    assert "*inaudible*" in out and "Damn, shelling again." not in out and "опять обстрел" not in out
    assert "ask Ivan" not in out and "comment" not in render("json", archive.transcript(run))["json"]
    line = archive.segments(run)[1]
    assert (line.text, line.mark, line.comment) == (LINES[1][0], "unclear", COMMENT)  # as typed
    t = archive.transcript(run)
    manifest = build_manifest(t, ClipInfo(source="x"), {}, archive.edits(run))
    assert manifest["segments"][4]["translation_sha256"] == line_sha256("*inaudible*")
    archive.edit_line(run, 5, {"mark": ""}, "olena")
    assert "Damn, shelling again." in exports(archive, run)


def test_a_mark_is_a_change_of_what_is_published_and_a_comment_is_not(stored: tuple[Archive, str]) -> None:
    archive, run = stored
    archive.edit_line(run, 1, {"reviewed": "1"}, "olena")
    archive.edit_line(run, 1, {"comment": "checked twice"}, "olena")
    assert archive.segments(run)[0].reviewed
    archive.edit_line(run, 1, {"mark": "unclear"}, "olena")
    assert not archive.segments(run)[0].reviewed  # the reviewer checked the line as it was published
    assert [r.field for r in archive.revisions(run, 1)][-3:] == ["comment", "mark", "reviewed"]
    with pytest.raises(OptionsError, match="'garbled' is not a mark"):
        archive.edit_line(run, 1, {"mark": "garbled"}, "olena")


def test_a_comment_reaches_the_quote_sheet_only_when_the_notes_are_asked_for(
    stored: tuple[Archive, str],
) -> None:
    from tolmach.publish import quotes_html

    archive, run = stored
    archive.edit_line(run, 2, {"comment": "<b>ask</b> Ivan"}, "olena")
    t = archive.transcript(run)
    assert "ask" not in quotes_markdown(t, ClipInfo(source="x")) + quotes_html(t, ClipInfo(source="x"))
    sheet = quotes_markdown(t, ClipInfo(source="x"), include_notes=True)
    assert r"- **Team comment:** \<b\>ask\</b\> Ivan" in sheet  # Markdown-escaped
    page = quotes_html(t, ClipInfo(source="x"), include_notes=True)
    assert '<p class="comment">Team comment: &lt;b&gt;ask&lt;/b&gt; Ivan</p>' in page
