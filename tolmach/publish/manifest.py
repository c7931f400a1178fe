"""The provenance manifest: a signed JSON record binding every published file to the source clip.

A reader who gets a subtitle file, a thread or a quote sheet can ask "was this made from that video,
by that model, and changed by whom?". The manifest answers: the source's sha256, size and streams; the
tool version, the model (pinned by the sha256 of its weights), the options and the language; the sha256
of every line of the transcript and the translation, and which engine wrote each line's English
(``translated_by``, when known); the human edits; and every output file's size and
sha256, with, for subtitle files, each cue's timing and text hash, so that a verifier can say which cue
was changed rather than just "the file differs". It holds no text of the transcript (hashes only: a
manifest can be published while the testimony itself is withheld) and no local folders: the source and
any path among the options appear by file name only, since a folder can name the investigator or their
machine, and the sha256 identifies the file better anyway. The clip's notes are the user's own and are
left out (the ``notes`` field is absent) unless asked for.

Same inputs, same manifest: nothing in it depends on the clock or the machine, so re-publishing
unchanged files gives identical bytes. The signature is Ed25519 over the canonical JSON encoding of
everything but the ``signature`` block (:func:`canonical_bytes`). That encoding is Python's ``json`` with
sorted keys and no spaces, not RFC 8785: a verifier re-encodes the parsed manifest the same way.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

import pysubs2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tolmach.errors import InputError
from tolmach.publish.keys import fingerprint, public_key_bytes
from tolmach.publish.lines import label, one_line, shown_source
from tolmach.records import ClipInfo, Edit, Transcript
from tolmach.subtitles.formats.base import with_marks
from tolmach.subtitles.formats.jsonformat import name_only

SCHEMA = "tolmach.manifest/1"
SIGNED_ENCODING = "json, sort_keys, separators (',', ':'), ensure_ascii false, utf-8, without 'signature'"
SUBTITLE_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}  # suffix -> pysubs2 format


def line_sha256(text: str) -> str:
    """The canonical hash of one line: sha256 of its UTF-8 bytes after NFC and collapsing whitespace.

    Canonical so that a line copied out of a subtitle file, the text transcript or a web page, where
    leading spaces and line breaks differ, still hashes the same as the line that was signed.
    """
    return hashlib.sha256(unicodedata.normalize("NFC", one_line(text)).encode("utf-8")).hexdigest()


def build_manifest(
    transcript: Transcript,
    clip: ClipInfo,
    outputs: Mapping[str, bytes],
    edits: Sequence[Edit],
    *,
    reviewer: str | None = None,
    include_notes: bool = False,
) -> dict[str, Any]:
    """The unsigned manifest of ``outputs`` ({file name: bytes}) made from ``transcript``.

    A subtitle output that cannot be parsed is an InputError naming it: a manifest that cannot point at
    a changed cue is worth less than no manifest. The clip's notes are in it only with ``include_notes``.
    """
    transcript = with_marks(transcript)  # the lines as the outputs beside it show them
    media = transcript.media
    clip_fields = dataclasses.asdict(clip)
    if not include_notes:
        del clip_fields["notes"]
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "tool_version": transcript.tool_version,
        "source": {
            "name": PurePath(name_only(media.path)).name,  # a URL by its last part, too
            "sha256": media.sha256,
            "size": media.size,
            "duration_ms": media.duration_ms,
            "container": media.container,
            "streams": [dataclasses.asdict(s) for s in media.streams],
        },
        "clip": {**clip_fields, "source": shown_source(clip.source), "tags": list(clip.tags)},
        "language": transcript.language,
        "language_probability": transcript.language_probability,
        "language_forced": transcript.language_forced,
        "model": {"name": transcript.model.name, "sha256": transcript.model.sha256},
        "options": {name: _no_folder(value) for name, value in transcript.options.items()},
        "label": label(reviewer, transcript.approver),
        "reviewer": one_line(reviewer) if reviewer and reviewer.strip() else None,
        # the second person who approved the reviewed English (two-step sign-off), while that stands
        **({"approver": one_line(transcript.approver)} if reviewer and transcript.approver else {}),
        "segments": [
            {
                "id": s.id,
                "start": s.start,
                "end": s.end,
                "speaker": s.speaker,
                "text_sha256": line_sha256(s.text),
                "translation_sha256": line_sha256(s.translation),
                "doubtful": s.doubtful,
                "flags": [f.kind for f in s.flags],
                # the engine and model that wrote the English (with a fallback's reason), when known
                **({"translated_by": s.translated_by} if s.translated_by else {}),
            }
            for s in transcript.segments
        ],
        "edits": [dataclasses.asdict(e) for e in edits],
        "outputs": [_output(name, outputs[name]) for name in sorted(outputs)],
    }
    # Through JSON and back: options may hold tuples or other values JSON stores differently, and the
    # dict returned must be the one a verifier will read back from the file.
    return dict(json.loads(json.dumps(manifest, ensure_ascii=False, default=str)))


def subtitle_cues(name: str, data: bytes) -> list[dict[str, Any]] | None:
    """Each event of a subtitle file as {start, end, text_sha256}, in file order; None for other files.

    Read with pysubs2, the library that wrote the files, keeping tags as text so that a changed tag is a
    changed cue. Raises ValueError when the file cannot be read as its format.
    """
    fmt = SUBTITLE_FORMATS.get(PurePath(name).suffix.lower())
    if fmt is None:
        return None
    extra = {"keep_html_tags": True} if fmt in ("srt", "vtt") else {}
    try:
        subs = pysubs2.SSAFile.from_string(data.decode("utf-8-sig"), format_=fmt, **extra)
    except (UnicodeDecodeError, pysubs2.Pysubs2Error, ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"{name}: cannot be read as {fmt} ({exc})") from exc
    return [{"start": e.start, "end": e.end, "text_sha256": line_sha256(e.text)} for e in subs]


def canonical_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The bytes the signature covers: the manifest without its ``signature`` block, canonically encoded."""
    body = {key: value for key, value in manifest.items() if key != "signature"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sign_manifest(manifest: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of ``manifest`` with a ``signature`` block (an existing one is replaced).

    The block carries the raw public key, so anyone can check that the manifest is intact; whether the
    key is the one a newsroom published is a separate question, answered by its fingerprint.
    """
    raw = public_key_bytes(key)
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return {
        **body,
        "signature": {
            "algorithm": "ed25519",
            "signed": SIGNED_ENCODING,
            "public_key": base64.b64encode(raw).decode("ascii"),
            "key_fingerprint": fingerprint(raw),
            "value": base64.b64encode(key.sign(canonical_bytes(body))).decode("ascii"),
        },
    }


def manifest_to_json(manifest: Mapping[str, Any]) -> str:
    """The manifest as a file: indented for people, sorted keys, UTF-8 text, newline at the end."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _no_folder(value: object) -> object:
    """An option that is a path (a model folder, a glossary, relative or not) by its last part only."""
    if isinstance(value, tuple | list):
        return [_no_folder(v) for v in value]
    if isinstance(value, dict):
        return {k: _no_folder(v) for k, v in value.items()}
    return name_only(value) if isinstance(value, str) else value


def _output(name: str, data: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    try:
        cues = subtitle_cues(name, data)
    except ValueError as exc:
        raise InputError(f"{exc}", "a subtitle output must be readable to be signed cue by cue") from exc
    if cues is not None:
        entry["cues"] = cues
    return entry
