"""What ``tolmach batch`` was given, as a list of clips: folders, list files and single files or URLs.

A folder means every media file inside it, at any depth, by extension (hidden files and folders are
skipped); a ``.txt`` file means one path or URL a line (``#`` starts a comment; relative paths are
relative to the list's folder). A missing or unreadable file is still a clip: its job fails with the
reason, as any bad clip does, and the others go on. Each clip gets an output name: its path inside the
folder it came from (so ``a/clip.mp4`` and ``b/clip.mp4`` do not overwrite each other's subtitles), or
its file name, with ``-2``, ``-3``... added when two would still collide.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tolmach.errors import InputError
from tolmach.media.fetch import is_url

_VIDEO = (".mp4", ".m4v", ".mkv", ".mov", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".3gp")
_MORE = (".flv", ".wmv", ".asf", ".ogv", ".mp3", ".wav", ".flac", ".m4a", ".aac", ".ogg", ".oga", ".opus")
MEDIA_EXTENSIONS = frozenset((*_VIDEO, *_MORE, ".wma", ".amr"))
HINT_EMPTY = "put video or audio files in it, or pass files or a .txt list of paths and URLs"


@dataclass(frozen=True)
class Source:
    location: str  # an absolute path, or a URL
    name: str  # where its outputs go inside the output folder, without suffix: "sub/clip"


def gather(arguments: Sequence[str]) -> list[Source]:
    """Every clip named by ``arguments``, in order, each once."""
    if not arguments:
        raise InputError("no clips given", "pass a folder, a .txt list, or files")
    found: list[tuple[str, str]] = []
    for argument in arguments:
        found.extend(_expand(argument))
    seen: set[str] = set()
    names: set[str] = set()
    sources = []
    for location, name in found:
        if location in seen:
            continue
        seen.add(location)
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}-{n}"
        names.add(unique)
        sources.append(Source(location, unique))
    return sources


def _expand(argument: str, relative_to: Path | None = None) -> list[tuple[str, str]]:
    if is_url(argument):
        return [(argument, _url_name(argument))]
    path = Path(argument).expanduser()
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    path = Path(os.path.abspath(path))
    if path.is_dir():
        files = list(_media_in(path))
        if not files:
            raise InputError(f"{argument}: no video or audio files in this folder", HINT_EMPTY)
        return [(str(f), f.relative_to(path).with_suffix("").as_posix()) for f in files]
    if path.suffix.lower() == ".txt" and path.is_file():
        return _listed(path)
    return [(str(path), path.stem)]


def _media_in(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in MEDIA_EXTENSIONS:
                yield Path(root) / name


def _listed(listing: Path) -> list[tuple[str, str]]:
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{listing}: cannot read the list ({exc})", "a UTF-8 text file, one path a line"
        ) from None
    found: list[tuple[str, str]] = []
    for line in lines:
        entry = line.split("#", 1)[0].strip() if not is_url(line.strip()) else line.strip()
        if entry:
            found.extend(_expand(entry, listing.parent))
    if not found:
        raise InputError(f"{listing}: lists no clips", "one path or URL a line; # starts a comment")
    return found


def _url_name(url: str) -> str:
    """An output name for a URL: the last part of its path, or a short hash of it."""
    stem = PurePosixPath(urllib.parse.urlsplit(url).path).stem
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:60]
    return safe or "url-" + hashlib.sha256(url.encode()).hexdigest()[:12]
