"""The files a manifest binds, and the signed manifest: what 'tolmach publish --manifest' and the web
app's manifest download both write, so that either verifies against the other's files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tolmach.publish.keys import load_or_create_key
from tolmach.publish.manifest import build_manifest, manifest_to_json, sign_manifest
from tolmach.records import ClipInfo, Edit, Transcript

KEY_FILE = Path("keys") / "manifest-ed25519.pem"  # in the archive folder
MANIFEST_FORMATS = ("srt", "vtt", "json")  # the outputs a manifest always binds, beside the published ones


def manifest_bundle(
    transcript: Transcript,
    info: ClipInfo,
    stem: str,
    published: Mapping[str, str],
    edits: Sequence[Edit],
    home: Path,
) -> dict[str, str]:
    """``published`` plus the subtitle and JSON outputs, and ``<stem>.manifest.json`` signing them all."""
    from tolmach.subtitles import render

    files = dict(published)
    for name in MANIFEST_FORMATS:
        files.update({f"{stem}.{suffix}": text for suffix, text in render(name, transcript).items()})
    outputs = {n: t.encode() for n, t in files.items()}
    unsigned = build_manifest(transcript, info, outputs, edits, reviewer=transcript.reviewer)
    files[f"{stem}.manifest.json"] = manifest_to_json(
        sign_manifest(unsigned, load_or_create_key(home / KEY_FILE))
    )
    return files
