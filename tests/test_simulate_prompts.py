"""Prompt recognition: the names computed for a running server are the names the renderer
gives (the same voice, digest and prefix), for every piece of both shipped scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from ivr.scenario.text import parse_template
from omnivox.simulate.prompts import DigestNamer, RendererNamer, build_index, template_items

ROOT = Path(__file__).resolve().parent.parent


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")


@pytest.fixture
def renderer(sounds: Path) -> Iterator[PromptRenderer]:
    r = PromptRenderer(sounds, prefix="omnivox")
    yield r
    r.close()


def test_template_items_are_the_pieces_played_with_a_gap_per_value() -> None:
    template = parse_template("Is this about the account ending {account_number|last4}? Press 1.")
    assert template_items(template) == ("Is this about the account ending", None, "Press 1.")
    assert template_items(parse_template("For TV support, press {key}.")) == (
        "For TV support, press",
        None,
    )


@pytest.mark.parametrize("name", ["telecom", "bank_card"])
async def test_digest_names_match_the_rendered_names(
    name: str, renderer: PromptRenderer, sounds: Path
) -> None:
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    scenario = scenarios[name]
    rendered = await build_index(scenario, RendererNamer(renderer))
    files_before = listing(sounds)
    other = PromptRenderer(sounds / "never-written", prefix="omnivox")
    try:
        computed = await build_index(scenario, DigestNamer(other, "omnivox"))
    finally:
        other.close()
    assert computed == rendered
    assert not (sounds / "never-written").exists()  # naming wrote nothing
    assert listing(sounds) == files_before
    pieces = [p for found in rendered.names.values() for p in found]
    assert len(rendered.names) >= 40 and all(n.startswith("omnivox/") for n in rendered.names)
    assert {p.language for p in pieces} == {"en", "ru"}
