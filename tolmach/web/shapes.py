"""The JSON shape of each record the API returns (docs/WEB.md, "Records"), built in one place.

Server paths never appear: a job's upload path and a clip's stored location are the server's business.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tolmach.archive import ID_LENGTH, ClipRecord, ClipSummary, Hit, RunSummary
from tolmach.archive.jobs import Job
from tolmach.archive.review import ReviewState, Revision
from tolmach.records import Segment
from tolmach.subtitles.cues import CueRules
from tolmach.subtitles.formats.jsonformat import segment_to_dict

JOB_FIELDS = (
    "id",
    "source",
    "state",
    "progress_ms",
    "duration_ms",
    "clip_id",
    "run_id",
    "error",
    "hint",
    "created",
    "started",
    "finished",
)


def clip_summary(c: ClipSummary) -> dict[str, Any]:
    return {
        "id": c.id[:ID_LENGTH],
        "clip_id": c.id,
        "run_id": c.run_id,
        "title": c.title,
        "filename": c.filename,
        "language": c.language,
        "duration_ms": c.duration_ms,
        "lines": c.lines,
        "doubtful": c.doubtful,
        "reviewed": c.reviewed,
        "runs": c.runs,
        "tags": list(c.tags),
        "added": c.added,
        "has_video": c.has_video,
    }


def clip_detail(record: ClipRecord, uploads: Path) -> dict[str, Any]:
    """A clip as GET /api/clips/{id} shows it: the summary's identity plus what is known of its origin.

    A source under ``uploads`` (where the server put an upload while it ran) is shown by its name.
    """
    info = record.info
    prefix = f"{uploads.resolve()}{os.sep}"
    return {
        "id": record.id[:ID_LENGTH],
        "clip_id": record.id,
        "title": info.title,
        "filename": record.filename,
        "place": info.place,
        "filmed": info.filmed,
        "notes": info.notes,
        "tags": list(info.tags),
        "added": info.added,
        "duration_ms": record.media.duration_ms,
        "size": record.media.size,
        "has_video": bool(record.media.video_streams),
        # the timeline's one-frame nudge; None for audio, or when ffprobe gave no frame rate
        "fps": next((s.fps for s in record.media.video_streams if s.fps), None),
        "sources": [
            {"location": Path(where).name if where.startswith(prefix) else where, "seen": when}
            for where, when in record.sources
        ],
        "runs": [run(r) for r in record.runs],
    }


def run(r: RunSummary) -> dict[str, Any]:
    return {"id": r.id, "created": r.created, "language": r.language, "current": r.current, "key": r.key}


def rules(r: CueRules) -> dict[str, Any]:
    """The subtitle rules the timeline keeps while a line's times are dragged (snap with the gap)."""
    return {"fps": r.fps, "min_gap_ms": r.min_gap_ms}


def review(state: ReviewState) -> dict[str, Any]:
    return {
        "reviewed": state.reviewed,
        "total": state.total,
        "reviewer": state.reviewer,
        "approver": state.approver,
        "withdrawn": state.withdrawn,
    }


def segment(s: Segment) -> dict[str, Any]:
    data = segment_to_dict(s)
    del data["words"]  # word timings are for the aligner, and are most of the bytes
    data.setdefault("dismissed", [])  # the page lists them, with an undo, even when there are none
    data["version"] = s.version  # what a change sends back, so a stale page cannot overwrite a newer line
    data["mark"], data["comment"] = s.mark, s.comment  # the page shows and edits both, even when empty
    return data


def revision(r: Revision) -> dict[str, Any]:
    return asdict(r)


def job(j: Job) -> dict[str, Any]:
    data = {name: getattr(j, name) for name in JOB_FIELDS}
    data["title"] = j.info.title
    data["options"] = j.options
    return data


def hit(h: Hit) -> dict[str, Any]:
    return {
        "id": h.clip_id[:ID_LENGTH],
        "clip_id": h.clip_id,
        "run_id": h.run_id,
        "segment": h.segment,
        "start": h.start,
        "end": h.end,
        "speaker": h.speaker,
        "title": h.title,
        "language": h.language,
        "doubtful": h.doubtful,
        "text": [[piece, matched] for piece, matched in h.text],
        "translation": [[piece, matched] for piece, matched in h.translation],
        "score": h.score,
    }
