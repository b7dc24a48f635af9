"""The customer store: one object giving every part of Omnivox its data as plain records."""

from customers.store.apikeys import ApiKeyOps
from customers.store.customers import CustomerOps
from customers.store.ingest import IngestOps
from customers.store.interactions import InteractionOps
from customers.store.journeys import JourneyOps
from customers.store.lookups import LookupOps
from customers.store.merges import MergeOps
from customers.store.privacy import PrivacyOps
from customers.store.reporting import ReportingOps
from customers.store.staff import StaffOps
from customers.store.switch import SwitchOps


class CustomerStore(
    CustomerOps,
    InteractionOps,
    JourneyOps,
    StaffOps,
    IngestOps,
    MergeOps,
    PrivacyOps,
    ApiKeyOps,
    LookupOps,
    ReportingOps,
    SwitchOps,
):
    """``CustomerStore(sessionmaker, *, default_region="US", clock=utcnow)``.

    Every method opens its own session; every write is one transaction. Results are frozen
    dataclasses from :mod:`customers.records`, never ORM objects. The omnichannel API's writes
    (``add_customer``, ``ingest_interaction``, merges, privacy, API keys) take an ``actor`` and
    write their audit entry in the same transaction.
    """


__all__ = ["CustomerStore"]
