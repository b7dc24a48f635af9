"""Channel-switch nodes: the caller picks another channel (an SMS link, a callback) or stays,
by key or, with a speech block, by saying the choice."""

from __future__ import annotations

from ivr.scenario import model as m
from ivr.scenario.actions import (
    Action,
    ChannelSwitch,
    Digits,
    Event,
    SpeechAsk,
    SpeechIntent,
    SpeechResult,
)
from ivr.scenario.journey import Collected
from ivr.scenario.listening import Listening


class Switching(Listening):
    """What a channel_switch node means; :class:`~ivr.scenario.engine.Call` adds the rest."""

    def _switch_collect(self, node: m.ChannelSwitch) -> Action:
        prompts = [self._render(node.prompt)]
        return self._collect(node, prompts, 1, 1, None, "choice", (), self._switch_ask(node))

    def _switch_ask(self, node: m.ChannelSwitch) -> SpeechAsk | None:
        """Listen for the choices' words in the call's language, unless given up for keys."""
        spec = node.speech
        if spec is None or not self._still_listening(spec):
            return None
        words = [
            SpeechIntent(option.choice, terms.keywords, terms.phrases)
            for option in node.options
            if (terms := spec.intents.get(option.choice, {}).get(self.language)) is not None
        ]
        if not words:
            return None
        confidence = self._min_confidence(spec, None)
        return SpeechAsk(self.language, tuple(words), spec.grammar, spec.barge_in, confidence)

    def _switch_input(self, node: m.ChannelSwitch, event: Event) -> Action:
        key = event.digits[:1] if isinstance(event, Digits) else None
        option = next((o for o in node.options if o.key == key), None)
        heard: dict[str, object] = {}
        if isinstance(event, SpeechResult):
            sure = event.confidence >= self._min_confidence(node.speech, None)
            option = next((o for o in node.options if o.choice == event.intent), None)
            if option is None or not sure:
                if self._still_listening(node.speech):
                    assert node.speech is not None
                    return self._speech_miss(
                        node, node.speech, event, lambda: self._switch_collect(node)
                    )
                option = None
            else:
                key = f"speech:{option.choice}"
                heard = {"via": "speech", "transcript": event.transcript}
                heard["confidence"] = event.confidence
        if option is None:
            return self._failure(node, event, lambda: self._switch_collect(node))
        self._step(node.id, node.kind, key, result="channel_switch", choice=option.choice, **heard)
        if option.choice == m.NO_SWITCH:
            return self._goto(option.target)
        self.journey.channel_switch = option.choice
        self.journey.collected["channel_switch"] = Collected(option.choice, "voice")
        self._waiting, self._then = "play", lambda: self._goto(option.target)
        return ChannelSwitch(node.id, option.choice, self.journey.intent, self.language)
