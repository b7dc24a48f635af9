"""What a run produced: per call (steps, checks, what was heard, the journey) and per script."""

from __future__ import annotations

from dataclasses import dataclass, field

from customers.records import JourneyRecord
from omnivox.simulate.caller import StepResult
from omnivox.simulate.checks import Check
from omnivox.simulate.heard import HeardPrompt
from omnivox.simulate.model import Script
from omnivox.simulate.popchecks import AgentOutcome


@dataclass
class Line:
    """What a driver saw of one call on the line."""

    uniqueid: str | None = None  # the IVR channel's (the journey is stored under it)
    variables: dict[str, str] = field(default_factory=dict)  # set by the IVR
    setup_s: float | None = None  # call placed -> the IVR's first command
    seconds: float = 0.0
    turnaround: list[float] = field(default_factory=list)  # our reply -> the IVR's next command
    caller_hung_up: bool = False
    error: str | None = None  # the driver could not place or follow the call


@dataclass
class CallResult:
    """One call of a script, judged."""

    number: int  # 1-based within the script
    caller: str
    line: Line
    steps: list[StepResult]
    checks: list[Check]
    heard: list[HeardPrompt]
    journey: JourneyRecord | None
    agent: AgentOutcome | None = None  # who got the call (None: not followed)

    @property
    def passed(self) -> bool:
        return (
            self.line.error is None
            and all(s.status == "passed" for s in self.steps)
            and all(c.passed for c in self.checks)
        )


@dataclass
class ScriptResult:
    """One script: passed, failed, skipped (with the reason) or error (it could not run)."""

    script: Script
    status: str
    calls: list[CallResult] = field(default_factory=list)
    note: str = ""
    seconds: float = 0.0
    instance: int | None = None  # the caller's number in load mode

    @property
    def name(self) -> str:
        return self.script.name if self.instance is None else f"{self.script.name} #{self.instance}"
