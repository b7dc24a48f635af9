"""The word list for Vosk's grammar mode, built from a step's intent definitions. Pure.

Grammar mode restricts the recogniser to these words (any sequence of them), which is faster
and far more accurate than the full vocabulary for a menu. ``[unk]`` lets out-of-grammar
speech come out as "unknown" instead of being forced onto the nearest listed word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from speech.intents import IntentSet
from speech.text import FILLERS

UNKNOWN = "[unk]"
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Grammar:
    """Words for the recogniser, and those left out because the model does not know them."""

    words: tuple[str, ...]
    dropped: tuple[str, ...] = ()
    unknown_token: bool = True  # add "[unk]" to the list handed to Vosk

    def to_json(self) -> str:
        """The JSON list ``KaldiRecognizer(model, rate, grammar)`` takes."""
        words = [*self.words, *([UNKNOWN] if self.unknown_token else [])]
        return json.dumps(words, ensure_ascii=False)


def grammar_words(
    intents: IntentSet,
    language: str,
    *,
    extra: Iterable[str] = (),
    fillers: bool = True,
    known: Callable[[str], bool] | None = None,
) -> Grammar:
    """Every word of ``language``'s keywords and phrases (and ``extra`` phrases), lower case.

    A word written with ``ё`` is listed in both spellings (models differ). ``fillers`` adds the
    language's hesitation words so "um, billing" is not forced onto a menu word. ``known``
    (e.g. :meth:`speech.recognizer.SpeechModel.knows`) drops words the model lacks; they are
    reported in ``dropped`` rather than silently ignored by Vosk.
    """
    texts: list[str] = []
    for intent in intents.definitions(language):
        texts.extend(intent.keywords)
        texts.extend(intent.phrases)
    texts.extend(extra)
    if fillers:
        texts.extend(sorted(FILLERS.get(language, ())))
    candidates: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(text.lower().replace("’", "'").replace("'", "")):
            candidates[word] = None
            if "ё" in word:
                candidates[word.replace("ё", "е")] = None
    if known is None:
        return Grammar(tuple(candidates))
    kept = tuple(w for w in candidates if known(w))
    kept_set = set(kept)
    dropped = tuple(w for w in candidates if w not in kept_set)
    return Grammar(kept, dropped, unknown_token=known(UNKNOWN))
