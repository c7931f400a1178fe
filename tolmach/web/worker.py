"""The job runner: a thread in the server takes queued jobs one at a time and runs each in a child process.

A child process, not a thread, because a job loads a speech model and decodes for minutes: if it runs
out of memory or crashes inside native code, only that job fails ("the worker stopped: killed by signal
9") and the server keeps serving. The child (``python -m tolmach.web.worker HOME JOB_ID``) does
what ``tolmach translate`` does for one clip, then makes its waveform peaks for the review page (a
failure there is logged, not the job's), reporting progress and the outcome into the jobs table;
the parent only starts it, waits, and fails the job if the child died without saying how it ended.
The upload is deleted when the job ends, whichever way (the archive keeps its own copy of the clip).
One job at a time: decoding already uses every core.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tolmach.archive import Archive
from tolmach.archive import jobs as job_table
from tolmach.archive.archive import PEAKS
from tolmach.archive.jobs import Job
from tolmach.errors import TolmachError

log = logging.getLogger("tolmach.web")
IDLE_S = 2.0  # look for queued jobs this often even when nobody calls wake()
PROGRESS_EVERY_S = 0.5  # progress writes at most this often: the page polls at this rate
STOP_WAIT_S = 10.0
HINT_STOPPED = "the machine may be out of memory; try again, or with a smaller model"
_RUNNERS: set[str] = set()  # the runner IDs alive in this process


class JobRunner:
    """Runs the archive's queued jobs, one at a time, each in a child process."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.id = f"web:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def child_pid(self) -> int | None:
        """The process ID of the child running a job now, if any."""
        child = self._child
        return child.pid if child is not None else None

    def start(self) -> None:
        _RUNNERS.add(self.id)
        with Archive(self.home) as archive:
            requeued = job_table.requeue_stale(archive.conn, alive_workers(archive))
        if requeued:
            log.warning("put %d jobs of a stopped server back in the queue", requeued)
        self._thread = threading.Thread(target=self._loop, name="tolmach-jobs", daemon=True)
        self._thread.start()
        # the line checks' word lists, built once in the background: else the first edit waits for them
        threading.Thread(target=_warm_checks, name="tolmach-warm", daemon=True).start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop taking jobs; a job running now is stopped and goes back in the queue for next time."""
        self._stopping.set()
        self._wake.set()
        child = self._child
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                child.terminate()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
        _RUNNERS.discard(self.id)
        with Archive(self.home) as archive:
            job_table.requeue_stale(archive.conn, alive_workers(archive))

    def _loop(self) -> None:
        with Archive(self.home) as archive:
            while not self._stopping.is_set():
                try:
                    job = job_table.claim(archive.conn, self.id)
                    if job is None:
                        self._wake.wait(IDLE_S)
                        self._wake.clear()
                    else:
                        self._run(archive, job)
                except Exception:  # the runner must outlive any one job's trouble, and say what it was
                    log.exception("the job runner hit an error; going on")
                    self._stopping.wait(IDLE_S)

    def _run(self, archive: Archive, job: Job) -> None:
        argv = [sys.executable, "-m", "tolmach.web.worker", str(self.home), job.id]
        try:
            self._child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        except OSError as exc:
            job_table.fail(archive.conn, job.id, f"the worker could not start: {exc}", "see the server log")
            remove_upload(archive, job)
            return
        if self._stopping.is_set():  # stop() came between the claim and the start
            self._child.terminate()
        returncode = self._child.wait()
        self._child = None
        if self._stopping.is_set() and returncode != 0:
            return  # stopped with the server: requeued by stop(), the upload kept for the next run
        remove_upload(archive, job)
        if job_table.get(archive.conn, job.id).state == "running":
            job_table.fail(archive.conn, job.id, stopped(returncode), HINT_STOPPED)


def stopped(returncode: int) -> str:
    if returncode < 0:
        return f"the worker stopped: killed by signal {-returncode} ({signal.Signals(-returncode).name})"
    return f"the worker stopped: exit status {returncode}"


def alive_workers(archive: Archive) -> set[str]:
    """The workers of running jobs that may still be at it; the others' jobs can be queued again.

    Only a web runner of this machine can be known dead (its process is gone, or it is this process and
    the runner stopped); any other worker, such as one on another machine sharing the archive, is
    taken to be alive.
    """
    alive = set()
    for job in job_table.listed(archive.conn, "running"):
        kind, _, rest = job.worker.partition(":")
        host, _, rest = rest.partition(":")
        pid = rest.partition(":")[0]
        if kind != "web" or host != socket.gethostname() or not pid.isdigit():
            alive.add(job.worker)
        elif int(pid) == os.getpid():
            if job.worker in _RUNNERS:
                alive.add(job.worker)
        elif job_table.process_exists(int(pid)):
            alive.add(job.worker)
    return alive


def remove_upload(archive: Archive, job: Job) -> None:
    """Delete the job's upload folder; never anything outside the archive's tmp/uploads/."""
    uploads = (archive.tmp / "uploads").resolve()
    folder = Path(job.path).resolve().parent
    if folder.parent == uploads:
        shutil.rmtree(folder, ignore_errors=True)


def run_job(home: Path, job_id: str) -> int:
    """What the child process does: run one job and record how it ended. Returns the exit status."""
    from tolmach.pipeline import translate_to_files
    from tolmach.settings import BY_NAME, load_options, parse_value

    with Archive(home) as archive:
        job = job_table.get(archive.conn, job_id)
        last = [0.0]

        def started(duration_ms: int) -> None:
            job_table.progress(archive.conn, job.id, 0, duration_ms)

        def progress(done_ms: int) -> None:
            if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
                last[0] = time.monotonic()
                job_table.progress(archive.conn, job.id, done_ms)

        try:
            options = load_options({k: parse_value(BY_NAME[k], v, k) for k, v in job.options.items()})
            archive.tmp.mkdir(parents=True, exist_ok=True)
            # outputs are written and thrown away: the archive stores its own copy of each
            with tempfile.TemporaryDirectory(prefix="job-", dir=archive.tmp) as out:
                result = translate_to_files(
                    job.path,
                    options,
                    out,
                    archive=archive,
                    info=job.info,
                    progress=progress,
                    started=started,
                )
        except TolmachError as e:
            remove_upload(archive, job)
            job_table.fail(archive.conn, job.id, shown(e.message, job), shown(e.hint, job))
            return 0
        except Exception as e:  # a bug: fail the job with what is known, keep the trace in the log
            log.exception("job %s failed", job.id)
            remove_upload(archive, job)
            message = shown(f"internal error: {type(e).__name__}: {e}", job)
            job_table.fail(archive.conn, job.id, message, "see the server log")
            return 1
        # the upload goes before the job is marked done: whoever sees it done sees it cleaned up
        remove_upload(archive, job)
        assert result.run_id is not None  # with an archive there is always a run
        # and the waveform too: the page opened from a done job finds it made
        warm_peaks(archive, result.transcript.media.sha256)
        job_table.finish(archive.conn, job.id, result.transcript.media.sha256, result.run_id)
    return 0


def _warm_checks() -> None:
    from tolmach.checks import names

    try:
        names.warm()
    except Exception:  # a warm-up is only an optimisation: the first edit builds them instead
        log.exception("could not build the line checks' word lists ahead of time")


def warm_peaks(archive: Archive, clip_id: str) -> None:
    """Make the stored clip's waveform peaks now, so that the review page of a two-hour clip does not wait
    for them on first open. The page asks for them anyway (and makes them if missing), so a failure here
    is only logged: it never fails the job."""
    from tolmach.media.peaks import cached_peaks

    try:
        cached_peaks(archive.original(clip_id), archive.home / PEAKS, clip_id)
    except TolmachError as e:
        log.warning("no waveform peaks for clip %s: %s", clip_id[:12], e.one_line())
    except Exception:
        log.exception("no waveform peaks for clip %s", clip_id[:12])


def shown(text: str, job: Job) -> str:
    """``text`` with the upload's server path replaced by the name the user gave it: errors name the
    file they are about, and the user knows it by that name, not by where the server put it."""
    return text.replace(str(Path(job.path).resolve()), job.source).replace(job.path, job.source)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tolmach.web.worker HOME JOB_ID", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return run_job(Path(argv[0]), argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
