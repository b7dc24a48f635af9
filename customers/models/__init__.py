"""The tables of the customer store (SQLAlchemy 2 typed declarative)."""

from customers.models.base import Base, UTCDateTime
from customers.models.customer import Customer, Identity, Interaction, ProfileData
from customers.models.governance import ApiKey, AuditEntry, ErasedCount, Erasure, Merge
from customers.models.journey import Journey
from customers.models.reporting import AgentStateRecord, ContactRecord
from customers.models.staff import Agent, AgentSkill, Service, ServiceSkill, Skill
from customers.models.switch import ResumeToken, SmsOutbox

__all__ = [
    "Agent",
    "AgentSkill",
    "AgentStateRecord",
    "ApiKey",
    "AuditEntry",
    "Base",
    "ContactRecord",
    "Customer",
    "ErasedCount",
    "Erasure",
    "Identity",
    "Interaction",
    "Journey",
    "Merge",
    "ProfileData",
    "ResumeToken",
    "Service",
    "ServiceSkill",
    "Skill",
    "SmsOutbox",
    "UTCDateTime",
]
