"""``omnivox simulate --against asterisk``: the QA suite as real calls through Asterisk 22.

Each script call is an originated ``Local/s@omnivox-ivr`` channel whose caller half runs
``caller-sim`` with ``SIM_SCRIPT``; the embedded server renders its prompts into Asterisk's
sound directory and Asterisk's ``OMNIVOX_AGI`` points at it for the run (restored after).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest

from omnivox.config import AMISettings, Bind, Settings
from omnivox.simulate.cli import main
from tests.fixtures.asterisk import DEFAULT_GLOBALS, AsteriskService

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "qa"


def settings_for(asterisk: AsteriskService, tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'not-used.db'}",
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=asterisk.sounds_dir,
        routing=ROOT / "config" / "routing.yaml",
    )


def simulate(argv: list[str], settings: Settings) -> tuple[int, str]:
    out = StringIO()
    code = main(argv, settings, out=out)
    return code, out.getvalue()


def agi_global(asterisk: AsteriskService) -> str:
    for line in asterisk.cli("dialplan show globals").splitlines():
        name, _, value = line.strip().partition("=")
        if name == "OMNIVOX_AGI":
            return value
    return ""


def no_simulated_channels_left(asterisk: AsteriskService, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while "Local/s@omnivox-ivr" in asterisk.cli("core show channels"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.timeout(900)
def test_the_qa_suite_passes_on_the_asterisk_driver(
    asterisk: AsteriskService, tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    scripts = sorted(QA.glob("*.yaml"))
    code, out = simulate(
        [str(QA), "--against", "asterisk", "--concurrency", "3", "--junit", str(report)],
        settings_for(asterisk, tmp_path),
    )
    assert code == 0, f"{out}\n--- Asterisk log ---\n{asterisk.log_tail(120)}"
    assert "asterisk driver, embedded server" in out
    assert f"{len(scripts)} scripts: {len(scripts)} passed, 0 failed" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        str(len(scripts)),
        "0",
        "0",
    )
    assert agi_global(asterisk) == DEFAULT_GLOBALS["OMNIVOX_AGI"]  # pointed back after the run
    assert no_simulated_channels_left(asterisk)


@pytest.mark.timeout(300)
def test_a_wrong_expectation_fails_on_the_asterisk_driver_too(
    asterisk: AsteriskService, tmp_path: Path
) -> None:
    text = (QA / "telecom_prefill_confirm.yaml").read_text()
    assert "      service: internet_support\n" in text
    script = tmp_path / "wrong.yaml"
    script.write_text(
        text.replace("      service: internet_support\n", "      service: tv_support\n")
    )
    line = text.splitlines().index("      service: internet_support") + 1
    code, out = simulate([str(script), "--against", "asterisk"], settings_for(asterisk, tmp_path))
    assert code == 1, out
    assert f"FAIL  {script}:{line}  service: expected tv_support, got internet_support" in out
    assert "hear identify.confirm_prompt  -> heard identify.confirm_prompt" in out, out
    assert "journey: start > welcome > check_hours > main_menu=1 > internet > identify=1" in out


@pytest.mark.timeout(300)
def test_a_caller_hang_up_through_asterisk_is_an_abandoned_journey(
    asterisk: AsteriskService, tmp_path: Path
) -> None:
    code, out = simulate(
        [str(QA / "telecom_hangup_abandoned.yaml"), "--against", "asterisk"],
        settings_for(asterisk, tmp_path),
    )
    assert code == 0, f"{out}\n--- Asterisk log ---\n{asterisk.log_tail(80)}"
    assert "1 scripts: 1 passed" in out
