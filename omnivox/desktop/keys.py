"""Typed application keys of the desktop (what ``setup`` puts in the aiohttp app)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from customers.store import CustomerStore
from omnivox.desktop.hub import PopHub
from omnivox.desktop.pop import AgentCache

STORE = web.AppKey("desktop_store", CustomerStore)
HUB = web.AppKey("desktop_hub", PopHub)
PRESENCE = web.AppKey("desktop_presence", Any)  # an AgentPresence
AGENTS = web.AppKey("desktop_agents", AgentCache)
CLOCK = web.AppKey("desktop_clock", Callable[[], float])
SOCKETS = web.AppKey("desktop_sockets", set)  # open WebSocketResponses, closed at shutdown
