"""What a call's engine asks the adapter to do (actions) and what it is told (events).

An adapter loop: ``action = call.start()``, then perform ``action`` and
``action = call.feed(event)`` until the action is :class:`Transfer`, :class:`Hangup` or
:class:`Done`. After :class:`Play` and :class:`ChannelSwitch` feed :class:`PromptDone`
(any event continues them); after :class:`Collect` feed :class:`Digits`, :class:`NoInput`
or :class:`SpeechResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ivr.scenario.text import Part


@dataclass(frozen=True, slots=True)
class PromptRef:
    """One prompt as it will be heard: its id in the scenario, language and formatted parts.

    ``text`` is the whole formatted text (for logs and transcripts); ``parts`` is what to play:
    fixed ``TextPart``s were pre-rendered from ``Scenario.all_prompt_texts()``, dynamic ones
    (``fixed=False``) need rendering now, ``DigitsPart``/``NumberPart`` are spoken with
    Asterisk's digit sounds and ``FilePart`` is a recording.
    """

    id: str
    language: str
    text: str
    parts: tuple[Part, ...]


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Digits:
    """Keys the caller pressed (a terminator already stripped or not: both are accepted)."""

    digits: str


@dataclass(frozen=True, slots=True)
class NoInput:
    """The caller pressed nothing before the timeout."""


@dataclass(frozen=True, slots=True)
class PromptDone:
    """A :class:`Play` finished (or a :class:`ChannelSwitch` was handed on)."""


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """What a speech recogniser made of the caller's words.

    At a menu ``intent`` is an option's intent; at a confirmation "yes" or "no"; at a digits
    step None, with ``confidence`` the recogniser's own word confidence.
    """

    intent: str | None
    confidence: float
    transcript: str = ""


Event = Digits | NoInput | PromptDone | SpeechResult


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpeechIntent:
    """One intent as callers say it in the call's language."""

    name: str
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpeechAsk:
    """Listen for speech as well as keys: the intents in ``language`` (in the order heard),
    grammar mode or the full vocabulary, whether speaking stops the prompt, and the
    confidence below which the engine will not act on an intent.

    ``listen_for``: ``intents`` (a menu), ``digits`` (a gather: digits spoken as words; no
    intents) or ``yes_no`` (a confirmation: ``intents`` are "yes" and "no" with their words).
    """

    language: str
    intents: tuple[SpeechIntent, ...]
    grammar: bool = True
    barge_in: bool = True
    min_confidence: float = 0.5
    listen_for: Literal["intents", "digits", "yes_no"] = "intents"


@dataclass(frozen=True, slots=True)
class Play:
    """Play ``prompts`` in order; keys in ``interruptible_keys`` may cut it short."""

    node: str
    prompts: tuple[PromptRef, ...]
    interruptible_keys: str = ""


@dataclass(frozen=True, slots=True)
class Collect:
    """Play ``prompts`` (interruptible by keys if ``interruptible``) and read up to
    ``max_digits`` keys, ending early on ``terminator``, giving up after ``timeout_ms``.

    ``expects`` says what the keys are for; at a menu ``intents`` lists the options' intents
    in the order heard. ``speech``: the caller may also say what they want (keys still work).
    """

    node: str
    prompts: tuple[PromptRef, ...]
    max_digits: int
    min_digits: int
    terminator: str | None
    timeout_ms: int
    interruptible: bool = True
    expects: Literal["menu", "digits", "confirm", "choice"] = "menu"
    intents: tuple[str, ...] = ()
    speech: SpeechAsk | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """Hand the call to the router: queue ``service`` with ``skills`` at ``priority``."""

    node: str
    service: str
    skills: tuple[str, ...]
    priority: int
    intent: str | None
    language: str


@dataclass(frozen=True, slots=True)
class ChannelSwitch:
    """The caller chose to continue on another channel (``kind``: e.g. ``sms_link``,
    ``callback``); the adapter arranges it, then feeds :class:`PromptDone`."""

    node: str
    kind: str
    intent: str | None
    language: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call; ``reason`` is the scenario's (``completed``) or the engine's."""

    node: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Done:
    """The call is over as far as the scenario is concerned; nothing more to do."""

    status: str


Action = Play | Collect | Transfer | ChannelSwitch | Hangup | Done
TERMINAL = (Transfer, Hangup, Done)
