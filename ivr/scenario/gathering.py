"""Gather nodes: digits by keys or spoken as words, and the one-key (or yes/no) confirmation
of a value the customer gave before."""

from __future__ import annotations

from ivr.scenario import model as m
from ivr.scenario.actions import Action, Digits, Event, SpeechAsk, SpeechIntent, SpeechResult
from ivr.scenario.journey import Collected
from ivr.scenario.listening import Listening
from ivr.scenario.steps import GatherState, check_digits
from speech.answers import ANSWER_WORDS, NO, YES
from speech.numbers import digit_languages, spoken_digits


class Gathering(Listening):
    """What a gather node means; :class:`~ivr.scenario.engine.Call` adds the other kinds."""

    _gather: GatherState | None

    def _gather_enter(self, node: m.Gather) -> Action | str:
        have = self.journey.collected.get(node.field)
        known = have.value if have else self.context.known.get(node.field)
        if known is not None and check_digits(node, known) is None:
            known = None  # a stored value this gather would not accept is not offered
        self._gather = GatherState(
            known=known, confirming=node.prefill == "confirm" and bool(known)
        )
        if known is not None and node.prefill == "skip":
            source = have.source if have else "profile"
            self.journey.collected[node.field] = Collected(known, source)
            self._step(node.id, node.kind, result="prefill", prefill="skip", field=node.field)
            return node.next or ""
        self._step(node.id, node.kind, result="entered", confirming=self._gather.confirming)
        return self._gather_collect(node)

    def _gather_collect(self, node: m.Gather) -> Action:
        assert self._gather is not None
        if self._gather.confirming and node.confirm_prompt is not None:
            prompt = self._render(node.confirm_prompt, **{node.field: self._gather.known or ""})
            return self._collect(node, [prompt], 1, 1, None, "confirm", (), self._answer_ask(node))
        prompt = self._render(node.prompt)
        return self._collect(
            node,
            [prompt],
            node.max_digits,
            node.min_digits,
            node.terminator,
            "digits",
            (),
            self._digits_ask(node),
        )

    def _digits_ask(self, node: m.Gather) -> SpeechAsk | None:
        spec = node.speech
        if spec is None or not spec.digits or not self._still_listening(spec):
            return None
        if self.language not in digit_languages():
            return None
        return SpeechAsk(
            self.language,
            (),
            spec.grammar,
            spec.barge_in,
            self._min_confidence(spec, None),
            listen_for="digits",
        )

    def _answer_ask(self, node: m.Gather) -> SpeechAsk | None:
        """Listen for yes or no, in the scenario's words for the language or the built-in ones."""
        spec = node.speech
        if spec is None or not spec.confirm or not self._still_listening(spec):
            return None
        built_in = ANSWER_WORDS.get(self.language, {})
        yes = spec.yes.get(self.language) or built_in.get(YES, ())
        no = spec.no.get(self.language) or built_in.get(NO, ())
        if not yes or not no:
            return None
        return SpeechAsk(
            self.language,
            (SpeechIntent(YES, tuple(yes)), SpeechIntent(NO, tuple(no))),
            spec.grammar,
            spec.barge_in,
            self._min_confidence(spec, None),
            listen_for="yes_no",
        )

    def _gather_input(self, node: m.Gather, event: Event) -> Action:
        state = self._gather
        assert state is not None
        if state.confirming:
            return self._confirm_input(node, state, event)
        heard: dict[str, object] = {}
        if isinstance(event, SpeechResult):
            raw = spoken_digits(event.transcript, self.language)
            value = check_digits(node, raw) if raw is not None else None
            sure = event.confidence >= self._min_confidence(node.speech, None)
            if value is None or not sure:
                if self._still_listening(node.speech):
                    assert node.speech is not None
                    return self._speech_miss(
                        node, node.speech, event, lambda: self._gather_collect(node)
                    )
                return self._failure(node, event, lambda: self._gather_collect(node))
            heard = {"via": "speech", "transcript": event.transcript}
            heard["confidence"] = event.confidence
            item = Collected(value, "voice", "speech", event.transcript, event.confidence)
        else:
            raw = event.digits if isinstance(event, Digits) else None
            value = check_digits(node, raw) if raw is not None else None
            if value is None:
                return self._failure(node, event, lambda: self._gather_collect(node))
            item = Collected(value, "voice")
        self.journey.collected[node.field] = item
        self._step(node.id, node.kind, value, result="collected", field=node.field, **heard)
        return self._goto(node.next)

    def _confirm_input(self, node: m.Gather, state: GatherState, event: Event) -> Action:
        """The caller's answer to "is this about the account ending 4321?": key or yes/no."""
        key = event.digits[:1] if isinstance(event, Digits) else None
        heard: dict[str, object] = {}
        if isinstance(event, SpeechResult):
            sure = event.confidence >= self._min_confidence(node.speech, None)
            if event.intent in (YES, NO) and sure:
                key = node.yes_key if event.intent == YES else node.no_key
                heard = {"via": "speech", "transcript": event.transcript}
                heard["confidence"] = event.confidence
            elif self._still_listening(node.speech):
                assert node.speech is not None
                return self._speech_miss(
                    node, node.speech, event, lambda: self._gather_collect(node)
                )
        given = f"speech:{event.intent}" if heard and isinstance(event, SpeechResult) else key
        if key == node.yes_key and state.known is not None:
            self.journey.collected[node.field] = Collected(state.known, "profile")
            self._step(node.id, node.kind, given, result="prefill", prefill="confirmed", **heard)
            return self._goto(node.next)
        if key == node.no_key:
            return self._stop_confirming(node, given, "declined", heard)
        return self._failure(
            node,
            event,
            lambda: self._gather_collect(node),
            exhausted=lambda: self._stop_confirming(node, None, "unanswered", {}),
        )

    def _stop_confirming(
        self, node: m.Gather, given: str | None, why: str, heard: dict[str, object]
    ) -> Action:
        assert self._gather is not None
        self._gather.confirming = False
        self._failures = {}
        self._speech_misses = 0  # a new question: speech gets its own tries
        self._step(node.id, node.kind, given, result="prefill", prefill=why, **heard)
        return self._gather_collect(node)
