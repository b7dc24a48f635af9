"""QA call simulation: caller scripts (YAML, ``schema.json``) played against the IVR.

``omnivox simulate`` is :func:`omnivox.simulate.cli.main`. In code::

    scripts = load_scripts(["qa"], scenarios)                  # ScriptError if any is invalid
    async with embedded(settings) as target:                   # or running(settings, fastagi)
        driver = BuiltinDriver(target.fastagi.host, target.fastagi.port)
        results = await Runner(target, driver).run(scripts)    # [ScriptResult, ...]

Pure parts: :mod:`~omnivox.simulate.caller` (the caller stepping through a call),
:mod:`~omnivox.simulate.heard` (sounds back to prompts), :mod:`~omnivox.simulate.checks`
(judging the journey), :mod:`~omnivox.simulate.asterisk_line` (AMI events of one call).
"""

from omnivox.simulate.asterisk import AsteriskDriver
from omnivox.simulate.builtin import BuiltinDriver
from omnivox.simulate.caller import Caller, Reaction, StepResult
from omnivox.simulate.checks import Check
from omnivox.simulate.model import Script
from omnivox.simulate.results import CallResult, Line, ScriptResult
from omnivox.simulate.runner import Runner
from omnivox.simulate.scripts import ScriptError, load_scripts, read_script, read_scripts
from omnivox.simulate.targets import Target, embedded, running

__all__ = [
    "AsteriskDriver",
    "BuiltinDriver",
    "CallResult",
    "Caller",
    "Check",
    "Line",
    "Reaction",
    "Runner",
    "Script",
    "ScriptError",
    "ScriptResult",
    "StepResult",
    "Target",
    "embedded",
    "load_scripts",
    "read_script",
    "read_scripts",
    "running",
]
