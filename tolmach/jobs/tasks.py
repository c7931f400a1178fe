"""What a worker does with one job: the clip in, a Transcript (or the reason there is none) out.

This is the only code that runs in worker processes and Ray actors. It never touches the archive or
the output folder: the driver is the one writer of both, so a worker killed at any moment leaves
nothing half-written. ``load_model`` is the worker's initializer: the model is loaded once per process
(``asr.decoder.load_whisper`` is cached per process) and every clip after the first reuses it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tolmach.errors import TolmachError
from tolmach.options import Options
from tolmach.records import Transcript

if TYPE_CHECKING:
    from tolmach.translate import Glossary

HINT_INTERNAL = "this is a bug in tolmach; run the clip alone with 'tolmach translate -v' and report it"


@dataclass(frozen=True)
class Task:
    """One job as a worker sees it: everything it needs, nothing of the archive."""

    job_id: str
    source: str  # a path or URL the worker can read (shared storage on a cluster)
    options: Options
    glossary: Glossary | None = None  # the driver's (built-in + the archive's + --glossary files)
    scratch: str = ""  # a folder for a URL's download; "" is the system's temp folder
    stages: str = ""  # the archive's stage cache (decoded lines), when the worker can reach it; "" none


@dataclass(frozen=True)
class Outcome:
    """What came back: a transcript, or the one-line error and hint of why not."""

    job_id: str
    worker: str  # who did it, e.g. "local-1:4242" or "ray:tolmach-ab12-0:5151"
    transcript: Transcript | None = None
    error: str = ""
    hint: str = ""
    original: bytes | None = None  # a URL's downloaded file, for the driver to store
    title: str = ""  # a URL's title, as the site gives it
    wall_s: float = 0.0  # the worker's time on the job, model included


def worker_label(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


SPEECH_MB = 1100  # a worker with Whisper base decoding a long clip (peak RSS, docs/BENCHMARKS.md)


def load_model(options: Options) -> None:
    """The worker initializer: resolve and load the speech model once for this process, and the local
    language model when it writes the English (``load_runtime`` keeps it for every clip after)."""
    from tolmach.asr.models import resolve_model
    from tolmach.asr.transcribe import decoder_for
    from tolmach.engines import engine_name, get_engine
    from tolmach.engines.local import LocalEngine

    decoder_for(resolve_model(options.model), options)
    if options.translate and engine_name(options) == "local":
        engine = get_engine(options)
        assert isinstance(engine, LocalEngine)
        engine.runtime  # noqa: B018 - loads the GGUF now, not in the middle of the first clip


def worker_memory_mb(options: Options) -> int:
    """The memory one worker needs: the speech model decoding, plus the local language model if it
    writes the English. The pool is sized by it: Ray reserves it per actor, the local pool checks it."""
    from tolmach.engines import engine_name
    from tolmach.engines.weights import LOCAL_MODELS

    need = SPEECH_MB
    if options.translate and engine_name(options) == "local":
        model = LOCAL_MODELS.get(options.local_model)
        need += model.ram_mb if model else LOCAL_MODELS["1.5b"].ram_mb
    return need


def compute(
    task: Task,
    worker: str,
    *,
    progress: Callable[[int], None] | None = None,
    started: Callable[[int], None] | None = None,
) -> Outcome:
    """Run one clip; never raises for the clip's own trouble (that is the Outcome's ``error``)."""
    from tolmach.pipeline import translate_clip

    clock = time.perf_counter()
    try:
        with _readable(task) as (path, original, title):
            transcript = translate_clip(
                path,
                task.options,
                progress=progress,
                started=started,
                glossary=task.glossary,
                stages=Path(task.stages) if task.stages else None,
            )
    except TolmachError as e:
        return Outcome(task.job_id, worker, error=e.message, hint=e.hint, wall_s=time.perf_counter() - clock)
    except Exception as e:  # a bug: fail this job with what is known, keep the worker going
        message = f"{task.source}: internal error: {type(e).__name__}: {e}"
        return Outcome(task.job_id, worker, error=message, hint=HINT_INTERNAL)
    wall = time.perf_counter() - clock
    return Outcome(task.job_id, worker, transcript, original=original, title=title, wall_s=wall)


@contextlib.contextmanager
def _readable(task: Task) -> Iterator[tuple[str, bytes | None, str]]:
    """The task's media as a local path; a URL is fetched first and its bytes kept for the driver."""
    from tolmach.media.fetch import fetch, is_url

    if not is_url(task.source):
        yield task.source, None, ""
        return
    with tempfile.TemporaryDirectory(prefix="fetch-", dir=task.scratch or None) as tmp:
        fetched = fetch(task.source, Path(tmp))
        yield str(fetched.path), fetched.path.read_bytes(), fetched.title
