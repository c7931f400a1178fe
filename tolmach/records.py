"""Typed records passed between stages.

Every time inside tolmach is an integer number of milliseconds (pysubs2's convention); seconds and
frames appear only at the edges, when calling a model or reading/writing a format. Records are frozen:
a stage returns new records, it never mutates the ones it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stream:
    """One stream of a media file, as ffprobe reports it."""

    index: int
    kind: str  # "audio", "video", "subtitle", "data"
    codec: str
    language: str | None = None  # the container's language tag, when set
    channels: int | None = None  # audio only
    sample_rate: int | None = None  # audio only, Hz
    width: int | None = None  # video only
    height: int | None = None  # video only
    fps: float | None = None  # video only, average frame rate


@dataclass(frozen=True)
class MediaInfo:
    """What ingest learned about a source file; the sha256 ties every output to it."""

    path: str
    sha256: str
    size: int  # bytes
    duration_ms: int
    container: str  # ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    streams: tuple[Stream, ...] = ()

    @property
    def audio_streams(self) -> tuple[Stream, ...]:
        return tuple(s for s in self.streams if s.kind == "audio")

    @property
    def video_streams(self) -> tuple[Stream, ...]:
        return tuple(s for s in self.streams if s.kind == "video")


@dataclass(frozen=True)
class Word:
    """One word of the original text with its timing and the model's probability for it."""

    start: int
    end: int
    text: str  # as Whisper wrote it, usually with a leading space
    probability: float


@dataclass(frozen=True)
class Segment:
    """One line of speech: original text, its English translation and how sure the model was.

    A segment is the unit of alignment: it has exactly one English line, translated from the same
    speech region.
    """

    id: int  # 1-based, in time order
    start: int
    end: int
    text: str  # original language
    translation: str  # English
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0  # mean token log-probability of the transcription
    no_speech_prob: float = 0.0  # Whisper's probability that the window held no speech
    compression_ratio: float = 1.0  # gzip ratio of the text; high means repetition
    min_word_probability: float = 1.0  # lowest word probability in the segment
    speech_ratio: float = 1.0  # share of the segment that the VAD found to be speech
    doubtful: bool = False  # a human should look at this line: it has a flag not dismissed
    flags: tuple[Flag, ...] = ()  # why it is doubtful: the speech model's doubts, then the line checks'
    dismissed: tuple[Flag, ...] = ()  # line checks a reviewer dismissed for this text and this English
    speaker: str | None = None  # "S1", "S2", ... once speakers are assigned
    role: str = ""  # who the speaker is, for the legend: "Russian soldier" (given in review; "" unknown)
    mark: str = ""  # a reviewer's verdict on the speech: "unclear" or "inaudible" (MARKS); "" none
    comment: str = ""  # a reviewer's comment for the team: only the quote sheet with include_notes shows it
    entities: tuple[Entity, ...] = ()  # people, places, units ... named in ``text``
    notes: tuple[str, ...] = ()  # translator's notes, e.g. from the glossary
    reviewed: bool = False  # a person has checked this line against the audio
    # what wrote ``translation``: "whisper:base", "llm:qwen2.5:7b", "nmt:opus-mt-ru-en"; with the reason when
    # an engine's answer was refused and Whisper's line kept: "whisper:base (fallback: llm answer invalid)"
    translated_by: str = ""
    version: int = 1  # the archive row's version, +1 per accepted edit: a stale write is refused (not output)


@dataclass(frozen=True)
class Flag:
    """Why a line is doubtful: what kind of doubt, and the reason a reviewer reads at a glance.

    The speech model's kinds (``low-confidence``, ``maybe-no-speech`` ...) come from the hallucination
    guard; the line checks' kinds (``number``, ``name``, ``negation`` ...) from ``tolmach.checks``.
    """

    kind: str  # e.g. "number"
    detail: str  # e.g. "number 85 in the original is missing in the English"


@dataclass(frozen=True)
class Entity:
    """A person, place, organisation, military unit or rank named in a segment's original text."""

    kind: str  # "person", "place", "org", "unit", "rank"
    text: str  # as written in the segment, e.g. "Бахмуте"
    start: int  # character offsets of ``text`` in the segment's text
    end: int
    normal: str  # dictionary (nominative) form, e.g. "Бахмут"
    english: str = ""  # the usual English spelling where known, e.g. "Bakhmut"


@dataclass(frozen=True)
class ClipInfo:
    """What is known about where a clip came from; the user supplies all but ``source`` and ``added``."""

    source: str  # the path or URL it was taken from
    added: str = ""  # when it entered the archive, ISO 8601 UTC
    title: str = ""
    place: str = ""  # where it was filmed, as the user gives it
    filmed: str = ""  # when it was filmed, as the user gives it (a date, or "spring 2023")
    notes: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edit:
    """One human change to one field of one segment (the review history)."""

    segment_id: int
    field: str  # "text", "translation", "speaker", "start", "end"
    before: str
    after: str
    author: str
    at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class ModelInfo:
    """Which speech model produced a result, pinned by the sha256 of its weights."""

    name: str  # "base", "small", or the directory name of a local model
    path: str
    sha256: str  # of model.bin


@dataclass(frozen=True)
class Cue:
    """One subtitle event: at most two lines on screen between start and end."""

    start: int
    end: int
    lines: tuple[str, ...]
    segment_id: int  # the segment this event was cut from
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Transcript:
    """The result of transcription and translation of one clip: what every output is made from."""

    media: MediaInfo
    language: str  # ISO 639-1 code of the original
    language_probability: float  # 1.0 when the user forced the language
    language_forced: bool
    model: ModelInfo
    segments: tuple[Segment, ...]
    options: dict[str, object] = field(default_factory=dict)  # the options that shaped it
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    tool_version: str = ""
    warnings: tuple[str, ...] = ()
    reviewer: str | None = None  # who reviewed every line; None while any line is unreviewed
    approver: str | None = None  # who approved the reviewed clip, while that approval stands
    language_detected: str = ""  # what the speech sounds like, checked also when forced ("" unknown)
    language_detected_probability: float = 0.0
    language_mismatch: bool = False  # forced, but the speech was surely detected as another language

    @property
    def doubtful_count(self) -> int:
        return sum(1 for s in self.segments if s.doubtful)
