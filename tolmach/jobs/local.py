"""The local pool: N worker processes on this machine, each holding the model, one clip each at a time.

Why not ``concurrent.futures.ProcessPoolExecutor``: when one of its workers dies (a segfault in native
code, the kernel's OOM killer) the whole pool is broken and every pending and running future fails with
``BrokenProcessPool``, so one bad clip would fail the clips its neighbours were decoding; it cannot
tell which task killed the worker, and it cannot stop one task that runs too long. Here each worker
is its own ``multiprocessing`` process with its own pipe, so the driver always knows which job each
worker holds: a worker that dies fails (or retries) only that job, with the reason ("worker stopped:
killed by signal 9 (SIGKILL)"), and is replaced; a clip past the timeout has its worker killed and
replaced. Workers are started with ``spawn`` (a fresh interpreter: forking a driver that runs a
progress thread and holds SQLite connections is unsafe), load the model once, then serve clips until
the pipe closes, so a driver killed with SIGKILL leaves no worker behind for longer than one clip
(and none at all on Linux, where each worker asks to die with its parent).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from tolmach.errors import ModelError, TolmachError
from tolmach.jobs.base import (
    HINT_STOPPED,
    HINT_TIMEOUT,
    Advanced,
    Began,
    Event,
    Executor,
    Finished,
    Lost,
    stopped,
)
from tolmach.jobs.tasks import Task, compute, load_model
from tolmach.options import Options

PROGRESS_EVERY_S = 0.5  # a worker reports progress at most this often
STOP_WAIT_S = 5.0
MAX_START_FAILURES = 3  # workers that die before loading the model: then it is the model, not a clip


@dataclass
class _Worker:
    slot: int
    process: BaseProcess
    conn: Connection
    pid: int
    ready: bool = False
    task: Task | None = None
    deadline: float | None = None
    gone: bool = False

    @property
    def label(self) -> str:
        return f"local-{self.slot}:{self.pid}"


class LocalPool(Executor):
    """Worker processes on this machine (the default executor)."""

    name = "local"

    def start(self) -> None:
        options = self.settings.options
        if options.threads == 0:  # the cores shared out: N workers with all cores each would thrash
            options = options.replace(threads=max(1, (os.cpu_count() or 1) // self.settings.workers))
        self.settings = replace(self.settings, options=options)
        self._ctx = multiprocessing.get_context("spawn")
        self._workers = [self._spawn(slot) for slot in range(self.settings.workers)]
        self._start_failures = 0

    def _spawn(self, slot: int) -> _Worker:
        here, there = self._ctx.Pipe()
        process = self._ctx.Process(
            target=serve, args=(there, self.settings.options, slot), name=f"tolmach-worker-{slot}"
        )
        process.start()
        there.close()
        return _Worker(slot, process, here, process.pid or 0)

    @property
    def pids(self) -> list[int]:
        """The worker processes' IDs (tests kill one by its PID)."""
        return [w.pid for w in self._workers]

    def free(self) -> int:
        return sum(1 for w in self._workers if w.task is None and not w.gone)

    def submit(self, task: Task) -> str:
        worker = next(w for w in self._workers if w.task is None and not w.gone)
        task = replace(task, options=self.settings.options)  # the options its model was loaded for
        worker.task = task
        with contextlib.suppress(OSError):  # it died just now: poll() reports the job lost
            worker.conn.send(task)
        return worker.label

    def poll(self, wait_s: float) -> list[Event]:
        events: list[Event] = []
        deadlines = [w.deadline for w in self._workers if w.deadline is not None]
        if deadlines:
            wait_s = max(0.0, min(wait_s, min(deadlines) - time.monotonic()))
        owner: dict[Any, _Worker] = {w.conn: w for w in self._workers}
        sentinels = {w.process.sentinel: w for w in self._workers}
        owner.update(sentinels)
        ready = wait(list(owner), timeout=wait_s)
        for obj in ready:
            worker = owner[obj]
            if worker.gone:
                continue
            try:
                while worker.conn.poll():
                    events.extend(self._message(worker, worker.conn.recv()))
            except (EOFError, OSError):
                events.extend(self._died(worker))
                continue
            if obj in sentinels:
                events.extend(self._died(worker))
        now = time.monotonic()
        for worker in self._workers:
            if worker.deadline is not None and worker.deadline <= now and worker.task is not None:
                events.append(self._timed_out(worker))
        self._workers = [w if not w.gone else self._spawn(w.slot) for w in self._workers]
        return events

    def _message(self, worker: _Worker, message: tuple[Any, ...]) -> list[Event]:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
        elif kind == "take" and self.settings.timeout_s:
            worker.deadline = time.monotonic() + self.settings.timeout_s
        elif kind == "began":
            return [Began(message[1], message[2])]
        elif kind == "progress":
            return [Advanced(message[1], message[2])]
        elif kind == "done":
            worker.task, worker.deadline = None, None
            return [Finished(message[1])]
        elif kind == "broken":  # the model cannot be loaded: no clip will get anywhere
            error: TolmachError = message[1]
            raise error
        return []

    def _died(self, worker: _Worker) -> list[Event]:
        worker.process.join(STOP_WAIT_S)
        worker.gone = True
        worker.conn.close()
        reason = stopped(worker.process.exitcode)
        if not worker.ready:
            self._start_failures += 1
            if self._start_failures >= MAX_START_FAILURES:
                raise ModelError(f"workers stopped while loading the model ({reason})", HINT_STOPPED)
        task, worker.task = worker.task, None
        return [Lost(task.job_id, reason, HINT_STOPPED, retry=True)] if task is not None else []

    def _timed_out(self, worker: _Worker) -> Lost:
        assert worker.task is not None
        job_id, worker.task = worker.task.job_id, None
        _kill(worker.process)
        worker.gone = True
        worker.conn.close()
        timeout = self.settings.timeout_s or 0
        return Lost(job_id, f"timed out after {timeout:g} s (worker stopped)", HINT_TIMEOUT, retry=False)

    def stop(self, now: bool = False) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                if now:
                    worker.process.terminate()
                else:
                    worker.conn.send(None)
        deadline = time.monotonic() + STOP_WAIT_S
        for worker in self._workers:
            worker.process.join(max(0.1, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                _kill(worker.process)
            worker.conn.close()


def _kill(process: BaseProcess) -> None:
    with contextlib.suppress(ProcessLookupError, TypeError):
        os.kill(process.pid, signal.SIGKILL)  # type: ignore[arg-type]
    process.join(STOP_WAIT_S)


def serve(conn: Connection, options: Options, slot: int) -> None:
    """A worker process: load the model, then run clips from the pipe until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the driver's to handle: it stops us
    _die_with_parent()
    try:
        load_model(options)
    except TolmachError as e:
        conn.send(("broken", e))
        return
    label = f"local-{slot}:{os.getpid()}"
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(("take", task.job_id))
        last = [0.0]

        def started(duration_ms: int, job_id: str = task.job_id) -> None:
            conn.send(("began", job_id, duration_ms))

        def progress(done_ms: int, job_id: str = task.job_id, last: list[float] = last) -> None:
            if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
                last[0] = time.monotonic()
                conn.send(("progress", job_id, done_ms))

        outcome = compute(task, label, progress=progress, started=started)
        try:
            conn.send(("done", outcome))
        except OSError:  # the driver is gone
            return


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the driver dies (even by SIGKILL)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
