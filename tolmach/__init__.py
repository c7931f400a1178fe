"""tolmach: foreign-language video to verifiable English, offline."""

__version__ = "0.1.0"
