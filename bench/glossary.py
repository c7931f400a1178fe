"""What the glossary costs and changes: hotwords in the decoder prompt, notes in the English.

    python bench/glossary.py [--limit N]

ru-read (one male reader, clean speech, no war slang): WER, CER and time of the transcript with and
without the glossary's terms given to the decoder as prior text (``Options.hotwords``), in this process.
These recordings hold none of the terms, so this measures only the price (time, and any words the
prompt pulls the wrong way); whether the terms are then recognised needs recordings that say them.
ru-phone: chrF of the English with and without the glossary's notes, and how many lines they touched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import THREADS, clips, load, normalise_ru, timed, whisper_model
from tolmach.asr.decoder import WindowDecoder
from tolmach.asr.transcribe import transcribe
from tolmach.options import Options
from tolmach.translate import builtin_glossary


def run(limit: int | None) -> None:
    import jiwer
    import sacrebleu

    glossary = builtin_glossary()
    decoder = WindowDecoder(whisper_model())
    options = Options(lang="ru", threads=THREADS)
    read = clips("ru-read", limit)
    refs = [normalise_ru(c.transcript) for c in read]
    print(f"ru-read: {len(read)} clips, Whisper base int8, beam 5, {THREADS} threads")
    print(f"hotwords: {glossary.hotwords('ru')!r}")
    print(f"{'':24}{'WER':>8}{'CER':>8}{'time s':>9}")
    results = {}
    for name, hotwords in (("without hotwords", None), ("with hotwords", glossary.hotwords)):
        texts, total = [], 0.0
        for clip in read:
            result, t = timed(transcribe, load(clip), decoder, options, None, hotwords)
            total += t
            texts.append(normalise_ru(" ".join(s.text for s in result.segments)))
        results[name] = total
        print(f"{name:24}{jiwer.wer(refs, texts):8.3f}{jiwer.cer(refs, texts):8.3f}{total:9.1f}")
    print(f"time ratio with/without: {results['with hotwords'] / results['without hotwords']:.2f}x")

    phone = clips("ru-phone", limit)
    plain, glossed, touched = [], [], 0
    for clip in phone:
        segments = transcribe(load(clip), decoder, options).segments
        after = glossary.apply(segments, "ru")
        touched += sum(1 for a, b in zip(segments, after, strict=True) if a != b)
        plain.append(" ".join(s.translation for s in segments))
        glossed.append(" ".join(s.translation for s in after))
    english = [[c.english for c in phone]]
    print(f"\nru-phone: {len(phone)} clips; glossary changed {touched} lines")
    for name, hyp in (("without glossary", plain), ("with glossary", glossed)):
        print(f"{name:24}chrF {sacrebleu.corpus_chrf(hyp, english).score:5.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips of each corpus")
    run(parser.parse_args().limit)
