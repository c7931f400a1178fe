"""Grouping voice vectors by speaker: which windows of speech share a voice.

Agglomerative clustering on cosine distance with average linkage: clusters merge while the average
distance between their windows stays under ``THRESHOLD`` (or until ``speakers`` clusters remain, when
the number is known). Then every window moves to its nearest cluster centre, and, when the number is
estimated, clusters that never hold the floor long enough to be a voice of their own are dissolved into
the nearest remaining one. Pure numpy and scikit-learn; no model here.
"""

from __future__ import annotations

import numpy as np

from tolmach.diarize.embed import HOP_MS, Embeddings

# Average cosine distance under which two groups of windows are taken for one voice. Tuned on 47 mixes
# of real recordings (ru-read: a man, studio; ru-phone and Asterisk prompts: three women and a man,
# telephone; 1-3 voices, turns of 2-12 s, pauses of 0.2-1.5 s, some under noise at 15 dB SNR with
# levels changing by 12 dB): the number of voices came out right in 46 of them at 0.28 and 0.29, 45 at
# 0.30, 44 at 0.27 and 0.31, 40 at 0.32, 36 at 0.25. Below 0.28 one voice starts to split (a man
# reading under noise); above 0.30 two women on the telephone start to merge. The one miss at 0.29 is a
# man and a woman under noise, merged into one: noise pulls all voices together; ``speakers`` helps.
THRESHOLD = 0.29
# With the number estimated, a voice must hold the floor for MIN_RUN windows in a row (3.2 s of speech)
# somewhere in the clip. Windows straddling a change of voice lie between the two voices and can form a
# cluster of their own, but only a few at a time; so do a cough, a door or a laugh. Their windows go
# to the nearest real voice. The cost: someone who only ever says a word or two is not told apart.
MIN_RUN = 5
# Above this many windows (~13 min of speech at 2.5 windows/s), cluster an evenly spread subset and
# assign the rest to its centres: the pairwise distances of n windows take 4n^2 bytes.
MAX_CLUSTERED = 2000
REFINE_ROUNDS = 3  # nearest-centre passes after clustering; each moves fewer windows


def cluster_windows(
    embeddings: Embeddings, speakers: int | None = None, threshold: float = THRESHOLD
) -> np.ndarray:
    """A cluster number (0..k-1) for every window, numbered in order of first appearance."""
    follows = _follows(embeddings)
    vectors = _smooth(embeddings.vectors, follows)
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1 or speakers == 1:
        return np.zeros(n, dtype=np.int64)
    step = -(-n // MAX_CLUSTERED)  # ceil: the subset is every step-th window
    subset = vectors[::step]
    labels = _agglomerate(subset, speakers, threshold)
    centres = _centres(subset, labels)
    for _ in range(REFINE_ROUNDS):
        labels = _nearest(vectors, centres)
        centres = _centres(vectors, labels)
    if speakers is None:
        labels = _dissolve_small(vectors, labels, follows)
    return _renumber(labels)


def _agglomerate(vectors: np.ndarray, speakers: int | None, threshold: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    if speakers is not None:
        if len(vectors) <= speakers:
            return np.arange(len(vectors), dtype=np.int64)
        model = AgglomerativeClustering(n_clusters=speakers, metric="cosine", linkage="average")
    else:
        model = AgglomerativeClustering(
            n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
        )
    return np.asarray(model.fit_predict(vectors), dtype=np.int64)


def _centres(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit-length mean vector of every label 0..max (a label with no windows gets a zero row)."""
    k = int(labels.max()) + 1
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)


def _nearest(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.asarray(np.argmax(vectors @ centres.T, axis=1), dtype=np.int64)


def _follows(embeddings: Embeddings) -> np.ndarray:
    """For each window after the first: does it continue the previous one (same stretch of speech)?"""
    return np.diff(embeddings.starts) <= HOP_MS


def _smooth(vectors: np.ndarray, follows: np.ndarray) -> np.ndarray:
    """Each window's vector averaged with its continuing neighbours, length 1.

    One 1.6 s window says as much about what was said as about who said it; the mean of three
    overlapping windows (2.4 s of speech) varies less within one voice, which widened the range of
    thresholds that count speakers right on our mixes.
    """
    total = vectors.astype(np.float64)
    total[1:] += np.where(follows[:, None], vectors[:-1], 0.0)
    total[:-1] += np.where(follows[:, None], vectors[1:], 0.0)
    norms = np.linalg.norm(total, axis=1, keepdims=True)
    return np.asarray(total / np.maximum(norms, 1e-12), dtype=np.float32)


def _longest_runs(labels: np.ndarray, follows: np.ndarray) -> np.ndarray:
    """The longest run of consecutive, continuing windows of each label."""
    best = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    run = 0
    for i, label in enumerate(labels):
        run = run + 1 if i > 0 and follows[i - 1] and labels[i - 1] == label else 1
        best[label] = max(best[label], run)
    return best


def _dissolve_small(vectors: np.ndarray, labels: np.ndarray, follows: np.ndarray) -> np.ndarray:
    counts = np.bincount(labels)
    keep = np.flatnonzero(_longest_runs(labels, follows) >= MIN_RUN)
    if len(keep) == 0:  # every voice brief (a short clip): the one heard most is the speaker
        keep = np.array([int(np.argmax(counts))])
    if len(keep) == len(counts):
        return labels
    centres = _centres(vectors, labels)[keep]
    return np.asarray(keep[_nearest(vectors, centres)], dtype=np.int64)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Labels 0..k-1 in order of first appearance."""
    _, first = np.unique(labels, return_index=True)
    order = labels[np.sort(first)]
    mapping = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    mapping[order] = np.arange(len(order))
    return mapping[labels]
