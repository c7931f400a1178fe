"""Output folders a command creates (``-o newdir``) and leaves empty: taken away again when it ends.

Only folders that did not exist when the command started are ever removed, and only while empty
(``rmdir``), so a folder the user had, or one another process has written into meanwhile, stays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tidied(folder: str | os.PathLike[str] | None) -> Iterator[None]:
    """Run the block; then remove ``folder`` and the parents made for it, if they were not there before
    and are still empty (a failed run leaves nothing behind; a successful one has its files there)."""
    made = missing(folder) if folder is not None else []
    try:
        yield
    finally:
        for path in made:  # the deepest first
            try:
                path.rmdir()
            except OSError:  # not empty, or not there: it and the folders above it stay
                break


def missing(folder: str | os.PathLike[str]) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, the deepest first."""
    path = Path(folder).expanduser().absolute()
    made = []
    while not path.exists() and not path.is_symlink() and path != path.parent:
        made.append(path)
        path = path.parent
    return made
