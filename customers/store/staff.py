"""Agents, skills and services. Skills named by an agent or a service are created on demand."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, exc, select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import validation as v
from customers.exceptions import Conflict, InvalidValue, NotFound
from customers.models import Agent, AgentSkill, Service, ServiceSkill, Skill
from customers.records import SYSTEM, Actor, AgentRecord, ServiceRecord
from customers.store.audit import AuditOps, check_actor
from customers.store.convert import agent_record, service_record

EDITABLE = ("name", "team", "role")  # what update_agent may change
_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/\S+$")  # TECH/resource, e.g. PJSIP/1001


def _endpoint(value: object) -> str:
    text = v.text("endpoint", value, max_length=100)
    if not _ENDPOINT.match(text):
        raise InvalidValue("endpoint", f"{text!r} is not TECH/resource (e.g. PJSIP/1001)")
    return text


def agent_changes(changes: Mapping[str, object]) -> dict[str, Any]:
    """``changes`` checked like :meth:`StaffOps.create_agent` checks them; only
    :data:`EDITABLE` fields, at least one."""
    for name in changes:
        if name not in EDITABLE:
            raise InvalidValue(name, f"cannot be changed here; one of {', '.join(EDITABLE)}")
    if not changes:
        raise InvalidValue("body", f"nothing to change; give {', '.join(EDITABLE)}")
    checks = {
        "name": lambda x: v.text("name", x),
        "team": lambda x: v.optional_text("team", x, max_length=100),
        "role": lambda x: v.one_of("role", x, v.AGENT_ROLES),
    }
    return {name: checks[name](value) for name, value in changes.items()}


class StaffOps(AuditOps):
    async def upsert_skill(self, name: str) -> int:
        """The id of the skill called ``name``, created if new."""
        name = v.text("skill", name, max_length=64)
        async with self._write() as session:
            return (await self._skill_ids(session, [name]))[name]

    async def create_agent(
        self,
        login: str,
        name: str,
        endpoint: str,
        *,
        role: str = "agent",
        team: str | None = None,
        password_hash: str | None = None,
        skills: Mapping[str, int] | None = None,
    ) -> AgentRecord:
        """A new agent with ``{skill: level 1..10}``; :class:`Conflict` if the login is taken."""
        row = Agent(
            login=v.text("login", login, max_length=64),
            name=v.text("name", name),
            endpoint=_endpoint(endpoint),
            role=v.one_of("role", role, v.AGENT_ROLES),
            team=v.optional_text("team", team, max_length=100),
            password_hash=v.optional_text("password_hash", password_hash, max_length=255),
        )
        levels = v.skill_levels("skills", skills or {})
        try:
            async with self._write() as session:
                session.add(row)
                await session.flush()
                await self._set_agent_skills(session, row.id, levels)
                return agent_record(row, levels)
        except exc.IntegrityError:
            raise Conflict(f"agent login {row.login!r} is already taken") from None

    async def set_agent_skills(self, agent: int | str, skills: Mapping[str, int]) -> AgentRecord:
        """Replace the agent's skills (by id or login) with ``{skill: level 1..10}``."""
        levels = v.skill_levels("skills", skills)
        async with self._write() as session:
            row = await self._agent(session, agent)
            if row is None:
                raise NotFound(f"agent {agent!r} does not exist")
            await self._set_agent_skills(session, row.id, levels)
            return agent_record(row, levels)

    async def update_agent(
        self, agent: int | str, changes: Mapping[str, object], *, actor: Actor = SYSTEM
    ) -> AgentRecord:
        """Change an agent's name, team or role (by id or login), checked like creation;
        audited as ``agent.update`` with the names of the fields that changed (and the new
        role). :class:`NotFound` for an unknown agent; :class:`Conflict` if it would leave
        no admin."""
        actor = check_actor(actor)
        values = agent_changes(changes)
        async with self._write() as session:
            row = await self._agent(session, agent, lock=True)
            if row is None:
                raise NotFound(f"agent {agent!r} does not exist")
            changed = sorted(k for k, x in values.items() if getattr(row, k) != x)
            if "role" in changed and row.role == "admin" and await self._admins(session) <= 1:
                raise Conflict(f"{row.login!r} is the last admin: make another admin first")
            for name in changed:
                setattr(row, name, values[name])
            if changed:
                detail: dict[str, Any] = {"fields": changed}
                if "role" in changed:
                    detail["role"] = row.role
                self._audit(session, actor, "agent.update", "agent", row.id, detail)
            await session.flush()
            return agent_record(row, (await self._agent_skills(session, [row.id]))[row.id])

    @staticmethod
    async def _admins(session: AsyncSession) -> int:
        query = select(Agent.id).where(Agent.role == "admin").with_for_update()
        return len(list(await session.scalars(query)))

    async def get_agent(self, agent: int | str) -> AgentRecord | None:
        """An agent by id (int) or login (str), with skills."""
        async with self._read() as session:
            row = await self._agent(session, agent)
            if row is None:
                return None
            return agent_record(row, (await self._agent_skills(session, [row.id]))[row.id])

    async def list_agents(self) -> list[AgentRecord]:
        """Every agent with skills, by login."""
        async with self._read() as session:
            rows = list(await session.scalars(select(Agent).order_by(Agent.login)))
            skills = await self._agent_skills(session, [r.id for r in rows])
            return [agent_record(r, skills[r.id]) for r in rows]

    async def upsert_service(
        self,
        name: str,
        *,
        priority: int = 0,
        sl_target_pct: float = 80.0,
        sl_threshold_s: int = 20,
        wrapup_s: int = 0,
        skills: Mapping[str, int] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """Create or replace a service (queue) and the ``{skill: min level}`` it needs."""
        values = {
            "name": v.text("name", name, max_length=100),
            "priority": v.integer("priority", priority),
            "sl_target_pct": v.number("sl_target_pct", sl_target_pct, low=0, high=100),
            "sl_threshold_s": v.integer("sl_threshold_s", sl_threshold_s, low=1),
            "wrapup_s": v.integer("wrapup_s", wrapup_s, low=0),
            "config": v.jsonable("config", v.mapping("config", config or {})),
        }
        levels = v.skill_levels("skills", skills or {})
        async with self._write() as session:
            insert = self._insert(session, Service).values(**values)
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[Service.name],
                    set_={k: x for k, x in values.items() if k != "name"},
                )
            )
            row = await session.scalar(
                select(Service)
                .where(Service.name == values["name"])
                .execution_options(populate_existing=True)
            )
            assert row is not None
            ids = await self._skill_ids(session, levels)
            await session.execute(delete(ServiceSkill).where(ServiceSkill.service_id == row.id))
            session.add_all(
                ServiceSkill(service_id=row.id, skill_id=ids[s], min_level=lvl)
                for s, lvl in levels.items()
            )
            await session.flush()
            return service_record(row, levels)

    async def get_service(self, name: str) -> ServiceRecord | None:
        async with self._read() as session:
            row = await session.scalar(select(Service).where(Service.name == name))
            if row is None:
                return None
            return service_record(row, (await self._service_skills(session, [row.id]))[row.id])

    async def list_services(self) -> list[ServiceRecord]:
        """Every service with its skill needs, highest priority first, then by name."""
        async with self._read() as session:
            rows = list(
                await session.scalars(
                    select(Service).order_by(Service.priority.desc(), Service.name)
                )
            )
            skills = await self._service_skills(session, [r.id for r in rows])
            return [service_record(r, skills[r.id]) for r in rows]

    async def _skill_ids(self, session: AsyncSession, names: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(names))
        if not wanted:
            return {}
        insert = self._insert(session, Skill).values([{"name": n} for n in wanted])
        await session.execute(insert.on_conflict_do_nothing(index_elements=[Skill.name]))
        rows = await session.execute(select(Skill.name, Skill.id).where(Skill.name.in_(wanted)))
        return {name: skill_id for name, skill_id in rows}

    async def _set_agent_skills(
        self, session: AsyncSession, agent_id: int, levels: Mapping[str, int]
    ) -> None:
        ids = await self._skill_ids(session, levels)
        await session.execute(delete(AgentSkill).where(AgentSkill.agent_id == agent_id))
        session.add_all(
            AgentSkill(agent_id=agent_id, skill_id=ids[s], level=lvl) for s, lvl in levels.items()
        )
        await session.flush()

    @staticmethod
    async def _agent(
        session: AsyncSession, agent: int | str, *, lock: bool = False
    ) -> Agent | None:
        if isinstance(agent, str):
            query = select(Agent).where(Agent.login == agent)
        else:
            query = select(Agent).where(Agent.id == v.integer("agent", agent))
        return await session.scalar(query.with_for_update() if lock else query)

    @staticmethod
    async def _agent_skills(
        session: AsyncSession, agent_ids: list[int]
    ) -> dict[int, dict[str, int]]:
        found: dict[int, dict[str, int]] = {i: {} for i in agent_ids}
        rows = await session.execute(
            select(AgentSkill.agent_id, Skill.name, AgentSkill.level)
            .join(Skill, Skill.id == AgentSkill.skill_id)
            .where(AgentSkill.agent_id.in_(agent_ids))
        )
        for agent_id, name, level in rows:
            found[agent_id][name] = level
        return found

    @staticmethod
    async def _service_skills(
        session: AsyncSession, service_ids: list[int]
    ) -> dict[int, dict[str, int]]:
        found: dict[int, dict[str, int]] = {i: {} for i in service_ids}
        rows = await session.execute(
            select(ServiceSkill.service_id, Skill.name, ServiceSkill.min_level)
            .join(Skill, Skill.id == ServiceSkill.skill_id)
            .where(ServiceSkill.service_id.in_(service_ids))
        )
        for service_id, name, level in rows:
            found[service_id][name] = level
        return found
