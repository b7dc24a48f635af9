"""The personalisation benchmark: population, simulated callers, speech timing and its output."""

from __future__ import annotations

import json
import wave
from datetime import timedelta
from pathlib import Path

import pytest

from bench import personalization as bench
from bench.population import (
    INBOUND_CHANNELS,
    TELECOM_MIX,
    Customer,
    PopulationParams,
    call_context,
    make_population,
    simulate_call,
)
from ivr.personalize import HistoryItem
from ivr.scenario import DigitsPart, PromptRef, TextPart, load_valid
from ivr.scenario import model as m

NOW = bench.NOW
TELECOM = load_valid(bench.SCENARIO)
WPM = bench.WpmSpeech(175)


def customer(intent: str, history: tuple[HistoryItem, ...] = (), **kw: object) -> Customer:
    base: dict[str, object] = {
        "id": 42,
        "language": "en",
        "history": history,
        "account_number": "12345678",
        "habits": {intent: 1.0} if history else {},
        "call_intent": intent,
        "call_reason": "habit" if history else "new",
        "offer_key": "3",
    }
    base.update(kw)
    return Customer(**base)  # type: ignore[arg-type]


def billing_regular() -> Customer:
    days = (1, 6, 15)
    history = tuple(
        HistoryItem("billing", ch, "in", NOW - timedelta(days=d))
        for d, ch in zip(days, ("voice", "chat", "email"), strict=True)
    )
    return customer("billing", history)


def words(template: m.Prompt | None) -> int:
    assert template is not None
    return len(template.texts["en"].source.split())


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, dict]:
    assert bench.main(["--speech", "wpm", *args]) == 0
    out = capsys.readouterr().out
    return out, json.loads(out.rstrip("\n").splitlines()[-1])


# --- one call -----------------------------------------------------------------------------


def test_billing_regular_hears_billing_first_and_presses_1_instead_of_6() -> None:
    caller = billing_regular()
    ctx = call_context(caller, NOW)
    static = simulate_call(bench.with_policy(TELECOM, mode="off"), caller, ctx, WPM.seconds)
    personal = simulate_call(TELECOM, caller, ctx, WPM.seconds)

    assert static.menu_presses == ("6",) and personal.menu_presses == ("1",)
    assert personal.promoted[0] == "billing" and static.promoted == ()
    menu = TELECOM.nodes["main_menu"]
    assert isinstance(menu, m.Menu)
    billing = next(o for o in menu.options if o.intent == "billing")
    before_billing = menu.options[: menu.options.index(billing) + 1]
    heard_static = words(menu.prompt) + sum(words(o.label) for o in before_billing)
    assert static.menu_seconds == pytest.approx(heard_static * 60 / 175)
    # no intro, and billing said in short: "For billing, press 1."
    assert billing.promoted_label is not None
    assert words(billing.promoted_label) < words(billing.label)
    assert personal.menu_seconds == pytest.approx(words(billing.promoted_label) * 60 / 175)
    for result in (static, personal):  # menu key, "yes, my account", "keep waiting"
        assert result.keys == 3 and result.ended_at == "billing" and result.reached_intent


def test_new_caller_gets_the_static_menu_and_types_the_account_number() -> None:
    caller = customer("moving")
    ctx = call_context(caller, NOW)
    assert ctx.customer is None and not ctx.history and not ctx.known
    static = simulate_call(bench.with_policy(TELECOM, mode="off"), caller, ctx, WPM.seconds)
    personal = simulate_call(TELECOM, caller, ctx, WPM.seconds)
    assert static == personal
    assert personal.menu_presses == ("4",) and personal.keys == 1 + 9  # 8 digits and "#"
    assert personal.ended_at == "moving" and personal.reached_intent


def test_with_policy_leaves_the_loaded_scenario_alone() -> None:
    static = bench.with_policy(TELECOM, mode="off")
    assert static.nodes["main_menu"].policy.mode == "off"  # type: ignore[union-attr]
    assert TELECOM.nodes["main_menu"].policy.mode == "renumber"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="max_promoted"):
        bench.with_policy(TELECOM, max_promoted=-1)


# --- population ---------------------------------------------------------------------------


def test_population_is_reproducible_and_shaped_as_declared() -> None:
    params = PopulationParams()
    people = make_population(2000, 11, NOW, params)
    assert people == make_population(2000, 11, NOW, params)
    assert people != make_population(2000, 12, NOW, params)
    new = [c for c in people if not c.repeat]
    assert 0.25 < len(new) / len(people) < 0.35
    assert all(not c.history and not c.habits and c.call_reason == "new" for c in new)
    for c in people:
        assert c.call_intent in TELECOM_MIX and len(c.account_number) == 8
        if not c.repeat:
            continue
        assert sum(c.habits.values()) == pytest.approx(1.0)
        assert list(c.habits.values()) == sorted(c.habits.values(), reverse=True)
        times = [h.occurred_at for h in c.history]
        assert times == sorted(times) and all(t <= NOW for t in times)
        assert NOW - times[0] <= timedelta(days=params.history_days)
        for h in c.history:
            if not h.outbound:
                assert h.channel in INBOUND_CHANNELS
            if h.open:
                assert NOW - h.occurred_at <= timedelta(days=params.open_days)
                assert not h.outbound
    repeat = [c for c in people if c.repeat]
    assert {c.call_reason for c in repeat} == {"habit", "open_matter", "mailing", "novel"}
    assert len({h.channel for c in repeat for h in c.history}) >= 8  # incl. "outbound"


def test_population_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="new_share"):
        PopulationParams(new_share=1.5)
    with pytest.raises(ValueError, match="skew"):
        PopulationParams(skew=0)
    with pytest.raises(ValueError, match="count"):
        make_population(-1, 1, NOW)


# --- speech timing ------------------------------------------------------------------------


def test_wpm_speech_counts_words() -> None:
    prompt = PromptRef("p", "en", "Please listen carefully to the following options.", ())
    assert WPM.seconds(prompt) == pytest.approx(7 * 60 / 175)
    with pytest.raises(ValueError, match="words per minute"):
        bench.WpmSpeech(0)


def test_measured_speech_synthesizes_text_and_times_digit_sounds(tmp_path: Path) -> None:
    digits = tmp_path / "en_TEST" / "digits"
    digits.mkdir(parents=True)
    with wave.open(str(digits / "1.wav"), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * 4000)  # half a second
    speech = bench.MeasuredSpeech(sounds=tmp_path)
    try:
        short = speech.seconds(PromptRef("a", "en", "", (TextPart("Hello."),)))
        long = speech.seconds(PromptRef("b", "en", "", (TextPart("Hello. " * 6),)))
        with_digit = speech.seconds(PromptRef("c", "en", "", (TextPart("Hello."), DigitsPart("1"))))
        speech.seconds(PromptRef("d", "en", "", (TextPart("Hello."),)))  # cached
        ru_digit = speech.seconds(PromptRef("e", "ru", "", (DigitsPart("1"),)))
    finally:
        speech.close()
    assert 0 < short < long
    assert with_digit == pytest.approx(short + 0.5)
    assert speech.syntheses == 2
    assert ru_digit == pytest.approx(60 / 175)  # no Russian digit sounds here: fallback rate
    assert "en_TEST/digits" in speech.description and "ru digits: not found" in speech.description


# --- the benchmark ------------------------------------------------------------------------


def test_benchmark_prints_a_table_and_its_figures_as_the_last_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, figures = run_main(capsys, "--customers", "200", "--seed", "3")
    for row in ("repeat ", "new ", "all ", "habit ", "open_matter "):
        assert any(line.startswith(row) for line in out.splitlines()), row
    assert "words / 175 words per minute" in out
    assert figures["customers"] == 200
    assert figures["repeat_callers"] + figures["new_callers"] == figures["all_callers"] == 200
    for key in (
        "repeat_callers_menu_time_reduction",
        "new_callers_menu_time_reduction",
        "all_callers_menu_time_reduction",
        "repeat_personalized_p90_menu_seconds",
        "new_static_p90_menu_seconds",
    ):
        assert isinstance(figures[key], float), key
    assert figures["new_callers_menu_time_reduction"] == pytest.approx(0.0, abs=1e-9)
    assert figures["new_static_mean_keys"] == figures["new_personalized_mean_keys"]
    assert figures["all_misrouted_calls"] == 0
    assert figures["target_met"] == (figures["repeat_callers_menu_time_reduction"] >= 0.4)


def test_strongly_skewed_repeat_callers_spend_less_time_in_the_menu(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, figures = run_main(
        capsys, "--customers", "200", "--skew", "6", "--contacts-mean", "15", "--history-days", "60"
    )
    static = figures["repeat_static_mean_menu_seconds"]
    assert figures["repeat_personalized_mean_menu_seconds"] < static
    assert figures["repeat_callers_menu_time_reduction"] > 0.1
    assert figures["new_personalized_mean_menu_seconds"] == pytest.approx(
        figures["new_static_mean_menu_seconds"]
    )
    assert figures["all_misrouted_calls"] == 0


def test_policy_override_is_applied_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    out, figures = run_main(capsys, "--customers", "50", "--min-evidence", "0.25")
    assert figures["policy_overrides"] == {"min_evidence": 0.25}
    assert "OVERRIDDEN" in out and "min_evidence=0.25" in out


def test_short_promoted_labels_and_a_promoted_0_each_save_menu_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, shipped = run_main(capsys, "--customers", "400")
    _, long = run_main(capsys, "--customers", "400", "--full-labels")
    _, neither = run_main(
        capsys, "--customers", "400", "--full-labels", "--promote-fixed-keys", "no"
    )
    assert long["full_labels"] and not shipped["full_labels"]
    assert neither["policy_overrides"] == {"promote_fixed_keys": False}
    key = "repeat_personalized_mean_menu_seconds"
    assert shipped[key] < long[key] < neither[key]
    for figures in (shipped, long, neither):  # the static menu is the same in every run
        assert (
            figures["repeat_static_mean_menu_seconds"] == shipped["repeat_static_mean_menu_seconds"]
        )
        assert figures["new_callers_menu_time_reduction"] == pytest.approx(0.0, abs=1e-9)
        assert figures["all_misrouted_calls"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customers", "0"], "--customers must be >= 1"),
        (["--new-share", "2"], "new_share must be within 0..1"),
        (["--wpm", "0"], "--wpm must be > 0"),
    ],
)
def test_bad_arguments_stop_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        bench.main(args)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_policy_override_stops_with_a_clear_message() -> None:
    with pytest.raises(SystemExit, match="policy override: policy max_promoted must be >= 0"):
        bench.main(["--speech", "wpm", "--customers", "5", "--max-promoted", "-1"])
