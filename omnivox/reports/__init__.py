"""Reports: the recorder that keeps routing outcomes, pure report functions over the stored
history (one module per family), and their HTTP API and page (:mod:`omnivox.reports.http`)."""

from omnivox.reports.catalog import REPORTS, Query, Sources
from omnivox.reports.common import Report
from omnivox.reports.recorder import recorder

__all__ = ["REPORTS", "Query", "Report", "Sources", "recorder"]
