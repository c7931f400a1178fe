"""Look at a source file before anything else touches it: is it there, is it media, does it have sound.

``probe`` turns every way a source file can be wrong into one InputError whose message names the file
and the problem, so the user never sees a raw ffprobe trace. It reads the file (ffprobe, sha256) and
never writes anything.
"""

from __future__ import annotations

import errno
import os
import stat
from fractions import Fraction
from typing import Any

from tolmach.errors import InputError
from tolmach.media.ffmpeg import ffprobe_json
from tolmach.media.files import sha256_file
from tolmach.records import MediaInfo, Stream

HINT_NOT_MEDIA = "check that it plays in a media player; it may be a web page saved under a video's name"
HINT_TRUNCATED = "the download or copy probably stopped early; fetch the file again"
HINT_NO_AUDIO = "there is no speech to transcribe; look for a copy of the clip that has sound"

# The first bytes of containers ffmpeg reads. A file that starts like one of these but that ffprobe
# cannot open is a damaged media file, not a text file with the wrong name: the user needs the other hint.
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
_MAGIC = (
    b"\x1a\x45\xdf\xa3",  # Matroska / WebM
    b"RIFF",  # WAV, AVI
    b"OggS",  # Ogg, Opus
    b"ID3",  # MP3 with a tag
    b"fLaC",  # FLAC
    b"FLV",  # Flash video
    b"\x30\x26\xb2\x75",  # ASF / WMV
    b"\x00\x00\x01\xba",  # MPEG program stream
)
# Formats ffprobe "reads" that are not recordings: text shown as video, single pictures.
_NOT_RECORDINGS = {"tty": "a text file", "image2": "a still image"}


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """What the file at ``path`` holds, with its sha256; InputError when it is not usable media."""
    name = os.fspath(path)
    size = check_input_file(name)
    fmt, raw_streams = _ffprobe_checked(name)
    streams = tuple(_stream(s) for s in raw_streams)
    if not any(s.kind == "audio" for s in streams):
        if any(s.kind == "video" for s in streams):
            raise InputError(f"{name}: has no audio stream (video only)", HINT_NO_AUDIO)
        raise InputError(f"{name}: has no audio stream", HINT_NO_AUDIO)
    return MediaInfo(
        path=name,
        sha256=sha256_file(name),  # only once ffprobe has accepted it: a bad file fails fast
        size=size,
        duration_ms=_duration_ms(fmt, raw_streams),
        container=str(fmt.get("format_name", "unknown")),
        streams=streams,
    )


def _ffprobe_checked(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """ffprobe's format and streams for a file that is media; InputError saying why it is not."""
    data, result = ffprobe_json(name)
    if data is None or not data.get("streams"):
        if _looks_like_media(name):
            raise InputError(
                f"{name}: looks truncated or corrupt ({result.tail or 'no streams'})", HINT_TRUNCATED
            )
        raise InputError(f"{name}: not an audio or video file ffmpeg can read", HINT_NOT_MEDIA)
    fmt: dict[str, Any] = data.get("format") or {}
    container = str(fmt.get("format_name", "unknown"))
    if container in _NOT_RECORDINGS or container.endswith("_pipe"):
        what = _NOT_RECORDINGS.get(container, "a still image")
        raise InputError(
            f"{name}: is {what}, not an audio or video file", "give tolmach a recording with sound"
        )
    return fmt, list(data["streams"])


def check_input_file(path: str) -> int:
    """The size of the regular, readable, non-empty file at ``path``; InputError naming what is wrong."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", "check the path and its spelling") from None
    except PermissionError:
        raise InputError(
            f"{path}: cannot be read (permission denied)", "check the permissions of the file and its folders"
        ) from None
    except OSError as exc:  # ENAMETOOLONG, ELOOP, ENOTDIR: the path itself is wrong
        raise InputError(f"{path}: cannot be opened ({exc.strerror})", "check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(
            f"{path}: is a folder, not a file", "give the path of a video or audio file inside it"
        )
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would hang the sha256 or ffprobe
        raise InputError(f"{path}: is not a regular file", "copy the recording into a file first")
    if st.st_size == 0:
        raise InputError(
            f"{path}: is empty (0 bytes)", "the download or copy may have failed; fetch it again"
        )
    try:
        with open(path, "rb") as fp:
            fp.read(1)
    except PermissionError:
        raise InputError(
            f"{path}: cannot be read (permission denied)", "check the file's permissions (chmod u+r)"
        ) from None
    except OSError as exc:
        hint = "the disk or network share may be failing" if exc.errno == errno.EIO else "check the file"
        raise InputError(f"{path}: cannot be read ({exc.strerror})", hint) from None
    return st.st_size


def _looks_like_media(path: str) -> bool:
    with open(path, "rb") as fp:
        head = fp.read(12)
    if head[4:8] in _MP4_BOXES or head.startswith(_MAGIC):
        return True
    return len(head) >= 1 and head[0] == 0x47 and _is_mpeg_ts(path)  # 0x47: MPEG-TS sync byte


def _is_mpeg_ts(path: str) -> bool:
    with open(path, "rb") as fp:
        block = fp.read(188 * 3)
    return len(block) > 188 and all(block[i] == 0x47 for i in range(0, len(block), 188))


def _stream(raw: dict[str, Any]) -> Stream:
    kind = str(raw.get("codec_type", "data"))
    if kind == "video" and (raw.get("disposition") or {}).get("attached_pic"):
        kind = "attachment"  # cover art in an mp3/m4a is a picture, not a video to subtitle
    language = (raw.get("tags") or {}).get("language")
    return Stream(
        index=int(raw.get("index", 0)),
        kind=kind,
        codec=str(raw.get("codec_name", "unknown")),
        language=None if language in (None, "", "und") else str(language),
        channels=_int(raw.get("channels")) if kind == "audio" else None,
        sample_rate=_int(raw.get("sample_rate")) if kind == "audio" else None,
        width=_int(raw.get("width")) if kind == "video" else None,
        height=_int(raw.get("height")) if kind == "video" else None,
        fps=_fps(raw.get("avg_frame_rate")) if kind == "video" else None,
    )


def _duration_ms(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> int:
    """The container's duration; failing that the longest stream's; 0 when nobody knows (live streams)."""
    seconds = _float(fmt.get("duration"))
    if seconds is None or seconds <= 0:
        seconds = max((_float(s.get("duration")) or 0.0 for s in streams), default=0.0)
    return max(0, round(seconds * 1000))


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _float(value: object) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def _fps(value: object) -> float | None:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(rate), 3) if rate > 0 else None
