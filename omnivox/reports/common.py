"""What every report shares: the :class:`Report` table, averages, percentages, sorting, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Report:
    """One table: ``columns`` name the keys of every row, in order; ``summary`` holds the
    totals and the definitions' parameters."""

    name: str
    columns: tuple[str, ...]
    rows: list[Row]
    summary: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "columns": list(self.columns),
            "rows": self.rows,
            "summary": self.summary,
        }

    def to_csv(self) -> str:
        """The rows as CSV with a header line; lists are joined by ``;``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(row.get(c)) for c in self.columns])
        return out.getvalue()

    def sorted_by(self, column: str, descending: bool) -> Report:
        """The same report with rows ordered by ``column``; empty cells always last."""
        if column not in self.columns:
            raise KeyError(column)
        present = [r for r in self.rows if r.get(column) is not None]
        empty = [r for r in self.rows if r.get(column) is None]
        present.sort(key=lambda r: _sort_key(r[column]), reverse=descending)
        return Report(self.name, self.columns, present + empty, self.summary)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (1, str(value))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    """``end - start`` in seconds (never negative), or None if either is missing."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def mean(values: Iterable[float | None], digits: int = 1) -> float | None:
    """The rounded mean of the values that are not None; None if there are none."""
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), digits) if present else None


def pct(part: float, whole: float, digits: int = 1) -> float | None:
    """``100 * part / whole`` rounded; None when ``whole`` is 0."""
    return round(100.0 * part / whole, digits) if whole else None


def group(items: Iterable[Any], key: Any) -> dict[Any, list[Any]]:
    """Items by ``key(item)``, keys in first-seen order."""
    out: dict[Any, list[Any]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


def table(
    name: str, columns: Sequence[str], rows: list[Row], summary: Mapping[str, Any] | None = None
) -> Report:
    return Report(name, tuple(columns), rows, dict(summary or {}))
