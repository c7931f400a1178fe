"""The executor interface: how the batch driver hands jobs to workers and hears back.

An executor runs ``Task``s somewhere (worker processes here, Ray actors on a cluster) and reports
``Event``s. It never touches the archive: the driver stores every result, so there is one writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tolmach.jobs.tasks import Outcome, Task
from tolmach.options import Options

HINT_STOPPED = "the machine may be out of memory, or the clip crashed the decoder; try it alone"
HINT_TIMEOUT = "raise --timeout, or split the clip"


@dataclass(frozen=True)
class ExecutorSettings:
    workers: int  # worker processes or actors
    options: Options  # what every worker loads its model for (threads already shared out)
    timeout_s: float | None = None  # per clip, from the moment a worker takes it
    address: str | None = None  # Ray: auto, ray://host:port; None starts a local instance
    gpus_per_worker: float | None = None  # Ray: a GPU share per actor; None picks from options.device
    scratch: str = ""  # where workers may download URLs


@dataclass(frozen=True)
class Began:
    """A worker opened the clip: its duration is known."""

    job_id: str
    duration_ms: int


@dataclass(frozen=True)
class Advanced:
    job_id: str
    done_ms: int


@dataclass(frozen=True)
class Finished:
    outcome: Outcome


@dataclass(frozen=True)
class Lost:
    """The job ended without an outcome: its worker died or it ran past the timeout."""

    job_id: str
    reason: str
    hint: str
    retry: bool  # worth another attempt (a crash may be transient; a timeout would repeat)


Event = Began | Advanced | Finished | Lost


class Executor:
    """Base class of the executors registered in ``tolmach.jobs.EXECUTORS``.

    To add one (say, a job scheduler of your own):

    1. subclass Executor in a module of ``tolmach/jobs/``, set ``name``; import heavy or optional
       packages inside ``start`` (``MissingExtraError`` with the extra to install when absent);
    2. ``start()`` starts the workers, each loading the model once (``tasks.load_model``);
    3. ``free()`` says how many tasks can be handed out now; ``submit(task)`` hands one out and returns
       the worker's label, which is recorded in the job;
    4. ``poll(wait_s)`` waits at most ``wait_s`` and returns what happened: ``Began``, ``Advanced``,
       ``Finished`` (a worker's ``tasks.compute`` Outcome) or ``Lost`` (the worker died or the clip ran
       past ``timeout_s``; the executor replaces the worker). One job's trouble never raises here;
    5. ``stop(now)`` ends the workers (``now``: do not wait for clips in progress);
    6. add the class to ``EXECUTORS`` in ``tolmach/jobs/__init__.py``.
    """

    name: ClassVar[str] = ""

    def __init__(self, settings: ExecutorSettings) -> None:
        self.settings = settings

    def start(self) -> None:
        raise NotImplementedError

    def free(self) -> int:
        raise NotImplementedError

    def submit(self, task: Task) -> str:
        raise NotImplementedError

    def poll(self, wait_s: float) -> list[Event]:
        raise NotImplementedError

    def stop(self, now: bool = False) -> None:
        raise NotImplementedError


def stopped(exitcode: int | None) -> str:
    """Why a worker process ended, as the job's error says it."""
    import signal

    if exitcode is None:
        return "worker stopped"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown"
        return f"worker stopped: killed by signal {-exitcode} ({name})"
    return f"worker stopped: exit status {exitcode}"
