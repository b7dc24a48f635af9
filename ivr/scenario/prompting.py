"""Turning a scenario :class:`~ivr.scenario.model.Prompt` into a :class:`PromptRef` for a call."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.scenario.actions import PromptRef
from ivr.scenario.model import Prompt, Scenario
from ivr.scenario.text import FilePart, format_template


def intent_label(scenario: Scenario, intent: str, language: str) -> str | None:
    """The spoken label of ``intent`` (its fixed text) in ``language``."""
    prompt = scenario.intents.get(intent)
    if prompt is None:
        return None
    template = prompt.texts.get(language) or prompt.texts.get(scenario.default_language)
    return " ".join(template.fixed_fragments()) if template else None


def render(
    scenario: Scenario, prompt: Prompt, language: str, values: Mapping[str, str]
) -> PromptRef:
    """``prompt`` in ``language`` (the default language if it has no text in it), formatted
    with ``values``; a recording for the language wins over text."""
    if language not in prompt.texts and prompt.file_for(language) is None:
        language = scenario.default_language
    template = prompt.texts.get(language)
    text = ""
    parts: tuple = ()
    if template is not None:
        parts, text = format_template(
            template, values, lambda intent: intent_label(scenario, intent, language)
        )
    path = prompt.file_for(language)
    if path is not None:
        parts = (FilePart(path),)
    return PromptRef(prompt.id, language, text, parts)
