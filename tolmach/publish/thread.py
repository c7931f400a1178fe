"""A numbered social-media thread ("1/N ... N/N") of a translated clip, ready to paste post by post.

The thread has three parts, each starting a new post:

1. the context: the clip's title, where and when it was filmed (and the user's notes on the clip, only
   when asked for: they are private by default), as the user gave them; the language and length of the
   speech; then one pull-quote in quotation marks with its speaker and time (see :func:`pick_quote`);
2. the translation, line by line in time order, "S1: ..." when speakers are known, each translator's note
   in square brackets after its line, doubtful lines kept and marked "(?)", lines with no words shown as
   ``*inaudible*``, and ``[...]`` where English is missing (an untranslated line) or where 10 s or more
   pass without any line (the thread is not continuous speech there, and the hallucination guard may have
   dropped something);
3. the source (as the user gave it, and the first 16 hex digits of the file's sha256), what "(?)" means
   when a line carries it, and the label, last.

Every post, its "i/N " prefix included, is at most ``limit`` characters, counted as Python counts them
(code points). Services count differently: Bluesky counts graphemes (never more than code points),
Mastodon and X count any URL as 23 characters, X counts emoji and CJK characters as two. So a thread
with a short source URL or many emoji needs a slightly lower ``limit`` for X. We keep no hidden margin:
a limit that quietly means something else cannot be checked by anyone. Lines are split
across posts at spaces; a word is cut only when it alone is longer than a post.

Pure: records in, strings out. Posting is someone else's job.
"""

from __future__ import annotations

from collections.abc import Sequence

from tolmach.asr.languages import LANGUAGES
from tolmach.errors import OptionsError
from tolmach.publish.lines import (
    DOUBT_MARK,
    INAUDIBLE,
    clock,
    context,
    english,
    is_inaudible,
    label,
    one_line,
    segment_by_id,
    shown_source,
)
from tolmach.records import ClipInfo, Segment, Transcript
from tolmach.subtitles.formats.base import legend, with_marks

MIN_LIMIT = 40  # below this the number and a few words no longer fit a post
GAP_MS = 10_000  # a pause at least this long between lines is shown as [...]
OMITTED = "[...]"
NUMBER_ROOM = 6  # "12/34 ": what numbering takes in a thread of under 100 posts, when choosing a quote
SHA_SHOWN = 16  # hex digits of the sha256 in the last post: enough to find the file, short enough to read

Sections = tuple[list[str], list[str], list[str]]
"""(context, translation, source) blocks; each block is one paragraph, each section starts a post."""


def build_thread(
    transcript: Transcript,
    clip: ClipInfo,
    *,
    reviewer: str | None = None,
    quote_id: int | None = None,
    limit: int = 280,
    include_notes: bool = False,
) -> list[str]:
    """The thread's posts, "1/N ..." to "N/N ...", each at most ``limit`` characters.

    ``quote_id`` picks the pull-quote's line; by default it is chosen (see :func:`pick_quote`).
    ``reviewer``, given only when a person has reviewed every line, replaces the machine label.
    ``include_notes`` puts the clip's (private) notes in the context.
    """
    sections = thread_sections(
        transcript, clip, reviewer=reviewer, quote_id=quote_id, limit=limit, include_notes=include_notes
    )
    return pack(sections, limit)


def thread_sections(
    transcript: Transcript,
    clip: ClipInfo,
    *,
    reviewer: str | None = None,
    quote_id: int | None = None,
    limit: int = 280,
    include_notes: bool = False,
) -> Sections:
    """The thread's text before it is cut into posts, one block per paragraph."""
    transcript = with_marks(transcript)  # [unclear] and *inaudible*, as a reviewer marked the lines
    intro = context(clip, include_notes=include_notes)
    language = LANGUAGES.get(transcript.language, transcript.language)
    intro.append(f"English translation of {language} speech, {clock(transcript.media.duration_ms)}.")
    if legend(transcript):
        intro.append(f"Speakers: {legend(transcript)}.")
    quote = (
        segment_by_id(transcript, quote_id)
        if quote_id is not None
        else pick_quote(transcript, limit - NUMBER_ROOM)
    )
    if quote is not None:
        intro.append(_pull_quote(transcript, quote))
    body = translation_blocks(transcript)
    outro = [
        f"Source: {shown_source(clip.source) or 'not given'}",
        f"sha256 {transcript.media.sha256[:SHA_SHOWN]}",
    ]
    if any(s.doubtful and not is_inaudible(s) for s in transcript.segments):
        outro.append(f"{DOUBT_MARK} = the machine was unsure of this line; check it against the audio.")
    outro.append(label(reviewer, transcript.approver))
    return intro, body, outro


def translation_blocks(transcript: Transcript) -> list[str]:
    """One block per line in time order, with ``[...]`` for long pauses between lines."""
    tagged = any(s.speaker for s in transcript.segments)
    blocks: list[str] = []
    previous: Segment | None = None
    for segment in transcript.segments:
        if previous is not None and segment.start - previous.end >= GAP_MS:
            blocks.append(OMITTED)
        blocks.append(_line(transcript, segment, tagged))
        previous = segment
    return blocks


def pick_quote(transcript: Transcript, room: int) -> Segment | None:
    """The line to pull-quote: a sure one, as long as possible while it still fits one post.

    Doubtful and inaudible lines are never chosen (a pull-quote is what gets screenshotted), nor lines
    whose quote would not fit in ``room`` (a quote cut across posts is no longer a pull-quote). Among the
    rest the longer English wins, then the higher mean log-probability, then the earlier line. None when
    no line qualifies: the translation follows anyway.
    """
    candidates = [
        s
        for s in transcript.segments
        if not s.doubtful
        and not is_inaudible(s)
        and english(transcript, s)
        and len(_pull_quote(transcript, s)) <= room
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (len(english(transcript, s)), s.avg_logprob, -s.id))


def pack(sections: Sequence[Sequence[str]], limit: int) -> list[str]:
    """Cut the sections into posts of at most ``limit`` characters and number them "i/N ".

    The room a number takes depends on N, which depends on the room: pack with room for one-digit
    numbers, and again with more room while N has more digits than were allowed for. More room never
    gives fewer posts, so this ends.
    """
    if limit < MIN_LIMIT:
        raise OptionsError(f"a post limit of {limit} characters is too small", f"use at least {MIN_LIMIT}")
    digits = 1
    while True:
        room = limit - (2 * digits + 2)  # "i/N " with i and N both `digits` wide at most
        bodies = [post for section in sections for post in _fill(section, room)]
        if len(str(len(bodies))) <= digits:
            break
        digits = len(str(len(bodies)))
    total = len(bodies)
    return [f"{i}/{total} {body}" for i, body in enumerate(bodies, 1)]


def _line(transcript: Transcript, segment: Segment, tagged: bool) -> str:
    who = f"{one_line(segment.speaker)}: " if tagged and segment.speaker else ""
    if is_inaudible(segment):
        text = INAUDIBLE
    else:
        text = english(transcript, segment) or OMITTED
        if segment.doubtful:
            text = f"{text} {DOUBT_MARK}"
    notes = "".join(f" [{one_line(n)}]" for n in segment.notes if n.strip())
    return f"{who}{text}{notes}"


def _pull_quote(transcript: Transcript, segment: Segment) -> str:
    who = f"{one_line(segment.speaker)}, " if segment.speaker else ""
    mark = f" {DOUBT_MARK}" if segment.doubtful else ""
    return f"“{english(transcript, segment) or OMITTED}”{mark} ({who}{clock(segment.start)})"


def _fill(blocks: Sequence[str], room: int) -> list[str]:
    """Posts of at most ``room`` characters holding ``blocks``, one block a line, in order.

    A block that does not fit after what a post already holds starts the next post when it would fit
    there whole; otherwise it fills the post and carries on in the next one, cut at spaces.
    """
    posts: list[str] = []
    lines: list[str] = []
    size = 0  # len("\n".join(lines))

    def flush() -> None:
        nonlocal lines, size
        if lines:
            posts.append("\n".join(lines))
        lines, size = [], 0

    for block in blocks:
        words = block.split()
        if not words:
            continue
        whole = len(" ".join(words))
        if lines and size + 1 + whole > room >= whole:
            flush()
        first = True  # the block's first word opens a new line
        for word in words:
            if lines and size + 1 + len(word) > room:
                flush()
            if not lines:
                while len(word) > room:  # one word longer than a post: the only mid-word cut
                    posts.append(word[:room])
                    word = word[room:]
                lines, size = [word], len(word)
            elif first:
                lines.append(word)
                size += 1 + len(word)
            else:
                lines[-1] += " " + word
                size += 1 + len(word)
            first = False
    flush()
    return posts
