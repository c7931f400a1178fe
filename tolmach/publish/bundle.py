"""The files a manifest binds, and the signed manifest: what 'tolmach publish --manifest' and the web
app's manifest download both write, so that either verifies against the other's files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tolmach.publish.keys import load_or_create_key
from tolmach.publish.manifest import build_manifest, manifest_to_json, sign_manifest
from tolmach.publish.trust import OWN_KEY
from tolmach.records import ClipInfo, Edit, Transcript

MANIFEST_FORMATS = ("srt", "vtt", "json")  # the outputs a manifest always binds, beside the published ones


def manifest_bundle(
    transcript: Transcript,
    info: ClipInfo,
    stem: str,
    published: Mapping[str, str],
    edits: Sequence[Edit],
    home: Path,
    *,
    include_notes: bool = False,
) -> dict[str, str]:
    """``published`` plus the subtitle and JSON outputs, and ``<stem>.manifest.json`` signing them all.

    ``include_notes`` puts the clip's (private) notes in the manifest; pass the same as for the thread
    and quote sheet it binds.
    """
    from tolmach.subtitles import render

    files = dict(published)
    for name in MANIFEST_FORMATS:
        files.update({f"{stem}.{suffix}": text for suffix, text in render(name, transcript).items()})
    outputs = {n: t.encode() for n, t in files.items()}
    unsigned = build_manifest(
        transcript, info, outputs, edits, reviewer=transcript.reviewer, include_notes=include_notes
    )
    files[f"{stem}.manifest.json"] = manifest_to_json(
        sign_manifest(unsigned, load_or_create_key(home / OWN_KEY))
    )
    return files
