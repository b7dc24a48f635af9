"""Typed, frozen form of a scenario file: one call flow as a dict of nodes.

Every node and option keeps its position (``pos``) and the positions of the values it refers
to (``where``: field name -> position), so later checks can point at the exact line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ivr.personalize import Policy
from ivr.scenario.conditions import Test
from ivr.scenario.hours import Calendar
from ivr.scenario.source import Pos
from ivr.scenario.text import Template

NODE_KINDS = (
    "say",
    "menu",
    "gather",
    "condition",
    "set",
    "transfer",
    "channel_switch",
    "hangup",
    "goto",
    "call",
    "return",
)
Prefill = Literal["confirm", "skip", "off"]
DIGIT_KEYS = frozenset("0123456789*#")

_NOWHERE = Pos(1, 1)


def _where() -> dict[str, Pos]:
    return {}


@dataclass(frozen=True, slots=True)
class Prompt:
    """Something to play: a text per language and/or a recording (per language or ``*``)."""

    id: str
    texts: Mapping[str, Template] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)  # language or "*" -> path
    pos: Pos = field(default=_NOWHERE, compare=False)

    def file_for(self, language: str) -> str | None:
        return self.files.get(language) or self.files.get("*")


@dataclass(frozen=True, slots=True)
class Handler:
    """What to do on an invalid entry or on silence: say ``prompt`` and retry, then ``target``."""

    prompt: Prompt | None = None
    target: str | None = None
    pos: Pos = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class TransferSpec:
    """A hand-over to the router: a service (queue), required skills and a priority."""

    service: str
    skills: tuple[str, ...] = ()
    priority: int | None = None  # None: the scenario default
    vip_priority: int | None = None
    intent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    id: str
    pos: Pos = field(default=_NOWHERE, compare=False)
    where: Mapping[str, Pos] = field(default_factory=_where, compare=False)
    kind: str = ""

    def at(self, name: str) -> Pos:
        """Position of this node's value ``name``, or of the node itself."""
        return self.where.get(name, self.pos)


@dataclass(frozen=True, slots=True, kw_only=True)
class Say(Node):
    kind: str = "say"
    prompts: tuple[Prompt, ...]
    next: str | None
    interruptible: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Interactive(Node):
    """A node that waits for the caller, with declared retry and error handling."""

    retries: int | None = None  # None: the scenario default
    timeout_ms: int | None = None
    invalid: Handler | None = None
    no_input: Handler | None = None


@dataclass(frozen=True, slots=True)
class MenuOption:
    key: str
    label: Prompt
    intent: str | None = None
    target: str | None = None
    transfer: TransferSpec | None = None
    # Said instead of ``label`` when personalisation moved the option up: the caller's
    # history predicts it, so a short confirmation ("For billing, press 1.") is enough.
    promoted_label: Prompt | None = None
    pos: Pos = field(default=_NOWHERE, compare=False)
    where: Mapping[str, Pos] = field(default_factory=_where, compare=False)


@dataclass(frozen=True, slots=True)
class IntentTerms:
    """How callers ask for one intent in one language: keywords (strong) and example phrases."""

    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpeechSpec:
    """Speech input at a menu: each option's intent in words, per language, and how to listen.

    ``grammar``: recognise only the declared words (Vosk grammar mode) instead of the whole
    vocabulary. Below ``min_confidence`` (None: the menu's, then the scenario's) the caller
    hears ``retry_prompt`` and may speak once more; after a second miss ``keys_prompt`` and
    the menu again, keys only.
    """

    intents: Mapping[str, Mapping[str, IntentTerms]]  # intent -> language -> terms
    grammar: bool = True
    min_confidence: float | None = None
    barge_in: bool = True
    retry_prompt: Prompt | None = None
    keys_prompt: Prompt | None = None
    pos: Pos = field(default=_NOWHERE, compare=False)
    where: Mapping[str, Pos] = field(default_factory=_where, compare=False)

    def languages(self) -> set[str]:
        """Languages with words for at least one intent."""
        return {lang for by_lang in self.intents.values() for lang in by_lang}


@dataclass(frozen=True, slots=True, kw_only=True)
class Menu(Interactive):
    kind: str = "menu"
    prompt: Prompt | None
    options: tuple[MenuOption, ...]
    policy: Policy = field(default_factory=Policy)
    min_confidence: float | None = None
    intro: str = "always"  # or "unless-personalised": skip the prompt when options moved up
    speech: SpeechSpec | None = None  # None: keys only

    def option(self, key: str) -> MenuOption | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True, slots=True)
class GatherSpeech:
    """Speech input at a gather: the digits spoken as words, and yes/no at its confirmation.

    ``yes``/``no`` (``yes_words``/``no_words`` in the file: language -> words) replace the
    built-in answer words of those languages.
    Thresholds, retries and keys work as at a menu (:class:`SpeechSpec`).
    """

    digits: bool = True
    confirm: bool = True
    grammar: bool = True
    min_confidence: float | None = None
    barge_in: bool = True
    retry_prompt: Prompt | None = None
    keys_prompt: Prompt | None = None
    yes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    no: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pos: Pos = field(default=_NOWHERE, compare=False)
    where: Mapping[str, Pos] = field(default_factory=_where, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Gather(Interactive):
    kind: str = "gather"
    field: str
    prompt: Prompt
    next: str | None
    min_digits: int = 1
    max_digits: int = 20
    terminator: str | None = "#"
    pattern: str | None = None
    prefill: Prefill = "off"
    confirm_prompt: Prompt | None = None
    yes_key: str = "1"
    no_key: str = "2"
    speech: GatherSpeech | None = None  # None: keys only


@dataclass(frozen=True, slots=True)
class Branch:
    test: Test
    then: str
    pos: Pos = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition(Node):
    kind: str = "condition"
    branches: tuple[Branch, ...]
    otherwise: str | None  # "else" in the file


@dataclass(frozen=True, slots=True, kw_only=True)
class SetData(Node):
    kind: str = "set"
    data: Mapping[str, str] = field(default_factory=dict)
    intent: str | None = None
    language: str | None = None
    next: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(Node):
    kind: str = "transfer"
    spec: TransferSpec
    prompt: Prompt | None = None


@dataclass(frozen=True, slots=True)
class SwitchOption:
    key: str
    choice: str  # "sms_link", "callback", ... or "stay" for no switch
    target: str | None
    pos: Pos = field(default=_NOWHERE, compare=False)
    where: Mapping[str, Pos] = field(default_factory=_where, compare=False)


NO_SWITCH = "stay"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelSwitch(Interactive):
    """Offer another channel; with ``speech`` the caller may also say the choice (its
    ``intents`` are keyed by the options' ``choice``: ``sms_link``, ``callback``, ``stay``)."""

    kind: str = "channel_switch"
    prompt: Prompt
    options: tuple[SwitchOption, ...]
    speech: SpeechSpec | None = None  # None: keys only


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(Node):
    kind: str = "hangup"
    prompt: Prompt | None = None
    reason: str = "completed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Goto(Node):
    kind: str = "goto"
    target: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFlow(Node):
    """Run the sub-flow starting at ``flow``; its ``return`` node comes back to ``next``."""

    kind: str = "call"
    flow: str | None
    next: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Return(Node):
    kind: str = "return"


AnyNode = (
    Say | Menu | Gather | Condition | SetData | Transfer | ChannelSwitch | Hangup | Goto | CallFlow
) | Return


@dataclass(frozen=True, slots=True)
class Defaults:
    """Scenario-wide settings that nodes inherit unless they declare their own."""

    retries: int = 2
    timeout_ms: int = 5000
    invalid: Handler = field(default_factory=Handler)
    no_input: Handler = field(default_factory=Handler)
    priority: int = 5
    language_skills: Mapping[str, str] = field(default_factory=dict)  # language -> skill
    min_confidence: float = 0.5


@dataclass(frozen=True, slots=True)
class Resume:
    """Resuming an unfinished journey: how recent it must be and what to say first."""

    window_minutes: int
    prompt: Prompt | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """One call flow, as loaded from ``path``; ``version`` is a hash of the file's bytes."""

    name: str
    version: str
    path: str
    default_language: str
    languages: tuple[str, ...]
    entry: str
    nodes: Mapping[str, AnyNode]
    defaults: Defaults = field(default_factory=Defaults)
    hours: Mapping[str, Calendar] = field(default_factory=dict)
    intents: Mapping[str, Prompt] = field(default_factory=dict)  # intent -> spoken label
    fields: tuple[str, ...] = ()  # profile/collected fields conditions may name
    resume: Resume | None = None
    description: str = ""
    unparsed: frozenset[str] = frozenset()  # declared nodes that failed to parse
    where: Mapping[str, Pos] = field(default_factory=_where, compare=False)

    def prompts(self) -> Iterator[Prompt]:
        """Every prompt the scenario declares, intent labels included."""
        for handler in (self.defaults.invalid, self.defaults.no_input):
            if handler.prompt:
                yield handler.prompt
        if self.resume and self.resume.prompt:
            yield self.resume.prompt
        yield from self.intents.values()
        for node in self.nodes.values():
            yield from node_prompts(node)

    def all_prompt_texts(self) -> set[tuple[str, str]]:
        """Every fixed text it may speak, as (language, text): what to pre-render at load."""
        out: set[tuple[str, str]] = set()
        for prompt in self.prompts():
            for language, template in prompt.texts.items():
                out.update((language, fragment) for fragment in template.fixed_fragments())
        return out

    def all_prompt_files(self) -> set[str]:
        """Every recording it may play (absolute paths)."""
        return {path for prompt in self.prompts() for path in prompt.files.values()}


def node_prompts(node: AnyNode) -> Iterator[Prompt]:
    """The prompts one node declares."""
    for name in ("prompt", "confirm_prompt"):
        prompt = getattr(node, name, None)
        if prompt is not None:
            yield prompt
    if isinstance(node, Say):
        yield from node.prompts
    if isinstance(node, Menu):
        yield from (o.label for o in node.options)
        yield from (o.promoted_label for o in node.options if o.promoted_label is not None)
    speech = node.speech if isinstance(node, Menu | Gather | ChannelSwitch) else None
    if speech is not None:
        for prompt in (speech.retry_prompt, speech.keys_prompt):
            if prompt is not None:
                yield prompt
    if isinstance(node, Interactive):
        for handler in (node.invalid, node.no_input):
            if handler and handler.prompt:
                yield handler.prompt
