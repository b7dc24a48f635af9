"""Routing configuration from plain data: the documented example parses, mistakes are named."""

from __future__ import annotations

import pytest
import yaml

from routing.core import AgentState, ConfigError, RelaxStep, parse_config

EXAMPLE = """
defaults:
  sl_target_s: 30
services:
  billing:
    requires: {billing: 5}
    sl_percent: 90
    wrap_up_s: 15
    relax:
      - {after_s: 30, set: {billing: 3}}
      - {after_s: 60, set: {billing: 1}}
      - when: {no_eligible_ready: true, queue_length_at_least: 10}
        match: any
        add: {"lang_{language}": 5}
        drop: [billing]
      - {after_s: 120, overflow_to: general}
  general:
    requires: {general: 1}
    sl_target_s: 60
    priority: -1
agents:
  a1:
    skills: {billing: 7, general: 3}
    team: north
    endpoint: PJSIP/1001
  a2:
    skills: {general: 2}
    services: [general]
"""


def test_the_documented_shape_parses() -> None:
    config = parse_config(yaml.safe_load(EXAMPLE))
    billing, general = config.services["billing"], config.services["general"]
    assert billing.requires == {"billing": 5}
    assert (billing.sl_target_s, billing.sl_percent, billing.wrap_up_s) == (30.0, 90.0, 15.0)
    assert (general.sl_target_s, general.priority) == (60.0, -1)
    assert billing.relax[0] == RelaxStep(after_s=30.0, set={"billing": 3})
    assert billing.relax[2] == RelaxStep(
        no_eligible_ready=True,
        queue_length_at_least=10,
        match="any",
        add={"lang_{language}": 5},
        drop=frozenset({"billing"}),
    )
    assert billing.relax[3].overflow_to == "general"
    a1, a2 = config.agents["a1"], config.agents["a2"]
    assert a1.services == frozenset({"billing", "general"})  # derived from its skills
    assert (a1.team, a1.endpoint, a1.state) == ("north", "PJSIP/1001", AgentState.OFFLINE)
    assert a2.services == frozenset({"general"})


def broken(path: list[str | int], value: object) -> dict:
    data = yaml.safe_load(EXAMPLE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["services", "billing", "relax", 1, "after_s"],
            "soon",
            "services.billing.relax[1].after_s: must be a number",
        ),
        (
            ["services", "billing", "relax", 1, "after_s"],
            True,
            "services.billing.relax[1].after_s: must be a number",
        ),
        (
            ["services", "billing", "relax", 0, "after_s"],
            -1,
            "services.billing.relax[0].after_s: must be at least 0",
        ),
        (
            ["services", "billing", "relax", 3, "overflow_to"],
            "sales",
            "services.billing.relax[3].overflow_to: unknown service 'sales'",
        ),
        (
            ["services", "billing", "relax", 3, "overflow_to"],
            "billing",
            "services.billing.relax[3].overflow_to: a service cannot overflow to itself",
        ),
        (
            ["services", "billing", "relax", 2, "match"],
            "some",
            "services.billing.relax[2].match: must be 'all' or 'any'",
        ),
        (
            ["services", "billing", "relax", 2, "drop"],
            "billing",
            "services.billing.relax[2].drop: must be a list of skill names",
        ),
        (
            ["services", "billing", "relax", 2, "when"],
            {"soon": True},
            "services.billing.relax[2].when.soon: unknown key",
        ),
        (
            ["services", "billing", "relax", 2, "when"],
            {"sl_at_risk": "yes"},
            "services.billing.relax[2].when.sl_at_risk: must be true or false",
        ),
        (
            ["services", "billing", "relax", 0],
            {"set": {"billing": 3}},
            "services.billing.relax[0]: needs a trigger",
        ),
        (
            ["services", "billing", "relax", 0],
            {"after_s": 5},
            "services.billing.relax[0]: needs an effect",
        ),
        (
            ["services", "billing", "relax"],
            {"after_s": 5},
            "services.billing.relax: must be a list",
        ),
        (
            ["services", "billing", "requires", "billing"],
            11,
            "services.billing.requires.billing: skill level must be 1..10",
        ),
        (
            ["services", "billing", "requires", "billing"],
            2.5,
            "services.billing.requires.billing: must be an integer",
        ),
        (
            ["services", "billing", "sl_percent"],
            120,
            "services.billing.sl_percent: must be at most 100",
        ),
        (["services", "billing", "wrap_up"], 10, "services.billing.wrap_up: unknown key"),
        (["services", "general"], None, "services.general: is required"),
        (["services", "general"], [1], "services.general: must be a mapping, not list"),
        (
            ["agents", "a1", "skills", "billing"],
            0,
            "agents.a1.skills.billing: skill level must be 1..10",
        ),
        (
            ["agents", "a2", "services"],
            ["general", "sales"],
            "agents.a2.services[1]: unknown service 'sales'",
        ),
        (["agents", "a2", "team"], 5, "agents.a2.team: must be a string"),
        (["defaults", "relax"], [], "defaults.relax: unknown key"),
        (["routing"], {}, "config.routing: unknown key"),
    ],
)
def test_errors_name_the_offending_path(path, value, message) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(broken(path, value))
    assert str(caught.value).startswith(message)


def test_a_config_needs_services() -> None:
    with pytest.raises(ConfigError, match="^services: is required"):
        parse_config({"agents": {}})
    with pytest.raises(ConfigError, match="^services: at least one service is required"):
        parse_config({"services": {}})
    with pytest.raises(ConfigError, match="^config: must be a mapping, not str"):
        parse_config("services")
