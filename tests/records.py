"""Hand-built records for tests that need a transcript but not the speech model: exact and fast."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from tolmach.records import Entity, Flag, MediaInfo, ModelInfo, Segment, Transcript, Word

LINES = [
    ("Мы стояли под Бахмутом три недели.", "We stood near Bakhmut for three weeks."),
    ("Командир роты сказал, что в Бахмуте тихо.", "The company commander said it was quiet in Bakhmut."),
    ("Мобиков отправили на штурм без подготовки.", "The mobiks were sent to assault without training."),
    ("Из Бахмута нас вывели в апреле.", "We were withdrawn from Bakhmut in April."),
    ("Ёлки, опять обстрел.", "Damn, shelling again."),
]


def with_words(s: Segment) -> Segment:
    """The segment with a timed word per word of its text, spread evenly over the line, as Whisper's are."""
    texts = s.text.split()
    step = (s.end - s.start) // len(texts)
    bounds = [s.start + i * step for i in range(len(texts))] + [s.end]
    return dataclasses.replace(
        s, words=tuple(Word(a, b, " " + t, 0.9) for a, b, t in zip(bounds, bounds[1:], texts, strict=False))
    )


def make_clip(folder: Path, name: str, payload: bytes) -> Path:
    path = folder / name
    path.write_bytes(payload)
    return path


def make_transcript(path: Path, lines: list[tuple[str, str]] = LINES, language: str = "ru") -> Transcript:
    data = path.read_bytes()
    segments = []
    for i, (text, english) in enumerate(lines, 1):
        entities = ()
        at = text.find("Бахмут")
        if at >= 0:
            word = text[at:].split()[0].strip(".,")
            entities = (Entity("place", word, at, at + len(word), "Бахмут", "Bakhmut"),)
        segments.append(
            Segment(
                id=i,
                start=(i - 1) * 3000,
                end=i * 3000 - 500,
                text=text,
                translation=english,
                words=(Word((i - 1) * 3000, (i - 1) * 3000 + 400, " " + text.split()[0], 0.9),),
                avg_logprob=-0.25,
                doubtful=i == 3,
                flags=(Flag("low-logprob", "unsure"),) if i == 3 else (),
                speaker="S1" if i % 2 else "S2",
                entities=entities,
                notes=("мобик (mobik): mobilised soldier, derogatory",) if i == 3 else (),
            )
        )
    return Transcript(
        media=MediaInfo(str(path), hashlib.sha256(data).hexdigest(), len(data), len(lines) * 3000, "mov"),
        language=language,
        language_probability=1.0,
        language_forced=True,
        model=ModelInfo("base", "/models/base", "d01c"),
        segments=tuple(segments),
        options={"lang": language, "beam_size": 5, "formats": ("srt", "json")},
        timings={"total": 1.5},
        tool_version="0.1.0",
    )
