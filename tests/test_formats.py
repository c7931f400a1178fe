"""Output formats: SRT, WebVTT and ASS read back with pysubs2; JSON round trip; the text transcript."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pysubs2
import pytest

from tolmach.errors import InputError, OptionsError
from tolmach.options import ALL_FORMATS, Options
from tolmach.records import Cue, Flag, MediaInfo, ModelInfo, Segment, Stream, Transcript, Word
from tolmach.subtitles import (
    FORMATS,
    LABEL_TRANSCRIPT,
    LABEL_TRANSLATION,
    CueRules,
    build_cues,
    render,
    transcript_from_json,
    transcript_to_json,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "FORMATS.md"


def words(*spec: tuple[int, int, str]) -> tuple[Word, ...]:
    return tuple(Word(a, b, " " + t, 0.875) for a, b, t in spec)


SEGMENTS = (
    Segment(
        1,
        2000,
        4600,
        "Связи нет уже третий день.",
        "No contact for the third day now.",
        words(
            (2000, 2500, "Связи"),
            (2500, 2800, "нет"),
            (2800, 3100, "уже"),
            (3100, 3900, "третий"),
            (3900, 4600, "день."),
        ),
        avg_logprob=-0.25,
        no_speech_prob=0.0125,
        compression_ratio=1.125,
        min_word_probability=0.875,
        speech_ratio=0.96875,
        speaker="S1",
    ),
    Segment(
        2,
        5600,  # 1 s after line 1: too far apart to share a dialogue event
        7100,
        "Позывной «Гром» на связи.",
        "Call sign <Thunder> & co. on the line.",
        words((5600, 6200, "Позывной"), (6200, 6600, "«Гром»"), (6600, 6800, "на"), (6800, 7100, "связи.")),
        avg_logprob=-1.5,
        min_word_probability=0.25,
        doubtful=True,
        flags=(Flag("low-logprob", "unsure line"), Flag("low-word-probability", "unsure word «Гром»")),
        speaker="S2",
    ),
)
TRANSCRIPT = Transcript(
    media=MediaInfo(
        "/cases/2024-03/clip.mp4",
        "9f" * 32,
        1_234_567,
        8000,
        "mov,mp4,m4a,3gp,3g2,mj2",
        (
            Stream(0, "video", "h264", width=1280, height=720, fps=29.97),
            Stream(1, "audio", "aac", "rus", 2, 44100),
        ),
    ),
    language="ru",
    language_probability=0.96875,
    language_forced=False,
    model=ModelInfo("base", "/cache/models/base", "d0" * 32),
    segments=SEGMENTS,
    options=Options().as_dict(),
    timings={"ingest": 0.25, "transcribe": 3.5},
    tool_version="0.1.0",
    warnings=("audio is 8 kHz telephone quality",),
)
CUES = build_cues(SEGMENTS)


def events(text: str, fmt: str) -> list[tuple[int, int, str]]:
    # keep_html_tags: for SRT, "<Thunder>" is text; pysubs2 would drop it as an unknown tag
    subs = pysubs2.SSAFile.from_string(text, format_=fmt, keep_html_tags=fmt == "srt")
    return [(e.start, e.end, e.plaintext) for e in subs if not e.is_comment]


def test_every_registered_format_is_accepted_by_options_and_documented() -> None:
    assert set(FORMATS) == set(ALL_FORMATS)
    doc = DOCS.read_text(encoding="utf-8")
    for name in FORMATS:
        assert f"`{name}`" in doc, f"docs/FORMATS.md does not describe the {name} format"
    assert "tolmach.transcript/1" in doc
    for label in (LABEL_TRANSCRIPT, LABEL_TRANSLATION):
        assert label in doc


def test_unknown_format_is_an_options_error() -> None:
    with pytest.raises(OptionsError, match="unknown output format 'docx'"):
        render("docx", TRANSCRIPT, CUES)


def test_srt_reads_back_as_the_cues_with_the_label_first_when_speech_starts_late() -> None:
    files = render("srt", TRANSCRIPT, CUES)
    assert sorted(files) == ["en.srt", "ru.srt"]
    # Speech starts at 2000 ms: room for the label (1700 ms at 20 cps) before it, minus the 80 ms gap.
    assert events(files["ru.srt"], "srt") == [
        (0, 1920, LABEL_TRANSCRIPT),
        *[(c.start, c.end, c.text) for c in CUES[0]],
    ]
    assert events(files["en.srt"], "srt") == [
        (0, 1920, LABEL_TRANSLATION),
        *[(c.start, c.end, c.text) for c in CUES[1]],
    ]
    assert files["ru.srt"].startswith(
        "1\n00:00:00,000 --> 00:00:01,920\nMachine transcript — not reviewed\n\n2\n"
    )
    assert "Call sign <Thunder> & co. on the line." in files["en.srt"]  # SRT text is plain


def test_srt_label_becomes_the_top_line_when_speech_starts_at_once() -> None:
    early = dataclasses.replace(CUES[1][0], start=500)
    files = render("srt", TRANSCRIPT, (CUES[0], (early, *CUES[1][1:])))
    first = events(files["en.srt"], "srt")[0]
    assert first == (500, early.end, f"{LABEL_TRANSLATION}\n{early.text}")
    assert len(events(files["en.srt"], "srt")) == len(CUES[1])


def test_slow_reading_speed_needs_more_room_for_the_label() -> None:
    slow = dataclasses.replace(TRANSCRIPT, options=Options(reading_speed="slow").as_dict())
    cues = build_cues(SEGMENTS, CueRules.from_options(slow.options))
    late = dataclasses.replace(cues[1][0], start=2000)  # 1920 ms of room; the label needs 2000 at 17 cps
    files = render("srt", slow, (cues[0], (late, *cues[1][1:])))
    assert events(files["en.srt"], "srt")[0][2].startswith(LABEL_TRANSLATION + "\n")


def test_vtt_has_a_note_a_visible_label_escaped_text_and_voices() -> None:
    files = render("vtt", TRANSCRIPT, CUES)
    assert sorted(files) == ["en.vtt", "ru.vtt"]
    en = files["en.vtt"]
    assert en.startswith(f"WEBVTT\n\nNOTE\n{LABEL_TRANSLATION}. Source sha256 {'9f' * 32}.\n\n1\n")
    assert "<v S2>Call sign &lt;Thunder&gt; &amp; co. on the line." in en
    assert "00:00:02.000 --> " in en
    parsed = events(en, "vtt")
    assert parsed[0] == (0, 1920, LABEL_TRANSLATION)
    assert [(a, b) for a, b, _ in parsed[1:]] == [(c.start, c.end) for c in CUES[1]]
    assert parsed[1][2] == CUES[1][0].text  # the voice span is markup, not text
    assert events(files["ru.vtt"], "vtt")[1][2] == "Связи нет уже третий день."


def test_ass_shows_both_languages_styled_with_speakers_and_labels() -> None:
    (text,) = render("ass", TRANSCRIPT, CUES).values()
    subs = pysubs2.SSAFile.from_string(text)
    assert subs.info["PlayResY"] == "1080"
    assert {s.fontname for s in subs.styles.values()} == {"DejaVu Sans"}
    original, english = subs.styles["Original"], subs.styles["English"]
    assert (original.alignment, english.alignment) == (
        pysubs2.Alignment.TOP_CENTER,
        pysubs2.Alignment.BOTTOM_CENTER,
    )
    assert original.fontsize < english.fontsize and english.outline > 0
    comments = [e.text for e in subs if e.is_comment]
    assert comments == [LABEL_TRANSCRIPT, LABEL_TRANSLATION]
    label = [e for e in subs if e.style == "Label" and not e.is_comment]
    assert [(e.start, e.end, e.plaintext) for e in label] == [
        (0, 5000, f"{LABEL_TRANSCRIPT}\n{LABEL_TRANSLATION}")
    ]
    shown = [
        (e.style, e.name, e.start, e.end, e.plaintext) for e in subs if e.style in ("Original", "English")
    ]
    assert shown == [
        *[("Original", c.speaker, c.start, c.end, c.text) for c in CUES[0]],
        *[("English", c.speaker, c.start, c.end, c.text) for c in CUES[1]],
    ]


def test_ass_rounds_starts_up_and_ends_down_to_centiseconds() -> None:
    cue = Cue(1234, 2345, ("Связи нет.",), 1, None)
    (text,) = render(
        "ass", TRANSCRIPT, ((cue,), (dataclasses.replace(cue, lines=("No contact.",)),))
    ).values()
    assert "0:00:01.24,0:00:02.34,Original" in text
    assert "0:00:01.24,0:00:02.34,English" in text


def test_no_translation_means_no_english_file() -> None:
    plain = dataclasses.replace(
        TRANSCRIPT, segments=tuple(dataclasses.replace(s, translation="") for s in SEGMENTS)
    )
    assert sorted(render("srt", plain)) == ["ru.srt"]
    assert sorted(render("vtt", plain)) == ["ru.vtt"]
    assert "translation:" not in render("txt", plain)["txt"]


def test_json_round_trips_exactly_and_carries_everything() -> None:
    assert transcript_from_json(transcript_to_json(TRANSCRIPT, CUES)) == TRANSCRIPT  # the archive's copy
    text = render("json", TRANSCRIPT, CUES)["json"]  # the file: names only (test_privacy.py)
    published = dataclasses.replace(
        TRANSCRIPT,
        media=dataclasses.replace(TRANSCRIPT.media, path="clip.mp4"),
        model=dataclasses.replace(TRANSCRIPT.model, path="base"),
    )
    assert transcript_from_json(text) == published
    data = json.loads(text)
    assert data["schema"] == "tolmach.transcript/1"
    assert data["label"] == {"text": LABEL_TRANSCRIPT, "translation": LABEL_TRANSLATION}
    assert data["language"] == {
        "code": "ru",
        "probability": 0.96875,
        "forced": False,
        "detected": None,
        "mismatch": False,
    }
    assert data["media"]["streams"][1]["language"] == "rus"
    second = data["segments"][1]
    assert second["confidence"] == {
        "avg_logprob": -1.5,
        "no_speech_prob": 0.0,
        "compression_ratio": 1.0,
        "min_word_probability": 0.25,
        "speech_ratio": 1.0,
    }
    assert (second["doubtful"], second["flags"], second["speaker"]) == (
        True,
        [
            {"kind": "low-logprob", "detail": "unsure line"},
            {"kind": "low-word-probability", "detail": "unsure word «Гром»"},
        ],
        "S2",
    )
    assert second["words"][1] == {"start": 6200, "end": 6600, "text": " «Гром»", "probability": 0.875}
    assert [c["lines"] for c in data["cues"]["english"]] == [list(c.lines) for c in CUES[1]]
    assert [(c["start"], c["end"]) for c in data["cues"]["original"]] == [(c.start, c.end) for c in CUES[0]]
    assert "Связи" in text  # written as UTF-8, not \\u escapes


def test_json_writes_non_finite_confidence_as_null() -> None:
    odd = dataclasses.replace(TRANSCRIPT, segments=(dataclasses.replace(SEGMENTS[0], avg_logprob=-math.inf),))
    text = transcript_to_json(odd)
    assert json.loads(text)["segments"][0]["confidence"]["avg_logprob"] is None
    assert math.isnan(transcript_from_json(text).segments[0].avg_logprob)


def test_json_of_another_schema_or_broken_is_an_input_error() -> None:
    data = json.loads(transcript_to_json(TRANSCRIPT))
    with pytest.raises(InputError, match=r"schema 'tolmach.transcript/2', this tolmach reads"):
        transcript_from_json(json.dumps({**data, "schema": "tolmach.transcript/2"}), "clip.json")
    with pytest.raises(InputError, match=r"clip.json has schema None"):
        transcript_from_json("[1, 2]", "clip.json")
    with pytest.raises(InputError, match=r"clip.json is not JSON"):
        transcript_from_json('{"schema": ', "clip.json")
    del data["media"]
    with pytest.raises(
        InputError, match=r"not a complete tolmach.transcript/1 transcript: bad or missing 'media'"
    ):
        transcript_from_json(json.dumps(data), "clip.json")


def test_txt_is_a_readable_transcript_with_header_and_labels() -> None:
    assert render("txt", TRANSCRIPT, CUES)["txt"] == (
        "tolmach 0.1.0 transcript\n"
        "file:        clip.mp4\n"  # no folder: it can name the user or the source
        f"sha256:      {'9f' * 32}\n"
        "language:    ru (detected, p=0.97)\n"
        f"model:       base (sha256 {'d0' * 32})\n"
        "transcript:  Machine transcript — not reviewed\n"
        "translation: Machine translation — not reviewed\n"
        "doubtful:    1 of 2 lines\n"
        "\n"
        "[00:00:02.000 → 00:00:04.600] S1: Связи нет уже третий день.\n"
        "    EN: No contact for the third day now.\n"
        "\n"
        "[00:00:05.600 → 00:00:07.100] S2: Позывной «Гром» на связи.\n"
        "    EN: Call sign <Thunder> & co. on the line.\n"
        "    CHECK: unsure line\n"
        "    CHECK: unsure word «Гром»\n"
    )


def test_an_english_original_gets_one_track_named_en() -> None:
    english = dataclasses.replace(TRANSCRIPT, language="en")
    files = render("srt", english, CUES)
    assert sorted(files) == ["en.srt"]
    assert LABEL_TRANSCRIPT in files["en.srt"] and "Связи" in files["en.srt"]


def test_render_builds_the_cues_when_none_are_given() -> None:
    assert render("srt", TRANSCRIPT) == render("srt", TRANSCRIPT, CUES)


def test_txt_shows_translators_notes_and_json_keeps_notes_and_entities(tmp_path: Path) -> None:
    from records import make_clip, make_transcript

    from tolmach.subtitles.formats import render, transcript_from_json

    transcript = make_transcript(make_clip(tmp_path, "c.mp4", b"x"))
    txt = render("txt", transcript)["txt"]
    english = "    EN: The mobiks were sent to assault without training.\n"
    assert english + "    NOTE: мобик (mobik): mobilised" in txt
    back = transcript_from_json(render("json", transcript)["json"])
    assert back.segments[2].notes == transcript.segments[2].notes != ()
    assert back.segments[0].entities == transcript.segments[0].entities != ()


def test_a_line_without_english_keeps_its_event_in_the_english_track() -> None:
    # Line 2's engine gave no English: its event stays in en.srt/en.vtt, marked, at the original's times.
    untranslated = dataclasses.replace(
        TRANSCRIPT, segments=(SEGMENTS[0], dataclasses.replace(SEGMENTS[1], translation=""))
    )
    for fmt in ("srt", "vtt"):
        files = render(fmt, untranslated)
        original, english = events(files[f"ru.{fmt}"], fmt), events(files[f"en.{fmt}"], fmt)
        assert len(english) == len(original) == 3  # the label, line 1, line 2
        assert [e[:2] for e in english] == [e[:2] for e in original]
        assert english[2][2] == "[untranslated]"
        assert original[2][2] == "Позывной «Гром» на связи."
    ass = render("ass", untranslated)["ass"]
    assert ass.count(",English,") == 2 and "[untranslated]" in ass


def test_an_emptied_original_keeps_its_event_in_the_original_track() -> None:
    silent = dataclasses.replace(
        TRANSCRIPT, segments=(SEGMENTS[0], dataclasses.replace(SEGMENTS[1], text=""))
    )
    files = render("srt", silent)
    original, english = events(files["ru.srt"], "srt"), events(files["en.srt"], "srt")
    assert [e[:2] for e in original] == [e[:2] for e in english]
    assert (original[-1][2], english[-1][2]) == ("[inaudible]", "Call sign <Thunder> & co. on the line.")


def test_an_event_whose_english_went_to_the_lines_other_events_is_marked_as_such() -> None:
    cue = Cue(2000, 3000, ("Связи нет.",), 1, None)
    later = Cue(3080, 4600, ("Уже третий день.",), 1, None)
    english = (
        dataclasses.replace(cue, lines=()),
        dataclasses.replace(later, lines=("No contact for days.",)),
    )
    files = render("srt", TRANSCRIPT, ((cue, later), english))
    assert [e[2] for e in events(files["en.srt"], "srt")][1:] == ["[...]", "No contact for days."]
