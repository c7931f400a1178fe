"""tolmach batch: a resumable job queue over a local pool of worker processes.

Real worker processes, real ffmpeg, the real model on four short clips (greedy decoding). Workers are
killed by PID in the middle of a clip, the whole ``tolmach batch`` process group is killed with SIGKILL,
and every rerun is checked to finish each clip exactly once with the same outputs as a clean run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from batchclips import FAST, FAST_FLAGS, cut_clips
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.archive import jobs as job_table
from tolmach.cli import app
from tolmach.errors import InputError, OptionsError
from tolmach.jobs import BatchSettings, batch_id, gather, run_batch
from tolmach.media.ffmpeg import input_url, run_ffmpeg
from tolmach.media.ledger import LEDGER, read_record
from tolmach.records import ClipInfo

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
TOLMACH = [sys.executable, "-m", "tolmach"]
WAIT_S = 120.0  # the longest any wait here may take before the test fails


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    cut_clips(folder)
    return folder


def rows(home: Path) -> dict[str, dict[str, Any]]:
    """The jobs table by clip name, read with a connection of its own (safe beside a running driver)."""
    conn = sqlite3.connect(home / "archive.db", timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        found = conn.execute("SELECT * FROM jobs").fetchall()
    except sqlite3.OperationalError:  # not created yet
        found = []
    finally:
        conn.close()
    return {Path(r["source"]).name: dict(r) for r in found}


def cli(args: list[str]) -> Any:
    """Run a command in this process, on a terminal wide enough that table cells are not folded."""
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


def worker_pid(row: dict[str, Any]) -> int:
    return int(row["worker"].rsplit(":", 1)[1])


def outputs(folder: Path, stem: str) -> dict[str, Any]:
    """A clip's output files; the JSON without its timings and options (threads differ per pool)."""
    found: dict[str, Any] = {}
    for path in sorted(folder.glob(f"{stem}.*")):
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            found[path.name] = {k: v for k, v in data.items() if k not in ("timings", "options")}
        else:
            found[path.name] = path.read_text(encoding="utf-8")
    return found


def test_inputs_folders_lists_and_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("a/clip.mp4", "a/deep/x.FLAC", "b/clip.mp4", "b/notes.txt", ".hidden/h.mp4", "a/.h.mp4"):
        (tmp_path / name).write_bytes(b"x")
    found = gather([str(tmp_path)])
    assert [(Path(s.location).relative_to(tmp_path).as_posix(), s.name) for s in found] == [
        ("a/clip.mp4", "a/clip"),
        ("a/deep/x.FLAC", "a/deep/x"),
        ("b/clip.mp4", "b/clip"),
    ]
    listing = tmp_path / "list.txt"
    listing.write_text(
        "# clips from the channel\n\na/clip.mp4\n  b/clip.mp4  # the second\nhttps://example.org/v/clip.mp4\n"
        f"{tmp_path / 'a' / 'clip.mp4'}\nmissing.mp4\n",
        encoding="utf-8",
    )
    listed = gather([str(listing)])
    assert [s.name for s in listed] == ["clip", "clip-2", "clip-3", "missing"]
    assert listed[2].location == "https://example.org/v/clip.mp4"
    assert listed[3].location == str(tmp_path / "missing.mp4")  # a missing file fails as its own job
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no video or audio files"):
        gather([str(empty)])
    (tmp_path / "nothing.txt").write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(InputError, match="lists no clips"):
        gather([str(tmp_path / "nothing.txt")])
    # the same clips, options and folder are the same batch; any change is another
    assert batch_id(found, FAST, None) == batch_id(gather([str(tmp_path)]), FAST, None)
    assert batch_id(found, FAST, None) != batch_id(found, FAST.replace(beam_size=2), None)
    assert batch_id(found, FAST, None) == batch_id(found, FAST.replace(threads=3), None)


def test_the_web_worker_never_claims_a_batch_job(archive_home: Path) -> None:
    with Archive(archive_home) as archive:
        [job] = job_table.add_batch(archive.conn, "b1", "local", [("x.mp4", "/x.mp4", {}, ClipInfo("x"), "")])
        assert job.batch == "b1" and job.state == "queued" and job.timings == {} and not job.reused
        assert job_table.claim(archive.conn, "web:me:1:aa") is None
        web = job_table.add(archive.conn, "y.mp4", "/y.mp4", {}, ClipInfo("y"))
        claimed = job_table.claim(archive.conn, "web:me:1:aa")
        assert claimed is not None and claimed.id == web.id


def test_bad_settings_fail_before_anything_starts(archive_home: Path, clips: Path) -> None:
    with Archive(archive_home) as archive, pytest.raises(OptionsError, match="unknown executor 'slurm'"):
        run_batch(archive, gather([str(clips)]), FAST, settings=BatchSettings(executor="slurm"))


@pytest.mark.slow
def test_a_killed_worker_fails_only_its_job_and_a_retry_completes_it(
    archive_home: Path, clips: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    killed: dict[str, Any] = {}

    def kill_one_mid_clip() -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not killed:
            for name, row in rows(archive_home).items():
                # duration known: the worker has opened the clip and is decoding it
                if row["state"] == "running" and row["duration_ms"] > 0 and name == "b.mp4":
                    killed.update(name=name, pid=worker_pid(row), id=row["id"])
                    os.kill(killed["pid"], signal.SIGKILL)
                    return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_mid_clip)
    killer.start()
    with Archive(archive_home) as archive:
        report = run_batch(archive, gather([str(clips)]), FAST, out, BatchSettings(workers=2, retries=0))
    killer.join(WAIT_S)
    assert killed, "no worker was seen decoding b.mp4"
    states = {Path(j.source).name: j for j in report.jobs}
    lost = states.pop("b.mp4")
    assert lost.state == "failed" and lost.error == "worker stopped: killed by signal 9 (SIGKILL)"
    assert lost.hint and lost.attempts == 1
    assert all(j.state == "done" and j.attempts == 1 and j.timings["decode"] > 0 for j in states.values())
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("b.")) == []  # nothing half-written
    assert report.computed == 3 and not report.ok
    # the pool replaced the worker: the clips after it went to a new process
    pids = {worker_pid(r) for r in rows(archive_home).values() if r["state"] == "done"}
    assert killed["pid"] not in pids

    listed = cli(["jobs", "--failed"])
    assert listed.exit_code == 0 and killed["id"] in listed.output and "killed by signal 9" in listed.output
    retried = cli(["jobs", "--retry", killed["id"][:6]])
    assert retried.exit_code == 0, retried.output
    assert f"{killed['id']} b.mp4: done" in retried.output
    after = rows(archive_home)
    assert after["b.mp4"]["state"] == "done" and after["b.mp4"]["attempts"] == 2

    # running the batch again decodes nothing: every clip is done once
    with Archive(archive_home) as archive:
        again = run_batch(archive, gather([str(clips)]), FAST, out, BatchSettings(workers=2))
        assert archive.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 4
    assert again.ok and again.computed == 0
    assert rows(archive_home) == after

    # and the outputs are those of a clean run of the clip alone
    clean_out = tmp_path / "clean"
    with Archive(tmp_path / "clean-home") as archive:
        clean = run_batch(archive, gather([str(clips / "b.mp4")]), FAST, clean_out, BatchSettings(workers=1))
    assert clean.ok and clean.computed == 1
    assert outputs(out, "b") == outputs(clean_out, "b")
    assert set(outputs(out, "b")) == {"b.ru.srt", "b.en.srt", "b.ru.vtt", "b.en.vtt", "b.txt", "b.json"}


@pytest.mark.slow
def test_kill_9_of_the_whole_batch_then_rerun_finishes_each_clip_once(
    archive_home: Path, clips: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    command = [*TOLMACH, "batch", str(clips), "-o", str(out), "--workers", "2", "-q", *FAST_FLAGS]
    first = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + WAIT_S
    try:
        while not any(r["state"] == "done" for r in rows(archive_home).values()):
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "no clip finished"
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the driver and its workers, at once
        first.wait(WAIT_S)
    before = rows(archive_home)
    finished = {name: row for name, row in before.items() if row["state"] == "done"}
    assert 1 <= len(finished) < 4
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]  # temp files never outlive a write

    second = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_S)
    assert second.returncode == 0, second.stderr
    after = rows(archive_home)
    assert all(r["state"] == "done" for r in after.values())
    for name, row in finished.items():  # done before the kill: not touched since
        assert after[name] == row
    # each clip decoded exactly once: one attempt each (a killed driver's attempt is not counted),
    # one run each in the archive, and stage timings recorded once per clip
    assert all(r["attempts"] == 1 and not r["reused"] for r in after.values()), after
    # (a clip decoded just before the kill may have its decoded lines read back from the stage cache)
    assert all({"decode", "asr_cached"} & set(json.loads(r["timings"])) for r in after.values())
    with Archive(archive_home) as archive:
        assert archive.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 4
    names = sorted(p.name for p in out.iterdir() if p.name != LEDGER)
    assert len(names) == 4 * 6 and not [n for n in names if ".tmp-" in n]
    assert sorted(read_record(out)) == names  # each clip's files, once, in the folder's record


@pytest.mark.slow
def test_a_clip_past_the_timeout_fails_and_the_pool_goes_on(
    archive_home: Path, clips: Path, sample: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    long = folder / "long.wav"  # the sample ten times over: 320 s, far more than 8 s of decoding
    args = ["-stream_loop", "9", "-i", input_url(sample), "-vn", str(long)]
    run_ffmpeg(args, what="sample", output=str(long))
    shutil.copy(clips / "c.flac", folder / "short.flac")  # 4 s: well under (about 2 s)
    settings = BatchSettings(workers=1, timeout_s=8)
    with Archive(archive_home) as archive:
        report = run_batch(archive, gather([str(folder)]), FAST, None, settings)
    jobs = {Path(j.source).name: j for j in report.jobs}
    assert jobs["long.wav"].state == "failed"
    assert jobs["long.wav"].error == "timed out after 8 s (worker stopped)" and jobs["long.wav"].attempts == 1
    assert jobs["short.flac"].state == "done", jobs["short.flac"]
    assert worker_pid(rows(archive_home)["short.flac"]) != worker_pid(rows(archive_home)["long.wav"])


@pytest.mark.slow
def test_bad_inputs_fail_alone_with_one_line(archive_home: Path, clips: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli(["batch", str(empty)])
    assert result.exit_code == 2 and "no video or audio files" in result.output

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(clips / "c.flac", folder / "good.flac")
    (folder / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    report = tmp_path / "report.json"
    args = ["batch", str(folder), "--workers", "2", "--report", str(report), "-o", str(tmp_path / "out")]
    result = cli([*args, *FAST_FLAGS])
    assert result.exit_code == 1, result.output
    assert "corrupt.mp4: looks truncated or corrupt" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert (data["clips"], data["done"], data["failed"], data["computed"]) == (2, 1, 1, 1)
    by_name = {Path(j["source"]).name: j for j in data["jobs"]}
    bad = by_name["corrupt.mp4"]
    assert bad["state"] == "failed" and "\n" not in bad["error"] and bad["hint"]
    assert by_name["good.flac"]["state"] == "done" and by_name["good.flac"]["timings"]["total"] > 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        LEDGER,
        "good.en.srt", "good.en.vtt", "good.json", "good.ru.srt", "good.ru.vtt", "good.txt"
    ]  # fmt: skip

    listed = cli(["jobs", "--failed"])
    assert listed.exit_code == 0 and bad["id"] in listed.output and "good.flac" not in listed.output
    retried = cli(["jobs", "--retry", bad["id"]])
    assert retried.exit_code == 1 and f"{bad['id']} corrupt.mp4: failed" in retried.output
    assert cli(["jobs", "--retry", by_name["good.flac"]["id"]]).exit_code == 2  # not failed
