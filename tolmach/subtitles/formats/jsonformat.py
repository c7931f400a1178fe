"""The JSON transcript (schema ``tolmach.transcript/1``): everything, and the way back.

``transcript_from_json(transcript_to_json(t)) == t`` for every transcript whose options hold JSON values
(tuples come back as tuples: JSON has only lists, and records hold tuples). The cues are written too,
for readers that want the subtitle events, but they are derived data: reading ignores them, and they
are rebuilt from the segments. The schema is described field by field in docs/FORMATS.md; a change that
removes or renames a field, or changes a unit, gets a new number.
"""

from __future__ import annotations

import json
import math
from typing import Any

from tolmach.errors import InputError
from tolmach.records import Cue, Entity, MediaInfo, ModelInfo, Segment, Stream, Transcript, Word
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
        "media": media_to_dict(t.media),
        "model": {"name": t.model.name, "path": t.model.path, "sha256": t.model.sha256},
        "language": {"code": t.language, "probability": t.language_probability, "forced": t.language_forced},
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
        "text": s.text,
        "translation": s.translation,
        "doubtful": s.doubtful,
        "flags": list(s.flags),
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
    )


def segment_from_dict(s: dict[str, Any]) -> Segment:
    confidence = {
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
        flags=tuple(s["flags"]),
        speaker=s["speaker"],
        # notes and entities came after the first release of the schema: optional when reading
        notes=tuple(s.get("notes", ())),
        reviewed=bool(s.get("reviewed", False)),
        translated_by=str(s.get("translated_by", "")),
        entities=tuple(Entity(**{k: e[k] for k in ENTITY_FIELDS}) for e in s.get("entities", ())),
        **confidence,
    )


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value
