"""The tables of the customer store (SQLAlchemy 2 typed declarative)."""

from customers.models.base import Base, UTCDateTime
from customers.models.customer import Customer, Identity, Interaction, ProfileData
from customers.models.journey import Journey
from customers.models.staff import Agent, AgentSkill, Service, ServiceSkill, Skill

__all__ = [
    "Agent",
    "AgentSkill",
    "Base",
    "Customer",
    "Identity",
    "Interaction",
    "Journey",
    "ProfileData",
    "Service",
    "ServiceSkill",
    "Skill",
    "UTCDateTime",
]
