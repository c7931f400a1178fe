"""The runs of a clip: list them, choose the one the clip shows, compare two line by line; and
``retranslate``, which writes lines' English again after a person corrected their original.

A clip keeps the run a person has worked on as its text; a rerun with other options is stored beside
it (``Archive.save``). These commands are how the user sees that and picks another.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from tolmach.archive import ID_LENGTH, Archive, RunSummary
from tolmach.archive.compare import Row, counts, diff, differing_keys
from tolmach.cli import (
    HomeOption,
    LlmModelOption,
    LlmUrlOption,
    LocalModelOption,
    NmtModelOption,
    RemoteOption,
    _parsed,
    app,
    err,
    fail,
    flag_overrides,
    open_archive,
    out,
)
from tolmach.cli.engines import TextEngineOption
from tolmach.cli.output import Column, JsonOption, Listing, emit, plural, show_progress
from tolmach.errors import InputError, OptionsError, TolmachError
from tolmach.settings import load_options

runs_app = typer.Typer(
    no_args_is_help=True,
    help="A clip's runs: list, use, diff.",
    epilog="Examples:\n\n  tolmach runs list 3636ce09\n\n  tolmach runs use 9f1c2b7a",
)
app.add_typer(runs_app, name="runs")


RUN_COLUMNS = (
    Column("run", "id", lambda r: r["id"][:ID_LENGTH]),
    Column("created", "id"),
    Column("language", "id"),
    Column("options", "text", lambda r: options_text(r["options"]) or None),
    Column("lines", "number"),
    Column("reviewed", "number"),
    Column("changes", "number"),
    Column("current", "id", lambda r: "yes" if r["current"] else ""),
)


@runs_app.command(
    "list", epilog="Examples:\n\n  tolmach runs list 3636ce09\n\n  tolmach runs list 3636ce09 --json"
)
def runs_list(
    id: Annotated[str, typer.Argument(help="Clip or run ID (a prefix is enough).")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every run of a clip: when, which language and options, how much of it is reviewed."""
    try:
        with open_archive(home) as archive:
            clip_id, _ = archive.resolve(id)
            runs = archive.runs(clip_id)
    except TolmachError as e:
        raise fail(e) from None
    rows = [
        run_record(r, differs) for r, differs in zip(runs, differing_keys([r.key for r in runs]), strict=True)
    ]
    emit(Listing("runs", RUN_COLUMNS, rows, extra={"clip_id": clip_id}), as_json)


def run_record(r: RunSummary, differs: dict[str, Any]) -> dict[str, Any]:
    """A run as ``runs list --json`` and ``show --json`` give it: ``options`` are those that tell it
    from the clip's other runs (docs/FORMATS.md)."""
    return {
        "id": r.id,
        "current": r.current,
        "created": r.created,
        "language": r.language,
        "options": differs,
        "lines": r.lines,
        "reviewed": r.reviewed,
        "changes": r.revisions,
    }


@runs_app.command("use", epilog="Example:\n\n  tolmach runs use 9f1c2b7a")
def runs_use(
    id: Annotated[str, typer.Argument(help="The run to show as the clip's text (an ID prefix).")],
    home: HomeOption = None,
) -> None:
    """Make a run the clip's current one: what list, show, search, export and the review page show."""
    try:
        with open_archive(home) as archive:
            clip_id, run_id = archive.resolve(id)
            if run_id is None:
                raise InputError(f"clip {clip_id[:ID_LENGTH]} has no finished run", "translate it again")
            run = archive.use_run(run_id)
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"clip {clip_id[:ID_LENGTH]} now shows run {run.id[:ID_LENGTH]} ({work(run)})", highlight=False)


@runs_app.command(
    "diff",
    epilog=(
        "Examples:\n\n  tolmach runs diff 3636ce09 9f1c2b7a   (the clip's current run against another)\n\n"
        "  tolmach runs diff 9f1c2b7a 5d0e4a11 --all"
    ),
)
def runs_diff(
    a: Annotated[str, typer.Argument(help="A run ID, or a clip ID for its current run.")],
    b: Annotated[str, typer.Argument(help="Another run of the same clip.")],
    all: Annotated[bool, typer.Option("--all", help="Show the lines that are the same too.")] = False,
    home: HomeOption = None,
) -> None:
    """Compare two runs of a clip line by line, the lines matched by time (runs cut lines differently)."""
    try:
        with open_archive(home) as archive:
            clip_id, run_a = archive.resolve(a)
            run_b = archive.run_in(clip_id, b)
            if run_a is None:
                raise InputError(f"clip {clip_id[:ID_LENGTH]} has no finished run", "translate it again")
            rows = diff(archive.segments(run_a), archive.segments(run_b))
            heads = [_head(archive, "a", run_a), _head(archive, "b", run_b)]
    except TolmachError as e:
        raise fail(e) from None
    for line in (*heads, "", *diff_lines(rows, all)):
        out.print(escape(line), highlight=False, soft_wrap=True)


def _head(archive: Archive, side: str, run_id: str) -> str:
    run = archive.run_summary(run_id)
    current = ", current" if run.current else ""
    about = f"{run.language}, {plural(run.lines, 'line')}, {work(run)}{current}"
    return f"{side} = run {run.id[:ID_LENGTH]} ({about})"


def diff_lines(rows: tuple[Row, ...], everything: bool = False) -> list[str]:
    """The diff as plain lines: a heading per row of lines, then either side's original and English."""
    lines = []
    for row in rows:
        if row.kind == "same" and not everything:
            continue
        numbers = ", ".join(
            f"{side} {_numbers(n)}" for side, n in (("a", row.a_lines), ("b", row.b_lines)) if n
        )
        lines.append(f"{tenths(row.start)}-{tenths(row.end)}  {row.kind.replace('_', ' in ')}  ({numbers})")
        lines += _pair("", row.a_text if row.a_lines else None, row.b_text if row.b_lines else None)
        lines += _pair(
            " EN", row.a_translation if row.a_lines else None, row.b_translation if row.b_lines else None
        )
    n = counts(rows)
    lines.append(
        f"{n['changed']} changed, {n['only_a']} only in a, {n['only_b']} only in b, {n['same']} the same"
    )
    return lines


def _pair(what: str, a: str | None, b: str | None) -> list[str]:
    """Either side's text, or one line for both when they say the same."""
    if a is not None and a == b:
        return [f"  {'both' + what:<7} {a}"]
    return [f"  {side + what:<7} {text}" for side, text in (("a", a), ("b", b)) if text is not None]


def _numbers(ids: tuple[int, ...]) -> str:
    if len(ids) > 1 and list(ids) == list(range(ids[0], ids[0] + len(ids))):
        return f"{ids[0]}-{ids[-1]}"
    return ",".join(str(i) for i in ids)


def tenths(ms: int) -> str:
    """12345 -> "0:12.3": runs cut lines a fraction of a second apart."""
    return f"{ms // 60000}:{ms // 1000 % 60:02d}.{ms // 100 % 10}"


def work(run: RunSummary) -> str:
    """How much of a run a person has done: "6 of 6 lines reviewed", and the changes, if any."""
    done = f"{run.reviewed} of {plural(run.lines, 'line')} reviewed"
    if not run.revisions:
        return done
    return f"{done}, {plural(run.revisions, 'change')}"


def options_text(differs: dict[str, Any]) -> str:
    """``beam_size=4 lang=uk``: the options that tell a run from the clip's others (hashes shortened)."""
    return " ".join(f"{k}={_short(v)}" for k, v in differs.items())


def _short(value: Any) -> str:
    text = "-" if value is None else str(value)
    is_hash = len(text) > ID_LENGTH and all(c in "0123456789abcdef" for c in text)
    return text[:ID_LENGTH] if is_hash else text


def kept_line(kept: RunSummary, new_run: str) -> str:
    """What translate says when a person's work stayed the clip's text and the new run went beside it."""
    return (
        f"kept run {kept.id[:ID_LENGTH]} ({work(kept)}) as the clip's text; the new run"
        f" {new_run[:ID_LENGTH]} is stored beside it: tolmach runs use {new_run[:ID_LENGTH]}"
    )


@app.command(
    epilog=(
        "Examples:\n\n  tolmach retranslate 3636ce09   (the lines whose original a person edited)\n\n"
        "  tolmach retranslate 3636ce09 --lines 3,5-7\n\n"
        "  tolmach retranslate 3636ce09 --all --engine llm --llm-model qwen2.5:7b"
    )
)
def retranslate(
    id: Annotated[str, typer.Argument(help="Clip or run ID (a prefix is enough).")],
    lines: Annotated[
        str | None, typer.Option("--lines", help="Line numbers, e.g. 3,5 or 3-7 (default: edited ones).")
    ] = None,
    all: Annotated[bool, typer.Option("--all", help="Every line of the run.")] = False,
    engine: TextEngineOption = None,
    local_model: LocalModelOption = None,
    llm_url: LlmUrlOption = None,
    llm_model: LlmModelOption = None,
    nmt_model: NmtModelOption = None,
    allow_remote: RemoteOption = False,
    no_glossary: Annotated[bool, typer.Option("--no-glossary", help="No glossary renderings.")] = False,
    home: HomeOption = None,
) -> None:
    """Translate lines again from their original text as it stands, after a person corrected it.

    The new English is stored as a revision by the engine (its history shows machine and human apart);
    a line whose English comes out the same is left as it is."""
    from tolmach.retranslate import retranslate_lines

    try:
        options = load_options(
            _parsed(
                flag_overrides(
                    engine=engine,
                    local_model=local_model,
                    llm_url=llm_url,
                    llm_model=llm_model,
                    nmt_model=nmt_model,
                    allow_remote=allow_remote,
                    no_glossary=no_glossary,
                )
            )
        )
        if lines is not None and all:
            raise OptionsError("give --lines or --all, not both", "--all re-translates every line")
        with open_archive(home) as archive:
            run_id = archive.run_of(id)
            if all:
                numbers = [s.id for s in archive.segments(run_id)]
            elif lines is not None:
                numbers = parse_lines(lines)
            else:
                numbers = edited_lines(archive, run_id)
            if not numbers:
                err.print(
                    f"nothing to re-translate: no line's original text in run {run_id[:ID_LENGTH]} was edited"
                    " since decoding; name lines with --lines N,M, or pass --all",
                    highlight=False,
                    soft_wrap=True,
                )
                return
            if show_progress():
                with err.status(f"translating {plural(len(numbers), 'line')} again"):
                    done = retranslate_lines(archive, run_id, numbers, options)
            else:
                done = retranslate_lines(archive, run_id, numbers, options)
    except TolmachError as e:
        raise fail(e) from None
    for warning in done.warnings:
        err.print(f"[yellow]warning[/] {escape(warning)}", highlight=False, soft_wrap=True)
    rows = [
        {
            "line": line.number,
            "before": line.before,
            "now": "(unchanged)" if line.after == line.before else line.after or "(not translated: kept)",
        }
        for line in done.lines
    ]
    columns = (
        Column("line", "number"),
        Column("English before", "text", "before"),
        Column("English now", "text", "now"),
    )
    emit(Listing("lines", columns, rows))
    changed = f"{len(done.changed)} of {plural(len(done.lines), 'line')} changed"
    err.print(f"{changed}, by {escape(done.author)}", highlight=False, soft_wrap=True)


RETRANSLATED = (
    Column("line", "number"),
    Column("English before", "text", "before"),
    Column("English now", "text", "now"),
)


def parse_lines(text: str) -> list[int]:
    """Line numbers from "3,5" or "3-7,9"; OptionsError naming the piece that is not one."""
    numbers: list[int] = []
    for piece in (p.strip() for p in text.split(",")):
        first, dash, last = piece.partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise OptionsError(
                f"--lines: '{piece}' is not a line number or range", "e.g. --lines 3,5 or --lines 3-7"
            ) from None
        if low < 1 or high < low:
            raise OptionsError(
                f"--lines: '{piece}' names no line", "lines are numbered from 1; a range goes up, e.g. 3-7"
            )
        numbers += range(low, high + 1)
    return list(dict.fromkeys(numbers))


def edited_lines(archive: Archive, run_id: str) -> list[int]:
    """The lines whose original text a person changed since decoding (and did not change back)."""
    decoded: dict[int, str] = {}
    for r in archive.revisions(run_id):
        if r.field == "text":
            decoded.setdefault(r.segment, r.before)
    return [s.id for s in archive.segments(run_id) if s.id in decoded and s.text != decoded[s.id]]
