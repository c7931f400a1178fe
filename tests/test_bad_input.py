"""Every way a user can hand tolmach something unusable, through the real CLI, ffmpeg and model.

Each must end in one line on stderr that names the file (or option) and the problem, with a hint, a
non-zero exit code from ``tolmach.errors``, and no output left behind: not a file, not a hidden temp
file. Audio with no speech in it is not an error: it gives zero lines and the files are still written.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pysubs2
import pytest
from typer.testing import CliRunner

from tolmach.cli import app
from tolmach.errors import InputError, ModelError, OptionsError, OutputError
from tolmach.media.ffmpeg import run_ffmpeg
from tolmach.media.ledger import LEDGER
from tolmach.options import Options
from tolmach.pipeline import write_outputs
from tolmach.records import MediaInfo, ModelInfo, Segment, Stream, Transcript
from tolmach.subtitles.formats import LABEL_TRANSCRIPT, LABEL_TRANSLATION

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

runner = CliRunner()


def ffmpeg(*args: str | Path) -> None:
    run_ffmpeg(["-v", "error", *(str(a) for a in args)], what="test fixture")


def tree(folder: Path) -> set[str]:
    """Every file and folder under ``folder``, hidden ones included, relative to it."""
    found = set()
    for root, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            found.add(os.path.relpath(os.path.join(root, name), folder))
    return found


def error_line(stderr: str) -> str:
    """The one non-empty line of stderr; fails when there are more (a traceback, a second message)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr}"
    return lines[0]


def translate(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["translate", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


# -- bad sources ------------------------------------------------------------------------------------


def _missing(folder: Path) -> Path:
    return folder / "missing.mp4"


def _directory(folder: Path) -> Path:
    (folder / "clips").mkdir()
    return folder / "clips"


def _empty(folder: Path) -> Path:
    (folder / "empty.mp4").touch()
    return folder / "empty.mp4"


def _text(folder: Path) -> Path:
    path = folder / "page.mp4"
    path.write_text("<html><body>Video removed</body></html>\n", encoding="utf-8")
    return path


def _truncated(folder: Path) -> Path:
    data = (Path(__file__).parent / "data" / "sample-ru.mp4").read_bytes()
    path = folder / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


def _no_audio(folder: Path) -> Path:
    path = folder / "silent-film.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", "-c:v", "mpeg4", path)
    return path


BAD_SOURCES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (_missing, "no such file"),
    "directory": (_directory, "is a folder, not a file"),
    "empty": (_empty, "is empty (0 bytes)"),
    "text named .mp4": (_text, "not an audio or video file ffmpeg can read"),
    "truncated mp4": (_truncated, "looks truncated or corrupt"),
    "video without audio": (_no_audio, "has no audio stream"),
}


@pytest.mark.parametrize("case", BAD_SOURCES)
def test_bad_source_is_one_line_naming_file_and_problem_and_writes_nothing(case: str, tmp_path: Path) -> None:
    make, problem = BAD_SOURCES[case]
    source = make(tmp_path)
    before = tree(tmp_path)

    code, stdout, stderr = translate(source)  # outputs would go beside the source, into tmp_path

    assert code == InputError.exit_code == 2
    line = error_line(stderr)
    assert f"{source}: {problem}" in line
    assert "(hint: " in line
    assert stdout == ""  # no summary: nothing was done
    assert tree(tmp_path) == before


def test_bad_source_with_output_folder_leaves_it_empty(tmp_path: Path) -> None:
    source = _truncated(tmp_path)
    out = tmp_path / "out"

    code, _, stderr = translate(source, "-o", out)

    assert code == InputError.exit_code
    assert "looks truncated or corrupt" in error_line(stderr)
    assert tree(tmp_path) - {"out"} == {"cut.mp4"}
    assert not out.exists() or tree(out) == set()


# -- bad options --------------------------------------------------------------------------------------


@pytest.fixture
def clip(tmp_path: Path, sample: Path) -> Path:
    target = tmp_path / "clip.mp4"
    shutil.copyfile(sample, target)
    return target


def test_unknown_language_code(clip: Path, tmp_path: Path) -> None:
    code, stdout, stderr = translate(clip, "--lang", "xx")

    assert code == OptionsError.exit_code == 2
    line = error_line(stderr)
    assert "unknown language code 'xx'" in line
    assert "'tolmach languages'" in line  # the hint says where the codes are
    assert stdout == ""
    assert tree(tmp_path) == {"clip.mp4"}


def test_unknown_output_format(clip: Path, tmp_path: Path) -> None:
    code, _, stderr = translate(clip, "--formats", "srt,docx", "-o", tmp_path / "out")

    assert code == OptionsError.exit_code
    line = error_line(stderr)
    assert "unknown output format 'docx'" in line
    assert "srt,vtt,ass,json,txt" in line
    assert tree(tmp_path) == {"clip.mp4"}


def test_output_folder_under_a_regular_file(clip: Path, tmp_path: Path) -> None:
    # Tests run as root, which chmod does not stop; a path through a regular file stops everyone.
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder\n", encoding="utf-8")
    out = blocker / "out"

    code, stdout, stderr = translate(clip, "-o", out)

    assert code == OutputError.exit_code == 5
    line = error_line(stderr)
    assert f"{out}/: cannot be created" in line
    assert "(hint: " in line
    assert stdout == ""
    assert tree(tmp_path) == {"clip.mp4", "file.txt"}
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


def test_output_folder_that_is_a_regular_file(clip: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder\n", encoding="utf-8")

    code, _, stderr = translate(clip, "-o", blocker)

    assert code == OutputError.exit_code
    assert f"{blocker}/: not a folder" in error_line(stderr)
    assert tree(tmp_path) == {"clip.mp4", "file.txt"}


def test_incomplete_model_folder(clip: Path, tmp_path: Path) -> None:
    model = tmp_path / "x"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")

    code, stdout, stderr = translate(clip, "--model", model)

    assert code == ModelError.exit_code == 4
    line = error_line(stderr)
    assert f"{model}: incomplete model folder, missing model.bin" in line
    assert "(hint: " in line
    assert stdout == ""
    assert tree(tmp_path) == {"clip.mp4", "x", "x/config.json"}  # nothing written into it either


def test_model_that_was_never_pulled(clip: Path, tmp_path: Path) -> None:
    code, _, stderr = translate(clip, "--model", "small")

    assert code == ModelError.exit_code
    line = error_line(stderr)
    assert "model 'small' is not installed" in line
    assert "tolmach models pull" in line
    assert tree(tmp_path) == {"clip.mp4"}


# -- a full disk, through the library -------------------------------------------------------------


def small_transcript(source: Path) -> Transcript:
    return Transcript(
        media=MediaInfo(
            str(source), "ab" * 32, 1000, 8000, "mov,mp4,m4a,3gp,3g2,mj2", (Stream(0, "audio", "aac"),)
        ),
        language="ru",
        language_probability=0.9,
        language_forced=False,
        model=ModelInfo("base", "/models/base", "cd" * 32),
        segments=(
            Segment(1, 500, 2500, "Связи нет уже третий день.", "No contact for the third day now."),
            Segment(2, 3000, 5000, "Позывной «Гром» на связи.", "Call sign Thunder on the line."),
        ),
        options=Options().as_dict(),
        tool_version="0.1.0",
    )


DEFAULT_OUTPUTS = {"clip.ru.srt", "clip.en.srt", "clip.ru.vtt", "clip.en.vtt", "clip.json", "clip.txt"}


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _is_temp(path: str) -> bool:
    return ".tmp-" in os.path.basename(path)


def test_write_outputs_writes_every_default_file(tmp_path: Path) -> None:
    # The baseline for the disk-full cases below: with room on the disk, all six files appear.
    files = write_outputs(small_transcript(tmp_path / "clip.mp4"), Options(), tmp_path / "out")

    assert {p.name for p in files} == DEFAULT_OUTPUTS
    assert tree(tmp_path / "out") == DEFAULT_OUTPUTS | {LEDGER}  # and the record of what tolmach wrote


def test_disk_full_when_creating_a_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    real_open, created = os.open, []

    def full_on_third(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if _is_temp(os.fspath(path)) and flags & os.O_CREAT:
            created.append(path)
            if len(created) == 3:
                raise _enospc()
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full_on_third)
    with pytest.raises(OutputError) as caught:
        write_outputs(small_transcript(tmp_path / "clip.mp4"), Options(), out)
    monkeypatch.undo()

    assert len(created) == 3  # two temp files existed when the third failed
    assert "not written, the disk is full" in caught.value.message
    assert str(out) in caught.value.message
    assert caught.value.hint
    assert tree(out) == set()


def test_disk_full_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    real_write_bytes, calls = Path.write_bytes, []

    def full_on_fourth(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 4:
            real_write_bytes(self, data[: len(data) // 2])
            raise _enospc()
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_on_fourth)
    with pytest.raises(OutputError) as caught:
        write_outputs(small_transcript(tmp_path / "clip.mp4"), Options(), out)
    monkeypatch.undo()

    assert len(calls) == 4
    assert "the disk is full" in caught.value.one_line()
    assert tree(out) == set()


def test_disk_full_when_syncing_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ENOSPC (or EIO) from fsync is how delayed allocation and network shares report a full disk.
    out = tmp_path / "out"
    real_fsync, synced = os.fsync, []

    def full_on_second(fd: int) -> None:
        if _is_temp(os.readlink(f"/proc/self/fd/{fd}")):
            synced.append(fd)
            if len(synced) == 2:
                raise _enospc()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_on_second)
    with pytest.raises(OutputError) as caught:
        write_outputs(small_transcript(tmp_path / "clip.mp4"), Options(), out)
    monkeypatch.undo()

    assert "the disk is full" in caught.value.message
    assert tree(out) == set()


# -- no speech ------------------------------------------------------------------------------------------

NO_SPEECH = {
    "silence": ["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "60"],
    "noise": ["-f", "lavfi", "-i", "anoisesrc=d=60:c=pink:r=16000:a=0.5"],
    # a major chord with a slow tremolo: a stand-in for music without singing
    "tones": [
        "-f", "lavfi", "-i",
        "aevalsrc=0.2*(sin(2*PI*262*t)+sin(2*PI*330*t)+sin(2*PI*392*t))*(0.6+0.4*sin(2*PI*2*t)):s=16000:d=60",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def no_speech_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[int, str, str, Path]]]:
    """60 s of each kind of non-speech, translated once: {kind: (exit code, stdout, stderr, out folder)}."""
    runs = {}
    for kind, args in NO_SPEECH.items():
        folder = tmp_path_factory.mktemp(kind)
        source = folder / f"{kind}.m4a"
        ffmpeg(*args, "-c:a", "aac", source)
        out = folder / "out"
        runs[kind] = (*translate(source, "-o", out), out)
    yield runs


@pytest.mark.parametrize("kind", NO_SPEECH)
def test_no_speech_gives_zero_lines_and_still_writes_files(
    kind: str, no_speech_runs: dict[str, tuple[int, str, str, Path]]
) -> None:
    code, stdout, stderr, out = no_speech_runs[kind]

    assert code == 0, stderr
    names = tree(out) - {LEDGER}
    assert f"{kind}.json" in names
    assert f"{kind}.txt" in names
    assert {n.rsplit(".", 1)[-1] for n in names} == {"srt", "vtt", "json", "txt"}
    assert not [n for n in names if n.startswith(".")]  # no temp file left behind
    data = json.loads((out / f"{kind}.json").read_text(encoding="utf-8"))
    assert data["segments"] == []
    assert "no speech found" in data["warnings"]
    assert "no speech found" in stderr
    for name in names:
        if name.endswith((".srt", ".vtt")):
            subs = pysubs2.load(str(out / name))
            # nothing but the machine-output label: no invented line over the non-speech
            assert {e.plaintext for e in subs} <= {LABEL_TRANSCRIPT, LABEL_TRANSLATION}
    assert "doubtful:    0 of 0 lines" in (out / f"{kind}.txt").read_text(encoding="utf-8")
    assert f"{kind}.m4a" in stdout  # the summary still reports the clip


def test_no_speech_output_names_have_a_language_part(
    no_speech_runs: dict[str, tuple[int, str, str, Path]],
) -> None:
    _, stdout, _, out = no_speech_runs["silence"]

    names = tree(out) - {LEDGER}
    assert not [n for n in names if ".." in n], sorted(names)
    assert " (0%)" not in stdout
