"""The archive of processed clips: SQLite (WAL, FTS5, migrations) plus a content-addressed file store."""

from tolmach.archive.archive import ID_LENGTH, Archive, ClipRecord, ClipSummary, RunSummary, default_home
from tolmach.archive.search import Filters, Hit, plain, search

__all__ = [
    "ID_LENGTH",
    "Archive",
    "ClipRecord",
    "ClipSummary",
    "Filters",
    "Hit",
    "RunSummary",
    "default_home",
    "plain",
    "search",
]
