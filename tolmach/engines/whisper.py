"""Engine ``whisper``: the English Whisper wrote while transcribing (the default, offline).

Whisper translates speech, not text: its English comes from the same decoding pass as the transcript
(``asr.decoder``), so this engine only hands back the lines it was given as ``context.fallback``. It
cannot translate a post or an article; ``translate-text`` says so and how to configure another engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tolmach.engines.base import Context, Engine, EngineError

if TYPE_CHECKING:
    from tolmach.options import Options


class WhisperEngine(Engine):
    """Identity on the lines Whisper already translated."""

    name = "whisper"
    speech_only = True
    remote = False

    def __init__(self, options: Options) -> None:
        self.model = options.model

    @property
    def label(self) -> str:
        return f"whisper:{self.model}"

    def describe(self) -> str:
        return f"speech translation by the Whisper model '{self.model}', in the same pass as the transcript"

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        if context.kind != "speech" or len(context.fallback) != len(lines):
            raise EngineError(
                "the whisper engine translates speech only, not text",
                "configure an llm or nmt engine (--engine llm --llm-model NAME, or --engine nmt"
                " --nmt-model DIR; docs/ENGINES.md)",
            )
        return list(context.fallback)
