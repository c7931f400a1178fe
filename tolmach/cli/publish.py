"""Publishing commands: publish (thread, quote sheet, manifest), verify, and the glossary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tolmach.cli import ForceOption, HomeOption, app, err, fail, open_archive, out
from tolmach.cli.folders import tidied
from tolmach.cli.output import Column, Listing, emit, plural
from tolmach.errors import OptionsError, TolmachError

glossary_app = typer.Typer(
    no_args_is_help=True,
    help="The glossary of slang and military terms: list, add, import.",
    epilog="Examples:\n\n  tolmach glossary list --search груз\n\n  tolmach glossary import house-terms.tsv",
)
app.add_typer(glossary_app, name="glossary")


@app.command(
    epilog=(
        "Examples:\n\n  tolmach publish 3636ce09 --thread\n\n"
        "  tolmach publish 3636ce09 --quotes --ids 3,7,12 -o press/\n\n"
        "  tolmach publish 3636ce09 --thread --quotes --manifest\n\n"
        "  tolmach publish 3636ce09 --thread --include-notes   (the clip's notes are private otherwise)"
    )
)
def publish(
    id: Annotated[str, typer.Argument(help="Clip or run ID.")],
    thread: Annotated[bool, typer.Option("--thread", help="A numbered thread of short posts.")] = False,
    quotes: Annotated[bool, typer.Option("--quotes", help="A quote sheet (Markdown and HTML).")] = False,
    manifest: Annotated[
        bool, typer.Option("--manifest", help="A signed provenance manifest, with the files it covers.")
    ] = False,
    quote: Annotated[int | None, typer.Option(help="The line to use as the thread's pull-quote.")] = None,
    ids: Annotated[str | None, typer.Option(help="Only these lines in the quote sheet, e.g. 3,7,12.")] = None,
    limit: Annotated[int, typer.Option(help="Characters per post.")] = 280,
    include_notes: Annotated[
        bool,
        typer.Option("--include-notes", help="Publish the clip's notes too (private by default)."),
    ] = False,
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder to write into.")] = Path("."),
    home: HomeOption = None,
    force: ForceOption = False,
) -> None:
    """Write what gets published, from the clip's latest text, and say where."""
    if not (thread or quotes or manifest):
        raise fail(OptionsError("nothing to publish", "add --thread, --quotes and/or --manifest"))
    try:
        chosen = [int(i) for i in ids.split(",")] if ids else None
    except ValueError:
        bad = OptionsError(f"--ids '{ids}' is not a list of line numbers", "e.g. --ids 3,7,12")
        raise fail(bad) from None
    from tolmach.media import check_writable_dir
    from tolmach.media.ledger import write_texts
    from tolmach.publish import build_thread, quotes_html, quotes_markdown
    from tolmach.publish.bundle import manifest_bundle

    try:
        with tidied(output_dir):  # a folder made for a failed publish is not left behind
            folder = check_writable_dir(output_dir)
            with open_archive(home) as archive:
                run_id = archive.run_of(id)
                transcript = archive.transcript(run_id)
                record = archive.clip(transcript.media.sha256)
                edits = archive.edits(run_id)
                home = archive.home
            info, stem = record.info, Path(record.filename).stem
            files: dict[str, str] = {}
            if thread:
                posts = build_thread(
                    transcript,
                    info,
                    reviewer=transcript.reviewer,
                    quote_id=quote,
                    limit=limit,
                    include_notes=include_notes,
                )
                files[f"{stem}.thread.txt"] = "\n\n".join(posts) + "\n"
            if quotes:
                for suffix, sheet in (("md", quotes_markdown), ("html", quotes_html)):
                    files[f"{stem}.quotes.{suffix}"] = sheet(
                        transcript,
                        info,
                        reviewer=transcript.reviewer,
                        ids=chosen,
                        include_notes=include_notes,
                    )
            if manifest:
                files = manifest_bundle(
                    transcript, info, stem, files, edits, home, include_notes=include_notes
                )
            # a file tolmach did not write there, or one edited since, is kept unless --force
            write_texts({folder / name: text for name, text in files.items()}, force=force)
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"wrote {plural(len(files), 'file')}:", highlight=False)
    for name in files:
        out.print(f"  {folder / name}", highlight=False, soft_wrap=True)
    if manifest:
        signature = json.loads(files[f"{stem}.manifest.json"])["signature"]
        out.print(
            f"signed with key {signature['key_fingerprint']}; readers trust it with "
            f"'tolmach keys trust {signature['key_fingerprint']}' (or its public key):\n"
            f"  {signature['public_key']}",
            highlight=False,
            soft_wrap=True,
        )


@app.command(
    epilog=(
        "Examples:\n\n  tolmach verify clip.manifest.json clip.mp4 clip.en.srt\n\n"
        "  tolmach verify clip.manifest.json --key 3f9a0c41d2e87b65a1c0f4e29d7b3c18 clip.en.srt\n\n"
        "  tolmach keys trust 3f9a0c41d2e87b65a1c0f4e29d7b3c18 --name 'Kyiv desk'   (then no --key)"
    )
)
def verify(
    manifest: Annotated[Path, typer.Argument(help="The .manifest.json file.")],
    files: Annotated[
        list[Path] | None, typer.Argument(help="The clip and outputs to check.", show_default=False)
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            help="Trust only this signer: its fingerprint, public key (base64) or a key file "
            "(default: this archive's key and those added with 'tolmach keys trust')."
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Check a manifest's signature and signer, and that the given files are the ones it was signed for."""
    from tolmach.archive import default_home
    from tolmach.publish import parse_key, trusted_keys, verify_manifest

    try:
        given = parse_key(key)[0] if key is not None else None
    except OptionsError as e:  # a key that cannot be read never quietly means "no key"
        raise fail(OptionsError(f"--key {e.message}", e.hint)) from None
    except TolmachError as e:
        raise fail(e) from None
    try:
        trusted = {given} if given else {k.fingerprint for k in trusted_keys(home or default_home())}
        report = verify_manifest(manifest, files or [], trusted=trusted)
    except TolmachError as e:
        raise fail(e) from None
    # "checked" only for what holds against a trusted signer; otherwise the files were only compared
    verb = "checked" if report.signer_trusted and report.signature_valid else "compared with the manifest:"
    for line in report.checked:
        out.print(f"{verb} {escape(line)}", highlight=False, soft_wrap=True)
    for problem in report.problems:
        err.print(f"[bold red]problem:[/] {escape(problem)}", highlight=False, soft_wrap=True)
    if report.signer and not report.signer_trusted:
        hint = (
            f"the key given with --key is {given}"
            if given
            else "compare it with the fingerprint the publisher gave you, then "
            f"'tolmach keys trust {report.signer}'"
        )
        err.print(
            f"[bold red]FAILED[/]: unknown signer {report.signer} (hint: {escape(hint)})",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    if not report.ok:
        err.print(f"[bold red]FAILED[/]: {plural(len(report.problems), 'problem')}", highlight=False)
        raise typer.Exit(1)
    out.print(
        f"[bold green]OK[/]: signed by trusted key {report.signer}; every file matches the signed manifest",
        highlight=False,
        soft_wrap=True,
    )


TERM_COLUMNS = tuple(Column(name) for name in ("term", "english", "gloss", "note", "source"))


def _glossary(home: Path | None) -> tuple[Path, object]:
    from tolmach.archive import default_home
    from tolmach.pipeline import USER_GLOSSARY
    from tolmach.translate import load_glossary

    user = (home or default_home()) / USER_GLOSSARY
    return user, load_glossary(*([user] if user.is_file() else []))


@glossary_app.command(
    "list", epilog="Examples:\n\n  tolmach glossary list\n\n  tolmach glossary list --search 200"
)
def glossary_list(
    search: Annotated[str | None, typer.Option(help="Only terms containing this text.")] = None,
    home: HomeOption = None,
) -> None:
    """Every glossary term: the built-in ones and yours."""
    from tolmach.translate import Glossary

    try:
        _, glossary = _glossary(home)
    except TolmachError as e:
        raise fail(e) from None
    assert isinstance(glossary, Glossary)
    needle = (search or "").lower()
    rows = []
    for t in glossary.terms:
        row = {"term": " | ".join(t.forms), "english": t.english, "gloss": t.gloss, "note": t.note}
        row["source"] = t.source
        if needle in " ".join(row.values()).lower():
            rows.append(row)
    emit(Listing("terms", TERM_COLUMNS, rows, empty="no term matches" if needle else ""))


@glossary_app.command(
    "add", epilog="Example:\n\n  tolmach glossary add 'накат' 'nakat' 'wave of infantry assaults' --lang ru"
)
def glossary_add(
    term: Annotated[str, typer.Argument(help="The source forms, separated by |.")],
    english: Annotated[str, typer.Argument(help="How the English text renders or keeps it.")],
    gloss: Annotated[str, typer.Argument(help="The short explanation that goes in \\[brackets].")],
    lang: Annotated[str, typer.Option(help="ru, uk, or ru,uk.")] = "ru,uk",
    note: Annotated[str, typer.Option(help="Register: slang, derogatory, official euphemism ...")] = "",
    source: Annotated[str, typer.Option(help="Where the meaning is attested.")] = "user",
    match: Annotated[str, typer.Option(help="Regex of English a translation may use for it.")] = "",
    home: HomeOption = None,
) -> None:
    """Add a term to your glossary (or replace yours with the same form)."""
    from tolmach.translate import Term, add_term

    try:
        user, _ = _glossary(home)
        user.parent.mkdir(parents=True, exist_ok=True)
        add_term(
            user,
            Term(
                forms=tuple(f.strip() for f in term.split("|") if f.strip()),
                lang=lang,
                english=english,
                gloss=gloss,
                match=match,
                note=note,
                source=source,
            ),
        )
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"added to {user}", highlight=False, soft_wrap=True)


@glossary_app.command("rm", epilog="Example:\n\n  tolmach glossary rm 'накат'")
def glossary_rm(
    term: Annotated[str, typer.Argument(help="Any source form of the term.")],
    home: HomeOption = None,
) -> None:
    """Remove a term from your glossary (the built-in ones stay: add yours to override one)."""
    from tolmach.translate.glossary import remove_term

    try:
        user, _ = _glossary(home)
        removed = remove_term(user, term)
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"removed '{' | '.join(removed.forms)}' from {user}", highlight=False, soft_wrap=True)


@glossary_app.command("import", epilog="Example:\n\n  tolmach glossary import house-terms.tsv")
def glossary_import(
    file: Annotated[Path, typer.Argument(help="A glossary in TSV or TOML.")],
    home: HomeOption = None,
) -> None:
    """Add every term of a TSV or TOML glossary file to yours (checked first; nothing is added on error)."""
    from tolmach.translate import add_term, load_glossary

    try:
        user, _ = _glossary(home)
        incoming = load_glossary(file, builtin=False)
        user.parent.mkdir(parents=True, exist_ok=True)
        for t in incoming.terms:
            add_term(user, t)
    except TolmachError as e:
        raise fail(e) from None
    out.print(f"imported {plural(len(incoming.terms), 'term')} into {user}", highlight=False, soft_wrap=True)
