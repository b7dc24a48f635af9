"""Performs the engine's Play and Collect actions on a FastAGI channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.fastagi import AGIChannel
from ivr.prompts import PromptRenderer
from ivr.scenario import (
    Collect,
    Digits,
    DigitsPart,
    Event,
    FilePart,
    NoInput,
    NumberPart,
    PromptRef,
    TextPart,
)

if TYPE_CHECKING:
    from ivr.call.speech import SpeechInput

ALL_KEYS = "0123456789*#"
TERMINATOR_GRACE_MS = 1500


class AgiPlayer:
    """Plays prompts (synthesized text, recordings, digits, numbers) and reads keys.

    Fixed text was rendered when the scenario loaded, so :meth:`PromptRenderer.render` is a
    cache hit here; only dynamic text (a customer's name, say) is synthesized mid-call.
    With ``speech``, a Collect that asks for speech is answered by voice or keys through it
    (falling back to keys when speech is unavailable).
    """

    def __init__(
        self, channel: AGIChannel, renderer: PromptRenderer, speech: SpeechInput | None = None
    ) -> None:
        self._channel = channel
        self._renderer = renderer
        self._speech = speech
        self._language: str | None = None
        self._typed_ahead: str | None = None

    async def play(self, prompts: tuple[PromptRef, ...], keys: str = "") -> str | None:
        """Play every prompt in order; stop at the first of ``keys`` pressed and return it."""
        for prompt in prompts:
            await self._use_language(prompt.language)
            for part in prompt.parts:
                pressed = await self._play_part(part, prompt.language, keys)
                if pressed:
                    return pressed
        return None

    async def collect(self, action: Collect, typed_ahead: str | None = None) -> Event:
        """Play the action's prompts, then read up to ``max_digits`` keys.

        ``typed_ahead`` is a key that cut the previous prompt short: a caller who knows the
        menu presses during the greeting, and that key answers this question at once.
        """
        keys = ALL_KEYS if action.interruptible else ""
        typed = bool(typed_ahead and action.interruptible)
        if action.speech is not None and self._speech is not None and not typed:
            event = await self._speech.collect(self._channel, action)
            if event is not None:
                return event
        if typed_ahead and action.interruptible:
            digits = typed_ahead
        else:
            digits = await self.play(action.prompts, keys) or ""
        terminator = action.terminator or ""
        if digits and digits == terminator:
            return Digits("") if action.min_digits == 0 else NoInput()
        while len(digits) < action.max_digits:
            key = await self._channel.wait_for_digit(action.timeout_ms)
            if key is None or (terminator and key == terminator):
                break
            digits += key
        else:
            if terminator:
                await self._swallow_terminator(terminator)
        return Digits(digits) if digits else NoInput()

    def take_typed_ahead(self) -> str | None:
        """A key pressed after a complete entry, meant for the next question."""
        key, self._typed_ahead = self._typed_ahead, None
        return key

    async def _swallow_terminator(self, terminator: str) -> None:
        """Callers type all the digits and then the terminator anyway; that key must not
        answer the next question. Anything else they press is kept for it."""
        key = await self._channel.wait_for_digit(TERMINATOR_GRACE_MS)
        if key is not None and key != terminator:
            self._typed_ahead = key

    async def _play_part(self, part: object, language: str, keys: str) -> str | None:
        match part:
            case TextPart(text=text):
                name = await self._renderer.render(text, language)
                return await self._channel.stream_file(name, keys)
            case FilePart(path=path):
                name = await self._renderer.render_file(path)
                return await self._channel.stream_file(name, keys)
            case DigitsPart(digits=digits):
                return await self._channel.say_digits(digits, keys)
            case NumberPart(number=number):
                return await self._channel.say_number(number, keys)
        raise TypeError(f"cannot play prompt part {part!r}")

    async def _use_language(self, language: str) -> None:
        """Asterisk's own sounds (digits, numbers) follow the channel language."""
        if language != self._language:
            await self._channel.set_variable("CHANNEL(language)", language)
            self._language = language
