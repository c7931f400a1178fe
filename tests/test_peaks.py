"""Waveform peaks (media/peaks.py, docs/FORMATS.md "Waveform peaks") against real ffmpeg, and the API
that serves them.

Inputs are made here with ffmpeg: a 16 kHz mono WAV, whose samples are read back with ``wave`` so that
every expected peak is computed from the very samples ffmpeg decodes (no resampling in between), and
the committed sample clip (AAC in MP4, with video) for a real recording.
"""

from __future__ import annotations

import logging
import math
import shutil
import struct
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from tolmach.archive import Archive
from tolmach.errors import InputError
from tolmach.media import peaks as peaks_module
from tolmach.media.ffmpeg import run_ffmpeg
from tolmach.media.peaks import PEAK_MS, Peaks, cached_peaks, write_peaks
from tolmach.records import ClipInfo, Stream

if TYPE_CHECKING:  # the web extra is needed only by the API tests
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

RATE = 16000
SAMPLES = 3 * RATE + 7  # 3 s and 7 samples: the last window is short, the duration rounds up
CSP = "default-src 'none'; sandbox"


def ffmpeg(*args: str | Path) -> None:
    run_ffmpeg([str(a) for a in args], what="test fixture")


def tone(path: Path, amplitude: float) -> Path:
    """440 Hz at ``amplitude`` of full scale, silent from 1 s to 2 s: 16 kHz mono 16-bit WAV."""
    expr = f"{amplitude}*sin(2*PI*440*t)*(lt(t,1)+gte(t,2))"
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{expr}':s={RATE}:d=4", "-af", f"atrim=end_sample={SAMPLES}",
           "-c:a", "pcm_s16le", path)  # fmt: skip
    return path


def samples_of(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def expected(samples: np.ndarray, ms: int = PEAK_MS) -> tuple[float, bytes]:
    """(scale, peaks) computed over the whole array at once, window by window."""
    window = RATE * ms // 1000
    loudest = [
        int(np.abs(samples[i : i + window].astype(np.int32)).max()) for i in range(0, len(samples), window)
    ]
    top = max(loudest)
    return top / 32768, bytes(math.floor(v * 255 / top + 0.5) for v in loudest)  # half up


def header(data: bytes) -> tuple[bytes, int, int, int, float]:
    return struct.unpack("<4sIIIf", data[:20])


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("peaks-media")


@pytest.fixture(scope="module")
def loud(media: Path) -> Path:
    return tone(media / "tone.wav", 0.5)


@pytest.fixture(scope="module")
def no_audio(media: Path) -> Path:
    out = media / "silent-film.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=5", "-t", "1", "-c:v", "mpeg4", out)
    return out


def test_header_and_peaks_of_a_tone_with_a_silent_middle(loud: Path, tmp_path: Path) -> None:
    target = write_peaks(loud, tmp_path / "tone.peaks")
    assert target == tmp_path / "tone.peaks"
    data = target.read_bytes()
    duration_ms = math.ceil(SAMPLES * 1000 / RATE)  # 3001: the 7 samples past 3 s count
    count = math.ceil(duration_ms / PEAK_MS)  # 151
    scale, values = expected(samples_of(loud))
    assert header(data) == (b"TPK1", PEAK_MS, count, duration_ms, np.float32(scale))
    assert (len(data), count, duration_ms) == (20 + count, 151, 3001)
    peaks = data[20:]
    assert peaks == values
    per_second = 1000 // PEAK_MS
    assert set(peaks[per_second : 2 * per_second]) == {0}  # 1 s to 2 s is silence
    assert min(peaks[:per_second]) >= 250 and min(peaks[2 * per_second : 3 * per_second]) >= 250
    assert max(peaks) == 255
    assert abs(scale - 0.5) < 0.005


def test_a_quiet_recording_still_fills_the_scale(media: Path, tmp_path: Path) -> None:
    quiet = tone(media / "quiet.wav", 0.02)
    data = write_peaks(quiet, tmp_path / "quiet.peaks").read_bytes()
    scale = header(data)[4]
    assert abs(scale - 0.02) < 0.001
    assert min(data[20 : 20 + 50]) >= 250 and set(data[20 + 50 : 20 + 100]) == {0}


def test_other_windows(loud: Path, tmp_path: Path) -> None:
    data = write_peaks(loud, tmp_path / "t.peaks", ms_per_peak=7).read_bytes()
    assert header(data)[1:4] == (7, math.ceil(3001 / 7), 3001)
    assert data[20:] == expected(samples_of(loud), 7)[1]
    with pytest.raises(ValueError):
        write_peaks(loud, tmp_path / "bad.peaks", ms_per_peak=0)


def test_blocks_cut_anywhere_give_the_same_peaks(loud: Path) -> None:
    pcm = samples_of(loud).tobytes()
    whole = peaks_module._Maxima(320)
    whole.add(pcm)
    pieces = peaks_module._Maxima(320)
    for at in range(0, len(pcm), 1001):  # odd: blocks end inside windows and inside samples
        pieces.add(pcm[at : at + 1001])
    assert pieces.finish().tolist() == whole.finish().tolist()
    assert pieces.samples == whole.samples == SAMPLES


def test_the_sample_clip(sample: Path, tmp_path: Path) -> None:
    """AAC in MP4, with video: resampled to 16 kHz on the way; the loudest window is 255."""
    data = write_peaks(sample, tmp_path / "sample.peaks").read_bytes()
    magic, ms, count, duration_ms, scale = header(data)
    assert (magic, ms) == (b"TPK1", PEAK_MS)
    assert abs(duration_ms - 32500) < 100  # make_sample.py pads it to 32.5 s
    assert count == math.ceil(duration_ms / PEAK_MS) == len(data) - 20
    assert 0 < scale <= 1 and max(data[20:]) == 255
    assert data[20] < 30  # it opens with 0.5 s of silence
    assert Peaks.from_bytes(data).to_bytes() == data


def test_a_video_without_audio_is_an_input_error(no_audio: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        write_peaks(no_audio, tmp_path / "none.peaks")
    assert e.value.message.startswith(f"{no_audio}: has no audio stream")
    assert "\n" not in e.value.one_line() and e.value.hint
    assert list(tmp_path.iterdir()) == []


def test_not_media_and_missing(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    with pytest.raises(InputError, match=r"notes\.mp4: not an audio or video file"):
        write_peaks(text, tmp_path / "x.peaks")
    with pytest.raises(InputError, match="no such file"):
        write_peaks(tmp_path / "gone.wav", tmp_path / "x.peaks")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


def test_a_truncated_clip_gets_the_peaks_of_what_decodes(
    sample: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole = tmp_path / "whole.mp4"
    ffmpeg("-i", sample, "-c", "copy", "-movflags", "+faststart", whole)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger="tolmach.media.peaks"):
        data = write_peaks(cut, tmp_path / "cut.peaks").read_bytes()
    duration_ms = header(data)[3]
    assert 2000 < duration_ms < 30000 and header(data)[2] == math.ceil(duration_ms / PEAK_MS)
    assert "cut.mp4" in caplog.text


def test_peaks_bytes_round_trip_and_refuse_other_files() -> None:
    peaks = Peaks(20, 45, 0.25, bytes([0, 128, 255]))
    data = peaks.to_bytes()
    assert data == b"TPK1" + struct.pack("<IIIf", 20, 3, 45, 0.25) + bytes([0, 128, 255])
    assert Peaks.from_bytes(data) == peaks
    with pytest.raises(ValueError, match="TPK1"):
        Peaks.from_bytes(b"RIFF" + data[4:])
    with pytest.raises(ValueError, match="3 peaks"):
        Peaks.from_bytes(data[:-1])


def test_the_cache_makes_the_file_once(loud: Path, tmp_path: Path) -> None:
    folder = tmp_path / "peaks"
    path = cached_peaks(loud, folder, "ab" * 32)
    assert path == folder / f"{'ab' * 32}.peaks"
    made = path.stat().st_mtime_ns
    first = path.read_bytes()
    assert cached_peaks(loud, folder, "ab" * 32) == path
    assert path.stat().st_mtime_ns == made and path.read_bytes() == first
    path.unlink()
    assert cached_peaks(loud, folder, "ab" * 32).read_bytes() == first


# -- the API and the worker ----------------------------------------------------------------------


def stored(home: Path, path: Path, streams: tuple[Stream, ...] | None = None) -> str:
    """Store ``path`` with a hand-built transcript, and what ffprobe says of it unless ``streams`` are
    given (ffprobe refuses a file without sound); its clip ID (sha256)."""
    from records import make_transcript

    from tolmach.media import probe

    transcript = make_transcript(path)
    media = probe(path) if streams is None else replace(transcript.media, streams=streams)
    transcript = replace(transcript, media=replace(media, path=str(path)))
    with Archive(home) as archive:
        archive.save(transcript, ClipInfo(source=str(path)), {"k": path.name})
    return transcript.media.sha256


@pytest.fixture
def api(archive_home: Path) -> Iterator[TestClient]:
    pytest.importorskip("fastapi", reason="needs the 'web' extra")
    from fastapi.testclient import TestClient

    from tolmach.web import WebConfig, create_app

    config = WebConfig(home=archive_home, run_jobs=False, name="Olena K.")
    with TestClient(create_app(config), base_url="http://127.0.0.1:8731") as c:
        yield c


def error_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "hint"} and body["hint"]
    return str(body["error"])


def test_the_api_serves_the_peaks(
    api: TestClient, archive_home: Path, loud: Path, no_audio: Path, tmp_path: Path
) -> None:
    clip = stored(archive_home, loud)
    r = api.get(f"/api/clips/{clip[:12]}/peaks")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["cache-control"] == "private, max-age=86400"
    assert r.content == write_peaks(loud, tmp_path / "own.peaks").read_bytes()
    assert (archive_home / "peaks" / f"{clip}.peaks").read_bytes() == r.content  # kept for next time
    again = api.get(f"/api/clips/{clip[:12]}/peaks")
    assert again.content == r.content

    silent = stored(archive_home, no_audio, (Stream(0, "video", "mpeg4", width=160, height=120),))
    assert "has no audio" in error_of(api.get(f"/api/clips/{silent[:12]}/peaks"), 404)
    assert "no clip" in error_of(api.get("/api/clips/abcdef123456/peaks"), 404)


def test_a_clip_stored_without_audio_is_404_without_running_ffmpeg(
    api: TestClient, archive_home: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "clip.bin"
    fake.write_bytes(b"not really a video " * 50)
    clip = stored(archive_home, fake, ())
    assert "has no audio" in error_of(api.get(f"/api/clips/{clip[:12]}/peaks"), 404)
    assert not (archive_home / "peaks").exists()


def test_the_worker_warms_the_peaks_and_only_logs_a_failure(
    archive_home: Path, loud: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tolmach.web.worker import warm_peaks

    clip = stored(archive_home, loud)
    fake = tmp_path / "clip.bin"
    fake.write_bytes(b"not really a video " * 50)
    broken = stored(archive_home, fake, (Stream(0, "audio", "aac", channels=1, sample_rate=16000),))
    with Archive(archive_home) as archive, caplog.at_level(logging.WARNING, logger="tolmach.web"):
        warm_peaks(archive, clip)
        warm_peaks(archive, broken)  # ffmpeg cannot read it: logged, not raised
    assert (archive_home / "peaks" / f"{clip}.peaks").read_bytes()[:4] == b"TPK1"
    assert not (archive_home / "peaks" / f"{broken}.peaks").exists()
    assert f"no waveform peaks for clip {broken[:12]}" in caplog.text
