"""Everything tolmach does with media files: probe, decode, and write outputs safely.

ffmpeg and ffprobe are run from ``tolmach.media.ffmpeg`` and nowhere else in the package.
"""

from tolmach.media.audio import SAMPLE_RATE, decode_audio, ingest
from tolmach.media.files import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    atomic_write_texts,
    check_writable_dir,
    sha256_file,
)
from tolmach.media.probe import probe

__all__ = [
    "SAMPLE_RATE",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_texts",
    "check_writable_dir",
    "decode_audio",
    "ingest",
    "probe",
    "sha256_file",
]
