"""Telling speakers apart (diarization), behind the optional package set 'diarize'.

``diarize`` finds who speaks when: voice vectors for short windows of the speech regions
(resemblyzer, ``embed``), grouped by voice (``cluster``), smoothed into turns (``turns``).
``assign_speakers`` then gives every transcript segment its speaker, splitting a segment where the voice
changes inside it (``assign``). Importing this package loads neither torch nor resemblyzer: they load on
the first call that needs them, and ``require_diarize`` says clearly when they are missing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np

from tolmach.asr.windows import SAMPLE_RATE, Region
from tolmach.diarize.assign import assign_speakers
from tolmach.diarize.cluster import THRESHOLD, cluster_windows
from tolmach.diarize.embed import embed_windows, resemblyzer
from tolmach.diarize.turns import Turn, to_turns
from tolmach.errors import MissingExtraError

__all__ = ["THRESHOLD", "Turn", "assign_speakers", "diarize", "require_diarize"]


def require_diarize() -> None:
    """MissingExtraError unless resemblyzer, torch and scikit-learn can be imported."""
    try:
        import torch  # noqa: F401

        resemblyzer()
        if importlib.util.find_spec("sklearn") is None:  # found, not imported: it loads in a second
            raise ImportError("No module named 'sklearn'")
    except ImportError as exc:
        raise MissingExtraError("telling speakers apart", "diarize") from exc


def diarize(
    samples: np.ndarray, speakers: int | None = None, *, regions: Sequence[Region] | None = None
) -> list[Turn]:
    """Who speaks when in 16 kHz mono float32 ``samples``: turns in time order, speakers "S1", "S2", ...

    ``speakers`` fixes the number of voices; None estimates it. ``regions`` are the VAD's speech
    regions (ms); None runs the VAD here. Speakers are numbered in the order they first speak.
    """
    if speakers is not None and speakers < 1:
        raise ValueError(f"speakers must be at least 1, not {speakers}")
    require_diarize()
    if regions is None:
        from tolmach.asr.windows import speech_probabilities, speech_regions

        regions = speech_regions(speech_probabilities(samples), len(samples) * 1000 // SAMPLE_RATE)
    regions = _tidy(regions, len(samples) * 1000 // SAMPLE_RATE)
    embeddings = embed_windows(samples, regions)
    labels = cluster_windows(embeddings, speakers)
    return to_turns(samples, regions, embeddings, labels)


def _tidy(regions: Sequence[Region], total_ms: int) -> list[Region]:
    """Regions in order, inside the audio, overlapping ones joined: turns must not overlap either."""
    tidy: list[Region] = []
    for region in sorted(regions, key=lambda r: (r.start, r.end)):
        start, end = max(region.start, 0), min(region.end, total_ms)
        if end <= start:
            continue
        if tidy and start < tidy[-1].end:
            tidy[-1] = Region(tidy[-1].start, max(tidy[-1].end, end))
        else:
            tidy.append(Region(start, end))
    return tidy
