"""The engine interface: source lines and their context in, the same number of English lines out.

An engine is one class registered by name in ``tolmach.engines.ENGINES``. The contract every engine keeps,
because the rest of tolmach depends on it: ``translate`` returns exactly one line per input line, in the
same order, and never moves text from one line to another (a subtitle shown at 0:12 must translate what
is said at 0:12). Engines that can fail line by line (a language model's answer can be refused) override
``run`` as well, to say which lines fell back to what and what happened on the way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from tolmach.errors import ModelError, OptionsError

Progress = Callable[[int], None]  # lines translated so far


class EngineError(ModelError):
    """A translation engine is misconfigured, unreachable or failed for good."""

    default_hint = "run 'tolmach engines' to see what is configured and reachable (docs/ENGINES.md)"


@dataclass(frozen=True)
class Term:
    """A glossary term the text uses, for the engine's instructions."""

    source: str  # the form as the language writes it: «мобик»
    english: str  # the field's rendering: "mobik|mobiks" (singular|plural)
    note: str = ""  # register or meaning: "mobilised soldier, derogatory slang"


@dataclass(frozen=True)
class Context:
    """What an engine may know beyond the lines themselves."""

    source_lang: str  # ISO 639-1 code of the lines: "ru", "uk"
    previous: tuple[str, ...] = ()  # source lines just before these ones (context, not to translate)
    summary: str = ""  # a sentence or two about the whole clip or text, in English
    glossary: tuple[Term, ...] = ()  # house terms the lines use
    fallback: tuple[str, ...] = ()  # per line: the English to keep when the engine cannot translate it
    fallback_by: str = ""  # what wrote ``fallback``: "whisper:base"
    kind: str = "speech"  # "speech" (transcript lines) or "text" (a post or article)
    speakers: tuple[str, ...] = ()  # per line: who says it ("S1"), "" unknown; () when not known at all
    names: tuple[tuple[str, str], ...] = ()  # entities the lines name: (as written, English) «Бахмут» Bakhmut
    # the whole clip's lines when ``lines`` are some of them (re-translating a few): the text around them
    document: tuple[str, ...] = ()
    at: tuple[int, ...] = ()  # per line: its 0-based place in ``document``
    document_speakers: tuple[str, ...] = ()  # per line of ``document``: its speaker
    durations: tuple[int, ...] = ()  # per line: how long it is shown, in ms (speech); () when not known


@dataclass(frozen=True)
class Outcome:
    """An engine's answer for a list of lines."""

    lines: tuple[str, ...]  # the English, one per input line
    fallback: tuple[str, ...]  # per line: "" when the engine wrote it, else why its fallback was kept
    events: tuple[str, ...] = ()  # what happened on the way (retries, rate limits), for the warnings


class Engine:
    """Base class of translation engines.

    To add an engine: subclass this, set ``name``, set ``remote`` (True when the text leaves the machine,
    also per instance, e.g. from a URL), implement ``translate`` (and ``describe``; ``check`` if it can be
    probed), and add the class to ``ENGINES`` in ``tolmach/engines/__init__.py``. Its constructor takes
    the run's ``Options``. ``translate`` must return exactly ``len(lines)`` strings, line i translating
    input line i; an engine that must give up on a line either raises EngineError or overrides ``run`` to
    keep ``context.fallback[i]`` and say so.
    """

    name: ClassVar[str] = ""
    speech_only: ClassVar[bool] = False  # True: it cannot translate text it did not hear (whisper)
    remote: bool = False  # True: the text is sent to another machine

    @property
    def label(self) -> str:
        """What wrote the English, for ``Segment.translated_by``: "engine:model"."""
        return self.name

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        raise NotImplementedError

    def run(self, lines: Sequence[str], context: Context, progress: Progress | None = None) -> Outcome:
        """``translate`` with the count checked; engines with per-line fallbacks override this.
        ``progress(n)``: lines done so far, for a progress bar (called once at the end here)."""
        result = self.translate(lines, context)
        if len(result) != len(lines):  # a broken engine must never shift lines: refuse the whole answer
            raise EngineError(f"engine {self.name} returned {len(result)} lines for {len(lines)}")
        if progress is not None:
            progress(len(lines))
        return Outcome(tuple(result), ("",) * len(lines))

    def describe(self) -> str:
        """One line for 'tolmach engines': what it is and which model."""
        return self.label

    def check(self) -> tuple[bool, str]:
        """(ready, why): whether the engine can translate now; may probe a server or load a model."""
        return True, "ready"


def is_local_url(url: str) -> bool:
    """True when ``url``'s host is this machine: localhost or a loopback address. Anything else, a LAN
    address included, is another machine."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_remote(engine: Engine, where: str, allow_remote: bool) -> None:
    """OptionsError unless the engine is local or the user allowed remote engines."""
    if engine.remote and not allow_remote:
        raise OptionsError(
            f"engine {engine.name} would send the text to another machine ({where})",
            "pass --allow-remote (or set allow_remote) if the footage may leave this machine; "
            "a server on 127.0.0.1 or localhost needs nothing",
        )
