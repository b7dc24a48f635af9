"""JUnit XML for CI: one test case per script (per caller in load mode)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ivr.scenario.source import Problem
from omnivox.simulate.report import detail, journey_lines, totals
from omnivox.simulate.results import ScriptResult


def _classname(path: str) -> str:
    p = Path(path)
    return ".".join([*p.parent.parts[-1:], p.stem]) if p.parent.parts else p.stem


def build(
    results: Sequence[ScriptResult],
    *,
    suite: str,
    seconds: float,
    invalid: Sequence[Problem] = (),
) -> ET.ElementTree:
    """The report as an element tree; ``invalid`` scripts become test cases in error."""
    counts = totals(results)
    by_file: dict[str, list[Problem]] = {}
    for problem in invalid:
        by_file.setdefault(problem.file, []).append(problem)
    tests = len(results) + len(by_file)
    attrs = {
        "name": suite,
        "tests": str(tests),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"] + len(by_file)),
        "skipped": str(counts["skipped"]),
        "time": f"{seconds:.3f}",
    }
    root = ET.Element("testsuites", attrs)
    node = ET.SubElement(
        root, "testsuite", attrs | {"timestamp": datetime.now(UTC).isoformat(timespec="seconds")}
    )
    for file, problems in by_file.items():
        case = ET.SubElement(
            node, "testcase", {"classname": _classname(file), "name": Path(file).stem, "file": file}
        )
        error = ET.SubElement(
            case, "error", {"message": f"invalid script ({len(problems)} problems)"}
        )
        error.text = "\n".join(str(p) for p in problems)
    for result in results:
        case = ET.SubElement(
            node,
            "testcase",
            {
                "classname": _classname(result.script.path),
                "name": result.name,
                "file": result.script.path,
                "time": f"{result.seconds:.3f}",
            },
        )
        if result.status == "skipped":
            ET.SubElement(case, "skipped", {"message": result.note})
        elif result.status == "error":
            ET.SubElement(case, "error", {"message": result.note}).text = result.note
        elif result.status == "failed":
            failing = sum(1 for c in result.calls if not c.passed)
            failure = ET.SubElement(case, "failure", {"message": f"{failing} call(s) failed"})
            failure.text = "\n".join(detail(result))
        if result.calls:
            out = []
            for call in result.calls:
                out.append(f"call {call.number}: " + " | ".join(p.label() for p in call.heard))
                out.extend(journey_lines(call.journey))
            ET.SubElement(case, "system-out").text = "\n".join(out)
    ET.indent(root)
    return ET.ElementTree(root)


def write(
    path: str | Path,
    results: Sequence[ScriptResult],
    *,
    suite: str,
    seconds: float,
    invalid: Sequence[Problem] = (),
) -> None:
    """Write the JUnit XML file (UTF-8, with declaration)."""
    tree = build(results, suite=suite, seconds=seconds, invalid=invalid)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
