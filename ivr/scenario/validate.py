"""Semantic checks of a loaded scenario, every problem with its line and column.

``validate_file`` runs the loader and these checks and returns all problems at once;
``load_valid`` is what servers use: a scenario with any problem is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ivr.personalize import RENUMBERABLE_KEYS
from ivr.scenario import conditions as c
from ivr.scenario import model as m
from ivr.scenario.graph import cycles, edges, reachable, successors
from ivr.scenario.loader import read_scenario
from ivr.scenario.source import Pos, Problem, ScenarioError
from speech.answers import ANSWER_WORDS
from speech.exceptions import IntentDefinitionError
from speech.intents import IntentDef, IntentSet
from speech.numbers import digit_languages

SPECIAL_FIELDS = frozenset({"key", "intent", "caller", "name", "channel_switch"})
INTERACTIVE_KINDS = (m.Menu, m.Gather, m.ChannelSwitch)
Report = Callable[[Pos, str], None]


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem in one scenario file, sorted by position."""
    scenario, problems = read_scenario(path)
    if scenario is not None:
        problems = problems + check(scenario)
    return sorted(set(problems))


def load_valid(path: str | Path) -> m.Scenario:
    """Load a scenario and refuse it if it has any problem; raises :class:`ScenarioError`."""
    scenario, problems = read_scenario(path)
    if scenario is not None:
        problems = problems + check(scenario)
    if problems or scenario is None:
        raise ScenarioError(set(problems))
    return scenario


def check(scenario: m.Scenario) -> list[Problem]:
    """Cross-node checks: targets, reachability, loops, keys, prompts, fields, patterns."""
    out: list[Problem] = []

    def err(pos: Pos, message: str) -> None:
        out.append(Problem(scenario.path, pos.line, pos.column, message))

    nodes = scenario.nodes
    if scenario.entry and scenario.entry not in nodes and scenario.entry not in scenario.unparsed:
        err(scenario.where.get("entry", Pos(1, 1)), f"entry node {scenario.entry!r} is not a node")
    _check_targets(scenario, err)
    _check_reachability(scenario, err)
    for node in nodes.values():
        _check_node(scenario, node, err)
    _check_prompts(scenario, err)
    for handler_name in ("invalid", "no_input"):
        handler: m.Handler = getattr(scenario.defaults, handler_name)
        if handler.target is not None and handler.target not in nodes:
            err(handler.pos, f"unknown target node {handler.target!r} in defaults {handler_name}")
    return out


def _check_targets(scenario: m.Scenario, err: Report) -> None:
    for node in scenario.nodes.values():
        for edge in edges(node, scenario.defaults):
            if not edge.required:
                continue
            if edge.target is None:
                err(edge.pos, f"{node.kind} node {node.id!r} needs a {edge.label} node")
            elif edge.target not in scenario.nodes and edge.target not in scenario.unparsed:
                what = "sub-flow" if edge.label == "sub-flow" else "target node"
                err(edge.pos, f"unknown {what} {edge.target!r} ({edge.label} of {node.id!r})")


def _check_reachability(scenario: m.Scenario, err: Report) -> None:
    graph = successors(scenario.nodes, scenario.defaults)
    if scenario.entry in scenario.nodes:
        seen = reachable(scenario.entry, graph)
        for nid, node in scenario.nodes.items():
            if nid not in seen:
                err(node.pos, f"node {nid!r} is unreachable from entry {scenario.entry!r}")
    for component in cycles(graph):
        inside = set(component)
        exits = any(
            isinstance(scenario.nodes[nid], INTERACTIVE_KINDS)
            and any(t not in inside for t in graph[nid])
            for nid in component
        )
        if not exits:
            loop = " -> ".join([*component, component[0]])
            err(
                scenario.nodes[component[0]].pos,
                f"loop without exit: {loop} (no menu, gather or channel_switch in it leads out)",
            )


def _check_node(scenario: m.Scenario, node: m.AnyNode, err: Report) -> None:
    if isinstance(node, m.Menu | m.ChannelSwitch):
        seen: dict[str, Pos] = {}
        for option in node.options:
            pos = option.where.get("key", option.pos)
            if len(option.key) != 1 or option.key not in m.DIGIT_KEYS:
                err(pos, f"menu key {option.key!r} in {node.id!r} must be one of 0-9, * or #")
            elif option.key in seen:
                err(pos, f"duplicate key {option.key!r} in {node.kind} {node.id!r}")
            seen.setdefault(option.key, pos)
        if not node.options:
            err(node.pos, f"{node.kind} node {node.id!r} has no options")
    if isinstance(node, m.Menu):
        _check_promoted_labels(node, err)
    if isinstance(node, m.Menu | m.ChannelSwitch) and node.speech is not None:
        _check_speech(scenario, node, node.speech, err)
    if isinstance(node, m.Gather) and node.speech is not None:
        _check_gather_speech(scenario, node, node.speech, err)
    if isinstance(node, m.Gather):
        for key_name in ("yes_key", "no_key"):
            key = getattr(node, key_name)
            if len(key) != 1 or key not in m.DIGIT_KEYS:
                err(node.at(key_name), f"{key_name} {key!r} must be one of 0-9, * or #")
        if node.pattern is not None:
            try:
                re.compile(node.pattern)
            except re.error as exc:
                err(node.at("pattern"), f"bad regex pattern {node.pattern!r}: {exc}")
    if isinstance(node, m.SetData) and node.language and node.language not in scenario.languages:
        err(node.at("language"), f"language {node.language!r} is not in the scenario's languages")
    if isinstance(node, m.Condition):
        known = known_fields(scenario)
        for branch in node.branches:
            for test in c.walk(branch.test):
                _check_test(scenario, test, known, branch.pos, err)


def _check_promoted_labels(node: m.Menu, err: Report) -> None:
    """A ``promoted_label`` is said only for an option personalisation can move up."""
    for option in node.options:
        if option.promoted_label is None:
            continue
        pos = option.where.get("promoted_label", option.pos)
        what = f"option {option.key!r} of menu {node.id!r}"
        fixed = option.key not in RENUMBERABLE_KEYS and not node.policy.promote_fixed_keys
        if option.intent is None:
            err(pos, f"{what} has a promoted_label but no intent")
        elif node.policy.mode == "renumber" and fixed:
            err(
                pos,
                f"{what} keeps its key and place when "
                "personalize: renumber (without promote_fixed_keys), so its promoted_label "
                "is never said",
            )


def _check_speech(
    scenario: m.Scenario, node: m.Menu | m.ChannelSwitch, speech: m.SpeechSpec, err: Report
) -> None:
    """Speech intents name options of this menu (choices of this channel switch), in the
    scenario's languages, with words."""
    if isinstance(node, m.Menu):
        options = {o.intent for o in node.options if o.intent}
        named = "an option's intent in menu", "options' intents"
    else:
        options = {o.choice for o in node.options}
        named = "a choice of channel_switch", "choices"
    per_language: dict[str, list[IntentDef]] = {}
    for intent, by_language in speech.intents.items():
        pos = speech.where.get(f"intents.{intent}", speech.pos)
        if intent not in options:
            known = ", ".join(sorted(options)) or "none"
            err(
                pos,
                f"speech intent {intent!r} is not {named[0]} {node.id!r} ({named[1]}: {known})",
            )
        for language, terms in by_language.items():
            if language not in scenario.languages:
                err(
                    speech.where.get(f"intents.{intent}.{language}", pos),
                    f"speech intent {intent!r} has words for undeclared language {language!r}",
                )
                continue
            per_language.setdefault(language, []).append(
                IntentDef(intent, terms.keywords, terms.phrases)
            )
    try:
        IntentSet(per_language)
    except IntentDefinitionError as exc:
        err(speech.pos, f"speech of {node.kind} {node.id!r}: {exc}")


def _check_gather_speech(
    scenario: m.Scenario, node: m.Gather, speech: m.GatherSpeech, err: Report
) -> None:
    """Spoken digits and answers exist in at least one of the scenario's languages."""
    for side in ("yes", "no"):
        for language in getattr(speech, side):
            if language not in scenario.languages:
                err(
                    speech.where.get(f"{side}_words.{language}", speech.pos),
                    f"speech {side}_words for undeclared language {language!r}",
                )
    if "confirm" in speech.where and speech.confirm and node.prefill != "confirm":
        err(speech.where["confirm"], f"speech confirm in {node.id!r} needs prefill: confirm")
    if speech.digits and not set(scenario.languages) & set(digit_languages()):
        err(
            speech.where.get("digits", speech.pos),
            f"spoken digits are understood in {', '.join(digit_languages())} only, "
            f"not in the scenario's languages ({', '.join(scenario.languages)})",
        )
    answered = set(ANSWER_WORDS) | set(speech.yes) & set(speech.no)
    if speech.confirm and node.prefill == "confirm" and not set(scenario.languages) & answered:
        err(
            speech.where.get("confirm", speech.pos),
            "no yes/no words for the scenario's languages: declare speech yes_words and no_words",
        )


def _check_test(scenario: m.Scenario, test: c.Test, known: set[str], pos: Pos, err: Report) -> None:
    if isinstance(test, c.Value) and test.source == "field" and test.name not in known:
        err(
            test.pos,
            f"unknown field {test.name!r} in condition (known: {', '.join(sorted(known))})",
        )
    if isinstance(test, c.Hours) and test.calendar not in scenario.hours:
        err(test.pos, f"unknown hours calendar {test.calendar!r}")
    if isinstance(test, c.Language):
        for language in test.values:
            if language not in scenario.languages:
                err(
                    test.pos,
                    f"language {language!r} in condition is not in the scenario's languages",
                )


def known_fields(scenario: m.Scenario) -> set[str]:
    """Fields conditions and placeholders may name: declared, gathered or set ones."""
    out = set(scenario.fields)
    for node in scenario.nodes.values():
        if isinstance(node, m.Gather):
            out.add(node.field)
        if isinstance(node, m.SetData):
            out.update(node.data)
    return out


def _check_prompts(scenario: m.Scenario, err: Report) -> None:
    fields = known_fields(scenario) | SPECIAL_FIELDS
    speaks_labels = False
    for prompt in scenario.prompts():
        for language in scenario.languages:
            if language not in prompt.texts and prompt.file_for(language) is None:
                err(prompt.pos, f"prompt {prompt.id!r} has no text for language {language!r}")
        for language, template in prompt.texts.items():
            if language not in scenario.languages:
                err(
                    prompt.pos,
                    f"prompt {prompt.id!r} has text for undeclared language {language!r}",
                )
            for placeholder in template.placeholders:
                speaks_labels |= placeholder.filter == "label"
                if placeholder.field not in fields:
                    err(
                        prompt.pos, f"unknown field {{{placeholder.field}}} in prompt {prompt.id!r}"
                    )
    if speaks_labels:
        for intent, pos in _intents_used(scenario):
            if intent not in scenario.intents:
                err(pos, f"intent {intent!r} has no label under 'intents' (a prompt speaks it)")


def _intents_used(scenario: m.Scenario) -> Iterator[tuple[str, Pos]]:
    for node in scenario.nodes.values():
        if isinstance(node, m.Menu):
            for option in node.options:
                if option.intent:
                    yield option.intent, option.where.get("intent", option.pos)
        if isinstance(node, m.Transfer) and node.spec.intent:
            yield node.spec.intent, node.at("intent")
        if isinstance(node, m.SetData) and node.intent:
            yield node.intent, node.at("intent")
