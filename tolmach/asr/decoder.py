"""Whisper decoding of packed windows: transcript, word timings and English, one encoder pass.

What this adds to faster-whisper, and why it is not just ``WhisperModel.transcribe`` twice:

* Windows are decoded in batches (``generate`` over several windows at once): on a CPU the decoder,
  not the encoder, is where the time goes, and batching it is what pays (see docs/ARCHITECTURE.md).
* The encoder runs once per window and both tasks are decoded from it in the same ``generate`` call:
  the transcript with timestamps, and the English translation with timestamps.
* The two segmentations are then reconciled: a cut between two lines is kept only where both the
  transcript and the translation cut (within ``cut_tolerance_ms``). So every line has exactly one
  English line, from the same speech, and every English piece belongs to exactly one line; where
  the two disagree the line is simply longer. The translation's timestamps are coarse, so at a cut a
  few English words can sit in the neighbouring line. (Translating each line from a masked encoder
  output was tried: exact, but short fragments translated alone turned into stock hallucinations.)
* What Whisper leaves unfinished at the end of a window is handed back as a tail (see ``decode``).

Pieces of faster-whisper used as they are (pinned version, see pyproject): the model loader, feature
extractor, tokenizer and word alignment. Never call ffmpeg here; audio arrives as 16 kHz float32
samples.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tolmach.asr.guard import compression_ratio
from tolmach.asr.scoring import ScoringAligner, score_lines
from tolmach.asr.windows import Window

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

FRAMES_PER_SECOND = 50  # encoder output frames per second of audio
TIMESTAMP_MS = 20  # one Whisper timestamp token step
LOOP_COMPRESSION = 2.4  # gzip ratio above which Whisper's output is a repetition loop
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6, 0.8)
FALLBACK_SEED = 20_240_224
MIN_TAIL_MS = 300  # a shorter rest of a window after Whisper stopped is not decoded again
LANGUAGE_WINDOWS = 3  # detection averages over this many windows
PREPEND_PUNCTUATION = "\"'“¿([{-«"
APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、»"


@dataclass(frozen=True)
class DecodeSettings:
    """How to decode; built from Options by the pipeline."""

    language: str
    beam_size: int = 5
    no_repeat_ngram_size: int = 5
    translate: bool = True
    hotwords: str = ""  # terms the transcription should recognise (the glossary's), as prior text
    cut_tolerance_ms: int = 1500  # how far apart the transcript's and translation's cuts may be


@dataclass
class RawWord:
    start: int  # ms in the window's own time
    end: int
    text: str
    probability: float


@dataclass
class RawLine:
    """A line decoded from one window, times still in window time."""

    window: Window
    start: int
    end: int
    text: str
    words: list[RawWord] = field(default_factory=list)
    avg_logprob: float = 0.0  # the window's until the line's own tokens are scored (``_add_words``)
    no_speech_prob: float = 0.0  # the window's: Whisper gives it once, before the first token
    translation: str = ""
    tokens: list[int] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)  # one per text token, when scored


@functools.lru_cache(maxsize=2)
def load_whisper(path: str, device: str, compute_type: str, threads: int) -> WhisperModel:
    """Load a CTranslate2 Whisper model once per process (workers call this in their initializer)."""
    from faster_whisper import WhisperModel

    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads, num_workers=1)


class WindowDecoder:
    """Decodes batches of windows with one loaded model."""

    def __init__(self, model: WhisperModel) -> None:
        self.model = model

    def detect_language(self, samples: np.ndarray, windows: Sequence[Window]) -> tuple[str, float]:
        """Most likely language over the first (up to three) windows, with its mean probability."""
        return self.language_of(self.encode(samples, windows[:LANGUAGE_WINDOWS]))

    def language_of(self, encoded: ctranslate2.StorageView) -> tuple[str, float]:
        """Most likely language of (up to three) encoded windows, with its mean probability.

        One decoder step on an encoder output that decoding computes anyway: this is how a forced
        language is checked against the speech at no real cost.
        """
        from ctranslate2 import StorageView

        if encoded.shape[0] > LANGUAGE_WINDOWS:
            encoded = StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[:LANGUAGE_WINDOWS]))
        rankings = self.model.model.detect_language(encoded)
        totals: dict[str, float] = {}
        for ranking in rankings:
            for token, prob in ranking:
                code = token[2:-2]  # "<|ru|>"
                totals[code] = totals.get(code, 0.0) + prob / len(rankings)
        code, prob = max(totals.items(), key=lambda kv: kv[1])
        return code, prob

    def encode(self, samples: np.ndarray, windows: Sequence[Window]) -> ctranslate2.StorageView:
        """The encoder output of ``windows`` (on the CPU), for ``decode`` and ``language_of``."""
        return self.model.model.encode(self._features(samples, windows), to_cpu=True)

    def decode(
        self,
        samples: np.ndarray,
        windows: Sequence[Window],
        settings: DecodeSettings,
        encoded: ctranslate2.StorageView | None = None,
    ) -> tuple[list[RawLine], list[Window | None]]:
        """Transcribe (and translate) a batch of windows.

        Returns the lines, and for each window its *tail* still to decode, or None: Whisper, trained on
        a stream cut into 30 s pieces, often stops at ``<|t|><|t|>`` when it thinks the last sentence
        runs past the window, leaving the rest to the next window. The caller puts the tail in front
        of the next window of the same stretch of audio, as faster-whisper's sequential loop does
        when it seeks to ``t``. ``encoded`` is ``encode(samples, windows)`` when the caller has it.
        """
        from ctranslate2 import StorageView

        tokenizer = self._tokenizer(settings.language)
        if encoded is None:
            encoded = self.encode(samples, windows)
        translating = settings.translate and settings.language != "en"
        context = self._context(tokenizer, settings.hotwords)
        prompts = [[*context, *tokenizer.sot_sequence]] * len(windows)
        features = encoded
        if translating:
            # both tasks in one batch: the decoder, not the encoder, is the cost, and batching pays
            prompts += [[tokenizer.sot, tokenizer.language, tokenizer.translate]] * len(windows)
            array = np.asarray(encoded)
            features = StorageView.from_array(np.ascontiguousarray(np.concatenate([array, array])))
        results = self._generate(features, prompts, tokenizer, settings, beam_size=settings.beam_size)
        self._retry_loops(features, prompts, results, tokenizer, settings)
        per_window = [self._split(tokenizer, w, r) for w, r in zip(windows, results, strict=False)]
        self._add_words(tokenizer, encoded, windows, per_window)
        lines: list[RawLine] = []
        tails: list[Window | None] = []
        for i, (window, pieces) in enumerate(zip(windows, per_window, strict=True)):
            english: list[RawLine] = []
            english_cut = None
            if translating:
                english_result = results[len(windows) + i]
                english = self._split(tokenizer, window, english_result)
                english_cut = unfinished_at(english_result.sequences_ids[0], tokenizer.timestamp_begin)
            source_cut = unfinished_at(results[i].sequences_ids[0], tokenizer.timestamp_begin)
            rest_from = tail_start(
                window,
                pieces,
                english if translating else None,
                source_cut,
                english_cut,
                settings.cut_tolerance_ms,
            )
            tail = None
            if rest_from is not None:
                tail = window.after(rest_from)
                pieces = [p for p in pieces if p.start < rest_from]
                english = [e for e in english if (e.start + e.end) // 2 < rest_from]
            if translating:
                lines.extend(reconcile(pieces, english, settings.cut_tolerance_ms))
            else:
                lines.extend(_join([p], p.text if settings.translate else "") for p in pieces)
            tails.append(tail)
        return lines, tails

    # -- steps ---------------------------------------------------------------------------------

    def _generate(
        self,
        features: ctranslate2.StorageView,
        prompts: list[list[int]],
        tokenizer: Tokenizer,
        settings: DecodeSettings,
        **sampling: Any,
    ) -> list[Any]:
        """One ``generate`` call per group of prompts whose <|startoftranscript|> is at the same place.

        CTranslate2 requires that within a batch; prompts differ only when hotwords give the
        transcription a context that the translation does not get.
        """
        from ctranslate2 import StorageView

        groups: dict[int, list[int]] = {}
        for i, prompt in enumerate(prompts):
            groups.setdefault(prompt.index(tokenizer.sot), []).append(i)
        if len(groups) == 1:
            return self._generate_batch(features, prompts, tokenizer, settings, **sampling)
        array = np.asarray(features)
        results: list[Any] = [None] * len(prompts)
        for members in groups.values():
            part = StorageView.from_array(np.ascontiguousarray(array[members]))
            batch = self._generate_batch(part, [prompts[i] for i in members], tokenizer, settings, **sampling)
            for i, result in zip(members, batch, strict=True):
                results[i] = result
        return results

    def _generate_batch(
        self,
        features: ctranslate2.StorageView,
        prompts: list[list[int]],
        tokenizer: Tokenizer,
        settings: DecodeSettings,
        **sampling: Any,
    ) -> list[Any]:
        return list(
            self.model.model.generate(
                features,
                prompts,
                no_repeat_ngram_size=settings.no_repeat_ngram_size,
                suppress_tokens=_suppressed(tokenizer),
                max_initial_timestamp_index=FRAMES_PER_SECOND,  # first timestamp within 1 s
                return_scores=True,
                return_no_speech_prob=True,
                **sampling,
            )
        )

    def _retry_loops(
        self,
        features: ctranslate2.StorageView,
        prompts: list[list[int]],
        results: list[Any],
        tokenizer: Tokenizer,
        settings: DecodeSettings,
    ) -> None:
        """Decode again, sampling at rising temperatures, any output caught in a repetition loop.

        Whisper's own fallback, kept for the rare loop that no_repeat_ngram_size lets through ("his
        eyes are blue, his eyes are gray, his eyes are ..."); the seed is fixed so runs repeat.
        """
        import ctranslate2

        ratio = [_compression(tokenizer, r) for r in results]
        looping = [i for i, r in enumerate(ratio) if r > LOOP_COMPRESSION]
        array = np.asarray(features) if looping else None
        for temperature in FALLBACK_TEMPERATURES:
            if not looping or array is None:
                return
            ctranslate2.set_random_seed(FALLBACK_SEED)
            again = self._generate(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(array[looping])),
                [prompts[i] for i in looping],
                tokenizer,
                settings,
                beam_size=1,
                sampling_topk=0,
                sampling_temperature=temperature,
            )
            for i, result in zip(looping, again, strict=True):
                if _compression(tokenizer, result) < ratio[i]:
                    results[i], ratio[i] = result, _compression(tokenizer, result)
            looping = [i for i in looping if ratio[i] > LOOP_COMPRESSION]

    def _context(self, tokenizer: Tokenizer, hotwords: str) -> list[int]:
        """Hotwords as "previous text" before the transcription's task tokens, as faster-whisper gives them.

        Only the transcription gets them: in front of the translation prompt, words in the original
        language make Whisper answer in that language (measured on the sample clip: the "English" came
        out in Russian).
        """
        if not hotwords.strip():
            return []
        room = self.model.max_length // 2 - 1  # Whisper keeps at most 223 tokens of previous text
        return [tokenizer.sot_prev, *tokenizer.encode(" " + hotwords.strip())[-room:]]

    def _tokenizer(self, language: str) -> Tokenizer:
        from faster_whisper.tokenizer import Tokenizer

        return Tokenizer(
            self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language
        )

    def _features(self, samples: np.ndarray, windows: Sequence[Window]) -> ctranslate2.StorageView:
        from ctranslate2 import StorageView
        from faster_whisper.audio import pad_or_trim

        extractor = self.model.feature_extractor
        stacked = np.stack([pad_or_trim(extractor(w.audio(samples))[..., :-1]) for w in windows])
        return StorageView.from_array(np.ascontiguousarray(stacked))

    def _split(self, tokenizer: Tokenizer, window: Window, result: Any) -> list[RawLine]:
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)  # length_penalty is 1
        lines = []
        for start, end, text_tokens in split_by_timestamps(tokens, tokenizer.timestamp_begin, tokenizer.eot):
            text = tokenizer.decode(text_tokens).strip()
            if text:
                start = min(start, window.duration - 1)
                lines.append(
                    RawLine(
                        window=window,
                        start=start,
                        end=max(start + 1, min(end if end is not None else window.duration, window.duration)),
                        text=text,
                        avg_logprob=avg_logprob,
                        no_speech_prob=result.no_speech_prob,
                        tokens=text_tokens,
                    )
                )
        return lines

    def _add_words(
        self,
        tokenizer: Tokenizer,
        encoded: ctranslate2.StorageView,
        windows: Sequence[Window],
        per_window: list[list[RawLine]],
    ) -> None:
        """Word timings by cross-attention alignment (faster-whisper's DTW), one call for the batch.

        The same pass scores every text token; each line's ``avg_logprob`` is then the mean log
        probability of its own tokens, not its window's (five lines of one window used to share it).
        """
        segments: list[list[dict[str, Any]]] = [
            [
                {"tokens": line.tokens, "start": line.start / 1000, "end": line.end / 1000, "seek": 0}
                for line in lines
            ]
            for lines in per_window
        ]
        keep = [i for i, s in enumerate(segments) if s]
        if not keep:
            return
        from ctranslate2 import StorageView

        # the aligner wants one encoder output per window that has lines: copy only when some have none
        subset = (
            encoded
            if len(keep) == len(windows)
            else StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[keep]))
        )
        wanted = [segments[i] for i in keep]
        sizes = [int(np.ceil(windows[i].duration / 1000) * self.model.frames_per_second) for i in keep]
        aligner = ScoringAligner(self.model)
        aligner.add_word_timestamps(
            wanted, tokenizer, subset, sizes, PREPEND_PUNCTUATION, APPEND_PUNCTUATION, 0.0
        )
        for i, probabilities in zip(keep, aligner.probabilities, strict=True):
            score_lines(per_window[i], probabilities)
        for i, segs in zip(keep, wanted, strict=True):
            for line, seg in zip(per_window[i], segs, strict=True):
                duration = line.window.duration
                line.words = [
                    RawWord(
                        min(round(w["start"] * 1000), duration),
                        min(round(w["end"] * 1000), duration),
                        w["word"],
                        float(w["probability"]),
                    )
                    for w in seg.get("words", [])
                ]
                if line.words:
                    line.start, line.end = (
                        line.words[0].start,
                        max(line.words[-1].end, line.words[0].start + 1),
                    )


def _suppressed(tokenizer: Tokenizer) -> list[int]:
    from faster_whisper.transcribe import get_suppressed_tokens

    return list(get_suppressed_tokens(tokenizer, [-1]) or ())


def _compression(tokenizer: Tokenizer, result: Any) -> float:
    return compression_ratio(tokenizer.decode([t for t in result.sequences_ids[0] if t < tokenizer.eot]))


def tail_start(
    window: Window,
    pieces: list[RawLine],
    english: list[RawLine] | None,
    source_cut: int | None,
    english_cut: int | None,
    tolerance_ms: int,
) -> int | None:
    """Where the part of the window to decode again begins, or None when both tasks finished.

    The window is cut at the start of a transcript piece before either task's unfinished point,
    preferring the last place where the translation cuts too (so no English sentence is torn in two
    by the cut), else before the last finished piece, so that the sentence Whisper left open is
    decoded whole, with what follows, in both tasks, once. When no piece is finished before the cut,
    only the audio after the transcript's cut goes again (a tail equal to the whole window would
    never end).
    """
    cuts = [c for c in (source_cut, english_cut) if c is not None and window.duration - c >= MIN_TAIL_MS]
    if not cuts:
        return None
    limit = min(cuts) + TIMESTAMP_MS
    starts = [p.start for p in pieces[1:] if p.start > 0 and p.start <= limit]
    if english is not None:
        english_cuts = [e.end for e in english] + [e.start for e in english]
        agreed = [b for b in starts if any(abs(b - c) <= tolerance_ms for c in english_cuts)]
        if agreed:
            return agreed[-1]
    finished = sum(1 for p in pieces if p.end <= limit)
    if finished >= 2:
        finished -= 1
    if 0 < finished < len(pieces) and pieces[finished].start > 0:
        return pieces[finished].start
    return source_cut if source_cut in cuts else None


def unfinished_at(tokens: Sequence[int], timestamp_begin: int) -> int | None:
    """Window time (ms) where Whisper opened a segment and stopped (``... <|t|><|t|>``), else None."""
    if len(tokens) >= 2 and tokens[-1] >= timestamp_begin and tokens[-2] >= timestamp_begin:
        cut = (tokens[-1] - timestamp_begin) * TIMESTAMP_MS
        return cut if cut > 0 else None  # at 0 nothing was decoded: decoding it again would loop
    return None


def split_by_timestamps(
    tokens: Sequence[int], timestamp_begin: int, eot: int
) -> list[tuple[int, int | None, list[int]]]:
    """Cut ``<|t0|> text <|t1|><|t1|> text <|t2|> ...`` into (start ms, end ms, text tokens).

    Unlike faster-whisper's splitter, which drops an unfinished last piece because its sequential
    decoder will see that audio again in the next window, a trailing piece without a closing timestamp
    is kept here (end None: the end of the window). Our windows do not overlap, so nothing else would.
    """
    pieces: list[tuple[int, int | None, list[int]]] = []
    start, text = 0, list[int]()
    for token in tokens:
        if token >= timestamp_begin:
            time = (token - timestamp_begin) * TIMESTAMP_MS
            if text:
                pieces.append((start, time, text))
                text = []
            start = time
        elif token < eot:
            text.append(token)
    if text:
        pieces.append((start, None, text))
    return pieces


def reconcile(source: list[RawLine], english: list[RawLine], tolerance_ms: int) -> list[RawLine]:
    """Join transcript pieces into lines whose cuts the translation shares; give each its English.

    ``source`` and ``english`` are the two tasks' segments of one window, in window time. A cut between
    source pieces is kept when an English cut lies within ``tolerance_ms`` of it. Each English piece
    goes to the line holding its midpoint; a line left without English joins the line before it.
    An English piece that only says again what the piece before it said is dropped first (Whisper's
    translate task repeats a sentence across its own cut, and the repeat then bleeds into the next line).
    """
    if not source:
        return []
    english = _without_repeats(english)
    # the translation cuts where one of its segments ends or the next begins (they may leave a gap)
    english_cuts = [e.end for e in english[:-1]] + [e.start for e in english[1:]]
    groups: list[list[RawLine]] = [[source[0]]]
    for piece in source[1:]:
        cut = groups[-1][-1].end
        if any(abs(c - cut) <= tolerance_ms for c in english_cuts):
            groups.append([piece])
        else:
            groups[-1].append(piece)
    texts: list[list[str]] = [[] for _ in groups]
    for e in english:
        texts[_owner(groups, (e.start + e.end) // 2)].append(e.text)
    lines: list[tuple[list[RawLine], list[str]]] = []
    waiting: list[RawLine] = []  # leading groups with no English, joined to the first that has some
    for group, text in zip(groups, texts, strict=True):
        if text:
            lines.append((waiting + group, text))
            waiting = []
        elif lines:
            lines[-1][0].extend(group)
        else:
            waiting.extend(group)
    if waiting:  # no English at all for this window: one line, flagged later as untranslated
        lines.append((waiting, []))
    return [_join(group, " ".join(text)) for group, text in lines]


REPEAT_WORDS = 3  # a repeat this many words long, or more, is a repeat and not a turn of phrase


def _without_repeats(english: list[RawLine]) -> list[RawLine]:
    """The English pieces with repeats taken out: a piece whose words the piece before already ends
    with (all of them, or a leading run of at least REPEAT_WORDS) loses those words, and goes when
    nothing is left; its time then belongs to the piece before."""
    kept: list[RawLine] = []
    for piece in english:
        if kept:
            said = _words(kept[-1].text)
            words = piece.text.split()
            run = _repeated_run(said, _words(piece.text))
            if run == len(words):
                kept[-1] = dataclasses.replace(kept[-1], end=max(kept[-1].end, piece.end))
                continue
            if run >= REPEAT_WORDS:
                piece = dataclasses.replace(piece, text=" ".join(words[run:]))
        kept.append(piece)
    return kept


def _words(text: str) -> list[str]:
    return ["".join(c for c in w.lower() if c.isalnum()) for w in text.split()]


def _repeated_run(said: list[str], words: list[str]) -> int:
    """How many of ``words``, from the first, the end of ``said`` already holds (0 when none)."""
    for n in range(min(len(said), len(words)), 0, -1):
        if said[-n:] == words[:n] and (n >= REPEAT_WORDS or n == len(words)):
            return n
    return 0


def _owner(groups: list[list[RawLine]], t: int) -> int:
    """Index of the group whose span holds time t, else the nearest."""

    def distance(i: int) -> int:
        start, end = groups[i][0].start, groups[i][-1].end
        return 0 if start <= t < end else min(abs(t - start), abs(t - end))

    return min(range(len(groups)), key=distance)


def _join(group: list[RawLine], translation: str) -> RawLine:
    first = group[0]
    scored = [p for line in group for p in line.token_logprobs]
    return RawLine(
        window=first.window,
        start=first.start,
        end=group[-1].end,
        text=" ".join(p.text for p in group),
        words=[w for p in group for w in p.words],
        # the mean over every token of the joined pieces, so a long piece weighs more than a short one
        avg_logprob=sum(scored) / len(scored) if scored else first.avg_logprob,
        no_speech_prob=first.no_speech_prob,
        translation=translation,
        tokens=[t for p in group for t in p.tokens],
        token_logprobs=scored,
    )
