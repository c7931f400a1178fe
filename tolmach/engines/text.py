"""Translating a document (a Telegram post, a caption, an article) with a text engine.

Every heading and paragraph is one line for the engine, so the engine's one-line-per-line rule keeps the
paragraphs; the title and each link's text (unless it is the URL itself) are extra lines after them.
Links are put back by ``render_document``: a translated link text found in its translated paragraph is
linked there, otherwise the link follows the paragraph, so no link is lost. URLs are never sent for
translation. A paragraph the engine could not translate stays in the original and is reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from tolmach.document import SUFFIXES, Block, Document, read_document, render_document
from tolmach.engines.base import Context, Engine
from tolmach.media.files import atomic_write_text
from tolmach.records import Flag
from tolmach.translate import Glossary


@dataclass(frozen=True)
class TextResult:
    document: Document  # the English document (same format, blocks, links)
    output: Path | None  # where it was written, when it was
    engine: str  # the engine's label: "nmt:opus-mt-ru-en-ct2"
    kept: tuple[int, ...]  # 1-based numbers of blocks left in the original
    warnings: tuple[str, ...]
    flags: tuple[tuple[int, Flag], ...] = ()  # (1-based block number, what the line checks found there)


def output_path(source: Path) -> Path:
    """``post.md`` -> ``post.en.md``, beside the input."""
    return source.with_name(f"{source.stem}.en{source.suffix}")


def translate_document(
    doc: Document, engine: Engine, language: str, glossary: Glossary | None = None
) -> TextResult:
    """``doc`` in English, block for block, link for link."""
    from tolmach.engines import glossary_terms

    lines = [b.text for b in doc.blocks]
    labels: list[tuple[int, int]] = []  # (block, link) of each link text sent
    for bi, block in enumerate(doc.blocks):
        for li, (label, url) in enumerate(block.links):
            if label and label != url and not label.startswith(("http://", "https://", "www.")):
                labels.append((bi, li))
                lines.append(label)
    title_at = -1
    if doc.title and doc.title not in lines and doc.title != doc.path.stem:
        title_at = len(lines)
        lines.append(doc.title)
    context = Context(source_lang=language, glossary=glossary_terms(glossary, lines, language), kind="text")
    outcome = engine.run(lines, context)
    english = list(outcome.lines)
    blocks: list[Block] = []
    for bi, block in enumerate(doc.blocks):
        links = list(block.links)
        for n, (b, li) in enumerate(labels):
            if b == bi:
                links[li] = (english[len(doc.blocks) + n], links[li][1])
        blocks.append(replace(block, text=english[bi], links=tuple(links)))
    title = english[title_at] if title_at >= 0 else doc.title
    kept = tuple(i + 1 for i, why in enumerate(outcome.fallback[: len(doc.blocks)]) if why)
    warnings = list(outcome.events)
    if kept:
        warnings.append(f"{len(kept)} paragraphs left in the original: {', '.join(map(str, kept[:10]))}")
    result = replace(doc, title=title, blocks=tuple(blocks))
    flags = _checked(doc, result, language, glossary)
    return TextResult(result, None, engine.label, kept, tuple(warnings), flags)


def _checked(
    doc: Document, english: Document, language: str, glossary: Glossary | None
) -> tuple[tuple[int, Flag], ...]:
    """The line checks on each paragraph's English against its original, as the clips get them; a
    paragraph left in the original is reported as such, not checked."""
    from tolmach.checks import CHECKED_LANGUAGES, check_segments
    from tolmach.records import Segment

    if language not in CHECKED_LANGUAGES:
        return ()
    paragraphs = [
        Segment(i, 0, 0, b.text, e.text)
        for i, (b, e) in enumerate(zip(doc.blocks, english.blocks, strict=True), 1)
    ]
    translated = [i for i, s in enumerate(paragraphs) if s.text != s.translation]
    checked = check_segments(paragraphs, language, glossary, only=translated, entities=False)
    return tuple((s.id, f) for s in checked for f in s.flags)


def translate_file(
    source: str | os.PathLike[str],
    engine: Engine,
    language: str,
    output: str | os.PathLike[str] | None = None,
    glossary: Glossary | None = None,
) -> TextResult:
    """Read, translate and write ``source`` (to ``<stem>.en.<ext>`` beside it unless ``output``)."""
    doc = read_document(source)
    result = translate_document(doc, engine, language, glossary)
    target = Path(output) if output is not None else output_path(doc.path)
    fmt = SUFFIXES.get(target.suffix.lower(), doc.format)  # -o post.en.md writes Markdown, whatever came in
    atomic_write_text(target, render_document(replace(result.document, format=fmt)))
    return replace(result, output=target)
