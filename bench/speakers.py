"""Who spoke when: tolmach's diarization on conversations mixed from real recordings with known turns.

    python bench/speakers.py [--mixes 10] [--seed 1] [--quick]

No one here recorded these voices, so the test conversations are built from real recordings of
different people whose turn boundaries are then known exactly:

- reader:  the male reader of ``ru-read`` (16 kHz, clean)
- phone:   the female voice talent of ``ru-phone`` (8 kHz telephone prompts)
- allison: Allison Smith's English prompts from Debian's ``asterisk-core-sounds-en-wav`` (8 kHz), the
           third voice; the 3-speaker part is skipped when the package is not installed

A mix is about two minutes of turns of 1-3 recordings each (leading and trailing silence trimmed, all
at the same speech level), 0.2-1.5 s pauses, 0.3 s of overlap on a quarter of the turn changes and
white noise at 30 dB SNR, all drawn from ``--seed``. The reference marks a recording's speech from its
first to its last loud frame, with pauses inside it of 0.5 s or more left out (the pipeline's VAD
calls those silence too).

DER is pyannote.metrics' with a collar of ±0.25 s around every reference boundary (pyannote's
``collar=0.5`` is the whole width; md-eval's ``-c 0.25``), overlap scored; its parts are missed
speech, false alarm and confusion, as shares of the reference speech. "correct" is the share of
reference speech given the right speaker after the optimal label mapping, with no collar. Two
baselines run in the same process on the same mixes: everything one speaker, and a new speaker at
every pause of 0.5 s or more (cycling through N labels); both on the pipeline's VAD regions. A
diagnostic row cuts tolmach's turns to the VAD's speech, to show how much of its error is pauses
inside a turn counted as speech.

Then: the 2-speaker mixes again at telephone bandwidth (the reader is wideband, the phone voice is
not, so this shows how much the channel helps), the 3-speaker mixes, one long input (25 min) for
time and memory, and the real transcription of a few mixes with ``assign_speakers``: a segment is
right when its speaker (mapped to the truth) is the one speaking at its midpoint.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import THREADS, PeakRss, clips, load, timed

SR = 16000
ALLISON = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
APT_HINT = "apt-get install -y asterisk-core-sounds-en-wav"
LEVEL = 0.05  # RMS of every recording's speech (about -26 dBFS): loudness is no clue to the voice
PAUSE_MS = (200, 1500)
OVERLAP_MS = 300
OVERLAP_SHARE = 0.25  # of the turn changes
SNR_DB = 30.0
BRIDGE_MS = 500  # pauses inside a recording shorter than this stay inside the reference speech
CREDITS = {
    "reader": "reader: ru-read, msu_ru_nsh (N. V. Shmyrev, 2005), BSD-like",
    "phone": "phone: ru-phone, Maxim Topal / ivrvoice.ru (2010), CC-BY-3.0",
    "allison": "allison: Allison Smith for Digium (2003-2010), CC-BY-SA-3.0, "
    "Debian asterisk-core-sounds-en-wav",
}
COLLAR = 0.5  # pyannote: total width, so ±0.25 s
REPEAT = 2  # runs of each system on each mix; the best time is kept

Span = tuple[int, int, str]  # start ms, end ms, speaker


@dataclass(frozen=True)
class Piece:
    """One recording, trimmed to its speech and set to LEVEL; ``spans`` are ms from its start."""

    samples: np.ndarray
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Mix:
    name: str
    samples: np.ndarray
    truth: tuple[Span, ...]
    speakers: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / SR


# --- the voices and the mixes ---------------------------------------------------------------------


def piece(samples: np.ndarray) -> Piece:
    """Trim to the first and last frame within 40 dB of the loudest, bridge short pauses, set the level."""
    frame = SR // 50  # 20 ms
    n = len(samples) // frame
    db = 10 * np.log10((samples[: n * frame].reshape(n, frame) ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - 40)
    first, last = int(loud[0]), int(loud[-1]) + 1
    spans: list[tuple[int, int]] = []
    for i in loud:
        if spans and (i - spans[-1][1]) * 20 < BRIDGE_MS:
            spans[-1] = (spans[-1][0], int(i) + 1)
        else:
            spans.append((int(i), int(i) + 1))
    cut = samples[first * frame : last * frame]
    speech = np.concatenate([cut[(a - first) * frame : (b - first) * frame] for a, b in spans])
    gain = LEVEL / max(float(np.sqrt((speech**2).mean())), 1e-6)
    return Piece(
        (cut * gain).astype(np.float32), tuple(((a - first) * 20, (b - first) * 20) for a, b in spans)
    )


def voices(third: bool) -> dict[str, list[Piece]]:
    found = {
        "reader": [piece(load(c)) for c in clips("ru-read")],
        "phone": [piece(load(c)) for c in clips("ru-phone")],
    }
    if third:
        from tolmach.media import decode_audio

        # the prompts of 2 s or more, so digits and beeps stay out
        paths = sorted(p for p in ALLISON.glob("*.wav") if "beep" not in p.name and "2tone" not in p.name)
        found["allison"] = [piece(a) for a in map(decode_audio, paths) if len(a) >= 2 * SR]
    return found


def mix(name: str, pieces: dict[str, list[Piece]], seconds: float, rng: np.random.Generator) -> Mix:
    """Turns of 1-3 recordings by one speaker, then another speaker, until ``seconds``; noise on top."""
    names = sorted(pieces)
    order = {n: list(rng.permutation(len(pieces[n]))) for n in names}

    def draw(speaker: str) -> Piece:
        if not order[speaker]:  # every recording used once: start again in a new order
            order[speaker] = list(rng.permutation(len(pieces[speaker])))
        return pieces[speaker][order[speaker].pop()]

    placed: list[tuple[int, str, Piece]] = []
    end, speaker = 300, names[int(rng.integers(len(names)))]
    while end < seconds * 1000:
        for k in range(int(rng.integers(1, 4))):
            p = draw(speaker)
            if not placed:
                start = end
            elif k == 0 and rng.random() < OVERLAP_SHARE:
                start = end - OVERLAP_MS
            else:
                start = end + int(rng.integers(PAUSE_MS[0], PAUSE_MS[1] + 1))
            placed.append((start, speaker, p))
            end = start + len(p.samples) * 1000 // SR
            if end >= seconds * 1000:
                break
        speaker = [n for n in names if n != speaker][int(rng.integers(len(names) - 1))]

    samples = np.zeros((end + 500) * SR // 1000, dtype=np.float32)
    truth: list[Span] = []
    for start, who, p in placed:
        at = start * SR // 1000
        samples[at : at + len(p.samples)] += p.samples
        truth += [(start + a, start + b, who) for a, b in p.spans]
    noise = rng.normal(0.0, LEVEL / 10 ** (SNR_DB / 20), len(samples)).astype(np.float32)
    samples = np.clip(samples + noise, -1.0, 1.0)
    return Mix(name, samples, tuple(sorted(truth)), len(names))


def telephone(samples: np.ndarray) -> np.ndarray:
    from scipy.signal import resample_poly

    return resample_poly(resample_poly(samples, 1, 2), 2, 1).astype(np.float32)[: len(samples)]


# --- the systems ----------------------------------------------------------------------------------

System = Callable[[np.ndarray, int], list[Span]]


def vad_regions(samples: np.ndarray) -> list[tuple[int, int]]:
    """The pipeline's VAD (Silero, 0.5 s minimum silence, 0.2 s padding), long regions left whole."""
    from tolmach.asr.windows import speech_probabilities, speech_regions

    total_ms = len(samples) * 1000 // SR
    regions = speech_regions(speech_probabilities(samples), total_ms, max_region_ms=10**9)
    return [(r.start, r.end) for r in regions]


def one_speaker(samples: np.ndarray, n: int) -> list[Span]:
    return [(a, b, "S1") for a, b in vad_regions(samples)]


def alternate(samples: np.ndarray, n: int) -> list[Span]:
    # every region boundary of vad_regions is a pause of 0.5 s or more
    return [(a, b, f"S{i % n + 1}") for i, (a, b) in enumerate(vad_regions(samples))]


def tolmach(speakers: int | None) -> System:
    from tolmach.diarize import diarize

    def run(samples: np.ndarray, n: int) -> list[Span]:
        return [(t.start, t.end, t.speaker) for t in diarize(samples, speakers)]

    return run


def cut_to_speech(system: System) -> System:
    """A diagnostic: the system's turns cut to the VAD's speech, so pauses inside a turn are not speech."""

    def run(samples: np.ndarray, n: int) -> list[Span]:
        regions = vad_regions(samples)
        return [
            (max(a, ra), min(b, rb), who)
            for a, b, who in system(samples, n)
            for ra, rb in regions
            if min(b, rb) > max(a, ra)
        ]

    return run


# --- scoring --------------------------------------------------------------------------------------


def annotation(spans: Sequence[Span]):  # type: ignore[no-untyped-def]
    from pyannote.core import Annotation, Segment

    found = Annotation()
    for i, (a, b, who) in enumerate(spans):
        if b > a:
            found[Segment(a / 1000, b / 1000), i] = who
    return found


class Score:
    """DER parts (with the collar) and the correct share (without), summed over mixes."""

    def __init__(self) -> None:
        from pyannote.metrics.diarization import DiarizationErrorRate

        self.der = DiarizationErrorRate(collar=COLLAR)
        self.strict = DiarizationErrorRate()

    def add(self, m: Mix, hyp: Sequence[Span]) -> dict[str, float]:
        from pyannote.core import Segment, Timeline

        uem = Timeline([Segment(0, m.seconds)])
        ref, found = annotation(m.truth), annotation(hyp)
        parts = self.der(ref, found, detailed=True, uem=uem)
        self.strict(ref, found, uem=uem)
        return _shares(parts)

    def total(self) -> dict[str, float]:
        shares = _shares(self.der[:])
        strict = self.strict[:]
        return shares | {"correct": strict["correct"] / (strict["total"] or 1.0)}


def _shares(parts: dict[str, float]) -> dict[str, float]:
    total = parts["total"] or 1.0
    missed, fa, conf = parts["missed detection"], parts["false alarm"], parts["confusion"]
    return {
        "der": (missed + fa + conf) / total,
        "missed": missed / total,
        "fa": fa / total,
        "conf": conf / total,
    }


def mapping(m: Mix, hyp: Sequence[Span]) -> dict[str, str]:
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    uem = Timeline([Segment(0, m.seconds)])
    return dict(DiarizationErrorRate().optimal_mapping(annotation(m.truth), annotation(hyp), uem=uem))


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    score: Score = field(default_factory=Score)
    seconds: float = 0.0  # best of REPEAT runs, summed over the mixes
    audio: float = 0.0  # seconds of audio it ran on
    peak: float = 0.0  # peak RSS, MiB
    grown: float = 0.0  # the most the RSS rose during one call, MiB
    counts: Counter[int] = field(default_factory=Counter)  # speakers found -> mixes
    per_mix: list[tuple[dict[str, float], int]] = field(default_factory=list)


def run_system(name: str, fn: System, mixes: list[Mix], rss: PeakRss) -> Row:
    import psutil

    proc, row = psutil.Process(), Row(name)
    for m in mixes:
        best = float("inf")
        for _ in range(REPEAT):  # the machine is shared and noisy: keep the best time
            gc.collect()
            before = proc.memory_info().rss / 2**20
            with rss.measure():
                hyp, t = timed(fn, m.samples, m.speakers)
            best = min(best, t)
            row.peak, row.grown = max(row.peak, rss.peak), max(row.grown, rss.peak - before)
        row.seconds, row.audio = row.seconds + best, row.audio + m.seconds
        found = len({who for _, _, who in hyp})
        row.counts[found] += 1
        row.per_mix.append((row.score.add(m, hyp), found))
    return row


def evaluate(title: str, mixes: list[Mix], rss: PeakRss) -> list[Row]:
    n = mixes[0].speakers
    speech = Counter[str]()
    for a, b, who in (s for m in mixes for s in m.truth):
        speech[who] += b - a
    shares = ", ".join(f"{who} {ms / sum(speech.values()):.0%}" for who, ms in sorted(speech.items()))
    minutes = sum(m.seconds for m in mixes) / 60
    print(f"\n{title}: {len(mixes)} mixes, {minutes:.1f} min ({shares} of the speech)")

    systems: list[tuple[str, System]] = [
        ("one speaker (baseline)", one_speaker),
        ("new speaker at pauses >= 0.5 s", alternate),
        ("tolmach speakers=auto", tolmach(None)),
        (f"tolmach speakers={n}", tolmach(n)),
        ("  auto, turns cut to VAD speech", cut_to_speech(tolmach(None))),
    ]
    rows = [run_system(name, fn, mixes, rss) for name, fn in systems]
    base, alt = rows[0].score.total()["der"], rows[1].score.total()["der"]
    print(
        f"{'system':32}{'DER %':>7}{'missed':>8}{'f.alarm':>8}{'confus.':>8}{'correct':>8}"
        f"{'  speakers found':18}{'RTF':>7}{'peak RSS MiB':>13}{'+MiB':>6}{'DER/one':>8}{'DER/alt':>8}"
    )
    for row in rows:
        s = row.score.total()
        found = ", ".join(f"{k} in {v}" for k, v in sorted(row.counts.items()))
        print(
            f"{row.name:32}{100 * s['der']:7.1f}{100 * s['missed']:8.1f}{100 * s['fa']:8.1f}"
            f"{100 * s['conf']:8.1f}{100 * s['correct']:8.1f}  {found:16}{row.seconds / row.audio:7.3f}"
            f"{row.peak:13.0f}{row.grown:6.0f}{s['der'] / base:8.2f}{s['der'] / alt:8.2f}"
        )

    print(f"\nper mix (DER % = missed + false alarm + confusion; found: speakers found, truth {n})")
    print(f"{'':10}{'min':>5}   {rows[2].name:34}{rows[3].name}")
    for i, m in enumerate(mixes):
        cells = [
            f"{100 * s['der']:5.1f} = {100 * s['missed']:4.1f} + {100 * s['fa']:4.1f} + "
            f"{100 * s['conf']:4.1f}  found {found}"
            for s, found in (row.per_mix[i] for row in rows[2:4])
        ]
        print(f"{m.name:10}{m.seconds / 60:5.1f}   {cells[0]:34}{cells[1]}")
    return rows


def long_input(pieces: dict[str, list[Piece]], minutes: float, seed: int, first: Mix) -> None:
    """Time and memory on the first 2-minute mix and on one long input, each in a fresh process that
    has loaded the model and the samples first, so "+MiB" is what diarization itself adds. Once with
    the VAD inside and once with its regions given, as the pipeline calls it (the ASR ran the VAD)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from tolmach.asr.windows import speech_probabilities, speech_regions

    m = mix("long", pieces, minutes * 60, np.random.default_rng(seed))
    reused = sum(len(p.samples) for v in pieces.values() for p in v) / SR < m.seconds
    print(
        f"\nlong input: {m.seconds / 60:.1f} min, {len(pieces)} speakers, the same mixing"
        f"{' (recordings reused once every one was used)' if reused else ''}; the samples alone are "
        f"{m.samples.nbytes / 2**20:.0f} MiB; speakers=auto, a fresh process each"
    )
    print(f"{'':36}{'time s':>8}{'RTF':>8}{'peak RSS MiB':>13}{'+MiB':>6}{'DER %':>7}{'found':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for case in (first, m):
            path = Path(folder) / f"{case.name}.npy"
            total_ms = len(case.samples) * 1000 // SR
            np.save(path, case.samples)
            regions = [(r.start, r.end) for r in speech_regions(speech_probabilities(case.samples), total_ms)]
            for given in (None, regions):
                with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                    t, peak, grown, hyp = pool.submit(_diarize_alone, str(path), given).result()
                s, found = Score().add(case, hyp), len({w for _, _, w in hyp})
                name = f"{case.seconds / 60:4.1f} min, " + ("VAD regions given" if given else "VAD inside")
                print(
                    f"{name:36}{t:8.1f}{t / case.seconds:8.3f}{peak:13.0f}{grown:6.0f}"
                    f"{100 * s['der']:7.1f}{found:6d}"
                )
    windows = _windows(m.samples)
    print(
        f"voice vectors kept for the long input: about {windows} windows x 256 float32 = "
        f"{windows * 1024 / 2**20:.1f} MiB (windows over the pipeline's VAD regions)"
    )


def _diarize_alone(path: str, given: list[tuple[int, int]] | None) -> tuple[float, float, float, list[Span]]:
    """In a child process: (best time, peak RSS, peak RSS over the RSS before the call, turns)."""
    import psutil

    from tolmach.asr.windows import Region
    from tolmach.diarize import diarize

    samples = np.load(path)
    regions = None if given is None else [Region(a, b) for a, b in given]
    diarize(samples[: 10 * SR])  # loads the model
    rss, best = PeakRss(), float("inf")
    gc.collect()
    before = psutil.Process().memory_info().rss / 2**20
    peak = before
    for _ in range(REPEAT):
        with rss.measure():
            turns, t = timed(diarize, samples, None, regions=regions)
        best, peak = min(best, t), max(peak, rss.peak)
    return best, peak, peak - before, [(t.start, t.end, t.speaker) for t in turns]


def _windows(samples: np.ndarray) -> int:
    from tolmach.asr.windows import Region
    from tolmach.diarize.embed import window_spans

    return len(window_spans([Region(a, b) for a, b in vad_regions(samples)]))


def segments_part(mixes: list[Mix]) -> None:
    """Real transcription of a few mixes, then assign_speakers. A segment is right when its speaker
    (mapped to the truth) is the one talking at its midpoint; a word, at the word's midpoint, which
    also counts the words of a segment that should have been split and was not."""
    from bench.common import whisper_model
    from tolmach.asr.decoder import WindowDecoder
    from tolmach.asr.transcribe import transcribe
    from tolmach.diarize import assign_speakers, diarize
    from tolmach.options import Options

    decoder = WindowDecoder(whisper_model())
    options = Options(lang="ru", threads=THREADS, translate=False)
    print(
        "\nsegments attributed correctly: Whisper base int8, language forced to ru, transcript only, "
        "then assign_speakers on the speakers=auto turns; 'one speaker' gives everything to the "
        "mix's main speaker"
    )
    print(
        f"{'':10}{'speakers':>9}{'segments':>9}{'after assign':>13}{'right':>8}{'one speaker':>12}"
        f"{'words':>7}{'right':>8}{'one speaker':>12}"
    )
    totals = np.zeros(6)
    for m in mixes:
        result = transcribe(m.samples, decoder, options)
        turns = diarize(m.samples, None)
        named = assign_speakers(result.segments, turns)
        to_truth = mapping(m, [(t.start, t.end, t.speaker) for t in turns])
        speech = Counter[str]()
        for a, b, who in m.truth:
            speech[who] += b - a
        top = speech.most_common(1)[0][0]
        counts = np.zeros(6)
        for segment in named:
            ours = to_truth.get(segment.speaker or "")
            truth = _true_speakers(m, (segment.start + segment.end) // 2)
            counts[:3] += (1, ours in truth, top in truth)
            for word in segment.words:
                truth = _true_speakers(m, (word.start + word.end) // 2)
                counts[3:] += (1, ours in truth, top in truth)
        totals += counts
        _segment_line(m.name, m.speakers, len(result.segments), counts)
    _segment_line("all", None, None, totals)


def _segment_line(name: str, speakers: int | None, before: int | None, counts: np.ndarray) -> None:
    segments, right, one, words, words_right, words_one = counts
    words = max(words, 1)
    print(
        f"{name:10}{speakers or '':>9}{before or '':>9}{segments:13.0f}{right / segments:8.1%}"
        f"{one / segments:12.1%}{words:7.0f}{words_right / words:8.1%}{words_one / words:12.1%}"
    )


def _true_speakers(m: Mix, ms: int) -> set[str]:
    """Who speaks at ``ms`` (both, in an overlap); in a pause, whoever's speech is nearest."""
    inside = {who for a, b, who in m.truth if a <= ms < b}
    if inside:
        return inside
    return {min(m.truth, key=lambda s: min(abs(s[0] - ms), abs(s[1] - ms)))[2]}


def main(count: int, seed: int, quick: bool) -> None:
    import datetime
    import platform

    from tolmach.diarize import diarize

    third = ALLISON.is_dir()
    print(
        f"{datetime.date.today()}, {_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    pieces = voices(third)
    pair = {k: pieces[k] for k in ("phone", "reader")}
    rss = PeakRss()
    warm = mix("warm-up", pair, 10, np.random.default_rng(seed))
    _, t = timed(diarize, warm.samples, None)
    print(f"seed {seed}; diarization loaded and run on {warm.seconds:.0f} s in {t:.1f} s (not counted below)")
    print(
        f"mixing: turns of 1-3 recordings, pauses {PAUSE_MS[0] / 1000}-{PAUSE_MS[1] / 1000} s, "
        f"{OVERLAP_MS / 1000} s overlap on {OVERLAP_SHARE:.0%} of turn changes, "
        f"white noise at {SNR_DB:.0f} dB SNR"
    )
    print("voices: " + "; ".join(CREDITS[name] for name in sorted(pieces, key=list(CREDITS).index)))
    print(f"DER with a ±0.25 s collar (pyannote collar={COLLAR}); all figures are % of reference speech")
    print(
        f"RTF: best of {REPEAT} runs; +MiB: the most the RSS rose during one call (peak RSS is the process)"
    )

    two = [mix(f"2spk-{i + 1:02d}", pair, 120, np.random.default_rng([seed, 2, i])) for i in range(count)]
    rows = evaluate("2 speakers (reader, phone)", two, rss)
    for row in rows[2:4]:
        der = row.score.total()["der"]
        print(f"target DER < 10% on the 2-speaker mixes, {row.name}: {100 * der:.1f}%, {_verdict(der)}")

    # the reader is wideband and the phone voice is not: the same mixes at telephone bandwidth show how
    # much of the separation is the channel rather than the voice
    narrow = [Mix(m.name.replace("2spk", "2tel"), telephone(m.samples), m.truth, 2) for m in two]
    evaluate("2 speakers, the same mixes at telephone bandwidth (8 kHz and back)", narrow, rss)

    three: list[Mix] = []
    if third:
        three = [
            mix(f"3spk-{i + 1:02d}", pieces, 120, np.random.default_rng([seed, 3, i])) for i in range(count)
        ]
        evaluate("3 speakers (reader, phone, allison)", three, rss)
    else:
        print(f"\n3 speakers: skipped, the third voice is not installed ({APT_HINT})")

    long_input(pair, 5 if quick else 25, seed, two[0])
    segments_part(two[: 1 if quick else 2] + three[:1])


def _cpu() -> str:
    import platform

    with open("/proc/cpuinfo", encoding="utf-8") as fp:
        names = [line.split(":", 1)[1].strip() for line in fp if line.startswith("model name")]
    return names[0] if names else platform.machine()


def _verdict(der: float) -> str:
    return "met" if der < 0.10 else "missed"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--mixes", type=int, default=None, help="mixes of each kind (default 10, 3 with --quick)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="3 mixes of each kind, a 5-minute long input")
    args = parser.parse_args()
    main(args.mixes or (3 if args.quick else 10), args.seed, args.quick)
