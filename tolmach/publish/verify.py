"""Checking a signed manifest against the files someone was given: intact, and which file or cue is not.

A report, not an exception: every problem found is listed in words a journalist can act on ("cue 3 at
0:12.4: text differs"), and ``ok`` is true only when there are none. Only a manifest that cannot be read
at all raises (InputError naming it), because then there is nothing to report against.

A good signature proves only that the manifest is intact since *someone* signed it: anyone can make a
key. So the signer must also be one of the ``trusted`` keys (fingerprints, see publish.trust); when it is
not, the report says "unknown signer", names its fingerprint so that it can be compared with the one the
publisher gave, and is not ``ok``. The files are still compared with the manifest, so that the user
sees what it says, but nothing is called checked against a signer nobody vouched for.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tolmach.errors import InputError
from tolmach.media.files import sha256_file
from tolmach.publish.keys import fingerprint
from tolmach.publish.lines import clock_ms, clock_tenths
from tolmach.publish.manifest import SCHEMA, canonical_bytes, subtitle_cues

SIGNATURE_CHANGED = "signature does not match: the manifest was changed after signing"
MANIFEST_HINT = "give the manifest.json that tolmach wrote next to the outputs"
CUES_MATCH = (
    "differs from the signed file, but every cue's timing and text match (a header, note or style changed)"
)
SHA_SHOWN = 16  # hex digits of a hash in a message
UNKNOWN_SIGNER = "unknown signer"  # how the problem of an untrusted key starts


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of one verification: ``ok`` when the signature holds, its key is trusted, and nothing
    was wrong with any file."""

    ok: bool
    problems: tuple[str, ...]  # one line each, naming the file (or the signature) first
    checked: tuple[str, ...]  # "signature by key <fingerprint>" (only when it holds and is trusted), files
    signer: str = ""  # the fingerprint of the key the manifest is signed with; empty when it has none
    signature_valid: bool = False  # the signature holds for the manifest as it is
    signer_trusted: bool = False  # the signer is one of the trusted keys


def verify_manifest(
    manifest_path: Path, files: Sequence[Path], *, trusted: Collection[str] = ()
) -> VerifyReport:
    """Check the manifest's signature and each file against it.

    A file is the source clip when its sha256 and size match the source's; an output when its name is an
    output's (then its hash must match, and a subtitle file that differs is compared cue by cue) or when
    its bytes are an output's under another name. Anything else is a problem: the source's name with
    other bytes is "not the signed source", any other file is "not in the manifest". ``trusted`` holds
    the fingerprints of the keys the signer may be. The manifest itself, when among ``files``, is
    skipped.
    """
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    signer, problems = _signature(manifest)
    valid = bool(signer) and not problems
    known = bool(signer) and signer in trusted
    if signer and not known:
        problems.append(f"{UNKNOWN_SIGNER}: signed with key {signer}, which is not a trusted key")
    checked = [f"signature by key {signer}"] if valid and known else []
    for path in map(Path, files):
        if path.resolve() == manifest_path.resolve():
            continue  # "every file in the folder" includes the manifest, which cannot list itself
        checked.append(str(path))
        problems += check_file(manifest, path)
    return VerifyReport(not problems, tuple(problems), tuple(checked), signer, valid, known)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path``, parsed and checked for the fields verification needs."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise InputError(f"{path}: cannot read the manifest ({reason})", MANIFEST_HINT) from exc
    return parse_manifest(text, str(path))


def parse_manifest(text: str, name: str = "manifest") -> dict[str, Any]:
    """A manifest from its JSON text; ``name`` is how errors refer to it."""
    try:
        # Duplicate keys are refused: a verifier that kept the last value could pass a manifest that
        # another reader, keeping the first, sees differently.
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        raise InputError(f"{name}: not a tolmach manifest ({_first_line(exc)})", MANIFEST_HINT) from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        schema = data.get("schema") if isinstance(data, dict) else None
        raise InputError(
            f"{name}: not a tolmach manifest (schema {schema!r}, expected {SCHEMA})", MANIFEST_HINT
        )
    source, outputs = data.get("source"), data.get("outputs")
    good = (
        isinstance(source, dict)
        and isinstance(source.get("sha256"), str)
        and isinstance(source.get("size"), int)
        and isinstance(outputs, list)
        and all(_good_output(o) for o in outputs)
    )
    if not good:
        raise InputError(f"{name}: malformed manifest (source or outputs missing or damaged)", MANIFEST_HINT)
    return data


def check_file(manifest: dict[str, Any], path: Path) -> list[str]:
    """The problems with one file against the manifest; empty when it is the source or an output."""
    name = path.name
    try:
        size, sha = path.stat().st_size, sha256_file(path)
    except OSError as exc:
        return [f"{name}: cannot be read ({(exc.strerror or str(exc)).lower()})"]
    source = manifest["source"]
    outputs = {o["name"].rsplit("/", 1)[-1]: o for o in manifest["outputs"]}
    signed = outputs.get(name)
    if signed is not None:
        if sha == signed["sha256"] and size == signed["size"]:
            return []
        if _only_line_endings(path, signed["sha256"]):
            return [
                f"{name}: differs from the signed file only in its line endings (CRLF, as a Windows"
                " editor or a mail program writes them): its text is what was signed; check the file"
                " as published, or convert it back with 'dos2unix'"
            ]
        if "cues" not in signed:
            return [f"{name}: differs from the signed file ({size} bytes, sha256 {sha[:SHA_SHOWN]}…)"]
        return [f"{name}: {p}" for p in _cue_problems(name, path, signed["cues"])]
    if sha == source["sha256"] and size == source["size"]:
        return []
    if any(sha == o["sha256"] and size == o["size"] for o in manifest["outputs"]):
        return []  # a renamed output: the bytes are what was signed
    if name == source.get("name"):
        return [
            f"{name}: not the signed source (sha256 {sha[:SHA_SHOWN]}…, {size} bytes; "
            f"signed {source['sha256'][:SHA_SHOWN]}…, {source['size']} bytes)"
        ]
    return [
        f"{name}: not in the manifest (sha256 {sha[:SHA_SHOWN]}… matches neither the source nor an output)"
    ]


def _only_line_endings(path: Path, signed_sha256: str) -> bool:
    """Whether the file is the signed one with its line breaks turned into CRLF."""
    data = path.read_bytes()
    return b"\r\n" in data and hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == signed_sha256


def _signature(manifest: dict[str, Any]) -> tuple[str, list[str]]:
    """(the signer's fingerprint, or "" when there is no readable key; the signature's problems)."""
    block = manifest.get("signature")
    if block is None:
        return "", ["signature missing: the manifest is not signed"]
    try:
        if block["algorithm"] != "ed25519":
            return "", [f"signature uses {block['algorithm']!r}, not ed25519"]
        raw = base64.b64decode(block["public_key"], validate=True)
        value = base64.b64decode(block["value"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return "", ["signature block damaged: the manifest was changed after signing"]
    problems = []
    try:
        public.verify(value, canonical_bytes(manifest))
    except InvalidSignature:
        problems.append(SIGNATURE_CHANGED)
    if block.get("key_fingerprint") != fingerprint(raw):
        problems.append("signature block damaged: the key fingerprint is not the key's")
    return fingerprint(raw), problems


def _cue_problems(name: str, path: Path, signed: list[dict[str, Any]]) -> list[str]:
    """Which cues of a changed subtitle file differ from the signed ones, aligned like a diff."""
    try:
        found = subtitle_cues(name, path.read_bytes()) or []
    except (OSError, ValueError):
        return ["differs from the signed file and cannot be read as subtitles"]
    mine = [(c["start"], c["end"], c["text_sha256"]) for c in found]
    theirs = [(c["start"], c["end"], c["text_sha256"]) for c in signed]
    if mine == theirs:
        return [CUES_MATCH]
    problems = []
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            problems.append(_cue_difference(i1 + k + 1, mine[i1 + k], theirs[j1 + k]))
        if j2 - j1 > paired:
            problems.append(_run(j2 - j1 - paired, "missing", "signed cue", j1 + paired + 1, j2, theirs))
        if i2 - i1 > paired:
            problems.append(_run(i2 - i1 - paired, "extra", "cue", i1 + paired + 1, i2, mine))
    return problems


def _cue_difference(number: int, mine: tuple[int, int, str], theirs: tuple[int, int, str]) -> str:
    if mine[:2] == theirs[:2]:
        return f"cue {number} at {clock_tenths(mine[0])}: text differs"
    fmt = clock_tenths
    if (fmt(mine[0]), fmt(mine[1])) == (fmt(theirs[0]), fmt(theirs[1])):
        fmt = clock_ms  # the change is under a tenth of a second: show it
    what = "timing differs" if mine[2] == theirs[2] else "timing and text differ"
    return (
        f"cue {number}: {what} ({fmt(mine[0])}-{fmt(mine[1])} in the file, "
        f"{fmt(theirs[0])}-{fmt(theirs[1])} signed)"
    )


def _run(count: int, what: str, noun: str, first: int, last: int, cues: list[tuple[int, int, str]]) -> str:
    """A run of unmatched cues: ``2 cues missing (signed cues 7-8, from 0:30.1)``, ``1 extra cue (...)``."""
    plural = "s" * (count != 1)
    where = f"{noun}s {first}-{last}, from" if count != 1 else f"{noun} {first}, at"
    head = f"{count} cue{plural} {what}" if what == "missing" else f"{count} {what} cue{plural}"
    return f"{head} ({where} {clock_tenths(cues[first - 1][0])})"


def _good_output(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    typed = (
        isinstance(entry.get("name"), str)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("size"), int)
    )
    cues = entry.get("cues", [])
    return typed and isinstance(cues, list) and all(_good_cue(c) for c in cues)


def _good_cue(cue: object) -> bool:
    return (
        isinstance(cue, dict)
        and isinstance(cue.get("start"), int)
        and isinstance(cue.get("end"), int)
        and isinstance(cue.get("text_sha256"), str)
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice")
        result[key] = value
    return result


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
