"""tolmach: foreign-language video to verifiable English, offline.

>>> import tolmach
>>> transcript = tolmach.translate_clip("clip.mp4", tolmach.Options(lang="ru"))  # doctest: +SKIP
>>> tolmach.write_outputs(transcript, tolmach.Options(), "out/")  # doctest: +SKIP
"""

__version__ = "0.1.0"

from tolmach.errors import TolmachError
from tolmach.options import Options
from tolmach.pipeline import ClipResult, translate_clip, translate_to_files, write_outputs
from tolmach.records import Cue, MediaInfo, ModelInfo, Segment, Transcript, Word

__all__ = [
    "ClipResult",
    "Cue",
    "MediaInfo",
    "ModelInfo",
    "Options",
    "Segment",
    "TolmachError",
    "Transcript",
    "Word",
    "__version__",
    "translate_clip",
    "translate_to_files",
    "write_outputs",
]
