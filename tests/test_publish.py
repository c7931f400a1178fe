"""Publishing: the numbered thread (exact posts, and the limit as a property) and the quote sheet."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tolmach.errors import OptionsError
from tolmach.publish import (
    build_thread,
    markdown_escape,
    quote_lines,
    quotes_html,
    quotes_markdown,
    thread_sections,
)
from tolmach.records import ClipInfo, Flag, MediaInfo, ModelInfo, Segment, Stream, Transcript
from tolmach.subtitles import LABEL_TRANSLATION


def make_transcript(*segments: Segment, language: str = "ru", duration_ms: int = 31_000) -> Transcript:
    """A transcript as the pipeline would leave it, built by hand: no speech model needed."""
    return Transcript(
        media=MediaInfo(
            "/cases/2024-05/retreat.mp4",
            "ab" * 32,
            2_345_678,
            duration_ms,
            "mov,mp4,m4a,3gp,3g2,mj2",
            (
                Stream(0, "video", "h264", width=1280, height=720, fps=25.0),
                Stream(1, "audio", "aac", "rus", 1, 48000),
            ),
        ),
        language=language,
        language_probability=0.96875,
        language_forced=False,
        model=ModelInfo("base", "/home/analyst/.cache/tolmach/models/base", "cd" * 32),
        segments=segments,
        options={"model": "base", "formats": ("srt", "vtt"), "fps": 25.0},
        tool_version="0.1.0",
    )


SEGMENTS = (
    Segment(
        1,
        1000,
        4000,
        " Мы вышли из Бахмута утром.",
        "We left Bakhmut in the morning.",
        avg_logprob=-0.25,
        speaker="S1",
        notes=("Bakhmut: Бахмут, Donetsk oblast",),
    ),
    Segment(
        2,
        4500,
        9000,
        " Связи не было три дня, потому что всё разбили.",
        "There was no contact for three days, because everything was smashed.",
        avg_logprob=-0.375,
        speaker="S1",
    ),
    Segment(
        3,
        9500,
        11000,
        " Позывной <script>alert(1)</script> «Гром».",
        "Call sign <script>alert(1)</script> *Grom* [sic] & co_op.",
        avg_logprob=-1.5,
        doubtful=True,
        flags=(Flag("low-confidence", "unsure line"), Flag("unsure-word", "unsure word")),
        speaker="S2",
    ),
    Segment(4, 25000, 27000, "", "", speaker="S2"),
    Segment(5, 27500, 30000, " Да.", "", speaker="S1"),
)
TRANSCRIPT = make_transcript(*SEGMENTS)
CLIP = ClipInfo(
    source="https://t.me/example/123",
    added="2024-05-01T10:00:00Z",
    title="Soldiers describe the retreat",
    place="Bakhmut, Donetsk oblast",
    filmed="May 2023",
    notes="Two men in uniform; the one filming is S1.",
    tags=("bakhmut", "retreat"),
)
PREFIX = re.compile(r"(\d+)/(\d+) ")


# ---------------------------------------------------------------- thread


def test_thread_exact_posts() -> None:
    assert build_thread(TRANSCRIPT, CLIP, include_notes=True) == [
        "1/3 Soldiers describe the retreat\n"
        "Where: Bakhmut, Donetsk oblast\n"
        "When: May 2023\n"
        "Two men in uniform; the one filming is S1.\n"
        "English translation of Russian speech, 0:31.\n"
        "“There was no contact for three days, because everything was smashed.” (S1, 0:04)",
        "2/3 S1: We left Bakhmut in the morning. [Bakhmut: Бахмут, Donetsk oblast]\n"
        "S1: There was no contact for three days, because everything was smashed.\n"
        "S2: Call sign <script>alert(1)</script> *Grom* [sic] & co_op. (?)\n"
        "[...]\n"
        "S2: *inaudible*\n"
        "S1: [...]",
        "3/3 Source: https://t.me/example/123\n"
        "sha256 abababababababab\n"
        "(?) = the machine was unsure of this line; check it against the audio.\n"
        f"{LABEL_TRANSLATION}",
    ]


def test_the_clips_notes_are_private_unless_asked_for_and_the_translators_notes_stay() -> None:
    private = "Two men in uniform; the one filming is S1."
    posts = build_thread(TRANSCRIPT, CLIP)
    assert posts[0] == (
        "1/3 Soldiers describe the retreat\n"
        "Where: Bakhmut, Donetsk oblast\n"
        "When: May 2023\n"
        "English translation of Russian speech, 0:31.\n"
        "“There was no contact for three days, because everything was smashed.” (S1, 0:04)"
    )
    assert posts[1:] == build_thread(TRANSCRIPT, CLIP, include_notes=True)[1:]
    assert "[Bakhmut: Бахмут, Donetsk oblast]" in posts[1]  # the glossary's note on a line: published
    for sheet in (quotes_markdown, quotes_html):
        shown, asked = sheet(TRANSCRIPT, CLIP), sheet(TRANSCRIPT, CLIP, include_notes=True)
        assert private not in shown and "Notes" not in shown
        assert "Translator's note: Bakhmut: Бахмут, Donetsk oblast" in shown.replace("**", "")
        assert private.replace(";", "") in asked.replace(";", "") and "Notes" in asked


def test_thread_splits_long_lines_at_words_and_numbers_every_post() -> None:
    # At 60 characters, with two-digit numbers, the pull-quote becomes the shorter line 1 (line 2 would
    # not fit a post), and lines too long for a post fill the rest of one and go on in the next.
    assert build_thread(TRANSCRIPT, CLIP, limit=60, include_notes=True) == [
        "1/14 Soldiers describe the retreat",
        "2/14 Where: Bakhmut, Donetsk oblast\nWhen: May 2023",
        "3/14 Two men in uniform; the one filming is S1.",
        "4/14 English translation of Russian speech, 0:31.",
        "5/14 “We left Bakhmut in the morning.” (S1, 0:01)",
        "6/14 S1: We left Bakhmut in the morning. [Bakhmut: Бахмут,",
        "7/14 Donetsk oblast]\nS1: There was no contact for three",
        "8/14 days, because everything was smashed.\nS2: Call sign",
        "9/14 <script>alert(1)</script> *Grom* [sic] & co_op. (?)",
        "10/14 [...]\nS2: *inaudible*\nS1: [...]",
        "11/14 Source: https://t.me/example/123",
        "12/14 sha256 abababababababab\n(?) = the machine was unsure",
        "13/14 of this line; check it against the audio.",
        f"14/14 {LABEL_TRANSLATION}",
    ]


def test_thread_quote_chosen_by_id_is_marked_when_doubtful_and_reviewer_replaces_the_label() -> None:
    posts = build_thread(TRANSCRIPT, CLIP, quote_id=3, reviewer="Olena K.")
    assert "“Call sign <script>alert(1)</script> *Grom* [sic] & co_op.” (?) (S2, 0:09)" in posts[0]
    assert posts[-1].endswith("\nReviewed by Olena K.")
    assert LABEL_TRANSLATION not in "".join(posts)
    with pytest.raises(OptionsError, match="no line 9 in the transcript"):
        build_thread(TRANSCRIPT, CLIP, quote_id=9)


def test_thread_without_speakers_or_sure_lines_has_no_tags_and_no_pull_quote() -> None:
    doubtful = make_transcript(
        Segment(1, 0, 2000, "Раз.", "One.", doubtful=True, flags=(Flag("repetitive", "repeats itself"),)),
        Segment(2, 2500, 4000, "Два.", "Two.", doubtful=True),
        duration_ms=3_725_000,
    )
    posts = build_thread(doubtful, ClipInfo(source="clip.mp4"))
    assert posts[0] == "1/3 English translation of Russian speech, 1:02:05."
    assert posts[1] == "2/3 One. (?)\nTwo. (?)"


def test_thread_limit_too_small_is_an_options_error() -> None:
    with pytest.raises(OptionsError, match="post limit of 20 characters is too small"):
        build_thread(TRANSCRIPT, CLIP, limit=20)


def test_thread_cuts_a_word_only_when_it_is_longer_than_a_post() -> None:
    word = "ж" * 200
    t = make_transcript(Segment(1, 0, 1000, "Ж.", f"short {word} end"))
    posts = build_thread(t, ClipInfo(source="x"), limit=80)
    bodies = [PREFIX.sub("", p, count=1) for p in posts]
    # No pull-quote: the only line would not fit one post.
    assert bodies[:5] == [
        "English translation of Russian speech, 0:31.",
        "short",
        "ж" * 76,
        "ж" * 76,
        "ж" * 48 + " end",
    ]


WORDS = st.one_of(
    st.text(min_size=1, max_size=12),  # any Unicode, whitespace and control characters included
    st.sampled_from(["Бахмут", "Авдіївка", "позывной", "🇺🇦", "🙂🙂", "👩‍👩‍👧", "ЗСУ", "—", "«Гром»"]),
    st.text(alphabet="жa🙂", min_size=60, max_size=400),  # longer than some posts
)
LINES = st.lists(WORDS, max_size=30).map(" ".join)
SEGMENT_LISTS = st.lists(
    st.tuples(
        LINES,
        LINES,
        st.sampled_from([None, "S1", "S2"]),
        st.booleans(),
        st.lists(LINES, max_size=2),
        st.sampled_from([(), ("low-confidence",), ("inaudible",)]),
        st.integers(0, 20_000),
    ),
    min_size=1,
    max_size=25,
)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(specs=SEGMENT_LISTS, limit=st.integers(80, 280), title=LINES, notes=LINES, source=LINES)
def test_thread_posts_fit_are_numbered_and_keep_every_word(
    specs: list[tuple[str, str, str | None, bool, list[str], tuple[str, ...], int]],
    limit: int,
    title: str,
    notes: str,
    source: str,
) -> None:
    segments, start = [], 0
    for n, (text, english, speaker, doubtful, notes_, flags, gap) in enumerate(specs, 1):
        start += gap
        segments.append(
            Segment(
                n,
                start,
                start + 1000,
                text,
                english,
                doubtful=doubtful,
                flags=tuple(Flag(kind, kind) for kind in flags),
                speaker=speaker,
                notes=tuple(notes_),
            )
        )
        start += 1000
    transcript = make_transcript(*segments)
    clip = ClipInfo(source=source, title=title, notes=notes)

    posts = build_thread(transcript, clip, limit=limit)

    total = len(posts)
    assert all(len(p) <= limit for p in posts)
    for i, post in enumerate(posts, 1):
        assert post.startswith(f"{i}/{total} ")
    # No text lost: the words of every block come back in order; a word longer than a post comes back
    # as consecutive pieces.
    room = limit - 2 * len(str(total)) - 2
    tokens = [t for p in posts for t in PREFIX.sub("", p, count=1).split()]
    sections = thread_sections(transcript, clip, limit=limit)
    at = 0
    for word in (w for section in sections for block in section for w in block.split()):
        if len(word) <= room:
            assert tokens[at] == word
            at += 1
        else:
            joined = ""
            while len(joined) < len(word):
                joined += tokens[at]
                at += 1
            assert joined == word
    assert at == len(tokens)
    # ... and every audible line's English is in the translation part, whole.
    body = "\n".join(sections[1])
    for s in segments:
        if s.text.strip() and "inaudible" not in [f.kind for f in s.flags] and s.translation.split():
            assert " ".join(s.translation.split()) in body


# ---------------------------------------------------------------- quote sheet


def test_markdown_escape_makes_formatting_characters_literal() -> None:
    assert markdown_escape(r"*a* _b_ [c](d) <e> `f` #1 & $x$ | ~~s~~ \ !") == (
        r"\*a\* \_b\_ \[c\]\(d\) \<e\> \`f\` \#1 \& \$x\$ \| \~\~s\~\~ \\ \!"
    )
    assert markdown_escape("Бахмут, 3 дня. Ok.") == "Бахмут, 3 дня. Ok."


def test_quotes_markdown_exact() -> None:
    sheet = quotes_markdown(TRANSCRIPT, CLIP, ids=[3, 1], include_notes=True)
    assert sheet == "\n".join(
        [
            "# Quote sheet: Soldiers describe the retreat",
            "",
            "- **Source:** https://t.me/example/123",
            "- **Place:** Bakhmut, Donetsk oblast",
            "- **Filmed:** May 2023",
            "- **Notes:** Two men in uniform; the one filming is S1.",
            "- **Tags:** bakhmut, retreat",
            "- **Speech:** Russian, 0:31",
            "- **Model:** base, tolmach 0.1.0",
            f"- **File sha256:** `{'ab' * 32}`",
            f"- **English:** {LABEL_TRANSLATION}",
            "",
            "2 quotes. 1 marked DOUBTFUL: the machine was unsure of them; check them against the audio.",
            "",
            "---",
            "",
            "## Line 1 · 0:01–0:04 · S1",
            "",
            "- **Original (ru):** Мы вышли из Бахмута утром.",
            "- **English:** We left Bakhmut in the morning.",
            "- **Translator's note:** Bakhmut: Бахмут, Donetsk oblast",
            "",
            "---",
            "",
            "## Line 3 · 0:09–0:11 · S2 · DOUBTFUL",
            "",
            "- **⚠ Doubtful (unsure line; unsure word):** check it against the audio before quoting",
            r"- **Original (ru):** Позывной \<script\>alert\(1\)\</script\> «Гром».",
            r"- **English:** Call sign \<script\>alert\(1\)\</script\> \*Grom\* \[sic\] \& co\_op.",
            "",
            "---",
            "",
            f"Every English line above: {LABEL_TRANSLATION}.",
            "",
        ]
    )


def test_quotes_show_inaudible_untranslated_and_reject_unknown_ids() -> None:
    quotes = quote_lines(TRANSCRIPT, [5, 4, 5])
    assert [(q.id, q.original, q.english) for q in quotes] == [
        (4, "*inaudible*", ""),
        (5, "Да.", "(not translated)"),
    ]
    sheet = quotes_markdown(TRANSCRIPT, CLIP, ids=[4], reviewer="Olena K.")
    assert "- **Original (ru):** *inaudible*\n" in sheet
    assert "- **English:** Reviewed by Olena K.\n" in sheet
    with pytest.raises(OptionsError, match="no line 42 in the transcript"):
        quotes_markdown(TRANSCRIPT, CLIP, ids=[42])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_quotes_html_escapes_everything_from_the_transcript_and_marks_doubt() -> None:
    clip = dataclasses.replace(CLIP, title='<img src=x onerror="x()">', notes="<b>bold</b>")
    page = quotes_html(TRANSCRIPT, clip)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "Call sign &lt;script&gt;alert(1)&lt;/script&gt; *Grom* [sic] &amp; co_op." in page
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    text = "".join(parser.text)
    assert "Call sign <script>alert(1)</script> *Grom* [sic] & co_op." in text  # shown literally
    assert '<article class="quote doubtful" id="line-3">' in page
    assert '<p class="doubt">⚠ Doubtful (unsure line; unsure word): check it against the audio' in page
    assert '<article class="quote" id="line-1">' in page
    assert f'<dd class="label">{LABEL_TRANSLATION}</dd>' in page
    assert f"<code>{'ab' * 32}</code>" in page
    assert '<blockquote lang="ru"><p><em>inaudible</em></p></blockquote>' in page
    assert page.endswith("</body>\n</html>\n")
