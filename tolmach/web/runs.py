"""A clip's runs in the API: list them, choose the one the clip shows, compare two (docs/WEB.md, "Runs").

The clip's current run is the one the review page edits; a rerun never takes that place from a run a
person worked on (``Archive.save``), so choosing is the user's, here or with ``tolmach runs use``.
Behind ``auth.api_caller`` like every /api route: the PUT is a mutation, with its CSRF check.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from tolmach.archive import Archive, RunSummary
from tolmach.archive.compare import counts, diff, differing_keys
from tolmach.web import shapes
from tolmach.web.auth import api_caller
from tolmach.web.deps import ArchiveDep

router = APIRouter(prefix="/api", dependencies=[Depends(api_caller)])


class CurrentRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run: StrictStr = Field(min_length=4, max_length=64, description="a run ID of this clip (a prefix)")


@router.get("/clips/{id}/runs")
def list_runs(id: str, archive: ArchiveDep) -> dict[str, Any]:
    """The clip's runs, oldest first: language, the options that tell them apart, lines reviewed."""
    clip_id, _ = archive.resolve(id)
    return _listing(archive, clip_id)


@router.put("/clips/{id}/current")
def set_current(id: str, body: CurrentRun, archive: ArchiveDep) -> dict[str, Any]:
    """Make one of the clip's runs the one it shows; answers with the runs as they are now."""
    clip_id, _ = archive.resolve(id)
    archive.use_run(archive.run_in(clip_id, body.run))
    return _listing(archive, clip_id)


@router.get("/clips/{id}/diff")
def diff_runs(id: str, b: str, archive: ArchiveDep, a: str | None = None) -> dict[str, Any]:
    """Run ``a`` (default: the current one) against run ``b``, line by line, matched by time."""
    clip_id, _ = archive.resolve(id)
    run_a = archive.run_in(clip_id, a) if a else archive.run_of(id)
    run_b = archive.run_in(clip_id, b)
    rows = diff(archive.segments(run_a), archive.segments(run_b))
    both = [archive.run_summary(run_a), archive.run_summary(run_b)]
    differs = differing_keys([r.key for r in both])
    return {
        "a": _run(both[0], differs[0]),
        "b": _run(both[1], differs[1]),
        "rows": [asdict(r) for r in rows],
        "counts": counts(rows),
    }


def _listing(archive: Archive, clip_id: str) -> dict[str, Any]:
    runs = archive.runs(clip_id)
    differs = differing_keys([r.key for r in runs])
    current = next((r.id for r in runs if r.current), None)
    return {
        "clip_id": clip_id,
        "current": current,
        "runs": [_run(r, d) for r, d in zip(runs, differs, strict=True)],
    }


def _run(r: RunSummary, differs: dict[str, Any]) -> dict[str, Any]:
    return {
        **shapes.run(r),
        "lines": r.lines,
        "reviewed": r.reviewed,
        "revisions": r.revisions,
        "differs": differs,
    }
