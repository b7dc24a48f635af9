"""Readable results: one line per script, and for a failure every step and expectation with
its place in the script (expected vs got), what the caller heard and the journey's path."""

from __future__ import annotations

import os
from collections.abc import Sequence

from customers.records import JourneyRecord
from omnivox.simulate.caller import StepResult
from omnivox.simulate.checks import Check
from omnivox.simulate.results import CallResult, ScriptResult

MARKS = {"passed": "ok  ", "failed": "FAIL", "not_reached": "--  ", "check": "?   "}
NOTABLE = {
    "resume",
    "caller_hangup",
    "transfer",
    "hangup",
    "invalid",
    "no_input",
    "exhausted",
    "prefill",
    "channel_switch",
    "failed",
}


def where(path: str, line: int) -> str:
    """``path:line`` with the path relative to the working directory when it is under it."""
    try:
        shown = os.path.relpath(path)
    except ValueError:
        shown = path
    return f"{path if shown.startswith('..') else shown}:{line}"


def summary_line(result: ScriptResult) -> str:
    """``PASS  qa/file.yaml  name  (2 calls, 1.4 s)`` or SKIP/ERROR with the reason."""
    mark = {"passed": "PASS ", "failed": "FAIL ", "skipped": "SKIP ", "error": "ERROR"}[
        result.status
    ]
    head = f"{mark} {where(result.script.path, 1).rsplit(':', 1)[0]}  {result.name}"
    if result.status in ("skipped", "error"):
        return f"{head}: {result.note}"
    calls = len(result.calls)
    return f"{head}  ({calls} call{'s' if calls != 1 else ''}, {result.seconds:.1f} s)"


def detail(result: ScriptResult) -> list[str]:
    """The per-step report of a script that failed (or errored during a call)."""
    out = [summary_line(result)]
    for call in result.calls:
        out.extend(_call(result, call))
    return out


def _call(result: ScriptResult, call: CallResult) -> list[str]:
    path = result.script.path
    journey = call.journey
    ids = f"journey {journey.id}, " if journey is not None else ""
    verdict = "passed" if call.passed else "FAILED"
    out = [
        f"  call {call.number} from {call.caller} ({ids}uniqueid {call.line.uniqueid}): {verdict}"
    ]
    if call.line.error:
        out.append(f"    driver error: {call.line.error}")
    for step in call.steps:
        out.extend(_step(path, step))
    if call.checks:
        out.append("    expect:")
        out.extend(_check(path, c) for c in call.checks)
    heard = " | ".join(p.label(60) for p in call.heard) or "nothing"
    out.append(f"    heard: {heard}")
    out.extend(f"    {line}" for line in journey_lines(journey))
    return out


def _step(path: str, step: StepResult) -> list[str]:
    mark = MARKS.get(step.status, step.status)
    line = f"    {mark}  {where(path, step.step.pos.line)}  {step.number}. {step.step.describe()}"
    if step.status == "not_reached":
        return [f"{line}  (not reached)"]
    if step.status == "failed":
        return [line, f"          {step.detail}"]
    return [f"{line}  -> {step.detail}" if step.detail else line]


def _check(path: str, check: Check) -> str:
    spot = where(path, check.pos.line)
    if check.skipped:
        return f"    skip  {spot}  {check.name}: {check.got}"
    if check.passed:
        return f"    ok    {spot}  {check.name}: {check.got}"
    return f"    FAIL  {spot}  {check.name}: expected {check.expected}, got {check.got}"


def journey_lines(journey: JourneyRecord | None) -> list[str]:
    """The journey's path (nodes, keys, notable results) and how it ended."""
    if journey is None:
        return ["journey: none stored"]
    groups: list[tuple[str, list[str], list[str]]] = []  # node, inputs, notable results
    for step in journey.path:
        if not groups or groups[-1][0] != step["node"]:
            groups.append((step["node"], [], []))
        if step.get("input") is not None:
            groups[-1][1].append(str(step["input"]))
        result = step.get("detail", {}).get("result")
        if result in NOTABLE and result not in groups[-1][2]:
            groups[-1][2].append(result)
    steps = [
        node + "".join(f"={i}" for i in inputs) + (f" ({', '.join(notes)})" if notes else "")
        for node, inputs, notes in groups
    ]
    service = f", queue {journey.service}" if journey.service else ""
    return [
        f"journey: {' > '.join(steps) or '(empty)'}",
        f"outcome: {journey.status} at {journey.stopped_at}{service}",
    ]


def totals(results: Sequence[ScriptResult]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    for result in results:
        counts[result.status] += 1
    return counts


def footer(results: Sequence[ScriptResult], seconds: float) -> str:
    c = totals(results)
    parts = [f"{c['passed']} passed", f"{c['failed']} failed"]
    parts += [f"{c[k]} {k}" for k in ("skipped", "error") if c[k]]
    return f"{len(results)} scripts: {', '.join(parts)} in {seconds:.1f} s"
