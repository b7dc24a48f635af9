"""``omnivox simulate --server``: scripts expecting ``agent`` or ``screen_pop``, or declaring
``agents:``, need the asterisk driver, the running server's URL and an API key, and without them
nothing runs (exit 2, the scripts and the reason named)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

from omnivox.config import Bind, Settings
from omnivox.simulate.cli import main

ROOT = Path(__file__).resolve().parent.parent
BILLING = ROOT / "qa" / "telecom_billing_regular.yaml"
HANGUP = ROOT / "qa" / "telecom_prefill_declined.yaml"
DECLARED = ROOT / "qa" / "telecom_billing_declared_agent.yaml"
KEY_HELP = "omnivox apikey create 'omnivox simulate' --scope calls:read --scope agents:write"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'not-used.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=tmp_path / "sounds",
    )


def run(argv: list[str], settings: Settings, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    out = StringIO()
    code = main(argv, settings, out=out)
    return code, out.getvalue() + capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "set --server-url (or $OMNIVOX_SERVER_URL) and $OMNIVOX_API_KEY"),
        ({"OMNIVOX_API_KEY": "ovx_k"}, "set --server-url (or $OMNIVOX_SERVER_URL) (a key"),
    ],
)
def test_agent_expectations_against_a_running_server_need_url_and_key(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    missing: str,
) -> None:
    monkeypatch.delenv("OMNIVOX_SERVER_URL", raising=False)
    monkeypatch.delenv("OMNIVOX_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    line = (
        BILLING.read_text()
        .splitlines()
        .index("      agent: {skill: billing, waited_in: billing, abandoned: false}")
        + 1
    )
    argv = [str(BILLING), "--server", "127.0.0.1:9", "--against", "asterisk"]
    code, out = run(argv, settings, capsys)
    assert code == 2, out
    assert f"{BILLING}:{line}" in out and "expect 'agent' or 'screen_pop'" in out
    assert missing in out and KEY_HELP in out


def test_declared_agents_against_a_running_server_need_url_and_key(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMNIVOX_SERVER_URL", raising=False)
    monkeypatch.delenv("OMNIVOX_API_KEY", raising=False)
    argv = [str(DECLARED), str(HANGUP), "--server", "127.0.0.1:9", "--against", "asterisk"]
    code, out = run(argv, settings, capsys)
    assert code == 2, out
    assert f"{DECLARED} declare agents: to put on duty" in out
    assert str(HANGUP) not in out  # only the scripts that need it are named
    assert "a key with scope calls:read and agents:write" in out and KEY_HELP in out


def test_the_builtin_driver_does_not_check_agents_on_a_running_server(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its calls have no Asterisk channel: a running server would ring an agent's phone with
    nobody on the line and never hear the hang-up. Refused, saying what to do instead."""
    monkeypatch.setenv("OMNIVOX_API_KEY", "ovx_k")
    monkeypatch.delenv("OMNIVOX_SERVER_URL", raising=False)
    argv = [str(HANGUP), "--server", "127.0.0.1:9", "--server-url", "http://127.0.0.1:9"]
    code, out = run(argv, settings, capsys)
    assert code == 2 and "--server-url needs --against asterisk" in out, out
    assert "never hear the caller hang up" in out and "leave out --server" in out
    code, out = run([str(DECLARED), str(BILLING), "--server", "127.0.0.1:9"], settings, capsys)
    assert code == 2, out
    assert f"{DECLARED} declare agents: to put on duty" in out and f"{BILLING}:" in out
    assert "against a running server that needs --against asterisk" in out
    # $OMNIVOX_SERVER_URL is the asterisk driver's default: the builtin driver leaves it be
    monkeypatch.setenv("OMNIVOX_SERVER_URL", "http://127.0.0.1:9")
    code, out = run([str(HANGUP), "--server", "127.0.0.1:9"], settings, capsys)
    assert code != 2 and "running server (FastAGI 127.0.0.1:9" in out, out
    assert "agents seen through" not in out


def test_a_url_without_a_key_and_a_url_without_server_are_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMNIVOX_API_KEY", raising=False)
    code, out = run(
        [str(HANGUP), "--server", "127.0.0.1:9", "--server-url", "http://127.0.0.1:9"]
        + ["--against", "asterisk"],
        settings,
        capsys,
    )
    assert code == 2 and "--server-url needs an API key in $OMNIVOX_API_KEY" in out
    code, out = run([str(HANGUP), "--server-url", "http://127.0.0.1:9"], settings, capsys)
    assert code == 2 and "--server-url needs --server" in out
    code, out = run(
        [str(HANGUP), "--server", "h:9", "--server-url", "omnivox:8080"], settings, capsys
    )
    assert code == 2 and "--server-url: expected http(s)://HOST:PORT, got 'omnivox:8080'" in out


def test_scripts_without_agent_expectations_need_no_key(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMNIVOX_SERVER_URL", raising=False)
    monkeypatch.delenv("OMNIVOX_API_KEY", raising=False)
    assert "agent:" not in HANGUP.read_text() and "screen_pop" not in HANGUP.read_text()
    # past the check: it tries the running server's database and FastAGI (none here)
    code, out = run([str(HANGUP), "--server", "127.0.0.1:9"], settings, capsys)
    assert "expect 'agent'" not in out and "OMNIVOX_API_KEY" not in out
    assert code != 2 and "running server (FastAGI 127.0.0.1:9" in out  # it started the run
    assert "agents seen through" not in out  # and reads no API
