"""Batches of clips as jobs in the archive, run by an executor: a local pool of worker processes, or
Ray actors on a cluster. ``run_batch`` is what ``tolmach batch`` calls; see docs/SCALE.md."""

from __future__ import annotations

from tolmach.errors import OptionsError
from tolmach.jobs.base import Executor, ExecutorSettings
from tolmach.jobs.batch import (
    BatchInterrupted,
    BatchReport,
    BatchSettings,
    Watcher,
    batch_id,
    options_of,
    queue_batch,
    run_batch,
    run_jobs,
)
from tolmach.jobs.inputs import MEDIA_EXTENSIONS, Source, gather
from tolmach.jobs.local import LocalPool
from tolmach.jobs.ray_actors import RayActors
from tolmach.jobs.tasks import Outcome, Task, compute, load_model

# name -> class; a new executor is a subclass of Executor (its docstring says how) added here
EXECUTORS: dict[str, type[Executor]] = {LocalPool.name: LocalPool, RayActors.name: RayActors}


def executor_class(name: str) -> type[Executor]:
    if name not in EXECUTORS:
        raise OptionsError(f"unknown executor '{name}'", f"choose from {', '.join(EXECUTORS)}")
    return EXECUTORS[name]


__all__ = [
    "EXECUTORS",
    "MEDIA_EXTENSIONS",
    "BatchInterrupted",
    "BatchReport",
    "BatchSettings",
    "Executor",
    "ExecutorSettings",
    "LocalPool",
    "Outcome",
    "RayActors",
    "Source",
    "Task",
    "Watcher",
    "batch_id",
    "compute",
    "executor_class",
    "gather",
    "load_model",
    "options_of",
    "queue_batch",
    "run_batch",
    "run_jobs",
]
