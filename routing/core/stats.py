"""Per-service outcome counters of a replay, and the side-by-side table of two runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass


@dataclass(slots=True)
class ServiceStats:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_in_sl: int = 0  # answered within the service's sl_target_s
    overflowed: int = 0  # answered by the overflow target
    unfinished: int = 0  # still waiting (or unroutable) when nothing was left to happen
    wait_answered_s: float = 0.0

    @property
    def sl_percent(self) -> float | None:
        """Answered within target / (answered + abandoned), in percent."""
        done = self.answered + self.abandoned
        return 100.0 * self.answered_in_sl / done if done else None

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer: mean wait of the answered contacts."""
        return self.wait_answered_s / self.answered if self.answered else None

    @property
    def abandon_percent(self) -> float | None:
        return 100.0 * self.abandoned / self.offered if self.offered else None

    def merge(self, other: ServiceStats) -> None:
        for name in ("offered", "answered", "abandoned", "answered_in_sl", "overflowed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unfinished += other.unfinished
        self.wait_answered_s += other.wait_answered_s

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out.update(sl_percent=self.sl_percent, asa_s=self.asa_s)
        out["abandon_percent"] = self.abandon_percent
        return out


METRICS: tuple[tuple[str, Callable[[ServiceStats], float | None], str], ...] = (
    ("offered", lambda s: s.offered, "{:.0f}"),
    ("answered", lambda s: s.answered, "{:.0f}"),
    ("abandoned", lambda s: s.abandoned, "{:.0f}"),
    ("overflowed", lambda s: s.overflowed, "{:.0f}"),
    ("unfinished", lambda s: s.unfinished, "{:.0f}"),
    ("service level %", lambda s: s.sl_percent, "{:.1f}"),
    ("ASA s", lambda s: s.asa_s, "{:.1f}"),
    ("abandon %", lambda s: s.abandon_percent, "{:.1f}"),
)


def side_by_side(
    a: Mapping[str, ServiceStats],
    b: Mapping[str, ServiceStats],
    labels: tuple[str, str] = ("A", "B"),
) -> str:
    """A plain-text table: one row per (service, metric), columns A, B and B - A.

    Services in name order, then ``all`` if either mapping has an ``all`` entry.
    """
    names = sorted((set(a) | set(b)) - {"all"}) + (["all"] if "all" in a or "all" in b else [])
    rows = [("service", "metric", labels[0], labels[1], f"{labels[1]}-{labels[0]}")]
    for name in names:
        sa, sb = a.get(name, ServiceStats()), b.get(name, ServiceStats())
        for i, (metric, read, fmt) in enumerate(METRICS):
            va, vb = read(sa), read(sb)
            delta = "-" if va is None or vb is None else ("{:+" + fmt[2:]).format(vb - va)
            rows.append((name if i == 0 else "", metric, _cell(va, fmt), _cell(vb, fmt), delta))
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = []
    for row in rows:
        left = f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}"
        right = "  ".join(f"{row[c]:>{widths[c]}}" for c in (2, 3, 4))
        lines.append(f"{left}  {right}")
    return "\n".join(lines) + "\n"


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)
