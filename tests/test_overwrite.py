"""No silent overwrites: a file tolmach did not write, or one a person changed since, is kept unless
``--force``; two inputs never write one file; an output name too long for the folder fails at once.

The sample clip is decoded once (into a module archive); every translate after that reuses the stored
run, so the tests run the real CLI without decoding again. Where a test says "before decoding", the
pipeline's ingest is replaced by one that fails the test if it is ever called.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach import pipeline
from tolmach.archive import Archive
from tolmach.cli import app
from tolmach.errors import ConflictError, OutputError
from tolmach.media.ledger import HINT_FORCE, LEDGER
from tolmach.options import Options
from tolmach.records import ClipInfo

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

runner = CliRunner()
OUTPUTS = {"clip.ru.srt", "clip.en.srt", "clip.ru.vtt", "clip.en.vtt", "clip.json", "clip.txt"}
HAND_EDIT = b"1\n00:00:00,000 --> 00:00:02,000\nMy own careful translation.\n"


def tolmach(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]  # a progress bar leaves a blank one


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def decoded(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the clip, an archive holding its run): the one decode of this file."""
    clip = tmp_path_factory.mktemp("src") / "clip.mp4"
    shutil.copyfile(sample, clip)
    home = tmp_path_factory.mktemp("archive")
    code, _, stderr = tolmach("translate", clip, "-o", tmp_path_factory.mktemp("first"), "--home", home, "-q")
    assert code == 0, stderr
    return clip, home


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the clip was decoded")

    monkeypatch.setattr(pipeline, "ingest", refuse)
    monkeypatch.setattr(pipeline, "sha256_file", refuse)  # not even hashed


def test_unchanged_outputs_are_replaced_silently_and_recorded_by_name(
    decoded: tuple[Path, Path], tmp_path: Path
) -> None:
    clip, home = decoded
    for _ in range(2):
        code, _, stderr = tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")
        assert code == 0, stderr
        assert stderr == ""
    assert set(os.listdir(tmp_path)) == OUTPUTS | {LEDGER}
    record = json.loads((tmp_path / LEDGER).read_text(encoding="utf-8"))
    files = digests(tmp_path)
    del files[LEDGER]
    assert record == {"schema": "tolmach.written/1", "files": files}  # names only, the hashes of the bytes
    assert str(tmp_path) not in (tmp_path / LEDGER).read_text(encoding="utf-8")


def test_a_hand_edited_subtitle_is_kept_and_force_replaces_it(
    decoded: tuple[Path, Path], tmp_path: Path
) -> None:
    clip, home = decoded
    assert tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")[0] == 0
    written = (tmp_path / "clip.en.srt").read_bytes()
    (tmp_path / "clip.en.srt").write_bytes(HAND_EDIT)
    before = digests(tmp_path)

    code, stdout, stderr = tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")

    assert code == ConflictError.exit_code == 7
    target = tmp_path / "clip.en.srt"
    assert lines(stderr) == [
        f"skipped {clip}: {target}: not replaced, it changed since tolmach wrote it (hint: {HINT_FORCE})"
    ]
    assert stdout == ""
    assert digests(tmp_path) == before  # the edit byte for byte, and no other file touched

    code, _, stderr = tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q", "--force")

    assert code == 0, stderr
    assert target.read_bytes() == written
    assert tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")[0] == 0  # tolmach's again


def test_a_file_tolmach_did_not_write_is_refused_before_decoding(
    sample: Path, tmp_path: Path, no_decoding: None
) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(sample, clip)
    out = tmp_path / "out"
    out.mkdir()
    (out / "clip.json").write_bytes(b'{"mine": true}\n')

    code, _, stderr = tolmach("translate", clip, "-o", out, "--no-archive")

    assert code == ConflictError.exit_code
    assert lines(stderr) == [
        f"skipped {clip}: {out / 'clip.json'}: not replaced, tolmach did not write it (hint: {HINT_FORCE})"
    ]
    assert os.listdir(out) == ["clip.json"]
    assert (out / "clip.json").read_bytes() == b'{"mine": true}\n'


def test_an_original_track_of_any_language_is_checked_before_the_language_is_known(
    sample: Path, tmp_path: Path, no_decoding: None
) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(sample, clip)
    (tmp_path / "clip.uk.vtt").write_text("WEBVTT\n", encoding="utf-8")

    code, _, stderr = tolmach("translate", clip, "--no-archive")

    assert code == ConflictError.exit_code
    assert f"{tmp_path / 'clip.uk.vtt'}: not replaced, tolmach did not write it" in stderr
    # with the language given, a file of another language is not in the way (and is left alone)
    assert pipeline.planned_outputs(Options(lang="ru").validate(), tmp_path, "clip") == [
        tmp_path / f"clip.{s}" for s in ("ru.srt", "en.srt", "ru.vtt", "en.vtt", "json", "txt")
    ]


@pytest.mark.parametrize("layout", ["two folders into one", "side by side"])
def test_two_inputs_with_one_name_are_refused_before_decoding(
    sample: Path, tmp_path: Path, no_decoding: None, layout: str
) -> None:
    if layout == "side by side":
        first, second, out = tmp_path / "clip.mp4", tmp_path / "clip.wav", None
    else:
        first, second, out = tmp_path / "a" / "clip.mp4", tmp_path / "b" / "clip.mp4", tmp_path / "out"
    for path in (first, second):
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(sample, path)
    before = sorted(tmp_path.rglob("*"))

    code, stdout, stderr = tolmach("translate", first, second, *(["-o", out] if out else []))

    assert code == ConflictError.exit_code
    folder = (out or tmp_path).resolve()
    assert lines(stderr) == [
        f"error: {first} and {second} would both write {folder / 'clip'}.*: the second would replace "
        "the first's outputs (hint: translate them into different folders with -o, or rename one)"
    ]
    assert stdout == ""
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, not even the folder


def test_a_name_too_long_for_its_outputs_fails_at_once(
    sample: Path, tmp_path: Path, no_decoding: None
) -> None:
    stem = "x" * 250
    clip = tmp_path / f"{stem}.mp4"  # 254 bytes: a legal name, but clip.en.srt would be 257
    assert os.pathconf(tmp_path, "PC_NAME_MAX") == 255
    shutil.copyfile(sample, clip)

    code, _, stderr = tolmach("translate", clip, "-q")

    assert code == OutputError.exit_code == 5
    assert lines(stderr) == [
        f"skipped {clip}: {stem}.en.srt: this output's name is 257 bytes, longer than the 255 bytes a "
        f"file name may have in {tmp_path} (hint: rename the clip (or document) to a shorter name; its "
        "outputs add a suffix such as '.en.srt' to it)"
    ]
    assert os.listdir(tmp_path) == [clip.name]


def test_a_later_input_never_replaces_what_an_earlier_one_wrote(
    decoded: tuple[Path, Path], tmp_path: Path
) -> None:
    clip, home = decoded
    first = tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")
    assert first[0] == 0
    taken = dict.fromkeys(sorted(tmp_path / n for n in OUTPUTS), "the first input")
    with Archive(home) as archive, pytest.raises(ConflictError) as raised:
        pipeline.translate_to_files(clip, Options(), tmp_path, archive=archive, taken=taken)
    said = "already written for the first input in this run; two inputs would write one file"
    assert raised.value.message == f"{tmp_path / 'clip.en.srt'}: {said}"


# -- publish -o, export -o and batch -o --------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path: Path, archive_home: Path) -> str:
    """A clip filed by hand in the test's archive: its short ID."""
    clip = make_clip(tmp_path, "clip.mp4", b"the bytes of a clip")
    with Archive(archive_home) as archive:
        archive.save(make_transcript(clip), ClipInfo(source=str(clip), title="Trench"), {"k": 1})
    return make_transcript(clip).media.sha256[:12]


def test_publish_keeps_a_foreign_file_until_force(stored: str, tmp_path: Path) -> None:
    out = tmp_path / "press"
    out.mkdir()
    (out / "clip.thread.txt").write_text("my own thread\n", encoding="utf-8")

    code, _, stderr = tolmach("publish", stored, "--thread", "--quotes", "-o", out)

    assert code == ConflictError.exit_code
    assert stderr.strip() == (
        f"error: {out / 'clip.thread.txt'}: not replaced, tolmach did not write it (hint: {HINT_FORCE})"
    )
    assert os.listdir(out) == ["clip.thread.txt"]  # the quote sheet was not written either
    assert (out / "clip.thread.txt").read_text(encoding="utf-8") == "my own thread\n"

    assert tolmach("publish", stored, "--thread", "--quotes", "-o", out, "--force")[0] == 0
    assert tolmach("publish", stored, "--thread", "--quotes", "-o", out)[0] == 0  # tolmach's now
    assert set(os.listdir(out)) == {"clip.thread.txt", "clip.quotes.md", "clip.quotes.html", LEDGER}


def test_export_keeps_a_foreign_file_until_force(stored: str, tmp_path: Path) -> None:
    target = tmp_path / "mine.srt"
    target.write_bytes(HAND_EDIT)

    code, _, stderr = tolmach("export", stored, "-o", target)

    assert code == ConflictError.exit_code
    assert stderr.strip() == f"error: {target}: not replaced, tolmach did not write it (hint: {HINT_FORCE})"
    assert target.read_bytes() == HAND_EDIT

    assert tolmach("export", stored, "-o", target, "--force")[0] == 0
    exported = target.read_bytes()
    assert exported != HAND_EDIT
    assert tolmach("export", stored, "-o", target)[0] == 0  # unchanged since: replaced as before
    assert target.read_bytes() == exported
    target.write_bytes(exported + b"\n")
    assert tolmach("export", stored, "-o", target)[0] == ConflictError.exit_code  # changed since


def test_batch_fails_the_clip_whose_output_is_foreign_before_decoding(
    decoded: tuple[Path, Path], tmp_path: Path, no_decoding: None
) -> None:
    clip, home = decoded
    (tmp_path / "clip.en.srt").write_bytes(HAND_EDIT)

    code, _, stderr = tolmach("batch", clip, "-o", tmp_path, "--home", home, "-q")

    assert code == 1
    assert f"{tmp_path / 'clip.en.srt'}: not replaced, tolmach did not write it (hint: {HINT_FORCE})" in (
        " ".join(stderr.split())
    )
    assert os.listdir(tmp_path) == ["clip.en.srt"]
    assert (tmp_path / "clip.en.srt").read_bytes() == HAND_EDIT

    code, _, stderr = tolmach("batch", clip, "-o", tmp_path, "--home", home, "-q", "--force")
    assert code == 0, stderr
    assert set(os.listdir(tmp_path)) == OUTPUTS | {LEDGER}


def test_an_unreadable_record_keeps_every_file(decoded: tuple[Path, Path], tmp_path: Path) -> None:
    clip, home = decoded
    assert tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")[0] == 0
    (tmp_path / LEDGER).write_text("{not json", encoding="utf-8")

    code, _, stderr = tolmach("translate", clip, "-o", tmp_path, "--home", home, "-q")

    assert code == ConflictError.exit_code
    assert "not replaced, tolmach did not write it" in stderr


def test_render_and_dub_keep_a_foreign_file_before_any_work(
    sample: Path, stored: str, tmp_path: Path, no_decoding: None
) -> None:
    video = tmp_path / "mine.mp4"
    video.write_bytes(b"my own edit")
    code, _, stderr = tolmach("render", stored, "--soft", "-o", video)
    assert code == ConflictError.exit_code
    assert lines(stderr) == [f"error: {video}: not replaced, tolmach did not write it (hint: {HINT_FORCE})"]
    assert video.read_bytes() == b"my own edit"

    clip = tmp_path / "clip.mp4"
    shutil.copyfile(sample, clip)
    (tmp_path / "clip.dub.json").write_text("{}\n", encoding="utf-8")
    code, _, stderr = tolmach("dub", clip, "-q")
    assert code == ConflictError.exit_code
    assert lines(stderr) == [
        f"skipped {clip}: {tmp_path / 'clip.dub.json'}: not replaced, tolmach did not write it "
        f"(hint: {HINT_FORCE})"
    ]
    assert sorted(os.listdir(tmp_path)) == ["clip.dub.json", "clip.mp4", "mine.mp4"]
