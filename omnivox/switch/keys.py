"""Typed application keys of channel switching."""

from __future__ import annotations

from aiohttp import web

from omnivox.switch.service import SwitchService

SERVICE = web.AppKey("switch_service", SwitchService)
