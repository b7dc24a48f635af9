"""The simulated caller and its transcript, without any I/O: sounds as the IVR would play
them for the telecom scenario, the caller's reactions and the step results."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.scenario import Scenario, load_valid
from omnivox.simulate import model as m
from omnivox.simulate.caller import NO_SPEECH, Caller, Reaction
from omnivox.simulate.heard import Transcript
from omnivox.simulate.prompts import PromptIndex, build_index

ROOT = Path(__file__).resolve().parent.parent
ALL_KEYS = "0123456789*#"


class TextNamer:
    """Names each piece by its language and text, so a test can play 'sounds' by text."""

    async def text(self, text: str, language: str) -> str:
        return f"omnivox/{language}:{text}"

    async def file(self, path: str) -> str:
        return f"omnivox/file:{Path(path).name}"


@pytest.fixture(scope="module")
def telecom() -> Scenario:
    return load_valid(ROOT / "scenarios" / "telecom.yaml")


@pytest.fixture
async def index(telecom: Scenario) -> PromptIndex:
    return await build_index(telecom, TextNamer())


def sound(text: str, language: str = "en") -> str:
    return f"omnivox/{language}:{text}"


def play_label(t: Transcript, text: str, key: str) -> None:
    t.sound(sound(text))
    t.digits(key)


def test_pieces_and_values_are_grouped_back_into_prompts(index: PromptIndex) -> None:
    t = Transcript(index)
    t.sound(sound("Thank you for calling Northwind Cable. Calls may be recorded."))
    play_label(t, "For internet support, press", "1")
    play_label(t, "For TV support, press", "2")
    t.sound(sound("Is this about the account ending"))
    t.digits("4321")
    t.sound(sound("Press 1 for yes, or 2 to enter another account."))
    t.sound(sound("Welcome back. Let's continue with"))
    t.sound(sound("your bill"))  # the {intent|label} of the resume prompt
    t.sound("omnivox/0123abcd")  # a sound no prompt of the scenario plays
    got = [(p.ids, p.text) for p in t.prompts]
    assert got == [
        (("welcome.prompt",), "Thank you for calling Northwind Cable. Calls may be recorded."),
        (("main_menu.options.1.label",), "For internet support, press 1"),
        (("main_menu.options.2.label",), "For TV support, press 2"),
        (
            ("identify.confirm_prompt",),
            "Is this about the account ending 4321 Press 1 for yes, or 2 to enter another account.",
        ),
        (("resume.prompt",), "Welcome back. Let's continue with your bill"),
        ((), "[omnivox/0123abcd]"),
    ]


def test_a_prompt_without_its_value_still_ends_where_the_next_begins(index: PromptIndex) -> None:
    t = Transcript(index)
    t.sound(sound("Is this about the account ending"))  # no account value to say
    t.sound(sound("Press 1 for yes, or 2 to enter another account."))
    t.sound(sound("Please enter your eight digit account number, followed by the hash key."))
    assert [p.ids for p in t.prompts] == [("identify.confirm_prompt",), ("identify.prompt",)]


def test_russian_pieces_are_the_same_prompts(index: PromptIndex) -> None:
    t = Transcript(index)
    t.sound(sound("Проблемы с интернетом: нажмите", "ru"))
    t.digits("1")
    assert [(p.ids, p.text) for p in t.prompts] == [
        (("main_menu.options.1.label",), "Проблемы с интернетом: нажмите 1")
    ]


def statuses(caller: Caller) -> list[str]:
    return [r.status for r in caller.results]


def test_expected_prompts_pass_as_heard_and_a_key_is_pressed_at_the_question(
    index: PromptIndex,
) -> None:
    t = Transcript(index)
    steps = [
        m.ExpectPrompt(m.PromptMatch("welcome.prompt")),
        m.ExpectPrompt(m.PromptMatch(text="internet SUPPORT, press 1")),
        m.Press("6"),
    ]
    caller = Caller(steps, t)
    t.sound(sound("Thank you for calling Northwind Cable. Calls may be recorded."))
    assert caller.heard(ALL_KEYS) == Reaction()
    assert statuses(caller) == ["passed", "not_reached", "not_reached"]
    t.sound(sound("For internet support, press"))
    assert caller.heard(ALL_KEYS) == Reaction()  # "1" not said yet
    t.digits("1")
    assert caller.heard(ALL_KEYS, said="1") == Reaction()
    assert caller.results[1].detail.startswith('heard main_menu.options.1.label "For internet')
    assert caller.asked() == Reaction(key="6")
    assert statuses(caller) == ["passed", "passed", "passed"]
    assert caller.done and caller.asked() == Reaction()  # nothing left: silence


def test_a_question_before_the_expected_prompt_fails_the_step_and_hangs_up(
    index: PromptIndex,
) -> None:
    t = Transcript(index)
    steps = [m.ExpectPrompt(m.PromptMatch("vip_welcome.prompt")), m.Press("0"), m.HangUp()]
    caller = Caller(steps, t)
    t.sound(sound("Thank you for calling Northwind Cable. Calls may be recorded."))
    caller.heard(ALL_KEYS)
    assert caller.asked() == Reaction(hangup=True)
    assert statuses(caller) == ["failed", "not_reached", "not_reached"]
    assert caller.results[0].detail == (
        "the IVR asked for a key before vip_welcome.prompt was heard; heard since the previous"
        ' step: welcome.prompt "Thank you for calling Northwind Cable. Calls ma..."'
    )
    assert caller.heard(ALL_KEYS) == Reaction() and caller.asked() == Reaction()


def test_press_on_hearing_interrupts_when_the_key_is_said(index: PromptIndex) -> None:
    t = Transcript(index)
    caller = Caller(
        [m.Press("6", on_hearing=True), m.ExpectPrompt(m.PromptMatch("identify.prompt"))], t
    )
    play_label(t, "For internet support, press", "1")
    assert caller.heard(ALL_KEYS, said="1") == Reaction()
    t.sound(sound("To pay your bill or ask about it, press"))
    assert caller.heard(ALL_KEYS) == Reaction()
    t.digits("6")
    assert caller.heard(ALL_KEYS, said="6") == Reaction(key="6")
    assert caller.results[0].detail == "pressed 6 (when the IVR said 6)"
    t.sound(sound("Please enter your eight digit account number, followed by the hash key."))
    assert caller.heard(ALL_KEYS) == Reaction()
    assert statuses(caller) == ["passed", "passed"]


def test_a_key_never_said_fails_at_the_question(index: PromptIndex) -> None:
    t = Transcript(index)
    caller = Caller([m.Press("*", on_hearing=True)], t)
    t.sound(sound("For Russian, press star."))
    caller.heard(ALL_KEYS)
    assert caller.asked() == Reaction(hangup=True)
    assert caller.results[0].detail.startswith("the IVR never said key * before asking")


def test_barging_in_needs_an_interruptible_prompt(index: PromptIndex) -> None:
    during = m.PromptMatch("vip_welcome.prompt")
    t = Transcript(index)
    caller = Caller([m.Press("0", during=during)], t)
    t.sound(sound("Welcome back to Northwind Cable priority service."))
    assert caller.heard("") == Reaction(hangup=True)
    assert caller.results[0].detail.startswith(
        'pressed during vip_welcome.prompt "Welcome back to Northwind Cable priority service."'
        ", but that prompt cannot be interrupted"
    )
    t2 = Transcript(index)
    ok = Caller([m.Press("01", during=m.PromptMatch("welcome.prompt"))], t2)
    t2.sound(sound("Thank you for calling Northwind Cable. Calls may be recorded."))
    assert ok.heard(ALL_KEYS) == Reaction(key="0")
    assert ok.asked() == Reaction(key="1")  # the rest of the keys at the questions
    assert statuses(ok) == ["passed"]


def test_waits_add_up_before_the_next_action(index: PromptIndex) -> None:
    t = Transcript(index)
    caller = Caller([m.Wait(1.5), m.Wait(2), m.HangUp()], t)
    t.sound(sound("Thank you for calling Northwind Cable. Calls may be recorded."))
    assert caller.heard(ALL_KEYS) == Reaction(delay=3.5, hangup=True)
    assert caller.results[2].detail.startswith("hung up while hearing welcome.prompt")


def test_silence_answers_one_question_and_prompts_before_it_do_not_count_after(
    index: PromptIndex,
) -> None:
    t = Transcript(index)
    caller = Caller([m.Silence(), m.ExpectPrompt(m.PromptMatch("main_menu.prompt"))], t)
    t.sound(sound("Please listen carefully to the following options."))
    caller.heard(ALL_KEYS)
    assert caller.asked() == Reaction()
    assert statuses(caller) == ["passed", "not_reached"]
    t.sound(sound("Sorry, I did not hear a choice."))
    caller.heard(ALL_KEYS)
    assert caller.results[1].status == "not_reached"  # the earlier menu prompt does not count
    t.sound(sound("Please listen carefully to the following options."))
    caller.heard(ALL_KEYS)
    assert statuses(caller) == ["passed", "passed"]


def test_menu_expectations_are_left_for_the_journey(index: PromptIndex) -> None:
    t = Transcript(index)
    caller = Caller([m.ExpectMenu(order=("billing",)), m.Press("1")], t)
    assert caller.asked() == Reaction(key="1")
    assert statuses(caller) == ["check", "passed"]


def test_saying_a_phrase_fails_clearly_without_a_speech_path(index: PromptIndex) -> None:
    t = Transcript(index)
    caller = Caller([m.Say("I want to pay my bill"), m.Press("1")], t)
    assert caller.asked() == Reaction(hangup=True)
    assert caller.results[0].detail.startswith(NO_SPEECH)
    assert statuses(caller) == ["failed", "not_reached"]


def test_a_call_that_ends_early_fails_the_waiting_step(index: PromptIndex) -> None:
    t = Transcript(index)
    caller = Caller([m.Press("0"), m.ExpectPrompt(m.PromptMatch("goodbye.prompt")), m.HangUp()], t)
    assert caller.asked() == Reaction(key="0")
    t.sound(sound("Let me connect you to an agent."))
    caller.heard("")
    caller.ended()
    assert statuses(caller) == ["passed", "failed", "not_reached"]
    assert caller.results[1].detail == (
        "the call ended before this step; heard since the previous step: "
        'agent_fallback.prompt "Let me connect you to an agent."'
    )
    hangup_last = Caller([m.HangUp()], Transcript(index))
    hangup_last.ended()
    assert hangup_last.results[0].detail.startswith("the IVR ended the call first")
