"""The shipped routing configuration serves every queue the shipped scenarios transfer to."""

from __future__ import annotations

from pathlib import Path

import yaml

from ivr.scenario import ScenarioSet
from ivr.scenario import model as m
from routing.core.config import parse_config

ROOT = Path(__file__).resolve().parent.parent


def transfer_services(scenario: m.Scenario) -> set[str]:
    found = set()
    for node in scenario.nodes.values():
        if isinstance(node, m.Transfer):
            found.add(node.spec.service)
        if isinstance(node, m.Menu):
            found.update(o.transfer.service for o in node.options if o.transfer is not None)
    return found


def test_every_scenario_queue_has_a_service() -> None:
    config = parse_config(yaml.safe_load((ROOT / "config" / "routing.yaml").read_text()))
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    wanted = {s for scenario in scenarios for s in transfer_services(scenario)}
    assert wanted, "the scenarios transfer somewhere"
    assert wanted <= set(config.services), sorted(wanted - set(config.services))
