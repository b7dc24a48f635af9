"""Errors raised while rendering prompts; each names the text, language, voice or file at fault."""


class PromptError(Exception):
    """A prompt could not be rendered."""


class UnknownLanguageError(PromptError):
    """No installed voice speaks the requested language, or a configured voice does not exist."""


class SynthesisError(PromptError):
    """The speech synthesizer failed, hung or died."""


class ConversionError(PromptError):
    """Audio could not be converted to the formats Asterisk plays."""
