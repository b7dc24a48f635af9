"""Loading a scenario file into :class:`~ivr.scenario.model.Scenario`, with positioned errors.

``load_scenario`` raises :class:`ScenarioError` for anything that stops the file from being
read as a scenario (syntax, wrong shapes, unknown keys or node kinds); cross-node checks
(targets, reachability, loops...) are in :mod:`ivr.scenario.validate`.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.scenario import model as m
from ivr.scenario.hours import Calendar, parse_days, parse_range
from ivr.scenario.load_nodes import NodeParser
from ivr.scenario.load_parts import Parts
from ivr.scenario.source import Pos, Problem, Reader, ScenarioError, Y

TOP_KEYS = (
    "name",
    "description",
    "languages",
    "default_language",
    "entry",
    "fields",
    "intents",
    "hours",
    "defaults",
    "resume",
    "nodes",
)
DEFAULT_KEYS = (
    "retries",
    "timeout_ms",
    "invalid",
    "no_input",
    "priority",
    "language_skills",
    "min_confidence",
)
VERSION_CHARS = 16


def scenario_version(content: bytes) -> str:
    """The content hash that identifies one version of a scenario file."""
    return hashlib.sha256(content).hexdigest()[:VERSION_CHARS]


def load_scenario(path: str | Path) -> m.Scenario:
    """Read and parse one scenario file; raises :class:`ScenarioError`."""
    scenario, problems = read_scenario(path)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def read_scenario(path: str | Path) -> tuple[m.Scenario | None, list[Problem]]:
    """The scenario (when it could be built) and every problem found while parsing it."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, 1, f"file is not UTF-8: {exc.reason}")]
    return parse_scenario(text, str(path), path.stem, path.parent, scenario_version(content))


def parse_scenario(
    text: str, file: str, name: str, base_dir: Path, version: str
) -> tuple[m.Scenario | None, list[Problem]]:
    """Parse scenario ``text`` (named ``name``, shown as ``file`` in problems)."""
    reader = Reader(file)
    root = reader.compose(text)
    top = reader.mapping(root, "a scenario file") if root is not None else None
    if top is None:
        return None, reader.problems
    reader.check_keys(top, TOP_KEYS, "the scenario")
    start = Pos(1, 1)
    declared_name = reader.text(top.get("name"), "name")
    if declared_name is not None and declared_name != name:
        reader.error(top["name"].pos, f"name {declared_name!r} differs from the file name {name!r}")
    languages = reader.texts(reader.require(top, "languages", "the scenario", start), "language")
    default = reader.text(
        reader.require(top, "default_language", "the scenario", start), "default_language"
    )
    default = default or (languages[0] if languages else "en")
    if languages and default not in languages:
        reader.error(
            top["default_language"].pos, f"default_language {default!r} is not in languages"
        )
    parts = Parts(reader, base_dir, default)
    entry = reader.text(reader.require(top, "entry", "the scenario", start), "entry")

    nodes: dict[str, m.AnyNode] = {}
    parser = NodeParser(parts)
    node_map = reader.mapping(reader.require(top, "nodes", "the scenario", start), "nodes")
    for node_id, node_y in (node_map or {}).items():
        node = parser.parse(node_id, node_y)
        if node is not None:
            nodes[node_id] = node

    intents: dict[str, m.Prompt] = {}
    for intent, label_y in (reader.mapping(top.get("intents"), "intents") or {}).items():
        label = parts.prompt(label_y, f"intents.{intent}", f"label of intent {intent!r}")
        if label is not None:
            intents[intent] = label

    scenario = m.Scenario(
        name=name,
        version=version,
        path=file,
        default_language=default,
        languages=languages or (default,),
        entry=entry or "",
        nodes=nodes,
        defaults=_defaults(parts, top.get("defaults")),
        hours=_calendars(reader, top.get("hours")),
        intents=intents,
        fields=reader.texts(top.get("fields"), "field"),
        resume=_resume(parts, top.get("resume")),
        description=reader.scalar(top.get("description"), str, "description") or "",
        unparsed=frozenset(node_map or {}) - set(nodes),
        where={key: value.pos for key, value in top.items()},
    )
    return scenario, reader.problems


def _defaults(parts: Parts, y: Y | None) -> m.Defaults:
    r = parts.reader
    body = r.mapping(y, "defaults")
    if body is None:
        return m.Defaults()
    r.check_keys(body, DEFAULT_KEYS, "defaults")
    args: dict = {}
    for key in ("retries", "timeout_ms", "priority"):
        value = r.integer(body.get(key), f"defaults {key}", low=1 if key == "timeout_ms" else 0)
        if value is not None:
            args[key] = value
    for key in ("invalid", "no_input"):
        handler, _ = parts.handler(body.get(key), f"defaults.{key}", f"defaults {key}")
        if handler is not None:
            args[key] = handler
    skills = r.mapping(body.get("language_skills"), "defaults language_skills") or {}
    args["language_skills"] = {
        lang: skill
        for lang, y_skill in skills.items()
        if (skill := r.text(y_skill, f"language skill for {lang!r}"))
    }
    confidence = r.scalar(body.get("min_confidence"), float, "defaults min_confidence")
    if confidence is not None:
        args["min_confidence"] = confidence
    return m.Defaults(**args)


def _resume(parts: Parts, y: Y | None) -> m.Resume | None:
    r = parts.reader
    body = r.mapping(y, "resume")
    if body is None or y is None:
        return None
    r.check_keys(body, ("window_minutes", "prompt"), "resume")
    window = r.integer(r.require(body, "window_minutes", "resume", y.pos), "window_minutes", low=1)
    prompt = parts.prompt(body.get("prompt"), "resume.prompt", "resume prompt")
    return m.Resume(window or 30, prompt)


def _calendars(r: Reader, y: Y | None) -> dict[str, Calendar]:
    out: dict[str, Calendar] = {}
    for name, cal_y in (r.mapping(y, "hours") or {}).items():
        what = f"hours calendar {name!r}"
        body = r.mapping(cal_y, what)
        if body is None:
            continue
        r.check_keys(body, ("timezone", "open", "closed_dates"), what)
        tz = r.text(r.require(body, "timezone", what, cal_y.pos), f"{what} timezone")
        if tz is not None:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                r.error(body["timezone"].pos, f"unknown time zone {tz!r} in {what}")
                tz = None
        weekly: dict[int, list[tuple[int, int]]] = {}
        for days, ranges_y in (r.mapping(body.get("open"), f"{what} open") or {}).items():
            try:
                day_list = parse_days(days)
            except ValueError as exc:
                r.error(ranges_y.key_pos, f"{what}: {exc}")
                continue
            if ranges_y.value == "closed":
                continue
            for spec in r.texts(ranges_y, f"{what} hours"):
                try:
                    span = parse_range(spec)
                except ValueError as exc:
                    r.error(ranges_y.pos, f"{what}: {exc}")
                    continue
                for day in day_list:
                    weekly.setdefault(day, []).append(span)
        closed: set[date] = set()
        for item in r.sequence(body.get("closed_dates"), f"{what} closed_dates"):
            value = item.value
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = date.fromisoformat(value)
            if isinstance(value, date):
                closed.add(value)
            else:
                r.error(item.pos, f"{what}: closed date {item.value!r} is not YYYY-MM-DD")
        if tz is not None:
            frozen = {day: tuple(sorted(spans)) for day, spans in weekly.items()}
            out[name] = Calendar(name, tz, frozen, frozenset(closed), cal_y.key_pos or cal_y.pos)
    return out
