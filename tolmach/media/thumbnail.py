"""One frame of a video as a small JPEG, for the archive page; cached by the clip's sha256.

The frame comes from a tenth of the way in (at most 10 s), past the black or logo frames many clips
open with. Written through ``atomic_path``: a thumbnail is whole or absent, never a broken image.
"""

from __future__ import annotations

import os
from pathlib import Path

from tolmach.errors import MediaToolError
from tolmach.media.ffmpeg import input_url, run_ffmpeg
from tolmach.media.files import atomic_path

WIDTH = 320  # pixels; the archive page shows it at most this wide
LATEST_MS = 10_000  # never look further in than this for the frame


def frame_time(duration_ms: int) -> int:
    return min(max(duration_ms, 0) // 10, LATEST_MS)


def write_thumbnail(
    source: str | os.PathLike[str], target: str | os.PathLike[str], at_ms: int = 0, width: int = WIDTH
) -> Path:
    """Write the frame at ``at_ms`` of ``source`` to ``target`` as JPEG; the first frame if that is past
    the end (a container's duration can be longer than its video stream)."""
    target = Path(target)
    url = input_url(source)
    what = os.fspath(source)
    with atomic_path(target) as tmp:
        for at in dict.fromkeys((at_ms, 0)):
            args = ["-ss", f"{at / 1000:.3f}", "-i", url, "-map", "0:v:0", "-frames:v", "1"]
            args += ["-vf", f"scale={width}:-2", "-c:v", "mjpeg", "-q:v", "5", "-f", "image2", "-update", "1"]
            run_ffmpeg([*args, str(tmp)], what=what, url=url, output=str(target))
            if tmp.stat().st_size > 0:
                break
        else:
            raise MediaToolError(
                f"{what}: ffmpeg found no video frame to show", "the video stream may be empty"
            )
    return target


def cached_thumbnail(source: str | os.PathLike[str], folder: Path, sha256: str, duration_ms: int) -> Path:
    """``folder/<sha256>.jpg``, made on first use."""
    target = folder / f"{sha256}.jpg"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_thumbnail(source, target, frame_time(duration_ms))
    return target
