"""Prompt rendering: scenario text and recordings as files Asterisk can play."""

from ivr.prompts.exceptions import (
    ConversionError,
    PromptError,
    SynthesisError,
    UnknownLanguageError,
)
from ivr.prompts.naming import (
    FORMATS,
    RENDERER_VERSION,
    choose_voice,
    file_digest,
    playback_name,
    sound_paths,
    tts_digest,
)
from ivr.prompts.renderer import PromptRenderer

__all__ = [
    "FORMATS",
    "RENDERER_VERSION",
    "ConversionError",
    "PromptError",
    "PromptRenderer",
    "SynthesisError",
    "UnknownLanguageError",
    "choose_voice",
    "file_digest",
    "playback_name",
    "sound_paths",
    "tts_digest",
]
