"""Synthetic telecom customers and how they behave on a call (pure: no I/O, seeded).

A repeat customer has skewed habits: a Zipf-like distribution over the intents, its favourite
intents drawn by the population's mix. Their history is inbound contacts on several channels
(intents from the habits; sometimes a recent one is still open) and sometimes a recent message
the company sent. The intent of the call being simulated follows, in order of precedence: an
open matter, a recent mailing, a new need (population mix, habits ignored) or the habits.
A new customer has no history; their call's intent follows the population mix.

On the phone (:func:`simulate_call`) a customer listens to the menu prompts in order and
presses the key of their option as soon as its label has been spoken; after the menu they
confirm the account number on file (or type theirs) and answer the billing offer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ivr.personalize import HistoryItem
from ivr.scenario import (
    Action,
    CallContext,
    ChannelSwitch,
    Collect,
    CustomerView,
    Digits,
    DigitsPart,
    Done,
    Hangup,
    Play,
    PromptDone,
    PromptRef,
    Scenario,
    Transfer,
)
from ivr.scenario import model as m
from ivr.scenario.engine import Call

# Why people call a cable/internet operator's main line (share of calls), by menu intent.
TELECOM_MIX: Mapping[str, float] = {
    "billing": 0.30,
    "internet_support": 0.25,
    "tv_support": 0.13,
    "general": 0.10,
    "sales": 0.09,
    "moving": 0.07,
    "retention": 0.06,
}
INBOUND_CHANNELS: Mapping[str, float] = {
    "voice": 0.40,
    "chat": 0.15,
    "email": 0.15,
    "web": 0.10,
    "sms": 0.08,
    "messenger": 0.07,
    "social": 0.05,
}
# What the company sends: bill reminders, offers, outage notices.
OUTBOUND_MIX: Mapping[str, float] = {
    "billing": 0.50,
    "sales": 0.35,
    "internet_support": 0.10,
    "tv_support": 0.05,
}
OUTBOUND_CHANNELS: Mapping[str, float] = {"outbound": 0.5, "email": 0.3, "sms": 0.2}


@dataclass(frozen=True, slots=True)
class PopulationParams:
    """How the population is drawn; every figure is printed with the benchmark's results."""

    new_share: float = 0.30  # callers with no history at all
    skew: float = 1.6  # Zipf exponent of a repeat customer's habits (1/rank**skew)
    contacts_mean: float = 5.0  # mean inbound contacts within history_days (at least 1)
    history_days: float = 180.0
    open_share: float = 0.20  # has an open matter: a contact within open_days, unresolved
    open_days: float = 14.0
    open_follow_up: float = 0.70  # ... and this call is about it
    mailing_share: float = 0.35  # the company sent something within mailing_days
    mailing_days: float = 14.0
    mailing_follow_up: float = 0.30  # ... and this call is about it
    novel_share: float = 0.10  # this call is a new need, habits ignored
    ru_share: float = 0.10  # calls in Russian (the scenario's second language)
    mix: Mapping[str, float] = field(default_factory=lambda: dict(TELECOM_MIX))

    def __post_init__(self) -> None:
        shares = ("new_share", "open_share", "open_follow_up", "mailing_share")
        for name in (*shares, "mailing_follow_up", "novel_share", "ru_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        for name in ("skew", "contacts_mean", "history_days", "open_days", "mailing_days"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not self.mix or any(w < 0 for w in self.mix.values()) or sum(self.mix.values()) <= 0:
            raise ValueError("mix must give each intent a weight >= 0, not all zero")


@dataclass(frozen=True, slots=True)
class Customer:
    """One synthetic caller and the call they are about to make."""

    id: int
    language: str
    history: tuple[HistoryItem, ...]
    account_number: str  # on file for repeat customers; a new one types it in
    habits: Mapping[str, float]  # intent -> probability (empty for new customers)
    call_intent: str
    call_reason: str  # open_matter, mailing, novel, habit or new
    offer_key: str  # what they press if offered an SMS link / callback (1, 2 or 3)

    @property
    def repeat(self) -> bool:
        """Has contacted the company before (on any channel)."""
        return any(not h.outbound for h in self.history)


def make_population(
    count: int, seed: int, now: datetime, params: PopulationParams | None = None
) -> list[Customer]:
    """``count`` customers, reproducible from ``seed``; histories end at ``now``."""
    if count < 0:
        raise ValueError(f"customer count must be >= 0, got {count}")
    params = params or PopulationParams()
    rng = random.Random(seed)
    return [make_customer(rng, i + 1, now, params) for i in range(count)]


def make_customer(rng: random.Random, cid: int, now: datetime, p: PopulationParams) -> Customer:
    """One customer drawn with ``rng``."""
    language = "ru" if rng.random() < p.ru_share else "en"
    offer_key = rng.choice("123")
    account = f"{rng.randrange(10**8):08d}"
    if rng.random() < p.new_share:
        intent = pick(rng, p.mix)
        return Customer(cid, language, (), account, {}, intent, "new", offer_key)
    habits = zipf_habits(rng, p.mix, p.skew)
    history = inbound_history(rng, habits, now, p)
    latest = max(history, key=lambda h: h.occurred_at)
    mailing: HistoryItem | None = None
    if rng.random() < p.mailing_share:
        age = timedelta(days=rng.uniform(0.0, p.mailing_days))
        mailing = HistoryItem(
            pick(rng, OUTBOUND_MIX), pick(rng, OUTBOUND_CHANNELS), "out", now - age
        )
        history = (*history, mailing)
    if latest.open and rng.random() < p.open_follow_up:
        intent, reason = latest.intent, "open_matter"
    elif mailing is not None and rng.random() < p.mailing_follow_up:
        intent, reason = mailing.intent, "mailing"
    elif rng.random() < p.novel_share:
        intent, reason = pick(rng, p.mix), "novel"
    else:
        intent, reason = pick(rng, habits), "habit"
    ordered = tuple(sorted(history, key=lambda h: h.occurred_at))
    return Customer(cid, language, ordered, account, habits, intent, reason, offer_key)


def zipf_habits(rng: random.Random, mix: Mapping[str, float], skew: float) -> dict[str, float]:
    """Intent -> probability: favourites ranked by a weighted draw from ``mix``, 1/rank**skew."""
    ranked = weighted_order(rng, mix)
    weights = [1.0 / (rank**skew) for rank in range(1, len(ranked) + 1)]
    total = sum(weights)
    return {intent: w / total for intent, w in zip(ranked, weights, strict=True)}


def weighted_order(rng: random.Random, weights: Mapping[str, float]) -> list[str]:
    """Every key once, in an order drawn without replacement by weight (zero weights last)."""
    # Efraimidis-Spirakis: sort by u ** (1 / w), largest first.
    keyed = [(rng.random() ** (1.0 / w) if w > 0 else -1.0, k) for k, w in weights.items()]
    return [k for _, k in sorted(keyed, reverse=True)]


def inbound_history(
    rng: random.Random, habits: Mapping[str, float], now: datetime, p: PopulationParams
) -> tuple[HistoryItem, ...]:
    """At least one inbound contact within ``history_days``; with ``open_share`` one of them
    is an unresolved matter raised within ``open_days``."""
    count = max(1, poisson(rng, p.contacts_mean))
    ages = sorted(rng.uniform(0.0, p.history_days) for _ in range(count))
    if rng.random() < p.open_share:
        ages[0] = min(ages[0], rng.uniform(0.0, p.open_days))  # ages[0]: the latest contact
        opened = True
    else:
        opened = False
    return tuple(
        HistoryItem(
            pick(rng, habits),
            pick(rng, INBOUND_CHANNELS),
            "in",
            now - timedelta(days=age),
            open=opened and i == 0,
        )
        for i, age in enumerate(ages)
    )


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One key of ``weights`` drawn by weight."""
    keys: Sequence[str] = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; fine for the small means used here)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


# --- on the phone ---------------------------------------------------------------------------

MAX_ACTIONS = 50
Seconds = Callable[[PromptRef], float]  # how long a prompt takes to hear


@dataclass(frozen=True, slots=True)
class CallResult:
    """What one simulated call cost the caller and where it ended."""

    menu_seconds: float
    keys: int  # every key pressed in the call
    menu_presses: tuple[str, ...]  # the keys pressed at menus, in order
    promoted: tuple[str, ...]  # intents the menu put first
    ended_at: str  # the service queued, or ``switch:<kind>``
    reached_intent: bool  # ended at the service of the caller's intent

    @property
    def menu_keys(self) -> int:
        return sum(len(k) for k in self.menu_presses)


def call_context(customer: Customer, now: datetime) -> CallContext:
    """What the engine starts with; a new caller is not recognised and has no history."""
    caller = f"+7900{customer.id:07d}"
    if not customer.repeat:
        return CallContext(now=now, caller=caller, language=customer.language)
    return CallContext(
        now=now,
        caller=caller,
        customer=CustomerView(id=customer.id, language=customer.language),
        known={"account_number": customer.account_number},
        history=customer.history,
        language=customer.language,
    )


def menu_labels(scenario: Scenario) -> dict[str, m.MenuOption]:
    """Label prompt id -> its option, over every menu: how a caller tells options apart."""
    return {
        prompt.id: o
        for n in scenario.nodes.values()
        if isinstance(n, m.Menu)
        for o in n.options
        for prompt in (o.label, o.promoted_label)
        if prompt is not None
    }


def simulate_call(
    scenario: Scenario,
    customer: Customer,
    context: CallContext,
    seconds: Seconds,
    labels: Mapping[str, m.MenuOption] | None = None,
) -> CallResult:
    """Walk one call through the engine, answering as ``customer`` would."""
    labels = labels if labels is not None else menu_labels(scenario)
    call = Call(scenario, context)
    action: Action = call.start()
    menu_seconds, keys, menu_presses = 0.0, 0, []
    for _ in range(MAX_ACTIONS):
        if isinstance(action, Transfer | ChannelSwitch):
            break
        if isinstance(action, Hangup | Done):
            raise RuntimeError(f"customer {customer.id}: call ended without a service: {action}")
        if isinstance(action, Play):
            action = call.feed(PromptDone())
            continue
        assert isinstance(action, Collect)
        if action.expects == "menu":
            heard, pressed = listen(action.prompts, labels, customer.call_intent, seconds)
            menu_seconds += heard
            menu_presses.append(pressed)
        elif action.expects == "confirm":
            pressed = "1"  # yes, that is my account
        elif action.expects == "digits":
            pressed = customer.account_number + (action.terminator or "")
        else:
            pressed = customer.offer_key
        keys += len(pressed)
        action = call.feed(Digits(pressed))
    else:
        raise RuntimeError(f"customer {customer.id}: no end after {MAX_ACTIONS} actions")
    ended_at = action.service if isinstance(action, Transfer) else f"switch:{action.kind}"
    promoted = tuple(i for menu in call.journey.menus for i in menu["promoted"])
    reached = action.intent == customer.call_intent
    return CallResult(menu_seconds, keys, tuple(menu_presses), promoted, ended_at, reached)


def listen(
    prompts: Sequence[PromptRef],
    labels: Mapping[str, m.MenuOption],
    intent: str,
    seconds: Seconds,
) -> tuple[float, str]:
    """Seconds heard until the caller's option was announced, and the key it announced."""
    heard = 0.0
    for prompt in prompts:
        heard += seconds(prompt)
        option = labels.get(prompt.id)
        if option is not None and option.intent == intent:
            spoken = [p.digits for p in prompt.parts if isinstance(p, DigitsPart)]
            return heard, spoken[0] if spoken else option.key
    raise RuntimeError(f"no menu option for intent {intent!r} among {[p.id for p in prompts]}")
