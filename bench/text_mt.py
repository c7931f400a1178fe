"""Text translation engines (local, llm, nmt) against references, beside Whisper's own speech translation.

    python bench/text_mt.py [--engine local|llm|nmt] [--local-model 1.5b|0.5b|FILE]
                            [--llm-url URL --llm-model NAME] [--nmt-model DIR]
                            [--allow-remote] [--limit N] [--flores-limit N] [--phone-limit N]
                            [--sets NAME,...] [--no-phone] [--keep DIR]

The engine comes from the arguments, else from the settings (config file, TOLMACH_* environment), as
``tolmach translate`` takes it (``auto``: the local model when it is installed). Two measures, chrF
and BLEU (sacrebleu, corpus level), and on every set the lines with Cyrillic left in the English, the
lines aligned 1:1 with the source, the lines that kept their fallback and the seconds a line:

- text: FLORES-200 devtest ru-en and uk-en (all 1,012 lines unless ``--flores-limit``) and the
  source-original WMT test sets in ../shared/bench-data/text/ (wmt21 ru-en with both references,
  wmt22 general ru-en and uk-en), line by line through the engine (``--limit`` lines each);
- speech: ru-phone (96 telephone prompts, 8 kHz): the audio through tolmach's transcription, then the
  transcript through the engine, scored against the English prompts the Russian was translated from,
  beside the English Whisper wrote in the same pass (the baseline, run in this process).

``--keep DIR`` writes each set's English to ``DIR/<set>.tsv`` as it goes, one block of lines at a time,
and a later run with the same engine and prompt takes up where that one stopped: a full FLORES set
is 1,012 lines at 4-5 s a line on 2 cores, longer than one sitting. The file's first line names the
engine and a fingerprint of its instructions; a file written by another engine or prompt is started
again, never mixed in. The figures are always computed over every line of the set, kept or new
(the time is this run's only, and says how many lines were taken from the file).

With no engine configured it prints Whisper's ru-phone figures and "skipped: no engine configured".
Whisper translates speech only, so it has no figures on the text sets.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA, THREADS, PeakRss, clips, load, whisper_model
from tolmach.asr.decoder import WindowDecoder
from tolmach.asr.transcribe import transcribe
from tolmach.engines import Context, Engine, text_engine, translate_segments
from tolmach.engines.llm import CYRILLIC
from tolmach.errors import TolmachError
from tolmach.options import Options
from tolmach.settings import load_options

FLORES = "flores200_devtest"
TEXT_SETS = (  # (name, language, source file, reference files), all under DATA/text
    ("flores200 ru-en", "ru", f"{FLORES}/rus_Cyrl.devtest", (f"{FLORES}/eng_Latn.devtest",)),
    ("flores200 uk-en", "uk", f"{FLORES}/ukr_Cyrl.devtest", (f"{FLORES}/eng_Latn.devtest",)),
    (
        "wmt21 ru-en",
        "ru",
        "wmt21_ru-en/newstest2021.ru-en.src.ru",
        ("wmt21_ru-en/newstest2021.ru-en.ref.A.en", "wmt21_ru-en/newstest2021.ru-en.ref.B.en"),
    ),
    (
        "wmt22 ru-en",
        "ru",
        "wmt22_general_ru-en/generaltest2022.ru-en.src.ru",
        ("wmt22_general_ru-en/generaltest2022.ru-en.ref.A.en",),
    ),
    (
        "wmt22 uk-en",
        "uk",
        "wmt22_general_uk-en/generaltest2022.uk-en.src.uk",
        ("wmt22_general_uk-en/generaltest2022.uk-en.ref.A.en",),
    ),
)
CHUNK = 64  # lines given to the engine per call (it batches inside)


def scores(hyp: list[str], refs: list[list[str]]) -> tuple[float, float]:
    import sacrebleu

    return sacrebleu.corpus_chrf(hyp, refs).score, sacrebleu.corpus_bleu(hyp, refs).score


def read_lines(name: str, limit: int | None) -> list[str]:
    lines = (DATA / "text" / name).read_text(encoding="utf-8").splitlines()
    return lines[:limit] if limit else lines


def text_sets(
    engine: Engine, limit: int | None, flores_limit: int | None, only: list[str], keep: Path | None
) -> None:
    print(
        f"\ntext: FLORES-200 devtest (first {flores_limit or 'all'} lines), WMT sets (first "
        f"{limit or 'all'} lines each), engine {engine.label}"
    )
    print(HEADER)
    for name, language, source, references in TEXT_SETS:
        if only and not any(name.startswith(wanted) for wanted in only):
            continue
        cap = flores_limit if name.startswith("flores") else limit
        lines = read_lines(source, cap)
        refs = [read_lines(r, cap) for r in references]
        store = Kept(keep / f"{name.replace(' ', '_')}.tsv", fingerprint(engine, language)) if keep else None
        done = store.load(lines) if store else []
        clock = time.perf_counter()
        hyp = [english for english, _ in done]
        kept = sum(1 for _, why in done if why)
        aligned = len(done)  # a block is kept only when it came back aligned
        for start in range(len(done), len(lines), CHUNK):
            chunk = lines[start : start + CHUNK]
            outcome = engine.run(chunk, Context(source_lang=language, kind="text"))
            hyp += outcome.lines
            kept += sum(1 for why in outcome.fallback if why)
            if len(outcome.lines) == len(chunk):
                aligned += len(chunk)
                if store:
                    store.add(start, chunk, outcome.lines, outcome.fallback)
        row(name, hyp, refs, time.perf_counter() - clock, kept, aligned, new=len(hyp) - len(done))


def fingerprint(engine: Engine, language: str) -> str:
    """The engine's label and, for the local model, hashes of its instructions for a text in
    ``language`` and of the engine's code (any change to how it asks or checks may change the
    English): what a kept file must match to be taken up again."""
    from tolmach.engines import local

    key = f"{engine.label} chunk={CHUNK}/{local.CHUNK}"
    if isinstance(engine, local.LocalEngine):
        system = local.instructions(Context(source_lang=language, kind="text"), [], [], [0])
        code = Path(local.__file__).read_bytes()
        key += f" prompt={hashlib.sha256(system.encode()).hexdigest()[:16]}"
        key += f" code={hashlib.sha256(code).hexdigest()[:16]}"
    return key


class Kept:
    """A set's English so far, in a TSV (line number, fallback reason, source, English), whole blocks
    of ``CHUNK`` lines only, since the engine reads a block as one text."""

    def __init__(self, path: Path, key: str) -> None:
        self.path, self.key = path, key

    def load(self, lines: list[str]) -> list[tuple[str, str]]:
        if (
            not self.path.is_file()
            or self.path.read_text(encoding="utf-8").split("\n", 1)[0] != f"# {self.key}"
        ):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"# {self.key}\n", encoding="utf-8")
            return []
        with open(self.path, encoding="utf-8", newline="") as fp:
            rows = [r for r in csv.reader(fp, delimiter="\t") if r and not r[0].startswith("#")]
        done: list[tuple[str, str]] = []
        for number, why, source, english in rows:
            if int(number) != len(done) or len(done) >= len(lines) or lines[len(done)] != source:
                break
            done.append((english, why))
        done = done[: len(done) - len(done) % CHUNK]
        if len(done) < len(rows):  # a partial or foreign tail: rewrite the file without it
            self.path.write_text(f"# {self.key}\n", encoding="utf-8")
            self.add(0, lines[: len(done)], [e for e, _ in done], [w for _, w in done])
        return done

    def add(self, start: int, sources: list[str], english: Sequence[str], why: Sequence[str]) -> None:
        with open(self.path, "a", encoding="utf-8", newline="") as fp:
            writer = csv.writer(fp, delimiter="\t", lineterminator="\n")
            for n, (source, en, reason) in enumerate(zip(sources, english, why, strict=True)):
                writer.writerow([start + n, reason, source, en])


HEADER = (
    f"{'':24}{'lines':>7}{'chrF':>8}{'BLEU':>8}{'time s':>9}{'s/line':>8}{'Cyrl':>6}{'1:1':>8}{'kept':>6}"
)


def row(
    name: str,
    hyp: list[str],
    refs: list[list[str]],
    took: float,
    kept: int,
    aligned: int,
    new: int | None = None,
) -> None:
    """One line of figures: Cyrl counts English lines with Cyrillic left, 1:1 the share aligned; with
    ``new``, the time is for those lines only (the rest were taken from a kept file)."""
    chrf, bleu = scores(hyp, refs)
    cyrillic = sum(1 for line in hyp if CYRILLIC.search(line))
    share = aligned / len(hyp) if hyp else 1.0
    timed = len(hyp) if new is None else new
    print(
        f"{name:24}{len(hyp):7d}{chrf:8.1f}{bleu:8.1f}{took:9.1f}{took / max(timed, 1):8.2f}"
        f"{cyrillic:6d}{share:8.1%}{kept:6d}"
        + (f"  (time for {timed}; {len(hyp) - timed} from the kept file)" if timed < len(hyp) else "")
    )


def phone(engine: Engine | None, options: Options, limit: int | None) -> None:
    found = clips("ru-phone", limit)
    decoder = WindowDecoder(whisper_model())
    ours = Options(lang="ru", threads=THREADS)
    whisper_lines: list[str] = []
    engine_lines: list[str] = []
    t_whisper = t_engine = 0.0
    fallbacks = lines = 0
    aligned = True
    for clip in found:
        clock = time.perf_counter()
        result = transcribe(load(clip), decoder, ours)
        t_whisper += time.perf_counter() - clock
        whisper_lines.append(" ".join(s.translation for s in result.segments))
        if engine is not None:
            clock = time.perf_counter()
            segments, _ = translate_segments(
                result.segments, "ru", options, engine=engine, whisper="whisper:base"
            )
            t_engine += time.perf_counter() - clock
            engine_lines.append(" ".join(s.translation for s in segments))
            fallbacks += sum(1 for s in segments if "fallback" in s.translated_by)
            lines += len(segments)
            aligned = aligned and len(segments) == len(result.segments)
    refs = [[clip.english for clip in found]]
    print(f"\nru-phone: {len(found)} clips, speech -> tolmach transcript -> English, against the prompts")
    print("(time: Whisper's transcription with its English; then the engine on the transcript's lines)")
    print(HEADER)
    row("whisper base (baseline)", whisper_lines, refs, t_whisper, 0, len(found))
    if engine is not None:
        row(engine.label[:24], engine_lines, refs, t_engine, fallbacks, len(found) if aligned else 0)
        print(f"{'':24}{lines} lines through the engine: {t_engine / max(lines, 1):.2f} s a line")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("local", "llm", "nmt"), default=None)
    parser.add_argument("--local-model", default=None)
    parser.add_argument("--llm-url", default=None)
    parser.add_argument("--llm-model", default=None)
    parser.add_argument("--nmt-model", default=None)
    parser.add_argument("--allow-remote", action="store_true", default=None)
    parser.add_argument("--limit", type=int, default=500, help="lines of each WMT set (0: all)")
    parser.add_argument("--flores-limit", type=int, default=0, help="lines of each FLORES set (0: all)")
    parser.add_argument("--phone-limit", type=int, default=None, help="only the first N ru-phone clips")
    parser.add_argument("--no-phone", action="store_true", help="skip ru-phone (text sets only)")
    parser.add_argument("--sets", default="", help="only these text sets (comma list of name prefixes)")
    parser.add_argument("--keep", type=Path, default=None, help="keep each set's English here and resume")
    args = parser.parse_args()
    overrides = {
        "engine": args.engine,
        "local_model": args.local_model,
        "llm_url": args.llm_url,
        "llm_model": args.llm_model,
        "nmt_model": args.nmt_model,
        "allow_remote": args.allow_remote,
    }
    options = load_options(overrides)
    try:
        engine: Engine | None = text_engine(options)
    except TolmachError:
        engine = None
    if engine is not None:
        options = options.replace(engine=engine.name)
    print(f"text_mt: {THREADS} threads; Whisper base int8, beam 5, language forced to ru")
    with PeakRss().measure() as rss:
        if not args.no_phone:
            phone(engine, options, args.phone_limit)
        if engine is None:
            print(
                "\nskipped: no engine configured (install the local model, or --engine nmt --nmt-model DIR,"
                " or --engine llm --llm-model NAME)"
            )
            return
        only = [name.strip() for name in args.sets.split(",") if name.strip()]
        text_sets(engine, args.limit or None, args.flores_limit or None, only, args.keep)
    print(f"\npeak RSS of this process (Whisper base and the engine loaded): {rss.peak:.0f} MiB")


if __name__ == "__main__":
    main()
