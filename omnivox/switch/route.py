"""Where a continued journey goes: the service, skills and priority the call would have had.

The IVR's channel switch happens before the transfer, so the hand-over is read from the
scenario: the transfer (node or menu option) declaring the journey's intent. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.scenario import Scenario
from ivr.scenario import model as m

FALLBACK_SERVICE = "general"


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    skills: tuple[str, ...]
    priority: int
    language: str


def _transfers(scenario: Scenario) -> list[tuple[str | None, m.TransferSpec]]:
    found: list[tuple[str | None, m.TransferSpec]] = []
    for node in scenario.nodes.values():
        if isinstance(node, m.Transfer):
            found.append((node.spec.intent, node.spec))
        elif isinstance(node, m.Menu):
            for option in node.options:
                if option.transfer is not None:
                    found.append((option.intent or option.transfer.intent, option.transfer))
    return found


def route_for(
    scenario: Scenario | None,
    intent: str | None,
    *,
    vip: bool = False,
    language: str | None = None,
    fallback: str = FALLBACK_SERVICE,
) -> Route:
    """The transfer of ``scenario`` for ``intent``; ``fallback`` (skill of the same name)
    when the scenario declares none."""
    lang = language or (scenario.default_language if scenario else "en")
    transfers = _transfers(scenario) if scenario is not None else []
    spec = next((s for i, s in transfers if intent and i == intent), None)
    if scenario is None or spec is None:
        return Route(fallback, (fallback,), 5, lang)
    defaults = scenario.defaults
    priority = spec.vip_priority if vip and spec.vip_priority is not None else spec.priority
    skills = list(spec.skills)
    extra = defaults.language_skills.get(lang)
    if extra and extra not in skills:
        skills.append(extra)
    return Route(spec.service, tuple(skills), priority or defaults.priority, lang)


def topic_of(scenario: Scenario | None, intent: str | None, language: str) -> str | None:
    """The intent's spoken label (``your bill``), else the intent's name."""
    if not intent:
        return None
    prompt = scenario.intents.get(intent) if scenario else None
    template = prompt.texts.get(language) if prompt else None
    if template is None and prompt and prompt.texts:
        template = next(iter(prompt.texts.values()))
    return template.source if template is not None else intent.replace("_", " ")
