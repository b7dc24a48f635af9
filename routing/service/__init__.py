"""The router service: waiting calls and agents, decisions from ``routing.core``, call
control through ``routing.ami``. ``Registry`` holds the embedded (in-process) state."""

from routing.service.registry import AgentEntry, Registry, Waiting
from routing.service.router import Router

__all__ = ["AgentEntry", "Registry", "Router", "Waiting"]
