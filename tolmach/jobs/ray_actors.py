"""The Ray executor: the same jobs on a Ray cluster (``pip install 'tolmach[ray]'``), or a local Ray.

Each worker is a Ray actor that loads the model once in its constructor and then transcribes one clip
per call; the result (a Transcript, a few hundred KB) goes back to the driver, which alone writes the
archive. Actors read the media themselves from the path or URL in the job, so on a cluster the clips
must be on storage every node mounts at the same path (NFS, a mounted S3 bucket) or behind URLs
(docs/SCALE.md). An actor that dies (OOM, segfault, a lost node) is restarted by Ray, which loads the
model again, and the call it was running is retried there (``max_restarts``, ``max_task_retries``).

Resources: on GPU nodes an actor asks for ``num_gpus`` (1, or a fraction to pack several small models on
one card); otherwise for a *fraction* of a CPU, and the whole set of actors for at most three quarters of
the cluster's CPUs, so that Ray's own work is never starved (a pool of actors that takes every CPU can
deadlock Ray Data, and on a 2-core machine leaves nothing for the driver); the model's own thread count
(``--threads``, default: the CPUs per actor) is what really sets how many cores an actor uses.

Without ``--address`` a local Ray is started with settings safe on a CI machine: no dashboard, no usage
statistics, a small object store, and a short temp folder (Ray's Unix socket paths must fit in 107 bytes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import replace
from typing import Any

from tolmach.errors import MissingExtraError, ModelError
from tolmach.jobs.base import HINT_STOPPED, HINT_TIMEOUT, Event, Executor, Finished, Lost
from tolmach.jobs.tasks import Outcome, Task, compute, load_model, worker_memory_mb
from tolmach.options import Options

OBJECT_STORE_BYTES = 128 * 2**20  # results are small; Ray's default takes 30% of the machine's memory
START_TIMEOUT_S = 600.0  # actors load the model before answering (first start on a node: minutes)
CPU_SHARE = 0.75  # of the cluster's CPUs, at most, for all the actors together
MAX_RESTARTS = 3
MAX_TASK_RETRIES = 2


class ClipActor:
    """A Ray actor holding the models (speech, and the local language model when it writes the English):
    constructed once per actor process (and again after a restart)."""

    def __init__(self, options: Options, slot: int) -> None:
        load_model(options)
        self.slot = slot

    def pid(self) -> int:
        return os.getpid()

    def run(self, task: Task) -> Outcome:
        return compute(task, f"ray-{self.slot}:{os.getpid()}")


class RayActors(Executor):
    """Ray actors, local or on a cluster (``--executor ray [--address auto|ray://host:port]``)."""

    name = "ray"

    def start(self) -> None:
        try:
            import ray
        except ImportError:
            raise MissingExtraError("the Ray executor", "ray") from None
        self._ray: Any = ray
        self._owned = False
        self._tmp: str | None = None
        if not ray.is_initialized():
            self._init(ray)
        resources = ray.cluster_resources()
        cpus, gpus = float(resources.get("CPU", 1)), float(resources.get("GPU", 0))
        n = self.settings.workers
        options = self.settings.options
        use_gpu = options.device == "cuda" or (options.device == "auto" and gpus > 0)
        num_gpus = (self.settings.gpus_per_worker or 1.0) if use_gpu else 0.0
        num_cpus = max(0.05, round(min(1.0, cpus * CPU_SHARE / n), 2))
        if options.threads == 0:
            options = options.replace(threads=1 if use_gpu else max(1, int(cpus // n)))
        self.options = options
        memory = worker_memory_mb(options) * 2**20  # the speech model, and the local LLM if it translates
        actor = ray.remote(ClipActor)
        token = os.urandom(3).hex()
        self._actors: list[Any] = [
            actor.options(
                name=f"tolmach-{token}-{slot}",
                num_cpus=num_cpus,
                num_gpus=num_gpus,
                memory=memory,  # reserved: Ray places no more actors on a node than fit in its memory
                max_restarts=MAX_RESTARTS,
                max_task_retries=MAX_TASK_RETRIES,
            ).remote(options, slot)
            for slot in range(n)
        ]
        try:
            self._pids = list(ray.get([a.pid.remote() for a in self._actors], timeout=START_TIMEOUT_S))
        except Exception as exc:  # the model would not load, or no node can host the actors
            self.stop(now=True)
            raise ModelError(f"the Ray actors did not start: {_first_line(exc)}", HINT_STOPPED) from exc
        self.names = [f"tolmach-{token}-{slot}" for slot in range(n)]
        self._busy: dict[int, tuple[Any, str, float | None]] = {}  # slot -> (call, job ID, deadline)

    def _init(self, ray: Any) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        common = dict(log_to_driver=False, configure_logging=False)
        if self.settings.address:
            ray.init(address=self.settings.address, **common)
        else:
            self._tmp = tempfile.mkdtemp(prefix="tray-", dir="/tmp" if os.path.isdir("/tmp") else None)
            ray.init(
                num_cpus=os.cpu_count() or 1,
                include_dashboard=False,
                object_store_memory=OBJECT_STORE_BYTES,
                _temp_dir=self._tmp,
                **common,
            )
        self._owned = True

    @property
    def pids(self) -> list[int]:
        return list(self._pids)

    def free(self) -> int:
        return len(self._actors) - len(self._busy)

    def submit(self, task: Task) -> str:
        slot = next(i for i in range(len(self._actors)) if i not in self._busy)
        if self.settings.address:  # other machines: the driver's folders are not theirs
            task = replace(task, scratch="", stages="")
        call = self._actors[slot].run.remote(replace(task, options=self.options))
        timeout = self.settings.timeout_s
        self._busy[slot] = (call, task.job_id, time.monotonic() + timeout if timeout else None)
        return f"ray-{slot}:{self._pids[slot]}"

    def poll(self, wait_s: float) -> list[Event]:
        ray = self._ray
        events: list[Event] = []
        calls = {call: slot for slot, (call, _, _) in self._busy.items()}
        if not calls:
            time.sleep(min(wait_s, 0.05))
            return events
        deadlines = [d for _, _, d in self._busy.values() if d is not None]
        if deadlines:
            wait_s = max(0.0, min(wait_s, min(deadlines) - time.monotonic()))
        ready, _ = ray.wait(list(calls), num_returns=1, timeout=wait_s)
        if ready:
            ready, _ = ray.wait(list(calls), num_returns=len(calls), timeout=0)
        for call in ready:
            slot = calls[call]
            _, job_id, _ = self._busy.pop(slot)
            try:
                outcome: Outcome = ray.get(call)
            except ray.exceptions.RayActorError as exc:
                events.append(
                    Lost(
                        job_id,
                        f"worker stopped: the Ray actor died ({_first_line(exc)})",
                        HINT_STOPPED,
                        retry=True,
                    )
                )
                self._refresh_pid(slot)
                continue
            except ray.exceptions.RayError as exc:
                events.append(Lost(job_id, f"Ray failed: {_first_line(exc)}", HINT_STOPPED, retry=False))
                continue
            self._pids[slot] = int(outcome.worker.rpartition(":")[2] or self._pids[slot])
            events.append(Finished(outcome))
        now = time.monotonic()
        for slot, (_, job_id, deadline) in list(self._busy.items()):
            if deadline is not None and deadline <= now:
                del self._busy[slot]
                ray.kill(self._actors[slot], no_restart=False)  # restarted with the model, for the next clip
                timeout = self.settings.timeout_s or 0
                events.append(
                    Lost(job_id, f"timed out after {timeout:g} s (worker stopped)", HINT_TIMEOUT, False)
                )
        return events

    def _refresh_pid(self, slot: int) -> None:
        with contextlib.suppress(Exception):
            self._pids[slot] = int(self._ray.get(self._actors[slot].pid.remote(), timeout=START_TIMEOUT_S))

    def stop(self, now: bool = False) -> None:
        ray = self._ray
        for actor in getattr(self, "_actors", []):
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        if self._owned:
            ray.shutdown()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
