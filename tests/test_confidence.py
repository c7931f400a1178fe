"""Each line's confidence is its own: computed from its own tokens and words, not its window's.

The sample clip is one 28.6 s window that Whisper cuts into six lines; they used to share the window's
avg_logprob (-0.27 on all six). The decoder now takes every text token's probability from the word
alignment's teacher-forced pass, and a line's avg_logprob is the mean log-probability of its tokens.
The end-to-end checks run the real model on the real clip; the unit checks build lines by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tolmach.asr.decoder import (
    DecodeSettings,
    RawLine,
    RawWord,
    WindowDecoder,
    _join,
    load_whisper,
    reconcile,
)
from tolmach.asr.scoring import score_lines
from tolmach.asr.transcribe import _to_segments, transcribe
from tolmach.asr.windows import (
    SAMPLE_RATE,
    VAD_FRAME,
    Region,
    Window,
    pack_windows,
    speech_probabilities,
    speech_regions,
)
from tolmach.options import Options


@pytest.fixture(scope="module")
def decoder() -> WindowDecoder:
    from tolmach.asr.models import resolve_model

    return WindowDecoder(load_whisper(resolve_model("base").path, "cpu", "int8", 2))


@pytest.fixture(scope="module")
def windows(sample_audio: np.ndarray) -> list[Window]:
    probs = speech_probabilities(sample_audio)
    return pack_windows(speech_regions(probs, len(sample_audio) * 1000 // 16000))


def test_the_lines_of_one_window_have_their_own_confidence(
    sample_audio: np.ndarray, decoder: WindowDecoder, windows: list[Window]
) -> None:
    assert len(windows) == 1  # tests/data/README.md: one window, so every line shares it
    result = transcribe(sample_audio, decoder, Options(lang="ru"))
    figures = [s.avg_logprob for s in result.segments]
    assert len(figures) >= 5
    assert len(set(figures)) == len(figures), figures
    assert all(-1.0 < f < 0.0 for f in figures), figures  # clean read speech: none is low-confidence
    for s in result.segments:
        assert s.min_word_probability == round(min(w.probability for w in s.words), 4)


def test_a_line_scores_exactly_its_own_tokens(
    sample_audio: np.ndarray, decoder: WindowDecoder, windows: list[Window]
) -> None:
    lines, _ = decoder.decode(sample_audio, windows, DecodeSettings(language="ru"))
    assert lines
    for line in lines:
        assert len(line.token_logprobs) == len(line.tokens) > 0
        assert line.avg_logprob == pytest.approx(sum(line.token_logprobs) / len(line.tokens))
    # the same figures, computed independently: one alignment pass over the window's whole text
    tokenizer = decoder._tokenizer("ru")
    encoded = decoder.encode(sample_audio, windows)
    text = [t for line in lines for t in line.tokens]
    frames = int(np.ceil(windows[0].duration / 1000) * decoder.model.frames_per_second)
    [aligned] = decoder.model.model.align(encoded, tokenizer.sot_sequence, [text], [frames])
    expected = [math.log(max(p, 1e-10)) for p in aligned.text_token_probs]
    assert [p for line in lines for p in line.token_logprobs] == pytest.approx(expected, abs=1e-6)


# -- by hand -----------------------------------------------------------------------------------------

WINDOW = Window((Region(0, 10_000),))


def piece(start: int, end: int, logprobs: list[float], window_figure: float = -0.27) -> RawLine:
    return RawLine(
        window=WINDOW,
        start=start,
        end=end,
        text=f"слово{start}",
        words=[RawWord(start, end, f" слово{start}", 0.9)],
        avg_logprob=window_figure,
        tokens=list(range(len(logprobs))),
        token_logprobs=logprobs,
    )


def test_joined_pieces_weigh_each_token_once() -> None:
    joined = _join([piece(0, 1000, [-0.1, -0.3]), piece(1000, 2000, [-1.1])], "one line")
    assert joined.avg_logprob == pytest.approx(-0.5)  # (-0.1 - 0.3 - 1.1) / 3, not the pieces' mean
    assert joined.token_logprobs == [-0.1, -0.3, -1.1]
    assert len(joined.tokens) == 3


def test_reconciled_lines_keep_their_own_figures() -> None:
    source = [piece(0, 2000, [-0.1]), piece(2000, 4000, [-2.0, -2.0])]
    english = [piece(0, 2000, [-0.5]), piece(2000, 4000, [-0.5])]
    lines = reconcile(source, english, 1500)
    assert [line.avg_logprob for line in lines] == [pytest.approx(-0.1), pytest.approx(-2.0)]


def test_unscored_pieces_keep_the_window_figure() -> None:
    joined = _join([piece(0, 1000, [], -0.27), piece(1000, 2000, [], -0.27)], "x")
    assert joined.avg_logprob == -0.27


def test_probabilities_that_do_not_fit_the_lines_are_not_used() -> None:
    lines = [piece(0, 1000, [], -0.27), piece(1000, 2000, [], -0.27)]
    for line in lines:
        line.tokens = [1, 2]
    score_lines(lines, [0.5, 0.5, 0.5])  # three probabilities for four tokens
    assert [line.avg_logprob for line in lines] == [-0.27, -0.27]
    assert all(not line.token_logprobs for line in lines)
    score_lines(lines, [0.5, 0.5, 1.0, 0.0])
    assert lines[0].avg_logprob == pytest.approx(math.log(0.5))
    assert lines[1].avg_logprob == pytest.approx(math.log(1e-10) / 2)  # a zero is finite, not -inf


def test_the_guard_flags_only_the_unsure_line_of_a_window() -> None:
    lines = [piece(0, 2000, [-0.2, -0.1]), piece(2000, 4000, [-1.6, -1.4])]
    for line in lines:
        line.avg_logprob = sum(line.token_logprobs) / len(line.token_logprobs)
        line.translation = "some English"
    probs = np.full(4000 * SAMPLE_RATE // 1000 // VAD_FRAME + 1, 0.95, dtype=np.float32)  # 4 s of speech
    clear, unsure = _to_segments(lines, probs)
    assert (clear.avg_logprob, clear.flags) == (-0.15, ())
    assert (unsure.avg_logprob, [f.kind for f in unsure.flags]) == (-1.5, ["low-confidence"])
