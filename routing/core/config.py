"""Routing configuration from plain data (what ``yaml.safe_load`` or ``json.load`` return).

Format::

    defaults:                 # optional: any service setting below except requires/relax
      sl_target_s: 20
    services:
      billing:
        requires: {billing: 5}          # skill -> minimum level 1..10
        priority: 0                     # levels; see routing.core.score
        sl_target_s: 20                 # service level: sl_percent % answered within this
        sl_percent: 80
        wrap_up_s: 30
        affinity_window_s: 86400        # 0: off
        priority_step_s: 60             # seconds of waiting one priority level is worth
        vip_lift: 2
        sl_risk_window_s: 10            # default: sl_target_s / 2
        sl_risk_gain: 1.0
        behind_lift: 1                  # while behind the service-level target ...
        sl_window_s: 900                # ... over this rolling window (routing.core.service_level)
        relax:
          - {after_s: 30, set: {billing: 3}}
          - {after_s: 60, set: {billing: 1}}
          - when: {no_eligible_ready: true, sl_at_risk: true, queue_length_at_least: 10}
            match: any                  # all (default) | any, over after_s and `when`
            add: {"lang_{language}": 5}
            drop: [billing]
          - {after_s: 120, overflow_to: general}
    agents:                   # the roster (used by replay; live agents come from adapters)
      a1:
        skills: {billing: 7, lang_ru: 5}
        services: [billing]   # default: every service whose required skills they all have
        team: north
        endpoint: PJSIP/1001

Errors are :class:`ConfigError` naming the offending path, e.g.
``services.billing.relax[1].after_s: must be a number``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routing.core.model import Agent, AgentState, RelaxStep, Service

SERVICE_NUMBERS = {
    "sl_target_s": 0.0,
    "sl_percent": 0.0,
    "wrap_up_s": 0.0,
    "affinity_window_s": 0.0,
    "priority_step_s": 0.0,
    "sl_risk_window_s": 0.0,
    "sl_risk_gain": 0.0,
    "sl_window_s": 1.0,
}  # name -> minimum
SERVICE_INTS = ("priority", "vip_lift", "behind_lift")
SERVICE_KEYS = frozenset(SERVICE_NUMBERS) | frozenset(SERVICE_INTS) | {"requires", "relax"}
STEP_KEYS = frozenset({"after_s", "when", "match", "set", "add", "drop", "overflow_to"})
WHEN_KEYS = frozenset({"no_eligible_ready", "sl_at_risk", "queue_length_at_least"})
AGENT_KEYS = frozenset({"skills", "services", "team", "endpoint"})


class ConfigError(ValueError):
    """A routing configuration error at ``path``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    services: dict[str, Service]
    agents: dict[str, Agent]  # state OFFLINE: a roster, not live state


def parse_config(data: object) -> RoutingConfig:
    """Build and validate a :class:`RoutingConfig` from plain data."""
    root = _mapping(data, "config")
    _known(root, {"defaults", "services", "agents"}, "config")
    defaults = _mapping(root.get("defaults", {}), "defaults")
    _known(defaults, SERVICE_KEYS - {"requires", "relax"}, "defaults")
    raw_services = _mapping(root.get("services"), "services")
    if not raw_services:
        raise ConfigError("services", "at least one service is required")
    names = set(raw_services)
    services = {
        name: _service(name, {**defaults, **_mapping(raw, f"services.{name}")}, names)
        for name, raw in raw_services.items()
    }
    raw_agents = _mapping(root.get("agents", {}), "agents")
    agents = {aid: _agent(str(aid), raw, services) for aid, raw in raw_agents.items()}
    return RoutingConfig(services, agents)


def _service(name: str, raw: Mapping[str, Any], names: set[str]) -> Service:
    path = f"services.{name}"
    _known(raw, SERVICE_KEYS, path)
    values: dict[str, Any] = {}
    for key, minimum in SERVICE_NUMBERS.items():
        if key in raw:
            values[key] = _number(raw[key], f"{path}.{key}", minimum)
    for key in SERVICE_INTS:
        if key in raw:
            values[key] = _int(raw[key], f"{path}.{key}")
    if "sl_percent" in values and values["sl_percent"] > 100:
        raise ConfigError(f"{path}.sl_percent", "must be at most 100")
    relax = raw.get("relax", [])
    if not isinstance(relax, list):
        raise ConfigError(f"{path}.relax", "must be a list of steps")
    steps = tuple(_step(step, f"{path}.relax[{i}]", name, names) for i, step in enumerate(relax))
    requires = _levels(raw.get("requires", {}), f"{path}.requires")
    return Service(name=name, requires=requires, relax=steps, **values)


def _step(data: object, path: str, own: str, names: set[str]) -> RelaxStep:
    raw = _mapping(data, path)
    _known(raw, STEP_KEYS, path)
    after = _number(raw["after_s"], f"{path}.after_s", 0.0) if "after_s" in raw else None
    when = _mapping(raw.get("when", {}), f"{path}.when")
    _known(when, WHEN_KEYS, f"{path}.when")
    flags = {}
    for key in ("no_eligible_ready", "sl_at_risk"):
        if key in when:
            if not isinstance(when[key], bool):
                raise ConfigError(f"{path}.when.{key}", "must be true or false")
            flags[key] = when[key]
    queue = None
    if "queue_length_at_least" in when:
        queue = _int(when["queue_length_at_least"], f"{path}.when.queue_length_at_least", 1)
    if after is None and not any(flags.values()) and queue is None:
        raise ConfigError(path, "needs a trigger: after_s or a `when` condition")
    match = raw.get("match", "all")
    if match not in ("all", "any"):
        raise ConfigError(f"{path}.match", "must be 'all' or 'any'")
    drop = raw.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(s, str) and s for s in drop):
        raise ConfigError(f"{path}.drop", "must be a list of skill names")
    overflow = raw.get("overflow_to")
    if overflow is not None:
        if not isinstance(overflow, str) or overflow not in names:
            raise ConfigError(f"{path}.overflow_to", f"unknown service {overflow!r}")
        if overflow == own:
            raise ConfigError(f"{path}.overflow_to", "a service cannot overflow to itself")
    step = RelaxStep(
        after_s=after,
        queue_length_at_least=queue,
        match=match,
        set=_levels(raw.get("set", {}), f"{path}.set"),
        add=_levels(raw.get("add", {}), f"{path}.add"),
        drop=frozenset(drop),
        overflow_to=overflow,
        **flags,
    )
    if not (step.set or step.add or step.drop or step.overflow_to):
        raise ConfigError(path, "needs an effect: set, add, drop or overflow_to")
    return step


def _agent(aid: str, data: object, services: Mapping[str, Service]) -> Agent:
    path = f"agents.{aid}"
    raw = _mapping(data, path)
    _known(raw, AGENT_KEYS, path)
    skills = _levels(raw.get("skills", {}), f"{path}.skills")
    if "services" in raw:
        listed = raw["services"]
        if not isinstance(listed, list):
            raise ConfigError(f"{path}.services", "must be a list of service names")
        for i, name in enumerate(listed):
            if name not in services:
                raise ConfigError(f"{path}.services[{i}]", f"unknown service {name!r}")
        member = frozenset(listed)
    else:
        member = frozenset(n for n, s in services.items() if set(s.requires) <= set(skills))
    extra = {}
    for key in ("team", "endpoint"):
        if key in raw:
            if not isinstance(raw[key], str):
                raise ConfigError(f"{path}.{key}", "must be a string")
            extra[key] = raw[key]
    return Agent(id=aid, skills=skills, state=AgentState.OFFLINE, services=member, **extra)


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if value is None:
        raise ConfigError(path, "is required")
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be a mapping, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or not key:
            raise ConfigError(f"{path}.{key}", "keys must be non-empty strings")
    return value


def _known(raw: Mapping[str, Any], allowed: frozenset[str] | set[str], path: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(
                f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
            )


def _number(value: object, path: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, "must be a number")
    if minimum is not None and value < minimum:
        raise ConfigError(path, f"must be at least {minimum:g}")
    return float(value)


def _int(value: object, path: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, "must be an integer")
    if minimum is not None and value < minimum:
        raise ConfigError(path, f"must be at least {minimum}")
    return value


def _levels(value: object, path: str) -> dict[str, int]:
    raw = _mapping(value, path)
    levels = {}
    for skill, level in raw.items():
        level = _int(level, f"{path}.{skill}")
        if not 1 <= level <= 10:
            raise ConfigError(f"{path}.{skill}", "skill level must be 1..10")
        levels[skill] = level
    return levels
