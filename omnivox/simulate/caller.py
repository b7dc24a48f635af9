"""The simulated caller: steps through a call's script as the IVR plays and asks. Pure.

A driver tells it what happens on the line — a prompt piece plays (:meth:`Caller.heard`), the
IVR waits for a key (:meth:`Caller.asked`), the call ends (:meth:`Caller.ended`) — and does
what the returned :class:`Reaction` says: wait, press one key, or hang up. Every step gets a
:class:`StepResult`; a failed step ends the call (the caller hangs up) and the rest are not
reached. Menu expectations are only marked here (status ``check``) and judged on the journey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from omnivox.simulate.heard import HeardPrompt, Transcript, normalized
from omnivox.simulate.model import (
    ExpectMenu,
    ExpectPrompt,
    HangUp,
    Press,
    PromptMatch,
    Say,
    Silence,
    Step,
    Wait,
)

NO_SPEECH = (
    "say needs speech recognition, and the server has no speech_model configured: the IVR"
    " asks with keys only"
)
KEYS_ONLY = "the IVR asked for a key: this question listens for keys only, not speech"


@dataclass
class StepResult:
    """What became of one step: passed, failed, not_reached, or check (judged later)."""

    step: Step
    number: int  # 1-based within the call
    status: str = "not_reached"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Reaction:
    """What the caller does now: wait ``delay`` seconds, then press ``key`` or hang up (or
    neither: listen on, or let a question time out)."""

    delay: float = 0.0
    key: str | None = None
    hangup: bool = False
    say: str | None = None  # a phrase to speak (at a speech question)
    keys: str = ""  # keys pressed at a speech question (all of the press at once)


def matches(match: PromptMatch, prompt: HeardPrompt) -> bool:
    if match.prompt_id is not None:
        return match.prompt_id in prompt.ids
    return normalized(match.text or "") in normalized(prompt.text)


class Caller:
    """One call's steps against what the line does."""

    def __init__(
        self,
        steps: Sequence[Step],
        transcript: Transcript,
        *,
        speech_note: str = NO_SPEECH,
        language: str = "en",
    ) -> None:
        self.results = [StepResult(step, i + 1) for i, step in enumerate(steps)]
        self.transcript = transcript
        self.speech_note = speech_note
        self.language = language  # the voice a ``say`` is spoken in
        self.aborted = False
        self._at = 0  # the current step
        self._typed = 0  # keys of the current press already pressed
        self._mark = 0  # prompts from this index on count for the current step

    @property
    def done(self) -> bool:
        return self._step() is None

    def heard(self, escape: str, said: str | None = None) -> Reaction:
        """A piece of a prompt plays (``escape``: keys that interrupt it; ``said``: the digits
        when the IVR speaks digits)."""
        prompt = self.transcript.current
        if self.aborted or prompt is None:
            return Reaction()
        position = len(self.transcript.prompts) - 1
        delay = 0.0
        while (step := self._step()) is not None:
            match step:
                case ExpectPrompt():
                    if position < self._mark or not matches(step.match, prompt):
                        return Reaction(delay)
                    self._mark = position
                    self._pass(f"heard {prompt.label()}")
                case Press(on_hearing=True) if self._typed == 0:
                    if said != step.keys:
                        return Reaction(delay)
                    return self._press_now(escape, delay, f"when the IVR said {said}")
                case Press(during=PromptMatch() as during) if self._typed == 0:
                    if position < self._mark or not matches(during, prompt):
                        return Reaction(delay)
                    return self._press_now(escape, delay, f"during {prompt.label()}")
                case Wait():
                    delay += step.seconds
                    self._pass("waited")
                case HangUp():
                    self._pass(f"hung up while hearing {prompt.label()}")
                    return Reaction(delay, hangup=True)
                case _:  # press, silence and say wait for the IVR's question
                    return Reaction(delay)
        return Reaction(delay)

    def asked(self) -> Reaction:
        """The IVR waits for a key."""
        if self.aborted:
            return Reaction()
        delay = 0.0
        while (step := self._step()) is not None:
            match step:
                case ExpectPrompt():
                    return self._abort(
                        f"the IVR asked for a key before {step.match} was heard", delay
                    )
                case Press(on_hearing=True) if self._typed == 0:
                    return self._abort(f"the IVR never said key {step.keys} before asking", delay)
                case Press(during=PromptMatch() as during) if self._typed == 0:
                    return self._abort(f"{during} was not heard before the IVR asked", delay)
                case Press():
                    return Reaction(delay, key=self._take_key("at the question"))
                case Wait():
                    delay += step.seconds
                    self._pass("waited")
                case Silence():
                    self._pass("stayed silent; the question timed out", heard_all=True)
                    return Reaction(delay)
                case HangUp():
                    self._pass("hung up at a question")
                    return Reaction(delay, hangup=True)
                case Say():
                    return self._abort(self.speech_note, delay)
        return Reaction(delay)  # nothing left to do: silence

    def listened(self) -> Reaction:
        """The IVR listens for speech or keys (a speech question; its prompt plays on the
        audio stream, not as prompts the caller can name)."""
        if self.aborted:
            return Reaction()
        delay = 0.0
        while (step := self._step()) is not None:
            match step:
                case ExpectPrompt():
                    why = f"the IVR listened for speech before {step.match} was heard"
                    return self._abort(why, delay)
                case Press(on_hearing=True) | Press(during=PromptMatch()) if self._typed == 0:
                    return self._abort("the IVR listened for speech before the key was said", delay)
                case Press():
                    keys = step.keys[self._typed :]
                    self._pass(f"pressed {step.keys} (at a speech question)", heard_all=True)
                    return Reaction(delay, keys=keys)
                case Say():
                    self._pass(f"said {step.phrase!r} (at a speech question)", heard_all=True)
                    return Reaction(delay, say=step.phrase)
                case Wait():
                    delay += step.seconds
                    self._pass("waited")
                case Silence():
                    self._pass("stayed silent; the question timed out", heard_all=True)
                    return Reaction(delay)
                case HangUp():
                    self._pass("hung up at a speech question")
                    return Reaction(delay, hangup=True)
        return Reaction(delay)

    def speech_failed(self, why: str) -> None:
        """The audio of the previous step could not be sent: it fails, and the call ends."""
        done = [r for r in self.results if r.status == "passed"]
        if done:
            done[-1].status, done[-1].detail = "failed", why
        self.aborted = True
        self._at = len(self.results)

    def ended(self) -> None:
        """The call is over; a step still waiting fails, the ones after it are not reached."""
        step = self._step()
        if self.aborted or step is None:
            return
        result = self.results[self._at]
        result.status = "failed"
        why = "the IVR ended the call first" if isinstance(step, HangUp) else "the call ended"
        result.detail = f"{why} before this step; {self._heard_since()}"
        self._at = len(self.results)

    # --- mechanics -------------------------------------------------------------------

    def _step(self) -> Step | None:
        while self._at < len(self.results) and isinstance(self.results[self._at].step, ExpectMenu):
            self.results[self._at].status = "check"
            self._at += 1
        return self.results[self._at].step if self._at < len(self.results) else None

    def _pass(self, detail: str, *, heard_all: bool = False) -> None:
        """The current step passed; with ``heard_all`` what was heard so far cannot count for
        the next one (it acted on it: a key, a silence)."""
        result = self.results[self._at]
        result.status, result.detail = "passed", detail
        self._at += 1
        self._typed = 0
        if heard_all:
            self._mark = len(self.transcript.prompts)

    def _take_key(self, how: str) -> str:
        step = self.results[self._at].step
        assert isinstance(step, Press)
        key = step.keys[self._typed]
        self._typed += 1
        if self._typed == len(step.keys):
            self._pass(f"pressed {step.keys} ({how})", heard_all=True)
        return key

    def _press_now(self, escape: str, delay: float, how: str) -> Reaction:
        step = self.results[self._at].step
        assert isinstance(step, Press)
        if step.keys[0] not in escape:
            return self._abort(f"pressed {how}, but that prompt cannot be interrupted", delay)
        return Reaction(delay, key=self._take_key(how))

    def _abort(self, why: str, delay: float) -> Reaction:
        result = self.results[self._at]
        result.status = "failed"
        result.detail = f"{why}; {self._heard_since()}"
        self.aborted = True
        self._at = len(self.results)
        return Reaction(delay, hangup=True)

    def _heard_since(self) -> str:
        heard = self.transcript.prompts[self._mark :]
        if not heard:
            return "heard nothing since the previous step"
        shown = " | ".join(p.label(50) for p in heard[-6:])
        more = f"{len(heard) - 6} earlier, then " if len(heard) > 6 else ""
        return f"heard since the previous step: {more}{shown}"
