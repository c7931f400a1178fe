"""Files the API serves: the original clip (with Range, for seeking), its thumbnail and waveform peaks
(media/peaks.py; both made on first request and kept), the subtitle tracks the player shows, and every
export and publish output, rendered from the run's latest text.

What is served carries file names only, never the archive's, the user's or the upload folder (see
subtitles.formats.jsonformat), and the clip's notes only when the publish download asks for them with
``?include_notes=1``, as ``tolmach publish --include-notes`` does.

Served files get a Content-Security-Policy of their own that forbids everything: a stored clip or an
export opened directly in the browser can never run script in this origin, whatever its bytes say.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Response
from fastapi.responses import FileResponse

from tolmach.archive import Archive
from tolmach.archive.archive import PEAKS, THUMBS
from tolmach.errors import InputError, OptionsError
from tolmach.records import ClipInfo, Transcript
from tolmach.subtitles import render
from tolmach.web.auth import api_caller
from tolmach.web.deps import ArchiveDep
from tolmach.web.errors import WebError

router = APIRouter(prefix="/api", dependencies=[Depends(api_caller)])

FILE_CSP = "default-src 'none'; sandbox"
FORMAT_NAMES = ("ass", "json", "txt")  # exports with one file per clip
PUBLISH_NAMES = ("thread.txt", "quotes.md", "quotes.html", "manifest.json")
TYPES = {
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
    "ass": "text/x-ssa",
    "json": "application/json",
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
}
# ffprobe's container name -> what a browser's <video> is told; anything else is served as bytes
CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": ("video/mp4", "audio/mp4"),
    "matroska,webm": ("video/webm", "audio/webm"),
    "ogg": ("video/ogg", "audio/ogg"),
    "mp3": ("audio/mpeg", "audio/mpeg"),
    "wav": ("audio/wav", "audio/wav"),
    "flac": ("audio/flac", "audio/flac"),
    "mpegts": ("video/mp2t", "video/mp2t"),
}


@router.get("/clips/{id}/media", response_class=FileResponse)
def media(id: str, archive: ArchiveDep) -> FileResponse:
    """The original file as stored; Range requests give 206 and the bytes asked for."""
    clip_id, _ = archive.resolve(id)
    record = archive.clip(clip_id)
    video, audio = CONTAINERS.get(record.media.container, ("application/octet-stream",) * 2)
    return FileResponse(
        archive.original(clip_id),
        media_type=video if record.media.video_streams else audio,
        headers={"Content-Security-Policy": FILE_CSP, "Cache-Control": "private, max-age=3600"},
        content_disposition_type="inline",
    )


@router.get("/clips/{id}/thumbnail.jpg", response_class=FileResponse)
def thumbnail(id: str, archive: ArchiveDep) -> FileResponse:
    """A frame of the video, made on first request and kept; 404 for a clip without video."""
    from tolmach.media.thumbnail import cached_thumbnail

    clip_id, _ = archive.resolve(id)
    record = archive.clip(clip_id)
    if not record.media.video_streams:
        raise WebError(404, f"clip {id} has no video", "audio-only clips have no thumbnail")
    path = cached_thumbnail(
        archive.original(clip_id), archive.home / THUMBS, clip_id, record.media.duration_ms
    )
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"Content-Security-Policy": FILE_CSP, "Cache-Control": "private, max-age=86400"},
    )


@router.get("/clips/{id}/peaks", response_class=FileResponse)
def peaks(id: str, archive: ArchiveDep) -> FileResponse:
    """The waveform the review page draws (docs/FORMATS.md, "Waveform peaks"), made on first request
    and kept (the worker makes it when it stores a clip); 404 for a clip without audio."""
    from tolmach.media.peaks import cached_peaks

    clip_id, _ = archive.resolve(id)
    record = archive.clip(clip_id)
    if not record.media.audio_streams:
        raise WebError(404, f"clip {id} has no audio", "a clip without sound has no waveform to draw")
    path = cached_peaks(archive.original(clip_id), archive.home / PEAKS, clip_id)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"Content-Security-Policy": FILE_CSP, "Cache-Control": "private, max-age=86400"},
    )


@router.get("/clips/{id}/tracks/{lang}.vtt")
def track(id: str, lang: str, archive: ArchiveDep) -> Response:
    """The WebVTT the review page's player shows: English (``en``) or the original (its code)."""
    run_id = archive.run_of(id)
    files = render("vtt", archive.transcript(run_id))
    if f"{lang}.vtt" not in files:
        raise InputError(f"no {lang} track in this clip", f"tracks: {', '.join(sorted(files))}")
    return Response(
        files[f"{lang}.vtt"],
        media_type="text/vtt; charset=utf-8",
        headers={"Content-Security-Policy": FILE_CSP, "Cache-Control": "no-store"},
    )


@router.get("/clips/{id}/export/{name}")
def export(id: str, name: str, archive: ArchiveDep, include_notes: bool = False) -> Response:
    """A download named ``<clip file stem>.<name>``, from the latest text of the current run; a publish
    output has the clip's notes only with ``include_notes``."""
    run_id = archive.run_of(id)
    transcript = archive.transcript(run_id)
    record = archive.clip(transcript.media.sha256)
    stem = Path(record.filename).stem or record.id[:12]
    if name in PUBLISH_NAMES:
        files = publish_files(transcript, record.info, stem, archive, run_id, name, include_notes)
    else:
        files = {f"{stem}.{suffix}": text for suffix, text in _rendered(transcript, name).items()}
    filename = f"{stem}.{name}"
    if filename not in files:
        raise InputError(
            f"no export '{name}' for this clip", f"exports: {', '.join(export_names(transcript))}"
        )
    media_type = TYPES.get(name.rpartition(".")[2], "application/octet-stream")
    return Response(
        files[filename],
        media_type=f"{media_type}; charset=utf-8",
        headers={
            "Content-Disposition": attachment(filename),
            "Content-Security-Policy": FILE_CSP,
            "Cache-Control": "no-store",
        },
    )


def export_names(transcript: Transcript) -> list[str]:
    tracks = [transcript.language] + (["en"] if transcript.language != "en" else [])
    subtitles = [f"{lang}.{fmt}" for fmt in ("srt", "vtt") for lang in tracks]
    return [*subtitles, *FORMAT_NAMES, *PUBLISH_NAMES]


def _rendered(transcript: Transcript, name: str) -> dict[str, str]:
    """The files of the format ``name`` asks for ('en.srt' -> srt, 'json' -> json)."""
    fmt = name.rpartition(".")[2]
    if fmt not in ("srt", "vtt", *FORMAT_NAMES) or (fmt in FORMAT_NAMES and fmt != name):
        raise InputError(
            f"no export '{name}' for this clip", f"exports: {', '.join(export_names(transcript))}"
        )
    try:
        return render(fmt, transcript)
    except OptionsError as e:  # an unknown format name is a missing resource here, not a bad option
        raise InputError(f"no export '{name}'", e.hint) from None


def publish_files(
    transcript: Transcript,
    info: ClipInfo,
    stem: str,
    archive: Archive,
    run_id: str,
    name: str,
    include_notes: bool = False,
) -> dict[str, str]:
    """The publish output ``name`` asks for, as 'tolmach publish' writes it; the manifest binds the
    subtitle and JSON outputs and the thread and quote sheet, each under the name it downloads as."""
    from tolmach.publish import build_thread, quotes_html, quotes_markdown
    from tolmach.publish.lines import shown_source

    # by name only, as the thread and quote sheet show it: an upload's source is a path on the server
    info = replace(info, source=shown_source(info.source))
    reviewer, notes = transcript.reviewer, include_notes
    files: dict[str, str] = {}
    if name in ("thread.txt", "manifest.json"):
        posts = build_thread(transcript, info, reviewer=reviewer, include_notes=notes)
        files[f"{stem}.thread.txt"] = "\n\n".join(posts) + "\n"
    if name in ("quotes.md", "manifest.json"):
        files[f"{stem}.quotes.md"] = quotes_markdown(transcript, info, reviewer=reviewer, include_notes=notes)
    if name in ("quotes.html", "manifest.json"):
        files[f"{stem}.quotes.html"] = quotes_html(transcript, info, reviewer=reviewer, include_notes=notes)
    if name == "manifest.json":
        files[f"{stem}.manifest.json"] = _manifest(
            transcript, info, stem, files, archive, run_id, include_notes
        )
    return files


def _manifest(
    transcript: Transcript,
    info: ClipInfo,
    stem: str,
    published: dict[str, str],
    archive: Archive,
    run_id: str,
    include_notes: bool,
) -> str:
    from tolmach.publish.bundle import manifest_bundle

    edits = archive.edits(run_id)
    files = manifest_bundle(
        transcript, info, stem, published, edits, archive.home, include_notes=include_notes
    )
    return files[f"{stem}.manifest.json"]


def attachment(filename: str) -> str:
    """A Content-Disposition that any browser reads: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
