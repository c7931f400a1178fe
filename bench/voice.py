"""The AI voice-over: how fast the voices speak, how often lines fit, and how close each line starts.

    python bench/voice.py [--phone 40] [--no-sample]

Two inputs, both real speech with their English:

- sample:   tests/data/sample-ru.mp4 (32 s), its English from tolmach's own translation (Whisper base);
- ru-phone: ``--phone`` telephone prompts from the bench data, one after another with 0.8 s pauses,
            each prompt a line whose slot is its speech (trimmed of silence), its English the reference
            English prompt the Russian was translated from.

For each: the voice-over is made (piper joe, max 1.25x), then

- TTS real-time factor: synthesis time / seconds of speech, piper joe against espeak-ng (the baseline)
  on the same lines in the same process;
- fit: the share of lines whose English at 1.0x fits their slot, and within 1.25x; and what the fit did
  (in slot, sped up, ran into the silence after, overflowed);
- start error: the dub is transcribed back with Whisper base (lang en, word timestamps), line by line
  in windows around where the report placed each; a line's first words heard within 1 s of that place
  mark its start (lines whose first words Whisper did not hear there are counted apart); the error is
  that heard start minus the
  subtitle's start (so a line pushed late by the disclosure or an overflowing line counts), and minus
  the planned start (the mix's own accuracy, Whisper's timing error included).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, THREADS, clips
from tolmach.media import decode_audio
from tolmach.media.probe import probe
from tolmach.options import Options
from tolmach.pipeline import translate_clip
from tolmach.records import ModelInfo, Segment, Transcript, Word
from tolmach.voice import DubOptions, DubReport, dub, get_voice, speakable
from tolmach.voice.tts import trim_silence

RESULTS = ROOT / "bench" / "results" / "voice.txt"
PAUSE_S = 0.8
SEARCH_MS = 1000  # a line's first words are looked for this far either side of where it was placed
lines_out: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    lines_out.append(text)


def phone_clip(count: int, folder: Path) -> tuple[Path, list[tuple[int, int, str, str]]]:
    """``count`` ru-phone prompts in one 16 kHz wav; (start, end, russian, english) of each one's speech."""
    import wave

    rate = 16000
    parts: list[np.ndarray] = []
    lines: list[tuple[int, int, str, str]] = []
    at = 0
    for clip in clips("ru-phone", count):
        audio = decode_audio(clip.path, rate)
        speech = trim_silence(audio, rate, threshold_db=-40.0)
        lead = int(np.flatnonzero(np.abs(audio) > 10 ** (-40 / 20))[0]) if speech.size else 0
        start = at + max(0, lead - rate * 30 // 1000)
        lines.append(
            (start * 1000 // rate, (start + len(speech)) * 1000 // rate, clip.transcript, clip.english)
        )
        parts += [audio, np.zeros(int(rate * PAUSE_S), dtype=np.float32)]
        at += len(audio) + int(rate * PAUSE_S)
    path = folder / "ru-phone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(np.concatenate(parts), -1, 1) * 32767).astype("<i2").tobytes())
    return path, lines


def transcript_for(path: Path, lines: list[tuple[int, int, str, str]]) -> Transcript:
    """The reference lines as a transcript: the English is the prompt the Russian was made from."""
    segments = tuple(
        Segment(id=i, start=a, end=b, text=ru, translation=" ".join(en.split()))
        for i, (a, b, ru, en) in enumerate(lines, 1)
    )
    return Transcript(probe(path), "ru", 1.0, True, ModelInfo("reference", "", ""), segments)


def rtf(voice_name: str, texts: list[str]) -> tuple[float, float]:
    """(real-time factor, seconds of speech) of synthesising ``texts`` with the voice (loaded first)."""
    voice = get_voice(voice_name)
    voice.synthesize("Warm up.")
    spent = spoken = 0.0
    for text in texts:
        clock = time.perf_counter()
        samples = voice.synthesize(speakable(text))
        spent += time.perf_counter() - clock
        spoken += len(samples) / voice.sample_rate
    return spent / spoken, spoken


def norm(text: str) -> list[str]:
    return re.sub(r"[^a-z ]+", " ", re.sub(r"[.']", "", speakable(text).lower())).split()


def heard_starts(wav: Path, report: DubReport) -> list[int | None]:
    """Where Whisper hears each line start (None: its first words not heard).

    Each line is transcribed in a window from 1 s before to 0.5 s after where the report placed it:
    on a whole clip, Whisper base's word times drift by a second inside its long segments, which would
    measure Whisper rather than the mix.
    """
    from tolmach.asr.models import resolve_model
    from tolmach.asr.transcribe import decoder_for, transcribe

    options = Options(lang="en", translate=False, threads=THREADS)
    decoder = decoder_for(resolve_model("base"), options)
    audio = decode_audio(wav)  # 16 kHz
    found: list[int | None] = []
    for line in report.lines:
        first = max(0, line.start - SEARCH_MS)
        chunk = audio[first * 16 : (line.end + 500) * 16]
        words: list[Word] = [w for s in transcribe(chunk, decoder, options).segments for w in s.words]
        heard = [(first + w.start, token) for w in words for token in norm(w.text)[:1]]
        tokens = [token for _, token in heard]
        wanted = norm(line.text)[:2]
        # the first two words where they come closest to the plan; else the first word; else the second
        tries = [(wanted, 0), (wanted[:1], 0), (wanted[1:], 250)]
        at = None
        for want, back in tries:
            hits = [
                heard[i][0] - back for i in range(len(heard)) if want and tokens[i : i + len(want)] == want
            ]
            hits = [t for t in hits if abs(t - line.start) <= SEARCH_MS]
            if hits:
                at = min(hits, key=lambda t: abs(t - line.start))
                break
        found.append(at)
    return found


def run(name: str, media: Path, transcript: Transcript, work: Path) -> None:
    segs = [s for s in transcript.segments if s.translation.strip()]
    texts = [s.translation for s in segs]
    say(f"\n== {name}: {len(segs)} lines, {transcript.media.duration_ms / 1000:.1f} s")
    espeak_rtf, _ = rtf("espeak", texts)
    joe_rtf, seconds = rtf("joe", texts)
    say(f"TTS real-time factor   espeak-ng (baseline) {espeak_rtf:.3f}   piper joe {joe_rtf:.3f}"
        f"   ({joe_rtf / espeak_rtf:.1f}x espeak's time; {seconds:.0f} s of speech)")  # fmt: skip
    wav = work / f"{name}.wav"
    clock = time.perf_counter()
    report = dub(transcript, media, wav, DubOptions())
    dub_s = time.perf_counter() - clock
    say(f"dub: {dub_s:.1f} s for {report.duration_ms / 1000:.0f} s of clip; {report.summary()}")
    ratios = [line.speech_ms / max(1, line.slot_end - line.slot_start) for line in report.lines]
    n = len(ratios)
    say(f"English at 1.0x fits its slot: {sum(r <= 1.0 for r in ratios) / n:.0%}   "
        f"within 1.25x: {sum(r <= 1.25 for r in ratios) / n:.0%}   "
        f"(median speech/slot {np.median(ratios):.2f}, worst {max(ratios):.2f})")  # fmt: skip
    hows = {
        h: sum(line.how == h for line in report.lines) / n for h in ("slot", "sped-up", "silence", "overflow")
    }
    say("placed: " + ", ".join(f"{h} {share:.0%}" for h, share in hows.items())
        + f"; late by the line before: {sum(line.delay_ms > 0 for line in report.lines)} lines")  # fmt: skip
    starts = heard_starts(wav, report)
    pairs = [(h, line) for h, line in zip(starts, report.lines, strict=True) if h is not None]
    vs_sub = [abs(h - line.slot_start) for h, line in pairs]
    vs_plan = [abs(h - line.start) for h, line in pairs]
    say(f"start error, heard vs subtitle: mean {np.mean(vs_sub):.0f} ms, worst {max(vs_sub)} ms; "
        f"heard vs planned: mean {np.mean(vs_plan):.0f} ms, worst {max(vs_plan)} ms "
        f"({len(pairs)} of {n} lines heard within {SEARCH_MS} ms of their place)")  # fmt: skip


def main(phone: int, sample: bool) -> None:
    say(f"{datetime.date.today()}, {os.cpu_count()} cores, {THREADS} threads; piper joe, max speed 1.25x")
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as folder:
        work = Path(folder)
        if sample:
            media = ROOT / "tests" / "data" / "sample-ru.mp4"
            run("sample", media, translate_clip(media, Options(lang="ru", speakers="1")), work)
        if phone:
            path, lines = phone_clip(phone, work)
            run(f"ru-phone x{phone}", path, transcript_for(path, lines), work)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phone", type=int, default=40, help="ru-phone prompts to dub (0: none)")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample clip")
    args = parser.parse_args()
    main(args.phone, not args.no_sample)
    RESULTS.write_text(f"$ python bench/voice.py {' '.join(sys.argv[1:])}\n" + "\n".join(lines_out) + "\n")
    print(f"saved {RESULTS.relative_to(ROOT)}")
