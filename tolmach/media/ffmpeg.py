"""The one place tolmach runs ffmpeg and ffprobe.

Binaries are found on PATH with ``shutil.which`` and called with argument lists, never through a shell.
Input paths are passed as ``file:/absolute/path`` so that a file named ``-x.mp4`` is not read as an
option and one named ``http:...`` or ``concat:...`` is not read as a protocol. A failed run raises a
typed error whose one-line message carries the tail of the tool's stderr (whisper's ``load_audio`` does
the same). Nothing here decides what a failure means for the user's file: probe.py and audio.py do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tolmach.errors import MediaToolError, OutputError
from tolmach.media.files import HINT_FULL

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
TAIL_LINES = 3  # stderr lines kept in an error message
TAIL_CHARS = 300  # and at most this many characters of them

# Options every call gets: print only real errors to stderr; ffmpeg must also never read the terminal, and
# may overwrite its output, because outputs go to a temp file that files.atomic_path has already created.
_QUIET = {
    FFMPEG: ("-nostdin", "-y", "-hide_banner", "-loglevel", "error"),
    FFPROBE: ("-hide_banner", "-loglevel", "error"),
}
# ffmpeg's words for a command line it does not understand: our bug or an unsupported ffmpeg, not the file's.
_USAGE_ERRORS = ("Unrecognized option", "Option not found", "Error splitting the argument list")


@dataclass(frozen=True)
class ToolResult:
    """What a finished ffmpeg/ffprobe run left behind."""

    returncode: int
    stdout: bytes
    stderr: str
    url: str = ""  # the input URL this run read, shown as ``what`` in the tail
    what: str = ""

    @property
    def tail(self) -> str:
        stderr = self.stderr.replace(self.url, self.what) if self.url else self.stderr
        return stderr_tail(stderr)


def find_tool(name: str) -> str:
    """The full path of ``ffmpeg`` or ``ffprobe``; MediaToolError when it is not installed."""
    found = shutil.which(name)
    if found is None:
        raise MediaToolError(f"{name}: not found on PATH", "install ffmpeg (apt-get install ffmpeg)")
    return found


def input_url(path: str | os.PathLike[str]) -> str:
    """How to name a local file to ffmpeg so that it is never taken for an option or a protocol."""
    return "file:" + os.path.abspath(os.fspath(path))


# "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d1c0] moov atom not found": the component and its address are noise.
_COMPONENT = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")


def stderr_tail(stderr: str) -> str:
    """The last few non-empty stderr lines on one line, for an error message."""
    lines = [_COMPONENT.sub("", line.strip()) for line in stderr.splitlines() if line.strip()]
    tail = " | ".join(lines[-TAIL_LINES:])
    return tail if len(tail) <= TAIL_CHARS else "..." + tail[-TAIL_CHARS:]


def run_tool(name: str, args: Sequence[str], *, what: str, url: str = "") -> ToolResult:
    """Run ``name`` with ``args`` and return what it did, whatever its exit status.

    ``what`` names the file being worked on, for error messages, and replaces its input ``url`` in the
    stderr tail. Only failures of the tool itself raise here (missing binary, a command line it rejects,
    killed by a signal or for lack of memory); callers judge what a non-zero exit says about the file.
    """
    argv = [find_tool(name), *_QUIET.get(name, ()), *args]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except OSError as exc:  # the binary vanished or is not executable
        raise MediaToolError(f"{what}: could not run {name} ({exc.strerror})") from exc
    stderr = proc.stderr.decode("utf-8", errors="replace")
    return _judged(name, ToolResult(proc.returncode, proc.stdout, stderr, url, what))


def stream_ffmpeg(
    args: Sequence[str],
    on_block: Callable[[bytes], None],
    *,
    what: str,
    url: str = "",
    block_size: int = 1 << 20,
) -> ToolResult:
    """Run ffmpeg writing to stdout (``-``) and hand what it writes to ``on_block`` as it comes, in
    pieces of ``block_size`` bytes (the last one shorter): for outputs too large to hold whole, such as
    two hours of PCM. The result is judged as ``run_tool`` judges one; its ``stdout`` is empty.

    stderr goes to a temporary file, not a pipe: a damaged file can make ffmpeg write more errors than
    a pipe holds while nobody reads it, and both would wait for ever. If ``on_block`` raises, ffmpeg is
    killed and the error goes on.
    """
    argv = [find_tool(FFMPEG), *_QUIET[FFMPEG], *args]
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        except OSError as exc:
            raise MediaToolError(f"{what}: could not run {FFMPEG} ({exc.strerror})") from exc
        assert proc.stdout is not None  # stdout=PIPE
        try:
            while block := proc.stdout.read(block_size):
                on_block(block)
        except BaseException:
            proc.kill()
            raise
        finally:
            proc.stdout.close()
            returncode = proc.wait()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", errors="replace")
    return _judged(FFMPEG, ToolResult(returncode, b"", stderr, url, what))


def _judged(name: str, result: ToolResult) -> ToolResult:
    """``result``, unless the tool itself failed: a command line it rejects, or killed by a signal."""
    if result.returncode > 0 and any(marker in result.stderr for marker in _USAGE_ERRORS):
        raise MediaToolError(
            f"{result.what}: {name} rejected tolmach's command line: {result.tail}",
            "this ffmpeg may be too old; tolmach is tested with ffmpeg 5.1 and later",
        )
    if result.returncode < 0:  # killed by a signal: the tool broke, not the file
        raise MediaToolError(
            f"{result.what}: {name} was killed by signal {-result.returncode}: {result.tail}".rstrip(": "),
            "the machine may be out of memory; try again with fewer jobs at once",
        )
    return result


def run_ffmpeg(args: Sequence[str], *, what: str, url: str = "", output: str | None = None) -> ToolResult:
    """Run ffmpeg and raise a typed error when it fails; for commands that write a file.

    A full disk becomes an OutputError naming ``output``; any other failure a MediaToolError with the
    tail of ffmpeg's stderr.
    """
    result = run_tool(FFMPEG, args, what=what, url=url)
    if result.returncode != 0:
        if "No space left on device" in result.stderr:
            raise OutputError(f"{output or what}: not written, the disk is full", HINT_FULL)
        raise MediaToolError(f"{what}: ffmpeg failed: {result.tail or f'exit status {result.returncode}'}")
    return result


def ffprobe_json(path: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, ToolResult]:
    """ffprobe's format and stream description of ``path``, or None when ffprobe could not read it."""
    url = input_url(path)
    args = ["-print_format", "json", "-show_format", "-show_streams", url]
    result = run_tool(FFPROBE, args, what=os.fspath(path), url=url)
    if result.returncode != 0:
        return None, result
    try:
        data = json.loads(result.stdout.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise MediaToolError(f"{path}: ffprobe printed something that is not JSON ({exc.msg})") from exc
    return (data if isinstance(data, dict) else None), result
