"""How a routing decision explains itself: plain data, JSON-ready through ``to_dict()``.

A :class:`Trace` is stored with the contact and shown in the agent's screen-pop ("why this
agent"): the relaxation step reached, the requirements in force, the score terms of the
contact and of the chosen agent, the runner-up, and the candidates rejected and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from routing.core.model import Requirement

MAX_LISTED_REJECTIONS = 20  # beyond this only the per-reason counts grow


class RejectReason(StrEnum):
    NOT_IN_SERVICE = "not_in_service"
    NOT_READY = "not_ready"  # offline or on a break
    BUSY = "busy"  # ringing, talking, wrapping up, or reserved earlier in the same pass
    RANG_OUT = "rang_out"  # already let this contact ring out
    MISSING_SKILL = "missing_skill"
    LEVEL_TOO_LOW = "level_too_low"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why ``agent_id`` could not take ``contact_id``."""

    agent_id: str
    reason: RejectReason
    skill: str | None = None
    level: int | None = None  # the agent's level of ``skill`` (LEVEL_TOO_LOW)
    required: int | None = None
    contact_id: str | None = None
    detail: str | None = None  # e.g. the agent's state or break reason

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"agent_id": self.agent_id, "reason": str(self.reason)}
        for name in ("skill", "level", "required", "contact_id", "detail"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def describe(self) -> str:
        if self.reason is RejectReason.LEVEL_TOO_LOW:
            return f"{self.agent_id}: {self.skill} level {self.level} < {self.required}"
        if self.reason is RejectReason.MISSING_SKILL:
            return f"{self.agent_id}: no {self.skill}"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.agent_id}: {self.reason.value.replace('_', ' ')}{extra}"


@dataclass(frozen=True, slots=True)
class ScoreTerms:
    """A score: ``rank`` sorts ascending (best first); ``terms`` are its named parts."""

    rank: tuple[float | str, ...]
    terms: dict[str, float]

    def to_dict(self) -> dict[str, object]:
        return dict(self.terms)


@dataclass(frozen=True, slots=True)
class Trace:
    """Everything one decision (or one failed search) considered."""

    contact_id: str
    service: str  # where the contact entered
    target_service: str  # after overflow, if any
    step_index: int  # last relaxation step applied; -1: none
    steps_applied: tuple[int, ...]
    step_reasons: tuple[str, ...]  # the triggers of each applied step, in words
    requirements: tuple[Requirement, ...]
    contact_score: ScoreTerms
    agent_score: ScoreTerms | None = None
    runner_up: str | None = None
    runner_up_score: ScoreTerms | None = None
    candidates: int = 0  # agents (or contacts, agent-driven) looked at
    rejections: tuple[Rejection, ...] = ()  # the first MAX_LISTED_REJECTIONS
    rejected_by_reason: dict[RejectReason, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "contact_id": self.contact_id,
            "service": self.service,
            "target_service": self.target_service,
            "step_index": self.step_index,
            "steps_applied": list(self.steps_applied),
            "step_reasons": list(self.step_reasons),
            "requirements": [r.to_dict() for r in self.requirements],
            "contact_score": self.contact_score.to_dict(),
            "agent_score": self.agent_score.to_dict() if self.agent_score else None,
            "runner_up": self.runner_up,
            "runner_up_score": self.runner_up_score.to_dict() if self.runner_up_score else None,
            "candidates": self.candidates,
            "rejections": [r.to_dict() for r in self.rejections],
            "rejected_by_reason": {str(k): n for k, n in self.rejected_by_reason.items()},
        }

    def summary(self, agent_id: str | None) -> str:
        """One line for the screen-pop: ``billing, step 1 (after 30 s): a7 — fit +1, ...``."""
        where = self.service
        if self.target_service != self.service:
            where += f" -> {self.target_service}"
        if self.step_index >= 0:
            where += f", step {self.step_index} ({self.step_reasons[-1]})"
        if agent_id is None or self.agent_score is None:
            head = f"{where}: no agent"
        else:
            t = self.agent_score.terms
            why = [f"fit +{t['fit_excess']:g}", f"idle {t['idle_s']:.0f} s"]
            if t["affinity"]:
                why.insert(0, "last served this customer")
            head = f"{where}: {agent_id} — {', '.join(why)}"
        if self.rejected_by_reason:
            by_reason = sorted((str(k), n) for k, n in self.rejected_by_reason.items())
            counts = ", ".join(f"{n} {k}" for k, n in by_reason)
            head += f"; rejected {counts}"
        return head


@dataclass(frozen=True, slots=True)
class Decision:
    """Offer ``contact_id`` to ``agent_id`` (None: no agent can take it now)."""

    contact_id: str
    agent_id: str | None
    trace: Trace

    def to_dict(self) -> dict[str, object]:
        return {
            "contact_id": self.contact_id,
            "agent_id": self.agent_id,
            "why": self.trace.summary(self.agent_id),
            "trace": self.trace.to_dict(),
        }
