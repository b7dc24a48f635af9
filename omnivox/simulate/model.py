"""A caller script, typed: who calls, what the store knows about them, what they do on the
line and what the call must end like. Built by :mod:`omnivox.simulate.parse`; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ivr.scenario.source import Pos

_NOWHERE = Pos(1, 1)


@dataclass(frozen=True, slots=True)
class HistorySeed:
    """One past contact of the customer, ``age`` before the call."""

    channel: str
    age: timedelta
    intent: str | None = None
    direction: str = "in"
    open: bool = False
    topic: str | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerSeed:
    """The caller's profile as the store should know it before the first call."""

    name: str | None = None
    vip: bool = False
    segment: str | None = None
    language: str | None = None
    identities: tuple[tuple[str, str], ...] = ()  # besides the calling number
    data: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # field -> (value, channel)
    history: tuple[HistorySeed, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PromptMatch:
    """A prompt named by its id in the scenario, or by words it contains."""

    prompt_id: str | None = None
    text: str | None = None

    def __str__(self) -> str:
        return self.prompt_id if self.prompt_id is not None else f"text {self.text!r}"


# --- steps: what the caller does and hears, in order ------------------------------------


@dataclass(frozen=True, slots=True)
class ExpectPrompt:
    """The caller hears this prompt before their next action."""

    match: PromptMatch
    pos: Pos = _NOWHERE

    def describe(self) -> str:
        return f"hear {self.match}"


@dataclass(frozen=True, slots=True)
class ExpectMenu:
    """The next menu heard: its options' order (intents, or option keys for options without
    one) from the first, a key -> intent map, what moved up. Checked on the journey."""

    node: str | None = None
    order: tuple[str, ...] | None = None
    exact: bool = False
    keys: Mapping[str, str] | None = None
    promoted: tuple[str, ...] | None = None
    pos: Pos = _NOWHERE

    def describe(self) -> str:
        parts = []
        if self.order is not None:
            parts.append(("order " if self.exact else "starts with ") + ", ".join(self.order))
        if self.keys is not None:
            parts.append(", ".join(f"{k}={v}" for k, v in self.keys.items()))
        if self.promoted is not None:
            parts.append(f"promoted [{', '.join(self.promoted)}]")
        where = f" {self.node}" if self.node else ""
        return f"menu{where}: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Press:
    """Press ``keys``: at the next question, while ``during`` plays (barge in), or the moment
    the menu says the key (``on_hearing``)."""

    keys: str
    during: PromptMatch | None = None
    on_hearing: bool = False
    pos: Pos = _NOWHERE

    def describe(self) -> str:
        if self.on_hearing:
            return f"press {self.keys} on hearing it"
        if self.during is not None:
            return f"press {self.keys} during {self.during}"
        return f"press {self.keys}"


@dataclass(frozen=True, slots=True)
class Say:
    """Speak ``phrase`` (needs a speech path; keys-only drivers fail this step clearly)."""

    phrase: str
    pos: Pos = _NOWHERE

    def describe(self) -> str:
        return f"say {self.phrase!r}"


@dataclass(frozen=True, slots=True)
class Wait:
    """Do nothing for ``seconds``; the IVR goes on (its questions time out as they would)."""

    seconds: float
    pos: Pos = _NOWHERE

    def describe(self) -> str:
        return f"wait {self.seconds:g} s"


@dataclass(frozen=True, slots=True)
class Silence:
    """Answer the next question with silence (it times out)."""

    pos: Pos = _NOWHERE

    def describe(self) -> str:
        return "stay silent at the next question"


@dataclass(frozen=True, slots=True)
class HangUp:
    """Hang up now."""

    pos: Pos = _NOWHERE

    def describe(self) -> str:
        return "hang up"


Step = ExpectPrompt | ExpectMenu | Press | Say | Wait | Silence | HangUp


# --- the outcome -----------------------------------------------------------------------

# expectations judged on who got the call (the router's offer) and the pop the agent saw
AGENT_EXPECTATIONS = ("agent", "screen_pop")
DEFAULT_HOLD_S = 15.0  # how long a caller waits for an agent when the call expects one


@dataclass(frozen=True, slots=True)
class AgentSeed:
    """An agent on duty while the script runs (``endpoint``: the dial string Asterisk rings)."""

    login: str
    skills: Mapping[str, int]
    name: str | None = None
    endpoint: str | None = None  # None: a stand-in phone that answers at once (agent-sim)


@dataclass(frozen=True, slots=True)
class Expectation:
    """One expected fact about the finished call, e.g. ``service: billing``."""

    name: str
    value: Any
    pos: Pos = _NOWHERE


@dataclass(frozen=True, slots=True)
class CallPlan:
    """One call of the script: ``after`` the previous one ends, these steps, this outcome."""

    steps: tuple[Step, ...]
    expect: tuple[Expectation, ...] = ()
    after: timedelta | None = None
    hold: float | None = None  # seconds on hold for an agent; None: DEFAULT_HOLD_S if expected
    pos: Pos = _NOWHERE

    @property
    def hold_s(self) -> float:
        """How long the caller stays on hold after the IVR hands them over (0: hangs up)."""
        if self.hold is not None:
            return self.hold
        wants = any(e.name in AGENT_EXPECTATIONS for e in self.expect)
        return DEFAULT_HOLD_S if wants else 0.0


@dataclass(frozen=True, slots=True)
class Script:
    """One caller script file."""

    path: str
    name: str
    scenario: str
    calls: tuple[CallPlan, ...]
    caller: str | None = None  # None: a fresh number for every run
    customer: CustomerSeed | None = None  # None: a caller the store has never seen
    at: datetime | None = None  # None: the default call time (inside opening hours)
    description: str = ""
    agents: tuple[AgentSeed, ...] = ()  # empty: the runner's default agents are on duty

    @property
    def moves_clock(self) -> bool:
        """Whether it sets the time of a call after the first (so it needs a clock alone)."""
        return any(c.after is not None for c in self.calls)
