"""``tolmach speakers``: list a clip's speakers and name them, over an archive built by hand."""

from __future__ import annotations

from pathlib import Path

from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.cli import app
from tolmach.records import ClipInfo
from tolmach.subtitles import render

runner = CliRunner()


def tolmach(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_naming_speakers_shows_everywhere_and_is_kept_in_the_history(
    tmp_path: Path, archive_home: Path
) -> None:
    transcript = make_transcript(make_clip(tmp_path, "c.mp4", b"clip"))  # lines alternate S1, S2
    with Archive(archive_home) as archive:
        run = archive.save(transcript, ClipInfo(source="c.mp4"), {})
    short = transcript.media.sha256[:12]
    code, output = tolmach("speakers", short)
    assert code == 0, output
    assert "S1" in output and "S2" in output and "Мы стояли под Бахмутом" in output

    code, output = tolmach("speakers", short, "S1=Company   commander", "--author", "olena")
    assert code == 0, output
    assert "Company commander" in output
    with Archive(archive_home) as archive:
        segments = archive.transcript(run).segments
        history = archive.revisions(run, 1)
        txt = render("txt", archive.transcript(run))["txt"]
    assert [s.speaker for s in segments] == [
        "Company commander",
        "S2",
        "Company commander",
        "S2",
        "Company commander",
    ]
    assert (history[-1].field, history[-1].before, history[-1].after, history[-1].author) == (
        "speaker",
        "S1",
        "Company commander",
        "olena",
    )
    assert "] Company commander: Мы стояли под Бахмутом" in txt


def test_bad_names_are_refused_and_change_nothing(tmp_path: Path, archive_home: Path) -> None:
    transcript = make_transcript(make_clip(tmp_path, "c.mp4", b"clip"))
    with Archive(archive_home) as archive:
        run = archive.save(transcript, ClipInfo(source="c.mp4"), {})
    short = transcript.media.sha256[:12]
    code, output = tolmach("speakers", short, "S1")
    assert code == 2 and "is not LABEL=NAME" in output
    code, output = tolmach("speakers", short, "S9=Nobody")
    assert code == 2 and "no line is spoken by 'S9'" in output
    with Archive(archive_home) as archive:
        assert archive.revisions(run) == []
