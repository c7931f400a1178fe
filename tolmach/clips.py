"""A clip to work on, named by the user as a media file or as an archive ID, with its latest text.

``dub``, ``render`` and the other commands that start from a finished transcript all take either: a file
the archive already holds gives the archive's run (with a reviewer's edits), a new file is transcribed
and translated first (and stored when there is an archive), and an ID names a clip or run in the archive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tolmach.errors import InputError
from tolmach.options import Options

if TYPE_CHECKING:
    from tolmach.archive import Archive
    from tolmach.asr.transcribe import Progress
    from tolmach.pipeline import Started
    from tolmach.records import Transcript

HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class OpenedClip:
    transcript: Transcript  # the latest text: the reviewed one when a human has edited it in the archive
    media: Path  # the media to read audio and video from: the given file, or the archive's stored copy
    stem: str  # file stem for outputs, e.g. "clip" for clip.mp4
    run_id: str | None  # the archive run, when there is an archive

    @property
    def reviewed(self) -> bool:
        """True when a human reviewed every line (the archive then names the reviewer)."""
        return self.transcript.reviewer is not None


def open_clip(
    arg: str,
    options: Options,
    archive: Archive | None,
    *,
    progress: Progress | None = None,
    started: Started | None = None,
) -> OpenedClip:
    """The clip ``arg`` names: a media file (stored run reused, else translated now) or an archive ID."""
    path = Path(arg).expanduser()
    if not path.exists() and _looks_like_id(arg):
        if archive is None:
            raise InputError(f"'{arg}' is not a file", "archive IDs need the archive: drop --no-archive")
        run_id = archive.run_of(arg)
        transcript = archive.transcript(run_id)
        record = archive.clip(transcript.media.sha256)
        return OpenedClip(transcript, archive.original(record.id), Path(record.filename).stem, run_id)
    from tolmach.media import sha256_file
    from tolmach.media.probe import check_input_file

    check_input_file(os.fspath(path))
    if archive is not None:
        stored = archive.current_run(sha256_file(path))
        if stored is not None:
            transcript = archive.transcript(stored)
            # named as given now, not by the file name the archive first met these bytes under
            transcript = replace(transcript, media=replace(transcript.media, path=os.fspath(path)))
            return OpenedClip(transcript, path, path.stem, stored)
    return _translated(path, options, archive, progress, started)


def _looks_like_id(arg: str) -> bool:
    return len(arg) >= 4 and set(arg.lower()) <= HEX


def _translated(
    path: Path,
    options: Options,
    archive: Archive | None,
    progress: Progress | None,
    started: Started | None,
) -> OpenedClip:
    from tolmach.pipeline import glossary_for, output_paths, run_key, translate_clip
    from tolmach.records import ClipInfo

    options = options.validate()
    glossary = glossary_for(options, archive.home if archive is not None else None)
    stages = archive.stages if archive is not None else None
    transcript = translate_clip(
        path, options, progress=progress, started=started, glossary=glossary, stages=stages
    )
    if archive is None:
        return OpenedClip(transcript, path, path.stem, None)
    files = output_paths(transcript, options, path.parent, path.stem)
    outputs = {p.name.removeprefix(path.stem + "."): text.encode() for p, text in files.items()}
    info = ClipInfo(source=str(path.resolve()))
    key = run_key(options, transcript.model, glossary)
    run_id = archive.save(transcript, info, key, outputs, original=path)
    return OpenedClip(transcript, path, path.stem, run_id)
