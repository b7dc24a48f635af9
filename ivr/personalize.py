"""Menu personalisation: order a menu's options by the caller's cross-channel history.

Pure core: no I/O. The IVR engine calls :func:`rank_menu` with the menu's options, the
caller's history (every channel, inbound and outbound) and the menu's policy, and plays the
returned :class:`MenuPlan`.

Scoring, per intent: each inbound contact adds ``0.5 ** (age / half_life_days)``, an open
(unresolved) one ``open_weight`` times that; each message the company sent (direction "out" or
channel "outbound") adds ``outbound_weight * 0.5 ** (age / outbound_half_life_days)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Mode = Literal["renumber", "announce-first", "off"]
MODES: tuple[Mode, ...] = ("renumber", "announce-first", "off")
RENUMBERABLE_KEYS = frozenset("123456789")  # 0, *, # and anything else keep key and place


class OptionLike(Protocol):
    """What ranking needs of a menu option: its usual key and the intent it serves."""

    @property
    def key(self) -> str: ...

    @property
    def intent(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One past interaction, on any channel, reduced to what ranking uses."""

    intent: str
    channel: str  # voice, email, chat, sms, messenger, social, web, outbound
    direction: Literal["in", "out"]
    occurred_at: datetime
    open: bool = False  # an unresolved matter

    @property
    def outbound(self) -> bool:
        """Sent by the company (a mailing, a notification), not a contact by the caller."""
        return self.direction == "out" or self.channel == "outbound"


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-menu personalisation settings, as declared in the scenario file."""

    mode: Mode = "renumber"
    max_promoted: int = 2
    min_evidence: float = 1.5  # minimum decayed score an intent needs to be promoted
    half_life_days: float = 30.0
    open_weight: float = 2.0  # an open matter counts this many contacts: alone enough by default
    outbound_weight: float = 0.75  # a message we sent counts less than a contact ...
    outbound_half_life_days: float = 7.0  # ... and fades faster
    # renumber: a 0, * or # option may be promoted too (said first, keeping its key); the
    # others keep their order. False: such options keep their key and their place.
    promote_fixed_keys: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"policy mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.max_promoted < 0:
            raise ValueError(f"policy max_promoted must be >= 0, got {self.max_promoted}")
        for name in ("half_life_days", "outbound_half_life_days"):
            if not getattr(self, name) > 0:
                raise ValueError(f"policy {name} must be > 0, got {getattr(self, name)}")
        for name in ("min_evidence", "open_weight", "outbound_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"policy {name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class PlannedOption:
    """One option as the caller hears it."""

    key: str  # the key the caller presses for it in this plan
    option_key: str  # the option's usual key in the scenario file
    intent: str | None
    promoted: bool
    score: float


@dataclass(frozen=True, slots=True)
class MenuPlan:
    """The order the caller hears, which key maps to which option, and why."""

    mode: Mode
    options: tuple[PlannedOption, ...]  # in the order they are announced
    reasons: dict[str, str] = field(default_factory=dict)  # intent -> human reason

    def option_for_key(self, pressed: str) -> str | None:
        """The usual key of the option the caller chose by pressing ``pressed``."""
        for option in self.options:
            if option.key == pressed:
                return option.option_key
        return None

    @property
    def promoted(self) -> tuple[PlannedOption, ...]:
        return tuple(o for o in self.options if o.promoted)


def age_days(item: HistoryItem, now: datetime) -> float:
    """Days between ``item`` and ``now``; items stamped in the future count as just now."""
    try:
        delta = now - item.occurred_at
    except TypeError:
        raise ValueError(
            f"history item for {item.intent!r} at {item.occurred_at!r} and now {now!r} "
            "must both be timezone-aware or both naive"
        ) from None
    return max(0.0, delta.total_seconds() / 86400.0)


def item_weight(item: HistoryItem, policy: Policy, now: datetime) -> float:
    """What one interaction contributes to its intent's score today."""
    age = age_days(item, now)
    if item.outbound:
        return policy.outbound_weight * 0.5 ** (age / policy.outbound_half_life_days)
    base = policy.open_weight if item.open else 1.0
    return base * 0.5 ** (age / policy.half_life_days)


def intent_scores(
    history: Sequence[HistoryItem], policy: Policy, now: datetime
) -> dict[str, float]:
    """Decayed evidence per intent across every channel."""
    scores: dict[str, float] = {}
    for item in history:
        scores[item.intent] = scores.get(item.intent, 0.0) + item_weight(item, policy, now)
    return scores


def rank_menu(
    options: Sequence[OptionLike],
    history: Sequence[HistoryItem],
    policy: Policy,
    now: datetime,
) -> MenuPlan:
    """Order ``options`` for a caller with ``history``; every option stays reachable by one key."""
    keys = [o.key for o in options]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"menu has several options on key(s) {', '.join(duplicates)}")

    scores = intent_scores(history, policy, now) if policy.mode != "off" else {}

    def score_of(option: OptionLike) -> float:
        return scores.get(option.intent, 0.0) if option.intent is not None else 0.0

    def promotable(option: OptionLike) -> bool:
        if option.intent is None or policy.mode == "off":
            return False
        fixed = option.key not in RENUMBERABLE_KEYS
        if policy.mode == "renumber" and fixed and not policy.promote_fixed_keys:
            return False  # a fixed key (0 = agent, *, #) keeps its key and its place
        score = score_of(option)
        return score > 0 and score >= policy.min_evidence

    candidates = [i for i, o in enumerate(options) if promotable(o)]
    candidates.sort(key=lambda i: (-score_of(options[i]), i))
    chosen = candidates[: policy.max_promoted]
    chosen_set = set(chosen)

    if policy.mode == "renumber" and chosen:
        if policy.promote_fixed_keys:  # promoted first, whatever their keys; others in order
            order = [*chosen, *(i for i in range(len(options)) if i not in chosen_set)]
        else:
            order = _renumbered_order(options, chosen)
        digits = iter(range(1, len(options) + 1))
        keys_now = [str(next(digits)) if keys[i] in RENUMBERABLE_KEYS else keys[i] for i in order]
    else:
        order = [*chosen, *(i for i in range(len(options)) if i not in chosen_set)]
        keys_now = [keys[i] for i in order]
    planned = [
        PlannedOption(
            key=key,
            option_key=keys[i],
            intent=options[i].intent,
            promoted=i in chosen_set,
            score=score_of(options[i]),
        )
        for key, i in zip(keys_now, order, strict=True)
    ]

    promoted_intents = [options[i].intent for i in chosen]
    reasons = {
        intent: explain(intent, history, now)
        for intent in dict.fromkeys(promoted_intents)
        if intent is not None
    }
    return MenuPlan(mode=policy.mode, options=tuple(planned), reasons=reasons)


def _renumbered_order(options: Sequence[OptionLike], chosen: list[int]) -> list[int]:
    """Fixed-key options stay in their slots; the digit slots take promoted first, then rest."""
    digit_slots = [i for i, o in enumerate(options) if o.key in RENUMBERABLE_KEYS]
    chosen_set = set(chosen)
    movable = iter([*chosen, *(i for i in digit_slots if i not in chosen_set)])
    slots = set(digit_slots)
    return [next(movable) if i in slots else i for i in range(len(options))]


def explain(intent: str, history: Sequence[HistoryItem], now: datetime) -> str:
    """A sentence a person can read saying why ``intent`` was promoted."""
    inbound = sorted((h for h in history if not h.outbound), key=lambda h: h.occurred_at)
    mine = [h for h in inbound if h.intent == intent]
    opened = [h for h in mine if h.open]
    sent = [h for h in history if h.outbound and h.intent == intent]
    parts: list[str] = []
    if opened:
        last = opened[-1]
        parts.append(f"open matter: {intent} ({last.channel}, {_ago(last, now)})")
    if len(mine) > len(opened):
        # "k of the last n": the window reaches back to this intent's oldest contact
        first = next(i for i, h in enumerate(inbound) if h.intent == intent)
        window = len(inbound) - first
        parts.append(
            f"{intent}: {len(mine)} of the last {window} contacts, last {_ago(mine[-1], now)}"
        )
    if sent:
        last = max(sent, key=lambda h: h.occurred_at)
        what = "mailing" if last.channel in ("outbound", "email") else f"{last.channel} message"
        parts.append(f"{what} about {intent} sent {_ago(last, now)}")
    return "; ".join(parts)


def _ago(item: HistoryItem, now: datetime) -> str:
    days = int(age_days(item, now))
    if days == 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"
