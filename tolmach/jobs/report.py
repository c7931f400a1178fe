"""What a batch run reports: to its front end while it runs (``Watcher``), and at the end (``BatchReport``,
also the JSON of ``tolmach batch --report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tolmach.archive import jobs as table
from tolmach.archive.jobs import Job


class Watcher:
    """What the driver tells its front end (the CLI's progress bar); here every method does nothing."""

    def planned(self, clips: int, done: int, audio_ms: int, done_ms: int) -> None:
        """The batch is known: ``clips`` in all, ``done`` already; audio lengths as far as probed."""

    def began(self, job: Job, duration_ms: int) -> None:
        """A worker opened a clip."""

    def advanced(self, job: Job, done_ms: int) -> None:
        """A worker decoded up to ``done_ms`` of a clip."""

    def ended(self, job: Job) -> None:
        """A job ended (done or failed); ``job`` is its final row."""

    def note(self, text: str) -> None:
        """Something the user should know (a retry)."""


@dataclass(frozen=True)
class BatchReport:
    batch: str
    executor: str
    workers: int
    jobs: tuple[Job, ...]  # every job of the batch, final rows
    wall_s: float
    computed: int  # jobs decoded in this run (the others were done before, or reused, or failed)
    computed_ms: int = 0  # the audio those jobs held

    def count(self, state: str) -> int:
        return sum(1 for j in self.jobs if j.state == state)

    @property
    def ok(self) -> bool:
        return all(j.state == "done" for j in self.jobs)

    def as_dict(self) -> dict[str, Any]:
        minutes = self.wall_s / 60 if self.wall_s > 0 else 0
        return {
            "batch": self.batch,
            "executor": self.executor,
            "workers": self.workers,
            "wall_s": round(self.wall_s, 3),
            "clips": len(self.jobs),
            **{state: self.count(state) for state in table.STATES},
            "computed": self.computed,
            "clips_per_minute": round(self.computed / minutes, 3) if minutes else None,
            "audio_ms": self.computed_ms,
            "audio_hours_per_hour": round(self.computed_ms / 1000 / self.wall_s, 3)
            if self.wall_s > 0
            else None,
            "jobs": [job_dict(j) for j in self.jobs],
        }


def job_dict(job: Job) -> dict[str, Any]:
    keep = ("id", "source", "path", "state", "attempts", "worker", "executor", "error", "hint")
    more = ("duration_ms", "clip_id", "run_id", "reused", "output", "started", "finished", "timings")
    return {name: getattr(job, name) for name in (*keep, *more)}
