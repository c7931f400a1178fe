"""Safe file writes and content hashes.

Every file tolmach writes appears whole or not at all: it is written to a temporary file in the same
folder and renamed into place, so a crash, a full disk or a failed ffmpeg run never leaves a half-written
output where a good one was. This module never touches source files except to read and hash them.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from tolmach.errors import OutputError

BLOCK_SIZE = 1 << 20  # 1 MiB: hash a large video without loading it
_FULL = (errno.ENOSPC, errno.EDQUOT)
HINT_FULL = "free some space or choose another folder with -o"
HINT_DENIED = "choose another folder with -o, or fix its permissions"
HINT_LONG = "rename the source to a shorter name, or choose a shorter folder with -o"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of the file's bytes, read in 1 MiB blocks.

    Remembered for a file whose inode, size and modification time are unchanged: the pipeline hashes a
    clip to find a stored run before ingest hashes it again, and a large video should be read once.
    (The archive re-hashes while copying a file in, so a stale answer could never be stored.)
    """
    st = os.stat(path)
    return _sha256(os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256(path: str, inode: int, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while block := fp.read(BLOCK_SIZE):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place when the block ends without error.

    The temporary file exists (empty) when the block starts, so nobody else can take its name; it keeps
    ``path``'s extension because ffmpeg picks the output format from it (ffmpeg.py passes ``-y``). On any
    error it is removed and the error re-raised; an OSError from a full disk or a refused write becomes an
    OutputError naming ``path``.
    """
    target = Path(path)
    tmp = _new_temp(target)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise output_error(target, exc) from exc
        raise
    _fsync_dir(target.parent)


def atomic_write_texts(files: Mapping[Path, str], encoding: str = "utf-8") -> None:
    """Write several files all or nothing.

    Every file is written to its temp name and synced before the first rename, so a full disk or a
    failed write leaves none of them; if a rename itself fails, the ones already renamed are removed.
    """
    written: list[tuple[Path, Path]] = []
    renamed: list[Path] = []
    target = next(iter(files), Path("."))
    try:
        for target, text in files.items():
            tmp = _new_temp(target)
            written.append((tmp, target))
            tmp.write_bytes(text.encode(encoding))
            _fsync(tmp)
        for tmp, target in written:
            os.replace(tmp, target)
            renamed.append(target)
    except BaseException as exc:
        for leftover in [tmp for tmp, _ in written] + renamed:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        if isinstance(exc, OSError):
            raise output_error(target, exc) from exc
        raise
    if written:
        _fsync_dir(written[0][1].parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` whole or not at all; newlines are written as given."""
    atomic_write_bytes(path, text.encode(encoding))


def check_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Make sure ``path`` is a folder tolmach can write into, creating it if missing; return it.

    Writability is tested by creating and removing a file there: permission bits lie to root and to
    read-only mounts alike.
    """
    folder = Path(path)
    shown = _shown_dir(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{shown}: not a folder", "choose a folder for the outputs with -o")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a parent is a file
        raise OutputError(f"{shown}: cannot be created (a part of the path is a file)", HINT_DENIED) from None
    except OSError as exc:
        raise OutputError(f"{shown}: cannot be created ({_reason(exc)})", _hint(exc)) from exc
    probe = folder / f".tolmach-write-test-{secrets.token_hex(4)}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        if exc.errno in _FULL:
            raise OutputError(f"{shown}: the disk is full", HINT_FULL) from exc
        raise OutputError(f"{shown}: not writable ({_reason(exc)})", HINT_DENIED) from exc
    return folder


def _new_temp(target: Path) -> Path:
    """Create an empty temp file next to ``target``, keeping its extension (ffmpeg picks formats by it).

    The name starts with at most 32 characters of the target's stem: a target whose name is close to
    the filesystem's limit must not fail for its temp name's sake (ledger.check_names checks targets).
    """
    tmp = target.with_name(f".{target.stem[:32]}.tmp-{secrets.token_hex(4)}{target.suffix}")
    try:
        # O_EXCL: never follow or reuse someone else's file; mode 0o666 lets the umask apply as open() does.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise output_error(target, exc) from exc
    return tmp


def output_error(target: Path, exc: OSError) -> OutputError:
    if exc.errno in _FULL:
        return OutputError(f"{target}: not written, the disk is full", HINT_FULL)
    if exc.errno == errno.ENAMETOOLONG:
        return OutputError(f"{target}: not written, the name is too long", HINT_LONG)
    return OutputError(f"{target}: not written ({_reason(exc)})", _hint(exc))


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _hint(exc: OSError) -> str:
    return HINT_FULL if exc.errno in _FULL else HINT_DENIED


def _shown_dir(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    return text if text.endswith(os.sep) else text + os.sep


def _fsync(path: Path) -> None:
    # The rename is only atomic across a crash if the data reached the disk first.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced; the data is safe
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
