"""Commands: engines (what can translate, and is it reachable) and translate-text (a post or article)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

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
    out,
)
from tolmach.cli.output import Column, JsonOption, Listing, emit, plural, show_progress
from tolmach.errors import OptionsError, TolmachError
from tolmach.settings import load_options

ENGINE_COLUMNS = (
    Column("engine", "id", "name"),
    Column("chosen", "id", lambda e: "yes" if e["chosen"] else ""),
    Column("where", "id", lambda e: "remote" if e["remote"] else "local"),
    Column("ready", "text", lambda e: ("yes: " if e["ready"] else "no: ") + e["why"]),
    Column("what", "text", "description"),
)

UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")

TextEngineOption = Annotated[
    str | None,
    typer.Option(help="local, llm or nmt (default: local when installed, else the configured one)."),
]


def _options(overrides: dict[str, Any]) -> Any:
    return load_options(_parsed(overrides))


@app.command(
    epilog=(
        "Examples:\n\n  tolmach engines\n\n"
        "  tolmach engines --llm-url http://127.0.0.1:8080/v1 --llm-model qwen2.5-7b-instruct\n\n"
        "  tolmach engines --nmt-model ~/models/opus-mt-ru-en-ct2\n\n"
        "  tolmach engines --json"
    )
)
def engines(
    local_model: LocalModelOption = None,
    llm_url: LlmUrlOption = None,
    llm_model: LlmModelOption = None,
    nmt_model: NmtModelOption = None,
    allow_remote: RemoteOption = False,
    as_json: JsonOption = False,
) -> None:
    """Each translation engine: configured or not, reachable or not, local or remote."""
    from tolmach.engines import ENGINES, engine_name

    try:
        options = _options(
            flag_overrides(
                local_model=local_model,
                llm_url=llm_url,
                llm_model=llm_model,
                nmt_model=nmt_model,
                allow_remote=allow_remote,
            )
        )
    except TolmachError as e:
        raise fail(e) from None
    chosen = engine_name(options)
    rows = []
    for name, cls in ENGINES.items():
        engine = cls(options)  # type: ignore[call-arg]
        if engine.remote and not options.allow_remote:  # not even a probe goes out without consent
            ready, why = False, "remote: not contacted, refused without --allow-remote"
        else:
            try:
                ready, why = engine.check()
            except TolmachError as e:
                ready, why = False, e.one_line()
        rows.append(
            {
                "name": name,
                "chosen": chosen == name,
                "remote": engine.remote,
                "ready": ready,
                "why": why,
                "description": engine.describe(),
            }
        )
    emit(Listing("engines", ENGINE_COLUMNS, rows, extra={"chosen": chosen}), as_json)


@app.command(
    "translate-text",
    epilog=(
        "Examples:\n\n  tolmach translate-text post.txt --from ru --nmt-model ~/models/opus-mt-ru-en-ct2\n\n"
        "  tolmach translate-text article.html --from uk --engine llm --llm-model qwen2.5:7b\n\n"
        "  tolmach translate-text notes.md -o notes-english.md"
    ),
)
def translate_text(
    path: Annotated[Path, typer.Argument(help="A .txt, .md or .html file.", show_default=False)],
    source_lang: Annotated[
        str | None,
        typer.Option("--from", help="The text's language, e.g. ru, uk (default: guessed from its letters)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: <stem>.en.<ext> beside it)."),
    ] = None,
    engine: TextEngineOption = None,
    local_model: LocalModelOption = None,
    llm_url: LlmUrlOption = None,
    llm_model: LlmModelOption = None,
    nmt_model: NmtModelOption = None,
    allow_remote: RemoteOption = False,
    no_glossary: Annotated[bool, typer.Option("--no-glossary", help="No glossary renderings.")] = False,
    home: HomeOption = None,
) -> None:
    """Translate a Telegram post, caption or article into English, keeping paragraphs and links."""
    from tolmach.archive.archive import default_home
    from tolmach.asr.languages import LANGUAGES
    from tolmach.document import read_document
    from tolmach.engines import text_engine
    from tolmach.engines.text import translate_file
    from tolmach.pipeline import glossary_for

    try:
        options = _options(
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
        doc = read_document(path)
        language = source_lang or guess_language(" ".join(b.text for b in doc.blocks))
        if language not in LANGUAGES:
            raise OptionsError(f"unknown language code '{language}'", "e.g. --from ru or --from uk")
        chosen = text_engine(options)
        glossary = glossary_for(options, home or default_home())
        if show_progress():
            with err.status(f"translating {plural(len(doc.blocks), 'paragraph')} with {chosen.label}"):
                result = translate_file(path, chosen, language, output, glossary)
        else:
            result = translate_file(path, chosen, language, output, glossary)
    except TolmachError as e:
        raise fail(e) from None
    for warning in result.warnings:
        err.print(f"[yellow]warning[/] {escape(warning)}", highlight=False, soft_wrap=True)
    for number, flag in result.flags:
        err.print(
            f"[yellow]CHECK[/] paragraph {number}: {escape(flag.detail)}", highlight=False, soft_wrap=True
        )
    out.print(
        f"wrote {result.output} ({plural(len(doc.blocks), 'paragraph')}, {language} -> en, {result.engine})",
        highlight=False,
        soft_wrap=True,
    )


def guess_language(text: str) -> str:
    """ru or uk from the letters only one of them writes; ru when neither shows (say --from to be sure)."""
    uk, ru = len(UKRAINIAN_ONLY.findall(text)), len(RUSSIAN_ONLY.findall(text))
    return "uk" if uk > ru else "ru"
