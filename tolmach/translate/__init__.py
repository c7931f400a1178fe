"""Translation helpers: the glossary of war slang and military terms (``glossary.py``, ``matching.py``)."""

from __future__ import annotations

from tolmach.translate.glossary import (
    BUILTIN,
    COLUMNS,
    LANGUAGES,
    Glossary,
    Term,
    add_term,
    builtin_glossary,
    check_term,
    load_glossary,
)

__all__ = [
    "BUILTIN",
    "COLUMNS",
    "LANGUAGES",
    "Glossary",
    "Term",
    "add_term",
    "builtin_glossary",
    "check_term",
    "load_glossary",
]
