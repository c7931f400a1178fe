"""From labelled windows to speaker turns: who speaks when, on the clip's timeline, in ms.

Windows overlap, so every 100 ms of a speech region is voted on by the windows that cover it (a
window's vote is strongest at its centre). Runs of one label shorter than ``MIN_TURN_MS`` are absorbed
by their neighbours: a change of voice that short is more often a mixed window than a real reply. A
change inside a region is then moved to the quietest moment nearby, where people take turns; a change
at a pause stays at the pause. Pure numpy.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tolmach.asr.windows import SAMPLE_RATE, Region
from tolmach.diarize.embed import WINDOW_MS, Embeddings

FRAME_MS = 100  # resolution of the vote
MIN_TURN_MS = 1000  # shorter runs of one voice are absorbed by a neighbour
SNAP_MS = 400  # how far a change inside a region may move towards a quiet moment
ENERGY_MS = 20  # loudness is measured over frames this long when snapping
MAX_GAP_MS = 2000  # one speaker's regions closer than this form one turn


@dataclass(frozen=True)
class Turn:
    """A stretch of the clip in which one speaker talks (ms); speakers are "S1", "S2", ..."""

    start: int
    end: int
    speaker: str


@dataclass
class _Run:
    start: int
    end: int
    label: int
    region: int  # index of the region it lies in


def to_turns(
    samples: np.ndarray, regions: Sequence[Region], embeddings: Embeddings, labels: np.ndarray
) -> list[Turn]:
    """Speaker turns covering ``regions``, from the windows' labels."""
    if len(labels) == 0:
        return []
    runs = _vote(regions, embeddings, labels)
    runs = _absorb_short(runs)
    _snap(samples, runs)
    return _merge(runs)


def _vote(regions: Sequence[Region], embeddings: Embeddings, labels: np.ndarray) -> list[_Run]:
    """Label every frame of every region by weighted vote; frames no window saw take the nearest label."""
    k = int(labels.max()) + 1
    order = np.argsort(embeddings.starts, kind="stable")
    starts, ends, labels = embeddings.starts[order], embeddings.ends[order], labels[order]
    runs: list[_Run] = []
    for index, region in enumerate(regions):
        edges = np.arange(region.start, region.end, FRAME_MS)
        if len(edges) == 0:
            continue
        mids = np.minimum(edges + FRAME_MS // 2, region.end)
        scores = np.zeros((len(edges), k))
        # windows are at most WINDOW_MS long, so none starting earlier than that reaches this region
        lo, hi = np.searchsorted(starts, region.start - WINDOW_MS), np.searchsorted(starts, region.end)
        for w in range(lo, hi):
            a, b = np.searchsorted(mids, starts[w]), np.searchsorted(mids, ends[w])
            centre, half = (starts[w] + ends[w]) / 2, max((ends[w] - starts[w]) / 2, 1.0)
            scores[a:b, labels[w]] += np.clip(1.0 - np.abs(mids[a:b] - centre) / half, 0.0, None)
        frame_labels = np.where(scores.any(axis=1), scores.argmax(axis=1), -1)
        if (frame_labels < 0).all():
            # a region too short for a window of its own: the voice of the nearest window
            centre = (region.start + region.end) / 2
            frame_labels[:] = labels[int(np.argmin(np.abs((starts + ends) / 2 - centre)))]
        else:
            _fill_unlabelled(frame_labels)
        bounds = [*edges.tolist(), region.end]
        cuts = [0, *(np.flatnonzero(np.diff(frame_labels)) + 1).tolist(), len(frame_labels)]
        for a, b in itertools.pairwise(cuts):
            runs.append(_Run(bounds[a], bounds[b], int(frame_labels[a]), index))
    return runs


def _fill_unlabelled(frame_labels: np.ndarray) -> None:
    """Frames at a region's edge that no window covered take the label of the nearest labelled one."""
    known = np.flatnonzero(frame_labels >= 0)
    missing = np.flatnonzero(frame_labels < 0)
    if len(missing):
        nearest = known[np.abs(missing[:, None] - known[None, :]).argmin(axis=1)]
        frame_labels[missing] = frame_labels[nearest]


def _absorb_short(runs: list[_Run]) -> list[_Run]:
    """Relabel stretches of one voice with under MIN_TURN_MS of speech, shortest first.

    A stretch is consecutive runs of one label, across pauses; it takes the label of the neighbouring
    stretch with more speech. Each pass removes a stretch, so this ends.
    """
    runs = _join(runs)
    while True:
        cuts = [0, *(i for i in range(1, len(runs)) if runs[i].label != runs[i - 1].label), len(runs)]
        if len(cuts) <= 2:
            return runs
        spans = list(itertools.pairwise(cuts))
        speech = [sum(r.end - r.start for r in runs[a:b]) for a, b in spans]
        g = int(np.argmin(speech))
        if speech[g] >= MIN_TURN_MS:
            return runs
        if g == 0 or (g + 1 < len(spans) and speech[g + 1] > speech[g - 1]):
            label = runs[spans[g + 1][0]].label
        else:
            label = runs[spans[g - 1][0]].label
        for run in runs[spans[g][0] : spans[g][1]]:
            run.label = label
        runs = _join(runs)


def _join(runs: list[_Run]) -> list[_Run]:
    """Join neighbouring runs of one label within one region."""
    joined: list[_Run] = []
    for run in runs:
        last = joined[-1] if joined else None
        if last is not None and last.label == run.label and last.region == run.region:
            last.end = run.end
        else:
            joined.append(_Run(run.start, run.end, run.label, run.region))
    return joined


def _snap(samples: np.ndarray, runs: list[_Run]) -> None:
    """Move each change of voice inside a region to the quietest ENERGY_MS frame within SNAP_MS."""
    for left, right in itertools.pairwise(runs):
        if left.region != right.region:
            continue
        lo = max(left.start + ENERGY_MS, right.start - SNAP_MS)
        hi = min(right.end - ENERGY_MS, right.start + SNAP_MS)
        if hi <= lo:
            continue
        a, b = lo * SAMPLE_RATE // 1000, hi * SAMPLE_RATE // 1000
        frame = ENERGY_MS * SAMPLE_RATE // 1000
        chunk = np.asarray(samples[a:b], dtype=np.float32)
        usable = len(chunk) // frame * frame
        if usable == 0:
            continue
        energy = np.square(chunk[:usable]).reshape(-1, frame).mean(axis=1)
        cut = lo + int(np.argmin(energy)) * ENERGY_MS + ENERGY_MS // 2
        left.end = right.start = cut


def _merge(runs: list[_Run]) -> list[Turn]:
    """Join one speaker's consecutive runs across short pauses; name speakers in order of appearance."""
    names: dict[int, str] = {}
    turns: list[Turn] = []
    for run in runs:
        speaker = names.setdefault(run.label, f"S{len(names) + 1}")
        last = turns[-1] if turns else None
        if last is not None and last.speaker == speaker and run.start - last.end < MAX_GAP_MS:
            turns[-1] = Turn(last.start, run.end, speaker)
        else:
            turns.append(Turn(run.start, run.end, speaker))
    return turns
