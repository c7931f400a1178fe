"""The Ray executor on a real local Ray: actors hold the model, a killed actor is restarted, its clip done.

The driver starts Ray itself (no address) with CI-safe settings: no dashboard, no usage statistics, a
small object store, a short temp folder; actors get fractional CPUs (2 actors take 1.5 of 2 cores here).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from batchclips import FAST, cut_clips

from tolmach.archive import Archive
from tolmach.jobs import BatchSettings, gather, run_batch

ray = pytest.importorskip("ray", reason="needs the 'ray' extra")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")]
WAIT_S = 180.0


def running_actor_job(home: Path) -> dict[str, Any] | None:
    conn = sqlite3.connect(home / "archive.db", timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM jobs WHERE state = 'running' AND worker LIKE '%:ray-%'").fetchone()
    except sqlite3.OperationalError:
        row = None
    finally:
        conn.close()
    return dict(row) if row is not None else None


def test_a_killed_actor_is_restarted_and_its_clip_completes(
    archive_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    clips = tmp_path / "clips"
    cut_clips(clips)
    killed: dict[str, Any] = {}

    def kill_an_actor_mid_clip() -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            row = running_actor_job(archive_home)
            if row is not None:
                time.sleep(0.3)  # the actor is reading and decoding the clip now
                killed.update(id=row["id"], pid=int(row["worker"].rsplit(":", 1)[1]))
                os.kill(killed["pid"], signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_an_actor_mid_clip, daemon=True)
    killer.start()
    with Archive(archive_home) as archive:
        report = run_batch(
            archive, gather([str(clips)]), FAST, tmp_path / "out", BatchSettings(executor="ray", workers=2)
        )
    killer.join(WAIT_S)
    assert killed, "no actor was seen running a clip"
    assert not ray.is_initialized()  # the local Ray the batch started is stopped
    assert report.ok and report.computed == 4, [(j.source, j.state, j.error) for j in report.jobs]
    job = next(j for j in report.jobs if j.id == killed["id"])
    # done by the restarted actor (a new process, with the model loaded again), on the same attempt
    assert int(job.worker.rsplit(":", 1)[1]) != killed["pid"]
    assert job.attempts == 1 and job.executor == "ray" and job.timings["decode"] > 0
    assert len(list((tmp_path / "out").glob("*.en.srt"))) == 4
