"""Menu personalisation benchmark: synthetic customers call the telecom scenario, twice.

    .venv/bin/python bench/personalization.py [--customers 10000] [--seed 1] [--speech tts|wpm]

Each customer (``bench/population.py``) makes one call through the real scenario engine (no
Asterisk): once with every menu's ``personalize`` policy switched off (the static menu) and
once as shipped, with the same context (history, profile, language) both times. A simulated
caller presses their option's key as soon as its label has been spoken (barge-in), the same
way in both runs; every call must end at the service of the caller's intent. As shipped, a
promoted option is said in short (its ``promoted_label``) and a regular skips the intro.

Menu time is the audio of the menu prompts heard until that key press (menu nodes only: the
greeting and everything after the menu are the same in both runs). ``--speech tts`` measures
it: each text part synthesized once by the project's espeak-ng worker, digits from Asterisk's
own sound files; ``--speech wpm`` models it as words at a words-per-minute rate. Reaction time
and silence between prompts are not modelled. Keys: every key pressed in the call.
``--min-evidence`` and friends override the shipped policy, ``--full-labels`` says promoted
options with their full label (for what-if runs; printed).
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.population import (  # noqa: E402
    CallResult,
    Customer,
    PopulationParams,
    call_context,
    make_population,
    menu_labels,
    simulate_call,
)
from bench.prompt_time import MeasuredSpeech, Speech, WpmSpeech  # noqa: E402
from ivr.scenario import Scenario, load_valid  # noqa: E402
from ivr.scenario import model as m  # noqa: E402

SCENARIO = ROOT / "scenarios" / "telecom.yaml"
NOW = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # a Wednesday, 13:00 in Moscow: lines open
TARGET = 0.40  # the target: 40% less menu time for repeat callers
GROUPS = ("repeat", "new", "all")
REASONS = ("habit", "open_matter", "mailing", "novel")
DEFAULTS = PopulationParams()
POPULATION_FLAGS = ("new_share", "skew", "contacts_mean", "history_days")


# --- running the calls ----------------------------------------------------------------------


def with_policy(scenario: Scenario, **changes: Any) -> Scenario:
    """A copy whose menus have their ``personalize`` policy changed (``mode="off"``: static).

    Other overrides only touch menus that personalise in the file."""
    nodes = {
        nid: dataclasses.replace(n, policy=dataclasses.replace(n.policy, **changes))
        if isinstance(n, m.Menu) and (n.policy.mode != "off" or changes.get("mode") == "off")
        else n
        for nid, n in scenario.nodes.items()
    }
    return dataclasses.replace(scenario, nodes=nodes)


def without_promoted_labels(scenario: Scenario) -> Scenario:
    """A copy whose promoted options are said with their full label (what-if)."""
    nodes = {
        nid: dataclasses.replace(
            n, options=tuple(dataclasses.replace(o, promoted_label=None) for o in n.options)
        )
        if isinstance(n, m.Menu)
        else n
        for nid, n in scenario.nodes.items()
    }
    return dataclasses.replace(scenario, nodes=nodes)


@dataclass(frozen=True, slots=True)
class Pair:
    """One customer's call, with the static and with the personalised menu."""

    customer: Customer
    static: CallResult
    personal: CallResult


def run(customers: Sequence[Customer], scenario: Scenario, speech: Speech) -> list[Pair]:
    """Every customer's call through the static copy and through ``scenario`` itself."""
    static = with_policy(scenario, mode="off")
    labels = menu_labels(scenario)
    pairs = []
    for c in customers:
        ctx = call_context(c, NOW)
        before = simulate_call(static, c, ctx, speech.seconds, labels)
        after = simulate_call(scenario, c, ctx, speech.seconds, labels)
        pairs.append(Pair(c, before, after))
    return pairs


# --- figures --------------------------------------------------------------------------------


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def reduction(before: float, after: float) -> float:
    """How much less ``after`` is than ``before`` (0.4 = 40% less); NaN if before is not > 0."""
    return 1.0 - after / before if before > 0 else float("nan")


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def summarize(pairs: Sequence[Pair]) -> dict[str, float]:
    """Mean and p90 menu seconds, mean keys, reductions, and how often the menu changed."""
    out: dict[str, float] = {"callers": len(pairs)}
    for arm in ("static", "personal"):
        results: list[CallResult] = [getattr(p, arm) for p in pairs]
        out[f"{arm}_mean"] = mean([r.menu_seconds for r in results])
        out[f"{arm}_p90"] = percentile([r.menu_seconds for r in results], 0.9)
        out[f"{arm}_keys"] = mean([r.keys for r in results])
        out[f"{arm}_menu_keys"] = mean([r.menu_keys for r in results])
        out[f"{arm}_misrouted"] = sum(not r.reached_intent for r in results)
    out["reduction"] = reduction(out["static_mean"], out["personal_mean"])
    out["p90_reduction"] = reduction(out["static_p90"], out["personal_p90"])
    gains = [p.static.menu_seconds - p.personal.menu_seconds for p in pairs]
    out["promoted"] = mean([bool(p.personal.promoted) for p in pairs])
    out["first_hit"] = mean([p.personal.promoted[:1] == (p.customer.call_intent,) for p in pairs])
    out["faster"] = mean([g > 1e-9 for g in gains])
    out["slower"] = mean([g < -1e-9 for g in gains])
    return out


def pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{round(100 * value)}%"


def table(stats: dict[str, dict[str, float]], names: Sequence[str]) -> str:
    """One row per group: menu seconds static -> personalised, keys, how often it changed."""
    head = (
        f"{'callers':<12}{'n':>6} | {'mean menu s':>16} {'less':>5} | {'p90 menu s':>16} "
        f"{'less':>5} | {'keys/call':>12} | {'promoted':>8} {'1st':>4} {'faster':>6} {'slower':>6}"
    )
    rows = [head, "-" * len(head)]
    for name in names:
        s = stats[name]
        rows.append(
            f"{name:<12}{int(s['callers']):>6} | {arrow(s, 'mean', 6.2)} {pct(s['reduction']):>5}"
            f" | {arrow(s, 'p90', 6.2)} {pct(s['p90_reduction']):>5} | {arrow(s, 'keys', 4.1)}"
            f" | {pct(s['promoted']):>8} {pct(s['first_hit']):>4} {pct(s['faster']):>6}"
            f" {pct(s['slower']):>6}"
        )
    return "\n".join(rows)


def arrow(s: dict[str, float], what: str, width: float) -> str:
    """``static -> personalised`` for one figure, right-aligned."""
    spec = f">{width}f"
    return f"{s[f'static_{what}']:{spec}} -> {s[f'personal_{what}']:{spec}}"


def figures(stats: dict[str, dict[str, float]], **head: object) -> dict[str, object]:
    """The JSON line: the issue's keys first, then every group's figures."""
    out: dict[str, object] = {"benchmark": "personalization", **head}
    for name in GROUPS:
        out[f"{name}_callers_menu_time_reduction"] = round4(stats[name]["reduction"])
    for name in GROUPS:
        s = stats[name]
        out[f"{name}_callers"] = int(s["callers"])
        out[f"{name}_callers_p90_menu_time_reduction"] = round4(s["p90_reduction"])
        for arm, label in (("static", "static"), ("personal", "personalized")):
            out[f"{name}_{label}_mean_menu_seconds"] = round4(s[f"{arm}_mean"])
            out[f"{name}_{label}_p90_menu_seconds"] = round4(s[f"{arm}_p90"])
            out[f"{name}_{label}_mean_keys"] = round4(s[f"{arm}_keys"])
        out[f"{name}_misrouted_calls"] = int(s["static_misrouted"] + s["personal_misrouted"])
    new = stats["new"]["reduction"]
    met = stats["repeat"]["reduction"] >= TARGET and (math.isnan(new) or new >= -1e-9)
    out["target_repeat_callers_menu_time_reduction"] = TARGET
    out["target_met"] = met
    return out


def round4(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--speech", choices=("tts", "wpm"), default="tts")
    parser.add_argument("--wpm", type=float, default=175.0, help="rate for --speech wpm")
    population = parser.add_argument_group("population (see bench/population.py)")
    for name in POPULATION_FLAGS:
        flag = "--" + name.replace("_", "-")
        population.add_argument(flag, type=float, default=getattr(DEFAULTS, name))
    policy = parser.add_argument_group("what-if: override the shipped menu policy")
    policy.add_argument("--mode", choices=("renumber", "announce-first"))
    policy.add_argument("--max-promoted", type=int)
    policy.add_argument("--min-evidence", type=float)
    policy.add_argument("--half-life-days", type=float)
    policy.add_argument("--promote-fixed-keys", choices=("yes", "no"))
    policy.add_argument(
        "--full-labels", action="store_true", help="say promoted options with their full label"
    )
    args = parser.parse_args(argv)
    if args.customers < 1:
        parser.error(f"--customers must be >= 1, got {args.customers}")
    if not args.wpm > 0:
        parser.error(f"--wpm must be > 0, got {args.wpm}")
    try:
        args.params = PopulationParams(**{k: getattr(args, k) for k in POPULATION_FLAGS})
    except ValueError as exc:
        parser.error(str(exc))
    names = ("mode", "max_promoted", "min_evidence", "half_life_days")
    args.overrides = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    if args.promote_fixed_keys is not None:
        args.overrides["promote_fixed_keys"] = args.promote_fixed_keys == "yes"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = load_valid(SCENARIO)
    missing = sorted(set(args.params.mix) - set(menu_intents(scenario)))
    if missing:
        raise SystemExit(f"{SCENARIO}: no menu option for intent(s) {', '.join(missing)}")
    try:
        scenario = with_policy(scenario, **args.overrides)
    except ValueError as exc:
        raise SystemExit(f"policy override: {exc}") from None
    if args.full_labels:
        scenario = without_promoted_labels(scenario)
    started = time.perf_counter()
    customers = make_population(args.customers, args.seed, NOW, args.params)
    fallback = WpmSpeech(args.wpm)
    speech: Speech = MeasuredSpeech(fallback=fallback) if args.speech == "tts" else fallback
    try:
        pairs = run(customers, scenario, speech)
    finally:
        if isinstance(speech, MeasuredSpeech):
            speech.close()
    runtime = time.perf_counter() - started
    repeat = [p for p in pairs if p.customer.repeat]
    by_group = {"repeat": repeat, "new": [p for p in pairs if not p.customer.repeat], "all": pairs}
    by_reason = {r: [p for p in repeat if p.customer.call_reason == r] for r in REASONS}
    stats = {name: summarize(group) for name, group in {**by_group, **by_reason}.items()}
    policies = sorted({str(n.policy) for n in scenario.nodes.values() if isinstance(n, m.Menu)})

    where = SCENARIO.relative_to(ROOT)
    print(f"Menu personalisation, {where}: {len(pairs)} customers, seed {args.seed}")
    overridden = f" (OVERRIDDEN: {args.overrides})" if args.overrides else ""
    if args.full_labels:
        overridden += " (OVERRIDDEN: promoted options said with their full label)"
    print(f"menu policy{overridden}: {'; '.join(policies)}")
    print(f"population: {describe(args.params)}")
    print(f"speech: {speech.description}")
    print(
        "caller: presses their option's key as soon as its label has been spoken (barge-in);"
        " menu time = menu prompts heard until then (reaction time and pauses not modelled);"
        " keys = every key in the call (menu, account confirmation or number, billing offer)."
        " static = the same call with personalize: off. promoted / 1st / faster / slower: share"
        " of callers whose menu promoted options / put their intent first / took less / more time"
    )
    print()
    print(table(stats, GROUPS))
    print()
    print("repeat callers by what this call is about:")
    print(table(stats, REASONS))
    print()
    met = "met" if figures(stats)["target_met"] else "NOT met"
    print(f"target (repeat callers >= {pct(TARGET)} less menu time, new callers no worse): {met}")
    misrouted = stats["all"]["static_misrouted"] + stats["all"]["personal_misrouted"]
    print(f"calls that did not end at the service of the caller's intent: {int(misrouted)}")
    print(f"runtime: {runtime:.1f} s for {2 * len(pairs)} calls")
    head = {"scenario": "telecom", "customers": len(pairs), "seed": args.seed}
    head |= {"speech": args.speech, "policy_overrides": args.overrides}
    head |= {"full_labels": args.full_labels}
    print(json.dumps(figures(stats, **head, runtime_seconds=round(runtime, 2))))
    return 0


def menu_intents(scenario: Scenario) -> list[str]:
    nodes = scenario.nodes.values()
    return [o.intent for n in nodes if isinstance(n, m.Menu) for o in n.options if o.intent]


def describe(params: PopulationParams) -> str:
    fields = dataclasses.asdict(params)
    mix = ", ".join(f"{k} {v:.0%}" for k, v in fields.pop("mix").items())
    return ", ".join(f"{k}={v:g}" for k, v in fields.items()) + f"; call mix: {mix}"


if __name__ == "__main__":
    sys.exit(main())
