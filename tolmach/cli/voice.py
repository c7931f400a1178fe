"""Voice commands: ``dub`` (English AI voice-over of a clip), ``narrate`` (an article read aloud), ``voices``.

Thin: name the clip or document, call ``tolmach.voice``, write the files all together, print one summary
line. The spoken disclosure can be reworded with ``--disclosure`` and removed only with the explicit
``--no-disclosure``, which is recorded in the report and the file tags and warned about here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from tolmach.cli import ForceOption, HomeOption, app, err, fail, open_archive, out
from tolmach.cli.folders import tidied
from tolmach.cli.output import Column, JsonOption, Listing, emit, plural, show_progress
from tolmach.errors import OptionsError, TolmachError

if TYPE_CHECKING:
    from tolmach.archive import Archive
    from tolmach.voice import DubOptions

VoiceOption = Annotated[
    str, typer.Option("--voice", help="A voice from 'tolmach voices', or a path to a piper .onnx voice.")
]
NoDisclosure = Annotated[
    bool,
    typer.Option(
        "--no-disclosure",
        help="Do not speak the AI disclosure first. Recorded in the report and the file's tags.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
Stage = Callable[[str, int], None]
Step = Callable[[int], None]


class VideoFormat(StrEnum):
    mp4 = "mp4"
    mkv = "mkv"


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tolmach dub clip.mp4                  (clip.en-dub.wav, clip.dub.json, clip.dubbed.mp4)\n\n"
        "  tolmach dub 3636ce09 -o out/          (an archive clip: its reviewed text)\n\n"
        "  tolmach dub clip.mp4 --max-speed 1.15 --voice espeak\n\n"
        "  tolmach dub clip.mp4 --disclosure 'AI voice-over in English.'"
    )
)
def dub(
    inputs: Annotated[list[str], typer.Argument(help="Video or audio files, or archive clip/run IDs.")],
    voice: VoiceOption = "joe",
    max_speed: Annotated[
        float, typer.Option("--max-speed", help="Speed a line up at most this much to fit its slot.")
    ] = 1.25,
    disclosure: Annotated[
        str | None, typer.Option("--disclosure", help="The words spoken first (default: the standard line).")
    ] = None,
    no_disclosure: NoDisclosure = False,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Folder for the outputs (default: beside each file)."),
    ] = None,
    video_format: Annotated[
        VideoFormat, typer.Option("--format", help="Container of the dubbed video: mp4 or mkv.")
    ] = VideoFormat.mp4,
    lang: Annotated[str | None, typer.Option(help="Spoken language of a new clip (default: detect).")] = None,
    home: HomeOption = None,
    no_archive: Annotated[
        bool, typer.Option("--no-archive", help="Do not use or fill the archive (files only).")
    ] = False,
    quiet: Quiet = False,
    force: ForceOption = False,
) -> None:
    """Speak the English of each clip in its original timing, over the original audio (lowered, not
    removed): <stem>.en-dub.wav, the report <stem>.dub.json and, for a video, <stem>.dubbed.mp4 with the
    voice-over as audio track 2. The voice is disclosed as AI-generated, spoken first and in the tags."""
    from tolmach.settings import BY_NAME, load_options, parse_value
    from tolmach.voice import DubOptions, get_voice

    try:
        chosen = DubOptions(voice=voice, max_speed=max_speed, disclose=not no_disclosure)
        if disclosure is not None:
            if no_disclosure:
                raise OptionsError("--disclosure and --no-disclosure contradict each other", "give one")
            chosen = DubOptions(voice=voice, max_speed=max_speed, disclosure=disclosure)
        chosen.validate()
        get_voice(voice)  # an unknown or broken voice fails now, not after transcribing
        overrides = {"lang": parse_value(BY_NAME["lang"], lang, "--lang")} if lang else {}
        options = load_options(overrides)
        archive = None if no_archive else open_archive(home)
    except TolmachError as e:
        raise fail(e) from None
    failed: list[TolmachError] = []
    try:
        with tidied(output_dir):  # a new -o folder is not left behind, empty, when every clip failed
            for arg in inputs:
                try:
                    files, summary = _dub_one(
                        arg, options, chosen, archive, output_dir, video_format, quiet, force
                    )
                except TolmachError as e:
                    failed.append(e)
                    shown = escape(arg)
                    err.print(
                        f"[yellow]skipped[/] {shown}: {escape(e.one_line())}", highlight=False, soft_wrap=True
                    )
                    continue
                if not quiet:
                    out.print(summary, highlight=False, soft_wrap=True)
                    out.print(
                        f"wrote {plural(len(files), 'file')} for {arg}:", highlight=False, soft_wrap=True
                    )
                    for path in files:
                        out.print(f"  {path}", highlight=False, soft_wrap=True)
                if no_disclosure:
                    err.print(
                        "[yellow]warning[/] no spoken disclosure (--no-disclosure): the file tags and "
                        f"{files[1].name} still say the voice is AI-generated",
                        highlight=False,
                        soft_wrap=True,
                    )
    finally:
        if archive is not None:
            archive.close()
    if failed:
        raise typer.Exit(failed[0].exit_code)


def _dub_one(
    arg: str,
    options: Any,
    chosen: DubOptions,
    archive: Archive | None,
    output_dir: Path | None,
    video_format: VideoFormat,
    quiet: bool,
    force: bool = False,
) -> tuple[list[Path], str]:
    """Dub one clip; the wav, the report and the video appear together or not at all. A file there that
    tolmach did not write, or that was edited since, is kept unless ``force`` (checked before decoding)."""
    from dataclasses import replace

    from tolmach.clips import open_clip
    from tolmach.media import atomic_write_text, check_writable_dir
    from tolmach.media.files import atomic_path
    from tolmach.media.ledger import check_targets, record_written
    from tolmach.voice import dub as make_dub

    given = Path(arg).expanduser()
    folder = check_writable_dir(output_dir or (given.parent if given.is_file() else Path(".")))

    def targets(stem: str) -> list[Path]:
        return [folder / f"{stem}.{what}" for what in ("en-dub.wav", "dub.json", f"dubbed.{video_format}")]

    if given.is_file():  # an archive ID's name is known once it is opened, which decodes nothing
        check_targets(targets(given.stem), force=force)
    with _bar(quiet) as (stage, step):
        opened = open_clip(arg, options, archive, progress=step, started=lambda ms: stage("transcribing", ms))
        check_targets(targets(opened.stem), force=force)  # again: someone may have edited one meanwhile
        wav = folder / f"{opened.stem}.en-dub.wav"
        report_path = folder / f"{opened.stem}.dub.json"
        files = [wav, report_path]

        def lines(done: int, total: int) -> None:
            stage("voice-over", total)
            step(done)

        with atomic_path(wav) as tmp:
            report = make_dub(opened.transcript, opened.media, tmp, chosen, progress=lines)
            report = replace(report, output=str(wav))
            data: dict[str, Any] = report.to_dict()
            data["run_id"] = opened.run_id
            video = _video(opened, tmp, folder, video_format, stage, step)
            if video is not None:
                files.append(video)
            data["video"] = str(video) if video is not None else None
            atomic_write_text(report_path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    record_written(files)
    return files, report.summary()


def _video(
    opened: Any, wav: Path, folder: Path, video_format: VideoFormat, stage: Stage, step: Step
) -> Path | None:
    """The clip with the voice-over as audio track 2, when it has a picture; None for audio."""
    from tolmach.media.render import RenderSpec, has_video, render_video

    if not has_video(opened.media):
        return None
    target = folder / f"{opened.stem}.dubbed.{video_format.value}"
    stage("muxing", opened.transcript.media.duration_ms)
    render_video(
        opened.transcript, opened.media, target, RenderSpec(dub=wav), reviewed=opened.reviewed, progress=step
    )
    return target


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tolmach narrate article.txt -o article.mp3      (and article.srt)\n\n"
        "  tolmach narrate post.html -o post.ogg --voice espeak\n\n"
        "  tolmach narrate notes.md                        (notes.mp3 beside it)"
    )
)
def narrate(
    document: Annotated[Path, typer.Argument(help="A .txt, .md or .html file.", show_default=False)],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Audio file: .mp3, .ogg, .m4a or .wav (default: <stem>.mp3)."),
    ] = None,
    voice: VoiceOption = "joe",
    disclosure: Annotated[
        str | None, typer.Option("--disclosure", help="The words spoken first (default: the standard line).")
    ] = None,
    no_disclosure: NoDisclosure = False,
    quiet: Quiet = False,
    force: ForceOption = False,
) -> None:
    """Read an article aloud: the audio (with chapter marks per heading) and an SRT of what is read when.
    The first words say the voice is AI-generated."""
    from tolmach.document import read_document
    from tolmach.media import check_writable_dir
    from tolmach.media.ledger import check_targets, record_written
    from tolmach.voice import get_voice
    from tolmach.voice.narrate import NarrateOptions, language_warning, output_codec
    from tolmach.voice.narrate import narrate as make_narration

    try:
        if disclosure is not None and no_disclosure:
            raise OptionsError("--disclosure and --no-disclosure contradict each other", "give one")
        chosen = NarrateOptions(voice=voice, disclose=not no_disclosure)
        if disclosure is not None:
            chosen = NarrateOptions(voice=voice, disclosure=disclosure)
        chosen.validate()
        target = output or document.with_suffix(".mp3")
        if target.is_dir():
            target = target / f"{document.stem}.mp3"
        output_codec(target)  # a bad suffix or voice fails before the work
        get_voice(voice)
        with tidied(target.parent):  # a folder made for a failed narration is not left behind
            check_writable_dir(target.parent)
            written = [target, target.with_suffix(".srt")]  # the audio and its SRT (voice.narrate)
            check_targets(written, force=force)
            parsed = read_document(document)
            spoken = get_voice(voice).info()
            warning = language_warning(parsed, spoken.language, spoken.name)
            if warning:
                err.print(f"[yellow]warning[/] {escape(warning)}", highlight=False, soft_wrap=True)
            with _bar(quiet) as (stage, step):

                def chunks(done: int, total: int) -> None:
                    stage("narrating", total)
                    step(done)

                report = make_narration(parsed, target, chosen, progress=chunks)
            record_written(written)
    except TolmachError as e:
        raise fail(e) from None
    if not quiet:
        out.print(report.summary(), highlight=False, soft_wrap=True)
        out.print(f"wrote {report.output}\n  {report.subtitles}", highlight=False, soft_wrap=True)
    if no_disclosure:
        err.print(
            "[yellow]warning[/] no spoken disclosure (--no-disclosure): "
            "the file tags still say the voice is AI-generated",
            highlight=False,
        )


VOICE_COLUMNS = (
    Column("name", "id"),
    Column("engine", "id"),
    Column("language", "id"),
    Column("rate", "number", lambda v: f"{v['sample_rate']} Hz" if v["sample_rate"] else None),
    Column("installed", "id"),
    Column("about", "text", "description"),
    Column("path"),
)


@app.command(
    epilog=(
        "Examples:\n\n  tolmach voices\n\n  tolmach voices ~/voices/en_GB-alan-medium.onnx\n\n"
        "  tolmach voices --json"
    )
)
def voices(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Local piper .onnx voices to describe.", show_default=False)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The voices dub and narrate can speak with, and whether each is installed."""
    from tolmach.voice.voices import PiperVoice, VoiceInfo, list_voices

    try:
        found: list[VoiceInfo] = list_voices()
        for path in files or []:
            if path.suffix != ".onnx" or not path.is_file():
                raise OptionsError(
                    f"{path}: not a piper .onnx voice file",
                    "a piper voice is a .onnx file with its .onnx.json",
                )
            found.append(PiperVoice.describe_file(path))
    except TolmachError as e:
        raise fail(e) from None
    rows = [
        {
            "name": v.name,
            "engine": v.engine,
            "language": v.language or None,
            "sample_rate": v.sample_rate or None,
            "installed": v.installed,
            "description": v.description,
            "path": v.path or None,
        }
        for v in found
    ]
    emit(Listing("voices", VOICE_COLUMNS, rows), as_json)


@contextmanager
def _bar(quiet: bool) -> Iterator[tuple[Stage, Step]]:
    """(stage, step): ``stage(name, total)`` names the work and its size; ``step(done)`` moves the bar."""
    if not show_progress(quiet):
        yield (lambda name, total: None), (lambda done: None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("opening", total=None)

        def stage(name: str, total: int) -> None:
            if bar.tasks[0].description != name:
                bar.reset(task, description=name)
            bar.update(task, total=max(total, 1))

        yield stage, lambda done: bar.update(task, completed=done)
