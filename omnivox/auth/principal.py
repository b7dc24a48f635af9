"""Who is asking: a signed-in agent, supervisor or admin, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("agent", "supervisor", "admin")
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "agent": ("desktop",),
    "supervisor": ("desktop", "team"),
    "admin": ("desktop", "team", "admin"),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request; ``id`` is the agent id in the store."""

    kind: str  # "agent": a person signed in to the desktop
    id: int
    login: str
    role: str
    team: str | None
    scopes: tuple[str, ...] = ()
    session: str | None = None  # the token id (for logout); None for non-session principals

    @classmethod
    def for_agent(
        cls, agent_id: int, login: str, role: str, team: str | None, session: str | None = None
    ) -> Principal:
        if role not in ROLE_SCOPES:
            raise ValueError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
        return cls("agent", agent_id, login, role, team, ROLE_SCOPES[role], session)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "login": self.login,
            "role": self.role,
            "team": self.team,
            "scopes": list(self.scopes),
        }


def may_watch(principal: Principal, agent_id: int, agent_team: str | None) -> bool:
    """Whether ``principal`` may see agent ``agent_id``'s pops, contacts and state.

    An agent sees only themself; a supervisor also their team (a team must be named on both);
    an admin sees everyone.
    """
    if principal.kind != "agent":
        return False
    if principal.id == agent_id or principal.role == "admin":
        return True
    return (
        principal.role == "supervisor"
        and principal.team is not None
        and principal.team == agent_team
    )
