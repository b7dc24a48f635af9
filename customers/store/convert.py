"""ORM rows to the plain records callers get."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from customers.models import Agent, Customer, Identity, Interaction, Journey, Service
from customers.records import (
    AgentRecord,
    CustomerRecord,
    IdentityRecord,
    InteractionRecord,
    JourneyRecord,
    ServiceRecord,
)


def identity_record(row: Identity) -> IdentityRecord:
    return IdentityRecord(
        id=row.id,
        customer_id=row.customer_id,
        kind=row.kind,
        value=row.value,
        verified=row.verified,
        created_at=row.created_at,
    )


def customer_record(row: Customer, identities: Iterable[Identity]) -> CustomerRecord:
    return CustomerRecord(
        id=row.id,
        display_name=row.display_name,
        segment=row.segment,
        vip=row.vip,
        language=row.language,
        attributes=dict(row.attributes),
        created_at=row.created_at,
        merged_into=row.merged_into,
        identities=tuple(identity_record(i) for i in identities),
    )


def interaction_record(row: Interaction) -> InteractionRecord:
    return InteractionRecord(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        direction=row.direction,  # type: ignore[arg-type]  # CHECK constraint keeps it in/out
        occurred_at=row.occurred_at,
        intent=row.intent,
        topic=row.topic,
        summary=row.summary,
        outcome=row.outcome,
        open=row.open,
        agent_id=row.agent_id,
        journey_id=row.journey_id,
        data=dict(row.data),
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
    )


def journey_record(row: Journey) -> JourneyRecord:
    return JourneyRecord(
        id=row.id,
        call_id=row.call_id,
        scenario=row.scenario,
        scenario_version=row.scenario_version,
        customer_id=row.customer_id,
        caller=row.caller,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=row.status,
        stopped_at=row.stopped_at,
        path=list(row.path),
        inputs=dict(row.inputs),
        menus=list(row.menus),
        service=row.service,
        intent=row.intent,
        resume_token=row.resume_token,
    )


def agent_record(row: Agent, skills: Mapping[str, int]) -> AgentRecord:
    return AgentRecord(
        id=row.id,
        login=row.login,
        name=row.name,
        endpoint=row.endpoint,
        role=row.role,
        team=row.team,
        created_at=row.created_at,
        skills=dict(sorted(skills.items())),
        password_hash=row.password_hash,
    )


def service_record(row: Service, skills: Mapping[str, int]) -> ServiceRecord:
    return ServiceRecord(
        id=row.id,
        name=row.name,
        priority=row.priority,
        sl_target_pct=row.sl_target_pct,
        sl_threshold_s=row.sl_threshold_s,
        wrapup_s=row.wrapup_s,
        skills=dict(sorted(skills.items())),
        config=dict(row.config),
    )
