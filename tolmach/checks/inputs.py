"""What ``tolmach check`` reads: a tolmach JSON transcript, or a TSV of (original, English) pairs."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from tolmach.errors import InputError
from tolmach.records import Segment

HINT = "give a tolmach .json transcript, or a .tsv whose header names the columns source and english"


@dataclass(frozen=True)
class Checkable:
    """The lines of one input, as segments (a TSV row is a segment with no times), and their language."""

    segments: tuple[Segment, ...]
    language: str  # "" when the input does not say (a TSV)
    annotated: bool  # whether the segments carry the entities found in their originals


def read_checkable(path: Path) -> Checkable:
    """The lines of a transcript JSON or a pairs TSV; InputError naming the file for anything else."""
    from tolmach.subtitles.formats.jsonformat import transcript_from_json

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", HINT) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", HINT) from None
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})", HINT) from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty", HINT)
    if text.lstrip().startswith("{"):
        transcript = transcript_from_json(text, str(path))
        annotated = bool(transcript.options.get("entities", True))
        return Checkable(transcript.segments, transcript.language, annotated)
    return Checkable(_tsv(path, text), "", False)


def _tsv(path: Path, text: str) -> tuple[Segment, ...]:
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in ("source", "english") if name not in header]
    if missing:
        raise InputError(
            f"{path}: the header has no column {' or '.join(missing)} (it has: {', '.join(header)})", HINT
        )
    at, to = header.index("source"), header.index("english")
    segments: list[Segment] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(at, to):
            raise InputError(f"{path}: line {number} has {len(row)} columns, the header {len(header)}", HINT)
        segments.append(Segment(len(segments) + 1, 0, 0, row[at].strip(), row[to].strip()))
    if not segments:
        raise InputError(f"{path}: a header and no pairs", HINT)
    return tuple(segments)
