"""A tiny real translation model for tests: a Marian transformer with random weights (about 11,000
parameters), a SentencePiece vocabulary trained on a few dozen sentences, converted with CTranslate2's own
converter. Its English is noise; what it proves is that the real loading, tokenising, batching and
decoding code runs and keeps one output line per input line."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

RU = [
    "Мы стояли под Бахмутом три недели.",
    "Командир роты сказал, что в Бахмуте тихо.",
    "Мобиков отправили на штурм без подготовки.",
    "Из Бахмута нас вывели в апреле.",
    "Ёлки, опять обстрел.",
    "Утром 12 мая в Харькове прогремели взрывы.",
    "Подробности позже.",
    "Связь пропала на два часа.",
]
EN = [
    "We stood near Bakhmut for three weeks.",
    "The company commander said it was quiet in Bakhmut.",
    "The mobiks were sent to assault without training.",
    "We were withdrawn from Bakhmut in April.",
    "Damn, shelling again.",
    "On the morning of May 12 explosions were heard in Kharkiv.",
    "Details later.",
    "The connection was lost for two hours.",
]


def build_marian(folder: Path) -> Path:
    """Build and convert the model under ``folder``; returns the CTranslate2 model folder."""
    with warnings.catch_warnings():  # transformers: "Recommended: pip install sacremoses" (not needed here)
        warnings.simplefilter("ignore", UserWarning)
        return _build(folder)


def _build(folder: Path) -> Path:
    import ctranslate2.converters
    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    work = folder / "work"
    hf = folder / "hf"
    work.mkdir(parents=True)
    hf.mkdir()
    for name, sentences in (("source", RU), ("target", EN)):
        text = work / f"{name}.txt"
        text.write_text("\n".join(sentences * 4), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(text), model_prefix=str(work / name), vocab_size=80, model_type="unigram",
            character_coverage=1.0, bos_id=-1, eos_id=1, unk_id=2, pad_id=0, minloglevel=2,
            hard_vocab_limit=False,
        )  # fmt: skip
        shutil.copy(work / f"{name}.model", hf / f"{name}.spm")
    # Marian's vocabulary: </s> first, <pad> last (the converter drops the last <pad>)
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("source", "target"):
        sp = spm.SentencePieceProcessor(model_file=str(hf / f"{name}.spm"))
        for i in range(sp.get_piece_size()):
            vocab.setdefault(sp.id_to_piece(i), len(vocab))
    vocab.pop("<pad>", None)
    vocab = {k: i for i, k in enumerate(vocab)}
    vocab["<pad>"] = len(vocab)
    (hf / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(hf / "source.spm"),
        str(hf / "target.spm"),
        str(hf / "vocab.json"),
        source_lang="ru",
        target_lang="en",
    )
    tokenizer.save_pretrained(hf)
    n = len(vocab)
    config = MarianConfig(
        vocab_size=n, decoder_vocab_size=n, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_position_embeddings=256, pad_token_id=n - 1, eos_token_id=0, decoder_start_token_id=n - 1,
        forced_eos_token_id=0, share_encoder_decoder_embeddings=True,
    )  # fmt: skip
    MarianMTModel(config).save_pretrained(hf)
    out = folder / "opus-mt-tiny-ru-en"
    converter = ctranslate2.converters.TransformersConverter(str(hf), copy_files=["source.spm", "target.spm"])
    converter.convert(str(out), force=True)
    return out
