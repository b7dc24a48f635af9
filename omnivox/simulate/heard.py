"""What the caller heard, as prompts: the sounds and digits played, grouped back into the
scenario prompts they came from (a prompt's text pieces with the values said between them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from omnivox.simulate.prompts import Piece, PromptIndex

Key = tuple[str, str]  # (prompt id, language)
LABELS = "intents."  # the prompts a "{field|label}" placeholder speaks


def normalized(text: str) -> str:
    """Lower case, punctuation dropped, spaces collapsed: what text matching compares."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


@dataclass
class HeardPrompt:
    """One prompt as heard so far: the prompts it may be (with the next item each expects)."""

    next_item: dict[Key, int] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted({prompt_id for prompt_id, _ in self.next_item}))

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def label(self, width: int = 70) -> str:
        ids = "/".join(self.ids) or "?"
        text = self.text if len(self.text) <= width else self.text[: width - 3] + "..."
        return f'{ids} "{text}"'


class Transcript:
    """The prompts of one call in the order heard; feed it every sound and digit played."""

    def __init__(self, index: PromptIndex | None) -> None:
        self.index = index
        self.prompts: list[HeardPrompt] = []

    @property
    def current(self) -> HeardPrompt | None:
        return self.prompts[-1] if self.prompts else None

    def sound(self, name: str) -> HeardPrompt:
        """A ``STREAM FILE`` of ``name``."""
        pieces = self.index.pieces(name) if self.index is not None else ()
        if not pieces:
            return self._value(f"[{name}]")  # dynamic text (a name, say) or a foreign sound
        current = self.current
        if current is not None:
            going_on = self._continuing(current, pieces)
            if going_on:
                current.next_item = going_on
                current.words.append(pieces[0].text)
                return current
            label = any(p.prompt_id.startswith(LABELS) for p in pieces)
            if label and any(self._expects_value(current, k) for k in current.next_item):
                return self._value(pieces[0].text)  # an intent's label said by "{intent|label}"
        starts = {
            (p.prompt_id, p.language): p.index + 1 for p in pieces if self._only_values_before(p)
        }
        heard = HeardPrompt(starts or {(p.prompt_id, p.language): p.index + 1 for p in pieces})
        heard.words.append(pieces[0].text)
        self.prompts.append(heard)
        return heard

    def digits(self, digits: str) -> HeardPrompt:
        """A ``SAY DIGITS`` (or ``SAY NUMBER``) inside a prompt, or on its own."""
        return self._value(digits)

    def _value(self, text: str) -> HeardPrompt:
        current = self.current
        if current is not None:
            expecting = {
                k: i + 1 for k, i in current.next_item.items() if self._expects_value(current, k)
            }
            if expecting:
                current.next_item = expecting
                current.words.append(text)
                return current
        heard = HeardPrompt({}, [text])
        self.prompts.append(heard)
        return heard

    def _items(self, key: Key) -> tuple[str | None, ...]:
        return self.index.items.get(key, ()) if self.index is not None else ()

    def _expects_value(self, heard: HeardPrompt, key: Key) -> bool:
        items, at = self._items(key), heard.next_item[key]
        return at < len(items) and items[at] is None

    def _continuing(self, heard: HeardPrompt, pieces: tuple[Piece, ...]) -> dict[Key, int]:
        """Candidates of ``heard`` that this piece continues (placeholders without a value
        say nothing, so they may be skipped)."""
        out: dict[Key, int] = {}
        for piece in pieces:
            key = (piece.prompt_id, piece.language)
            at = heard.next_item.get(key)
            if at is None or piece.index < at:
                continue
            items = self._items(key)
            if all(item is None for item in items[at : piece.index]):
                out[key] = piece.index + 1
        return out

    def _only_values_before(self, piece: Piece) -> bool:
        items = self._items((piece.prompt_id, piece.language))
        return all(item is None for item in items[: piece.index])
