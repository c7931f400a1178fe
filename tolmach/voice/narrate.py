"""Article narration: a .txt, .md or .html document read aloud, with an SRT and chapter marks.

    document -> blocks -> sentences (pysbd) -> speakable text -> speech, one sentence at a time
    -> a temporary 16-bit wav, appended to as it goes -> ffmpeg: loudness, tags, chapters, mp3/ogg/wav

A 10,000-word article is about an hour of audio (160 MB of float samples), so samples are never all in
memory: each sentence is synthesised, written to the temporary wav and dropped; only the cue times stay.
ffmpeg then reads that file twice (measure, encode), also streaming. Memory is bounded by one sentence.

The first words are the disclosure ("Voice is AI-generated. Inconsistencies may occur."); its wording can
change, and only an explicit ``disclose=False`` (``--no-disclosure``) removes it, which the report and
the file's comment tag record. The SRT shows the text as written, the voice says its spoken form.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tolmach import __version__
from tolmach.errors import InputError, MissingExtraError, OptionsError
from tolmach.media.files import atomic_path
from tolmach.voice.mix import LOSSY_PEAK, TRUE_PEAK, Loudness, RawAudio, loudness_normalise
from tolmach.voice.tts import synthesize, to_int16
from tolmach.voice.voices import DEFAULT_VOICE, get_voice

if TYPE_CHECKING:
    from tolmach.document import Document

NARRATION_DISCLOSURE = "Voice is AI-generated. Inconsistencies may occur."
REPORT_FORMAT = "tolmach.narration/1"
SRT_WIDTH = 42  # characters per subtitle line, as everywhere in tolmach

# suffix -> (ffmpeg codec arguments, how chapters are stored: "ffmetadata", "vorbis" or "")
CODECS: dict[str, tuple[tuple[str, ...], str]] = {
    ".mp3": (("-c:a", "libmp3lame", "-b:a", "96k"), "ffmetadata"),
    ".ogg": (("-c:a", "libvorbis", "-q:a", "4"), "vorbis"),  # ffmpeg writes chapters only as comments here
    ".m4a": (("-c:a", "aac", "-b:a", "96k"), "ffmetadata"),
    ".wav": (("-c:a", "pcm_s16le"), ""),  # RIFF has no chapters: the SRT and report carry them
}


@dataclass(frozen=True)
class NarrateOptions:
    voice: str = DEFAULT_VOICE  # a registered voice name or a path to a piper .onnx voice
    disclosure: str = NARRATION_DISCLOSURE  # the first words spoken
    disclose: bool = True  # False only through an explicit --no-disclosure flag; recorded
    loudness: float = -16.0  # integrated loudness, LUFS (EBU R128)
    sentence_pause_ms: int = 250  # between sentences of a paragraph
    paragraph_pause_ms: int = 700  # after a paragraph (and after the disclosure)
    heading_pause_ms: int = 1100  # after a heading, so it sounds like one

    def validate(self) -> NarrateOptions:
        if self.disclose and not self.disclosure.strip():
            raise OptionsError(
                "the spoken disclosure cannot be empty",
                "reword it, or remove it explicitly with --no-disclosure",
            )
        if not -40.0 <= self.loudness <= -5.0:
            raise OptionsError(f"loudness {self.loudness:g} LUFS is outside -40 to -5", "-16 is for the web")
        pauses = (self.sentence_pause_ms, self.paragraph_pause_ms, self.heading_pause_ms)
        if not all(0 <= p <= 10_000 for p in pauses):
            raise OptionsError("pauses must be between 0 and 10,000 ms")
        return self


@dataclass(frozen=True)
class Chunk:
    """One thing to say: a sentence, a heading or the disclosure, and the silence after it."""

    text: str  # as written (for the SRT)
    kind: str  # "disclosure", "heading" or "sentence"
    pause_ms: int


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chapter:
    start: int
    end: int
    title: str


@dataclass(frozen=True)
class NarrationReport:
    """What ``narrate`` wrote and how long it is."""

    source: str
    output: str
    subtitles: str
    voice: str
    duration_ms: int
    words: int  # words of the document read (the disclosure not counted)
    cues: tuple[Cue, ...]
    chapters: tuple[Chapter, ...]
    chapters_in_file: bool  # False for wav, which cannot hold chapters
    disclosure: str
    disclosure_spoken: bool
    loudness: Loudness

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format": REPORT_FORMAT, "tool_version": __version__, "ai_generated": True, **data}

    def summary(self) -> str:
        said = "disclosure spoken" if self.disclosure_spoken else "NO spoken disclosure (--no-disclosure)"
        minutes, seconds = divmod(self.duration_ms // 1000, 60)
        return (
            f"narration: {self.words:,} words, {minutes}:{seconds:02d}, {len(self.cues)} cues, "
            f"{len(self.chapters)} chapters; {self.voice}; {said}; {self.loudness.output_i:.1f} LUFS"
        )


Progress = Callable[[int, int], None]


def language_warning(document: Document, voice_language: str, voice: str) -> str | None:
    """A warning when an English voice would read a document written mostly in Cyrillic (Russian or
    Ukrainian): it spells the words out letter by letter, or says nothing sensible. None otherwise."""
    text = " ".join(b.text for b in document.blocks)
    letters = [ch for ch in text if ch.isalpha()]
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    if not voice_language.lower().startswith("en") or not letters or cyrillic / len(letters) < 0.3:
        return None
    return (
        f"{document.path.name} is written mostly in Cyrillic ({cyrillic / len(letters):.0%} of its letters),"
        f" but the voice {voice} speaks English: translate it first, e.g. tolmach translate-text"
        f" {document.path.name} --from ru -o {document.path.stem}.en.txt"
    )


def narration_chunks(document: Document, options: NarrateOptions) -> list[Chunk]:
    """What to say, in order: the disclosure, then each heading and each sentence of each paragraph."""
    chunks: list[Chunk] = []
    if options.disclose:
        chunks.append(Chunk(" ".join(options.disclosure.split()), "disclosure", options.paragraph_pause_ms))
    segmenter = _segmenter()
    for block in document.blocks:
        text = " ".join(block.text.split())
        if not text:
            continue
        if block.kind == "heading":
            chunks.append(Chunk(text, "heading", options.heading_pause_ms))
            continue
        sentences = [" ".join(s.split()) for s in segmenter.segment(text)]
        sentences = [s for s in sentences if s]
        for i, sentence in enumerate(sentences):
            last = i == len(sentences) - 1
            chunks.append(
                Chunk(sentence, "sentence", options.paragraph_pause_ms if last else options.sentence_pause_ms)
            )
    return chunks


def narrate(
    document: Document,
    output: Path,
    options: NarrateOptions | None = None,
    *,
    subtitles: Path | None = None,
    progress: Progress | None = None,
) -> NarrationReport:
    """Read ``document`` (a tolmach.document.Document) aloud into ``output`` (.mp3, .ogg, .m4a or .wav)
    and its SRT into ``subtitles`` (default: ``output`` with .srt). Both appear together or neither."""
    options = (options or NarrateOptions()).validate()
    output = Path(output)
    codec, chapter_style = output_codec(output)
    subtitles = subtitles or output.with_suffix(".srt")
    chunks = narration_chunks(document, options)
    if not any(c.kind != "disclosure" for c in chunks):
        raise InputError(f"{document.path}: has no text to read aloud", "give a document with some prose")
    voice = get_voice(options.voice)
    rate = voice.sample_rate
    cues: list[Cue] = []
    heading_starts: list[tuple[int, str]] = []
    lead_in = False  # prose before the first heading
    with tempfile.TemporaryDirectory(prefix="tolmach-narrate-") as folder:
        speech_wav = Path(folder) / "speech.wav"
        written = 0  # samples so far: the clock of the narration
        with _wav_writer(speech_wav, rate) as wav:
            for i, chunk in enumerate(chunks):
                samples = synthesize(chunk.text, voice).samples
                start = written * 1000 // rate
                wav.writeframes(to_int16(samples).tobytes())
                written += len(samples)
                cues.append(Cue(start, written * 1000 // rate, chunk.text))
                if chunk.kind == "heading":
                    heading_starts.append((start, chunk.text))
                lead_in = lead_in or (chunk.kind == "sentence" and not heading_starts)
                pause = rate * chunk.pause_ms // 1000 if i < len(chunks) - 1 else 0
                wav.writeframes(np.zeros(pause, dtype="<i2").tobytes())
                written += pause
                if progress is not None:
                    progress(i + 1, len(chunks))
        duration = written * 1000 // rate
        chapters = _chapters(heading_starts, duration, document.title, lead_in)
        metadata = Path(folder) / "metadata.txt"
        metadata.write_text(_ffmetadata(chapters, chapter_style), encoding="utf-8")
        tags = _tags(document, voice.label, options)
        with atomic_path(output) as tmp_audio, atomic_path(subtitles) as tmp_srt:
            loudness = loudness_normalise(
                RawAudio(speech_wav),
                tmp_audio,
                target=options.loudness,
                sample_rate=rate,
                what=str(document.path),
                tags=tags,
                metadata=metadata,
                codec=codec,
                ceiling=TRUE_PEAK if output.suffix.lower() == ".wav" else LOSSY_PEAK,
            )
            tmp_srt.write_text(srt_text(cues), encoding="utf-8")
    return NarrationReport(
        source=os.fspath(document.path),
        output=os.fspath(output),
        subtitles=os.fspath(subtitles),
        voice=voice.label,
        duration_ms=duration,
        words=sum(len(c.text.split()) for c in chunks if c.kind != "disclosure"),
        cues=tuple(cues),
        chapters=chapters,
        chapters_in_file=bool(chapter_style),
        disclosure=options.disclosure if options.disclose else "",
        disclosure_spoken=options.disclose,
        loudness=loudness,
    )


def srt_text(cues: list[Cue]) -> str:
    """The cues as SubRip, lines wrapped at 42 characters (pysubs2 writes the format)."""
    import pysubs2

    subs = pysubs2.SSAFile()
    for cue in cues:
        text = "\\N".join(textwrap.wrap(cue.text, SRT_WIDTH)) or cue.text
        subs.append(pysubs2.SSAEvent(start=cue.start, end=max(cue.end, cue.start + 1), text=text))
    return str(subs.to_string("srt"))


def output_codec(output: Path) -> tuple[tuple[str, ...], str]:
    """ffmpeg's codec arguments and the chapter style for ``output``'s suffix; OptionsError if unknown."""
    suffix = output.suffix.lower()
    if suffix not in CODECS:
        raise OptionsError(
            f"{output}: cannot write narration as '{suffix or '(no suffix)'}'",
            "name the output .mp3, .ogg, .m4a or .wav",
        )
    return CODECS[suffix]


def _segmenter() -> Any:
    try:
        import pysbd
    except ImportError:
        raise MissingExtraError("narration (sentence splitting)", "voice") from None
    return pysbd.Segmenter(language="en", clean=False)


def _wav_writer(path: Path, rate: int) -> wave.Wave_write:
    """A 16-bit mono wav open for appending frames; ``with`` closes it (and fixes its header)."""
    wav = wave.open(str(path), "wb")  # noqa: SIM115  # closed by the caller's ``with``
    wav.setnchannels(1)
    wav.setsampwidth(2)
    wav.setframerate(rate)
    return wav


def _chapters(
    headings: list[tuple[int, str]], duration: int, title: str, lead_in: bool
) -> tuple[Chapter, ...]:
    """A chapter per heading, each up to the next; the first starts at 0, under the document's title
    when prose comes before the first heading (``lead_in``). No headings, no chapters."""
    if not headings:
        return ()
    starts = [(0, title), *headings] if lead_in else [(0, headings[0][1]), *headings[1:]]
    ends = [s for s, _ in starts[1:]] + [duration]
    return tuple(Chapter(s, e, t) for (s, t), e in zip(starts, ends, strict=True))


def _ffmetadata(chapters: tuple[Chapter, ...], style: str) -> str:
    """ffmpeg's metadata file: [CHAPTER] sections, or, for Ogg Vorbis, CHAPTERnnn comments."""
    lines = [";FFMETADATA1"]
    if style == "vorbis":
        for n, ch in enumerate(chapters):
            lines.append(f"CHAPTER{n:03d}={_clock(ch.start)}")
            lines.append(f"CHAPTER{n:03d}NAME={_escape(ch.title)}")
    elif style == "ffmetadata":
        for ch in chapters:
            lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start}", f"END={ch.end}"]
            lines.append(f"title={_escape(ch.title)}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """ffmetadata escapes '=', ';', '#', '\\' and newlines with a backslash."""
    for ch in "\\=;#":
        value = value.replace(ch, "\\" + ch)
    return value.replace("\n", "\\\n")


def _clock(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _tags(document: Document, voice: str, options: NarrateOptions) -> dict[str, str]:
    spoken = (
        "spoken disclosure at the start"
        if options.disclose
        else "spoken disclosure removed (--no-disclosure)"
    )
    return {
        "title": document.title,
        "artist": f"AI-generated voice ({voice})",
        "comment": (
            f"Voice is AI-generated ({voice}). Inconsistencies may occur. Read aloud from "
            f"{Path(document.path).name} by tolmach; numbers, dates and abbreviations spelled out for "
            f"speech; {spoken}."
        ),
        "language": "eng",
        "encoded_by": f"tolmach {__version__}",
    }
