"""Near-miss lookup: which known words are within a small edit distance of a heard one. Pure.

A symmetric-deletion index (the SymSpell idea): every known word is stored under each string
made by deleting up to ``max_edits(len)`` letters; a heard word's own deletions find the
candidates, and the true distance (with adjacent transpositions as one edit) confirms them.
Lookups cost a few dictionary probes instead of a distance against every known word.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import combinations


def max_edits(length: int) -> int:
    """Edits tolerated for a word this long: none under 5 letters, 1 up to 7, 2 from 8."""
    if length < 5:
        return 0
    return 1 if length < 8 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``; ``limit + 1`` once it exceeds it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


def _deletions(word: str, edits: int) -> Iterator[str]:
    yield word
    for n in range(1, edits + 1):
        if len(word) - n < 2:
            break
        for drop in combinations(range(len(word)), n):
            yield "".join(c for i, c in enumerate(word) if i not in drop)


class NearMissIndex:
    """Known words, looked up by a heard word within :func:`max_edits` of its length."""

    def __init__(self, known: Iterable[str]) -> None:
        self._by_deletion: dict[str, set[str]] = {}
        for word in set(known):
            for key in _deletions(word, max_edits(len(word))):
                self._by_deletion.setdefault(key, set()).add(word)

    def lookup(self, heard: str) -> list[tuple[str, int]]:
        """Known words near ``heard`` with their distance (0 for the word itself), nearest first."""
        limit = max_edits(len(heard))
        candidates: set[str] = set()
        for key in _deletions(heard, limit):
            candidates.update(self._by_deletion.get(key, ()))
        found = []
        for word in candidates:
            allowed = min(limit, max_edits(len(word)))
            d = distance(heard, word, allowed)
            if d <= allowed:
                found.append((word, d))
        return sorted(found, key=lambda item: (item[1], item[0]))
