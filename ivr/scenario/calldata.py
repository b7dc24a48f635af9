"""What a call knows, shaped for each use: prompt values, condition facts, transfers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ivr.scenario import model as m
from ivr.scenario.actions import Transfer
from ivr.scenario.conditions import Facts
from ivr.scenario.context import CallContext
from ivr.scenario.journey import Journey


def initial_language(scenario: m.Scenario, context: CallContext) -> str:
    """The call's language: the context's, else the customer's, else the scenario default."""
    customer = context.customer
    for language in (context.language, customer.language if customer else None):
        if language in scenario.languages:
            return language
    return scenario.default_language


def prompt_values(
    context: CallContext, journey: Journey, extra: Mapping[str, str]
) -> dict[str, str]:
    """Placeholder values: profile data, then collected data, then caller/name/intent."""
    values = {k: str(v) for k, v in context.known.items()}
    values.update(journey.data())
    if context.caller:
        values["caller"] = context.caller
    if context.customer and context.customer.display_name:
        values["name"] = context.customer.display_name
    if journey.intent:
        values["intent"] = journey.intent
    values.update(extra)
    return values


def call_facts(
    scenario: m.Scenario, context: CallContext, journey: Journey, now: datetime
) -> Facts:
    customer = context.customer
    return Facts(
        known=customer is not None,
        vip=bool(customer and customer.vip),
        segment=customer.segment if customer else None,
        language=journey.language,
        attributes=customer.attributes if customer else {},
        data={**context.known, **journey.data()},
        now=now,
        calendars=scenario.hours,
    )


def transfer_for(
    scenario: m.Scenario,
    context: CallContext,
    journey: Journey,
    node_id: str,
    spec: m.TransferSpec,
) -> Transfer:
    """The router request: the spec's skills plus the language skill, VIP priority if set."""
    skills = list(spec.skills)
    language_skill = scenario.defaults.language_skills.get(journey.language)
    if language_skill and language_skill not in skills:
        skills.append(language_skill)
    priority = spec.priority if spec.priority is not None else scenario.defaults.priority
    if context.customer is not None and context.customer.vip and spec.vip_priority is not None:
        priority = spec.vip_priority
    intent = spec.intent or journey.intent
    return Transfer(node_id, spec.service, tuple(skills), priority, intent, journey.language)
