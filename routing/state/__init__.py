"""Routing state: agents, waiting contacts and reservations, with atomic transitions.

:class:`RoutingState` is the contract; :class:`MemoryState` keeps it in process (embedded
mode) and :class:`RedisState` in Redis, shared by several router instances.
"""

from routing.state.base import MISSED, RoutingState
from routing.state.memory import MemoryState
from routing.state.model import (
    AGENT_SET_STATES,
    AgentView,
    Confirmed,
    ContactView,
    Heads,
    NotFound,
    Refused,
    RefuseReason,
    Released,
    Removed,
    Reservation,
    Snapshot,
    StaleVersion,
    StateError,
    Swept,
    TransitionError,
)
from routing.state.redis_state import DEFAULT_PREFIX, RedisState

__all__ = [
    "AGENT_SET_STATES",
    "DEFAULT_PREFIX",
    "MISSED",
    "AgentView",
    "Confirmed",
    "ContactView",
    "Heads",
    "MemoryState",
    "NotFound",
    "RedisState",
    "RefuseReason",
    "Refused",
    "Released",
    "Removed",
    "Reservation",
    "RoutingState",
    "Snapshot",
    "StaleVersion",
    "StateError",
    "Swept",
    "TransitionError",
]
