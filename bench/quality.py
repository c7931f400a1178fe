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

from bench.common import THREADS, clips, load, normalise_ru, timed, whisper_model
from tolmach.asr.decoder import WindowDecoder
from tolmach.asr.transcribe import transcribe
from tolmach.options import Options


def run(limit: int | None) -> None:
    import jiwer
    import sacrebleu

    model = whisper_model()
    decoder = WindowDecoder(model)
    options = Options(lang="ru", threads=THREADS)

    refs, ours, raw = [], [], []
    t_ours = t_raw = 0.0
    read = clips("ru-read", limit)
    for clip in read:
        audio = load(clip)
        result, t = timed(transcribe, audio, decoder, options)
        t_ours += t
        (segments, _), t = timed(lambda a=audio: _raw(model, a, "transcribe"))
        t_raw += t
        refs.append(normalise_ru(clip.transcript))
        ours.append(normalise_ru(" ".join(s.text for s in result.segments)))
        raw.append(normalise_ru(segments))
    print(f"ru-read: {len(read)} clips, Whisper base int8, beam 5, {THREADS} threads")
    print(f"{'':24}{'WER':>8}{'CER':>8}{'time s':>9}")
    for name, hyp, t in (("raw faster-whisper", raw, t_raw), ("tolmach", ours, t_ours)):
        print(f"{name:24}{jiwer.wer(refs, hyp):8.3f}{jiwer.cer(refs, hyp):8.3f}{t:9.1f}")

    english_refs, ours_en, raw_en = [], [], []
    t_ours = t_raw = 0.0
    phone = clips("ru-phone", limit)
    for clip in phone:
        audio = load(clip)
        result, t = timed(transcribe, audio, decoder, options)
        t_ours += t
        (text, _), t = timed(lambda a=audio: _raw(model, a, "translate"))
        t_raw += t
        english_refs.append(clip.english)
        ours_en.append(" ".join(s.translation for s in result.segments))
        raw_en.append(text)
    print(f"\nru-phone: {len(phone)} clips, English against the reference prompts")
    print(f"{'':24}{'chrF':>8}{'BLEU':>8}{'time s':>9}  (transcript + translation for tolmach)")
    for name, hyp, t in (("raw faster-whisper", raw_en, t_raw), ("tolmach", ours_en, t_ours)):
        chrf = sacrebleu.corpus_chrf(hyp, [english_refs]).score
        bleu = sacrebleu.corpus_bleu(hyp, [english_refs]).score
        print(f"{name:24}{chrf:8.1f}{bleu:8.1f}{t:9.1f}")


def _raw(model, audio, task: str):  # type: ignore[no-untyped-def]
    segments, info = model.transcribe(audio, language="ru", task=task, beam_size=5)
    return " ".join(s.text.strip() for s in segments), info


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips of each corpus")
    run(parser.parse_args().limit)
