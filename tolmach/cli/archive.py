"""Archive commands: list, show, export, rm, tag, search, runs. Each is one library call and its printing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tolmach.archive import ID_LENGTH, ClipRecord, ClipSummary, Filters, Hit, search
from tolmach.archive.compare import differing_keys
from tolmach.archive.search import Spans, plain
from tolmach.cli import ForceOption, HomeOption, app, clock, err, fail, open_archive, out
from tolmach.cli.output import Column, JsonOption, Listing, emit, emit_json, is_terminal, plural
from tolmach.cli.runs import options_text, run_record, work
from tolmach.errors import OptionsError, TolmachError
from tolmach.records import Segment, Transcript
from tolmach.subtitles import render
from tolmach.subtitles.formats.jsonformat import segment_to_dict

CLIP_COLUMNS = (
    Column("id", "id"),
    Column("title", "text", lambda c: c["title"] or c["filename"]),
    Column("language", "id"),
    Column("duration", "number", lambda c: clock(c["duration_ms"])),
    Column("lines", "number"),
    Column("doubtful", "number"),
    Column("runs", "number"),
    Column("tags"),
    Column("added", "id", lambda c: c["added"][:10]),
)
HIT_COLUMNS = (
    Column("id", "id"),
    Column("title"),
    Column("time", "number", lambda h: clock(h["start"])),
    Column("speaker", "id"),
    Column("doubtful", "id"),
    Column("text"),
    Column("english", "text", "translation"),
)
SPEAKER_COLUMNS = (
    Column("speaker", "text", lambda s: s["speaker"] or "(none)"),
    Column("role", "text"),
    Column("lines", "number"),
    Column("speech", "number", lambda s: clock(s["speech_ms"])),
    Column("first line", "text", "first_line"),
)


@app.command(
    "list", epilog="Examples:\n\n  tolmach list\n\n  tolmach list --tag bakhmut\n\n  tolmach list --json"
)
def list_clips(
    tag: Annotated[str | None, typer.Option(help="Only clips with this tag.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The clips in the archive, newest first."""
    try:
        with open_archive(home) as archive:
            clips = archive.clips(tag=tag)
    except TolmachError as e:
        raise fail(e) from None
    empty = "the archive is empty: 'tolmach translate CLIP' files clips in it"
    if tag:
        empty = f"no clip has the tag '{tag}': 'tolmach list' shows every clip with its tags"
    emit(Listing("clips", CLIP_COLUMNS, [clip_record(c) for c in clips], empty=empty), as_json)


def clip_record(c: ClipSummary) -> dict[str, Any]:
    """A clip as ``list --json`` gives it: the web API's clip summary (docs/FORMATS.md)."""
    from tolmach.web.shapes import clip_summary

    return {**clip_summary(c), "language": c.language or None}


@app.command(
    epilog=(
        "Examples:\n\n  tolmach show 3636ce09\n\n  tolmach show 3636ce09 --lines 0\n\n"
        "  tolmach show 3636ce09 --json | jq '.segments[] | select(.doubtful)'"
    )
)
def show(
    id: Annotated[str, typer.Argument(help="Clip or run ID (a prefix is enough).")],
    lines: Annotated[int, typer.Option(help="Show at most this many lines (0: none; -1: all).")] = -1,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """A clip: where it came from, its runs, and its lines with their entities and notes."""
    try:
        with open_archive(home) as archive:
            clip_id, run_id = archive.resolve(id)
            clip = archive.clip(clip_id)
            transcript = archive.transcript(run_id) if run_id else None
    except TolmachError as e:
        raise fail(e) from None
    shown = () if transcript is None else transcript.segments if lines < 0 else transcript.segments[:lines]
    if as_json:
        emit_json(show_record(clip, run_id, transcript, shown))
        return
    info = clip.info
    rows = [
        ("clip", clip.id),
        ("file", clip.filename),
        ("title", info.title),
        ("place", info.place),
        ("filmed", info.filmed),
        ("notes", info.notes),
        ("tags", " ".join(info.tags)),
        ("added", info.added),
        ("duration", clock(clip.media.duration_ms)),
        ("size", f"{clip.media.size:,} bytes"),
    ]
    rows += [("source", f"{location}  ({seen})") for location, seen in clip.sources]
    for r, differs in zip(clip.runs, differing_keys([r.key for r in clip.runs]), strict=True):
        mark = " (current)" if r.current else " (shown)" if r.id == run_id else ""
        about = f"{r.created} {r.language}, {work(r)} {options_text(differs)}".rstrip()
        rows.append(("run", f"{r.id[:ID_LENGTH]}{mark} {about}"))
    for name, value in rows:
        if value:
            out.print(f"[bold]{name:>8}[/]  {escape(value)}", soft_wrap=True, highlight=False)
    if len(clip.runs) > 1:
        hint = f"'tolmach runs use RUN' shows another; 'tolmach runs diff {clip.id[:ID_LENGTH]} RUN' compares"
        out.print(f"{'':>8}  {hint}", soft_wrap=True, highlight=False)
    if not shown:
        return
    out.print()
    for s in shown:
        _print_segment(s)
    if transcript is not None and len(shown) < len(transcript.segments):
        more = plural(len(transcript.segments) - len(shown), "more line", "more lines")
        out.print(f"... {more} (--lines -1 shows all)", highlight=False)


def show_record(
    clip: ClipRecord, run_id: str | None, transcript: Transcript | None, shown: tuple[Segment, ...]
) -> dict[str, Any]:
    """``show --json``: the clip, its runs, and the shown run's lines (docs/FORMATS.md)."""
    info = clip.info
    return {
        "clip": {
            "id": clip.id[:ID_LENGTH],
            "clip_id": clip.id,
            "filename": clip.filename,
            "title": info.title,
            "place": info.place,
            "filmed": info.filmed,
            "notes": info.notes,
            "tags": list(info.tags),
            "added": info.added,
            "duration_ms": clip.media.duration_ms,
            "size": clip.media.size,
            "sources": [{"location": where, "seen": when} for where, when in clip.sources],
        },
        "run_id": run_id,
        "runs": [
            run_record(r, differs)
            for r, differs in zip(clip.runs, differing_keys([r.key for r in clip.runs]), strict=True)
        ],
        "lines": len(transcript.segments) if transcript is not None else 0,
        "segments": [{k: v for k, v in segment_to_dict(s).items() if k != "words"} for s in shown],
    }


def _print_segment(s: Segment) -> None:
    who = f"{s.speaker}: " if s.speaker else ""
    reasons = "; ".join(f.detail for f in s.flags) or "doubtful"
    check = f"  [yellow]CHECK: {escape(reasons)}[/]" if s.doubtful else ""
    out.print(
        f"[dim]{clock(s.start)}[/] {escape(who + s.text)}{check}\n    [cyan]EN:[/] {escape(s.translation)}",
        soft_wrap=True,
        highlight=False,
    )
    for note in s.notes:
        out.print(f"    [magenta]NOTE:[/] {escape(note)}", soft_wrap=True, highlight=False)
    if s.entities:
        names = "; ".join(
            f"{e.kind} {e.normal}" + (f" ({e.english})" if e.english else "") for e in s.entities
        )
        out.print(f"    [green]NAMES:[/] {escape(names)}", soft_wrap=True, highlight=False)


@app.command(
    epilog=(
        "Examples:\n\n  tolmach export 3636ce09 --format srt --lang en\n\n"
        "  tolmach export 3636ce09 --format json -o clip.json"
    )
)
def export(
    id: Annotated[str, typer.Argument(help="Clip or run ID.")],
    format: Annotated[str, typer.Option("--format", "-f", help="srt, vtt, ass, json or txt.")] = "srt",
    lang: Annotated[str, typer.Option(help="en for the English track, or the original's code.")] = "en",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write ('-' for standard output).")
    ] = None,
    home: HomeOption = None,
    force: ForceOption = False,
) -> None:
    """Write one output of a stored clip, from its latest text."""
    from tolmach.media.ledger import write_texts

    try:
        with open_archive(home) as archive:
            run_id = archive.run_of(id)
            transcript = archive.transcript(run_id)
            filename = archive.clip(transcript.media.sha256).filename
        files = render(format, transcript)
        suffix = _suffix(files, format, lang, transcript.language)
        if output is not None and str(output) == "-":
            typer.echo(files[suffix], nl=False)
            return
        target = output or Path(f"{Path(filename).stem}.{suffix}")
        write_texts({target: files[suffix]}, force=force)  # never over a file tolmach did not write
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"wrote {target}", highlight=False, soft_wrap=True)


def _suffix(files: dict[str, str], format: str, lang: str, original: str) -> str:
    if len(files) == 1:
        return next(iter(files))
    wanted = f"{'en' if lang == 'en' else original}.{format}"
    if lang not in ("en", original) or wanted not in files:
        raise OptionsError(f"this clip has no '{lang}' {format} track", f"use --lang en or --lang {original}")
    return wanted


@app.command(epilog="Examples:\n\n  tolmach rm 3636ce09\n\n  tolmach rm 3636ce09 --yes")
def rm(
    id: Annotated[str, typer.Argument(help="Clip ID.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    home: HomeOption = None,
) -> None:
    """Delete a clip from the archive: its original, every run, every stored output."""
    try:
        with open_archive(home) as archive:
            clip_id, _ = archive.resolve(id)
            clip = archive.clip(clip_id)
            name = clip.info.title or clip.filename
            if not yes and not typer.confirm(f"delete {clip_id[:ID_LENGTH]} ({name}) and all its runs?"):
                err.print("nothing deleted")
                raise typer.Exit(1)
            removed = archive.remove(clip_id)
    except TolmachError as e:
        raise fail(e) from None
    stored = plural(removed, "stored file")
    out.print(f"deleted {clip_id[:ID_LENGTH]} ({escape(name)}), {stored}", highlight=False, soft_wrap=True)


@app.command(
    epilog="Examples:\n\n  tolmach tag 3636ce09 bakhmut 2023\n\n  tolmach tag 3636ce09 --remove 2023"
)
def tag(
    id: Annotated[str, typer.Argument(help="Clip ID.")],
    tags: Annotated[list[str] | None, typer.Argument(help="Tags to add.", show_default=False)] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="A tag to remove; repeatable.")] = None,
    home: HomeOption = None,
) -> None:
    """Add or remove a clip's tags; prints the tags it has now."""
    try:
        if any(not t.strip() for t in (*(tags or ()), *(remove or ()))):
            raise OptionsError("a tag cannot be empty", "give a word, e.g. tolmach tag ID bakhmut")
        with open_archive(home) as archive:
            clip_id, _ = archive.resolve(id)
            now = archive.tag(clip_id, [t.strip() for t in tags or ()], [t.strip() for t in remove or ()])
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"{clip_id[:ID_LENGTH]}: {escape(' '.join(now)) or '(no tags)'}", highlight=False)


@app.command(
    "search",
    epilog=(
        "Examples:\n\n  tolmach search Бахмут\n\n  tolmach search 'company commander' --since 2023-01\n\n"
        "  tolmach search '' --entity Bakhmut --doubtful"
    ),
)
def search_command(
    query: Annotated[str, typer.Argument(help='Words in either language; "quotes" for a phrase.')],
    lang: Annotated[str | None, typer.Option(help="Only clips in this language.")] = None,
    entity: Annotated[str | None, typer.Option(help="Only lines naming this person, place or unit.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only clips with this tag.")] = None,
    since: Annotated[str | None, typer.Option(help="Filmed (or added) on or after YYYY[-MM[-DD]].")] = None,
    until: Annotated[str | None, typer.Option(help="Filmed (or added) on or before YYYY[-MM[-DD]].")] = None,
    doubtful: Annotated[bool, typer.Option("--doubtful", help="Only lines marked doubtful.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many hits.")] = 20,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search every stored line, original and English together; «Бахмут» also finds «Бахмуте».

    The exit code is 1 when nothing matches."""
    filters = Filters(lang=lang, entity=entity, tag=tag, since=since, until=until, doubtful=doubtful)
    try:
        with open_archive(home) as archive:
            hits = search(archive.conn, query, filters, limit)
    except TolmachError as e:
        raise fail(e) from None
    if as_json or not is_terminal(out):  # piped: one hit a line, tab-separated
        rows = [hit_record(h) for h in hits]
        emit(Listing("hits", HIT_COLUMNS, rows, extra={"query": query}, empty="no matches"), as_json)
    elif not hits:
        err.print("no matches", highlight=False)
    else:
        for hit in hits:
            _print_hit(hit)
    if not hits:
        raise typer.Exit(1)


def hit_record(h: Hit) -> dict[str, Any]:
    """A hit as ``search --json`` gives it: the web API's, with ``text`` and ``translation`` the shown
    snippets as plain text and the matched words in ``matched`` (docs/FORMATS.md)."""
    from tolmach.web.shapes import hit

    return {
        **hit(h),
        "text": plain(h.text, ("", "")),
        "translation": plain(h.translation, ("", "")),
        "matched": [piece for piece, found in (*h.text, *h.translation) if found],
    }


def _print_hit(hit: Hit) -> None:
    who = f" {hit.speaker}" if hit.speaker else ""
    check = " [yellow]CHECK[/]" if hit.doubtful else ""
    out.print(
        f"[bold]{hit.clip_id[:ID_LENGTH]}[/] {escape(hit.title)} [dim]{clock(hit.start)}{who}[/]{check}\n"
        f"    {_marked(hit.text)}\n    [cyan]EN:[/] {_marked(hit.translation)}",
        soft_wrap=True,
        highlight=False,
    )


def _marked(spans: Spans) -> str:
    """Matched words in bold yellow (this is for a terminal: piped, hits are tab-separated lines)."""
    return "".join(f"[bold yellow]{escape(s)}[/]" if hit else escape(s) for s, hit in spans)


@app.command(
    epilog=(
        "Examples:\n\n  tolmach speakers 3636ce09\n\n"
        '  tolmach speakers 3636ce09 S1="Company commander" S2=Interviewer\n\n'
        '  tolmach speakers 3636ce09 S1=R S2=M --role R="Russian soldier" --role M=mother'
    )
)
def speakers(
    id: Annotated[str, typer.Argument(help="Clip or run ID.")],
    names: Annotated[
        list[str] | None,
        typer.Argument(help='LABEL=NAME pairs, e.g. S1="Company commander".', show_default=False),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            help='LABEL=ROLE for the legend, e.g. R="Russian soldier"; repeatable.', show_default=False
        ),
    ] = None,
    author: Annotated[str, typer.Option(help="Who is naming them (kept in the history).")] = "",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a clip's speakers, or name them and give their roles: the names appear in every output,
    and the legend "(R) Russian soldier, (M) mother" in the text transcript, the quote sheet and the
    thread. Each speaker's change is one step in the history, with one undo."""
    import getpass

    try:
        pairs = [_pair(n) for n in names or ()]
        roles = [_pair(r, "ROLE") for r in role or ()]
        with open_archive(home) as archive:
            run_id = archive.run_of(id)
            who = author.strip() or getpass.getuser()
            renamed = dict(pairs)
            for label, name in pairs:
                archive.name_speaker(run_id, label, who, name=name)
            for label, given in roles:  # by the name given above, or by the label it replaced
                archive.name_speaker(run_id, renamed.get(label, label), who, role=given)
            segments = archive.transcript(run_id).segments
    except TolmachError as e:
        raise fail(e) from None
    rows = []
    for speaker in dict.fromkeys(s.speaker for s in segments):
        mine = [s for s in segments if s.speaker == speaker]
        rows.append(
            {
                "speaker": speaker,
                "role": next((s.role for s in mine if s.role), ""),
                "lines": len(mine),
                "speech_ms": sum(s.end - s.start for s in mine),
                "first_line": mine[0].text,
                "first_segment": mine[0].id,
            }
        )
    emit(Listing("speakers", SPEAKER_COLUMNS, rows, extra={"run_id": run_id}), as_json)


def _pair(text: str, what: str = "NAME") -> tuple[str, str]:
    label, sep, name = text.partition("=")
    if not sep or not label.strip() or not name.strip():
        example = 'S1="Company commander"' if what == "NAME" else 'R="Russian soldier"'
        raise OptionsError(f"'{text}' is not LABEL={what}", f"e.g. {example}")
    return label.strip(), " ".join(name.split())
