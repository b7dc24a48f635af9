"""The scenario engine: a pure state machine stepping one call through one scenario.

No I/O and no asyncio: ``Call.start()`` and ``Call.feed(event)`` return the next
:mod:`action <ivr.scenario.actions>` for the adapter to perform. A call keeps the
:class:`Scenario` object it started with, so a reloaded file never changes a call in flight.
"""

from __future__ import annotations

from datetime import datetime

from ivr.personalize import MenuPlan, rank_menu
from ivr.scenario import model as m
from ivr.scenario.actions import (
    Action,
    Digits,
    Done,
    Event,
    NoInput,
    PromptDone,
    SpeechAsk,
    SpeechIntent,
    SpeechResult,
)
from ivr.scenario.calldata import call_facts
from ivr.scenario.conditions import evaluate
from ivr.scenario.context import CallContext
from ivr.scenario.gathering import Gathering
from ivr.scenario.journey import Collected
from ivr.scenario.steps import GatherState, menu_choice, plan_detail
from ivr.scenario.switching import Switching

ALL_KEYS = "0123456789*#"


class Call(Gathering, Switching):
    """One call walking a scenario; see :mod:`ivr.scenario.actions` for the adapter loop."""

    def __init__(
        self,
        scenario: m.Scenario,
        context: CallContext,
        *,
        max_auto_steps: int = 200,
        max_depth: int = 16,
    ) -> None:
        super().__init__(scenario, context)
        self.max_auto_steps = max_auto_steps
        self.max_depth = max_depth
        self._started = False
        self._failures: dict[str, int] = {}
        self._plan: MenuPlan | None = None
        self._gather: GatherState | None = None
        self._speech_misses = 0

    # --- public API ------------------------------------------------------------------

    def start(self, now: datetime | None = None) -> Action:
        """Begin the call: at the resume point if there is a usable one, else at the entry."""
        if self._started:
            raise RuntimeError("call already started")
        self._started = True
        self._tick(now)
        resume = self.context.resume
        if resume is not None:
            if resume.node in self.scenario.nodes:
                return self._resume(resume.node)
            self._step(resume.node, "resume", result="resume_ignored", reason="node is gone")
        return self._goto(self.scenario.entry)

    def feed(self, event: Event, now: datetime | None = None) -> Action:
        """The caller's (or the player's) answer to the last action; returns the next one."""
        if not self._started:
            raise RuntimeError("call not started: call start() first")
        self._tick(now)
        if self.journey.finished:
            return Done(self.journey.status)
        if self._waiting == "play":
            then, self._then, self._waiting = self._then, None, None
            assert then is not None
            return then()
        if isinstance(event, Digits) and not event.digits:
            event = NoInput()
        elif isinstance(event, PromptDone):
            event = NoInput()  # a Collect is answered by keys or silence
        node = self.scenario.nodes[self.journey.current or ""]
        if isinstance(node, m.Menu):
            return self._menu_input(node, event)
        if isinstance(node, m.Gather):
            return self._gather_input(node, event)
        if isinstance(node, m.ChannelSwitch):
            return self._switch_input(node, event)
        return self._fail(f"waiting at a {node.kind} node")

    def hangup(self, now: datetime | None = None) -> None:
        """The caller hung up: the journey is abandoned where it stopped."""
        self._tick(now)
        if self.journey.finished:
            return
        where = self.journey.current or self.scenario.entry
        self._finish("abandoned", "caller_hangup", where)
        node = self.scenario.nodes.get(where)
        self._step(where, node.kind if node else "", result="caller_hangup")

    # --- stepping --------------------------------------------------------------------

    def _goto(self, node_id: str | None) -> Action:
        for _ in range(self.max_auto_steps):
            node = self.scenario.nodes.get(node_id or "")
            if node is None:
                return self._fail(f"no node {node_id!r}")
            self.journey.current = node.id
            result = self._visit(node)
            if not isinstance(result, str):
                return result
            node_id = result
        return self._fail(f"{self.max_auto_steps} steps without waiting for the caller")

    def _visit(self, node: m.AnyNode) -> Action | str:
        """The action a node asks for, or the id of the node to go on to at once."""
        self._failures = {}
        self._speech_misses = 0
        match node:
            case m.Say():
                self._step(node.id, node.kind, result="entered")
                keys = ALL_KEYS if node.interruptible else ""
                prompts = [self._render(p) for p in node.prompts]
                return self._play(node.id, prompts, lambda: self._goto(node.next), keys)
            case m.Menu():
                self._plan = rank_menu(node.options, self.context.history, node.policy, self._now())
                detail = plan_detail(self._plan)
                self.journey.menus.append({"node": node.id, "offset_ms": self._offset, **detail})
                self._step(node.id, node.kind, result="entered", **detail)
                return self._menu_collect(node)
            case m.Gather():
                return self._gather_enter(node)
            case m.ChannelSwitch():
                self._step(node.id, node.kind, result="entered")
                return self._switch_collect(node)
            case m.Condition():
                facts = call_facts(self.scenario, self.context, self.journey, self._now())
                for i, branch in enumerate(node.branches):
                    if evaluate(branch.test, facts):
                        self._step(node.id, node.kind, result="branch", branch=i + 1)
                        return branch.then
                self._step(node.id, node.kind, result="branch", branch="else")
                return node.otherwise or ""
            case m.SetData():
                for name, value in node.data.items():
                    self.journey.collected[name] = Collected(value, "set")
                self.journey.intent = node.intent or self.journey.intent
                if node.language in self.scenario.languages:
                    self.journey.language = node.language
                self._step(node.id, node.kind, result="set", data=dict(node.data))
                return node.next or ""
            case m.Transfer():
                self._step(node.id, node.kind, result="entered")
                return self._after_prompt(
                    node.id, node.prompt, lambda: self._transfer(node.id, node.spec)
                )
            case m.Hangup():
                self._step(node.id, node.kind, result="entered")
                return self._after_prompt(
                    node.id, node.prompt, lambda: self._hangup(node.id, node.reason, "completed")
                )
            case m.Goto():
                self._step(node.id, node.kind, result="goto")
                return node.target or ""
            case m.CallFlow():
                if len(self.journey.return_stack) >= self.max_depth:
                    return self._fail(f"sub-flows nested deeper than {self.max_depth}")
                self.journey.return_stack += (node.next or "",)
                self._step(node.id, node.kind, result="call", flow=node.flow)
                return node.flow or ""
            case m.Return():
                if not self.journey.return_stack:
                    return self._fail("return outside a sub-flow")
                target = self.journey.return_stack[-1]
                self.journey.return_stack = self.journey.return_stack[:-1]
                self._step(node.id, node.kind, result="return", to=target)
                return target
        return self._fail(f"unknown node kind {node.kind!r}")

    def _resume(self, node_id: str) -> Action:
        resume = self.context.resume
        assert resume is not None
        for name, value in resume.collected.items():
            self.journey.collected[name] = Collected(value, "resume")
        self.journey.intent = resume.intent or self.journey.intent
        self.journey.return_stack = tuple(resume.return_stack)
        self.journey.resumed_from = node_id
        node = self.scenario.nodes[node_id]
        self._step(node_id, node.kind, result="resume", intent=resume.intent)
        if self.scenario.resume and self.scenario.resume.prompt:
            self._preface.append(self._render(self.scenario.resume.prompt))
        return self._goto(node_id)

    # --- menus -----------------------------------------------------------------------

    def _menu_collect(self, node: m.Menu) -> Action:
        assert self._plan is not None
        skip_intro = node.intro == "unless-personalised" and bool(self._plan.promoted)
        prompts = [self._render(node.prompt)] if node.prompt and not skip_intro else []
        intents: list[str] = []
        for planned in self._plan.options:
            option = node.option(planned.option_key)
            assert option is not None
            label = option.promoted_label if planned.promoted else None
            prompts.append(self._render(label or option.label, key=planned.key))
            if option.intent:
                intents.append(option.intent)
        speech = self._speech_ask(node, intents)
        return self._collect(node, prompts, 1, 1, None, "menu", tuple(intents), speech)

    def _menu_confidence(self, node: m.Menu) -> float:
        return self._min_confidence(node.speech, node.min_confidence)

    def _speech_ask(self, node: m.Menu, intents: list[str]) -> SpeechAsk | None:
        """Listen for speech at this menu, in the call's language, unless it was given up."""
        spec = node.speech
        if spec is None or not self._still_listening(spec):
            return None
        words = [
            SpeechIntent(name, terms.keywords, terms.phrases)
            for name in intents
            if (terms := spec.intents.get(name, {}).get(self.language)) is not None
        ]
        if not words:
            return None
        return SpeechAsk(
            self.language, tuple(words), spec.grammar, spec.barge_in, self._menu_confidence(node)
        )

    def _menu_input(self, node: m.Menu, event: Event) -> Action:
        assert self._plan is not None
        choice = menu_choice(node, self._plan, event, self._menu_confidence(node))
        if choice is None:
            if isinstance(event, SpeechResult) and self._still_listening(node.speech):
                assert node.speech is not None
                return self._speech_miss(node, node.speech, event, lambda: self._menu_collect(node))
            return self._failure(node, event, lambda: self._menu_collect(node))
        option, pressed = choice
        heard: dict[str, object] = {}
        if isinstance(event, SpeechResult):
            heard = {"confidence": event.confidence, "transcript": event.transcript}
        self._step(
            node.id,
            node.kind,
            pressed,
            result="option",
            option=option.key,
            intent=option.intent,
            **heard,
        )
        self.journey.intent = option.intent or self.journey.intent
        if option.transfer is not None:
            return self._transfer(node.id, option.transfer)
        return self._goto(option.target)
