"""IVR scenarios: the YAML call-flow format, its validation, and the pure call engine."""

from ivr.scenario.actions import (
    Action,
    ChannelSwitch,
    Collect,
    Digits,
    Done,
    Event,
    Hangup,
    NoInput,
    Play,
    PromptDone,
    PromptRef,
    SpeechAsk,
    SpeechIntent,
    SpeechResult,
    Transfer,
)
from ivr.scenario.context import CallContext, CustomerView, ResumePoint
from ivr.scenario.engine import Call
from ivr.scenario.journey import Collected, Journey, Step
from ivr.scenario.loader import load_scenario
from ivr.scenario.model import Scenario
from ivr.scenario.repository import ScenarioSet
from ivr.scenario.source import Problem, ScenarioError
from ivr.scenario.text import DigitsPart, FilePart, NumberPart, TextPart
from ivr.scenario.validate import load_valid, validate_file

__all__ = [
    "Action",
    "Call",
    "CallContext",
    "ChannelSwitch",
    "Collect",
    "Collected",
    "CustomerView",
    "Digits",
    "DigitsPart",
    "Done",
    "Event",
    "FilePart",
    "Hangup",
    "Journey",
    "NoInput",
    "NumberPart",
    "Play",
    "Problem",
    "PromptDone",
    "PromptRef",
    "ResumePoint",
    "Scenario",
    "ScenarioError",
    "ScenarioSet",
    "SpeechAsk",
    "SpeechIntent",
    "SpeechResult",
    "Step",
    "TextPart",
    "Transfer",
    "load_scenario",
    "load_valid",
    "validate_file",
]
