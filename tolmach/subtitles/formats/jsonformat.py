"""The JSON transcript (schema ``tolmach.transcript/1``): everything, and the way back.

``transcript_from_json(transcript_to_json(t)) == t`` for every transcript whose options hold JSON values
(tuples come back as tuples: JSON has only lists, and records hold tuples). The cues are written too,
for readers that want the subtitle events, but they are derived data: reading ignores them, and they
are rebuilt from the segments. The schema is described field by field in docs/FORMATS.md; a change that
removes or renames a field, or changes a unit, gets a new number.

Two copies, one shape: the archive stores :func:`transcript_to_dict` of the transcript as it is, local
paths included, because it needs them; every file that leaves the archive (the ``json`` output and every
other format, see ``formats.render``) is made from :func:`public_transcript`, which keeps file names
only. A folder can name the investigator, their source ("DM from Ivan (do not share)/") or the
server's upload folder, and the sha256 identifies the file better anyway.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from tolmach.errors import InputError
from tolmach.records import Cue, Entity, Flag, MediaInfo, ModelInfo, Segment, Stream, Transcript, Word
from tolmach.subtitles.cues import CuePair
from tolmach.subtitles.formats.base import OutputFormat, labels

SCHEMA = "tolmach.transcript/1"
CONFIDENCE = ("avg_logprob", "no_speech_prob", "compression_ratio", "min_word_probability", "speech_ratio")
ENTITY_FIELDS = ("kind", "text", "start", "end", "normal", "english")
STREAM_FIELDS = ("index", "kind", "codec", "language", "channels", "sample_rate", "width", "height", "fps")


class JsonFormat(OutputFormat):
    """``json``: the whole transcript, cues included."""

    name = "json"

    @classmethod
    def render(cls, transcript: Transcript, cues: CuePair) -> dict[str, str]:
        return {"json": transcript_to_json(transcript, cues)}


def transcript_to_json(transcript: Transcript, cues: CuePair | None = None) -> str:
    """The transcript (and its cues, when given) as schema ``tolmach.transcript/1`` JSON text."""
    data = transcript_to_dict(transcript)
    if cues is not None:
        data["cues"] = {"original": [_cue(c) for c in cues[0]], "english": [_cue(c) for c in cues[1]]}
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def public_transcript(t: Transcript) -> Transcript:
    """``t`` as it may be published: the media, the model and any path among the options by file name
    only, and those paths (and the home folder) taken out of the warnings' text too."""
    folders = [p for p in (t.media.path, t.model.path, *_strings(t.options)) if name_only(p) != p]
    home = os.path.expanduser("~")
    if len(home) > 1:
        folders.append(home)

    def scrub(text: str) -> str:
        for path in sorted(folders, key=len, reverse=True):  # longest first: a folder inside a path
            text = text.replace(path, name_only(path) if path != home else "~")
        return text

    return replace(
        t,
        media=replace(t.media, path=name_only(t.media.path)),
        model=replace(t.model, path=name_only(t.model.path)),
        options={name: _names(value) for name, value in t.options.items()},
        warnings=tuple(scrub(w) for w in t.warnings),
    )


def name_only(value: str) -> str:
    """A local path by its last part (``/home/anna/DM from Ivan/ivan.wav`` -> ``ivan.wav``); a URL, or a
    string with no folder in it, as it is."""
    if "://" in value or ("/" not in value and "\\" not in value):
        return value
    if PureWindowsPath(value).drive or "\\" in value:
        return PureWindowsPath(value).name or value
    return PurePosixPath(value).name or value


def _names(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(_names(v) for v in value)
    if isinstance(value, dict):
        return {k: _names(v) for k, v in value.items()}
    return name_only(value) if isinstance(value, str) else value


def _strings(value: Any) -> list[str]:
    if isinstance(value, tuple | list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def media_to_dict(media: MediaInfo) -> dict[str, Any]:
    return {
        "path": media.path,
        "sha256": media.sha256,
        "size": media.size,
        "duration_ms": media.duration_ms,
        "container": media.container,
        "streams": [{name: getattr(s, name) for name in STREAM_FIELDS} for s in media.streams],
    }


def media_from_dict(media: dict[str, Any]) -> MediaInfo:
    return MediaInfo(
        path=media["path"],
        sha256=media["sha256"],
        size=media["size"],
        duration_ms=media["duration_ms"],
        container=media["container"],
        streams=tuple(Stream(**{k: s[k] for k in STREAM_FIELDS}) for s in media["streams"]),
    )


def transcript_to_dict(t: Transcript) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool_version": t.tool_version,
        "label": dict(zip(("text", "translation"), labels(t), strict=True)),
        "reviewer": t.reviewer,
        "approver": t.approver,
        "media": media_to_dict(t.media),
        "model": {"name": t.model.name, "path": t.model.path, "sha256": t.model.sha256},
        "language": {
            "code": t.language,
            "probability": t.language_probability,
            "forced": t.language_forced,
            # what the speech sounds like (checked also when forced), and whether that contradicts "code"
            "detected": {"code": t.language_detected, "probability": t.language_detected_probability}
            if t.language_detected
            else None,
            "mismatch": t.language_mismatch,
        },
        "options": t.options,
        "warnings": list(t.warnings),
        "timings": t.timings,
        "segments": [segment_to_dict(s) for s in t.segments],
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no NaN or infinity


def segment_to_dict(s: Segment) -> dict[str, Any]:
    return {
        "id": s.id,
        "start": s.start,
        "end": s.end,
        "speaker": s.speaker,
        **({"role": s.role} if s.role else {}),  # the speaker's role in the legend, once given in review
        **({"mark": s.mark} if s.mark else {}),  # "unclear" or "inaudible", a reviewer's mark
        "text": s.text,
        "translation": s.translation,
        "doubtful": s.doubtful,
        "flags": [flag_to_json(f) for f in s.flags],
        **({"dismissed": [flag_to_json(f) for f in s.dismissed]} if s.dismissed else {}),
        "notes": list(s.notes),
        "reviewed": s.reviewed,
        "entities": [{name: getattr(e, name) for name in ENTITY_FIELDS} for e in s.entities],
        "confidence": {name: _finite(getattr(s, name)) for name in CONFIDENCE},
        "words": [
            {"start": w.start, "end": w.end, "text": w.text, "probability": w.probability} for w in s.words
        ],
        # which engine wrote the English (docs/ENGINES.md); absent from transcripts made before it was kept
        **({"translated_by": s.translated_by} if s.translated_by else {}),
    }


def _cue(c: Cue) -> dict[str, Any]:
    return {
        "start": c.start,
        "end": c.end,
        "lines": list(c.lines),
        "segment_id": c.segment_id,
        "speaker": c.speaker,
    }


def transcript_from_json(text: str, name: str = "transcript JSON") -> Transcript:
    """Read schema ``tolmach.transcript/1`` back; InputError (naming ``name``) for anything else."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not JSON: {exc}", "give the .json file tolmach wrote") from exc
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != SCHEMA:
        raise InputError(
            f"{name} has schema {schema!r}, this tolmach reads {SCHEMA!r}",
            "use the tolmach version that wrote it, or write it again with this one",
        )
    try:
        return transcript_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{name} is not a complete {SCHEMA} transcript: bad or missing {exc}") from exc


def transcript_from_dict(data: dict[str, Any]) -> Transcript:
    """The inverse of :func:`transcript_to_dict`; KeyError/TypeError/ValueError when incomplete."""
    media, model, language = data["media"], data["model"], data["language"]
    return Transcript(
        media=media_from_dict(media),
        language=language["code"],
        language_probability=language["probability"],
        language_forced=language["forced"],
        model=ModelInfo(name=model["name"], path=model["path"], sha256=model["sha256"]),
        segments=tuple(segment_from_dict(s) for s in data["segments"]),
        options={k: _tuples(v) for k, v in data["options"].items()},
        timings=dict(data["timings"]),
        tool_version=data["tool_version"],
        warnings=tuple(data["warnings"]),
        reviewer=data.get("reviewer"),
        approver=data.get("approver"),
        # absent from transcripts written before the language was checked
        language_detected=(language.get("detected") or {}).get("code", ""),
        language_detected_probability=(language.get("detected") or {}).get("probability", 0.0),
        language_mismatch=language.get("mismatch", False),
    )


def segment_from_dict(s: dict[str, Any]) -> Segment:
    confidence: dict[str, Any] = {  # floats, named by CONFIDENCE; Any: Segment also has int fields
        k: math.nan if v is None else float(v) for k, v in s["confidence"].items() if k in CONFIDENCE
    }
    return Segment(
        id=s["id"],
        start=s["start"],
        end=s["end"],
        text=s["text"],
        translation=s["translation"],
        words=tuple(Word(w["start"], w["end"], w["text"], w["probability"]) for w in s["words"]),
        doubtful=s["doubtful"],
        flags=tuple(flag_from_json(f) for f in s["flags"]),
        dismissed=tuple(flag_from_json(f) for f in s.get("dismissed", ())),
        speaker=s["speaker"],
        role=str(s.get("role", "")),
        mark=str(s.get("mark", "")),
        comment=str(s.get("comment", "")),  # only the archive's rows hold it: no export carries it
        # notes and entities came after the first release of the schema: optional when reading
        notes=tuple(s.get("notes", ())),
        reviewed=bool(s.get("reviewed", False)),
        translated_by=str(s.get("translated_by", "")),
        entities=tuple(Entity(**{k: e[k] for k in ENTITY_FIELDS}) for e in s.get("entities", ())),
        **confidence,
    )


def flag_to_json(flag: Flag) -> dict[str, str]:
    """A flag as the JSON transcript, the archive and ``tolmach check`` write it."""
    return {"kind": flag.kind, "detail": flag.detail}


def flag_from_json(value: Any) -> Flag:
    """A flag as written since flags carry their reason, or a bare kind as older transcripts hold it."""
    if isinstance(value, str):
        return Flag(value, value)
    return Flag(str(value["kind"]), str(value["detail"]))


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value
