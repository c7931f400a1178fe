"""The job runner: jobs run in child processes, a crash fails only its job, the server goes on.

Real child processes, real ffmpeg; the end-to-end test runs the real speech model on the sample clip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the 'web' extra")

from fastapi.testclient import TestClient

from tolmach.archive import Archive
from tolmach.archive import jobs as job_table
from tolmach.records import ClipInfo
from tolmach.web import WebConfig, create_app
from tolmach.web.worker import JobRunner, alive_workers

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
BASE = "http://127.0.0.1:8731"


def server(home: Path, run_jobs: bool = True) -> TestClient:
    return TestClient(create_app(WebConfig(home=home, run_jobs=run_jobs, name="Olena")), base_url=BASE)


def upload(c: TestClient, name: str, data: bytes, **form: str) -> dict[str, Any]:
    headers = {"X-CSRF-Token": c.get("/api/session").json()["csrf"]}
    r = c.post("/api/clips", files={"file": (name, data)}, data=form, headers=headers)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()["jobs"][0]
    return job


def wait_for(c: TestClient, job_id: str, states: tuple[str, ...], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = c.get(f"/api/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def child_of(c: TestClient, timeout: float = 30.0) -> int:
    runner = c.app.state.worker  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while (pid := runner.child_pid) is None:
        assert time.monotonic() < deadline, "no child process started"
        time.sleep(0.01)
    return int(pid)


def leftovers(home: Path) -> list[Path]:
    return list((home / "tmp" / "uploads").iterdir())


def test_a_broken_file_fails_its_job_with_a_one_line_error(archive_home: Path) -> None:
    with server(archive_home) as c:
        job = wait_for(c, upload(c, "broken.mp4", b"this is not a video\n" * 50)["id"], ("done", "failed"))
        assert job["state"] == "failed"
        assert job["error"].startswith("broken.mp4: ") and "\n" not in job["error"]
        assert str(archive_home) not in job["error"] + job["hint"]  # the user's name, not the server path
        assert job["hint"] and job["finished"]
        assert leftovers(archive_home) == []
        assert c.get("/api/clips").json()["clips"] == []


def test_a_killed_worker_fails_only_its_job(archive_home: Path, sample: Path) -> None:
    with server(archive_home) as c:
        job = upload(c, "sample-ru.mp4", sample.read_bytes(), lang="ru")
        os.kill(child_of(c), signal.SIGKILL)
        failed = wait_for(c, job["id"], ("done", "failed"))
        assert failed["state"] == "failed"
        assert failed["error"] == "the worker stopped: killed by signal 9 (SIGKILL)"
        assert "memory" in failed["hint"]
        assert leftovers(archive_home) == []
        # the server still answers, and the runner takes the next job
        assert c.get("/api/clips").status_code == 200
        after = wait_for(c, upload(c, "next.mp4", b"not a video either " * 20)["id"], ("done", "failed"))
        assert after["error"].startswith("next.mp4: ")


def test_a_job_running_at_shutdown_is_queued_again(archive_home: Path, sample: Path) -> None:
    with server(archive_home) as c:
        job = upload(c, "sample-ru.mp4", sample.read_bytes(), lang="ru")
        child_of(c)
    with Archive(archive_home) as archive:
        assert job_table.get(archive.conn, job["id"]).state == "queued"
    assert len(leftovers(archive_home)) == 1  # kept for the next run


def test_jobs_of_a_dead_server_are_queued_again(archive_home: Path) -> None:
    with Archive(archive_home) as archive:
        job = job_table.add(archive.conn, "a.mp4", "/nowhere/a.mp4", {}, ClipInfo(source="a.mp4"))
        job_table.claim(archive.conn, "web:elsewhere:1:abc")  # another machine: could be alive
        other = job_table.add(archive.conn, "b.mp4", "/nowhere/b.mp4", {}, ClipInfo(source="b.mp4"))
        import socket

        job_table.claim(archive.conn, f"web:{socket.gethostname()}:999999999:abc")  # no such process
        assert alive_workers(archive) == {"web:elsewhere:1:abc"}
        runner = JobRunner(archive_home)
        runner.start()
        try:
            done = job_table.get(archive.conn, other.id)
            deadline = time.monotonic() + 30
            while done.state != "failed" and time.monotonic() < deadline:
                time.sleep(0.1)
                done = job_table.get(archive.conn, other.id)
        finally:
            runner.stop()
        assert done.state == "failed" and done.attempts == 2 and "/nowhere/b.mp4" not in done.error
        assert job_table.get(archive.conn, job.id).state == "running"


def test_job_events(archive_home: Path) -> None:
    with server(archive_home, run_jobs=False) as c:
        job = upload(c, "a.mp4", b"data")

        def fail_later() -> None:
            with Archive(archive_home) as archive:
                time.sleep(0.6)
                job_table.progress(archive.conn, job["id"], 0, 32500)
                time.sleep(0.6)
                job_table.fail(archive.conn, job["id"], "a.mp4: broken", "try another copy")

        threading.Thread(target=fail_later).start()
        seen = []
        with c.stream("GET", f"/api/jobs/{job['id']}/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line.removeprefix("data: ")))
        assert [(j["state"], j["duration_ms"]) for j in seen] == [
            ("queued", 0),
            ("queued", 32500),
            ("failed", 32500),
        ]
        assert seen[-1]["error"] == "a.mp4: broken"


@pytest.mark.slow
def test_an_uploaded_clip_is_translated_and_reviewable(archive_home: Path, sample: Path) -> None:
    with server(archive_home) as c:
        job = upload(c, "sample-ru.mp4", sample.read_bytes(), lang="ru", title="Sample", tags="test")
        done = wait_for(c, job["id"], ("done", "failed"), timeout=600)
        assert done["state"] == "done", done
        assert done["progress_ms"] == done["duration_ms"] > 30000
        data = c.get(f"/api/clips/{done['clip_id']}").json()
        assert data["clip"]["title"] == "Sample" and data["clip"]["tags"] == ["test"]
        assert data["clip"]["filename"] == "sample-ru.mp4"
        assert [s["location"] for s in data["clip"]["sources"]] == ["sample-ru.mp4"]
        assert data["run"]["language"] == "ru" and len(data["segments"]) >= 3
        assert "газеты" in " ".join(s["text"].lower() for s in data["segments"])
        assert "newspaper" in " ".join(s["translation"].lower() for s in data["segments"])
        assert data["review"]["total"] == len(data["segments"])
        assert leftovers(archive_home) == []
        assert c.get(f"/api/clips/{done['clip_id']}/export/en.srt").status_code == 200
        manifest = c.get(f"/api/clips/{done['clip_id']}/export/manifest.json").text
        assert str(archive_home) not in manifest and '"source": "sample-ru.mp4"' in manifest
