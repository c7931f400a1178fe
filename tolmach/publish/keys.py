"""The Ed25519 key that signs provenance manifests: created once, kept private, reused.

The key is a PEM (PKCS#8, unencrypted) file readable by its owner only. It is created on first use and
never replaced: a newsroom publishes its public key's fingerprint once, and every manifest it signs
afterwards must verify against that same key. Creation is atomic and never overwrites: the key is
written to a temporary file with mode 0600 before any secret goes in, then hard-linked into place, so two
first runs at once end up sharing one key instead of one of them signing with a key nobody kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tolmach.errors import InputError, OutputError

FINGERPRINT_HEX = 32  # 128 bits of the key's sha256: short enough to read aloud, too long to forge
KEY_HINT = (
    "move the file aside: tolmach then creates a new key (manifests signed with the old one still "
    "carry their own public key)"
)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The private key stored at ``path``, created there (mode 0600) if the file does not exist."""
    path = Path(path)
    if path.exists():
        return _load(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # the umask could only take bits away; say exactly what we mean
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # unlike a rename, fails when another process created the key meanwhile
        except FileExistsError:
            return _load(path)
        except OSError:  # a filesystem without hard links: rename, accepting the tiny race
            os.replace(tmp, path)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise OutputError(f"{path}: signing key not written ({reason})", "choose another key path") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return key


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key: what a manifest carries and what a verifier may be told to trust."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """The key's fingerprint: the first 32 hex digits of the sha256 of its raw bytes."""
    return hashlib.sha256(public_raw).hexdigest()[:FINGERPRINT_HEX]


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise InputError(
            f"{path}: cannot read the signing key ({reason})", "check the file's permissions"
        ) from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:  # not PEM, damaged, or encrypted with a password
        raise InputError(f"{path}: not an unencrypted PEM private key", KEY_HINT) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: a private key, but not an Ed25519 one", KEY_HINT)
    return key
