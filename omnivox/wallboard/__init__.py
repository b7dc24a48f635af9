"""The supervisor wallboard: per service the callers waiting and the oldest wait, service level
today and agents by state with time in state, pushed live over ``/ws/wallboard``.

Wiring: ``board = Wallboard(router)``; ``bus.listeners.append(board.on_bus)``;
``setup(app, board)`` after the desktop (which mounts sign-in).
"""

from __future__ import annotations

from omnivox.wallboard.board import LevelCounts, ServiceLevelToday, build_board
from omnivox.wallboard.feed import Wallboard
from omnivox.wallboard.http import require_supervisor, setup

__all__ = [
    "LevelCounts",
    "ServiceLevelToday",
    "Wallboard",
    "build_board",
    "require_supervisor",
    "setup",
]
