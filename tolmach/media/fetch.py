"""Save a video from a URL with yt-dlp, so that ``tolmach translate URL`` works on a local copy.

yt-dlp is the optional extra ``tolmach[fetch]``, imported only when a URL is fetched. Everything it writes
goes into a private temp folder inside the caller's folder; only the finished file is moved out, under a
name tolmach makes from the site's video id, so a failed fetch leaves nothing behind and a remote title
never becomes a file name. The Python API reads no yt-dlp config file (only yt-dlp's own command line
does, so there is no ``ignoreconfig`` to set), and its messages go to tolmach's log, never the terminal.
This module never judges what it saved: ingest probes the file like any other source.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import types
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tolmach.errors import InputError, MissingExtraError, OutputError
from tolmach.media.files import HINT_FULL, check_writable_dir

log = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 30.0  # a stalled server fails the fetch after this long instead of hanging it
RETRIES = 2  # per request and per fragment: enough for a dropped connection, not a storm on a dead server
# One file with both video and audio when the site has it (no ffmpeg merge); else the best video and audio
# merged by ffmpeg; else audio alone. Never video alone: tolmach needs the speech.
FORMAT = "b/bv*+ba/ba"
MAX_STEM = 64  # characters of the video id kept in the saved file's name
HINT = "check that the URL opens in a browser, or download the video yourself and pass the file"
HINT_SIZE = "raise the size limit, or download the video yourself and pass the file"

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes when the server says)


@dataclass(frozen=True)
class Fetched:
    """A video saved from a URL and where it came from: the provenance a translation records."""

    path: Path  # the saved file, inside the folder given to fetch()
    url: str  # the URL as the user gave it
    title: str  # as the site reports it; "" when it reports none
    uploader: str  # as the site reports it; "" when it reports none
    upload_date: str  # "YYYY-MM-DD", or "" when the site does not say
    webpage_url: str  # the page yt-dlp resolved the URL to
    extractor: str  # yt-dlp's name for the site, e.g. "youtube"; "generic" for a plain file or page
    fetched_at: str  # when the download finished, ISO 8601 UTC: "2025-01-31T12:00:00Z"


def is_url(source: str) -> bool:
    """True for an http or https URL with a host; ``file:`` URLs and paths are local files."""
    parts = urllib.parse.urlsplit(source)
    return source[:8].lower().startswith(("http://", "https://")) and bool(parts.netloc)


def fetch(
    url: str,
    folder: str | Path,
    *,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    timeout_s: float = SOCKET_TIMEOUT_S,
) -> Fetched:
    """Download the video at ``url`` into ``folder`` and say where it came from.

    ``progress`` is called with the bytes downloaded so far and the total when known. A download larger
    than ``max_bytes`` is stopped. Any failure to fetch raises InputError naming the URL, and leaves
    nothing in ``folder``; a missing yt-dlp raises MissingExtraError.
    """
    if not is_url(url):
        raise InputError(f"cannot fetch {url}: not an http or https URL", "pass a web address or a file path")
    try:
        import yt_dlp
    except ImportError:
        raise MissingExtraError("fetching a URL", "fetch") from None
    target = check_writable_dir(folder)
    work = Path(tempfile.mkdtemp(prefix=".tolmach-fetch-", dir=target))
    try:
        info, saved = _download(yt_dlp, url, work, progress, max_bytes, timeout_s)
        path = _move_out(saved, target, _safe_stem(str(info.get("id") or "")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Fetched(
        path=path,
        url=url,
        title=_text(info.get("title")),
        uploader=_text(info.get("uploader") or info.get("channel")),
        upload_date=_iso_date(info.get("upload_date")),
        webpage_url=_text(info.get("webpage_url")) or url,
        extractor=_text(info.get("extractor")),
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )


class _TooLarge(Exception):
    """Raised from the progress hook to stop a download past ``max_bytes``; yt-dlp lets it through."""


class _Log:
    """yt-dlp's logger: its messages go to tolmach's debug log; the last few explain a silent failure."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=20)

    def debug(self, msg: str) -> None:
        self.lines.append(msg)
        log.debug("yt-dlp: %s", msg)

    info = warning = error = debug


def _download(
    yt_dlp: types.ModuleType,
    url: str,
    work: Path,
    progress: Progress | None,
    max_bytes: int | None,
    timeout_s: float,
) -> tuple[dict[str, Any], Path]:
    """Run yt-dlp into ``work``; the video's info and the file it saved, or InputError."""
    messages = _Log()
    options: dict[str, Any] = {
        "logger": messages,
        "quiet": True,
        "noprogress": True,
        "color": "never",
        "noplaylist": True,  # a video URL that also names a playlist means the video
        "playlistend": 1,  # and if a redirect still lands on a playlist, fetch at most one entry of it
        "format": FORMAT,
        "paths": {"home": str(work), "temp": str(work)},
        "outtmpl": {"default": "media.%(ext)s"},  # a fixed name; fetch() names the file it keeps
        "restrictfilenames": True,
        "updatetime": False,  # the file's mtime is when tolmach saved it, not the server's date
        "socket_timeout": timeout_s,
        "retries": RETRIES,
        "fragment_retries": RETRIES,
        "extractor_retries": RETRIES,
        "file_access_retries": 1,
        "progress_hooks": [_hook(progress, max_bytes)],
    }
    if max_bytes is not None:
        options["max_filesize"] = max_bytes  # refused before downloading when the server gives a size
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            # Look before downloading: a playlist or channel URL would otherwise fetch every video in it.
            found = ydl.extract_info(url, download=False, process=False)
            _refuse_playlist(url, found)
            info = ydl.process_ie_result(found, download=True)
    except _TooLarge:
        raise _too_large(url, max_bytes) from None
    except yt_dlp.utils.YoutubeDLError as exc:
        reason = _reason(exc)
        if "no space left on device" in reason.lower():
            raise OutputError(f"{work.parent}: not written, the disk is full", HINT_FULL) from exc
        raise InputError(f"cannot fetch {url}: {reason}", HINT) from exc
    _refuse_playlist(url, info)
    saved = _saved_file(info, work)
    if saved is None:
        if any("larger than max-filesize" in line for line in messages.lines):
            raise _too_large(url, max_bytes)
        raise InputError(f"cannot fetch {url}: yt-dlp saved no file", HINT)
    return info, saved


def _hook(progress: Progress | None, max_bytes: int | None) -> Callable[[dict[str, Any]], None]:
    """A yt-dlp progress hook that reports to ``progress`` and stops past ``max_bytes``.

    Sizes are summed over the files of one fetch (a video and an audio stream to merge), and only exact
    sizes count against the limit: a fragmented stream's estimate can be far off.
    """
    done: dict[str, int] = {}
    totals: dict[str, int | None] = {}

    def hook(status: dict[str, Any]) -> None:
        name = str(status.get("filename") or "")
        done[name] = int(status.get("downloaded_bytes") or 0)
        exact = status.get("total_bytes")
        totals[name] = int(exact) if exact else None
        so_far = sum(done.values())
        known = [t for t in totals.values() if t is not None]
        total = sum(known) if len(known) == len(totals) else None
        if max_bytes is not None and max(so_far, total or 0) > max_bytes:
            raise _TooLarge
        if progress is not None:
            progress(so_far, total)

    return hook


def _too_large(url: str, max_bytes: int | None) -> InputError:
    return InputError(f"cannot fetch {url}: too large, over the limit of {max_bytes or 0:,} bytes", HINT_SIZE)


def _refuse_playlist(url: str, info: dict[str, Any]) -> None:
    if info.get("_type") in ("playlist", "multi_video"):
        raise InputError(
            f"cannot fetch {url}: it holds several videos (a playlist, channel or page of them)",
            "pass the URL of one video",
        )


def _saved_file(info: dict[str, Any], work: Path) -> Path | None:
    """The file yt-dlp saved for ``info``, when it saved one inside ``work``."""
    for download in info.get("requested_downloads") or ():
        path = Path(download.get("filepath") or work)
        if path.parent == work and path.is_file():
            return path
    return None


def _move_out(saved: Path, folder: Path, stem: str) -> Path:
    """Move ``saved`` into ``folder`` as ``stem.ext``, adding -2, -3... rather than replace a file."""
    ext = saved.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", saved.suffix) else ""
    number = 1
    target = folder / f"{stem}{ext}"
    # Checked, then renamed: another fetch racing for the same name in the same folder is not a use we have.
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}{ext}"
    saved.replace(target)
    return target


def _safe_stem(video_id: str) -> str:
    """A file name stem from a site's video id: letters, digits, ``_`` and ``-``, never a leading dash."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", video_id).strip("_-")[:MAX_STEM]
    return stem or "video"


# "ERROR: [generic] nope: Unable to download webpage: ... (caused by <HTTPError 404: ...>)": the prefix,
# the extractor and video id, the cause and yt-dlp's plea for bug reports are noise in a one-line message.
_PREFIX = re.compile(r"^(?:ERROR: )?(?:\[[^\]]+\] (?:[^\s:]+: )?)?")
_NOISE = re.compile(r" \(caused by .*$|; please report this issue.*$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ERRNO = re.compile(r"^\[Errno -?\d+\] ")
_KNOWN_TRANSPORT = ("connection refused", "timed out", "name or service not known", "network is unreachable")
REASON_CHARS = 200  # at most this many characters of yt-dlp's reason in a message


def _reason(exc: Exception) -> str:
    """Why yt-dlp failed, short and on one line."""
    exc_info = getattr(exc, "exc_info", None)
    cause: Any = exc_info[1] if exc_info else None  # the exception behind yt-dlp's DownloadError
    kind = type(cause).__name__
    if kind == "HTTPError" and isinstance(getattr(cause, "status", None), int):
        return f"HTTP error {cause.status} ({getattr(cause, 'reason', '') or 'no reason given'})"
    if kind == "UnsupportedError":
        return "no video found there (yt-dlp does not know this site or page)"
    text = _ANSI.sub("", str(getattr(exc, "msg", None) or exc))
    if kind in ("TransportError", "SSLError", "ProxyError", "IncompleteRead") and cause is not None:
        text = _ERRNO.sub("", str(cause)).lower()  # "[Errno 111] Connection refused"
        for known in _KNOWN_TRANSPORT:  # the words differ between yt-dlp's urllib and requests handlers
            if known in text:
                return known
    text = " ".join(_NOISE.sub("", _PREFIX.sub("", text)).split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


def _iso_date(value: object) -> str:
    """yt-dlp's "20250131" as "2025-01-31"; "" for anything else."""
    text = str(value or "")
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if re.fullmatch(r"\d{8}", text) else ""
