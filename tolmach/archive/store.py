"""The content-addressed file store: every original and output kept once, under its sha256.

``objects/ab/abcdef...`` holds the bytes whose sha256 is ``abcdef...``. A file is copied in under a
temporary name, its hash checked, and renamed into place, so the store never holds a partial or
mislabelled file. Stored files are made read-only and never modified: an original in the store is the
evidence every manifest points to.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from tolmach.errors import OutputError
from tolmach.media.files import BLOCK_SIZE, atomic_path


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def add_file(self, source: Path, sha256: str) -> Path:
        """Copy ``source`` in (once); OutputError if its bytes no longer hash to ``sha256``."""
        target = self.path(sha256)
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            digest = hashlib.sha256()
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                while block := src.read(BLOCK_SIZE):
                    digest.update(block)
                    dst.write(block)
            if digest.hexdigest() != sha256:
                raise OutputError(
                    f"{source} changed while it was being stored (sha256 differs)",
                    "wait until the file is complete, then run again",
                )
            os.chmod(tmp, 0o444)
        return target

    def add_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                tmp.write_bytes(data)
                os.chmod(tmp, 0o444)
        return sha256

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def copy_out(self, sha256: str, target: Path) -> None:
        with atomic_path(target) as tmp:
            shutil.copyfile(self.path(sha256), tmp)

    def remove(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()
