"""Runs the stages for one clip: ingest -> transcribe (+ translate) -> cues -> output files.

Each stage is a function from records to records; this module only wires them and times them. Outputs
are all-or-nothing: every file is first written to a temporary name beside its target, and only when
all of them are complete are they renamed into place, so a failure leaves no partial output behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tolmach import __version__
from tolmach.asr.models import resolve_model
from tolmach.asr.transcribe import Progress, decoder_for, transcribe
from tolmach.media import atomic_write_texts, check_writable_dir, ingest
from tolmach.options import Options
from tolmach.records import Transcript
from tolmach.subtitles import CueRules, build_cues, render

Started = Callable[[int], None]  # called once the clip's duration (ms) is known


@dataclass(frozen=True)
class ClipResult:
    transcript: Transcript
    files: tuple[Path, ...]  # what was written, in format order


def translate_clip(
    source: str | os.PathLike[str],
    options: Options | None = None,
    *,
    progress: Progress | None = None,
    started: Started | None = None,
) -> Transcript:
    """Transcribe and translate one clip; returns the Transcript (nothing is written).

    >>> transcript = translate_clip("clip.mp4", Options(lang="ru"))  # doctest: +SKIP
    """
    options = (options or Options()).validate()
    clock = time.perf_counter()
    media, samples = ingest(source)
    if started is not None:
        started(media.duration_ms)
    model = resolve_model(options.model)
    ingest_s = time.perf_counter() - clock
    decoder = decoder_for(model, options)
    if progress is not None:  # the decoded length can differ from the container's by a frame or two
        report, end = progress, media.duration_ms or len(samples) // 16

        def progress(ms: int) -> None:
            report(min(ms, end))

    result = transcribe(samples, decoder, options, progress)
    timings = {"ingest": round(ingest_s, 3), **dict(result.timings)}
    timings["total"] = round(time.perf_counter() - clock, 3)
    return Transcript(
        media=media,
        language=result.language,
        language_probability=round(result.language_probability, 4),
        language_forced=result.language_forced,
        model=model,
        segments=result.segments,
        options=options.as_dict(),
        timings=timings,
        tool_version=__version__,
        warnings=result.warnings,
    )


def output_paths(transcript: Transcript, options: Options, folder: Path, stem: str) -> dict[Path, str]:
    """Every output file's path and content, in the order of ``options.formats``."""
    cues = build_cues(transcript.segments, CueRules.from_options(options))
    files: dict[Path, str] = {}
    for name in options.formats:
        for suffix, text in render(name, transcript, cues).items():
            files[folder / f"{stem}.{suffix}"] = text
    return files


def write_outputs(
    transcript: Transcript, options: Options, folder: str | os.PathLike[str], stem: str | None = None
) -> tuple[Path, ...]:
    """Write every output at once: all files appear, or none does."""
    target = check_writable_dir(folder)
    stem = stem or Path(transcript.media.path).stem
    files = output_paths(transcript, options, target, stem)
    atomic_write_texts(files)
    return tuple(files)


def translate_to_files(
    source: str | os.PathLike[str],
    options: Options | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    *,
    progress: Progress | None = None,
    started: Started | None = None,
) -> ClipResult:
    """What ``tolmach translate`` does for one clip: outputs go beside the clip unless ``output_dir``."""
    options = (options or Options()).validate()
    folder = Path(output_dir) if output_dir is not None else Path(source).resolve().parent
    check_writable_dir(folder)  # fail before minutes of decoding, not after
    transcript = translate_clip(source, options, progress=progress, started=started)
    clock = time.perf_counter()
    files = write_outputs(transcript, options, folder)
    timings = {**transcript.timings, "write": round(time.perf_counter() - clock, 3)}
    return ClipResult(replace(transcript, timings=timings), files)
