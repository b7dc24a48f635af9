"""Checks of a caller script against the scenario it calls: prompt ids, intents, nodes,
services and fields it names must exist there. Pure: problems are ``(pos, message)``."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ivr.scenario import model as sm
from ivr.scenario.source import Pos
from omnivox.simulate import model as m

Report = Callable[[Pos, str], None]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names a scenario defines that scripts may refer to."""

    prompts: frozenset[str]
    nodes: frozenset[str]
    menus: frozenset[str]
    intents: frozenset[str]
    option_keys: frozenset[str]
    services: frozenset[str]
    fields: frozenset[str]
    choices: frozenset[str]

    @classmethod
    def of(cls, scenario: sm.Scenario) -> Vocabulary:
        menus = [n for n in scenario.nodes.values() if isinstance(n, sm.Menu)]
        specs: list[sm.TransferSpec] = [
            n.spec for n in scenario.nodes.values() if isinstance(n, sm.Transfer)
        ]
        specs += [o.transfer for menu in menus for o in menu.options if o.transfer is not None]
        set_fields = {
            k for n in scenario.nodes.values() if isinstance(n, sm.SetData) for k in n.data
        }
        gathered = {n.field for n in scenario.nodes.values() if isinstance(n, sm.Gather)}
        switches = [n for n in scenario.nodes.values() if isinstance(n, sm.ChannelSwitch)]
        return cls(
            prompts=frozenset(p.id for p in scenario.prompts()),
            nodes=frozenset(scenario.nodes),
            menus=frozenset(n.id for n in menus),
            intents=frozenset(scenario.intents)
            | {o.intent for menu in menus for o in menu.options if o.intent},
            option_keys=frozenset(o.key for menu in menus for o in menu.options),
            services=frozenset(s.service for s in specs),
            fields=frozenset(scenario.fields) | set_fields | gathered | {"channel_switch"},
            choices=frozenset(o.choice for n in switches for o in n.options),
        )


def check(script: m.Script, scenario: sm.Scenario, error: Report) -> None:
    """Report every name in ``script`` that ``scenario`` does not define."""
    vocab = Vocabulary.of(scenario)
    where = f"scenario {scenario.name}"
    for call in script.calls:
        for step in call.steps:
            _check_step(step, vocab, where, error)
        for expectation in call.expect:
            _check_expectation(expectation, vocab, where, error)


def _known(kind: str, name: str, known: Iterable[str], where: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=3)
    if close:
        return f"unknown {kind} {name!r} in {where} (did you mean {' or '.join(close)}?)"
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"unknown {kind} {name!r} in {where} (known: {shown})"


def _check_prompt(
    match: m.PromptMatch | None, vocab: Vocabulary, where: str, pos: Pos, error: Report
) -> None:
    if match is not None and match.prompt_id is not None and match.prompt_id not in vocab.prompts:
        error(pos, _known("prompt id", match.prompt_id, vocab.prompts, where))


def _check_step(step: m.Step, vocab: Vocabulary, where: str, error: Report) -> None:
    match step:
        case m.ExpectPrompt():
            _check_prompt(step.match, vocab, where, step.pos, error)
        case m.Press():
            _check_prompt(step.during, vocab, where, step.pos, error)
        case m.ExpectMenu():
            if step.node is not None and step.node not in vocab.menus:
                error(step.pos, _known("menu node", step.node, vocab.menus, where))
            options = vocab.intents | vocab.option_keys
            for item in step.order or ():
                if item not in options:
                    error(step.pos, _known("menu option", item, options, where))
            for intent in [*(step.keys or {}).values(), *(step.promoted or ())]:
                if intent not in vocab.intents:
                    error(step.pos, _known("intent", intent, vocab.intents, where))


def _check_expectation(e: m.Expectation, vocab: Vocabulary, where: str, error: Report) -> None:
    value = e.value
    if e.name == "service" and value is not None and value not in vocab.services:
        error(e.pos, _known("service", value, vocab.services, where))
    elif e.name in ("stopped_at", "resumed_at") and value not in vocab.nodes:
        error(e.pos, _known("node", value, vocab.nodes, where))
    elif e.name == "intent" and value is not None and value not in vocab.intents:
        error(e.pos, _known("intent", value, vocab.intents, where))
    elif e.name == "promoted":
        for intent in value:
            if intent not in vocab.intents:
                error(e.pos, _known("intent", intent, vocab.intents, where))
    elif e.name == "collected":
        for name in value:
            if name not in vocab.fields:
                error(e.pos, _known("field", name, vocab.fields, where))
    elif e.name == "channel_switch" and value is not None and value not in vocab.choices:
        error(e.pos, _known("channel switch", value, vocab.choices, where))
    elif e.name == "agent" and isinstance(value, dict):
        service = value.get("waited_in")
        if service is not None and service not in vocab.services:
            error(e.pos, _known("service", service, vocab.services, where))
    elif e.name == "screen_pop":
        for node in value.get("path") or ():
            if node not in vocab.nodes:
                error(e.pos, _known("node", node, vocab.nodes, where))
        if value.get("service") is not None and value["service"] not in vocab.services:
            error(e.pos, _known("service", value["service"], vocab.services, where))
        if value.get("intent") is not None and value["intent"] not in vocab.intents:
            error(e.pos, _known("intent", value["intent"], vocab.intents, where))
        for intent in value.get("promoted") or ():
            if intent not in vocab.intents:
                error(e.pos, _known("intent", intent, vocab.intents, where))
        for name in value.get("data") or {}:
            if name not in vocab.fields:
                error(e.pos, _known("field", name, vocab.fields, where))
    elif e.name == "pressed":
        for item in value:
            node = item.partition(":")[0]
            if node not in vocab.nodes:
                error(e.pos, _known("node", node, vocab.nodes, where))
