"""The IVR's FastAGI adapter: a real call driven through the pure scenario engine."""

from ivr.call.handler import IvrHandler
from ivr.call.lookup import CallerLookup, CallStart
from ivr.call.player import AgiPlayer

__all__ = ["AgiPlayer", "CallStart", "CallerLookup", "IvrHandler"]
