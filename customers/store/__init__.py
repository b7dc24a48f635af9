"""The customer store: one object giving every part of Omnivox its data as plain records."""

from customers.store.customers import CustomerOps
from customers.store.interactions import InteractionOps
from customers.store.journeys import JourneyOps
from customers.store.staff import StaffOps


class CustomerStore(CustomerOps, InteractionOps, JourneyOps, StaffOps):
    """``CustomerStore(sessionmaker, *, default_region="US", clock=utcnow)``.

    Every method opens its own session; every write is one transaction. Results are frozen
    dataclasses from :mod:`customers.records`, never ORM objects.
    """


__all__ = ["CustomerStore"]
