"""The mechanics under the engine: building actions, keeping the journey and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from ivr.scenario import model as m
from ivr.scenario.actions import Action, Collect, Hangup, Play, PromptRef, SpeechAsk
from ivr.scenario.calldata import initial_language, prompt_values, transfer_for
from ivr.scenario.context import CallContext
from ivr.scenario.journey import Journey, Status, Step
from ivr.scenario.prompting import render

Expects = Literal["menu", "digits", "confirm", "choice"]


class CallState:
    """A call's state and the actions it can emit; :class:`~ivr.scenario.engine.Call` adds
    what each node kind means."""

    def __init__(self, scenario: m.Scenario, context: CallContext) -> None:
        self.scenario = scenario
        self.context = context
        self.journey = Journey(scenario.name, scenario.version, initial_language(scenario, context))
        self._offset = 0
        self._waiting: str | None = None  # "play" or "collect"
        self._then: Callable[[], Action] | None = None  # what follows a Play / ChannelSwitch
        self._preface: list[PromptRef] = []  # prompts to put before the next one played

    @property
    def language(self) -> str:
        return self.journey.language

    @property
    def finished(self) -> bool:
        return self.journey.finished

    def _fail(self, reason: str) -> Action:
        where = self.journey.current or self.scenario.entry
        self._step(where, "", result="failed", reason=reason)
        return self._hangup(where, f"error: {reason}", "failed")

    # --- actions -----------------------------------------------------------------------

    def _play(
        self, node_id: str, prompts: list[PromptRef], then: Callable[[], Action], keys: str = ""
    ) -> Action:
        everything = tuple(self._preface + prompts)
        self._preface = []
        if not everything:
            return then()
        self._waiting, self._then = "play", then
        self.journey.stopped_at = node_id
        return Play(node_id, everything, keys)

    def _after_prompt(
        self, node_id: str, prompt: m.Prompt | None, then: Callable[[], Action]
    ) -> Action:
        return self._play(node_id, [self._render(prompt)] if prompt else [], then)

    def _collect(
        self,
        node: m.Interactive,
        prompts: list[PromptRef],
        max_digits: int,
        min_digits: int,
        terminator: str | None,
        expects: Expects,
        intents: tuple[str, ...] = (),
        speech: SpeechAsk | None = None,
    ) -> Action:
        everything = tuple(self._preface + prompts)
        self._preface = []
        self._waiting = "collect"
        self.journey.stopped_at = node.id
        timeout = node.timeout_ms or self.scenario.defaults.timeout_ms
        return Collect(
            node=node.id,
            prompts=everything,
            max_digits=max_digits,
            min_digits=min_digits,
            terminator=terminator,
            timeout_ms=timeout,
            expects=expects,
            intents=intents,
            speech=speech,
        )

    def _transfer(self, node_id: str, spec: m.TransferSpec) -> Action:
        action = transfer_for(self.scenario, self.context, self.journey, node_id, spec)
        self.journey.intent = action.intent
        self.journey.service = action.service
        self._finish("transferred", "transferred", node_id)
        self._step(
            node_id, "transfer", result="transfer", service=action.service, priority=action.priority
        )
        return action

    def _hangup(self, node_id: str, reason: str, status: Status) -> Action:
        self._finish(status, reason, node_id)
        self._step(node_id, "hangup", result="hangup", reason=reason)
        return Hangup(node_id, reason)

    def _finish(self, status: Status, reason: str, node_id: str) -> None:
        self.journey.status = status
        self.journey.end_reason = reason
        self.journey.stopped_at = node_id
        self.journey.current = node_id
        self._waiting = None

    # --- helpers -----------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.context.now + timedelta(milliseconds=self._offset)

    def _tick(self, now: datetime | None) -> None:
        if now is not None:
            elapsed = (now - self.context.now).total_seconds() * 1000
            self._offset = max(self._offset, int(elapsed))

    def _step(self, node_id: str, kind: str, given: str | None = None, **detail: object) -> None:
        self.journey.path.append(Step(node_id, kind, self._offset, given, dict(detail)))

    def _render(self, prompt: m.Prompt, **extra: str) -> PromptRef:
        values = prompt_values(self.context, self.journey, extra)
        return render(self.scenario, prompt, self.language, values)
