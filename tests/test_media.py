"""tolmach.media against real ffmpeg: the committed sample, conversions of it, and broken files."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tolmach.errors import InputError, MediaToolError, OutputError
from tolmach.media import (
    SAMPLE_RATE,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    check_writable_dir,
    decode_audio,
    ingest,
    probe,
    sha256_file,
)
from tolmach.media import files as files_module
from tolmach.media.ffmpeg import input_url, run_ffmpeg, stderr_tail

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample-ru.mp4"
SAMPLE_MS = 32500  # make_sample.py: 0.5 s lead + three recordings + 0.6 s pauses, padded to 32.5 s
SPEECH_START_MS = 500

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def ffmpeg(*args: str | Path) -> None:
    run_ffmpeg([str(a) for a in args], what="test fixture")


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def no_audio_video(media: Path) -> Path:
    out = media / "silent-film.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=5", "-t", "1", "-c:v", "mpeg4", out)
    return out


@pytest.fixture(scope="session")
def still_image(media: Path) -> Path:
    out = media / "frame.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", out)
    return out


def _check_single_line(err: InputError, name: str, problem: str) -> None:
    assert name in err.message
    assert problem in err.message
    assert "\n" not in err.one_line()
    assert err.hint


# --- the sample -------------------------------------------------------------------------------------


def test_probe_sample() -> None:
    info = probe(SAMPLE)
    assert abs(info.duration_ms - SAMPLE_MS) <= 50
    assert info.sha256 == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert info.size == SAMPLE.stat().st_size < 1_000_000
    assert info.path == str(SAMPLE)
    assert "mp4" in info.container.split(",")
    (video,) = info.video_streams
    assert (video.codec, video.width, video.height, video.fps) == ("h264", 320, 180, 10.0)
    (audio,) = info.audio_streams
    assert (audio.codec, audio.channels, audio.sample_rate, audio.language) == ("aac", 1, 48000, "rus")


def test_sample_reference_files_agree_with_clip() -> None:
    lines = (DATA / "sample-ru.txt").read_text("utf-8").splitlines()
    rows = [r.split("\t") for r in (DATA / "sample-ru.tsv").read_text("utf-8").splitlines()[1:]]
    assert len(lines) == len(rows) == 3
    assert [r[3] for r in rows] == lines
    assert lines[0].startswith("Корреспондент")
    assert int(rows[0][1]) == SPEECH_START_MS
    assert int(rows[-1][2]) <= SAMPLE_MS
    assert "Nickolay V. Shmyrev" in (DATA / "COPYRIGHT.ru-read").read_text("utf-8")


def test_decode_sample_is_16k_mono_float32_in_range() -> None:
    audio = decode_audio(SAMPLE)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) * 1000 / SAMPLE_RATE - SAMPLE_MS) <= 50
    assert audio.min() >= -1.0 and audio.max() <= 1.0
    lead = audio[: SAMPLE_RATE * 4 // 10]  # the first 400 ms are the silence before the speech
    speech = audio[SAMPLE_RATE : SAMPLE_RATE * 16]
    assert rms(lead) < 0.005 < 0.03 < rms(speech)


def test_decode_other_sample_rate() -> None:
    audio = decode_audio(SAMPLE, sample_rate=8000)
    assert abs(len(audio) / 8000 * 1000 - SAMPLE_MS) <= 50


def test_ingest_returns_probe_and_audio() -> None:
    info, audio = ingest(SAMPLE)
    assert info == probe(SAMPLE)
    assert abs(len(audio) * 1000 // SAMPLE_RATE - info.duration_ms) <= 50


# --- every container ffmpeg reads ---------------------------------------------------------------------

CONVERSIONS = {
    "mp4": ["-c", "copy", "-movflags", "+faststart"],
    "mov": ["-c:v", "copy", "-c:a", "pcm_s16le"],
    "mkv": ["-c:v", "copy", "-c:a", "flac"],
    "webm": ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "40k", "-c:a", "libopus"],
    "ts": ["-c:v", "copy", "-c:a", "mp2"],
    "avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "mp3": ["-vn", "-c:a", "libmp3lame", "-b:a", "64k"],
    "ogg": ["-vn", "-c:a", "libvorbis"],
    "opus": ["-vn", "-c:a", "libopus", "-b:a", "24k"],
    "wav": ["-vn", "-c:a", "pcm_s16le", "-ac", "2", "-ar", "44100"],  # stereo 44.1k: downmix and resample
    "flac": ["-vn", "-c:a", "flac"],
    "m4a": ["-vn", "-c:a", "copy"],
}


@pytest.mark.parametrize("ext", sorted(CONVERSIONS))
def test_each_container_decodes(ext: str, media: Path) -> None:
    path = media / f"sample.{ext}"
    ffmpeg("-i", SAMPLE, *CONVERSIONS[ext], path)
    info = probe(path)
    assert abs(info.duration_ms - SAMPLE_MS) <= 150, info
    assert len(info.audio_streams) == 1
    audio = decode_audio(path)
    # Lossy codecs add or trim an encoder delay of a few dozen ms; the speech itself must stay in place.
    assert abs(len(audio) * 1000 / SAMPLE_RATE - SAMPLE_MS) <= 150
    assert rms(audio[: SAMPLE_RATE * 4 // 10]) < 0.01
    assert rms(audio[SAMPLE_RATE : SAMPLE_RATE * 16]) > 0.03


def test_second_audio_track(media: Path) -> None:
    path = media / "two-tracks.mkv"
    # Track 0 is silence, track 1 the speech: audio_index picks which one is decoded.
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-i", SAMPLE, "-map", "0:a", "-map", "1:a",
           "-t", "3", "-c:a", "flac", path)  # fmt: skip
    assert len(probe(path).audio_streams) == 2
    assert rms(decode_audio(path)) == 0.0
    assert rms(decode_audio(path, audio_index=1)) > 0.03
    with pytest.raises(InputError) as exc:
        decode_audio(path, audio_index=5)
    _check_single_line(exc.value, "two-tracks.mkv", "has no audio stream number 5")


def test_cover_art_is_not_a_video_stream(media: Path, still_image: Path) -> None:
    path = media / "with-cover.mp3"
    ffmpeg("-i", SAMPLE, "-i", still_image, "-map", "0:a", "-map", "1:v", "-t", "2", "-c:a", "libmp3lame",
           "-c:v", "png", "-disposition:v", "attached_pic", path)  # fmt: skip
    info = probe(path)
    assert info.video_streams == ()
    assert [s.kind for s in info.streams] == ["audio", "attachment"]


@pytest.mark.parametrize("name", ["-starts-with-dash.mp4", "http:not-a-url.mp4", "пробел и кириллица.mp4"])
def test_awkward_file_names_are_files(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copyfile(SAMPLE, tmp_path / name)
    monkeypatch.chdir(tmp_path)  # relative names, so ffmpeg would see them bare without the file: prefix
    assert probe(name).duration_ms == probe(SAMPLE).duration_ms
    assert len(decode_audio(name)) > 0


# --- bad input -----------------------------------------------------------------------------------------


def _both_fail(path: str | Path, problem: str) -> None:
    for read in (probe, decode_audio):
        with pytest.raises(InputError) as exc:
            read(path)
        _check_single_line(exc.value, str(path), problem)


def test_missing_file(tmp_path: Path) -> None:
    _both_fail(tmp_path / "clip.mp4", "clip.mp4: no such file")


def test_directory(tmp_path: Path) -> None:
    _both_fail(tmp_path, "is a folder, not a file")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").touch()
    _both_fail(tmp_path / "empty.mp4", "empty.mp4: is empty (0 bytes)")


def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mp4")
    _both_fail(tmp_path / "pipe.mp4", "pipe.mp4: is not a regular file")


def test_text_file_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "video.mp4"
    path.write_text("<html><body>404 Not Found</body></html>\n")
    _both_fail(path, "video.mp4: not an audio or video file ffmpeg can read")


def test_still_image(still_image: Path) -> None:
    _both_fail(still_image, "frame.png: is a still image, not an audio or video file")


def test_video_without_audio(no_audio_video: Path) -> None:
    _both_fail(no_audio_video, "silent-film.mp4: has no audio stream (video only)")


def test_truncated_mp4_without_moov(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()  # the sample keeps its index (moov) at the end, as phones write it
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    _both_fail(path, "cut.mp4: looks truncated or corrupt")


def test_truncated_faststart_mp4_decodes_what_is_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole = tmp_path / "whole.mp4"
    ffmpeg("-i", SAMPLE, "-c", "copy", "-movflags", "+faststart", whole)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="tolmach.media.audio"):
        info, audio = ingest(cut)
    assert info.duration_ms == probe(whole).duration_ms  # the index still claims the full length
    assert 2 * SAMPLE_RATE < len(audio) < SAMPLE_MS * SAMPLE_RATE // 1000
    assert "cut.mp4" in caplog.text and "truncated" in caplog.text


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.mp4"
    shutil.copyfile(SAMPLE, path)
    if os.geteuid() == 0:  # root reads anything: make open() refuse the way it would for a user
        real_open = open

        def refusing_open(file: object, *args: object, **kwargs: object) -> object:
            if str(file) == str(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr("builtins.open", refusing_open)
    else:
        path.chmod(0)
    _both_fail(path, "locked.mp4: cannot be read (permission denied)")


# --- ffmpeg itself ---------------------------------------------------------------------------------------


def test_missing_ffmpeg_is_a_media_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MediaToolError, match=r"^ffprobe: not found on PATH$"):
        probe(SAMPLE)
    with pytest.raises(MediaToolError, match=r"^ffmpeg: not found on PATH$"):
        decode_audio(SAMPLE)


def test_ffmpeg_failure_carries_stderr_tail(tmp_path: Path) -> None:
    with pytest.raises(MediaToolError) as exc:
        run_ffmpeg(["-i", input_url(SAMPLE), "-c:a", "no-such-codec", str(tmp_path / "x.mp4")], what="x.mp4")
    assert exc.value.message.startswith("x.mp4: ffmpeg failed: ")
    assert "no-such-codec" in exc.value.message
    assert "\n" not in exc.value.message


def test_stderr_tail_is_one_clean_line() -> None:
    stderr = "noise\n[mov,mp4,m4a @ 0x55d1c0a0] moov atom not found\n\nx.mp4: Invalid data found\n"
    assert stderr_tail(stderr) == "noise | moov atom not found | x.mp4: Invalid data found"
    assert len(stderr_tail("y" * 5000)) <= 303


def test_input_url_is_absolute_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert input_url("-a.mp4") == f"file:{tmp_path}/-a.mp4"


# --- files ---------------------------------------------------------------------------------------------


def test_sha256_file_reads_many_blocks(tmp_path: Path) -> None:
    data = np.random.default_rng(0).bytes(files_module.BLOCK_SIZE * 2 + 123)
    (tmp_path / "blob").write_bytes(data)
    assert sha256_file(tmp_path / "blob") == hashlib.sha256(data).hexdigest()


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "out.srt"
    atomic_write_text(path, "first\n")
    atomic_write_text(path, "второй\r\n")
    assert path.read_bytes() == "второй\r\n".encode()
    atomic_write_bytes(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["out.srt"]


def test_atomic_path_keeps_extension_and_renames(tmp_path: Path) -> None:
    final = tmp_path / "dub.mp4"
    with atomic_path(final) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp.name.startswith(".")
        assert not final.exists()
        ffmpeg("-i", SAMPLE, "-t", "1", "-c", "copy", tmp)  # ffmpeg picks the format from the extension
    assert probe(final).duration_ms > 0
    assert os.listdir(tmp_path) == ["dub.mp4"]


def test_atomic_path_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("good old output")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half of the new one")
        raise RuntimeError("stage crashed")
    assert path.read_text() == "good old output"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_disk_full_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.json"
    path.write_text("{}")

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(files_module.os, "write", full)
        with pytest.raises(OutputError) as exc:
            atomic_write_bytes(path, b"x" * 1000)
    assert exc.value.message == f"{path}: not written, the disk is full"
    assert "free some space" in exc.value.hint
    assert path.read_text() == "{}"
    assert os.listdir(tmp_path) == ["out.json"]


def test_disk_full_inside_atomic_path(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="disk is full"), atomic_path(tmp_path / "a.wav"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert os.listdir(tmp_path) == []


def test_check_writable_dir_creates_missing_folders(tmp_path: Path) -> None:
    out = tmp_path / "out" / "clip"
    assert check_writable_dir(out) == out
    assert out.is_dir() and os.listdir(out) == []


def test_check_writable_dir_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    with pytest.raises(OutputError) as exc:
        check_writable_dir(tmp_path / "out")
    assert exc.value.message == f"{tmp_path}/out/: not a folder"
    with pytest.raises(OutputError, match="cannot be created"):
        check_writable_dir(tmp_path / "out" / "sub")


def test_check_writable_dir_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: make file creation there fail as it would for a user
        real = os.open

        def refusing(p: object, *args: int, **kwargs: int) -> int:
            if Path(str(p)).parent == out:
                raise PermissionError(errno.EACCES, "Permission denied")
            return real(p, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(files_module.os, "open", refusing)
    else:
        out.chmod(0o555)
    with pytest.raises(OutputError) as exc:
        check_writable_dir(out)
    assert exc.value.message == f"{out}/: not writable (permission denied)"
