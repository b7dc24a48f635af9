"""The services as the decide-and-reserve script reads them (:mod:`routing.state.lua_decide`):
one JSON object per service, under a digest of the whole configuration, so instances with
different configurations on one Redis never read each other's.

Pure: the store writes :func:`service_configs` to ``cfg:<digest>`` and passes
:func:`top` with every call.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from routing.core.heads import MARGIN_S, ceiling
from routing.core.model import NO_LIVE, Service
from routing.core.relax import overflow_sources, step_thresholds


def service_config(service: Service, services: Mapping[str, Service]) -> dict[str, Any]:
    """What the script needs of ``service``: the contact score's parameters, the base
    requirements, each relaxation step with the wait from which it applies when no live
    state is known (``always``, ``after`` seconds, or neither: never), and the services
    that overflow to it (``from``: their lists hold contacts it may take)."""
    steps: list[dict[str, Any]] = []
    for step, threshold in zip(service.relax, step_thresholds(service, NO_LIVE), strict=True):
        out: dict[str, Any] = {
            "drop": sorted(step.drop),
            "set": dict(step.set),
            "add": [[skill, level] for skill, level in step.add.items()],  # in order
        }
        if threshold == -math.inf:
            out["always"] = True
        elif threshold != math.inf:
            out["after"] = float(threshold)
        if step.overflow_to is not None:
            out["to"] = step.overflow_to
            out["to_requires"] = dict(services[step.overflow_to].requires)
        steps.append(out)
    return {
        "priority": service.priority,
        "vip_lift": service.vip_lift,
        "behind_lift": service.behind_lift,
        "step": float(service.priority_step_s),
        "target": float(service.sl_target_s),
        "window": float(service.risk_window_s),
        "gain": float(service.sl_risk_gain),
        "requires": dict(service.requires),
        "steps": steps,
        "from": sorted(overflow_sources(services, [service.name])),
    }


def service_configs(services: Mapping[str, Service]) -> dict[str, str]:
    """Service name -> its JSON (:func:`service_config`)."""
    return {
        name: json.dumps(service_config(s, services), sort_keys=True, separators=(",", ":"))
        for name, s in sorted(services.items())
    }


def digest(configs: Mapping[str, str]) -> str:
    """A short name for one configuration (the JSON of every service)."""
    whole = json.dumps(sorted(configs.items()), separators=(",", ":"))
    return hashlib.sha1(whole.encode()).hexdigest()[:16]


def top(most: float, now: float) -> float:
    """What the script adds to a list's last index key to bound what lies below it: the
    same ``most + now + MARGIN_S`` as :func:`routing.core.heads.lists_to_extend`."""
    return most + now + MARGIN_S


__all__ = ["ceiling", "digest", "service_config", "service_configs", "top"]
