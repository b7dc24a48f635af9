"""The compiled form of one language's intent definitions, and the evidence a transcript gives.

Every word of an intent's keywords (strength 1.0) and of its example phrases (0.5, stop words
left out) is a *term*. A term shared by several intents is worth less to each: its weight for
intent I is ``strength(I) * strength(I) / sum(strength over intents)``, so "bill" (billing
only) counts fully while "internet" (support and sales) counts about half to each. A heard
word meets a term when a stem of one equals a stem of the other (1.0; 0.9 for a 3-letter
stem), or within an edit or two (0.8, 0.65). A multi-word keyword ("не работает", "set top
box") adds its weight again when all of its words are heard, in any order. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from speech.fuzzy import NearMissIndex
from speech.text import is_stop_word, stems, tokens

KEYWORD = 1.0
PHRASE_WORD = 0.5
SIMILARITY_BY_EDITS = {1: 0.8, 2: 0.65}
SHORT_STEM = 0.9
MULTIWORD_MIN_SIMILARITY = 0.8
FUZZY_STEM = 6  # stems shorter than this are compared exactly (whole words by near miss too)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a transcript says for each intent: summed weight and the words that gave it."""

    totals: dict[str, float]
    matched: dict[str, list[str]]  # intent -> "heard" or "heard~term" entries


class LanguageIndex:
    """One language's terms, weights and lookup tables, built once from the definitions."""

    def __init__(
        self,
        language: str,
        intents: Sequence[tuple[str, Sequence[str], Sequence[str]]],
    ) -> None:
        """``intents``: (name, keywords, phrases) in priority order (ties go to the first)."""
        self.language = language
        self.order = [name for name, _, _ in intents]
        strength: dict[str, dict[str, float]] = defaultdict(dict)
        multi: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
        for name, keywords, phrases in intents:
            for keyword in keywords:
                words = self._content(keyword, keep_stop_words=True)
                if len(words) == 1:
                    _raise(strength[words[0]], name, KEYWORD)
                elif words:
                    multi[tuple(words)][name] = KEYWORD
                    for word in words:
                        if not is_stop_word(word, language):
                            _raise(strength[word], name, PHRASE_WORD)
            for phrase in phrases:
                for word in self._content(phrase, keep_stop_words=False):
                    _raise(strength[word], name, PHRASE_WORD)
        self.weights = {term: _weights(by_intent) for term, by_intent in strength.items()}
        self.multiword = {words: _weights(by_intent) for words, by_intent in multi.items()}
        self._by_stem: dict[str, set[str]] = defaultdict(set)
        for term in list(self.weights) + [w for words in self.multiword for w in words]:
            for s in stems(term, language):
                self._by_stem[s].add(term)
        words = self.vocabulary
        self._near = NearMissIndex(s for s in self._by_stem if s in words or len(s) >= FUZZY_STEM)

    def _content(self, text: str, *, keep_stop_words: bool) -> list[str]:
        words = tokens(text, self.language)
        if keep_stop_words:
            return words
        return [w for w in words if not is_stop_word(w, self.language)]

    @property
    def vocabulary(self) -> set[str]:
        """Every word the definitions use, as normalised."""
        return set(self.weights) | {w for words in self.multiword for w in words}

    def terms_for(self, heard: str) -> dict[str, float]:
        """Known terms ``heard`` may be a form or a near miss of, with a similarity 0..1."""
        found: dict[str, float] = {}
        for s in stems(heard, self.language):
            score = 1.0 if (len(s) >= 4 or s == heard) else SHORT_STEM
            for term in self._by_stem.get(s, ()):
                found[term] = max(found.get(term, 0.0), score)
            if len(s) < FUZZY_STEM and s != heard:
                continue
            for near, edits in self._near.lookup(s):
                if edits == 0:
                    continue
                for term in self._by_stem[near]:
                    found[term] = max(found.get(term, 0.0), SIMILARITY_BY_EDITS[edits])
        return found

    def evidence(self, heard_words: Iterable[str]) -> Evidence:
        """Sum each intent's evidence over the distinct content words heard."""
        totals: dict[str, float] = dict.fromkeys(self.order, 0.0)
        matched: dict[str, list[str]] = {name: [] for name in self.order}
        similar: dict[str, float] = {}  # term -> best similarity to any heard word
        for heard in dict.fromkeys(heard_words):
            terms = self.terms_for(heard)
            for term, sim in terms.items():
                similar[term] = max(similar.get(term, 0.0), sim)
            if is_stop_word(heard, self.language):
                continue
            for name in self.order:
                best, via = 0.0, ""
                for term, sim in terms.items():
                    value = sim * self.weights.get(term, {}).get(name, 0.0)
                    if value > best:
                        best, via = value, term
                if best > 0:
                    totals[name] += best
                    matched[name].append(heard if via == heard else f"{heard}~{via}")
        for words, by_intent in self.multiword.items():
            sims = [similar.get(w, 0.0) for w in words]
            if min(sims) < MULTIWORD_MIN_SIMILARITY:
                continue
            for name, weight in by_intent.items():
                totals[name] += weight * min(sims)
                matched[name].append(" ".join(words))
        return Evidence(totals, matched)


def _raise(by_intent: dict[str, float], name: str, value: float) -> None:
    by_intent[name] = max(by_intent.get(name, 0.0), value)


def _weights(by_intent: Mapping[str, float]) -> dict[str, float]:
    total = sum(by_intent.values())
    return {name: value * value / total for name, value in by_intent.items()}
