"""The command-line front end: parse, call the library, turn errors into one line and an exit code.

Nothing here knows how transcription works. Batch commands report "skipped X: reason" and go on.
"""

from __future__ import annotations

import functools
import logging
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from tolmach import __version__
from tolmach.cli.folders import tidied
from tolmach.cli.output import Column, JsonOption, Listing, emit, err, error_line, out, plural, show_progress
from tolmach.cli.usage import Group
from tolmach.errors import Interrupted, OptionsError, TolmachError
from tolmach.pipeline import ClipResult, distinct_outputs, translate_to_files
from tolmach.records import ClipInfo
from tolmach.settings import load_options

if TYPE_CHECKING:
    from tolmach.archive import Archive

ID_LENGTH = 12  # characters of a sha256 shown as an ID, as tolmach.archive shows them

app = typer.Typer(
    name="tolmach",
    cls=Group,  # Click's usage errors as one line, like every other error (cli/usage.py)
    add_completion=True,  # --install-completion and --show-completion (docs/USER_GUIDE.md, "Install")
    no_args_is_help=True,
    help="tolmach: foreign-language video to verifiable English, offline.",
    rich_markup_mode="rich",
)
models_app = typer.Typer(
    no_args_is_help=True,
    help="Speech models: list, verify, locate, pull.",
    epilog="Examples:\n\n  tolmach models list\n\n  tolmach models verify base",
)
app.add_typer(models_app, name="models")


def fail(error: TolmachError) -> typer.Exit:
    error_line(error)
    return typer.Exit(error.exit_code)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tolmach {__version__}")
        raise typer.Exit()


@app.callback(epilog="Example:\n\n  tolmach translate clip.mp4")
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")


# the decoding options that translate and batch share
LangOption = Annotated[str | None, typer.Option(help="Spoken language, e.g. ru, uk (default: detect).")]
ModelOption = Annotated[str | None, typer.Option(help="base, a pulled model, or a CTranslate2 folder.")]
FormatsOption = Annotated[str | None, typer.Option(help="Comma list of srt, vtt, ass, json, txt.")]
NoTranslateOption = Annotated[bool, typer.Option("--no-translate", help="Transcript only.")]
BeamSizeOption = Annotated[int | None, typer.Option(help="Beam width (1 = greedy, faster).")]
BatchSizeOption = Annotated[int | None, typer.Option(help="30 s windows decoded together.")]
DeviceOption = Annotated[str | None, typer.Option(help="cpu, cuda or auto.")]
ComputeTypeOption = Annotated[str | None, typer.Option(help="int8, float16, ... (default: auto).")]
NoGlossaryOption = Annotated[bool, typer.Option("--no-glossary", help="No glossary notes.")]
SpeakersOption = Annotated[
    str | None, typer.Option(help="auto (estimate), a number, or 1 to skip telling voices apart.")
]
GlossaryOption = Annotated[
    list[Path] | None, typer.Option("--glossary", help="Your glossary file (TSV or TOML); repeatable.")
]
# the text engine's options, shared by translate, batch and translate-text (docs/ENGINES.md)
EngineOption = Annotated[
    str | None,
    typer.Option(
        help="What writes the English: auto (default), local, whisper, llm or nmt; see 'tolmach engines'."
    ),
]
LocalModelOption = Annotated[
    str | None, typer.Option(help="Engine local's model: 1.5b (shipped), 0.5b or a .gguf file.")
]
LlmUrlOption = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1.")
]
LlmModelOption = Annotated[str | None, typer.Option(help="The server's model name, e.g. qwen2.5:7b.")]
NmtModelOption = Annotated[str | None, typer.Option(help="A CTranslate2 translation model folder.")]
RemoteOption = Annotated[
    bool, typer.Option("--allow-remote", help="Let the engine send the text to another machine.")
]
# every command that writes files (docs/USER_GUIDE.md, "Files tolmach will not overwrite")
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace existing files even if tolmach did not write them or they were edited."
    ),
]


def flag_overrides(
    *,
    no_translate: bool = False,
    no_glossary: bool = False,
    no_entities: bool = False,
    glossary: list[Path] | None = None,
    allow_remote: bool = False,
    **settings: Any,
) -> dict[str, Any]:
    """The settings a command's options give, by setting name; None means "not given", so the config
    file's or the environment's value holds. The ``no_*`` and on/off flags only ever turn a default."""
    return dict(
        settings,
        translate=False if no_translate else None,
        glossary=False if no_glossary else None,
        entities=False if no_entities else None,
        glossaries=",".join(str(p) for p in glossary) if glossary else None,
        allow_remote=True if allow_remote else None,
    )


HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Archive folder (default: $TOLMACH_HOME or ~/.local/share/tolmach).",
        show_default=False,
    ),
]


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tolmach translate clip.mp4\n\n"
        "  tolmach translate a.mp4 b.mov -o out/ --lang uk --formats srt,vtt,ass,json\n\n"
        "  tolmach translate https://example.org/clip.mp4 --title 'Assault on Bakhmut' --tag bakhmut\n\n"
        "  tolmach translate clip.mp4 --force     (replace outputs you edited by hand)\n\n"
        "  tolmach translate clip.mp4 --engine llm --llm-url http://127.0.0.1:11434/v1 --llm-model qwen2.5:7b"
    )
)
def translate(
    inputs: Annotated[list[str], typer.Argument(help="Video or audio files, or URLs.", show_default=False)],
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", "-o", help="Folder for the outputs (default: beside each clip)."),
    ] = None,
    lang: LangOption = None,
    model: ModelOption = None,
    formats: FormatsOption = None,
    no_translate: NoTranslateOption = False,
    beam_size: BeamSizeOption = None,
    batch_size: BatchSizeOption = None,
    device: DeviceOption = None,
    compute_type: ComputeTypeOption = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads (0 = all cores).")] = None,
    reading_speed: Annotated[str | None, typer.Option(help="normal (20 cps) or slow (17 cps).")] = None,
    speakers: SpeakersOption = None,
    glossary: GlossaryOption = None,
    no_glossary: NoGlossaryOption = False,
    engine: EngineOption = None,
    local_model: LocalModelOption = None,
    llm_url: LlmUrlOption = None,
    llm_model: LlmModelOption = None,
    nmt_model: NmtModelOption = None,
    allow_remote: RemoteOption = False,
    title: Annotated[str, typer.Option(help="Title to file the clip under.")] = "",
    place: Annotated[str, typer.Option(help="Where it was filmed.")] = "",
    filmed: Annotated[str, typer.Option(help="When it was filmed (YYYY-MM-DD if known).")] = "",
    notes: Annotated[str, typer.Option(help="Free notes: who speaks, where it was posted.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeatable.")] = None,
    home: HomeOption = None,
    no_archive: Annotated[
        bool, typer.Option("--no-archive", help="Keep nothing: write the outputs only.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    force: ForceOption = False,
) -> None:
    """Transcribe and translate clips; write subtitles, JSON and a transcript; file them in the archive."""
    overrides = flag_overrides(
        lang=lang,
        model=model,
        formats=formats,
        beam_size=beam_size,
        batch_size=batch_size,
        device=device,
        compute_type=compute_type,
        threads=threads,
        reading_speed=reading_speed,
        speakers=speakers,
        engine=engine,
        local_model=local_model,
        llm_url=llm_url,
        llm_model=llm_model,
        nmt_model=nmt_model,
        allow_remote=allow_remote,
        no_translate=no_translate,
        no_glossary=no_glossary,
        glossary=glossary,
    )
    info = ClipInfo(source="", title=title, place=place, filmed=filmed, notes=notes, tags=tuple(tag or ()))
    inputs = list(dict.fromkeys(inputs))  # one file named twice is translated once
    try:
        options = load_options(_parsed(overrides))
        distinct_outputs(inputs, output_dir)  # before anything is decoded
        archive = None if no_archive else open_archive(home)
    except TolmachError as e:
        raise fail(e) from None
    results: list[ClipResult] = []
    failed: list[TolmachError] = []
    taken: dict[Path, str] = {}  # what this command wrote: a later input never replaces it
    current = ""
    try:
        with tidied(output_dir):  # -o newdir: not left behind, empty, when every clip failed
            for source in inputs:
                current = source
                try:
                    run = functools.partial(
                        translate_to_files, source, options, output_dir, archive=archive, info=info
                    )
                    results.append(_translate_one(run, source, quiet, force=force, taken=dict(taken)))
                    taken.update(dict.fromkeys(results[-1].files, source))
                except TolmachError as e:
                    failed.append(e)
                    err.print(
                        f"[yellow]skipped[/] {escape(source)}: {escape(e.one_line())}",
                        highlight=False,
                        soft_wrap=True,
                    )
    except KeyboardInterrupt:
        raise fail(_interrupted(current, results, archive is not None)) from None
    finally:
        if archive is not None:
            archive.close()
    for r in results:  # even with --quiet: the new run is not what the clip now shows
        if r.kept is not None and r.run_id is not None:
            from tolmach.cli.runs import kept_line

            err.print(kept_line(r.kept, r.run_id), highlight=False, soft_wrap=True)
    if results and not quiet:
        _summary(results)
        for r in results:
            out.print(
                f"wrote {plural(len(r.files), 'file')} for {r.transcript.media.path}:",
                highlight=False,
                soft_wrap=True,
            )
            for path in r.files:
                out.print(f"  {path}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(failed[0].exit_code)


def _interrupted(source: str, done: list[ClipResult], archived: bool) -> TolmachError:
    """What Ctrl+C during ``translate`` kept, and how to go on: the clips finished are whole (their
    files and their runs in the archive); the one being decoded left nothing."""
    message = f"interrupted while translating {source}: nothing of it was written"
    if done:
        message += (
            f"; the {plural(len(done), 'clip')} finished before it {'is' if len(done) == 1 else 'are'} kept"
        )
    hint = f"run it again: {shlex.join(['tolmach', *sys.argv[1:]])}"
    if archived:
        hint += " (a clip already in the archive is not decoded again)"
    return Interrupted(message, hint)


def open_archive(home: Path | None) -> Archive:
    from tolmach.archive import Archive

    return Archive(home)


def _parsed(overrides: dict[str, Any]) -> dict[str, Any]:
    from tolmach.settings import BY_NAME, parse_value

    return {
        k: parse_value(BY_NAME[k], v, f"--{k.replace('_', '-')}")
        for k, v in overrides.items()
        if v is not None
    }


def _translate_one(run: Callable[..., ClipResult], source: str, quiet: bool, **given: Any) -> ClipResult:
    """``run(**given)``, with a progress bar unless ``quiet`` or stderr is not a terminal."""
    if not show_progress(quiet):
        return run(**given)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[audio]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(Path(source).name, total=None, audio="")

        def started(duration_ms: int) -> None:
            bar.update(task, total=max(duration_ms, 1), audio=f"0:00 / {clock(duration_ms)}")

        def progress(done_ms: int) -> None:
            total = bar.tasks[0].total or done_ms
            bar.update(task, completed=done_ms, audio=f"{clock(done_ms)} / {clock(int(total))}")

        def translating(done: int, total: int) -> None:  # then the engine, line by line
            bar.update(task, description="translating", total=max(total, 1), completed=done)
            bar.update(task, audio=f"{done} / {total} lines")

        return run(progress=progress, started=started, translating=translating, **given)


SUMMARY = (
    Column("clip"),
    Column("id", "id"),
    Column("language", "id"),
    Column("duration", "number"),
    Column("lines", "number"),
    Column("doubtful", "number"),
    Column("time", "number"),
)


def _summary(results: list[ClipResult]) -> None:
    rows = []
    for r in results:
        t = r.transcript
        language = t.language if t.language_forced else f"{t.language} ({t.language_probability:.0%})"
        if not t.segments and not t.language_forced:
            language = "none (no speech)"
        time_taken = f"{t.timings.get('total', 0) + t.timings.get('write', 0):.1f} s"
        rows.append(
            {
                "clip": Path(t.media.path).name,
                "id": t.media.sha256[:ID_LENGTH] if r.run_id else None,
                "language": language or None,
                "duration": clock(t.media.duration_ms),
                "lines": len(t.segments),
                "doubtful": t.doubtful_count,
                "time": "stored (reused)" if r.reused else time_taken,
            }
        )
        for warning in t.warnings:
            err.print(f"[yellow]warning[/] {Path(t.media.path).name}: {warning}", highlight=False)
    emit(Listing("clips", SUMMARY, rows, title="tolmach translate"))


def clock(ms: int) -> str:
    seconds = ms // 1000
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else (f"{seconds // 60}:{seconds % 60:02d}")
    )


MODEL_COLUMNS = (
    Column("name", "id"),
    Column("installed", "id"),
    Column("source", "id"),
    Column("size", "number", lambda m: f"{m['size'] / 1e6:.0f} MB" if m["size"] else None),
    Column("sha256", "id"),
    Column("path"),
)


@models_app.command("list", epilog="Examples:\n\n  tolmach models list\n\n  tolmach models list --json")
def models_list(as_json: JsonOption = False) -> None:
    """Models installed or installable (Whisper's and the local language model's), and their sha256."""
    from tolmach.asr.models import list_models
    from tolmach.engines.weights import local_statuses

    try:
        rows = [
            {
                "name": m.name,
                "installed": m.installed,
                "source": m.source,
                "size": m.size or None,
                "sha256": m.sha256 or None,
                "path": str(m.path),
            }
            for m in [*list_models(), *local_statuses()]
        ]
    except TolmachError as e:
        raise fail(e) from None
    emit(Listing("models", MODEL_COLUMNS, rows), as_json)


@models_app.command(
    "verify", epilog="Examples:\n\n  tolmach models verify base\n\n  tolmach models verify local:1.5b"
)
def models_verify(
    name: Annotated[str, typer.Argument(help="Model name or folder; local:1.5b, local:0.5b.")] = "base",
) -> None:
    """Re-hash a model's weights and compare them with the pinned sha256."""
    from tolmach.asr.models import verify_model
    from tolmach.engines.weights import LOCAL_MODELS, verify_local_model

    try:
        local = name.removeprefix("local:")
        if name.startswith("local:") and local not in LOCAL_MODELS:
            raise OptionsError(f"no local model '{local}'", f"choose from {', '.join(LOCAL_MODELS)}")
        status = verify_local_model(local) if name.startswith("local:") else verify_model(name)
    except TolmachError as e:
        raise fail(e) from None
    checked = "ok" if status.ok else "nothing to compare with"
    out.print(
        f"{status.name}: {checked}, sha256 {status.sha256} ({status.path})", highlight=False, soft_wrap=True
    )


@models_app.command("path", epilog="Example:\n\n  tolmach models path base")
def models_path(name: Annotated[str, typer.Argument(help="Model name or folder.")] = "base") -> None:
    """Print the folder of a model (assembling the shipped one first if needed)."""
    from tolmach.asr.models import resolve_model

    try:
        out.print(resolve_model(name).path, highlight=False, soft_wrap=True)
    except TolmachError as e:
        raise fail(e) from None


@models_app.command("pull", epilog="Example:\n\n  tolmach models pull small")
def models_pull(
    name: Annotated[str, typer.Argument(help="tiny, base, small, medium, large-v3, ...")],
) -> None:
    """Download a model from the model hub. Only this command ever downloads anything."""
    from tolmach.asr.models import pull_model

    try:
        status = pull_model(name)
    except TolmachError as e:
        raise fail(e) from None
    out.print(
        f"{status.name}: installed at {status.path}, sha256 {status.sha256}", highlight=False, soft_wrap=True
    )


@app.command(epilog="Example:\n\n  tolmach languages")
def languages() -> None:
    """The language codes --lang accepts."""
    from tolmach.asr.languages import LANGUAGES

    for code, name in sorted(LANGUAGES.items()):
        typer.echo(f"{code}\t{name}")


# the other commands register themselves on ``app``
import tolmach.cli.archive  # noqa: E402
import tolmach.cli.batch  # noqa: E402
import tolmach.cli.check  # noqa: E402
import tolmach.cli.engines  # noqa: E402
import tolmach.cli.keys  # noqa: E402
import tolmach.cli.publish  # noqa: E402
import tolmach.cli.render  # noqa: E402
import tolmach.cli.runs  # noqa: E402
import tolmach.cli.serve  # noqa: E402
import tolmach.cli.voice  # noqa: E402, F401

__all__ = [
    "BatchSizeOption",
    "BeamSizeOption",
    "ComputeTypeOption",
    "DeviceOption",
    "EngineOption",
    "ForceOption",
    "FormatsOption",
    "GlossaryOption",
    "HomeOption",
    "LangOption",
    "LlmModelOption",
    "LlmUrlOption",
    "LocalModelOption",
    "ModelOption",
    "NmtModelOption",
    "NoGlossaryOption",
    "NoTranslateOption",
    "RemoteOption",
    "SpeakersOption",
    "app",
    "clock",
    "err",
    "fail",
    "flag_overrides",
    "main",
    "open_archive",
    "out",
]


def main() -> None:
    try:
        app(prog_name="tolmach")  # not "python -m tolmach" in usage lines and hints
    except TolmachError as e:  # errors raised outside a command's own handling
        error_line(e)
        sys.exit(e.exit_code)
