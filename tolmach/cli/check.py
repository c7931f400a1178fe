"""``tolmach check``: the line checks on translations made anywhere, with no audio."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from tolmach.cli import HomeOption, NoGlossaryOption, _parsed, app, err, fail, flag_overrides
from tolmach.cli.output import json_line, plural
from tolmach.errors import OptionsError, TolmachError


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tolmach check clip.json\n\n"
        "  tolmach check pairs.tsv --from uk | jq 'select(.doubtful)'"
    ),
)
def check(
    path: Annotated[
        Path, typer.Argument(help="A tolmach .json transcript, or a .tsv with columns source and english.")
    ],
    source_lang: Annotated[
        str,
        typer.Option("--from", help="The originals' language: ru, uk, or auto (guessed from the letters)."),
    ] = "auto",
    no_glossary: NoGlossaryOption = False,
    home: HomeOption = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Accepted for symmetry with the other commands: check always prints JSON lines."
        ),
    ] = False,
) -> None:
    """Check each line's English against its original: numbers, names, negation, omissions, bleed.

    Prints one JSON object a line ({"line", "doubtful", "flags"}) and a summary on stderr; exits 0 when
    it ran, whatever it found, and 1 on input it cannot read.
    """
    from tolmach.archive.archive import default_home
    from tolmach.checks import CHECKED_LANGUAGES, KINDS, check_segments
    from tolmach.checks.inputs import read_checkable
    from tolmach.cli.engines import guess_language
    from tolmach.pipeline import glossary_for
    from tolmach.settings import load_options
    from tolmach.subtitles.formats.jsonformat import flag_to_json

    try:
        if source_lang not in ("auto", *CHECKED_LANGUAGES):
            raise OptionsError(
                f"the checks read Russian and Ukrainian originals, not '{source_lang}'",
                "give --from ru, uk or auto",
            )
        checkable = read_checkable(path)
        language = source_lang if source_lang != "auto" else checkable.language
        if not language:
            language = guess_language(" ".join(s.text for s in checkable.segments))
        options = load_options(_parsed(flag_overrides(no_glossary=no_glossary)))
        glossary = glossary_for(options, home or default_home())
        # what the checks find now is asked, not the flags the transcript was written with
        plain = tuple(replace(s, flags=()) for s in checkable.segments)
        checked = check_segments(plain, language, glossary, entities=checkable.annotated)
    except TolmachError as e:
        error = fail(e)
        raise typer.Exit(1) from error  # 1: bad input, whatever the error's kind (0: it ran)
    kinds: Counter[str] = Counter()
    doubtful = 0
    for s in checked:  # the flags were cleared before checking: every flag is a line check's
        flags = [flag_to_json(f) for f in s.flags]
        kinds.update(f.kind for f in s.flags)
        doubtful += bool(flags)
        json_line({"line": s.id, "doubtful": bool(flags), "flags": flags})
    by_kind = ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS if kinds[kind])
    err.print(
        f"checked {plural(len(checked), 'line')} ({language}): {doubtful} doubtful"
        + (f" ({by_kind})" if by_kind else ""),
        highlight=False,
        soft_wrap=True,
    )
