"""Menu personalisation: concrete callers, then invariants over random menus and histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.personalize import HistoryItem, MenuPlan, Policy, rank_menu

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Opt:
    key: str
    intent: str | None


MENU = (
    Opt("1", "new_order"),
    Opt("2", "delivery"),
    Opt("3", "returns"),
    Opt("4", "internet_support"),
    Opt("5", "tariff_change"),
    Opt("6", "billing"),
    Opt("0", None),  # agent
)


def contact(intent: str, days: float, channel: str = "voice", open: bool = False) -> HistoryItem:
    return HistoryItem(intent, channel, "in", NOW - timedelta(days=days), open=open)


def mailing(intent: str, days: float) -> HistoryItem:
    return HistoryItem(intent, "outbound", "out", NOW - timedelta(days=days))


BILLING_HEAVY = [
    contact("billing", 3),
    contact("billing", 10, "email"),
    contact("delivery", 12, "chat"),
    contact("billing", 15),
    contact("billing", 20, "sms"),
    contact("billing", 25),
    contact("returns", 60),
]


def keys(plan: MenuPlan) -> list[tuple[str, str]]:
    return [(o.key, o.option_key) for o in plan.options]


def test_billing_heavy_caller_gets_billing_on_key_1_in_renumber_mode() -> None:
    plan = rank_menu(MENU, BILLING_HEAVY, Policy(mode="renumber"), NOW)
    assert [o.intent for o in plan.promoted] == ["billing"]
    assert keys(plan) == [
        ("1", "6"),
        ("2", "1"),
        ("3", "2"),
        ("4", "3"),
        ("5", "4"),
        ("6", "5"),
        ("0", "0"),
    ]
    assert plan.option_for_key("1") == "6"
    assert plan.option_for_key("6") == "5"
    assert plan.option_for_key("0") == "0"
    assert plan.option_for_key("9") is None


def test_billing_heavy_caller_in_announce_first_mode_keeps_key_6() -> None:
    plan = rank_menu(MENU, BILLING_HEAVY, Policy(mode="announce-first"), NOW)
    assert plan.options[0].intent == "billing" and plan.options[0].promoted
    assert plan.options[0].key == "6"
    assert all(o.key == o.option_key for o in plan.options)
    assert [o.option_key for o in plan.options] == ["6", "1", "2", "3", "4", "5", "0"]
    assert plan.option_for_key("1") == "1"


def test_billing_reason_counts_last_contacts() -> None:
    plan = rank_menu(MENU, BILLING_HEAVY, Policy(), NOW)
    assert plan.reasons == {"billing": "billing: 5 of the last 6 contacts, last 3 days ago"}


def test_unknown_caller_hears_the_static_menu() -> None:
    plan = rank_menu(MENU, [], Policy(), NOW)
    assert plan.promoted == ()
    assert keys(plan) == [(o.key, o.key) for o in MENU]
    assert plan.reasons == {}


def test_mode_off_is_static_even_with_evidence() -> None:
    plan = rank_menu(MENU, BILLING_HEAVY, Policy(mode="off"), NOW)
    assert plan.promoted == ()
    assert keys(plan) == [(o.key, o.key) for o in MENU]


def test_old_history_decays_below_evidence() -> None:
    old = [contact("billing", 200 + i) for i in range(5)]
    assert rank_menu(MENU, old, Policy(), NOW).promoted == ()
    recent = [contact("billing", 2 + i) for i in range(5)]
    assert [o.intent for o in rank_menu(MENU, recent, Policy(), NOW).promoted] == ["billing"]


def test_recent_mailing_with_one_contact_promotes_where_the_contact_alone_does_not() -> None:
    one_call = [contact("tariff_change", 2)]
    assert rank_menu(MENU, one_call, Policy(), NOW).promoted == ()
    # 0.5 ** (2 / 30) + 0.75 * 0.5 ** (1 / 7) = 0.955 + 0.680 >= 1.5
    plan = rank_menu(MENU, [*one_call, mailing("tariff_change", 1)], Policy(), NOW)
    assert [o.intent for o in plan.promoted] == ["tariff_change"]
    assert plan.reasons["tariff_change"] == (
        "tariff_change: 1 of the last 1 contacts, last 2 days ago; "
        "mailing about tariff_change sent 1 day ago"
    )


def test_mailing_alone_promotes_under_a_lower_threshold_and_fades_fast() -> None:
    policy = Policy(min_evidence=0.5)
    plan = rank_menu(MENU, [mailing("tariff_change", 4)], policy, NOW)
    assert [o.option_key for o in plan.promoted] == ["5"]
    assert plan.reasons == {"tariff_change": "mailing about tariff_change sent 4 days ago"}
    assert rank_menu(MENU, [mailing("tariff_change", 30)], policy, NOW).promoted == ()


def test_open_email_matter_alone_promotes() -> None:
    history = [contact("internet_support", 2, "email", open=True), contact("billing", 1)]
    plan = rank_menu(MENU, history, Policy(), NOW)
    assert [o.intent for o in plan.promoted] == ["internet_support"]
    assert plan.reasons == {"internet_support": "open matter: internet_support (email, 2 days ago)"}
    closed = [contact("internet_support", 2, "email"), contact("billing", 1)]
    assert rank_menu(MENU, closed, Policy(), NOW).promoted == ()


def test_max_promoted_keeps_the_best_and_breaks_ties_by_menu_order() -> None:
    history = [
        *(contact("billing", d) for d in (1, 2, 3)),
        *(contact("delivery", d) for d in (1, 2)),
        *(contact("returns", d) for d in (1, 2)),
        *(contact("new_order", d) for d in (1, 2)),
    ]
    plan = rank_menu(MENU, history, Policy(max_promoted=2), NOW)
    # billing scores highest; new_order, delivery and returns tie, new_order is first in the menu
    assert [o.option_key for o in plan.promoted] == ["6", "1"]
    assert [o.key for o in plan.promoted] == ["1", "2"]
    assert rank_menu(MENU, history, Policy(max_promoted=0), NOW).promoted == ()


def test_fixed_keys_keep_their_place_when_renumbering() -> None:
    menu = (Opt("0", None), Opt("1", "a"), Opt("*", "b"), Opt("3", "c"))
    history = [contact("c", 1), contact("c", 2), contact("b", 1), contact("b", 2)]
    plan = rank_menu(menu, history, Policy(), NOW)
    assert keys(plan) == [("0", "0"), ("1", "3"), ("*", "*"), ("2", "1")]


def test_options_without_intent_are_never_promoted() -> None:
    menu = (Opt("1", None), Opt("2", "x"))
    plan = rank_menu(menu, [contact("x", 1)], Policy(min_evidence=0.0), NOW)
    assert [o.option_key for o in plan.promoted] == ["2"]
    assert rank_menu(menu, [], Policy(min_evidence=0.0), NOW).promoted == ()


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="several options on key"):
        rank_menu((Opt("1", "a"), Opt("1", "b")), [], Policy(), NOW)
    with pytest.raises(ValueError, match="mode 'loud'"):
        Policy(mode="loud")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="half_life_days"):
        Policy(half_life_days=0)
    naive = HistoryItem("billing", "voice", "in", datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        rank_menu(MENU, [naive], Policy(), NOW)


# --- properties -------------------------------------------------------------------------

INTENTS = ["a", "b", "c", "d", "e"]
DIGITS = frozenset("123456789")


@st.composite
def menus(draw: st.DrawFn) -> tuple[Opt, ...]:
    pool = list("1234567890*#")
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))
    return tuple(Opt(k, draw(st.one_of(st.none(), st.sampled_from(INTENTS)))) for k in chosen)


history_items = st.builds(
    HistoryItem,
    intent=st.sampled_from(INTENTS),
    channel=st.sampled_from(["voice", "email", "chat", "sms", "outbound"]),
    direction=st.sampled_from(["in", "out"]),
    occurred_at=st.floats(min_value=-5, max_value=400).map(lambda d: NOW - timedelta(days=d)),
    open=st.booleans(),
)

policies = st.builds(
    Policy,
    mode=st.sampled_from(["renumber", "announce-first", "off"]),
    max_promoted=st.integers(0, 4),
    min_evidence=st.floats(0, 5),
    half_life_days=st.floats(0.5, 365),
)


@given(menus(), st.lists(history_items, max_size=30), policies)
def test_every_option_is_reachable_by_exactly_one_key(menu, history, policy) -> None:
    plan = rank_menu(menu, history, policy, NOW)
    pressed = [o.key for o in plan.options]
    assert len(set(pressed)) == len(pressed) == len(menu)
    assert sorted(o.option_key for o in plan.options) == sorted(o.key for o in menu)
    for option in menu:
        assert sum(plan.option_for_key(k) == option.key for k in pressed) == 1
    assert len(plan.promoted) <= policy.max_promoted
    assert all(o.intent is not None and o.score >= policy.min_evidence for o in plan.promoted)
    assert set(plan.reasons) == {o.intent for o in plan.promoted}
    if policy.mode == "renumber" and plan.promoted:
        digits = sorted(int(o.key) for o in plan.options if o.key in DIGITS)
        assert digits == list(range(1, len(digits) + 1))
        assert all(o.key == o.option_key for o in plan.options if o.option_key not in DIGITS)
    else:
        assert all(o.key == o.option_key for o in plan.options)


@given(menus(), st.lists(history_items, max_size=30), policies)
def test_ranking_is_deterministic_and_promoted_come_first(menu, history, policy) -> None:
    plan = rank_menu(menu, history, policy, NOW)
    assert plan == rank_menu(menu, history, policy, NOW)
    heard = [o for o in plan.options if o.option_key in DIGITS or policy.mode != "renumber"]
    flags = [o.promoted for o in heard]
    assert flags == sorted(flags, reverse=True)
    unpromoted = [o.option_key for o in heard if not o.promoted]
    assert unpromoted == [o.key for o in menu if o.key in unpromoted]
    if policy.mode == "renumber":  # fixed keys (0, *, #) keep their place
        for i, option in enumerate(menu):
            if option.key not in DIGITS:
                assert plan.options[i].option_key == option.key


@given(menus(), st.lists(history_items, max_size=30))
def test_mode_off_is_always_the_static_menu(menu, history) -> None:
    plan = rank_menu(menu, history, Policy(mode="off"), NOW)
    assert [(o.key, o.option_key) for o in plan.options] == [(o.key, o.key) for o in menu]
    assert plan.promoted == () and plan.reasons == {}
