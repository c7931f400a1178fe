"""Each decoded line's own confidence: the log-probabilities of its own text tokens.

Whisper gives one score per decoded sequence, that is per window; a window's five lines would all show
it. The token probabilities come instead from the word alignment, which faster-whisper already runs
over every window's text. Nothing here decodes or touches audio.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from tolmach.asr.decoder import RawLine

MIN_TOKEN_PROBABILITY = 1e-10  # a token probability rounded to 0 still has a finite log


class ScoringAligner:
    """The WhisperModel as faster-whisper's word alignment uses it, keeping each token's probability.

    The alignment is one teacher-forced decoder pass over each window's text, which yields the
    probability of every text token; faster-whisper keeps only their mean per word. A line's own
    confidence needs them per token, and CTranslate2's beam search does not return them
    (``return_logits_vocab`` comes back empty unless ``beam_size`` is 1); a second alignment pass
    would cost 0.7 s per five windows (measured on ru-read, against 5 s for transcribing them). So
    the aligner is wrapped here, and faster-whisper's own methods (pinned version) run on this
    object: they use only ``model.align``, ``frames_per_second``, ``tokens_per_second`` and each
    other (tests/test_confidence.py checks the figures against an alignment pass of its own).
    """

    def __init__(self, model: WhisperModel) -> None:
        self._whisper = model.model
        self.model = self  # faster-whisper calls self.model.align
        self.frames_per_second = model.frames_per_second
        self.tokens_per_second = model.tokens_per_second
        self.probabilities: list[list[float]] = []  # per window aligned, per text token

    def align(self, *args: Any, **kwargs: Any) -> Any:
        results = self._whisper.align(*args, **kwargs)
        self.probabilities.extend([float(p) for p in r.text_token_probs] for r in results)
        return results

    def find_alignment(self, *args: Any, **kwargs: Any) -> Any:
        from faster_whisper import WhisperModel

        return WhisperModel.find_alignment(self, *args, **kwargs)

    def add_word_timestamps(self, *args: Any) -> Any:
        from faster_whisper import WhisperModel

        return WhisperModel.add_word_timestamps(self, *args)


def score_lines(lines: list[RawLine], probabilities: list[float]) -> None:
    """Give each line of one window the log probabilities of its own text tokens, in order."""
    if len(probabilities) != sum(len(line.tokens) for line in lines):
        return  # not the tokens we aligned: keep the window's figure rather than misattribute
    offset = 0
    for line in lines:
        own = probabilities[offset : offset + len(line.tokens)]
        offset += len(line.tokens)
        if own:
            line.token_logprobs = [math.log(max(p, MIN_TOKEN_PROBABILITY)) for p in own]
            line.avg_logprob = sum(line.token_logprobs) / len(own)
