"""Speech regions, window packing and the window-to-clip time map (pure numpy, exact)."""

from __future__ import annotations

import numpy as np

from tolmach.asr.windows import (
    Region,
    Window,
    pack_windows,
    speech_probabilities,
    speech_ratio,
    speech_regions,
    take_window,
)

FRAME_MS = 32  # one VAD probability per 512 samples at 16 kHz


def probs_for(spans_ms: list[tuple[int, int]], total_ms: int) -> np.ndarray:
    probs = np.zeros(total_ms // FRAME_MS, dtype=np.float32)
    for a, b in spans_ms:
        probs[a // FRAME_MS : b // FRAME_MS] = 0.9
    return probs


def test_regions_follow_speech_with_padding() -> None:
    probs = probs_for([(3200, 6400), (12800, 16000)], 20_000)
    assert speech_regions(probs, 20_000, pad_ms=200) == [Region(3000, 6600), Region(12600, 16200)]


def test_short_pause_does_not_split_a_region() -> None:
    probs = probs_for([(3200, 6400), (6720, 9600)], 12_000)  # 320 ms pause < 500 ms
    assert speech_regions(probs, 12_000, pad_ms=0) == [Region(3200, 9600)]


def test_close_regions_share_the_silence_instead_of_overlapping() -> None:
    probs = probs_for([(3200, 6400), (7040, 9600)], 12_000)  # 640 ms pause, pads of 400 would overlap
    regions = speech_regions(probs, 12_000, pad_ms=400)
    assert regions == [Region(2800, 6720), Region(6720, 10000)]


def test_blips_shorter_than_min_speech_are_ignored() -> None:
    probs = probs_for([(3200, 3328)], 8000)
    assert speech_regions(probs, 8000) == []


def test_long_speech_is_cut_below_the_limit_at_the_quietest_frame() -> None:
    probs = probs_for([(0, 60_000)], 60_000)
    probs[20_000 // FRAME_MS] = 0.55  # a dip, still speech
    regions = speech_regions(probs, 60_000, pad_ms=0, max_region_ms=28_000)
    assert all(r.end - r.start <= 28_000 for r in regions)
    assert regions[0].end == 20_000 // FRAME_MS * FRAME_MS
    assert regions[0].start == 0 and regions[-1].end == 60_000 // FRAME_MS * FRAME_MS


def test_pack_windows_never_exceeds_thirty_seconds() -> None:
    regions = [Region(i * 10_000, i * 10_000 + 8000) for i in range(7)]
    windows = pack_windows(regions)
    assert [len(w.regions) for w in windows] == [3, 3, 1]
    assert [w.duration for w in windows] == [24_000, 24_000, 8000]


def test_pack_windows_cuts_one_long_region_when_vad_is_off() -> None:
    windows = pack_windows([Region(0, 75_000)])
    assert [w.regions for w in windows] == [
        (Region(0, 30_000),),
        (Region(30_000, 60_000),),
        (Region(60_000, 75_000),),
    ]


def test_window_time_maps_back_across_removed_silence() -> None:
    window = Window((Region(1000, 4000), Region(10_000, 12_000)))
    assert window.to_original(0) == 1000
    assert window.to_original(2500) == 3500
    assert window.to_original(3000) == 10_000  # a start on the seam belongs to the later region
    assert window.to_original(3000, is_end=True) == 4000  # an end on the seam to the earlier one
    assert window.to_original(4000) == 11_000
    assert window.to_original(9999) == 12_000  # clamped to the last region


def test_window_audio_is_the_regions_glued() -> None:
    samples = np.arange(16_000 * 5, dtype=np.float32)
    window = Window((Region(0, 1000), Region(3000, 3500)))
    audio = window.audio(samples)
    assert len(audio) == 16_000 + 8000
    assert audio[16_000] == samples[48_000]


def test_speech_ratio_is_the_mean_probability_under_the_span() -> None:
    probs = probs_for([(0, 3200)], 6400)
    assert speech_ratio(probs, 0, 3200) == np.float32(0.9)
    assert speech_ratio(probs, 3200, 6400) == 0.0
    assert abs(speech_ratio(probs, 0, 6400) - 0.45) < 1e-6


def test_silero_finds_no_speech_in_silence_and_some_in_real_speech(sample_audio: np.ndarray) -> None:
    assert speech_probabilities(np.zeros(16_000 * 3, dtype=np.float32)).max() < 0.2
    probs = speech_probabilities(sample_audio)
    regions = speech_regions(probs, len(sample_audio) // 16)
    assert len(regions) >= 2
    assert sum(r.end - r.start for r in regions) > 0.6 * len(sample_audio) / 16


def test_after_keeps_the_rest_of_a_window_in_original_time() -> None:
    window = Window((Region(1000, 4000), Region(10_000, 12_000)))
    assert window.after(2000) == Window((Region(3000, 4000), Region(10_000, 12_000)))
    assert window.after(3500) == Window((Region(10_500, 12_000),))
    assert window.after(0) == window


def test_a_span_maps_inside_the_region_holding_its_middle() -> None:
    window = Window((Region(1000, 4000), Region(10_000, 12_000)))
    assert window.span_to_original(2500, 3020) == (3500, 4000)  # strays 20 ms past the seam: clamped
    assert window.span_to_original(2980, 3600) == (10_000, 10_600)  # starts 20 ms early: clamped
    assert window.span_to_original(100, 900) == (1100, 1900)


def test_take_window_removes_what_it_packs() -> None:
    regions = [Region(0, 12_000), Region(20_000, 32_000), Region(40_000, 50_000)]
    first = take_window(regions)
    assert first == Window((Region(0, 12_000), Region(20_000, 32_000)))
    assert regions == [Region(40_000, 50_000)]
    assert take_window(regions) == Window((Region(40_000, 50_000),)) and regions == []
