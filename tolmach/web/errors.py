"""Errors as the web app answers them: every TolmachError becomes JSON ``{"error", "hint"}`` and a status.

The library raises the same errors the CLI prints; only the HTTP status is decided here, once.
"""

from __future__ import annotations

from tolmach.errors import ConflictError, InputError, OptionsError, OutputError, TolmachError
from tolmach.media.files import HINT_FULL

HINT_VALUES = "see /docs for the values each field takes"


class WebError(TolmachError):
    """An error that is about the request itself (auth, size, a conflict), with its HTTP status."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.args = (status, message, hint)


def status_for(error: TolmachError) -> int:
    if isinstance(error, WebError):
        return error.status
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, InputError):
        # the archive's lookups say "no clip ...", "no line ...", "no job ...", "no revision ..."
        missing = error.message.startswith("no ") or "is not an archive ID" in error.message
        return 404 if missing else 400
    if isinstance(error, OptionsError):
        return 422
    if isinstance(error, OutputError):
        return 507 if error.hint == HINT_FULL or "disk is full" in error.message else 500
    return 500  # MediaToolError, ModelError and the rest: the server's trouble, not the request's


def body(error: TolmachError) -> dict[str, str]:
    hint = error.hint
    if isinstance(error, OptionsError) and hint == OptionsError.default_hint:
        hint = HINT_VALUES  # the default points at the CLI's help, which a web caller does not have
    return {"error": error.message, "hint": hint}
