"""The service level over a rolling window (``routing.core.service_level``): what counts,
when a service is behind, and :class:`LevelBook` against a plain recomputation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.core.config import ConfigError, parse_config
from routing.core.model import RelaxStep, Service, ServiceLive
from routing.core.service_level import (
    LevelBook,
    Tally,
    at_risk,
    behind,
    met_target,
    risk_flags,
    uses_level,
)

BILLING = Service("billing", sl_target_s=20.0, sl_percent=80.0, sl_window_s=900.0)


def test_nothing_counted_has_no_level_and_is_not_at_risk() -> None:
    assert Tally().percent is None and not behind(Tally(), BILLING)
    assert LevelBook().tally(BILLING, 1000.0) == Tally()
    assert at_risk({"billing": Tally()}, {"billing": BILLING}) == frozenset()


def test_level_is_met_over_everything_counted() -> None:
    assert Tally(met=4, missed=1).percent == 80.0 and not behind(Tally(4, 1), BILLING)
    assert Tally(met=4, missed=0, late=2).percent == pytest.approx(66.67, abs=0.01)
    assert behind(Tally(4, 0, 2), BILLING)
    tallies = {"billing": Tally(0, 1), "tech": Tally(0, 1), "gone": Tally(0, 5)}
    services = {"billing": BILLING, "tech": Service("tech", sl_percent=0.0)}
    assert at_risk(tallies, services) == {"billing"}  # 0 % is never below a 0 % goal


def test_answered_at_the_target_meets_it() -> None:
    assert met_target(20.0, BILLING) and not met_target(20.000001, BILLING)


def test_a_service_failing_now_is_behind_before_any_outcome() -> None:
    book = LevelBook()
    book.entered("c1", "billing", 100.0)
    book.entered("c2", "billing", 110.0)
    assert book.tally(BILLING, 120.0) == Tally()  # c1 waited exactly the target: not late
    assert book.tally(BILLING, 125.0) == Tally(late=1)
    assert behind(book.tally(BILLING, 131.0), BILLING)
    assert book.outcome("c1", BILLING, 131.0, met=False)
    assert book.tally(BILLING, 131.0) == Tally(missed=1, late=1)  # c1 now an outcome


def test_outcomes_count_once_and_leave_the_window() -> None:
    book = LevelBook()
    assert book.outcome("c1", BILLING, 1000.0, met=True)
    assert not book.outcome("c1", BILLING, 1001.0, met=False)  # already recorded
    assert book.outcome("c2", BILLING, 1010.0, met=False)
    assert book.tally(BILLING, 1900.0) == Tally(met=1, missed=1)  # at >= now - window
    assert book.tally(BILLING, 1900.5) == Tally(missed=1)
    assert book.tally(BILLING, 1910.5) == Tally()
    assert book.outcome("c1", BILLING, 1911.0, met=False)  # long gone: a new outcome


def test_what_makes_being_behind_matter() -> None:
    assert uses_level(Service("s"))  # behind_lift 1 by default
    assert not uses_level(Service("s", behind_lift=0))
    step = RelaxStep(sl_at_risk=True, set={"x": 1})
    assert uses_level(Service("s", behind_lift=0, relax=(step,)))
    assert risk_flags(["a"]) == {"a": ServiceLive(sl_at_risk=True)}


def test_the_window_is_a_service_setting() -> None:
    raw = {"defaults": {"sl_window_s": 600}, "services": {"a": {}, "b": {"sl_window_s": 60}}}
    config = parse_config(raw)
    assert (config.services["a"].sl_window_s, config.services["b"].sl_window_s) == (600.0, 60.0)
    assert parse_config({"services": {"a": {}}}).services["a"].sl_window_s == 900.0
    with pytest.raises(ConfigError, match="services.a.sl_window_s: must be at least 1"):
        parse_config({"services": {"a": {"sl_window_s": 0}}})


operations = st.lists(
    st.one_of(
        st.tuples(st.just("enter"), st.integers(0, 9)),
        st.tuples(st.just("outcome"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("advance"), st.sampled_from([0.0, 5.0, 20.0, 25.0, 100.0, 400.0])),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations, st.sampled_from([20.0, 0.0]), st.sampled_from([900.0, 100.0, 1.0]))
def test_the_book_counts_what_a_recount_of_everything_counts(
    ops: list[Any], target: float, window: float
) -> None:
    service = Service("s", sl_target_s=target, sl_window_s=window)
    book, now = LevelBook(), 0.0
    entered: dict[str, float] = {}  # contact -> entered_at, until its outcome
    outcomes: dict[str, tuple[float, bool]] = {}  # contact -> its counted outcome
    for op in ops:
        if op[0] == "advance":
            now += op[1]
        elif op[0] == "enter":
            cid = f"c{op[1]}"
            book.entered(cid, "s", now)
            if cid not in entered:
                entered[cid] = now
        else:
            cid, met = f"c{op[1]}", op[2]
            entered.pop(cid, None)
            previous = outcomes.get(cid)
            fresh = previous is None or previous[0] < now - window
            assert book.outcome(cid, service, now, met) == fresh
            if fresh:
                outcomes[cid] = (now, met)
        counted = [met for at, met in outcomes.values() if at >= now - window]
        late = sum(1 for at in entered.values() if at < now - target)
        expected = Tally(sum(counted), len(counted) - sum(counted), late)
        assert book.tally(service, now) == expected
