"""tolmach: foreign-language video to verifiable English, offline.

>>> import tolmach
>>> transcript = tolmach.translate_clip("clip.mp4", tolmach.Options(lang="ru"))  # doctest: +SKIP
>>> tolmach.write_outputs(transcript, tolmach.Options(), "out/")  # doctest: +SKIP
>>> with tolmach.Archive() as archive:  # doctest: +SKIP
...     hits = tolmach.search(archive.conn, "Бахмут", tolmach.Filters(lang="ru"))
"""

__version__ = "0.1.0"

from tolmach.archive import Archive, Filters, search
from tolmach.errors import TolmachError
from tolmach.options import Options
from tolmach.pipeline import ClipResult, translate_clip, translate_to_files, write_outputs
from tolmach.records import ClipInfo, Cue, Edit, Entity, MediaInfo, ModelInfo, Segment, Transcript, Word

__all__ = [
    "Archive",
    "ClipInfo",
    "ClipResult",
    "Cue",
    "Edit",
    "Entity",
    "Filters",
    "MediaInfo",
    "ModelInfo",
    "Options",
    "Segment",
    "TolmachError",
    "Transcript",
    "Word",
    "__version__",
    "search",
    "translate_clip",
    "translate_to_files",
    "write_outputs",
]
