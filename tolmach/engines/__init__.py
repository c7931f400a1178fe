"""Translation engines: what writes the English, chosen by the ``engine`` setting (docs/ENGINES.md).

Whisper translates speech in the same pass as it transcribes (the default, offline); a language model
(``llm``) or a translation model (``nmt``) can translate the transcript as text instead, seeing more of
the clip at once and following the glossary. Whatever the engine, the transcript keeps one English line
per segment, and each segment records which engine and model wrote its English (``translated_by``).

The glossary and the engines: an ``llm`` is told the field's rendering of every glossary term the clip
uses («мобик» -> mobik / mobiks) and told not to explain terms; the glossary step that runs after the
engine (``Glossary.apply``) then adds the bracketed gloss on first use, as it does to Whisper's English.
So a gloss is added once, by tolmach, whichever engine wrote the line. ``nmt`` models take no
instructions; the glossary step glosses whatever rendering they chose, or adds a translator's note.

The registry is a plain dict, ``ENGINES``; ``tolmach.engines.base.Engine`` says how to add one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tolmach.engines.base import Context, Engine, EngineError, Outcome, Term, is_local_url, refuse_remote
from tolmach.engines.llm import LlmEngine
from tolmach.engines.nmt import NmtEngine
from tolmach.engines.whisper import WhisperEngine
from tolmach.errors import OptionsError

if TYPE_CHECKING:
    from tolmach.options import Options
    from tolmach.records import Segment
    from tolmach.translate import Glossary

ENGINES: dict[str, type[Engine]] = {"whisper": WhisperEngine, "llm": LlmEngine, "nmt": NmtEngine}


def get_engine(options: Options, name: str | None = None) -> Engine:
    """The engine ``name`` (default ``options.engine``) built from ``options``; OptionsError when it would
    send text off the machine and ``options.allow_remote`` is off."""
    name = name or options.engine
    cls = ENGINES.get(name)
    if cls is None:
        raise OptionsError(f"unknown engine '{name}'", f"choose from {', '.join(ENGINES)}")
    engine = cls(options)  # type: ignore[call-arg]  # every registered engine takes the Options
    refuse_remote(engine, options.llm_url if name == "llm" else name, options.allow_remote)
    return engine


def text_engine(options: Options) -> Engine:
    """The engine for text (a post, an article): the chosen one, or the configured nmt, then llm.

    Whisper translates only what it hears, so with the default engine a configured ``nmt_model`` is
    used, else a configured ``llm_model``; with neither, an EngineError says how to configure one.
    """
    name = options.engine
    if name == "whisper":
        name = "nmt" if options.nmt_model else "llm" if options.llm_model else ""
    if not name:
        raise EngineError(
            "no engine for text: whisper translates speech only, and no llm or nmt engine is configured",
            "pass --engine llm --llm-model NAME (a local server such as Ollama), or --engine nmt "
            "--nmt-model DIR, or set them in the config file (docs/ENGINES.md)",
        )
    return get_engine(options, name)


def engine_key(options: Options) -> dict[str, str]:
    """The engine settings that shape the English, for the run key: none for whisper (so runs made
    before engines existed keep their IDs), the engine and its model for the others."""
    if options.engine == "llm":
        return {"engine": "llm", "llm_url": options.llm_url.rstrip("/"), "llm_model": options.llm_model}
    if options.engine == "nmt":
        return {"engine": "nmt", "nmt_model": str(Path(options.nmt_model).expanduser().resolve())}
    return {}


def glossary_terms(glossary: Glossary | None, texts: Iterable[str], language: str) -> tuple[Term, ...]:
    """The glossary's terms that ``texts`` use, as engine instructions (first use order)."""
    if glossary is None:
        return ()
    found: dict[str, Term] = {}
    for text in texts:
        for term in glossary.terms_in(text, language):
            head = term.headword(language)
            found.setdefault(head, Term(head, term.english, "; ".join(filter(None, (term.gloss, term.note)))))
    return tuple(found.values())


def translate_segments(
    segments: Sequence[Segment],
    language: str,
    options: Options,
    glossary: Glossary | None = None,
    *,
    whisper: str = "whisper",
    engine: Engine | None = None,
) -> tuple[tuple[Segment, ...], tuple[str, ...]]:
    """The segments with their English written by ``options.engine``, each marked ``translated_by``,
    and the warnings to report (retries, fallbacks). ``whisper`` labels Whisper's own English
    ("whisper:base"): it is kept, and marked so, for a line the engine could not translate."""
    segments = tuple(segments)
    if engine is None and (options.engine == "whisper" or language == "en"):
        return tuple(replace(s, translated_by=whisper) for s in segments), ()
    engine = engine or get_engine(options)
    if not segments:
        return segments, ()
    lines = [s.text for s in segments]
    context = Context(
        source_lang=language,
        glossary=glossary_terms(glossary, lines, language),
        fallback=tuple(s.translation for s in segments),
        fallback_by=whisper,
    )
    outcome = engine.run(lines, context)
    marked = []
    for segment, english, why in zip(segments, outcome.lines, outcome.fallback, strict=True):
        by = f"{whisper} (fallback: {why})" if why else engine.label
        marked.append(replace(segment, translation=english, translated_by=by))
    return tuple(marked), outcome.events


__all__ = [
    "ENGINES",
    "Context",
    "Engine",
    "EngineError",
    "Outcome",
    "Term",
    "engine_key",
    "get_engine",
    "glossary_terms",
    "is_local_url",
    "text_engine",
    "translate_segments",
]
