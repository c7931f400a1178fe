"""The one exception hierarchy of tolmach.

Every error a user can cause or meet carries a one-line message naming the file and the problem, and a
hint saying what to do. The CLI prints ``message`` and ``hint`` and exits non-zero; the web app returns
them as JSON. Errors are plain data so they pickle across worker processes (pysubs2's exceptions do the
same): keep constructor arguments equal to ``args``.
"""

from __future__ import annotations


class TolmachError(Exception):
    """Base class: ``message`` says what went wrong, ``hint`` what to try."""

    exit_code = 1
    default_hint = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = type(self).default_hint if hint is None else hint

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """Message and hint on one line, as the CLI prints them."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class InputError(TolmachError):
    """The source file is missing, unreadable, empty, not media, truncated, or has no audio."""

    exit_code = 2
    default_hint = "check that the path points to an audio or video file that plays"


class MediaToolError(TolmachError):
    """ffmpeg or ffprobe is missing, or failed on a file it should have read."""

    exit_code = 3
    default_hint = "install ffmpeg (apt-get install ffmpeg) or run 'make demo' once"


class ModelError(TolmachError):
    """A speech model is missing, incomplete, corrupt, or could not be fetched."""

    exit_code = 4
    default_hint = "run 'tolmach models verify', or reinstall with 'make demo'"


class OptionsError(TolmachError):
    """An option has a value tolmach cannot use (unknown language, bad format name, ...)."""

    exit_code = 2
    default_hint = "see 'tolmach translate --help'"


class OutputError(TolmachError):
    """An output file or folder cannot be written (permissions, full disk, not a folder)."""

    exit_code = 5
    default_hint = "choose another folder with -o, or free some space"


class ConflictError(TolmachError):
    """A change made against an older state than the one stored: a stale edit, or a file that tolmach
    would replace although it did not write it (or it changed since). Nothing was changed."""

    exit_code = 7
    default_hint = "reload and apply the change again, or pass --force to replace the file"


class MissingExtraError(TolmachError):
    """An optional dependency is not installed."""

    exit_code = 6

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional package set '{extra}', which is not installed",
            f"pip install 'tolmach[{extra}]'",
        )
        self.args = (feature, extra)


class Interrupted(TolmachError):
    """Ctrl+C (or SIGTERM) stopped a command: the message says what was kept, the hint how to go on."""

    exit_code = 130  # as a shell reports a process stopped by SIGINT
