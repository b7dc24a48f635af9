"""Prompt templates: fixed text with ``{field}`` / ``{field|filter}`` placeholders, no eval.

A formatted prompt is a tuple of parts: fixed text (pre-rendered at load time), digits and
numbers (spoken with Asterisk's own digit sounds), dynamic text (rendered at call time) and
recordings. ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

FILTERS = ("digits", "last4", "number", "text", "label")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([A-Za-z0-9_]+))?\}")
_SPEAKABLE = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Placeholder:
    field: str
    filter: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed prompt text: literal strings and placeholders in order."""

    source: str
    items: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(i for i in self.items if isinstance(i, Placeholder))

    def fixed_fragments(self) -> tuple[str, ...]:
        """The literal pieces as they are spoken between placeholders (what gets pre-rendered)."""
        return tuple(f for f in (_fragment(i) for i in self.items if isinstance(i, str)) if f)


class TemplateError(ValueError):
    pass


def parse_template(source: str) -> Template:
    """Split ``source`` into text and placeholders; raises :class:`TemplateError`."""
    items: list[str | Placeholder] = []
    literal: list[str] = []
    pos = 0
    for match in [*_PLACEHOLDER.finditer(source), None]:
        raw = source[pos : match.start() if match else len(source)]
        for stray in ("{", "}"):
            if stray in raw:
                raise TemplateError(
                    f"unmatched {stray!r} in prompt text {source!r} (write {stray * 2} for one)"
                )
        literal.append(raw)
        if match is None:
            break
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        name, flt = match.group(1), match.group(2)
        if flt is not None and flt not in FILTERS:
            raise TemplateError(f"unknown filter {flt!r} in {token} (known: {', '.join(FILTERS)})")
        items.append("".join(literal))
        literal = []
        items.append(Placeholder(name, flt))
    items.append("".join(literal))
    return Template(source, tuple(i for i in items if i != ""))


def _fragment(text: str) -> str:
    text = " ".join(text.split()).lstrip(".,;:?! ")
    return text if _SPEAKABLE.search(text) else ""


# --- formatted parts ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text to speak; ``fixed`` text was known at load time and is pre-rendered."""

    text: str
    fixed: bool = True


@dataclass(frozen=True, slots=True)
class DigitsPart:
    """Digits to say one by one (AGI ``SAY DIGITS``)."""

    digits: str


@dataclass(frozen=True, slots=True)
class NumberPart:
    """A whole number (AGI ``SAY NUMBER``)."""

    number: int


@dataclass(frozen=True, slots=True)
class FilePart:
    """A recorded prompt file (absolute path, as declared relative to the scenario file)."""

    path: str


Part = TextPart | DigitsPart | NumberPart | FilePart


def format_template(
    template: Template, values: Mapping[str, str], label: Callable[[str], str | None]
) -> tuple[tuple[Part, ...], str]:
    """The parts to play and the whole text; a placeholder without a value says nothing.

    ``label`` gives the spoken label of an intent (for ``|label``) in the call's language.
    """
    parts: list[Part] = []
    words: list[str] = []
    for item in template.items:
        if isinstance(item, str):
            words.append(item)
            fragment = _fragment(item)
            if fragment:
                parts.append(TextPart(fragment))
            continue
        value = values.get(item.field)
        if value is None or value == "":
            continue
        part = _value_part(str(value), item.filter, label)
        if part is None:
            continue
        parts.append(part)
        words.append(
            part.digits
            if isinstance(part, DigitsPart)
            else str(part.number)
            if isinstance(part, NumberPart)
            else part.text
            if isinstance(part, TextPart)
            else ""
        )
    return tuple(parts), " ".join("".join(words).split())


def _value_part(value: str, flt: str | None, label: Callable[[str], str | None]) -> Part | None:
    if flt == "label":
        spoken = label(value)
        return TextPart(spoken) if spoken else TextPart(value, fixed=False)
    if flt == "last4":
        digits = re.sub(r"\D", "", value)[-4:]
        return DigitsPart(digits) if digits else None
    if flt == "text":
        return TextPart(value, fixed=False)
    if flt == "number" and re.fullmatch(r"-?\d{1,15}", value):
        return NumberPart(int(value))
    if flt == "digits":
        digits = re.sub(r"[^0-9*#]", "", value)  # "+7 900-..." is said digit by digit
        return DigitsPart(digits) if digits else None
    if flt is None and re.fullmatch(r"[0-9*#]+", value):
        return DigitsPart(value)
    return TextPart(value, fixed=False)
