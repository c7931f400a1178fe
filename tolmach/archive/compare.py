"""Two runs of one clip compared line by line, the lines matched by time rather than by number.

Runs of one clip cut the speech differently (another beam, language or engine), so line 3 of one is
not line 3 of the other. Lines that overlap in time are grouped: each group is one row of the diff,
with the text of either side joined, so a line split in two in the other run is one "changed" row,
not two rows of noise. Works on Segments only; never reads the archive.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tolmach.records import Segment

# An overlap this share of the shorter line joins two lines; a smaller one joins them only when it is
# the best either line has (a word's worth of overlap at a boundary should not chain the whole clip).
MIN_SHARE = 0.3
KINDS = ("same", "changed", "only_a", "only_b")


@dataclass(frozen=True)
class Row:
    """One group of lines that overlap in time: run A's, run B's, and whether their words differ."""

    start: int  # ms: the earliest start of the group's lines
    end: int  # ms: the latest end
    kind: str  # same, changed, only_a (no line of B at this time), only_b
    a_lines: tuple[int, ...]  # Segment.id of A's lines, in time order
    b_lines: tuple[int, ...]
    a_text: str  # the lines' originals joined with spaces
    b_text: str
    a_translation: str
    b_translation: str


def diff(a: Sequence[Segment], b: Sequence[Segment]) -> tuple[Row, ...]:
    """Rows for every line of either run, in time order; ``same`` ignores timing, only words count."""
    a, b = sorted(a, key=_order), sorted(b, key=_order)
    parent = list(range(len(a) + len(b)))  # union-find over A's lines, then B's

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _joined(a, b):
        parent[root(len(a) + j)] = root(i)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, s in enumerate(a):
        groups.setdefault(root(i), ([], []))[0].append(s)
    for j, s in enumerate(b):
        groups.setdefault(root(len(a) + j), ([], []))[1].append(s)
    rows = [_row(left, right) for left, right in groups.values()]
    return tuple(sorted(rows, key=lambda r: (r.start, r.end, not r.a_lines)))


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """How many rows of each kind, every kind present."""
    return {kind: sum(1 for r in rows if r.kind == kind) for kind in KINDS}


def differing_keys(keys: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """For each run key, the items that are not the same in every key: what tells the runs apart."""
    names = sorted({name for key in keys for name in key})
    differ = [n for n in names if len({repr(key.get(n)) for key in keys}) > 1]
    return [{n: key.get(n) for n in differ} for key in keys]


def _order(s: Segment) -> tuple[int, int, int]:
    return s.start, s.end, s.id


def _overlap(x: Segment, y: Segment) -> int:
    return min(x.end, y.end) - max(x.start, y.start)


def _joined(a: list[Segment], b: list[Segment]) -> list[tuple[int, int]]:
    """Pairs (index in a, index in b) of lines that belong in one row."""
    starts = [s.start for s in b]
    longest = max((s.end - s.start for s in b), default=0)
    pairs: list[tuple[int, int, int]] = []  # (i, j, overlap)
    for i, x in enumerate(a):
        # only lines of b starting in (x.start - longest, x.end) can overlap x
        for j in range(bisect.bisect_right(starts, x.start - longest), bisect.bisect_left(starts, x.end)):
            if (shared := _overlap(x, b[j])) > 0:
                pairs.append((i, j, shared))
    best_a: dict[int, int] = {}
    best_b: dict[int, int] = {}
    for i, j, shared in pairs:
        best_a[i] = max(best_a.get(i, 0), shared)
        best_b[j] = max(best_b.get(j, 0), shared)
    joined = []
    for i, j, shared in pairs:
        shorter = min(a[i].end - a[i].start, b[j].end - b[j].start)
        if shared >= MIN_SHARE * shorter or shared == best_a[i] or shared == best_b[j]:
            joined.append((i, j))
    return joined


def _row(a: list[Segment], b: list[Segment]) -> Row:
    a_text, b_text = _words(s.text for s in a), _words(s.text for s in b)
    a_en, b_en = _words(s.translation for s in a), _words(s.translation for s in b)
    if not a or not b:
        kind = "only_a" if a else "only_b"
    else:
        kind = "same" if (a_text, a_en) == (b_text, b_en) else "changed"
    return Row(
        start=min(s.start for s in (*a, *b)),
        end=max(s.end for s in (*a, *b)),
        kind=kind,
        a_lines=tuple(s.id for s in a),
        b_lines=tuple(s.id for s in b),
        a_text=a_text,
        b_text=b_text,
        a_translation=a_en,
        b_translation=b_en,
    )


def _words(pieces: Any) -> str:
    """Pieces joined with single spaces: how a line was cut, or its spacing, is not a difference."""
    return " ".join(" ".join(pieces).split())
