"""``omnivox simulate`` on the builtin driver: the QA suite passes, a wrong expectation fails
with a readable report and exit 1, invalid scripts exit 2, JUnit XML counts right, load mode
measures, and a running server is driven through its FastAGI port and database."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest

from omnivox.config import Bind, Settings
from omnivox.server import OmnivoxServer
from omnivox.simulate.builtin import BuiltinDriver
from omnivox.simulate.cli import main
from omnivox.simulate.progress import Progress
from omnivox.simulate.runner import Runner
from omnivox.simulate.scripts import load_scripts
from omnivox.simulate.targets import running

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "qa"

HOTLINE = """\
name: hotline
languages: [en]
default_language: en
entry: welcome
intents:
  billing: {en: your bill}
  outage: {en: an outage}
nodes:
  welcome:
    kind: say
    prompt: {en: Welcome to the hotline.}
    next: menu
  menu:
    kind: menu
    personalize: renumber
    max_promoted: 1
    min_evidence: 0.5
    prompt: {en: Please choose.}
    options:
      - {key: 1, intent: outage, label: {en: "For an outage, press {key}."}, target: outage_queue}
      - {key: 2, intent: billing, label: {en: "For your bill, press {key}."}, target: billing_queue}
  outage_queue: {kind: transfer, service: outage, skills: [outage]}
  billing_queue: {kind: transfer, service: billing, skills: [billing]}
"""


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")  # shared: each prompt is synthesized once


@pytest.fixture
def settings(tmp_path: Path, sounds: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'not-used.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=sounds,
        routing=ROOT / "config" / "routing.yaml",
    )


def simulate(argv: list[str], settings: Settings) -> tuple[int, str]:
    out = StringIO()
    code = main(argv, settings, out=out)
    return code, out.getvalue()


def suite_of(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    return suite


def counts(suite: ET.Element) -> dict[str, int]:
    return {k: int(suite.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}


def test_the_qa_suite_passes_on_the_builtin_driver(settings: Settings, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    scripts = sorted(QA.glob("*.yaml"))
    code, out = simulate([str(QA), "--junit", str(report)], settings)
    assert code == 0, out
    assert f"{len(scripts)} scripts: {len(scripts)} passed, 0 failed" in out
    assert "embedded server" in out and "builtin driver" in out
    suite = suite_of(report)
    assert counts(suite) == {"tests": len(scripts), "failures": 0, "errors": 0, "skipped": 0}
    cases = suite.findall("testcase")
    assert sorted(Path(c.get("file", "")).name for c in cases) == [p.name for p in scripts]
    for case in cases:
        heard = case.findtext("system-out") or ""
        assert "journey: start" in heard or "(resume)" in heard
        assert "[omnivox/" not in heard and ' ?"' not in heard  # every sound was recognised


def test_a_wrong_expectation_fails_with_a_report_and_exit_1(
    settings: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "wrong.yaml"
    text = (QA / "telecom_billing_regular.yaml").read_text()
    assert "      service: billing\n" in text
    script.write_text(text.replace("      service: billing\n", "      service: general\n"))
    line = text.splitlines().index("      service: billing") + 1
    report = tmp_path / "junit.xml"
    code, out = simulate([str(script), "--junit", str(report)], settings)
    assert code == 1
    assert f"FAIL  {script}:{line}  service: expected general, got billing" in out
    assert f"ok    {script}:{line - 1}  status: transferred" in out
    assert "journey: start > welcome > check_hours > main_menu=1 > billing > identify=1" in out
    assert "outcome: transferred at billing_queue, queue billing" in out
    assert "1 scripts: 0 passed, 1 failed" in out
    suite = suite_of(report)
    assert counts(suite) == {"tests": 1, "failures": 1, "errors": 0, "skipped": 0}
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("message") == "1 call(s) failed"
    assert "service: expected general, got billing" in (failure.text or "")


def test_a_step_that_fails_ends_the_call_and_says_what_was_heard(
    settings: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "early.yaml"
    script.write_text(
        "scenario: telecom\n"
        "calls:\n"
        "  - steps:\n"
        "      - expect_prompt: identify.prompt\n"
        "      - press: 6\n"
        "    expect: {status: transferred}\n"
    )
    code, out = simulate([str(script)], settings)
    assert code == 1
    assert f"FAIL  {script}:4  1. hear identify.prompt" in out
    assert "the IVR asked for a key before identify.prompt was heard; heard since" in out
    assert f"--    {script}:5  2. press 6  (not reached)" in out
    assert f"FAIL  {script}:6  status: expected transferred, got abandoned" in out


def test_invalid_scripts_exit_2_and_nothing_runs(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: telecom\ncalls:\n  - steps: [hangup]\n    expect: {mood: calm}\n")
    good = tmp_path / "good.yaml"
    shutil.copy(QA / "telecom_hangup_abandoned.yaml", good)
    report = tmp_path / "junit.xml"
    code, out = simulate([str(good), str(bad), "--junit", str(report)], settings)
    assert code == 2 and out == ""
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{bad}:4:14: unknown expectation 'mood' (known: agent,")
    assert err[1] == "omnivox simulate: 1 invalid script file(s); nothing was run"
    suite = suite_of(report)
    assert counts(suite) == {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["qa", "--server", "4573"], "--server: expected HOST:PORT"),
        (["qa", "--ramp", "2"], "--ramp needs --load"),
        (["qa", "--load", "0"], "--load must be at least 1"),
        (["qa", "--concurrency", "0"], "--concurrency must be at least 1"),
    ],
)
def test_bad_options_exit_2(
    argv: list[str], message: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = simulate(argv, settings)
    assert code == 2
    assert message in capsys.readouterr().err


def test_the_asterisk_driver_needs_ami(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = simulate(
        [str(QA / "telecom_hangup_abandoned.yaml"), "--against", "asterisk"], settings
    )
    assert code == 1
    assert "the asterisk driver needs AMI: set ami_url" in capsys.readouterr().err


def test_load_mode_ramps_callers_and_reports_rates_and_percentiles(
    settings: Settings, tmp_path: Path
) -> None:
    scripts = [str(QA / "telecom_billing_regular.yaml"), str(QA / "bank_lost_card_premium.yaml")]
    report = tmp_path / "junit.xml"
    code, out = simulate(
        [*scripts, "--load", "16", "--ramp", "0.5", "--junit", str(report)], settings
    )
    assert code == 0, out
    lines = out.splitlines()
    assert "load: 16 callers over 0.5 s (target 32.0/s), builtin driver" in lines
    setup = next(line for line in lines if line.strip().startswith("set up:"))
    assert setup.split()[2] == "16"
    rate = float(setup.split()[4].removesuffix("/s"))
    assert 5 < rate < 500
    completed = next(line for line in lines if line.strip().startswith("completed:"))
    assert "16 of 16 calls" in completed and "16 passed, 0 failed" in completed
    for label in ("setup latency (ms):", "AGI turnaround (ms):", "call duration (s):"):
        stats = next(line for line in lines if label in line)
        assert " p50 " in stats and " p90 " in stats and " p99 " in stats and " max " in stats
    assert counts(suite_of(report))["tests"] == 16


def test_load_mode_refuses_scripts_needing_different_clocks(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = [str(QA / "telecom_after_hours.yaml"), str(QA / "telecom_hangup_abandoned.yaml")]
    code, _ = simulate([*scripts, "--load", "2"], settings)
    assert code == 2
    assert "the scripts need different call times" in capsys.readouterr().err


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    plain, tty = StringIO(), StringIO()
    for out, is_tty in ((plain, False), (tty, True)):
        progress = Progress(2, out, tty=is_tty)
        progress.start(None)  # type: ignore[arg-type]
        progress.close()
    assert plain.getvalue() == ""
    assert tty.getvalue().startswith("\r[") and "0/2 done, 1 running" in tty.getvalue()
    assert tty.getvalue().endswith("\r\x1b[K")


async def test_a_running_server_is_driven_through_its_port_and_database(
    tmp_path: Path, sounds: Path
) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "hotline.yaml").write_text(HOTLINE)
    (tmp_path / "regular.yaml").write_text(
        "scenario: hotline\n"
        "customer:\n"
        "  name: Bill Payer\n"
        "  history:\n"
        "    - {channel: email, intent: billing, age: 2d}\n"
        "    - {channel: voice, intent: billing, age: 5d}\n"
        "calls:\n"
        "  - steps:\n"
        "      - expect_prompt: welcome.prompt\n"
        "      - expect_menu: {order: [billing, outage], exact: true, promoted: [billing]}\n"
        "      - expect_prompt: {text: 'For your bill, press 1'}\n"
        "      - press: 1\n"
        "    expect: {status: transferred, service: billing, skills: [billing]}\n"
    )
    (tmp_path / "stranger.yaml").write_text(
        "scenario: hotline\nat: 2025-03-05T10:00Z\ncalls:\n  - steps: [hangup]\n"
    )
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'running.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=scenarios,
        sounds=sounds,
        routing=ROOT / "config" / "routing.yaml",
    )
    async with OmnivoxServer(settings) as server:
        assert server.fastagi is not None and server.scenarios is not None
        address = Bind("127.0.0.1", server.fastagi.port)
        scripts = load_scripts(
            [tmp_path / "regular.yaml", tmp_path / "stranger.yaml"], server.scenarios
        )
        async with running(settings, address) as target:
            assert target.clock is None and "running server" in target.description
            driver = BuiltinDriver(address.host, address.port)
            regular, stranger = await Runner(target, driver).run(scripts)
    assert regular.status == "passed", regular
    (call,) = regular.calls
    assert [p.ids for p in call.heard[:3]] == [
        ("welcome.prompt",),
        ("menu.prompt",),
        ("menu.options.2.label",),
    ]  # recognised by computed names: this process never rendered them
    assert call.journey is not None and call.journey.caller == call.caller
    assert stranger.status == "skipped"
    assert stranger.note.startswith("it sets the call time, and a running server keeps its own")
