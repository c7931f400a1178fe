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
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from tolmach.archive import Archive, Filters, search
from tolmach.archive import jobs as job_table
from tolmach.errors import ConflictError, InputError, OptionsError, TolmachError
from tolmach.records import Segment
from tolmach.subtitles.formats.base import labels, legend, rules_for
from tolmach.web import shapes
from tolmach.web.auth import api_caller, sessions
from tolmach.web.deps import ArchiveDep, CallerDep, config_of
from tolmach.web.errors import WebError, body

router = APIRouter(prefix="/api", dependencies=[Depends(api_caller)])
POLL_S = 0.5  # how often the event stream looks at a job
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing a quiet stream
MAX_TEXT = 2000  # characters in a line; review.py refuses more
MAX_NOTES = 20  # notes on one line: more is not a note any more


Note = Annotated[StrictStr, Field(max_length=MAX_TEXT)]


class FlagRef(BaseModel):
    """A line check's finding, as the line shows it in ``flags`` (or ``dismissed``)."""

    model_config = ConfigDict(extra="forbid")
    kind: StrictStr = Field(max_length=40)
    detail: StrictStr = Field(max_length=MAX_TEXT)


class SegmentPatch(BaseModel):
    """The fields of one line a reviewer may change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    text: StrictStr | None = Field(None, max_length=MAX_TEXT)
    translation: StrictStr | None = Field(None, max_length=MAX_TEXT)
    speaker: StrictStr | None = Field(None, max_length=80, description="'' for no speaker")
    start: StrictInt | None = Field(None, ge=0, description="ms")
    end: StrictInt | None = Field(None, ge=1, description="ms")
    reviewed: StrictBool | None = None
    mark: StrictStr | None = Field(None, max_length=20, description="unclear, inaudible, or '' for none")
    comment: StrictStr | None = Field(
        None, max_length=MAX_TEXT, description="for the team; in the quote sheet only with include_notes"
    )
    notes: list[Note] | None = Field(
        None, max_length=MAX_NOTES, description="the line's translator's notes, all of them; [] removes them"
    )
    dismissed: list[FlagRef] | None = Field(
        None,
        max_length=MAX_NOTES,
        description="the line checks' findings the reviewer dismissed, all of them; [] brings them back",
    )
    version: StrictInt | None = Field(None, ge=1, description="the line's version the change was made on")
    retranslate: StrictBool | None = Field(
        None, description="true: after the other changes, the text engine writes this line's English again"
    )

    @field_validator("notes")
    @classmethod
    def _one_line_each(cls, notes: list[str] | None) -> list[str] | None:
        # the archive keeps notes one a line: a break inside one would silently make it two
        if notes and any("\n" in n or "\r" in n for n in notes):
            raise ValueError("a note is one line: send each note as an item of the list")
        return notes


class SplitBody(BaseModel):
    """Where to split a line: a time inside it, and optionally the places in its text and English."""

    model_config = ConfigDict(extra="forbid")
    at: StrictInt = Field(ge=1, description="ms: the second line starts here")
    text_at: StrictInt | None = Field(
        None, ge=0, description="character offset where the second line's text begins"
    )
    translation_at: StrictInt | None = Field(None, ge=0, description="the same in the English")
    version: StrictInt | None = Field(None, ge=1)
    retranslate: StrictBool | None = Field(
        None, description="true: the text engine writes both lines' English again"
    )


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt | None = Field(None, ge=1, description="this line's version")
    next_version: StrictInt | None = Field(None, ge=1, description="the next line's version")


class InsertBody(BaseModel):
    """A new line over a stretch no line covers."""

    model_config = ConfigDict(extra="forbid")
    start: StrictInt = Field(ge=0, description="ms")
    end: StrictInt = Field(ge=1, description="ms")
    text: StrictStr = Field("", max_length=MAX_TEXT)
    translation: StrictStr = Field("", max_length=MAX_TEXT)
    speaker: StrictStr | None = Field(None, max_length=80)


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
    data["review"] = {"reviewed": 0, "total": 0, "reviewer": None, "approver": None, "withdrawn": ""}
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
        "rules": shapes.rules(rules_for(transcript)),
        "legend": legend(transcript),
    }
    data["review"] = shapes.review(archive.review_state(run_id))
    data["segments"] = [shapes.segment(s) for s in transcript.segments]
    return data


@router.delete("/clips/{id}", status_code=204)
def delete_clip(id: str, archive: ArchiveDep) -> Response:
    """Delete a clip, its runs, its stored files and its cached thumbnail and waveform."""
    clip_id, _ = archive.resolve(id)
    archive.remove(clip_id)
    return Response(status_code=204)


@router.get("/clips/{id}/segments/{n}")
def get_segment(id: str, n: int, archive: ArchiveDep, response: Response) -> dict[str, Any]:
    """One line, with its version as an ETag to send back in If-Match (or ``version``)."""
    line = _line(archive, archive.run_of(id), n)
    response.headers["ETag"] = _etag(line)
    return shapes.segment(line)


@router.patch("/clips/{id}/segments/{n}", response_model=None)
def patch_segment(
    id: str,
    n: int,
    patch: SegmentPatch,
    archive: ArchiveDep,
    caller: CallerDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any] | JSONResponse:
    """Change fields of line ``n`` together, or none of them; returns the line, its whole history
    oldest first, and the clip's review state. A stale version is a 409 carrying the line as stored.

    With ``retranslate``, the text engine then writes the line's English again from its text as it now
    stands (the reviewer's change applied first, as their own revision): the engine's revision is by
    the engine, and the answer says so in ``retranslated``. With no text engine it is a 409, and the
    reviewer's change stays saved."""
    run_id = archive.run_of(id)
    changes = _changes(patch)
    version = _version(patch.version, if_match)
    try:
        saved = archive.edit_line(run_id, n, changes, caller.name, version=version) if changes else []
        if not changes and version is not None:  # re-translating only: the page must show the line as stored
            archive.check_version(run_id, n, version)
        retranslated = _retranslate(archive, run_id, n, bool(saved)) if patch.retranslate else None
    except ConflictError as e:
        line = _line(archive, run_id, n)
        return JSONResponse(
            {**body(e), "segment": shapes.segment(line)}, status_code=409, headers={"ETag": _etag(line)}
        )
    line = _line(archive, run_id, n)
    response.headers["ETag"] = _etag(line)
    reply = {
        "segment": shapes.segment(line),
        "revisions": [shapes.revision(r) for r in archive.revisions(run_id, n)],
        "review": shapes.review(archive.review_state(run_id)),
    }
    if retranslated is not None:
        reply["retranslated"] = retranslated
    return reply


@router.post("/clips/{id}/segments/{n}/split", response_model=None)
def split_segment(
    id: str,
    n: int,
    split: SplitBody,
    archive: ArchiveDep,
    caller: CallerDep,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any] | JSONResponse:
    """Split line ``n`` in two at ``at``: it keeps its number, the second half takes the next free one.
    With ``retranslate``, the text engine then writes both halves' English again (a 409 without one,
    the split kept)."""
    run_id = archive.run_of(id)
    version = _version(split.version, if_match)
    try:
        step = archive.split_line(
            run_id,
            n,
            split.at,
            caller.name,
            text_at=split.text_at,
            translation_at=split.translation_at,
            version=version,
        )
    except ConflictError as e:
        return _stale_lines(archive, run_id, e)
    reply = _structure_reply(archive, run_id, step)
    if split.retranslate:
        reply["retranslated"] = _retranslate(archive, run_id, list(step.lines), True)
        reply["segments"] = [shapes.segment(s) for s in archive.segments(run_id)]
    return reply


@router.post("/clips/{id}/segments/{n}/merge", response_model=None)
def merge_segment(
    id: str, n: int, merge: MergeBody, archive: ArchiveDep, caller: CallerDep
) -> dict[str, Any] | JSONResponse:
    """Merge line ``n`` with the line after it in time; that line is deleted (an undo brings it back)."""
    run_id = archive.run_of(id)
    try:
        step = archive.merge_lines(
            run_id, n, caller.name, version=merge.version, next_version=merge.next_version
        )
    except ConflictError as e:
        return _stale_lines(archive, run_id, e)
    return _structure_reply(archive, run_id, step)


@router.post("/clips/{id}/segments", status_code=201)
def insert_segment(id: str, line: InsertBody, archive: ArchiveDep, caller: CallerDep) -> dict[str, Any]:
    """Add a line (for speech Whisper missed) over a stretch no line covers; it takes the next free number."""
    run_id = archive.run_of(id)
    step = archive.insert_line(
        run_id,
        line.start,
        line.end,
        caller.name,
        text=line.text,
        translation=line.translation,
        speaker=line.speaker,
    )
    return _structure_reply(archive, run_id, step)


@router.delete("/clips/{id}/segments/{n}", response_model=None)
def delete_segment(
    id: str,
    n: int,
    archive: ArchiveDep,
    caller: CallerDep,
    version: Annotated[int | None, Query(ge=1)] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any] | JSONResponse:
    """Delete line ``n`` (e.g. one Whisper invented on noise); its number is never reused."""
    run_id = archive.run_of(id)
    try:
        step = archive.delete_line(run_id, n, caller.name, version=_version(version, if_match))
    except ConflictError as e:
        return _stale_lines(archive, run_id, e)
    return _structure_reply(archive, run_id, step)


class SpeakerBody(BaseModel):
    """A speaker's new name and/or role, for every line they speak."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = Field(None, max_length=80, description="e.g. R; left out: the name stays")
    role: StrictStr | None = Field(None, max_length=80, description="e.g. Russian soldier; '' removes it")


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: StrictInt = Field(ge=1, description="the first line (number) of the range")
    last: StrictInt = Field(ge=1, description="the last line of the range, in time order")
    speaker: StrictStr = Field(max_length=80)


@router.put("/clips/{id}/speakers/{label}")
def put_speaker(
    id: str, label: str, speaker: SpeakerBody, archive: ArchiveDep, caller: CallerDep
) -> dict[str, Any]:
    """Rename speaker ``label`` and/or give their role in the legend ("S1" -> "R", "Russian soldier"),
    on every line they speak, as one step (one undo)."""
    run_id = archive.run_of(id)
    step = archive.name_speaker(run_id, label, caller.name, name=speaker.name, role=speaker.role)
    return _structure_reply(archive, run_id, step)


@router.post("/clips/{id}/speakers/assign")
def assign_speaker(id: str, assign: AssignBody, archive: ArchiveDep, caller: CallerDep) -> dict[str, Any]:
    """Give lines ``first`` to ``last`` (in time order) to ``speaker``, as one step."""
    run_id = archive.run_of(id)
    step = archive.assign_speaker(run_id, assign.first, assign.last, assign.speaker, caller.name)
    return _structure_reply(archive, run_id, step)


@router.post("/clips/{id}/approval")
def approve_clip(id: str, archive: ArchiveDep, caller: CallerDep) -> dict[str, Any]:
    """The second step of sign-off: the caller approves the reviewed clip. 400 while a line is not
    reviewed, 422 when the caller reviewed any line (a second person approves)."""
    run_id = archive.run_of(id)
    archive.approve(run_id, caller.name)
    return {"review": shapes.review(archive.review_state(run_id))}


@router.delete("/clips/{id}/approval")
def withdraw_approval(id: str, archive: ArchiveDep, caller: CallerDep) -> dict[str, Any]:
    """Take the standing approval back (any change to a line withdraws it by itself)."""
    run_id = archive.run_of(id)
    archive.withdraw_approval(run_id, caller.name)
    return {"review": shapes.review(archive.review_state(run_id))}


def _structure_reply(archive: Archive, run_id: str, step: Any) -> dict[str, Any]:
    """What a split, merge, insert, delete or speaker change answers: the action, the lines it changed
    or added (by number), its revisions, every line as it now stands in time order, the speaker legend
    and the review state."""
    transcript = archive.transcript(run_id)  # read once: its lines and its legend
    return {
        "action": step.action,
        "lines": list(step.lines),
        "revisions": [shapes.revision(r) for r in step.revisions],
        "segments": [shapes.segment(s) for s in transcript.segments],
        "legend": legend(transcript),
        "review": shapes.review(archive.review_state(run_id)),
    }


def _stale_lines(archive: Archive, run_id: str, e: ConflictError) -> JSONResponse:
    return JSONResponse(
        {**body(e), "segments": [shapes.segment(s) for s in archive.segments(run_id)]}, status_code=409
    )


def _retranslate(archive: Archive, run_id: str, n: int | list[int], saved: bool) -> dict[str, Any]:
    """Line ``n``'s new English from the server's text engine: {"by": its label, "changed": whether the
    English changed, "warnings": [...]}.

    The engine comes from the server's settings (config file and environment), as a queued job's
    options do. No engine, or an engine that fails, is a 409 that says whether the reviewer's change
    was kept; a line changed meanwhile is the usual ConflictError."""
    from tolmach.retranslate import retranslate_lines
    from tolmach.settings import load_options

    numbers = n if isinstance(n, list) else [n]
    for number in numbers:
        _line(archive, run_id, number)  # an unknown line is a 404 before any engine loads
    try:
        done = retranslate_lines(archive, run_id, numbers, load_options())
    except ConflictError:
        raise
    except TolmachError as e:
        kept = " (your change to the line is saved; only the new English is missing)" if saved else ""
        raise WebError(409, f"not translated again: {e.message}{kept}", e.hint) from None
    return {"by": done.author, "changed": bool(done.changed), "warnings": list(done.warnings)}


def _changes(patch: SegmentPatch) -> dict[str, str]:
    """The patch as the archive takes it: every value as text, notes one a line (none when the patch
    only asks for a re-translation)."""
    changes: dict[str, str] = {}
    for field, value in patch.model_dump(exclude_none=True, exclude={"version", "retranslate"}).items():
        if field == "reviewed":
            changes[field] = "1" if value else "0"
        elif field == "notes":
            changes[field] = "\n".join(value)
        elif field == "dismissed":
            changes[field] = "\n".join(f"{f['kind']}: {' '.join(f['detail'].split())}" for f in value)
        else:
            changes[field] = str(value)
    if patch.retranslate and "translation" in changes:
        raise OptionsError(
            "send either a translation or retranslate: true, not both",
            "the engine would replace the English you send at once",
        )
    if not changes and not patch.retranslate:
        raise OptionsError(
            "nothing to change",
            "send any of text, translation, speaker, start, end, notes, dismissed, reviewed,"
            " or retranslate: true",
        )
    return changes


def _version(given: int | None, if_match: str | None) -> int | None:
    """The version the caller edited: the body's ``version``, or If-Match's ETag (they must agree)."""
    if if_match is None or if_match.strip() == "*":
        return given
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()) or int(tag) < 1:  # isdigit alone takes '²'
        raise OptionsError(
            f'If-Match must be a line\'s ETag such as "3", not {if_match.strip()[:40]!r}',
            "send the ETag of GET .../segments/N, or 'version' in the body",
        )
    if given is not None and given != int(tag):
        raise OptionsError(
            f"If-Match says version {tag}, the body says {given}", "send the version once, or the same twice"
        )
    return int(tag)


def _etag(line: Segment) -> str:
    return f'"{line.version}"'


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
    transcript = archive.transcript(run_id)  # read once: the line, and every line when lines came or went
    reply: dict[str, Any] = {
        "segment": next((shapes.segment(s) for s in transcript.segments if s.id == revision.segment), None),
        "revision": shapes.revision(revision),
        "review": shapes.review(archive.review_state(run_id)),
    }
    if revision.step is not None:  # a split, merge, insert, delete or speaker change taken back
        reply["segments"] = [shapes.segment(s) for s in transcript.segments]
        reply["legend"] = legend(transcript)
    return reply


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
