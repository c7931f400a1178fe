"""Splitting Whisper's token stream, and what part of a window is decoded again (exact)."""

from __future__ import annotations

from tolmach.asr.decoder import RawLine, split_by_timestamps, tail_start, unfinished_at
from tolmach.asr.windows import Region, Window

TS = 50365  # the first timestamp token of the multilingual vocabulary: <|0.00|>
EOT = 50257
WINDOW = Window((Region(0, 28_000),))


def ts(seconds: float) -> int:
    return TS + round(seconds / 0.02)


def piece(start: int, end: int) -> RawLine:
    return RawLine(window=WINDOW, start=start, end=end, text=f"{start}")


def test_split_keeps_an_unclosed_last_piece() -> None:
    tokens = [ts(0), 11, 12, ts(4.5), ts(4.5), 13, ts(9), ts(9), 14, 15]
    assert split_by_timestamps(tokens, TS, EOT) == [
        (0, 4500, [11, 12]),
        (4500, 9000, [13]),
        (9000, None, [14, 15]),
    ]


def test_split_drops_special_tokens_and_empty_pieces() -> None:
    assert split_by_timestamps([ts(0), EOT + 3, ts(1), ts(1), 7, ts(2)], TS, EOT) == [(1000, 2000, [7])]


def test_unfinished_means_a_segment_opened_and_left() -> None:
    assert unfinished_at([ts(0), 11, ts(24.28), ts(24.28)], TS) == 24_280
    assert unfinished_at([ts(0), 11, ts(24.28)], TS) is None  # closed: finished
    assert unfinished_at([ts(0), ts(0)], TS) is None  # nothing decoded: decoding again would loop
    assert unfinished_at([ts(0), 11, 12], TS) is None


def test_tail_starts_where_both_tasks_cut_before_the_unfinished_point() -> None:
    pieces = [piece(0, 5000), piece(5000, 10_000), piece(10_000, 16_000), piece(16_000, 20_000)]
    english = [piece(0, 9800), piece(9800, 18_000)]
    # the transcript stopped at 20 s, the translation at 18 s: cut at 10 s, where the English cuts too
    assert tail_start(WINDOW, pieces, english, 20_000, 18_000, 1500) == 10_000


def test_without_translation_the_last_finished_piece_goes_again() -> None:
    pieces = [piece(0, 5000), piece(5000, 10_000), piece(10_000, 16_000)]
    assert tail_start(WINDOW, pieces, None, 16_000, None, 1500) == 10_000


def test_a_single_piece_sends_only_what_follows_the_cut() -> None:
    assert tail_start(WINDOW, [piece(0, 20_000)], None, 20_000, None, 1500) == 20_000


def test_no_tail_when_both_finished_or_the_rest_is_tiny() -> None:
    pieces = [piece(0, 5000), piece(5000, 27_800)]
    assert tail_start(WINDOW, pieces, None, None, None, 1500) is None
    assert tail_start(WINDOW, pieces, None, 27_800, None, 1500) is None  # 200 ms left
