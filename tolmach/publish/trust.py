"""Which signing keys the user trusts: the archive's own, and those they have chosen to trust.

A good signature only proves that a manifest is unchanged since *someone* signed it; anyone can make a
key. So verification also asks whether the signer is a key the user trusts: the one this archive signs
with, the one given with ``verify --key``, or one added with ``tolmach keys trust``.

A key is known by its fingerprint: the first 32 hex digits (128 bits) of the sha256 of its raw 32-byte
Ed25519 public key, the ``key_fingerprint`` a manifest carries. Trusting a fingerprint is enough, because
a manifest carries its whole public key, the signature is checked with that key, and the fingerprint is
then computed from it: to pass, another key would need the same 128-bit hash.

Trusted keys live in the archive folder, one small JSON file each, ``keys/trusted/<fingerprint>.json``,
readable by their owner only (a list of trusted sources says whom the user works with). A file is written
once and never replaced: trusting a key again leaves the first entry as it is.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tolmach.errors import InputError, OptionsError, OutputError
from tolmach.publish.keys import FINGERPRINT_HEX, fingerprint, load_or_create_key, public_key_bytes

OWN_KEY = Path("keys") / "manifest-ed25519.pem"  # in the archive folder: the key publish signs with
TRUSTED = Path("keys") / "trusted"  # in the archive folder
_FINGERPRINT = re.compile(rf"[0-9a-f]{{{FINGERPRINT_HEX}}}")
_SEPARATORS = re.compile(r"[\s:]")  # fingerprints are often read aloud or copied in groups
KEY_FORMS = (
    "give the signer's fingerprint (32 hex digits), its public key (base64, as 'tolmach publish' prints "
    "it) or a file holding either or a PEM public key"
)


@dataclass(frozen=True)
class TrustedKey:
    """One key the user trusts."""

    fingerprint: str  # FINGERPRINT_HEX lowercase hex digits
    public_key: str  # base64 of the raw 32 bytes; empty when it was trusted by fingerprint alone
    name: str  # who the user says it belongs to; may be empty
    added: str  # when it was trusted, ISO 8601 UTC; empty for the archive's own key
    own: bool = False  # the key this archive signs with


def parse_key(value: str) -> tuple[str, bytes | None]:
    """(fingerprint, raw public key or None) from a fingerprint, a base64 public key, or a file holding
    either or a PEM public key. Anything else is an OptionsError: a key that cannot be read must never
    quietly mean "no key"."""
    path = Path(value)
    with contextlib.suppress(OSError, ValueError):  # a value too long or odd to be a file name is no file
        if path.is_file():
            return _parse_file(path)
    found = _parse_text(value)
    if found is None:
        raise OptionsError(f"'{_shown(value)}' is not a public key, a fingerprint or a key file", KEY_FORMS)
    return found


def trusted_keys(home: Path) -> list[TrustedKey]:
    """The archive's own key (when it has made one), then every key the user trusts, by fingerprint."""
    keys = []
    own = home / OWN_KEY
    if own.is_file():
        raw = public_key_bytes(load_or_create_key(own))
        keys.append(TrustedKey(fingerprint(raw), _b64(raw), "this archive", "", own=True))
    folder = home / TRUSTED
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        keys.append(_read_entry(path))
    return keys


def trust(home: Path, value: str, name: str = "") -> tuple[TrustedKey, bool]:
    """Trust the key ``value`` (see :func:`parse_key`): (its entry, whether it is new). A key already
    trusted keeps its first entry: nothing is replaced."""
    fp, raw = parse_key(value)
    for key in trusted_keys(home):
        if key.fingerprint == fp:
            return key, False
    entry = TrustedKey(fp, _b64(raw) if raw else "", " ".join(name.split()), _now())
    path = home / TRUSTED / f"{fp}.json"
    data = json.dumps({k: v for k, v in asdict(entry).items() if k != "own"}, ensure_ascii=False, indent=2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never over another entry
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (data + "\n").encode())
        finally:
            os.close(fd)
    except FileExistsError:  # trusted meanwhile by another process: that entry stands
        return _read_entry(path), False
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise OutputError(f"{path}: the trusted key was not written ({reason})", "check the folder") from exc
    return entry, True


def untrust(home: Path, value: str) -> TrustedKey:
    """Stop trusting a key; the archive's own key cannot be untrusted (move the key file aside instead)."""
    fp, _ = parse_key(value)
    for key in trusted_keys(home):
        if key.fingerprint != fp:
            continue
        if key.own:
            raise OptionsError(
                f"{fp} is this archive's own signing key",
                "it is trusted as long as the archive signs with it",
            )
        (home / TRUSTED / f"{fp}.json").unlink()
        return key
    raise OptionsError(f"no trusted key {fp}", "'tolmach keys list' shows the keys you trust")


def _parse_text(text: str) -> tuple[str, bytes | None] | None:
    compact = _SEPARATORS.sub("", text).lower()
    if _FINGERPRINT.fullmatch(compact):
        return compact, None
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)  # 32 bytes, or ValueError
    except (binascii.Error, ValueError):
        return None
    return fingerprint(raw), raw


def _parse_file(path: Path) -> tuple[str, bytes | None]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise InputError(
            f"{path}: cannot read the key file ({reason})", "check the file's permissions"
        ) from exc
    if b"PRIVATE KEY" in data:  # never copied into the trust store, never needed to check a signature
        raise OptionsError(f"{path}: a private key", "give the signer's public key, not a private one")
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            public = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise OptionsError(f"{path}: not a readable PEM public key", KEY_FORMS) from exc
        if not isinstance(public, Ed25519PublicKey):
            raise OptionsError(f"{path}: a public key, but not an Ed25519 one", KEY_FORMS)
        raw = public_key_bytes(public)
        return fingerprint(raw), raw
    try:
        found = _parse_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        found = None
    if found is None:
        raise OptionsError(f"{path}: holds no public key or fingerprint", KEY_FORMS)
    return found


def _read_entry(path: Path) -> TrustedKey:
    damaged = InputError(f"{path}: not a readable trusted key", "move it aside and trust the key again")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = TrustedKey(
            str(data["fingerprint"]), str(data["public_key"]), str(data["name"]), str(data["added"])
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise damaged from exc
    key = _parse_text(entry.public_key) if entry.public_key else (entry.fingerprint, b"")
    # the file's name, its fingerprint and its key must agree: an entry edited by hand trusts nothing
    if key is None or key[1] is None or not (path.stem == entry.fingerprint == key[0]):
        raise damaged
    if not _FINGERPRINT.fullmatch(entry.fingerprint):
        raise damaged
    return entry


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."
