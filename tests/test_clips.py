"""open_clip: a file or an archive ID gives the clip's latest text, reviewed edits included."""

from __future__ import annotations

from pathlib import Path

import pytest
from records import make_clip, make_transcript

from tolmach.archive import Archive
from tolmach.clips import open_clip
from tolmach.errors import InputError
from tolmach.options import Options
from tolmach.records import ClipInfo


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Archive, Path, str]:
    clip = make_clip(tmp_path, "clip.mp4", b"not really a video, but stored as one")
    archive = Archive(tmp_path / "home")
    run_id = archive.save(make_transcript(clip), ClipInfo(source=str(clip)), {"k": 1})
    return archive, clip, run_id


def test_an_id_gives_the_stored_run_and_the_archive_copy(stored: tuple[Archive, Path, str]) -> None:
    archive, clip, run_id = stored
    opened = open_clip(run_id[:8], Options(), archive)
    assert opened.run_id == run_id
    assert opened.stem == "clip"
    assert opened.media.read_bytes() == clip.read_bytes()
    assert opened.media != clip  # the archive's own copy: the user's file may have moved since
    assert opened.transcript.segments[0].translation == "We stood near Bakhmut for three weeks."
    assert not opened.reviewed


def test_a_stored_file_gives_its_reviewed_text(stored: tuple[Archive, Path, str]) -> None:
    archive, clip, run_id = stored
    # edited first: an edit after the mark would take the mark away
    archive.edit(run_id, 1, "translation", "We held the line near Bakhmut for three weeks.", "Olena")
    for seg in archive.transcript(run_id).segments:
        archive.edit(run_id, seg.id, "reviewed", "1", "Olena")
    opened = open_clip(str(clip), Options(), archive)
    assert opened.media == clip
    assert opened.run_id == run_id
    assert opened.transcript.segments[0].translation == "We held the line near Bakhmut for three weeks."
    assert opened.reviewed and opened.transcript.reviewer == "Olena"


def test_a_stored_file_under_another_name_is_named_as_given(
    stored: tuple[Archive, Path, str], tmp_path: Path
) -> None:
    archive, clip, run_id = stored
    renamed = make_clip(tmp_path, "renamed.mp4", clip.read_bytes())
    opened = open_clip(str(renamed), Options(), archive)
    assert (opened.run_id, opened.stem, opened.media) == (run_id, "renamed", renamed)
    assert opened.transcript.media.path == str(renamed)  # not the clip.mp4 the archive first met
    assert archive.transcript(run_id).media.path == str(clip)  # the archive's record is its own


def test_an_id_without_the_archive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'3636ce09' is not a file"):
        open_clip("3636ce09", Options(), None)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        open_clip(str(tmp_path / "gone.mp4"), Options(), Archive(tmp_path / "home"))


def test_an_unknown_id_is_named(stored: tuple[Archive, Path, str]) -> None:
    archive, _, _ = stored
    with pytest.raises(InputError, match="no clip or run with ID ffff0000"):
        open_clip("ffff0000", Options(), archive)


@pytest.mark.slow
def test_a_new_file_is_translated_and_stored(sample: Path, tmp_path: Path) -> None:
    archive = Archive(tmp_path / "home")
    options = Options(lang="ru", beam_size=1, speakers="1", entities=False)
    opened = open_clip(str(sample), options, archive)
    assert opened.transcript.segments and opened.run_id is not None
    assert archive.current_run(opened.transcript.media.sha256) == opened.run_id
    again = open_clip(str(sample), options, archive)  # now stored: no second decoding
    assert (
        again.run_id == opened.run_id
        and again.transcript.segments == archive.transcript(opened.run_id).segments
    )
