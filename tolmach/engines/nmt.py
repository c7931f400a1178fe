"""Engine ``nmt``: a CTranslate2 translation model on this machine (OPUS-MT/Marian, NLLB, M2M100).

Neural machine translation models are small (OPUS-MT ru-en is 300 MB, int8 75 MB), fast on a CPU and
never leave the machine; CTranslate2 runs them already (it runs Whisper). A model folder is what
``ct2-transformers-converter --copy_files ...`` writes: ``model.bin``, the vocabulary, ``config.json`` and
the SentencePiece files, which tell the model family apart:

- ``source.spm`` + ``target.spm`` (OPUS-MT / Marian): one language pair per model, no language tokens;
- one ``sentencepiece.bpe.model`` (NLLB, M2M100): many languages, chosen by a token on the source
  (``rus_Cyrl`` / ``__ru__``) and a target prefix (``eng_Latn`` / ``__en__``), read from the vocabulary.

Lines are translated in batches; a long line (a paragraph of a post) is cut into sentences first,
because these models were trained on sentences and drop or repeat text in long inputs; its sentences'
translations are joined again, so every input line still gets exactly one output line. A model is loaded
once per process and kept (``_load`` is cached).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tolmach.engines.base import Context, Engine, EngineError
from tolmach.errors import MissingExtraError

if TYPE_CHECKING:
    from tolmach.options import Options

LONG_LINE = 200  # characters: a longer line is translated sentence by sentence
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"“(\[0-9A-ZА-ЯЁІЇЄҐ])")
SINGLE_SPM = ("sentencepiece.bpe.model", "sentencepiece.model", "spm.model")
NLLB_CODES = {
    "ru": "rus_Cyrl", "uk": "ukr_Cyrl", "be": "bel_Cyrl", "en": "eng_Latn", "pl": "pol_Latn",
    "de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn", "ka": "kat_Geor", "kk": "kaz_Cyrl",
    "ar": "arb_Arab", "fa": "pes_Arab", "tr": "tur_Latn", "he": "heb_Hebr", "zh": "zho_Hans",
}  # fmt: skip
CONVERT_HINT = (
    "convert one on a connected machine: ct2-transformers-converter --model Helsinki-NLP/opus-mt-ru-en "
    "--output_dir opus-mt-ru-en-ct2 --quantization int8 --copy_files source.spm target.spm (docs/ENGINES.md)"
)


@dataclass(frozen=True)
class _Model:
    translator: Any  # ctranslate2.Translator
    source: Any  # sentencepiece.SentencePieceProcessor
    target: Any
    family: str  # "marian", "nllb" or "m2m100"
    add_eos: bool  # append </s> to the source (config.json says whether the model does it itself)
    vocabulary: frozenset[str]


class NmtEngine(Engine):
    """A CTranslate2 translation model folder; everything stays on this machine."""

    name = "nmt"
    remote = False

    def __init__(self, options: Options, *, beam_size: int = 4, batch_size: int = 16) -> None:
        self.folder = Path(options.nmt_model).expanduser() if options.nmt_model else None
        self.device = options.device
        self.compute_type = options.compute_type
        self.threads = options.threads
        self.beam_size = beam_size
        self.batch_size = batch_size

    @property
    def label(self) -> str:
        return f"nmt:{self.folder.name if self.folder else '(none)'}"

    def describe(self) -> str:
        return f"CTranslate2 model {self.folder or '(none set: --nmt-model DIR)'} (local)"

    def check(self) -> tuple[bool, str]:
        if self.folder is None:
            return False, "no model folder set (--nmt-model DIR)"
        try:
            model = self._model()
        except (EngineError, MissingExtraError) as exc:
            return False, exc.one_line()
        return True, f"loaded ({model.family})"

    def _model(self) -> _Model:
        if self.folder is None:
            raise EngineError("engine nmt needs a model folder", "pass --nmt-model DIR")
        return _load(str(self.folder.resolve()), self.device, self.compute_type, self.threads)

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        model = self._model()
        prefix, source_token = _language_tokens(model, context.source_lang, self.folder)
        pieces: list[list[str]] = []  # the sentences of every line, in order
        owner: list[int] = []  # which line each sentence belongs to
        for i, line in enumerate(lines):
            for sentence in split_sentences(line):
                tokens = model.source.encode(sentence, out_type=str)
                if source_token:
                    tokens = [source_token, *tokens]
                if model.add_eos:
                    tokens.append("</s>")
                pieces.append(tokens)
                owner.append(i)
        english: list[list[str]] = [[] for _ in lines]
        if pieces:
            results = model.translator.translate_batch(
                pieces,
                target_prefix=[[prefix]] * len(pieces) if prefix else None,
                max_batch_size=self.batch_size,
                beam_size=self.beam_size,
                max_decoding_length=256,
            )
            for i, result in zip(owner, results, strict=True):
                tokens = [t for t in result.hypotheses[0] if t not in (prefix, "</s>", "<pad>")]
                text = model.target.decode(tokens).strip()
                if text:
                    english[i].append(text)
        return [" ".join(parts) for parts in english]


def split_sentences(line: str, limit: int = LONG_LINE) -> list[str]:
    """A line as sentences when it is longer than ``limit`` characters, else the line itself; a blank
    line is no sentence at all (it translates to "")."""
    line = " ".join(line.split())
    if not line:
        return []
    if len(line) <= limit:
        return [line]
    return [s for s in SENTENCE_END.split(line) if s.strip()]


def _language_tokens(model: _Model, source_lang: str, folder: Path | None) -> tuple[str, str]:
    """(target prefix, source token) for a many-language model; ("", "") for a Marian pair."""
    if model.family == "marian":
        return "", ""
    if model.family == "nllb":
        source, target = NLLB_CODES.get(source_lang, ""), NLLB_CODES["en"]
    else:
        source, target = f"__{source_lang}__", "__en__"
    if source not in model.vocabulary:
        raise EngineError(
            f"{folder}: the model has no language token for '{source_lang}'",
            "choose a model that translates this language into English",
        )
    return target, source


@functools.lru_cache(maxsize=2)
def _load(folder: str, device: str, compute_type: str, threads: int) -> _Model:
    """Load a model folder once per process (and per device settings)."""
    path = Path(folder)
    if not path.is_dir():
        raise EngineError(f"{path}: no such model folder", CONVERT_HINT)
    if not (path / "model.bin").is_file():
        raise EngineError(f"{path}: not a CTranslate2 model (no model.bin)", CONVERT_HINT)
    try:
        import ctranslate2
        import sentencepiece
    except ImportError:
        raise MissingExtraError("engine nmt", "nmt") from None
    if (path / "source.spm").is_file() and (path / "target.spm").is_file():
        files, family = (path / "source.spm", path / "target.spm"), "marian"
    else:
        single = next((path / n for n in SINGLE_SPM if (path / n).is_file()), None)
        if single is None:
            raise EngineError(
                f"{path}: no SentencePiece files (source.spm and target.spm, or sentencepiece.bpe.model)",
                "convert again with --copy_files naming them (docs/ENGINES.md)",
            )
        files, family = (single, single), ""
    try:
        source = sentencepiece.SentencePieceProcessor(model_file=str(files[0]))
        target = sentencepiece.SentencePieceProcessor(model_file=str(files[1]))
        translator = ctranslate2.Translator(
            str(path),
            device=device,
            compute_type="default" if compute_type == "auto" else compute_type,
            intra_threads=threads,
        )
    except (RuntimeError, OSError, ValueError) as exc:
        raise EngineError(f"{path}: cannot load the model ({exc})", CONVERT_HINT) from None
    vocabulary = _vocabulary(path)
    if not family:
        family = "nllb" if "eng_Latn" in vocabulary else "m2m100" if "__en__" in vocabulary else ""
        if not family:
            raise EngineError(
                f"{path}: one SentencePiece model but no eng_Latn or __en__ token: not NLLB or M2M100",
                "OPUS-MT models need source.spm and target.spm beside model.bin",
            )
    config = _json(path / "config.json")
    add_eos = not bool(config.get("add_source_eos", False))
    return _Model(translator, source, target, family, add_eos, vocabulary)


def _vocabulary(path: Path) -> frozenset[str]:
    for name in ("shared_vocabulary.json", "source_vocabulary.json"):
        data = _json(path / name)
        if isinstance(data, list):
            return frozenset(map(str, data))
    for name in ("shared_vocabulary.txt", "source_vocabulary.txt"):
        if (path / name).is_file():
            return frozenset(path.joinpath(name).read_text(encoding="utf-8").splitlines())
    return frozenset()


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
