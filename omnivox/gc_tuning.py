"""The garbage collector of a long-running server, set once start-up is over.

Whatever start-up built (modules, scenarios, the ORM's tables, caches) lives as long as the
process: frozen, a full collection no longer walks it, so its pauses are those of the calls'
own objects. Young collections run less often, each one on more objects: fewer interruptions
of the event loop, and fewer objects promoted to the older generations on the way.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def settle_after_startup(young: int = YOUNG_THRESHOLD) -> None:
    """Collect, freeze what survives and raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
