"""POST /api/clips: stream an upload to disk under the archive's tmp/uploads/ and queue a job per file.

The body is parsed as it arrives (python-multipart's streaming parser): no file is ever held in memory,
and each is refused the moment it passes ``--max-upload``. Every file goes into a folder of its own
with a server-chosen random name; inside it the file is named after a sanitised copy of the client's
file name (letters, digits and a few marks, no folders, no leading dot), because the archive records a
clip's file name from its path. A refused, failed or cancelled upload removes everything it wrote.
"""

from __future__ import annotations

import secrets
import shutil
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect

from tolmach.archive import Archive
from tolmach.archive import jobs as job_table
from tolmach.errors import OptionsError
from tolmach.records import ClipInfo
from tolmach.settings import BY_NAME, load_options, parse_value
from tolmach.web import shapes
from tolmach.web.auth import api_caller
from tolmach.web.deps import config_of
from tolmach.web.errors import WebError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/api", dependencies=[Depends(api_caller)])

UPLOADS = "uploads"  # under the archive's tmp/
OPTION_FIELDS = ("lang", "model", "formats")  # form fields that are settings
INFO_FIELDS = ("title", "place", "filmed", "notes", "tags")
MAX_FIELD = 64 << 10  # bytes in one non-file field
MAX_FILES = 100
MAX_FIELDS = 50
MAX_NAME_BYTES = 150  # of the stored file name; far below every file system's limit
BATCH = 1 << 20  # parse (and write) the body in pieces of about this much, off the event loop
_NAME_MARKS = " ._-()[]+,"
HINT_FORM = "send multipart/form-data with the clip in a 'file' field"
HINT_LIMIT = "the server's --max-upload sets the limit; cut the clip, or ask for a larger limit"
UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        **{name: {"type": "string"} for name in (*OPTION_FIELDS, *INFO_FIELDS)},
                    },
                }
            }
        },
    }
}


@dataclass
class Received:
    path: Path
    name: str  # the client's file name, as metadata
    size: int = 0


@dataclass
class Receiver:
    """The parser's callbacks: file parts to disk, other fields to memory (bounded)."""

    folder: Path
    max_file: int
    files: list[Received] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _header: list[bytes] = field(default_factory=lambda: [b"", b""])
    _field: tuple[str, bytearray] | None = None
    _out: BinaryIO | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add(0, data[start:end]),
            "on_header_value": lambda data, start, end: self._add(1, data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}

    def _add(self, which: int, data: bytes) -> None:
        self._header[which] += data

    def _header_end(self) -> None:
        self._headers[self._header[0].strip().lower()] = self._header[1].strip()
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", errors="replace")
        # a 'file' part is a file even without a file name (the parser drops RFC 2231 'filename*')
        if b"filename" not in params and name != "file":
            if len(self.fields) >= MAX_FIELDS:
                raise WebError(413, f"more than {MAX_FIELDS} form fields", HINT_FORM)
            self._field = (name, bytearray())
            return
        if name != "file":
            raise WebError(400, f"unexpected file in the form field '{name}'", HINT_FORM)
        if len(self.files) >= MAX_FILES:
            raise WebError(413, f"more than {MAX_FILES} files in one upload", "send them in several uploads")
        client = params.get(b"filename", b"").decode("utf-8", errors="replace")
        folder = self.folder / secrets.token_hex(8)
        folder.mkdir(parents=True)
        received = Received(folder / stored_name(client), one_line(client) or "upload")
        self.files.append(received)
        self._out = open(received.path, "xb")  # noqa: SIM115 (closed in _part_end or close())

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            current = self.files[-1]
            current.size += end - start
            if current.size > self.max_file:
                raise WebError(
                    413, f"{current.name} is larger than the limit of {self.max_file:,} bytes", HINT_LIMIT
                )
            self._out.write(data[start:end])
        elif self._field is not None:
            self._field[1].extend(data[start:end])
            if len(self._field[1]) > MAX_FIELD:
                raise WebError(413, f"the form field '{self._field[0]}' is too long", HINT_FORM)

    def _part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            if self.files[-1].size == 0:
                name = self.files[-1].name
                raise WebError(400, f"{name} is empty (0 bytes)", "the file may not have finished copying")
        elif self._field is not None:
            self.fields[self._field[0]] = self._field[1].decode("utf-8", errors="replace")
            self._field = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def remove(self) -> None:
        """Remove every file written: the upload failed, was refused, or its client went away."""
        self.close()
        for received in self.files:
            shutil.rmtree(received.path.parent, ignore_errors=True)


@router.post("/clips", status_code=202, openapi_extra=UPLOAD_SCHEMA)
async def upload(request: Request) -> JSONResponse:
    """Upload clips (multipart: ``file`` repeatable, and options); each becomes a queued job."""
    config = config_of(request)
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise WebError(400, "an upload must be multipart/form-data", HINT_FORM)
    archive = await anyio.to_thread.run_sync(Archive, config.home)
    receiver = Receiver(archive.tmp / UPLOADS, config.max_upload)
    try:
        await _receive(request, MultipartParser(params[b"boundary"], receiver.callbacks()))
        if not receiver.files:
            raise WebError(400, "no file in the upload", HINT_FORM)
        overrides, info = _form(receiver.fields)
        jobs = await anyio.to_thread.run_sync(_queue, archive, receiver.files, overrides, info)
    except BaseException:
        receiver.remove()
        raise
    finally:
        archive.close()
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    return JSONResponse({"jobs": jobs}, status_code=202)


async def _receive(request: Request, parser: MultipartParser) -> None:
    pending: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            pending.append(chunk)
            size += len(chunk)
            if size >= BATCH:
                await anyio.to_thread.run_sync(parser.write, b"".join(pending))
                pending, size = [], 0
        await anyio.to_thread.run_sync(parser.write, b"".join(pending))
        parser.finalize()
    except MultipartParseError as exc:
        raise WebError(400, f"the upload is not valid multipart/form-data ({exc})", HINT_FORM) from None
    except ClientDisconnect:
        raise WebError(400, "the upload was cancelled", "") from None
    except OSError as exc:
        from tolmach.media.files import output_error

        raise output_error(Path(getattr(exc, "filename", None) or "upload"), exc) from exc


def _form(fields: dict[str, str]) -> tuple[dict[str, str], ClipInfo]:
    """The job's settings (as given: they are parsed again when it runs) and what is known of the clip."""
    overrides = {k: fields[k].strip() for k in OPTION_FIELDS if fields.get(k, "").strip()}
    load_options({k: parse_value(BY_NAME[k], v, k) for k, v in overrides.items()})  # refuse bad ones now
    tags = tuple(dict.fromkeys(t.strip() for t in fields.get("tags", "").split(",") if t.strip()))
    if any(len(t) > 80 for t in tags):
        raise OptionsError("a tag is longer than 80 characters", "tags are short words, separated by commas")
    text = {k: fields.get(k, "").strip() for k in ("title", "place", "filmed", "notes")}
    return overrides, ClipInfo(source="", tags=tags, **text)


def _queue(
    archive: Archive, files: list[Received], overrides: dict[str, str], info: ClipInfo
) -> list[dict[str, Any]]:
    queued = []
    for f in files:
        job = job_table.add(archive.conn, f.name, str(f.path), overrides, replace(info, source=f.name))
        queued.append(shapes.job(job))
    return queued


def stored_name(client: str) -> str:
    """A file name made from the client's: its last path part, letters, digits and a few marks only."""
    name = unicodedata.normalize("NFC", client.replace("\\", "/").rpartition("/")[2])
    name = "".join(c for c in name if c.isalnum() or c in _NAME_MARKS)
    name = " ".join(name.split()).lstrip(". ")
    while len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:-1]}{dot}{ext}" if stem and len(ext) < 10 else name[:-1]
    return name or "upload"


def one_line(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(c for c in text if c.isprintable()).split())[:255]
