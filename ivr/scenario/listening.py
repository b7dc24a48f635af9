"""Retries at interactive nodes: declared failure handling, and speech that was not sure."""

from __future__ import annotations

from collections.abc import Callable

from ivr.scenario import model as m
from ivr.scenario.actions import Action, Event, SpeechResult
from ivr.scenario.call_state import CallState
from ivr.scenario.steps import failure_kind, on_failure

SPEECH_TRIES = 2  # an unsure recognition is asked again once, then the step takes keys only
SpeechSettings = m.SpeechSpec | m.GatherSpeech


class Listening(CallState):
    """Failure and speech-miss handling shared by menus, gathers and channel switches."""

    _failures: dict[str, int]
    _speech_misses: int

    def _goto(self, node_id: str | None) -> Action:
        raise NotImplementedError

    def _still_listening(self, spec: SpeechSettings | None) -> bool:
        """Speech is on at this step and has not been given up for keys."""
        return spec is not None and self._speech_misses < SPEECH_TRIES

    def _min_confidence(self, spec: SpeechSettings | None, node_value: float | None) -> float:
        for value in (spec.min_confidence if spec else None, node_value):
            if value is not None:
                return value
        return self.scenario.defaults.min_confidence

    def _speech_miss(
        self,
        node: m.Interactive,
        spec: SpeechSettings,
        event: SpeechResult,
        again: Callable[[], Action],
    ) -> Action:
        """Words heard but nothing sure enough: ask again once, then offer keys."""
        self._speech_misses += 1
        heard = {
            "transcript": event.transcript,
            "heard_intent": event.intent,
            "confidence": event.confidence,
        }
        given = f"speech:{event.intent}" if event.intent else None
        if self._speech_misses < SPEECH_TRIES:
            self._step(node.id, node.kind, given, result="speech_unsure", **heard)
            prompt = spec.retry_prompt or on_failure(node, self.scenario.defaults, "invalid", 1)[1]
        else:
            self._step(node.id, node.kind, given, result="speech_to_keys", **heard)
            prompt = spec.keys_prompt
        if prompt is not None:
            self._preface.append(self._render(prompt))
        return again()

    def _failure(
        self,
        node: m.Interactive,
        event: Event,
        again: Callable[[], Action],
        exhausted: Callable[[], Action] | None = None,
    ) -> Action:
        """Invalid entry or silence: the declared prompt and a retry, then the declared target."""
        kind, given = failure_kind(event)
        count = self._failures[kind] = self._failures.get(kind, 0) + 1
        retry, prompt, target = on_failure(node, self.scenario.defaults, kind, count)
        if retry:
            self._step(node.id, node.kind, given, result=kind, attempt=count)
            if prompt is not None:
                self._preface.append(self._render(prompt))
            return again()
        self._step(node.id, node.kind, given, result="exhausted", failure=kind)
        if exhausted is not None:
            return exhausted()
        if target is not None:
            return self._goto(target)
        return self._hangup(node.id, f"{kind}_retries_exhausted", "failed")
