"""Dependency health: each dependency is a named async probe, or ``None`` when not configured."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class DependencyState:
    """What one probe found."""

    state: str  # "ok", "down" or "disabled"
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return (
            {"state": self.state, "detail": self.detail} if self.detail else {"state": self.state}
        )


class Health:
    """Runs the probes of every dependency; disabled ones are reported, not probed."""

    def __init__(
        self,
        probes: Mapping[str, Probe | None],
        *,
        disabled_detail: Mapping[str, str] | None = None,
        timeout: float = 2.0,
    ) -> None:
        self._probes = dict(probes)
        self._disabled_detail = dict(disabled_detail or {})
        self._timeout = timeout

    async def _run(self, name: str, probe: Probe | None) -> DependencyState:
        if probe is None:
            return DependencyState("disabled", self._disabled_detail.get(name, "not configured"))
        try:
            await asyncio.wait_for(probe(), self._timeout)
        except TimeoutError:
            return DependencyState("down", f"no answer within {self._timeout:g} s")
        except Exception as exc:  # a probe's failure is the answer, not an error of ours
            return DependencyState("down", f"{type(exc).__name__}: {exc}".strip())
        return DependencyState("ok")

    async def check(self) -> dict[str, DependencyState]:
        """Probe every dependency concurrently."""
        names = list(self._probes)
        states = await asyncio.gather(*(self._run(n, self._probes[n]) for n in names))
        return dict(zip(names, states, strict=True))
