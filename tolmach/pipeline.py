"""Runs the stages for one clip: fetch -> ingest -> transcribe -> speakers -> entities -> English (the
engine) -> glossary -> line checks -> cues -> output files -> archive.

Each stage is a function from records to records; this module only wires them and times them. Outputs
are all-or-nothing: every file is first written to a temporary name beside its target, and only when
all of them are complete are they renamed into place, so a failure leaves no partial output behind.
With an archive, a clip already processed with the same options is not decoded again: its stored run
is used (the run ID covers the clip's sha256, the model's, every option that shapes the text, the
glossary and the tool version).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tolmach import __version__
from tolmach.archive.archive import run_id_for
from tolmach.asr import cache as asr_cache
from tolmach.asr.languages import LANGUAGES
from tolmach.asr.models import resolve_model
from tolmach.asr.transcribe import Progress, decoder_for, transcribe, whisper_english
from tolmach.asr.windows import Region
from tolmach.checks import check_segments
from tolmach.engines import engine_key, translate_segments, writes_from_text
from tolmach.errors import ConflictError, MissingExtraError
from tolmach.media import check_writable_dir, ingest, sha256_file
from tolmach.media.fetch import fetch, is_url
from tolmach.media.ledger import check_targets, write_texts
from tolmach.media.probe import check_input_file
from tolmach.options import Options
from tolmach.records import ClipInfo, MediaInfo, ModelInfo, Segment, Transcript
from tolmach.subtitles import CueRules, build_cues, render
from tolmach.translate import Glossary, load_glossary

if TYPE_CHECKING:
    from tolmach.archive import Archive, RunSummary

# the options that change the transcript or translation; the others only change how files are written
SHAPING = (
    "lang",
    "translate",
    "beam_size",
    "no_repeat_ngram_size",
    "vad",
    "batch_size",
    "compute_type",
    "speakers",
)
NO_DIARIZE = "one speaker assumed: telling voices apart needs pip install 'tolmach[diarize]'"
USER_GLOSSARY = "glossary.tsv"  # in the archive folder: what 'tolmach glossary add' writes
_ANY = "xxx"  # stands for the spoken language before it is known: as long as the longest code
Lines = Callable[[int, int], None]  # (lines translated so far, lines in all), for a progress bar
Taken = Mapping[Path, str]  # files written by this command already -> the input they were written for

Started = Callable[[int], None]  # called once the clip's duration (ms) is known


@dataclass(frozen=True)
class ClipResult:
    transcript: Transcript
    files: tuple[Path, ...]  # what was written, in format order
    run_id: str | None = None  # the archive run, when there is an archive
    reused: bool = False  # True when the archive already held this result
    kept: RunSummary | None = None  # the clip's current run, kept over this one: a person worked on it


def glossary_for(options: Options, home: Path | None = None) -> Glossary | None:
    """The built-in glossary, the user's (in the archive folder) and ``options.glossaries``, in order."""
    if not options.glossary:
        return None
    user = [home / USER_GLOSSARY] if home is not None and (home / USER_GLOSSARY).is_file() else []
    return load_glossary(*user, *(Path(p).expanduser() for p in options.glossaries))


def run_key(options: Options, model: ModelInfo, glossary: Glossary | None) -> dict[str, Any]:
    """Everything that shapes a clip's result: equal keys give equal transcripts."""
    key: dict[str, Any] = {name: getattr(options, name) for name in SHAPING}
    key.update(model=model.sha256, tool=__version__, entities=options.entities, hotwords=options.hotwords)
    key["glossary"] = glossary.fingerprint() if glossary is not None else None
    key["asr"] = asr_cache.FORMAT  # a run decoded before a change to what decoding gives is not reused
    key.update(engine_key(options))
    return key


def translate_clip(
    source: str | os.PathLike[str],
    options: Options | None = None,
    *,
    progress: Progress | None = None,
    started: Started | None = None,
    glossary: Glossary | None = None,
    stages: Path | None = None,
    translating: Lines | None = None,
) -> Transcript:
    """Transcribe and translate one clip; returns the Transcript (nothing is written).

    ``glossary`` (default: the built-in one, when ``options.glossary``) glosses terms in the English.
    ``stages`` (an archive's ``stages/`` folder) keeps the decoded lines, and reads back those decoded
    before with the same model and decoding options, so that only the later stages run again.
    When a text engine writes the English (``--engine local``, ``llm``, ``nmt``, or ``auto`` with the
    local model installed), Whisper only transcribes; its own English is decoded afterwards for just
    the lines the engine could not translate. ``translating(done, total)`` follows the engine's lines.

    >>> transcript = translate_clip("clip.mp4", Options(lang="ru"))  # doctest: +SKIP
    """
    options = (options or Options()).validate()
    if options.speakers not in ("auto", "1"):
        from tolmach.diarize import require_diarize

        require_diarize()  # a fixed number of speakers without the extra fails now, not after decoding
    if glossary is None:
        glossary = glossary_for(options)
    clock = time.perf_counter()
    media, samples = ingest(source)
    if started is not None:
        started(media.duration_ms)
    model = resolve_model(options.model)
    ingest_s = time.perf_counter() - clock
    end = media.duration_ms or len(samples) // 16
    if progress is not None:  # the decoded length can differ from the container's by a frame or two
        report = progress

        def progress(ms: int) -> None:
            report(min(ms, end))

    hotwords = glossary.hotwords if glossary is not None and options.hotwords else None
    from_text = writes_from_text(options)
    # Whisper's translate task would be thrown away: decode the transcript only (and key it so)
    asr_options = replace(options, translate=False) if from_text else options
    key = asr_cache.asr_key(
        media.sha256, model, asr_options, glossary.fingerprint() if hotwords and glossary is not None else ""
    )
    cached = asr_cache.load(stages, media.sha256, key) if stages is not None else None
    if cached is None:
        result = transcribe(samples, decoder_for(model, asr_options), asr_options, progress, hotwords)
        if stages is not None:
            asr_cache.store(stages, media.sha256, key, result)
    else:  # decoded before with the same model and options: only the later stages run again
        result = cached
        if progress is not None:
            progress(end)
    timings = {"ingest": round(ingest_s, 3), **({"asr_cached": 1.0} if cached else dict(result.timings))}
    segments, warnings = result.segments, result.warnings
    if options.speakers != "1" and segments:
        lap = time.perf_counter()
        segments, notice = _speakers(samples, segments, options.speakers, result.regions)
        warnings += (notice,) if notice else ()
        timings["speakers"] = round(time.perf_counter() - lap, 3)
    if options.entities:  # before the engine: it is told how the names are spelled in English
        lap = time.perf_counter()
        from tolmach.entities import annotate

        segments = annotate(segments, result.language)
        timings["entities"] = round(time.perf_counter() - lap, 3)
    if options.translate:
        # the engine writes the English (whisper's: as decoded); the glossary glosses it after
        lap = time.perf_counter()
        spans = [(s.start, s.end) for s in segments]

        def whisper_lines(indices: Sequence[int]) -> list[str]:
            decoder = decoder_for(model, options)
            return whisper_english(samples, decoder, [spans[i] for i in indices], result.language, options)

        count = len(segments)
        segments, notices = translate_segments(
            segments,
            result.language,
            options,
            glossary,
            whisper=f"whisper:{model.name}",
            whisper_lines=whisper_lines if from_text else None,
            progress=(lambda done: translating(done, count)) if translating is not None else None,
        )
        warnings += notices
        if from_text:
            timings["engine"] = round(time.perf_counter() - lap, 3)
    if glossary is not None and options.translate:
        segments = glossary.apply(segments, result.language)
    if options.translate:  # every line's English against its original, whoever wrote it
        lap = time.perf_counter()
        segments = check_segments(segments, result.language, glossary, entities=options.entities)
        timings["checks"] = round(time.perf_counter() - lap, 3)
    timings["total"] = round(time.perf_counter() - clock, 3)
    return Transcript(
        media=media,
        language=result.language,
        language_probability=round(result.language_probability, 4),
        language_forced=result.language_forced,
        model=model,
        segments=segments,
        options=options.as_dict(),
        timings=timings,
        tool_version=__version__,
        warnings=warnings,
        language_detected=result.detected,
        language_detected_probability=result.detected_probability,
        language_mismatch=result.language_mismatch,
    )


def _speakers(
    samples: Any, segments: tuple[Segment, ...], speakers: str, regions: Sequence[Region]
) -> tuple[tuple[Segment, ...], str]:
    """Who speaks each line; with ``auto`` and no diarize extra, everything stays one speaker."""
    from tolmach.diarize import assign_speakers, diarize, require_diarize

    try:
        require_diarize()
    except MissingExtraError:
        if speakers == "auto":
            return segments, NO_DIARIZE
        raise
    # the transcription's speech regions: running the VAD again would cost a pass over the clip
    turns = diarize(samples, None if speakers == "auto" else int(speakers), regions=regions or None)
    return assign_speakers(segments, turns), ""


def output_paths(transcript: Transcript, options: Options, folder: Path, stem: str) -> dict[Path, str]:
    """Every output file's path and content, in the order of ``options.formats``."""
    cues = build_cues(transcript.segments, CueRules.from_options(options))
    files: dict[Path, str] = {}
    for name in options.formats:
        for suffix, text in render(name, transcript, cues).items():
            files[folder / f"{stem}.{suffix}"] = text
    return files


def write_outputs(
    transcript: Transcript,
    options: Options,
    folder: str | os.PathLike[str],
    stem: str | None = None,
    *,
    force: bool = False,
    taken: Taken | None = None,
) -> tuple[Path, ...]:
    """Write every output at once: all files appear, or none does.

    An existing file is replaced only if tolmach wrote it and it is unchanged since (``media.ledger``),
    or with ``force``; else ConflictError, and nothing is written.
    """
    target = check_writable_dir(folder)
    stem = stem or Path(transcript.media.path).stem
    files = output_paths(transcript, options, target, stem)
    write_texts(files, force=force, taken=taken)
    return tuple(files)


def planned_outputs(options: Options, folder: Path, stem: str) -> list[Path]:
    """The files ``write_outputs`` may write, known before decoding: to check them before the work.

    The formats are rendered from a one-line stand-in, so their names come from the formats themselves.
    Before the spoken language is known, a track named by it stands for every language: the files of
    that shape already in the folder are all checked, and the longest code's name is checked for length.
    """
    lang = options.lang or _ANY
    line = Segment(1, 0, 1000, "-", "-" if options.translate else "")
    media = MediaInfo(path=stem, sha256="0" * 64, size=0, duration_ms=1000, container="")
    probe = Transcript(media, lang, 1.0, True, ModelInfo("", "", ""), (line,), options=options.as_dict())
    paths: list[Path] = []
    stand_ins: list[Path] = []  # last: a refusal names a real file first
    for name in options.formats:
        for suffix in render(name, probe):
            if not suffix.startswith(f"{_ANY}."):
                paths.append(folder / f"{stem}.{suffix}")
                continue
            rest = suffix.removeprefix(f"{_ANY}.")
            stand_ins.append(folder / f"{stem}.{suffix}")
            paths += [p for code in LANGUAGES if os.path.lexists(p := folder / f"{stem}.{code}.{rest}")]
    return paths + stand_ins


def distinct_outputs(sources: Sequence[str], output_dir: str | os.PathLike[str] | None) -> None:
    """Refuse, before any work, two files that would write the same outputs: one name into one folder
    (``a/clip.wav b/clip.wav -o out``, or ``clip.wav clip.mp4`` side by side). A URL's name is known
    only once it is fetched; ``translate_to_files(taken=...)`` catches those."""
    seen: dict[tuple[Path, str], str] = {}
    for source in sources:
        if is_url(source):
            continue
        path = Path(source).resolve()
        folder = Path(output_dir).resolve() if output_dir is not None else path.parent
        other = seen.setdefault((folder, path.stem), source)
        if other != source:
            raise ConflictError(
                f"{other} and {source} would both write {folder / path.stem}.*: the second would "
                "replace the first's outputs",
                "translate them into different folders with -o, or rename one",
            )


def translate_to_files(
    source: str | os.PathLike[str],
    options: Options | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    *,
    progress: Progress | None = None,
    started: Started | None = None,
    archive: Archive | None = None,
    info: ClipInfo | None = None,
    force: bool = False,
    taken: Taken | None = None,
    translating: Lines | None = None,
) -> ClipResult:
    """What ``tolmach translate`` does for one clip or URL.

    Outputs go beside the clip unless ``output_dir`` (a URL's go to the current folder). With an
    ``archive``, the clip and its run are stored, and a run stored before is reused. An existing file
    tolmach did not write, or that changed since, is kept (ConflictError) unless ``force``; ``taken``:
    files written for other inputs of the same command, never replaced. Checked before decoding.
    """
    options = (options or Options()).validate()
    url = str(source) if is_url(str(source)) else None
    beside = Path.cwd() if url else Path(source).resolve().parent
    folder = Path(output_dir) if output_dir is not None else beside
    check_writable_dir(folder)  # fail before minutes of decoding, not after
    guard = _Guard(force, taken)
    if url is None:  # a URL's name is known once it is fetched
        check_targets(planned_outputs(options, folder, Path(source).stem), force=force, taken=taken)
    with _local_copy(str(source), archive) as (path, fetched):
        if url is not None:
            check_targets(planned_outputs(options, folder, Path(path).stem), force=force, taken=taken)
        info = replace(info or ClipInfo(source=""), source=url or str(Path(path).resolve()))
        if fetched is not None and not info.title:
            info = replace(info, title=fetched.title)
        stem = Path(path).stem
        if archive is None:
            transcript = translate_clip(
                path, options, progress=progress, started=started, translating=translating
            )
            return _written(transcript, options, folder, stem, None, False, guard)
        glossary = glossary_for(options, archive.home)
        check_input_file(path)
        run_id, _ = run_id_for(sha256_file(path), run_key(options, resolve_model(options.model), glossary))
        if archive.has_run(run_id):
            stored = archive.transcript(run_id)
            # the file given now, not the name the archive first met these bytes under
            transcript = replace(stored, media=replace(stored.media, path=url or path))
            archive.note_source(transcript.media.sha256, info, current_run=run_id)
            result = _written(transcript, options, folder, stem, run_id, True, guard)
            return replace(result, kept=archive.kept_instead(run_id))
        transcript = translate_clip(
            path,
            options,
            progress=progress,
            started=started,
            glossary=glossary,
            stages=archive.stages,
            translating=translating,
        )
        if url:
            transcript = replace(transcript, media=replace(transcript.media, path=url))
        files = output_paths(transcript, options, folder, stem)
        outputs = {p.name.removeprefix(stem + "."): text.encode() for p, text in files.items()}
        key = run_key(options, transcript.model, glossary)
        run_id = archive.save(transcript, info, key, outputs, original=Path(path))
        result = _written(transcript, options, folder, stem, run_id, False, guard)
        return replace(result, kept=archive.kept_instead(run_id))


@dataclass(frozen=True)
class _Guard:
    """What may be replaced: ``force`` anything but ``taken``, else only tolmach's unchanged files."""

    force: bool = False
    taken: Taken | None = None


def _written(
    transcript: Transcript,
    options: Options,
    folder: Path,
    stem: str,
    run_id: str | None,
    reused: bool,
    guard: _Guard,
) -> ClipResult:
    clock = time.perf_counter()
    files = write_outputs(transcript, options, folder, stem, force=guard.force, taken=guard.taken)
    timings = {**transcript.timings, "write": round(time.perf_counter() - clock, 3)}
    return ClipResult(replace(transcript, timings=timings), files, run_id, reused)


@contextlib.contextmanager
def _local_copy(source: str, archive: Archive | None) -> Iterator[tuple[str, Any]]:
    """The source as a local path: a URL is fetched first (into the archive's tmp/) and removed after."""
    if not is_url(source):
        yield source, None
        return
    parent = archive.tmp if archive is not None else None
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fetch-", dir=parent) as tmp:
        fetched = fetch(source, Path(tmp))
        yield str(fetched.path), fetched
