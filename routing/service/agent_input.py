"""Creating and re-skilling agents from request data: the checks ``POST /api/agents`` and the
admin pages share, then the store (which validates every value) and the router.

Bad input raises :class:`customers.exceptions.InvalidValue` naming the field; a taken login
:class:`customers.exceptions.Conflict`; an unknown agent :class:`~customers.exceptions.NotFound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from customers.exceptions import InvalidValue
from customers.records import AgentRecord

REQUIRED_TEXT = ("login", "name", "endpoint")


class AgentStore(Protocol):
    async def create_agent(
        self, login: str, name: str, endpoint: str, **kw: Any
    ) -> AgentRecord: ...

    async def set_agent_skills(
        self, agent: int | str, skills: Mapping[str, int]
    ) -> AgentRecord: ...


class AgentRouter(Protocol):
    async def add_agent(self, record: AgentRecord) -> dict[str, Any]: ...


def agent_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``create_agent`` arguments of a request body (the store checks the values)."""
    for name in REQUIRED_TEXT:
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InvalidValue(name, "is required (text)")
    return {
        "login": data["login"],
        "name": data["name"],
        "endpoint": data["endpoint"],
        "role": data.get("role", "agent"),
        "team": data.get("team"),
        "skills": skill_map(data.get("skills", {})),
    }


def skill_map(skills: object) -> Mapping[str, int]:
    """``skills`` if it is a mapping (levels are the store's to check)."""
    if not isinstance(skills, Mapping):
        raise InvalidValue("skills", "must map skill -> level 1..10")
    return skills


async def create_agent(
    store: AgentStore, router: AgentRouter, data: Mapping[str, Any]
) -> dict[str, Any]:
    """A new agent in the store, registered with the router (offline); the router's view."""
    record = await store.create_agent(**agent_fields(data))
    return await router.add_agent(record)


async def set_skills(
    store: AgentStore, router: AgentRouter, agent: int | str, skills: object
) -> dict[str, Any]:
    """Replace an agent's skills and levels; the router serves them at once, state kept."""
    record = await store.set_agent_skills(agent, skill_map(skills))
    return await router.add_agent(record)
