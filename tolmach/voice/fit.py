"""The timing fit: where each English line is spoken, and how fast, so that it stays with its speaker.

A pure function of durations, so every rule is tested exactly. Each line has a *slot*, the time its
source line is spoken in the clip. In order of preference, a line that is longer than its slot:

1. is sped up, at most ``max_speed`` (1.25x by default: beyond that synthetic speech sounds wrong);
2. then runs on into the silence after its slot, up to the next line's start;
3. only then runs over the next line's start: that line is *overflowing*, by so many ms.

Words are never cut off. The voice never talks over itself: a line that is still being spoken when the
next one is due delays that one (by at least ``gap``), which then has less room and may be sped up or
overflow in turn; the delay is reported per line. The last line's "next start" is the end of the clip
(``limit``): running past it is overflow too.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

GAP_MS = 120  # least silence between two spoken lines when one had to wait for the other
SPEED_STEP = 1000  # speed factors are rounded up to 1/1000, so the sped-up line still fits


@dataclass(frozen=True)
class Slot:
    """One line to place: its source line's time in the clip and how long the English takes at 1.0x."""

    start: int
    end: int
    speech_ms: int


@dataclass(frozen=True)
class Placement:
    """Where a line is spoken, and what it took to get it there."""

    start: int  # the voice starts, ms in the clip
    end: int  # the voice ends
    speed: float  # 1.0, or the tempo factor it was sped up by
    how: str  # "slot", "sped-up", "silence" (ran into the pause after it) or "overflow"
    overflow_ms: int = 0  # how far it runs over the next line's start (or the clip's end)
    delay_ms: int = 0  # how late it starts after its slot, because the previous line ran long

    @property
    def fitted(self) -> bool:
        return self.overflow_ms == 0


def spoken_ms(speech_ms: int, speed: float) -> int:
    """How long ``speech_ms`` of speech lasts at ``speed`` (rounded up to whole ms)."""
    return speech_ms if speed == 1.0 else math.ceil(speech_ms / speed - 1e-9)


def fit_lines(
    slots: Sequence[Slot],
    *,
    max_speed: float = 1.25,
    limit: int | None = None,
    after: int = 0,
    gap: int = GAP_MS,
) -> tuple[Placement, ...]:
    """Place every line by the rules above.

    ``slots`` are in time order; ``after`` is the earliest time the first line may start (the end of the
    spoken disclosure plus a gap); ``limit`` the clip's end (None: no end).
    """
    if max_speed < 1.0:
        raise ValueError(f"max_speed must be at least 1.0, not {max_speed}")
    if any(b.start < a.start for a, b in itertools.pairwise(slots)):
        raise ValueError("slots must be in time order")
    placed: list[Placement] = []
    earliest = after
    for i, slot in enumerate(slots):
        start = max(slot.start, earliest)
        following = slots[i + 1].start if i + 1 < len(slots) else limit
        end_of_slot = slot.end if following is None else min(slot.end, following)
        room = end_of_slot - start  # may be zero or less when the line starts late
        need = slot.speech_ms
        if need <= room:
            speed, how = 1.0, "slot"
        elif need <= room * max_speed:
            speed, how = min(max_speed, math.ceil(need / room * SPEED_STEP) / SPEED_STEP), "sped-up"
        else:
            speed, how = max_speed, "silence"
        end = start + spoken_ms(need, speed)
        overflow = 0 if following is None else max(0, end - following)
        if overflow:
            how = "overflow"
        placed.append(Placement(start, end, speed, how, overflow, start - slot.start))
        earliest = end + gap
    return tuple(placed)
