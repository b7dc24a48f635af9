"""The supervisor wallboard: per service the callers waiting and the oldest wait, service level
today and live (the router's rolling window, behind target or not) and agents by state with
time in state, pushed live over ``/ws/wallboard``.

Wiring: ``board = Wallboard(router, store)``; ``bus.listeners.append(board.on_bus)`` (after
the reports' recorder, which writes the contact rows service level today is read from);
``setup(app, board)`` after the desktop (which mounts sign-in).
"""

from __future__ import annotations

from omnivox.wallboard.board import LevelCounts, build_board, day_bounds, live_level
from omnivox.wallboard.feed import Wallboard
from omnivox.wallboard.http import require_supervisor, setup

__all__ = [
    "LevelCounts",
    "Wallboard",
    "build_board",
    "day_bounds",
    "live_level",
    "require_supervisor",
    "setup",
]
