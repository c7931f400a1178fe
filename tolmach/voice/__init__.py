"""English AI voice: the voice-over of a clip (``dub``), article narration (``narrate``), the voices.

Every output says its voice is AI-generated, in its tags and, unless removed with an explicit flag that
is recorded, in its first spoken words. Heavy parts (piper, onnxruntime) load on first use.
"""

from tolmach.voice.dub import DISCLOSURE, DubOptions, DubReport, LineReport, dub
from tolmach.voice.fit import Placement, Slot, fit_lines
from tolmach.voice.narrate import NARRATION_DISCLOSURE, NarrateOptions, NarrationReport, narrate
from tolmach.voice.spoken import speakable
from tolmach.voice.tts import Speech, synthesize
from tolmach.voice.voices import DEFAULT_VOICE, VOICES, Voice, VoiceInfo, get_voice, list_voices

__all__ = [
    "DEFAULT_VOICE",
    "DISCLOSURE",
    "NARRATION_DISCLOSURE",
    "VOICES",
    "DubOptions",
    "DubReport",
    "LineReport",
    "NarrateOptions",
    "NarrationReport",
    "Placement",
    "Slot",
    "Speech",
    "Voice",
    "VoiceInfo",
    "dub",
    "fit_lines",
    "get_voice",
    "list_voices",
    "narrate",
    "speakable",
    "synthesize",
]
