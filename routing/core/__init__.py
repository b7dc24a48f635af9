"""Pure routing decision core: which ready agent takes which waiting contact, and why.

No Redis, no asyncio, no I/O: adapters pass agents, contacts, services and live state in and
act on the returned :class:`Decision` list. See :mod:`routing.core.decide` for the rule and
the index contract, :mod:`routing.core.score` for the exact scores, and
:mod:`routing.core.replay` for offline what-if runs.
"""

from routing.core.config import ConfigError, RoutingConfig, parse_config
from routing.core.decide import (
    UnknownService,
    assign,
    best_agent_for_contact,
    best_contact_for_agent,
    eligible,
    why_not,
)
from routing.core.model import (
    Agent,
    AgentState,
    Contact,
    RelaxStep,
    Requirement,
    Service,
    ServiceLive,
    requirements,
)
from routing.core.relax import (
    Effective,
    RequirementCache,
    effective_requirements,
    live_snapshot,
)
from routing.core.score import Affinity, agent_score, contact_score, index_key
from routing.core.trace import Decision, Rejection, RejectReason, ScoreTerms, Trace

__all__ = [
    "Affinity",
    "Agent",
    "AgentState",
    "ConfigError",
    "Contact",
    "Decision",
    "Effective",
    "RejectReason",
    "Rejection",
    "RelaxStep",
    "RequirementCache",
    "Requirement",
    "RoutingConfig",
    "ScoreTerms",
    "Service",
    "ServiceLive",
    "Trace",
    "UnknownService",
    "agent_score",
    "assign",
    "best_agent_for_contact",
    "best_contact_for_agent",
    "contact_score",
    "effective_requirements",
    "eligible",
    "index_key",
    "live_snapshot",
    "parse_config",
    "requirements",
    "why_not",
]
