"""Which files in a folder tolmach wrote: so that it never replaces one it did not write, or one a person
changed since.

Each output folder holds ``.tolmach-written.json``: file name -> sha256 of the bytes tolmach wrote there.
An existing target is replaced only when the record names it with the hash its bytes still have, or with
``force``. File names only, never folders: the record travels with the folder and says nothing about the
machine. A missing or unreadable record means "tolmach wrote nothing here", the safe side: every
existing file is then kept. This module never replaces a file without checking it first, and writes the
record only after the files it lists are in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from hashlib import sha256
from pathlib import Path

from tolmach.errors import ConflictError, OutputError
from tolmach.media.files import atomic_write_text, atomic_write_texts, sha256_file

LEDGER = ".tolmach-written.json"
SCHEMA = "tolmach.written/1"
HINT_FORCE = "pass --force to replace it, or choose another folder with -o"
NAME_MAX_DEFAULT = 255  # what Linux, macOS and Windows filesystems allow when pathconf cannot say


def check_targets(
    paths: Iterable[Path], *, force: bool = False, taken: Mapping[Path, str] | None = None
) -> None:
    """Refuse, before any work, a target whose name the folder cannot hold, one that is a folder, one
    tolmach did not write or that changed since (unless ``force``), and one in ``taken`` (written a
    moment ago for another input of the same command: even ``force`` does not let them replace each
    other). Raises OutputError or ConflictError naming the first such file; nothing is written."""
    paths = list(paths)
    check_names(paths)
    records: dict[Path, dict[str, str]] = {}
    for path in paths:
        other = (taken or {}).get(path)
        if other is not None:
            raise ConflictError(
                f"{path}: already written for {other} in this run; two inputs would write one file",
                "translate them into different folders with -o, or rename one",
            )
        if path.is_dir() and not path.is_symlink():
            raise OutputError(f"{path}: is a folder, where tolmach would write a file", "choose another -o")
        if force or not os.path.lexists(path):
            continue
        if path.parent not in records:
            records[path.parent] = read_record(path.parent)
        reason = _foreign(path, records[path.parent])
        if reason:
            raise ConflictError(f"{path}: not replaced, {reason}", HINT_FORCE)


def check_names(paths: Iterable[Path]) -> None:
    """Refuse a file name longer than its folder allows (NAME_MAX, in bytes), before anything is done."""
    limits: dict[Path, int] = {}
    for path in paths:
        folder = path.parent
        if folder not in limits:
            limits[folder] = name_max(folder)
        size = len(os.fsencode(path.name))
        if size > limits[folder]:
            raise OutputError(
                f"{path.name}: this output's name is {size} bytes, longer than the {limits[folder]} "
                f"bytes a file name may have in {folder}",
                "rename the clip (or document) to a shorter name; its outputs add a suffix such as "
                "'.en.srt' to it",
            )


def name_max(folder: Path) -> int:
    """The longest file name, in bytes, the folder's filesystem allows (its nearest existing parent's)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return int(os.pathconf(probe, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return NAME_MAX_DEFAULT


def write_texts(
    files: Mapping[Path, str], *, force: bool = False, taken: Mapping[Path, str] | None = None
) -> None:
    """Check every target again (a person may have changed one while tolmach worked), write them all or
    none (``atomic_write_texts``), then record them. Raises before anything is written."""
    encoded = {path: text.encode("utf-8") for path, text in files.items()}
    with _locked({p.parent for p in files}):
        check_targets(files, force=force, taken=taken)
        atomic_write_texts(files)
        _record({p: sha256(data).hexdigest() for p, data in encoded.items()})


def record_written(paths: Collection[Path]) -> None:
    """Record files tolmach has just written by other means (ffmpeg, piper), hashing them as they are."""
    with _locked({p.parent for p in paths}):
        _record({p: sha256_file(p) for p in paths})


def read_record(folder: Path) -> dict[str, str]:
    """The folder's record, {file name: sha256}; empty when there is none or it cannot be read."""
    try:
        data = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("schema") == SCHEMA else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _foreign(path: Path, record: dict[str, str]) -> str:
    """Why ``path`` is not tolmach's to replace, or "" when it is."""
    if path.is_symlink():
        return "it is a link tolmach did not make"
    written = record.get(path.name)
    if written is None:
        return "tolmach did not write it"
    try:
        now = sha256_file(path)
    except OSError:
        return "it cannot be read to check that tolmach wrote it"
    return "" if now == written else "it changed since tolmach wrote it"


def _record(hashes: Mapping[Path, str]) -> None:
    by_folder: dict[Path, dict[str, str]] = {}
    for path, digest in hashes.items():
        by_folder.setdefault(path.parent, {})[path.name] = digest
    for folder, new in by_folder.items():
        # entries for files gone since are dropped: the record only ever describes what is there
        kept = {n: h for n, h in read_record(folder).items() if os.path.lexists(folder / n)}
        data = {"schema": SCHEMA, "files": dict(sorted({**kept, **new}.items()))}
        atomic_write_text(folder / LEDGER, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


@contextlib.contextmanager
def _locked(folders: Iterable[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder (in a fixed order) while its files are checked, written
    and recorded: two tolmach processes writing into one folder must not lose each other's entries.
    The lock is on the folder itself, so no lock file is left behind; where a filesystem cannot lock,
    the write goes on unlocked (the worst case is a lost entry, and then a refusal, never a loss)."""
    fds: list[int] = []
    try:
        for folder in sorted(set(folders)):
            with contextlib.suppress(OSError):
                fd = os.open(folder, os.O_RDONLY)
                fds.append(fd)
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            os.close(fd)
