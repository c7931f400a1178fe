"""The quote sheet: chosen lines with their time, speaker, original, English and doubts, for a journalist.

Two renderings of one layout: Markdown (to paste into a document or a ticket) and a standalone HTML page
(to open, print or attach). The header says what the clip is (the user's context; the clip's notes only
when asked for, as they are private by default), pins the source by its
full sha256, and carries the label; each quote then gives its line number and time in the source, the
speaker, the original, the English, the translator's notes, and, for a doubtful line, a warning naming
the machine's reasons.

Every string that comes from the transcript or the user is escaped for the output: ``html.escape`` in
the page (a line may say ``<script>``), backslash escapes in Markdown so that ``*``, ``_``, ``[`` or
``<`` in speech render literally. Nothing here reads or writes files.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tolmach.asr.languages import LANGUAGES
from tolmach.publish.lines import (
    INAUDIBLE,
    clock,
    doubt_reasons,
    english,
    is_inaudible,
    label,
    one_line,
    segment_by_id,
    shown_source,
    span,
)
from tolmach.records import ClipInfo, Transcript
from tolmach.subtitles.formats.base import legend, with_marks

NOT_TRANSLATED = "(not translated)"
DOUBT_ADVICE = "check it against the audio before quoting"
# Characters that start inline Markdown (emphasis, code, links, HTML, entities, strikethrough, GitHub's
# math and tables, heading closers). Any ASCII punctuation may be backslash-escaped in CommonMark, so
# escaping a few too many is harmless; line-start markers (-, +, 1.) need none because every
# transcript string follows a label on its line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}<>()#|~&$!])")
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #111; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
.label { font-weight: bold; }
article { border-top: 1px solid #ccc; padding: .5rem 0; }
article.doubtful { border-left: .4rem solid #c60; padding-left: .8rem; }
.doubt { color: #a40; font-weight: bold; }
blockquote { margin: .4rem 0 .4rem 1rem; }
.notes { color: #444; }
""".strip()


@dataclass(frozen=True)
class Quote:
    """One line as the quote sheet shows it; plain text, escaped only when rendered."""

    id: int
    when: str  # "0:12–0:18"
    speaker: str
    original: str  # flattened to one line; INAUDIBLE when there are no words
    inaudible: bool  # the line has no words to quote (see lines.is_inaudible)
    english: str  # NOT_TRANSLATED when missing; empty for an inaudible line
    notes: tuple[str, ...]
    doubt: str  # the reasons a doubtful line is doubtful; empty for a sure line
    comment: str = ""  # the reviewer's comment for the team: only when the notes are asked for


def quote_lines(
    transcript: Transcript, ids: Sequence[int] | None = None, *, include_notes: bool = False
) -> list[Quote]:
    """The quotes for ``ids`` (every line when None), in time order, each line once.

    Time order rather than the order given: a reader checking a quote's context needs its neighbours in
    the order they were spoken. An unknown id is an OptionsError. A reviewer's comments on the lines are
    the team's, like the clip's notes: in the quotes only with ``include_notes``.
    """
    transcript = with_marks(transcript)  # [unclear] and *inaudible*, as a reviewer marked the lines
    chosen = (
        transcript.segments if ids is None else [segment_by_id(transcript, i) for i in dict.fromkeys(ids)]
    )
    order = {s.id: n for n, s in enumerate(transcript.segments)}
    quotes = []
    for s in sorted(chosen, key=lambda s: order[s.id]):
        silent = is_inaudible(s)
        quotes.append(
            Quote(
                id=s.id,
                when=span(s.start, s.end),
                speaker=one_line(s.speaker or ""),
                original=INAUDIBLE if silent else one_line(s.text),
                inaudible=silent,
                english="" if silent else english(transcript, s) or NOT_TRANSLATED,
                notes=tuple(one_line(n) for n in s.notes if n.strip()),
                doubt=doubt_reasons(s) if s.doubtful and not silent else "",
                comment=one_line(s.comment) if include_notes else "",
            )
        )
    return quotes


def quotes_markdown(
    transcript: Transcript,
    clip: ClipInfo,
    *,
    reviewer: str | None = None,
    ids: Sequence[int] | None = None,
    include_notes: bool = False,
) -> str:
    """The quote sheet as Markdown: a header list, then one section per quote."""
    md = markdown_escape
    quotes = quote_lines(transcript, ids, include_notes=include_notes)
    out = [f"# Quote sheet: {md(_title(clip))}", ""]
    out += [f"- **{name}:** {md(value)}" for name, value in _header(transcript, clip, include_notes)]
    out += [
        f"- **File sha256:** `{transcript.media.sha256}`",
        f"- **English:** {md(label(reviewer, transcript.approver))}",
        "",
    ]
    out += [md(_summary(quotes)), ""]
    original_name = f"Original ({md(transcript.language)})"
    for q in quotes:
        heading = " · ".join(x for x in (f"Line {q.id}", q.when, md(q.speaker)) if x)
        out += ["---", "", f"## {heading}" + (" · DOUBTFUL" if q.doubt else ""), ""]
        if q.doubt:
            out.append(f"- **⚠ Doubtful ({md(q.doubt)}):** {DOUBT_ADVICE}")
        out.append(f"- **{original_name}:** " + (INAUDIBLE if q.inaudible else md(q.original)))
        if q.english:
            out.append(f"- **English:** {md(q.english)}")
        out += [f"- **Translator's note:** {md(note)}" for note in q.notes]
        if q.comment:
            out.append(f"- **Team comment:** {md(q.comment)}")
        out.append("")
    out += ["---", "", f"Every English line above: {md(label(reviewer, transcript.approver))}.", ""]
    return "\n".join(out)


def quotes_html(
    transcript: Transcript,
    clip: ClipInfo,
    *,
    reviewer: str | None = None,
    ids: Sequence[int] | None = None,
    include_notes: bool = False,
) -> str:
    """The quote sheet as a standalone HTML page (inline style, no scripts, nothing fetched)."""
    e = html.escape
    quotes = quote_lines(transcript, ids, include_notes=include_notes)
    lang = e(transcript.language)
    title = e(f"Quote sheet: {_title(clip)}")
    header = _header(transcript, clip, include_notes)
    rows = [f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in header]
    rows.append(f"<dt>File sha256</dt><dd><code>{e(transcript.media.sha256)}</code></dd>")
    rows.append(f'<dt>English</dt><dd class="label">{e(label(reviewer, transcript.approver))}</dd>')
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{title}</h1>",
        "<dl>",
        *rows,
        "</dl>",
        f"<p>{e(_summary(quotes))}</p>",
        "</header>",
        "<main>",
    ]
    for q in quotes:
        heading = " · ".join(x for x in (f"Line {q.id}", f"<time>{e(q.when)}</time>", e(q.speaker)) if x)
        cls = "quote doubtful" if q.doubt else "quote"
        out += [f'<article class="{cls}" id="line-{q.id}">', f"<h2>{heading}</h2>"]
        if q.doubt:
            out.append(f'<p class="doubt">⚠ Doubtful ({e(q.doubt)}): {DOUBT_ADVICE}</p>')
        original = "<em>inaudible</em>" if q.inaudible else e(q.original)
        out.append(f'<blockquote lang="{lang}"><p>{original}</p></blockquote>')
        if q.english:
            out.append(f'<blockquote lang="en"><p>{e(q.english)}</p></blockquote>')
        if q.notes:
            notes = "".join(f"<li>Translator's note: {e(note)}</li>" for note in q.notes)
            out.append(f'<ul class="notes">{notes}</ul>')
        if q.comment:
            out.append(f'<p class="comment">Team comment: {e(q.comment)}</p>')
        out.append("</article>")
    out += [
        "</main>",
        f"<footer><p>Every English line above: {e(label(reviewer, transcript.approver))}.</p></footer>",
    ]
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def markdown_escape(text: str) -> str:
    """``text`` with a backslash before every character Markdown could read as formatting."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _title(clip: ClipInfo) -> str:
    return one_line(clip.title) or one_line(clip.source).rstrip("/").rsplit("/", 1)[-1] or "untitled clip"


def _header(transcript: Transcript, clip: ClipInfo, include_notes: bool) -> list[tuple[str, str]]:
    """(name, plain value) rows of the header, empty fields left out; the renderers escape them."""
    language = LANGUAGES.get(transcript.language, transcript.language)
    version = f", tolmach {transcript.tool_version}" if transcript.tool_version else ""
    rows = [
        ("Source", shown_source(clip.source)),
        ("Place", one_line(clip.place)),
        ("Filmed", one_line(clip.filmed)),
        ("Notes", one_line(clip.notes) if include_notes else ""),  # the user's own: private by default
        ("Tags", ", ".join(one_line(t) for t in clip.tags if t.strip())),
        ("Speech", f"{language}, {clock(transcript.media.duration_ms)}"),
        ("Speakers", legend(transcript)),
        ("Model", f"{transcript.model.name}{version}"),
    ]
    return [(name, value) for name, value in rows if value]


def _summary(quotes: Sequence[Quote]) -> str:
    doubtful = sum(1 for q in quotes if q.doubt)
    text = f"{len(quotes)} quote{'s' * (len(quotes) != 1)}."
    if doubtful:
        text += f" {doubtful} marked DOUBTFUL: the machine was unsure of them; check them against the audio."
    return text
