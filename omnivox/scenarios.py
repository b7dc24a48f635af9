"""The served scenarios: loaded from the scenario directory, prompts rendered at load,
reloaded when files change (a file that fails validation keeps its last good version)."""

from __future__ import annotations

import asyncio
import logging

from ivr.prompts import PromptError, PromptRenderer
from ivr.scenario import Problem, Scenario, ScenarioSet


def log_problems(log: logging.Logger, problems: list[Problem], verb: str) -> None:
    for problem in problems:
        log.error("%s: %s", verb, problem)


async def prerender(renderer: PromptRenderer, scenario: Scenario, log: logging.Logger) -> int:
    """Render every fixed prompt text and recording of ``scenario``; returns how many."""
    texts = [(text, language) for language, text in scenario.all_prompt_texts()]
    try:
        await renderer.render_many(texts)
        for path in scenario.all_prompt_files():
            await renderer.render_file(path)
    except PromptError as exc:
        log.error(
            "scenario %s: prompts not rendered (%s); they render on first use", scenario.name, exc
        )
    return len(texts)


async def load_scenarios(
    directory: str, renderer: PromptRenderer, log: logging.Logger
) -> ScenarioSet:
    """Load and pre-render every scenario; bad files are logged as file:line:col: message."""
    scenarios, problems = ScenarioSet.load_dir(directory)
    log_problems(log, problems, "scenario refused")
    for scenario in scenarios:
        count = await prerender(renderer, scenario, log)
        log.info(
            "scenario %s loaded (version %s, %d prompts)", scenario.name, scenario.version, count
        )
    return scenarios


async def watch_scenarios(
    scenarios: ScenarioSet,
    renderer: PromptRenderer,
    log: logging.Logger,
    interval: float = 1.0,
) -> None:
    """Poll the directory; reload changed files and render their prompts. Runs until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            await reload_scenarios(scenarios, renderer, log)
        except OSError as exc:
            log.error("scenario directory %s: %s", scenarios.directory, exc)


async def reload_scenarios(
    scenarios: ScenarioSet, renderer: PromptRenderer, log: logging.Logger
) -> tuple[list[str], list[Problem]]:
    """One pass of the watcher (also the admin page's reload): changed files reloaded and
    rendered; a refused file keeps its last good version. Returns (changed names, problems)."""
    changed, problems = scenarios.reload_changed()
    log_problems(log, problems, "scenario refused, the last good version keeps serving")
    for name in changed:
        scenario = scenarios.get(name)
        if scenario is None:
            log.info("scenario %s removed", name)
            continue
        await prerender(renderer, scenario, log)
        log.info("scenario %s reloaded (version %s)", name, scenario.version)
    return changed, problems
