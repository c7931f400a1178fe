"""The ``render`` command: a video with subtitles burned in or as tracks, and/or the AI voice-over track.

Thin: name the clip (a file or an archive ID, through ``clips.open_clip``), pick the output name, make
the voice-over when asked (``tolmach.voice.dub``), and hand the rest to ``media.render.render_video``.
There is deliberately no option to hide the "Machine translation — not reviewed" label: it goes away
when a person has reviewed the text in the archive, not by a flag.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from tolmach.cli import ForceOption, HomeOption, app, err, fail, open_archive, out
from tolmach.cli.folders import tidied
from tolmach.cli.output import show_progress
from tolmach.errors import OptionsError, TolmachError

if TYPE_CHECKING:
    from tolmach.clips import OpenedClip
    from tolmach.media.render import RenderSpec


class Container(StrEnum):
    mp4 = "mp4"
    mkv = "mkv"


# Audio-only input gets an audio container of the same family: Matroska audio (.mka) or MP4 audio (.m4a).
SUFFIXES = {"mp4": (".mp4", ".m4a"), "mkv": (".mkv", ".mka")}
MATROSKA = (".mkv", ".mka")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tolmach render clip.mp4 --burn en          (clip.en-burned.mp4)\n\n"
        "  tolmach render clip.mp4 --burn both -o out/\n\n"
        "  tolmach render clip.mp4 --soft --format mkv   (clip.subs.mkv: Russian and English tracks)\n\n"
        "  tolmach render 3636ce09 --dub              (clip.dubbed.mp4: AI voice-over as audio track 2)\n\n"
        "  tolmach render clip.mp4 --burn en --dub -o clip.en.mp4"
    )
)
def render(
    clip: Annotated[str, typer.Argument(help="A video or audio file, or an archive clip/run ID.")],
    burn: Annotated[
        str | None,
        typer.Option(help="Burn subtitles into the picture: en, the original's code (ru, uk), orig or both."),
    ] = None,
    soft: Annotated[
        bool, typer.Option("--soft", help="Add subtitle tracks (original and English), language-tagged.")
    ] = False,
    dub: Annotated[
        bool, typer.Option("--dub", help="Add the English AI voice-over as audio track 2 (disclosed).")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output file, or a folder (no suffix) for the default name."),
    ] = None,
    format: Annotated[
        Container | None,
        typer.Option("--format", help="Container when -o does not name one: mp4 (default) or mkv."),
    ] = None,
    home: HomeOption = None,
    no_archive: Annotated[
        bool, typer.Option("--no-archive", help="Do not use or fill the archive (a file input only).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    force: ForceOption = False,
) -> None:
    """Render a video: subtitles burned in (re-encodes the picture) or added as tracks (copies it), and/or
    the English AI voice-over as a second audio track. The original audio is always kept as track 1."""
    from tolmach.clips import open_clip
    from tolmach.media.ledger import check_targets, record_written
    from tolmach.media.render import RenderSpec, has_video, render_video
    from tolmach.settings import load_options

    if burn is None and not soft and not dub:
        raise fail(OptionsError("nothing to render", "add --burn en|orig|both, --soft and/or --dub"))
    try:
        options = load_options()
        if output is not None and output.suffix and not output.is_dir():  # named: checked before any work
            check_targets([output], force=force)
        archive = None if no_archive else open_archive(home)
        made = output if output is None or not output.suffix else output.parent
        try:
            with tidied(made), _bar(quiet) as (stage, step):  # a new -o folder goes if the render fails
                opened = open_clip(clip, options, archive, progress=step, started=stage("transcribing"))
                target = output_path(clip, opened, burn, soft, dub, output, format, has_video(opened.media))
                check_targets([target], force=force)  # before the voice-over and the encode
                with tempfile.TemporaryDirectory(prefix="tolmach-dub-") as work:
                    dub_wav = _dub(opened, Path(work), stage, step) if dub else None
                    spec = RenderSpec(burn=burn, soft=soft, dub=dub_wav)
                    stage("rendering")(opened.transcript.media.duration_ms)
                    render_video(
                        opened.transcript, opened.media, target, spec, reviewed=opened.reviewed, progress=step
                    )
                record_written([target])
        finally:
            if archive is not None:
                archive.close()
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"wrote {target}", highlight=False, soft_wrap=True)
    out.print(
        f"  {describe(spec, opened.reviewed, opened.transcript.language)}", highlight=False, soft_wrap=True
    )


def output_path(
    clip: str,
    opened: OpenedClip,
    burn: str | None,
    soft: bool,
    dub: bool,
    output: Path | None,
    container: Container | None,
    video: bool,
) -> Path:
    """Where the rendered file goes: ``-o`` as given, or ``<stem>.<what>.<suffix>`` in its folder.

    An ``-o`` without a suffix is a folder (created when missing): a file needs a suffix anyway,
    since it names the container.
    The default folder is the input file's (as ``translate`` does), or the current folder for an archive
    ID. The name says what was done: ``en-burned``, ``subs``, ``dubbed``, joined when combined.
    """
    if output is not None and not (output.is_dir() or not output.suffix):
        if container is not None and (output.suffix.lower() in MATROSKA) != (container is Container.mkv):
            raise OptionsError(
                f"{output}: --format {container.value} does not match the output's suffix",
                "leave out --format, or change the name's suffix",
            )
        return output
    parts = []
    if burn is not None:
        shown = opened.transcript.language if burn == "orig" else burn
        parts.append(f"{shown}-burned")
    if soft:
        parts.append("subs")
    if dub:
        parts.append("dubbed")
    video_suffix, audio_suffix = SUFFIXES[(container or Container.mp4).value]
    name = f"{opened.stem}.{'.'.join(parts)}{video_suffix if video else audio_suffix}"
    if output is not None:
        return output / name
    given = Path(clip).expanduser()
    return (given.parent if given.is_file() else Path(".")) / name


def describe(spec: RenderSpec, reviewed: bool, language: str) -> str:
    """One line saying what was copied and what was re-encoded."""
    what = []
    if spec.burn is not None:
        shown = {"en": "English", "both": "original and English"}.get(spec.burn, f"original ({language})")
        label = "" if reviewed else ", with the 'not reviewed' label for the first seconds"
        what.append(f"video re-encoded with {shown} subtitles burned in{label}")
    else:
        what.append("video copied unchanged")
    what.append("original audio as track 1")
    if spec.dub is not None:
        what.append("English AI voice-over as track 2")
    if spec.soft:
        what.append("subtitle tracks for the original and English")
    return "; ".join(what)


def _dub(
    opened: OpenedClip, work: Path, stage: Callable[[str], Callable[[int], None]], step: Callable[[int], None]
) -> Path:
    from tolmach.voice import DubOptions
    from tolmach.voice import dub as make_dub

    wav = work / f"{opened.stem}.en-dub.wav"
    stage("voice-over")(0)

    def lines(done: int, total: int) -> None:
        stage("voice-over")(total)
        step(done)

    report = make_dub(opened.transcript, opened.media, wav, DubOptions(), progress=lines)
    err.print(report.summary(), highlight=False, soft_wrap=True)
    return wav


@contextmanager
def _bar(
    quiet: bool,
) -> Iterator[tuple[Callable[[str], Callable[[int], None]], Callable[[int], None]]]:
    """(stage, step): ``stage(name)(total)`` starts a stage of ``total`` units; ``step(done)`` moves it."""
    if not show_progress(quiet):
        yield (lambda name: lambda total: None), (lambda done: None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("opening", total=None)

        def stage(name: str) -> Callable[[int], None]:
            def start(total: int) -> None:
                if bar.tasks[0].description != name:
                    bar.reset(task, description=name)
                bar.update(task, total=max(total, 1))

            return start

        yield stage, lambda done: bar.update(task, completed=done)
