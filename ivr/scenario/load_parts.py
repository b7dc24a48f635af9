"""Parsing the pieces nodes share: prompts, error handlers, transfer specs, conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ivr.scenario import conditions as c
from ivr.scenario.model import Handler, Prompt, TransferSpec
from ivr.scenario.source import Pos, Reader, Y
from ivr.scenario.text import Template, TemplateError, parse_template


@dataclass
class Parts:
    """A reader plus what prompt parsing needs: the scenario's directory and languages."""

    reader: Reader
    base_dir: Path
    default_language: str

    def prompt(self, y: Y | None, prompt_id: str, what: str) -> Prompt | None:
        """``"text"`` (default language), ``{en: ..., ru: ...}``, ``{file: path}`` or
        ``{file: {en: path, ru: path}}``, or a mix of texts and ``file``."""
        r = self.reader
        if y is None:
            return None
        if isinstance(y.value, str):
            template = self.template(y, what)
            texts = {self.default_language: template} if template else {}
            return Prompt(prompt_id, texts, {}, y.pos)
        m = r.mapping(y, what)
        if m is None:
            return None
        texts: dict[str, Template] = {}
        files: dict[str, str] = {}
        for key, value in m.items():
            if key == "file":
                files.update(self._files(value, what))
                continue
            template = self.template(value, f"{what} text for {key!r}")
            if template is not None:
                texts[key] = template
        if not m:
            r.error(y.pos, f"{what} has no text and no file")
        return Prompt(prompt_id, texts, files, y.pos)

    def template(self, y: Y, what: str) -> Template | None:
        text = self.reader.text(y, what)
        if text is None:
            return None
        try:
            return parse_template(text)
        except TemplateError as exc:
            self.reader.error(y.pos, f"{what}: {exc}")
            return None

    def _files(self, y: Y, what: str) -> dict[str, str]:
        if isinstance(y.value, str):
            return {"*": str((self.base_dir / y.value).resolve())}
        m = self.reader.mapping(y, f"{what} file")
        out: dict[str, str] = {}
        for language, path in (m or {}).items():
            name = self.reader.text(path, f"{what} file for {language!r}")
            if name:
                out[language] = str((self.base_dir / name).resolve())
        return out

    def handler(self, y: Y | None, prompt_id: str, what: str) -> tuple[Handler | None, Pos | None]:
        """``{prompt: ..., target: node}``; returns the handler and its target's position."""
        m = self.reader.mapping(y, what)
        if m is None or y is None:
            return None, None
        self.reader.check_keys(m, ("prompt", "target"), what)
        prompt = self.prompt(m.get("prompt"), prompt_id, f"{what} prompt")
        target = self.reader.text(m.get("target"), f"{what} target")
        target_pos = m["target"].pos if "target" in m else None
        return Handler(prompt, target, y.pos), target_pos

    def transfer(self, m: dict[str, Y], what: str, pos: Pos) -> TransferSpec | None:
        r = self.reader
        service = r.text(m.get("service"), f"{what} service")
        if service is None:
            if "service" not in m:
                r.error(pos, f"{what} needs a 'service' (the queue to transfer to)")
            return None
        skills = r.texts(m.get("skills"), f"{what} skill")
        priority = r.integer(m.get("priority"), f"{what} priority", low=0)
        vip_priority = r.integer(m.get("vip_priority"), f"{what} vip_priority", low=0)
        intent = r.text(m.get("intent"), f"{what} intent")
        return TransferSpec(service, skills, priority, vip_priority, intent)

    # --- conditions ------------------------------------------------------------------

    def test(self, y: Y | None, what: str) -> c.Test | None:
        """One condition mapping; every key in it must hold."""
        r = self.reader
        m = r.mapping(y, what)
        if m is None or y is None:
            return None
        if not m:
            r.error(y.pos, f"{what} is empty")
            return None
        tests: list[c.Test] = []
        value_keys = {"present", "equals", "in", "matches"}
        if "field" in m and "attribute" in m:
            r.error(y.pos, f"{what}: test 'field' and 'attribute' in separate 'all' items")
            return None
        for key, value in m.items():
            match key:
                case "vip" | "known":
                    flag = r.scalar(value, bool, f"{what} {key}")
                    if flag is not None:
                        tests.append(c.Vip(flag) if key == "vip" else c.Known(flag))
                case "segment" | "language":
                    values = r.texts(value, f"{what} {key}")
                    tests.append(
                        c.Segment(values) if key == "segment" else c.Language(values, value.pos)
                    )
                case "hours":
                    name = r.text(value, f"{what} hours calendar")
                    if name:
                        tests.append(c.Hours(name, value.pos))
                case "field" | "attribute":
                    found = self._value_test(key, value, m, what)
                    if found:
                        tests.append(found)
                case "all" | "any":
                    inner = [self.test(t, f"{what} {key} item") for t in r.sequence(value, key)]
                    group = tuple(t for t in inner if t is not None)
                    tests.append(c.All(group) if key == "all" else c.Any_(group))
                case "not":
                    inner_test = self.test(value, f"{what} not")
                    if inner_test is not None:
                        tests.append(c.Not(inner_test))
                case _ if key in value_keys:
                    if "field" not in m and "attribute" not in m:
                        r.error(value.key_pos, f"{what}: {key!r} needs 'field' or 'attribute'")
                case _:
                    r.error(
                        value.key_pos,
                        f"unknown condition {key!r} in {what} (expected: vip, segment, "
                        "language, hours, known, field, attribute, all, any, not)",
                    )
        return tests[0] if len(tests) == 1 else c.All(tuple(tests))

    def _value_test(self, source: str, y: Y, m: dict[str, Y], what: str) -> c.Value | None:
        r = self.reader
        name = r.text(y, f"{what} {source}")
        if name is None:
            return None
        present = r.scalar(m.get("present"), bool, f"{what} present")
        equals: tuple[str, ...] | None = None
        if "equals" in m or "in" in m:
            equals = tuple(_plain_text(v) for v in (*_items(m.get("equals")), *_items(m.get("in"))))
        matches = r.text(m.get("matches"), f"{what} matches")
        if matches is not None:
            try:
                re.compile(matches)
            except re.error as exc:
                r.error(m["matches"].pos, f"bad regular expression {matches!r}: {exc}")
                matches = None
        if present is None and equals is None and matches is None:
            present = True
        return c.Value(source, name, present, equals, matches, y.pos)


def _items(y: Y | None) -> list[Y]:
    if y is None:
        return []
    return y.value if y.is_seq else [y]


def _plain_text(y: Y) -> str:
    value = y.value
    return str(value).lower() if isinstance(value, bool) else str(value)
