"""Options for one ``translate`` run: a frozen dataclass, one comment per field, one validator.

Defaults live here and nowhere else; ``settings.py`` turns these fields into the settings table that the
CLI, the config file, the environment and the docs all read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from tolmach.errors import OptionsError

SUBTITLE_FORMATS = ("srt", "vtt", "ass")
ALL_FORMATS = (*SUBTITLE_FORMATS, "json", "txt")
DEFAULT_FORMATS = ("srt", "vtt", "json", "txt")
READING_SPEEDS = {"normal": 20.0, "slow": 17.0}  # characters per second (Netflix adult / children)
# tolmach.engines.ENGINES holds the classes; docs/ENGINES.md
ENGINES = ("auto", "local", "whisper", "llm", "nmt")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class Options:
    lang: str | None = field(
        default=None,
        metadata=_help("language spoken in the clip (ISO code, e.g. ru, uk); detected when unset"),
    )
    model: str = field(
        default="base",
        metadata=_help("speech model: 'base' (shipped), a pulled name, or a CTranslate2 folder"),
    )
    formats: tuple[str, ...] = field(
        default=DEFAULT_FORMATS, metadata=_help("outputs to write: any of srt, vtt, ass, json, txt")
    )
    translate: bool = field(default=True, metadata=_help("add the English translation line by line"))
    beam_size: int = field(default=5, metadata=_help("beam width for decoding; 1 is greedy and faster"))
    no_repeat_ngram_size: int = field(
        default=5,
        metadata=_help("forbid repeating any n-gram of this size (stops repetition loops); 0 is off"),
    )
    vad: bool = field(default=True, metadata=_help("skip non-speech with the Silero VAD before decoding"))
    batch_size: int = field(default=4, metadata=_help("30-second windows decoded together"))
    device: str = field(default="auto", metadata=_help("cpu, cuda or auto"))
    compute_type: str = field(
        default="auto",
        metadata=_help("CTranslate2 compute type: auto (int8 on CPU, float16 on GPU), int8, float16, ..."),
    )
    threads: int = field(default=0, metadata=_help("CPU threads for the model; 0 uses all cores"))
    reading_speed: str = field(
        default="normal", metadata=_help("subtitle reading-speed profile: normal (20 cps) or slow (17 cps)")
    )
    fps: float = field(default=25.0, metadata=_help("frame rate used for the minimum gap between subtitles"))
    glossary: bool = field(
        default=True,
        metadata=_help("gloss slang and military terms on first use, and prime the decoder with them"),
    )
    glossaries: tuple[str, ...] = field(
        default=(), metadata=_help("your glossary files (TSV or TOML), added to the built-in one")
    )
    hotwords: bool = field(
        default=False, metadata=_help("give the glossary's terms to the decoder as prior text")
    )
    entities: bool = field(
        default=True, metadata=_help("find people, places, units and ranks in the original text")
    )
    speakers: str = field(
        default="auto",
        metadata=_help("speakers: auto (estimate), a number (2, 3, ...), or 1 to skip telling voices apart"),
    )

    engine: str = field(
        default="auto",
        metadata=_help(
            "what writes the English: auto (local when installed, else whisper), local (the shipped"
            " language model, in process), whisper (speech translation), llm (an OpenAI-compatible"
            " server) or nmt (a CTranslate2 translation model); see docs/ENGINES.md"
        ),
    )
    local_model: str = field(
        default="1.5b",
        metadata=_help("engine local: 1.5b (shipped), 0.5b (lighter, if installed) or a .gguf file"),
    )
    llm_url: str = field(
        default="http://127.0.0.1:11434/v1",
        metadata=_help("engine llm: the server's OpenAI-compatible base URL (Ollama's by default)"),
    )
    llm_model: str = field(default="", metadata=_help("engine llm: the model name the server knows"))
    llm_key_env: str = field(
        default="TOLMACH_LLM_KEY",
        metadata=_help("engine llm: the environment variable holding the API key, if the server needs one"),
    )
    llm_timeout: float = field(
        default=120.0, metadata=_help("engine llm: seconds one request may take before it is retried")
    )
    nmt_model: str = field(
        default="", metadata=_help("engine nmt: a CTranslate2 model folder with its SentencePiece files")
    )
    allow_remote: bool = field(
        default=False,
        metadata=_help("let an engine send the text to another machine (off: only this machine's servers)"),
    )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes: Any) -> Options:
        return replace(self, **changes)

    def validate(self) -> Options:
        """Return the options if every value is usable (the language as its code: ``--lang RU`` and
        ``--lang russian`` are ``ru``), else raise OptionsError naming the bad one."""
        from tolmach.asr.languages import LANGUAGES, language_code

        if self.lang is not None and self.lang not in LANGUAGES:
            return self.replace(lang=language_code(self.lang)).validate()
        unknown = [f for f in self.formats if f not in ALL_FORMATS]
        if not self.formats:
            raise OptionsError(
                "no output format given", f"e.g. --formats srt,vtt; choose from {','.join(ALL_FORMATS)}"
            )
        if unknown:
            raise OptionsError(
                f"unknown output format '{','.join(unknown) or '(none)'}'",
                f"choose from {','.join(ALL_FORMATS)}",
            )
        if self.reading_speed not in READING_SPEEDS:
            raise OptionsError(f"unknown reading speed '{self.reading_speed}'", "use normal or slow")
        if self.device not in ("auto", "cpu", "cuda"):
            raise OptionsError(f"unknown device '{self.device}'", "use cpu, cuda or auto")
        for name in ("beam_size", "batch_size"):
            if getattr(self, name) < 1:
                flag = f"--{name.replace('_', '-')}"
                raise OptionsError(
                    f"{flag} must be at least 1, not {getattr(self, name)}", f"e.g. {flag} 5 (the default)"
                )
        if self.threads < 0:
            raise OptionsError(
                f"--threads cannot be negative ({self.threads})", "--threads 0 (the default) uses every core"
            )
        if self.no_repeat_ngram_size < 0:
            raise OptionsError(
                f"no_repeat_ngram_size cannot be negative ({self.no_repeat_ngram_size})", "0 turns it off"
            )
        if self.speakers != "auto" and not (self.speakers.isdigit() and 1 <= int(self.speakers) <= 20):
            raise OptionsError(f"--speakers '{self.speakers}' is not auto or a number", "e.g. auto, 1, 2, 3")
        if not 1.0 <= self.fps <= 240.0:
            raise OptionsError(f"fps {self.fps} is outside 1-240")
        self._validate_engine()
        return self

    def _validate_engine(self) -> None:
        from urllib.parse import urlsplit

        if self.engine not in ENGINES:
            raise OptionsError(f"unknown engine '{self.engine}'", f"choose from {', '.join(ENGINES)}")
        url = urlsplit(self.llm_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise OptionsError(
                f"llm_url '{self.llm_url}' is not an http(s) URL", "e.g. http://127.0.0.1:11434/v1 (Ollama)"
            )
        if url.username or url.password:
            raise OptionsError(
                "llm_url holds a user name or password", f"put the API key in ${self.llm_key_env} instead"
            )
        if not self.llm_key_env.replace("_", "").isalnum():
            raise OptionsError(f"llm_key_env '{self.llm_key_env}' is not an environment variable name")
        if not 0 < self.llm_timeout <= 3600:
            raise OptionsError(f"llm_timeout {self.llm_timeout} is outside 0-3600 seconds")
        if self.engine == "llm" and not self.llm_model:
            raise OptionsError(
                "engine llm needs a model name",
                "pass --llm-model, e.g. qwen2.5:7b ('tolmach engines' lists them)",
            )
        if self.engine == "llm" and not self.allow_remote:
            from tolmach.engines.base import is_local_url

            if not is_local_url(self.llm_url):  # refused now, not after minutes of decoding
                raise OptionsError(
                    f"engine llm would send the text to another machine ({url.hostname})",
                    "pass --allow-remote (or set allow_remote) if the footage may leave this machine; "
                    "a server on 127.0.0.1 or localhost needs nothing",
                )
        if self.engine == "nmt" and not self.nmt_model:
            raise OptionsError(
                "engine nmt needs a model folder",
                "pass --nmt-model DIR (docs/ENGINES.md says how to make one)",
            )


OPTION_FIELDS = {f.name: f for f in fields(Options)}
