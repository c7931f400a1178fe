"""Transcription and translation quality on real Russian speech, beside raw faster-whisper.

    python bench/quality.py [--limit N]

ru-read (one male reader, clean): WER and CER of the transcript. ru-phone (telephone prompts, 8 kHz):
chrF and BLEU of the English against the English prompts the Russian was translated from. Both
systems use the same model (the shipped Whisper base, int8), the same beam (5) and the language forced
to ru, in this process. Raw faster-whisper runs with its own defaults otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import THREADS, Clip, clips, load, normalise_ru, timed, whisper_model
from tolmach.asr.decoder import WindowDecoder
from tolmach.asr.transcribe import transcribe
from tolmach.options import Options


def run(limit: int | None) -> None:
    import jiwer
    import sacrebleu

    model = whisper_model()
    decoder = WindowDecoder(model)
    options = Options(lang="ru", threads=THREADS)

    read = clips("ru-read", limit)
    ours, raw = _both(read, model, decoder, options, "transcribe")
    refs = [normalise_ru(clip.transcript) for clip in read]
    print(f"ru-read: {len(read)} clips, Whisper base int8, beam 5, {THREADS} threads")
    print(f"{'':24}{'WER':>8}{'CER':>8}{'time s':>9}")
    for name, (texts, t) in (("raw faster-whisper", raw), ("tolmach", ours)):
        hyp = [normalise_ru(text) for text in texts]
        print(f"{name:24}{jiwer.wer(refs, hyp):8.3f}{jiwer.cer(refs, hyp):8.3f}{t:9.1f}")

    phone = clips("ru-phone", limit)
    ours, raw = _both(phone, model, decoder, options, "translate")
    english = [[clip.english for clip in phone]]
    print(f"\nru-phone: {len(phone)} clips, English against the reference prompts")
    print(f"{'':24}{'chrF':>8}{'BLEU':>8}{'time s':>9}  (transcript + translation for tolmach)")
    for name, (hyp, t) in (("raw faster-whisper", raw), ("tolmach", ours)):
        chrf = sacrebleu.corpus_chrf(hyp, english).score
        bleu = sacrebleu.corpus_bleu(hyp, english).score
        print(f"{name:24}{chrf:8.1f}{bleu:8.1f}{t:9.1f}")


def _both(found: list[Clip], model, decoder: WindowDecoder, options: Options, task: str):  # type: ignore[no-untyped-def]
    """Each clip through tolmach (transcript + translation) and raw faster-whisper doing ``task``.

    Returns (texts, total seconds) for each: tolmach's transcript for "transcribe", its English for
    "translate".
    """
    ours: list[str] = []
    raw: list[str] = []
    t_ours = t_raw = 0.0
    for clip in found:
        audio = load(clip)
        result, t = timed(transcribe, audio, decoder, options)
        t_ours += t
        text, t = timed(_raw, model, audio, task)
        t_raw += t
        pick = (lambda s: s.text) if task == "transcribe" else (lambda s: s.translation)
        ours.append(" ".join(pick(s) for s in result.segments))
        raw.append(text)
    return (ours, t_ours), (raw, t_raw)


def _raw(model, audio, task: str) -> str:  # type: ignore[no-untyped-def]
    segments, _ = model.transcribe(audio, language="ru", task=task, beam_size=5)
    return " ".join(s.text.strip() for s in segments)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips of each corpus")
    run(parser.parse_args().limit)
