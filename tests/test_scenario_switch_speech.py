"""Speech at a channel switch (SMS link, callback, keep waiting) and at the telecom account
gather, in the scenario format and the engine: the choices in words per language, the same
threshold/retry/keys rules as menus, keys always work."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from ivr.scenario import (
    Call,
    CallContext,
    ChannelSwitch,
    Collect,
    Digits,
    PromptDone,
    SpeechAsk,
    SpeechIntent,
    SpeechResult,
    Transfer,
)
from ivr.scenario import model as m
from ivr.scenario.validate import load_valid, validate_file
from tests.scenario_helpers import where, write

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "ivr" / "scenario" / "schema.json").read_text(encoding="utf-8"))
TELECOM = load_valid(ROOT / "scenarios" / "telecom.yaml")
OPEN = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # Wednesday 13:00 in Moscow

OFFER = """\
languages: [en, ru]
default_language: en
entry: offer
defaults:
  retries: 1
  invalid: {target: queue}
  no_input: {target: queue}
nodes:
  offer:
    kind: channel_switch
    prompt: {en: "Text 1, call back 2, wait 3.", ru: "СМС 1, перезвонить 2, ждать 3."}
    options:
      - {key: 1, choice: sms_link, target: sent}
      - {key: 2, choice: callback, target: sent}
      - {key: 3, choice: stay, target: queue}
    speech:
      min_confidence: 0.6
      retry_prompt: {en: "Sorry, say it again.", ru: "Повторите, пожалуйста."}
      keys_prompt: {en: Please use the keypad., ru: Воспользуйтесь клавиатурой.}
      intents:
        sms_link:
          en: {keywords: [text, link]}
          ru: {keywords: [смс, ссылку]}
        callback:
          en: {keywords: [call back], phrases: [call me back please]}
        stay:
          en: {keywords: [wait]}
          ru: {keywords: [подожду]}
  sent:
    kind: hangup
    prompt: {en: Done., ru: Готово.}
  queue:
    kind: transfer
    service: billing
"""


def start(tmp_path: Path, text: str = OFFER, language: str = "en") -> tuple[Call, Collect]:
    call = Call(load_valid(write(tmp_path, text)), CallContext(now=OPEN, language=language))
    action = call.start()
    assert isinstance(action, Collect) and action.expects == "choice"
    return call, action


def test_the_switch_listens_for_its_choices_in_the_call_language(tmp_path: Path) -> None:
    _, ask = start(tmp_path)
    assert ask.speech == SpeechAsk(
        "en",
        (
            SpeechIntent("sms_link", ("text", "link")),
            SpeechIntent("callback", ("call back",), ("call me back please",)),
            SpeechIntent("stay", ("wait",)),
        ),
        True,
        True,
        0.6,
    )
    _, russian = start(tmp_path, language="ru")
    assert russian.speech is not None
    # No Russian words for callback: Russian callers say the other two (or press 2).
    assert [i.name for i in russian.speech.intents] == ["sms_link", "stay"]


def test_a_spoken_choice_switches_channel_and_the_journey_says_it_was_speech(
    tmp_path: Path,
) -> None:
    call, _ = start(tmp_path)
    action = call.feed(SpeechResult("callback", 0.87, "please call me back"))
    assert action == ChannelSwitch("offer", "callback", None, "en")
    assert call.journey.channel_switch == "callback"
    step = call.journey.path[-1]
    assert (step.node, step.input) == ("offer", "speech:callback")
    assert step.detail == {
        "result": "channel_switch",
        "choice": "callback",
        "via": "speech",
        "transcript": "please call me back",
        "confidence": 0.87,
    }
    bye = call.feed(PromptDone())
    assert [p.text for p in bye.prompts] == ["Done."]  # type: ignore[union-attr]


def test_saying_stay_goes_on_without_a_switch(tmp_path: Path) -> None:
    call, _ = start(tmp_path, language="ru")
    action = call.feed(SpeechResult("stay", 0.9, "я подожду"))
    assert isinstance(action, Transfer) and action.service == "billing"
    assert call.journey.channel_switch is None


def test_keys_still_work_at_a_speech_switch(tmp_path: Path) -> None:
    call, _ = start(tmp_path)
    action = call.feed(Digits("1"))
    assert action == ChannelSwitch("offer", "sms_link", None, "en")
    step = call.journey.path[-1]
    assert step.input == "1" and "via" not in step.detail


def test_unsure_speech_is_asked_again_once_then_keys_only(tmp_path: Path) -> None:
    call, _ = start(tmp_path)
    again = call.feed(SpeechResult("sms_link", 0.4, "text"))  # below min_confidence
    assert isinstance(again, Collect) and again.speech is not None
    assert [p.text for p in again.prompts] == [
        "Sorry, say it again.",
        "Text 1, call back 2, wait 3.",
    ]
    keys = call.feed(SpeechResult(None, 0.0, "pizza"))  # words matching no choice
    assert isinstance(keys, Collect) and keys.speech is None
    assert keys.prompts[0].text == "Please use the keypad."
    results = [(s.detail["result"], s.detail.get("transcript")) for s in call.journey.path]
    assert results[-2:] == [("speech_unsure", "text"), ("speech_to_keys", "pizza")]
    assert call.feed(Digits("2")) == ChannelSwitch("offer", "callback", None, "en")


def test_no_speech_block_means_keys_only(tmp_path: Path) -> None:
    bare = OFFER[: OFFER.index("    speech:")] + OFFER[OFFER.index("  sent:") :]
    _, ask = start(tmp_path, bare)
    assert ask.speech is None


def test_a_choice_the_switch_does_not_offer_is_refused_at_its_line(tmp_path: Path) -> None:
    bad = OFFER.replace("        stay:\n", "        pigeon:\n").replace(
        "      min_confidence: 0.6\n", "      min_confidence: 0.6\n      colour: blue\n"
    )
    path = write(tmp_path, bad)
    found = {(p.line, p.column): p.message for p in validate_file(path)}
    assert found == {
        where(path, "pigeon"): (
            "speech intent 'pigeon' is not a choice of channel_switch 'offer' "
            "(choices: callback, sms_link, stay)"
        ),
        where(path, "colour"): (
            "unknown key 'colour' in speech of channel_switch 'offer' (expected: barge_in, "
            "grammar, intents, keys_prompt, min_confidence, retry_prompt)"
        ),
    }


def test_the_schema_accepts_the_speech_block_and_refuses_unknown_keys() -> None:
    data = yaml.safe_load(OFFER)
    jsonschema.validate(data, SCHEMA)
    data["nodes"]["offer"]["speech"]["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    del data["nodes"]["offer"]["speech"]["colour"]
    del data["nodes"]["offer"]["speech"]["intents"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


# --- the shipped telecom scenario ---------------------------------------------------------


def to_identify(language: str) -> Call:
    """An unknown caller chooses billing and is asked for the account number."""
    call = Call(TELECOM, CallContext(now=OPEN, caller="+79001234567", language=language))
    call.start()
    call.feed(PromptDone())
    gather = call.feed(Digits("6"))
    assert isinstance(gather, Collect) and gather.node == "identify"
    assert gather.speech == SpeechAsk(language, (), True, True, 0.6, listen_for="digits")
    return call


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "five five five five six six six six"),
        ("en", "um it is fifty five fifty five sixty six sixty six"),
        ("ru", "пять пять пять пять шесть шесть шесть шесть"),
        ("ru", "пятьдесят пять пятьдесят пять шестьдесят шесть шестьдесят шесть"),
    ],
)
def test_telecom_callers_may_say_the_account_number(language: str, words: str) -> None:
    call = to_identify(language)
    offer = call.feed(SpeechResult(None, 0.8, words))
    assert isinstance(offer, Collect) and offer.node == "billing_offer"
    assert call.journey.to_record()["inputs"]["account_number"] == {
        "value": "55556666",
        "source": "voice",
        "via": "speech",
        "transcript": words,
        "confidence": 0.8,
    }
    assert offer.speech is not None and [i.name for i in offer.speech.intents] == [
        "sms_link",
        "callback",
        "stay",
    ]


@pytest.mark.parametrize(
    ("language", "choice", "words"),
    [
        ("en", "sms_link", "just text me the payment link"),
        ("en", "callback", "can you call me back"),
        ("ru", "callback", "перезвоните мне пожалуйста"),
    ],
)
def test_telecom_billing_offer_takes_a_spoken_choice(
    language: str, choice: str, words: str
) -> None:
    call = to_identify(language)
    call.feed(Digits("55556666#"))
    action = call.feed(SpeechResult(choice, 0.9, words))
    assert action == ChannelSwitch("billing_offer", choice, "billing", language)
    assert call.journey.path[-1].detail["transcript"] == words


def test_every_shipped_channel_switch_listens_for_each_choice_in_en_and_ru() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = load_valid(path)
        switches = [n for n in scenario.nodes.values() if isinstance(n, m.ChannelSwitch)]
        assert switches, path
        for node in switches:
            assert node.speech is not None, node.id
            for option in node.options:
                assert set(node.speech.intents[option.choice]) == {"en", "ru"}, node.id
