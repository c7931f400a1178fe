"""Commands: batch (many clips through a pool of workers or a Ray cluster, resumable) and jobs.

Thin: gather the inputs, build the options, call ``tolmach.jobs.run_batch``, show progress on stderr
and a summary at the end. Ctrl+C (or SIGTERM) stops the workers, puts running clips back in the queue
and prints the command that goes on.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tolmach.cli import (
    BatchSizeOption,
    BeamSizeOption,
    ComputeTypeOption,
    DeviceOption,
    EngineOption,
    ForceOption,
    FormatsOption,
    GlossaryOption,
    HomeOption,
    LangOption,
    LlmModelOption,
    LlmUrlOption,
    LocalModelOption,
    ModelOption,
    NmtModelOption,
    NoGlossaryOption,
    NoTranslateOption,
    RemoteOption,
    SpeakersOption,
    _parsed,
    app,
    clock,
    err,
    fail,
    flag_overrides,
    open_archive,
    out,
)
from tolmach.cli.folders import tidied
from tolmach.cli.output import Column, JsonOption, Listing, emit, show_progress
from tolmach.errors import TolmachError
from tolmach.jobs.report import Watcher
from tolmach.media.ledger import check_targets, write_texts
from tolmach.records import ClipInfo
from tolmach.settings import load_options

if TYPE_CHECKING:
    from tolmach.archive.jobs import Job
    from tolmach.jobs import BatchReport


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tolmach batch ./clips/ --workers 2 -o out/\n\n"
        "  tolmach batch list.txt --lang ru --report report.json\n\n"
        "  tolmach batch list.txt --executor ray --address auto --device cuda\n\n"
        "Run the same command again after Ctrl+C, a crash or kill -9: it goes on where it stopped."
    )
)
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(help="A folder (its media files, at any depth), a .txt list of paths/URLs, or files."),
    ],
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Write the outputs here too (default: archive only)."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes or Ray actors, each with the model.")] = 2,
    executor: Annotated[str, typer.Option(help="local (worker processes) or ray.")] = "local",
    address: Annotated[
        str | None, typer.Option(help="Ray cluster: auto or ray://host:10001 (default: a local Ray).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds a clip may take before it is failed.")
    ] = None,
    retries: Annotated[int, typer.Option(help="More tries for a clip whose worker died.")] = 1,
    gpus_per_worker: Annotated[
        float | None, typer.Option(help="Ray: GPU share per actor, e.g. 0.25 (default 1 on GPU nodes).")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write every job as JSON to this file.")] = None,
    lang: LangOption = None,
    model: ModelOption = None,
    formats: FormatsOption = None,
    no_translate: NoTranslateOption = False,
    beam_size: BeamSizeOption = None,
    batch_size: BatchSizeOption = None,
    device: DeviceOption = None,
    compute_type: ComputeTypeOption = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads per worker (0 = cores / workers).")] = None,
    speakers: SpeakersOption = None,
    no_entities: Annotated[bool, typer.Option("--no-entities", help="Do not look for names.")] = False,
    glossary: GlossaryOption = None,
    no_glossary: NoGlossaryOption = False,
    engine: EngineOption = None,
    local_model: LocalModelOption = None,
    llm_url: LlmUrlOption = None,
    llm_model: LlmModelOption = None,
    nmt_model: NmtModelOption = None,
    allow_remote: RemoteOption = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag for every clip; repeatable.")] = None,
    home: HomeOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    force: ForceOption = False,
) -> None:
    """Translate many clips with a pool of workers (or Ray), each clip once; resumable."""
    from tolmach.jobs import BatchInterrupted, BatchSettings, gather, run_batch

    overrides = flag_overrides(
        lang=lang,
        model=model,
        formats=formats,
        beam_size=beam_size,
        batch_size=batch_size,
        device=device,
        compute_type=compute_type,
        threads=threads,
        speakers=speakers,
        engine=engine,
        local_model=local_model,
        llm_url=llm_url,
        llm_model=llm_model,
        nmt_model=nmt_model,
        allow_remote=allow_remote,
        no_translate=no_translate,
        no_entities=no_entities,
        no_glossary=no_glossary,
        glossary=glossary,
    )
    settings = BatchSettings(executor, workers, address, timeout, retries, gpus_per_worker, force)
    result: BatchReport | None = None
    try:
        options = load_options(_parsed(overrides))
        sources = gather(inputs)
        if report is not None:  # refused now, not after the whole batch
            check_targets([report], force=force)
        with open_archive(home) as archive, tidied(output_dir), _watching(quiet) as watcher, _stop_on_term():
            result = run_batch(
                archive, sources, options, output_dir, settings, watcher, ClipInfo("", tags=tuple(tag or ()))
            )
    except BatchInterrupted as e:
        err.print(f"[yellow]{escape(e.message)}[/]", highlight=False, soft_wrap=True)
        err.print(f"to go on, run: {escape(_again())}", highlight=False, soft_wrap=True)
        raise typer.Exit(e.exit_code) from None
    except TolmachError as e:
        raise fail(e) from None
    if report is not None:
        try:
            write_texts(
                {report: json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"}, force=force
            )
        except TolmachError as e:
            raise fail(e) from None
    _summary(result)
    if not result.ok:
        raise typer.Exit(1)


def _again() -> str:
    return shlex.join(["tolmach", *sys.argv[1:]])


@contextlib.contextmanager
def _stop_on_term() -> Iterator[None]:
    """SIGTERM stops the batch as Ctrl+C does: cleanly, with the running clips put back."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Bar(Watcher):
    """The progress bar over clips and audio, fed by the driver (see ``tolmach.jobs.Watcher``)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.partial: dict[str, int] = {}
        self.audio_done = 0

    def planned(self, clips: int, done: int, audio_ms: int, done_ms: int) -> None:
        if self.progress is None:
            return
        self.audio_done = done_ms
        self.clips = self.progress.add_task("clips", total=clips, completed=done, audio="")
        self.audio = self.progress.add_task(
            "audio", total=max(audio_ms, 1), completed=done_ms, audio=f"of {_hours(audio_ms)}"
        )

    def began(self, job: Job, duration_ms: int) -> None:
        pass

    def advanced(self, job: Job, done_ms: int) -> None:
        self.partial[job.id] = done_ms
        self._audio()

    def ended(self, job: Job) -> None:
        self.partial.pop(job.id, None)
        self.audio_done += job.duration_ms
        if self.progress is not None:
            self.progress.advance(self.clips)
        self._audio()
        if job.state == "failed":
            self.note(f"[yellow]failed[/] {escape(_failure(job))}")

    def _audio(self) -> None:
        if self.progress is not None:
            self.progress.update(self.audio, completed=self.audio_done + sum(self.partial.values()))

    def note(self, text: str) -> None:
        (self.progress.console if self.progress is not None else err).print(
            text, highlight=False, soft_wrap=True
        )


@contextlib.contextmanager
def _watching(quiet: bool) -> Iterator[_Bar]:
    if not show_progress(quiet):
        yield _Bar(None)
        return
    columns = (
        TextColumn("{task.description:>5}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[audio]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        yield _Bar(progress)


def _failure(job: Job) -> str:
    """The job's error, which names the file when it comes from the pipeline."""
    said = job.error if job.error.startswith(job.source) else f"{job.source}: {job.error}"
    return f"{said} (hint: {job.hint})" if job.hint else said


def _hours(ms: int) -> str:
    return f"{ms / 3_600_000:.2f} h audio"


SUMMARY = (
    Column("batch", "id"),
    *(Column(name, "number") for name in ("clips", "done", "failed", "decoded", "audio", "wall")),
    Column("clips/min", "number", "clips_per_minute"),
    Column("audio h/h", "number", "audio_hours_per_hour"),
)
JOB_COLUMNS = (
    Column("id", "id"),
    Column("clip", "text", lambda j: Path(j["source"]).name),
    Column("state", "id"),
    Column("attempts", "number"),
    Column("worker", "text", lambda j: _worker(j["worker"])),
    Column("error"),
)


def _worker(worker: str) -> str:
    """A batch job's worker without the driver before it ("batch:<host>:<pid>:<worker>")."""
    return worker.split(":", 3)[-1] if worker.startswith("batch:") else worker


def _summary(result: BatchReport) -> None:
    data = result.as_dict()
    rate = data["clips_per_minute"]
    row = {
        "batch": result.batch,
        "clips": data["clips"],
        "done": data["done"],
        "failed": data["failed"],
        "decoded": result.computed,
        "audio": clock(result.computed_ms),
        "wall": f"{result.wall_s:.1f} s",
        "clips_per_minute": f"{rate:.1f}" if rate else None,
        "audio_hours_per_hour": f"{data['audio_hours_per_hour']:.1f}" if result.computed else None,
    }
    emit(Listing("batches", SUMMARY, [row], title="tolmach batch"))
    for job in result.jobs:
        if job.state == "failed":
            err.print(f"[yellow]failed[/] {escape(_failure(job))}", highlight=False, soft_wrap=True)
    if not result.ok:
        err.print(
            "retry the failed ones: tolmach jobs --retry-failed (or run the same batch again)",
            highlight=False,
        )


@app.command(
    epilog=(
        "Examples:\n\n  tolmach jobs\n\n  tolmach jobs --failed\n\n"
        "  tolmach jobs --retry 3f2a9c1d\n\n  tolmach jobs --retry-failed --workers 2\n\n"
        "  tolmach jobs --failed --json | jq -r '.jobs[].source'"
    )
)
def jobs(
    failed: Annotated[bool, typer.Option("--failed", help="Only the failed jobs.")] = False,
    retry: Annotated[
        list[str] | None, typer.Option("--retry", help="Run a failed job again (ID or prefix); repeatable.")
    ] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Run every failed job again.")] = False,
    workers: Annotated[int, typer.Option(help="Workers for the retried jobs.")] = 1,
    limit: Annotated[int, typer.Option(help="Show at most this many jobs.")] = 200,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """What is queued, running, done and failed, and why; run failed jobs again."""
    from tolmach.archive import jobs as table

    try:
        with open_archive(home) as archive:
            if retry or retry_failed:
                ids = [table.resolve(archive.conn, i) for i in retry or ()]
                ids += table.failed_ids(archive.conn) if retry_failed else []
                _retry(archive, list(dict.fromkeys(ids)), workers)
                return
            shown = table.listed(archive.conn, "failed" if failed else None, limit)
    except TolmachError as e:
        raise fail(e) from None
    empty = "no failed jobs" if failed else "no jobs: 'tolmach batch' and the web app's uploads make them"
    emit(Listing("jobs", JOB_COLUMNS, [job_record(j) for j in shown], empty=empty), as_json)


def job_record(job: Job) -> dict[str, Any]:
    """A job as ``jobs --json`` gives it (docs/FORMATS.md)."""
    return {
        "id": job.id,
        "batch": job.batch or None,
        "source": job.source,
        "state": job.state,
        "attempts": job.attempts,
        "worker": job.worker,
        "error": job.error,
        "hint": job.hint,
        "progress_ms": job.progress_ms,
        "duration_ms": job.duration_ms,
        "clip_id": job.clip_id,
        "run_id": job.run_id,
        "output": job.output or None,
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
    }


def _retry(archive: Any, ids: list[str], workers: int) -> None:
    """Queue the jobs again; a batch's jobs are run now, the web app's are left to its worker."""
    from tolmach.archive import jobs as table
    from tolmach.jobs import BatchSettings, options_of, run_jobs

    if not ids:
        out.print("no failed jobs")
        return
    by_batch: dict[str, list[Job]] = {}
    for job_id in ids:
        job = table.retry(archive.conn, job_id)
        by_batch.setdefault(job.batch, []).append(job)
    for web_job in by_batch.pop("", []):
        out.print(f"queued {web_job.id} again; the web server runs it", highlight=False)
    ok = True
    for batch_id, batch_jobs in by_batch.items():
        settings = BatchSettings(executor=batch_jobs[0].executor or "local", workers=workers)
        with _watching(False) as watcher:
            result = run_jobs(archive, batch_id, batch_jobs, options_of(batch_jobs[0]), settings, watcher)
        for job in result.jobs:
            if job.id in ids:
                out.print(
                    f"{job.id} {Path(job.source).name}: {job.state} {job.error}".rstrip(), highlight=False
                )
                ok = ok and job.state == "done"
    if not ok:
        raise typer.Exit(1)
