"""What routes depend on: the app's config, and an Archive of the request's own.

SQLite connections are not shared between requests: each request opens the archive (cheap: a file
open and a schema check) and closes it when it is done, so the thread pool FastAPI runs plain
functions in never sees one connection used from two threads at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from tolmach.archive import Archive
from tolmach.web.auth import Caller, api_caller
from tolmach.web.config import WebConfig


def config_of(request: Request) -> WebConfig:
    config: WebConfig = request.app.state.config
    return config


def open_archive(request: Request) -> Iterator[Archive]:
    archive = Archive(config_of(request).home)
    try:
        yield archive
    finally:
        archive.close()


ArchiveDep = Annotated[Archive, Depends(open_archive)]
CallerDep = Annotated[Caller, Depends(api_caller)]
