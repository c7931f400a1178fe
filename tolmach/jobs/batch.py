"""The batch driver: turns clips into jobs in the archive, hands them to an executor, stores results.

The driver is the archive's only writer: workers (processes or Ray actors) compute a Transcript and send
it back; the driver writes the output files (all or nothing) and then the run (one transaction), then
marks the job done. So a crash anywhere leaves each job either done with everything stored, or not done
with at worst an unreferenced file in the store, and running the same command again finishes it:

- a batch's ID is the hash of its clips, options and output folder, so the same command finds its jobs;
- jobs left ``running`` by a driver that is gone (Ctrl+C, kill -9, a reboot) go back in the queue, and
  so do failed ones; done jobs are never touched again;
- before a job is handed out, the clip's sha256 and the run key give the run ID, and a run the archive
  already holds is used as it is (``reused``): nothing is decoded twice, across batches and ``translate``.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import socket
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tolmach.archive import Archive
from tolmach.archive import jobs as table
from tolmach.archive.archive import run_id_for
from tolmach.archive.jobs import Job
from tolmach.engines import engine_name
from tolmach.errors import InputError, OptionsError, TolmachError
from tolmach.jobs.base import Advanced, Began, Event, Executor, ExecutorSettings, Finished, Lost
from tolmach.jobs.inputs import Source
from tolmach.jobs.report import BatchReport, Watcher
from tolmach.jobs.tasks import SPEECH_MB, Outcome, Task, worker_memory_mb
from tolmach.media import check_writable_dir
from tolmach.media.fetch import is_url
from tolmach.media.ledger import check_targets, write_texts
from tolmach.options import Options
from tolmach.records import ClipInfo, Transcript

POLL_S = 0.5
PROGRESS_WRITE_S = 1.0  # a job's progress is written to the archive at most this often
PROBE_THREADS = 4  # clips checked and hashed at once before the batch starts (I/O bound)


class BatchInterrupted(TolmachError):
    """The batch was stopped (Ctrl+C); what was running is back in the queue."""

    exit_code = 130


@dataclass(frozen=True)
class BatchSettings:
    executor: str = "local"
    workers: int = 2
    address: str | None = None  # Ray: auto or ray://host:port; None: a local Ray instance
    timeout_s: float | None = None  # per clip
    retries: int = 1  # more attempts for a job whose worker died (a timeout or a bad clip is not retried)
    gpus_per_worker: float | None = None  # Ray: GPU share per actor
    force: bool = False  # replace output files tolmach did not write, or that were edited (media.ledger)


def batch_id(sources: Sequence[Source], options: Options, output_dir: Path | None) -> str:
    """The same clips, options and output folder give the same batch: that is how a rerun resumes."""
    shaping = {k: v for k, v in options.as_dict().items() if k != "threads"}
    key = {
        "sources": [s.location for s in sources],
        "options": shaping,
        "output": str(output_dir.resolve()) if output_dir is not None else "",
    }
    text = json.dumps(key, sort_keys=True, ensure_ascii=False, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def options_of(job: Job) -> Options:
    """A batch job's options, as stored with it."""
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in job.options.items()}
    return Options(**values)


def queue_batch(
    archive: Archive,
    sources: Sequence[Source],
    options: Options,
    output_dir: Path | None,
    executor: str,
    info: ClipInfo | None = None,
) -> tuple[str, list[Job]]:
    """The batch's jobs: queued now, or found from an earlier run (and taken over)."""
    batch = batch_id(sources, options, output_dir)
    existing = table.of_batch(archive.conn, batch)
    if existing:
        take_over(archive, existing)
        table.requeue(archive.conn, [j.id for j in existing if j.state == "failed"])
        return batch, table.of_batch(archive.conn, batch)
    folder = output_dir.resolve() if output_dir is not None else None
    rows = [
        (
            s.location,
            s.location,
            options.as_dict(),
            replace(info or ClipInfo(source=""), source=s.location),
            str(folder / s.name) if folder is not None else "",
        )
        for s in sources
    ]
    return batch, table.add_batch(archive.conn, batch, executor, rows)


def take_over(archive: Archive, jobs: Sequence[Job]) -> None:
    """Put back the running jobs of a driver that is gone; refuse if it still runs."""
    stale = []
    for job in (j for j in jobs if j.state == "running"):
        kind, host, pid = [*job.worker.split(":"), "", "", ""][:3]
        alive = (
            kind == "batch"
            and host == socket.gethostname()
            and pid.isdigit()
            and table.process_exists(int(pid))
        )
        if alive and int(pid) != os.getpid():
            raise InputError(
                f"batch {job.batch} is being run by process {pid} now",
                f"wait for it to end, or stop it (kill -INT {pid}) and run this again",
            )
        stale.append(job.id)
    table.requeue(archive.conn, stale, count_attempt=False)


def run_batch(
    archive: Archive,
    sources: Sequence[Source],
    options: Options,
    output_dir: str | os.PathLike[str] | None = None,
    settings: BatchSettings | None = None,
    watcher: Watcher | None = None,
    info: ClipInfo | None = None,
) -> BatchReport:
    """Process every clip once: what ``tolmach batch`` does. Safe to run again after any interruption."""
    settings = settings or BatchSettings()
    options = options.validate()
    folder = check_writable_dir(output_dir) if output_dir is not None else None
    batch, jobs = queue_batch(archive, sources, options, folder, settings.executor, info)
    return run_jobs(archive, batch, jobs, options, settings, watcher)


def check_memory(options: Options, workers: int, available_mb: int | None = None) -> None:
    """OptionsError when ``workers`` local workers would not fit in this machine's free memory (each
    holds the speech model, and the local language model when it writes the English)."""
    need = worker_memory_mb(options)
    free = available_mb if available_mb is not None else _available_mb()
    if free is None or workers * need <= free:
        return
    fit = max(1, free // need)
    raise OptionsError(
        f"--workers {workers}: each worker needs about {need / 1024:.1f} GiB"
        f"{' (the local language model included)' if need > SPEECH_MB else ''}, and this machine has "
        f"{free / 1024:.1f} GiB free",
        f"use --workers {fit}" + (", or --local-model 0.5b" if need > SPEECH_MB else ""),
    )


def _available_mb() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        return None
    return None


def run_jobs(
    archive: Archive,
    batch: str,
    jobs: Sequence[Job],
    options: Options,
    settings: BatchSettings,
    watcher: Watcher | None = None,
) -> BatchReport:
    """Run a batch's queued jobs (``jobs``; the done ones are skipped) and report on the whole batch."""
    from tolmach.jobs import executor_class

    clock = time.perf_counter()
    watcher = watcher or Watcher()
    cls = executor_class(settings.executor)  # an unknown name fails before anything starts
    if settings.workers < 1:
        raise OptionsError(
            f"--workers must be at least 1, not {settings.workers}",
            "--workers 1 translates one clip at a time; more run side by side (see 'tolmach batch --help')",
        )
    # auto settled here, once: every worker (a process, a Ray actor on another machine) then uses the
    # engine the run key was made with, whatever that machine has installed
    options = options.replace(engine=engine_name(options))
    if settings.executor == "local":
        check_memory(options, settings.workers)
    driver = _Driver(archive, batch, options, settings, watcher)
    todo = [j for j in jobs if j.state != "done"]
    done = [j for j in jobs if j.state == "done"]
    try:
        pending = driver.prepare(todo)
        watcher.planned(
            len(jobs),
            len(done),
            sum(j.duration_ms for j in done) + sum(driver.durations.values()),
            sum(j.duration_ms for j in done),
        )
        for job in driver.ready_now:
            watcher.ended(job)
        if pending:
            driver.run(cls, pending)
    except KeyboardInterrupt:  # while the clips were being checked: nothing was running yet
        raise BatchInterrupted(
            "stopped before any clip was handed out", "run the same command again to go on"
        ) from None
    final = (
        tuple(table.of_batch(archive.conn, batch))
        if batch
        else tuple(table.get(archive.conn, j.id) for j in jobs)
    )
    wall = time.perf_counter() - clock
    return BatchReport(
        batch, settings.executor, settings.workers, final, wall, driver.computed, driver.computed_ms
    )


class _Driver:
    """One run over a batch's jobs: the loop, and every write to the archive."""

    def __init__(
        self, archive: Archive, batch: str, options: Options, settings: BatchSettings, watcher: Watcher
    ) -> None:
        from tolmach.asr.models import resolve_model
        from tolmach.pipeline import glossary_for, run_key

        self.archive, self.conn, self.batch = archive, archive.conn, batch
        self.options, self.settings, self.watcher = options, settings, watcher
        self.glossary = glossary_for(options, archive.home)
        self.key = run_key(options, resolve_model(options.model), self.glossary)
        self.me = f"batch:{socket.gethostname()}:{os.getpid()}"
        self.shas: dict[str, str] = {}
        self.durations: dict[str, int] = {}
        self.ready_now: list[Job] = []  # ended while preparing: bad files, runs already stored
        self.computed = 0
        self.computed_ms = 0

    # -- before the workers start ---------------------------------------------------------------

    def prepare(self, jobs: Sequence[Job]) -> list[Job]:
        """Check and hash every clip (in threads); fail the unreadable, reuse stored runs; the rest."""
        from tolmach.media import probe

        def look(job: Job) -> tuple[Job, str, int, TolmachError | None]:
            if is_url(job.path):
                return job, "", 0, None
            try:
                media = probe(job.path)
            except TolmachError as e:
                return job, "", 0, e
            return job, media.sha256, media.duration_ms, None

        pending = []
        with ThreadPoolExecutor(PROBE_THREADS) as pool:
            for job, sha, duration, error in pool.map(look, jobs):
                error = error or self._unwritable(job)
                if error is not None:
                    table.fail(self.conn, job.id, error.message, error.hint)
                    self.ready_now.append(table.get(self.conn, job.id))
                    continue
                if sha:
                    self.shas[job.id], self.durations[job.id] = sha, duration
                    if self._reuse(job):
                        self.ready_now.append(table.get(self.conn, job.id))
                        continue
                pending.append(job)
        return pending

    def _unwritable(self, job: Job) -> TolmachError | None:
        """Why the job's output files cannot be written (a name too long, a file tolmach would wrongly
        replace), found before the clip is decoded; None when they can."""
        from tolmach.pipeline import planned_outputs

        if not job.output:
            return None
        target = Path(job.output)
        try:
            check_targets(
                planned_outputs(self.options, target.parent, target.name), force=self.settings.force
            )
        except TolmachError as e:
            return e
        return None

    def _reuse(self, job: Job) -> bool:
        """Finish the job from a run the archive holds already; False when there is none."""
        sha = self.shas.get(job.id)
        if not sha:
            return False
        run_id, _ = run_id_for(sha, self.key)
        if not self.archive.has_run(run_id):
            return False
        try:
            transcript = self.archive.transcript(run_id)
            # named by the file of this job, not the one the archive first met these bytes under
            transcript = replace(transcript, media=replace(transcript.media, path=job.path))
            self._write_files(job, transcript)
        except TolmachError as e:
            table.fail(self.conn, job.id, e.message, e.hint)
            return True
        self.archive.note_source(sha, job.info, current_run=run_id)
        table.finish(self.conn, job.id, sha, run_id, reused=True, duration_ms=transcript.media.duration_ms)
        return True

    # -- the loop -------------------------------------------------------------------------------

    def run(self, cls: type[Executor], jobs: list[Job]) -> None:
        executor = cls(
            ExecutorSettings(
                workers=min(self.settings.workers, len(jobs)),
                options=self.options,
                timeout_s=self.settings.timeout_s,
                address=self.settings.address,
                gpus_per_worker=self.settings.gpus_per_worker,
                scratch=str(self.archive.tmp),
            )
        )
        self.archive.tmp.mkdir(parents=True, exist_ok=True)
        pending = collections.deque(jobs)
        self.inflight: dict[str, Job] = {}
        self.tries: collections.Counter[str] = collections.Counter()
        self.last_write: dict[str, float] = {}
        executor.start()
        stopped_now = False
        try:
            while pending or self.inflight:
                self._hand_out(executor, pending)
                for event in executor.poll(POLL_S):
                    self._handle(event, pending)
        except BaseException as exc:
            executor.stop(now=True)
            stopped_now = True
            table.requeue(self.conn, list(self.inflight), count_attempt=False)
            if isinstance(exc, KeyboardInterrupt):
                rows = table.of_batch(self.conn, self.batch) if self.batch else []
                done = sum(1 for j in rows if j.state == "done")
                raise BatchInterrupted(
                    f"stopped: {done} of {len(rows)} clips done;"
                    f" {len(self.inflight)} running put back in the queue",
                    "run the same command again to go on where it stopped",
                ) from None
            raise
        finally:
            if not stopped_now:
                executor.stop()

    def _hand_out(self, executor: Executor, pending: collections.deque[Job]) -> None:
        busy = {self.shas.get(j) for j in self.inflight} - {None}
        deferred = []
        while pending and executor.free() > 0:
            job = pending.popleft()
            if self.shas.get(job.id) in busy:  # the same clip twice: the second reuses the first's run
                deferred.append(job)
                continue
            if self._reuse(job):  # another job of this batch (or another process) stored it meanwhile
                self.watcher.ended(table.get(self.conn, job.id))
                continue
            # workers may fill the archive's stage cache (one atomic file per entry, no database)
            stages = str(self.archive.stages)
            task = Task(job.id, job.path, self.options, self.glossary, str(self.archive.tmp), stages)
            label = executor.submit(task)
            table.start(self.conn, job.id, f"{self.me}:{label}", executor.name)
            self.tries[job.id] += 1
            self.inflight[job.id] = job
            busy.add(self.shas.get(job.id))
        pending.extendleft(reversed(deferred))

    def _handle(self, event: Event, pending: collections.deque[Job]) -> None:
        if isinstance(event, Began):
            job = self.inflight.get(event.job_id)
            if job is not None:
                table.progress(self.conn, job.id, 0, event.duration_ms)
                self.watcher.began(job, event.duration_ms)
        elif isinstance(event, Advanced):
            job = self.inflight.get(event.job_id)
            if job is not None:
                if time.monotonic() - self.last_write.get(job.id, 0.0) >= PROGRESS_WRITE_S:
                    self.last_write[job.id] = time.monotonic()
                    table.progress(self.conn, job.id, event.done_ms)
                self.watcher.advanced(job, event.done_ms)
        elif isinstance(event, Finished):
            job = self.inflight.pop(event.outcome.job_id, None)
            if job is not None:
                self._finished(job, event.outcome)
                self.watcher.ended(table.get(self.conn, job.id))
        elif isinstance(event, Lost):
            job = self.inflight.pop(event.job_id, None)
            if job is None:
                return
            if event.retry and self.tries[job.id] <= self.settings.retries:
                table.requeue(self.conn, [job.id])
                pending.appendleft(job)
                self.watcher.note(f"retrying {job.source}: {event.reason}")
            else:
                table.fail(self.conn, job.id, event.reason, event.hint)
                self.watcher.ended(table.get(self.conn, job.id))

    def _finished(self, job: Job, outcome: Outcome) -> None:
        if outcome.transcript is None:
            table.fail(self.conn, job.id, outcome.error, outcome.hint)
            return
        try:
            run_id, transcript = self._store(job, outcome)
        except TolmachError as e:
            table.fail(self.conn, job.id, e.message, e.hint)
            return
        self.computed += 1
        self.computed_ms += transcript.media.duration_ms
        table.finish(
            self.conn,
            job.id,
            transcript.media.sha256,
            run_id,
            timings={**transcript.timings, "worker_wall": round(outcome.wall_s, 3)},
            duration_ms=transcript.media.duration_ms,
            worker=f"{self.me}:{outcome.worker}",
        )

    def _store(self, job: Job, outcome: Outcome) -> tuple[str, Transcript]:
        """Files first (all or nothing), then the run in one transaction, as ``translate_to_files``."""
        from tolmach.pipeline import output_paths, run_key

        transcript = outcome.transcript
        assert transcript is not None
        info = replace(job.info, source=job.path, title=job.info.title or outcome.title)
        with contextlib.ExitStack() as stack:
            original = Path(job.path)
            if outcome.original is not None:  # a URL: the worker sent the file it fetched
                transcript = replace(transcript, media=replace(transcript.media, path=job.path))
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=self.archive.tmp)))
                original = folder / "original"
                original.write_bytes(outcome.original)
            # the outputs are stored in the archive whether or not they are written to a folder
            stem = Path(job.output).name if job.output else Path(job.path).stem
            files = output_paths(transcript, self.options, Path(job.output).parent, stem)
            outputs = {p.name.removeprefix(stem + "."): text.encode() for p, text in files.items()}
            self._write_files(job, transcript)
            key = run_key(self.options, transcript.model, self.glossary)
            run_id = self.archive.save(transcript, info, key, outputs, original=original)
        return run_id, transcript

    def _write_files(self, job: Job, transcript: Transcript) -> dict[Path, str]:
        from tolmach.pipeline import output_paths

        if not job.output:
            return {}
        target = Path(job.output)
        folder = check_writable_dir(target.parent)
        files = output_paths(transcript, self.options, folder, target.name)
        # a file tolmach did not write there, or one edited since, fails this job and is kept
        write_texts(files, force=self.settings.force)
        return files
