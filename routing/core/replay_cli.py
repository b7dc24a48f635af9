"""``omnivox replay``: re-run recorded routing events through two configurations.

Usage: ``replay EVENTS.jsonl CONFIG_A CONFIG_B [--labels A B] [--json]``

EVENTS is JSON lines (see :mod:`routing.core.events`); each CONFIG is a routing
configuration in YAML or JSON (JSON is read as YAML; see :mod:`routing.core.config`).
Prints the side-by-side table (or both results as JSON); exit 0, or 2 with a one-line error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from routing.core.config import ConfigError, RoutingConfig, parse_config
from routing.core.events import Event, EventError, read_events
from routing.core.replay import replay
from routing.core.stats import side_by_side


class InputError(Exception):
    """A file that cannot be used; the message names it."""


def load_config(path: Path) -> RoutingConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where}: not valid YAML/JSON ({getattr(exc, 'problem', exc)})") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise InputError(f"{path}: {exc}") from None


def load_events(path: Path) -> list[Event]:
    try:
        with path.open(encoding="utf-8") as lines:
            return read_events(lines, str(path))
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    except EventError as exc:
        raise InputError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="omnivox replay", description="Replay routing events through two configurations."
    )
    parser.add_argument("events", type=Path, help="recorded events, JSON lines")
    parser.add_argument("config_a", type=Path, help="routing configuration A (YAML or JSON)")
    parser.add_argument("config_b", type=Path, help="routing configuration B (YAML or JSON)")
    parser.add_argument("--labels", nargs=2, default=["A", "B"], metavar=("A", "B"))
    parser.add_argument("--json", action="store_true", help="print both results as JSON")
    args = parser.parse_args(argv)
    try:
        events = load_events(args.events)
        config_a, config_b = load_config(args.config_a), load_config(args.config_b)
    except InputError as exc:
        print(f"omnivox replay: {exc}", file=sys.stderr)
        return 2
    a, b = replay(events, config_a), replay(events, config_b)
    label_a, label_b = args.labels
    if args.json:
        print(json.dumps({label_a: a.to_dict(), label_b: b.to_dict()}, indent=2))
        return 0
    table = side_by_side(
        {**a.services, "all": a.total}, {**b.services, "all": b.total}, (label_a, label_b)
    )
    sys.stdout.write(table)
    for label, result in ((label_a, a), (label_b, b)):
        if result.unknown_agents:
            names = ", ".join(sorted(result.unknown_agents))
            print(f"{label}: agents in the events but not in the config: {names}")
        if result.unrouted_services:
            names = ", ".join(sorted(result.unrouted_services))
            print(f"{label}: arrivals for services not in the config: {names}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
