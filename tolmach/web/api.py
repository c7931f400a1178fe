"""The JSON API under /api: clips, lines, review history, jobs and search (docs/WEB.md, "API").

Each route is one archive call and its JSON shape (``shapes.py``). Every route depends on
``auth.api_caller``, so none of them runs for a caller who may not call it; files and uploads have
routers of their own (``downloads.py``, ``uploads.py``). Routes that touch SQLite are plain functions,
which FastAPI runs in its thread pool, each with the Archive of its request (``deps.py``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from tolmach.archive import Archive, Filters, search
from tolmach.archive import jobs as job_table
from tolmach.errors import InputError, OptionsError
from tolmach.records import Segment
from tolmach.subtitles.formats.base import labels
from tolmach.web import shapes
from tolmach.web.auth import api_caller, sessions
from tolmach.web.deps import ArchiveDep, CallerDep, config_of
from tolmach.web.downloads import thumbnail_path
from tolmach.web.errors import WebError

router = APIRouter(prefix="/api", dependencies=[Depends(api_caller)])
POLL_S = 0.5  # how often the event stream looks at a job
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing a quiet stream
MAX_TEXT = 2000  # characters in a line; review.py refuses more


class SegmentPatch(BaseModel):
    """The fields of one line a reviewer may change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    text: StrictStr | None = Field(None, max_length=MAX_TEXT)
    translation: StrictStr | None = Field(None, max_length=MAX_TEXT)
    speaker: StrictStr | None = Field(None, max_length=80, description="'' for no speaker")
    start: StrictInt | None = Field(None, ge=0, description="ms")
    end: StrictInt | None = Field(None, ge=1, description="ms")
    reviewed: StrictBool | None = None


@router.get("/session")
def get_session(request: Request, response: Response, caller: CallerDep) -> dict[str, str]:
    """The CSRF value the pages send with every change, who edits are by, and how callers log in."""
    csrf = caller.csrf
    if caller.session is None and caller.auth == "local":
        session = sessions(request).new()
        sessions(request).issue(request, response, session)
        csrf = session.csrf
    return {"csrf": csrf, "name": caller.name, "auth": caller.auth}


@router.get("/clips")
def list_clips(archive: ArchiveDep, tag: str | None = None, q: str = "") -> dict[str, Any]:
    """Clips newest first; ``q`` keeps those whose title or file name contains it."""
    needle = q.strip().casefold()
    clips = [
        shapes.clip_summary(c)
        for c in archive.clips(tag=tag or None)
        if needle in c.title.casefold() or needle in c.filename.casefold()
    ]
    return {"clips": clips}


@router.get("/clips/{id}")
def get_clip(id: str, archive: ArchiveDep) -> dict[str, Any]:
    """A clip, its current run (or the run ``id`` names), how much is reviewed, and every line."""
    clip_id, run_id = archive.resolve(id)
    record = archive.clip(clip_id)
    data: dict[str, Any] = {"clip": shapes.clip_detail(record, archive.tmp), "run": None}
    data["review"] = {"reviewed": 0, "total": 0, "reviewer": None}
    data["segments"] = []
    if run_id is None:
        return data
    transcript = archive.transcript(run_id)
    run = next(r for r in record.runs if r.id == run_id)
    text_label, translation_label = labels(transcript)
    data["run"] = {
        **shapes.run(run),
        "language_probability": transcript.language_probability,
        "language_forced": transcript.language_forced,
        "model": transcript.model.name,
        "warnings": list(transcript.warnings),
        "label": {"text": text_label, "translation": translation_label},
    }
    data["review"] = shapes.review(archive.review_state(run_id))
    data["segments"] = [shapes.segment(s) for s in transcript.segments]
    return data


@router.delete("/clips/{id}", status_code=204)
def delete_clip(id: str, archive: ArchiveDep) -> Response:
    """Delete a clip, its runs, its stored files and its cached thumbnail."""
    clip_id, _ = archive.resolve(id)
    archive.remove(clip_id)
    thumbnail_path(archive, clip_id).unlink(missing_ok=True)
    return Response(status_code=204)


@router.get("/clips/{id}/segments/{n}")
def get_segment(id: str, n: int, archive: ArchiveDep) -> dict[str, Any]:
    return shapes.segment(_line(archive, archive.run_of(id), n))


@router.patch("/clips/{id}/segments/{n}")
def patch_segment(
    id: str, n: int, patch: SegmentPatch, archive: ArchiveDep, caller: CallerDep
) -> dict[str, Any]:
    """Change fields of line ``n``; returns the line and its whole history, oldest first."""
    run_id = archive.run_of(id)
    changes = patch.model_dump(exclude_none=True)
    if not changes:
        raise OptionsError(
            "nothing to change", "send any of text, translation, speaker, start, end, reviewed"
        )
    line = _line(archive, run_id, n)
    for field in _order(changes, line):
        value = changes[field]
        text = ("1" if value else "0") if field == "reviewed" else str(value)
        archive.edit(run_id, n, field, text, caller.name)
    return {
        "segment": shapes.segment(_line(archive, run_id, n)),
        "revisions": [shapes.revision(r) for r in archive.revisions(run_id, n)],
    }


def _order(changes: dict[str, Any], line: Segment) -> list[str]:
    """The fields in an order that applies: times first (each edit is checked against the line as it
    is, so moving a line later needs its end moved before its start), the reviewed mark last."""
    times = ["end", "start"] if changes.get("start", -1) >= line.end else ["start", "end"]
    order = [*times, "speaker", "text", "translation", "reviewed"]
    return [f for f in order if f in changes]


@router.get("/clips/{id}/revisions")
def list_revisions(
    id: str, archive: ArchiveDep, segment: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    run_id = archive.run_of(id)
    return {"revisions": [shapes.revision(r) for r in archive.revisions(run_id, segment)]}


@router.post("/clips/{id}/revisions/{rid}/undo")
def undo_revision(id: str, rid: int, archive: ArchiveDep, caller: CallerDep) -> dict[str, Any]:
    """Take a revision back; 409 when its field was changed again since."""
    run_id = archive.run_of(id)
    try:
        revision = archive.undo(run_id, rid, caller.name)
    except InputError as e:
        if any(r.id == rid for r in archive.revisions(run_id)):
            raise WebError(409, e.message, e.hint) from None
        raise
    return {
        "segment": shapes.segment(_line(archive, run_id, revision.segment)),
        "revision": shapes.revision(revision),
    }


def _line(archive: Archive, run_id: str, n: int) -> Segment:
    for s in archive.segments(run_id):
        if s.id == n:
            return s
    raise InputError(f"no line {n} in this clip", "line numbers start at 1")


@router.get("/search")
def search_lines(
    archive: ArchiveDep,
    q: str = "",
    lang: str | None = None,
    entity: str | None = None,
    tag: str | None = None,
    since: str | None = None,
    until: str | None = None,
    doubtful: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Lines of every clip's current run, original and English together; matches marked."""
    filters = Filters(
        lang=lang or None,
        entity=entity or None,
        tag=tag or None,
        since=since or None,
        until=until or None,
        doubtful=doubtful,
    )
    return {"hits": [shapes.hit(h) for h in search(archive.conn, q, filters, limit)]}


@router.get("/jobs")
def list_jobs(archive: ArchiveDep) -> dict[str, Any]:
    return {"jobs": [shapes.job(j) for j in job_table.listed(archive.conn)]}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, archive: ArchiveDep) -> dict[str, Any]:
    return shapes.job(job_table.get(archive.conn, job_id))


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse)
async def job_events(job_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: ``job`` with the job whenever it changes, until it is done or failed."""
    archive = await anyio.to_thread.run_sync(Archive, config_of(request).home)
    try:
        first = await anyio.to_thread.run_sync(job_table.get, archive.conn, job_id)
    except BaseException:
        archive.close()
        raise
    return StreamingResponse(
        _events(request, archive, job_id, shapes.job(first)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(request: Request, archive: Archive, job_id: str, job: dict[str, Any]) -> AsyncIterator[str]:
    try:
        last: dict[str, Any] | None = None
        quiet = 0.0
        while True:
            if job != last:
                yield f"event: job\ndata: {json.dumps(job, ensure_ascii=False)}\n\n"
                last, quiet = job, 0.0
                if job["state"] in ("done", "failed"):
                    return
            elif quiet >= KEEPALIVE_S:
                yield ": still here\n\n"
                quiet = 0.0
            await asyncio.sleep(POLL_S)
            quiet += POLL_S
            if await request.is_disconnected():
                return
            job = shapes.job(await anyio.to_thread.run_sync(job_table.get, archive.conn, job_id))
    finally:
        archive.close()
