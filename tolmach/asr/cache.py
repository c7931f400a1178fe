"""The transcription stage's result on disk, keyed by everything that shapes it.

Decoding is the stage that costs minutes; what follows it (speakers, glossary, text engine, entities,
cues) costs seconds. A rerun that changes only a later stage's options (another glossary, entities on,
an LLM engine) or that follows a crash after decoding therefore reads the decoded lines back instead of
decoding again. The key is the sha256 of the clip, the stage name, the options that change the decoder's
output, the model's sha256, the hotwords' glossary and the tool version; a changed key is a miss, never
a stale hit. Entries live in the archive folder (``stages/<clip sha256>/<key>.json``): the decoded
text is as sensitive as the archive, and ``tolmach rm`` removes a clip's entries with it. One JSON file
each, written atomically, so batch workers fill it in parallel without the archive's writer lock;
deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from tolmach import __version__
from tolmach.asr.transcribe import AsrResult
from tolmach.asr.windows import Region
from tolmach.options import Options
from tolmach.records import ModelInfo

log = logging.getLogger(__name__)
STAGE = "asr"
# the options that change what the decoder writes; device and threads do not (same weights, same search)
ASR_SHAPING = ("lang", "translate", "beam_size", "no_repeat_ngram_size", "vad", "batch_size", "compute_type")
# What an entry holds, in the key: entries of format 1 gave each line its window's confidence and no
# language check, and must be a miss, not read back as if they had them. Raise it when that changes.
FORMAT = 2


def asr_key(sha256: str, model: ModelInfo, options: Options, hotwords: str) -> str:
    key: dict[str, Any] = {name: getattr(options, name) for name in ASR_SHAPING}
    key.update(
        clip=sha256, stage=STAGE, model=model.sha256, hotwords=hotwords, tool=__version__, format=FORMAT
    )
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def stage_path(folder: Path, sha256: str, key: str) -> Path:
    return folder / sha256 / f"{key}.json"


def load(folder: Path, sha256: str, key: str) -> AsrResult | None:
    """The stored result for ``key``; None when there is none or it cannot be read (then decode again)."""
    from tolmach.subtitles.formats.jsonformat import segment_from_dict

    path = stage_path(folder, sha256, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AsrResult(
            language=data["language"],
            language_probability=data["language_probability"],
            language_forced=data["language_forced"],
            segments=tuple(segment_from_dict(s) for s in data["segments"]),
            speech_ms=data["speech_ms"],
            warnings=tuple(data["warnings"]),
            timings=tuple((k, v) for k, v in data["timings"]),
            device=data["device"],
            regions=tuple(Region(a, b) for a, b in data["regions"]),
            detected=data["detected"],
            detected_probability=data["detected_probability"],
            language_mismatch=data["language_mismatch"],
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged entry is a miss, not a failure
        log.warning("ignoring unreadable stage cache entry %s: %s", path, exc)
        return None


def store(folder: Path, sha256: str, key: str, result: AsrResult) -> None:
    """Keep ``result`` for the next run; a cache that cannot be written only costs that next run time."""
    from tolmach.media.files import atomic_write_text
    from tolmach.subtitles.formats.jsonformat import segment_to_dict

    data = {
        "language": result.language,
        "language_probability": result.language_probability,
        "language_forced": result.language_forced,
        "segments": [segment_to_dict(s) for s in result.segments],
        "speech_ms": result.speech_ms,
        "warnings": list(result.warnings),
        "timings": [list(t) for t in result.timings],
        "device": result.device,
        "regions": [[r.start, r.end] for r in result.regions],
        "detected": result.detected,
        "detected_probability": result.detected_probability,
        "language_mismatch": result.language_mismatch,
    }
    path = stage_path(folder, sha256, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data, ensure_ascii=False))
    except Exception as exc:  # OutputError or OSError: the run itself has succeeded
        log.warning("could not keep the decoded lines in %s: %s", path, exc)
