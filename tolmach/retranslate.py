"""Re-translation after a human fixes the original: a text engine writes a line's English again.

Whisper's transcript is often nearly right and a reviewer corrects what it misheard; the English then
no longer says what the corrected line says. This module asks the text engine (``tolmach.engines``,
the local LLM by default) for new English for the lines named, each read as it stands in the archive
now, with the whole clip's transcript, human edits included, as context. Each new English is stored as
a revision whose author is the engine's label ("local:qwen2.5-coder-1.5b-instruct-q4_k_m"), so the
history tells machine from human, and the line's ``translated_by`` names the engine. English that
comes out as it was writes nothing; a line the engine could not translate keeps its English, with a
warning. A line that gets new English loses its reviewed mark (``Archive.edit_line`` sees to that).

It never decodes audio: Whisper cannot translate a corrected text, so with no text engine installed or
configured it raises EngineError, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tolmach import engines
from tolmach.archive import Archive
from tolmach.archive.review import Revision
from tolmach.engines.base import Engine
from tolmach.errors import OptionsError
from tolmach.options import Options
from tolmach.records import Segment
from tolmach.translate import Glossary


@dataclass(frozen=True)
class LineEnglish:
    """One line asked for: its English before, and the engine's new English."""

    number: int  # Segment.id
    before: str
    after: str | None  # None: the engine could not translate the line, and its English stays as it was

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before


@dataclass(frozen=True)
class Retranslated:
    """What a re-translation wrote."""

    revisions: tuple[Revision, ...]  # every revision written: the English, and reviewed marks taken back
    changed: tuple[int, ...]  # the line numbers whose English changed
    lines: tuple[LineEnglish, ...]  # every line asked for, in order
    warnings: tuple[str, ...]  # the engine's retries and fallbacks, and the lines it left as they were
    author: str  # the engine's label: the author of the revisions


def retranslate_lines(
    archive: Archive,
    run_id: str,
    numbers: Sequence[int],
    options: Options,
    *,
    engine: Engine | None = None,
    glossary: Glossary | None = None,
) -> Retranslated:
    """New English for lines ``numbers`` of run ``run_id``, written to the archive as the engine's revisions.

    ``engine`` defaults to ``tolmach.engines.text_engine(options)`` and ``glossary`` to
    ``tolmach.pipeline.glossary_for(options, archive.home)``. OptionsError for no lines or a line the
    run lacks, EngineError when no text engine exists, ConflictError when someone changed a line while
    the engine translated it (that line keeps their change; the lines before it are written).
    """
    if not numbers:
        raise OptionsError("no lines to re-translate", "name the lines, e.g. --lines 3,5")
    transcript = archive.transcript(run_id)
    if transcript.language == "en":
        raise OptionsError("this clip is in English: its English is its transcript", "edit the text instead")
    if glossary is None:
        from tolmach.pipeline import glossary_for

        glossary = glossary_for(options, archive.home)
    segments = transcript.segments
    english, events, label = engines.retranslate(
        segments, numbers, transcript.language, options, glossary, engine=engine
    )
    if glossary is not None:
        english = _glossed(glossary, segments, english, transcript.language)
    by_id = {s.id: s for s in segments}
    asked = [LineEnglish(n, by_id[n].translation, english.get(n)) for n in sorted(set(numbers))]
    warnings = list(events)
    written: list[Revision] = []
    for line in asked:
        if line.after is None:
            warnings.append(f"line {line.number}: the engine could not translate it; its English is kept")
        elif line.changed:
            version = by_id[line.number].version
            written += archive.set_machine_translation(
                run_id, line.number, line.after, label, version=version
            )
    changed = tuple(line.number for line in asked if line.changed)
    return Retranslated(tuple(written), changed, tuple(asked), tuple(warnings), label)


def _glossed(
    glossary: Glossary, segments: Sequence[Segment], english: dict[int, str], language: str
) -> dict[int, str]:
    """The new English with the glossary's bracketed gloss where a term is first used in the clip, as
    the pipeline glosses an engine's English: the clip is glossed whole, the new lines in it, and only
    the new lines' English is kept (a term met in an earlier line is glossed there, not again)."""
    fresh = [replace(s, translation=english[s.id]) if s.id in english else s for s in segments]
    return {s.id: s.translation for s in glossary.apply(fresh, language) if s.id in english}
