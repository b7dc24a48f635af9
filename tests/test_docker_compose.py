"""The compose file, checked without a Docker engine: its services, health-gated dependencies,
environments (every name a setting), ports, shared volumes and the QA simulator's job; and
``docker compose config`` when the compose plugin is present."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from omnivox.config import load_settings
from tests.docker_helpers import (
    ASTERISK_IMAGE,
    COMPOSE,
    ETC,
    OMNIVOX_IMAGE,
    REPO,
    args_of,
    assert_settings,
    conf,
    mounts,
    published,
    resolve,
    value,
)
from tests.fixtures.asterisk import AsteriskService

SERVICES = {"asterisk", "postgres", "redis", "omnivox", "callsim"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def omnivox_env(compose: dict[str, Any]) -> dict[str, str]:
    return {k: resolve(v) for k, v in compose["services"]["omnivox"]["environment"].items()}


@pytest.fixture(scope="module")
def asterisk_env(compose: dict[str, Any]) -> dict[str, str]:
    return {k: resolve(v) for k, v in compose["services"]["asterisk"]["environment"].items()}


def test_services_profiles_and_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    assert services["callsim"]["profiles"] == ["qa"]  # `docker compose up` leaves it out
    assert [name for name, s in services.items() if "profiles" in s] == ["callsim"]
    for name in SERVICES - {"callsim"}:
        check = services[name]["healthcheck"]
        assert check["test"][0] == "CMD" and len(check["test"]) > 1, name
        assert {"interval", "timeout", "retries"} <= set(check), name
    # A one-shot job: the omnivox image's HTTP check is switched off, not inherited.
    assert services["callsim"]["healthcheck"] == {"disable": True}
    assert services["omnivox"]["command"] == ["sh", "-c", "omnivox migrate && exec omnivox serve"]


def test_dependencies_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    expected = {"omnivox": {"postgres", "redis", "asterisk"}, "callsim": {"omnivox", "asterisk"}}
    for name, needs in expected.items():
        depends = services[name]["depends_on"]
        assert set(depends) == needs
        for dependency in needs:
            assert depends[dependency] == {"condition": "service_healthy"}
            assert "test" in services[dependency]["healthcheck"]  # or it never turns healthy


def test_omnivox_environment_names_are_settings(
    omnivox_env: dict[str, str], tmp_path: Path
) -> None:
    settings = assert_settings(omnivox_env, tmp_path)
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in settings.database_url
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.ami is not None and settings.ami.host == "asterisk"
    assert str(settings.ami.port) == value(ETC / "manager.conf", "general", "port")
    assert (settings.fastagi_bind.host, settings.http_bind.host) == ("0.0.0.0", "0.0.0.0")


def test_callsim_shares_the_omnivox_image_and_settings(
    compose: dict[str, Any], omnivox_env: dict[str, str]
) -> None:
    omnivox, callsim = compose["services"]["omnivox"], compose["services"]["callsim"]
    assert callsim["build"] == omnivox["build"] and callsim["image"] == omnivox["image"]
    env = {k: resolve(v) for k, v in callsim["environment"].items()}
    # the server's settings, plus the simulator's own: omnivox's HTTP address for its API
    assert {k: v for k, v in env.items() if k != "OMNIVOX_SERVER_URL"} == omnivox_env
    settings = load_settings(environ=omnivox_env)
    assert env["OMNIVOX_SERVER_URL"] == f"http://omnivox:{settings.http_bind.port}"
    assert f"{settings.http_bind.port}/tcp" in published(omnivox)
    assert callsim["command"][:2] == ["sh", "-c"]


def _run_callsim(command: list[str], tmp_path: Path, env: dict[str, str]) -> list[str]:
    """Run callsim's shell command with a stand-in ``omnivox`` on PATH that logs its calls
    (and, as ``omnivox apikey create``, prints a key); the calls it got."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    log.write_text("")
    stub = bin_dir / "omnivox"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$* key=$OMNIVOX_API_KEY" >> {log}\n'
        '[ "$1" = apikey ] && echo ovx_minted_by_the_database\n'
        "exit 0\n"
    )
    stub.chmod(0o755)
    script = command[2].replace("$$", "$")  # compose's escape for a literal $
    path = f"{bin_dir}:/usr/bin:/bin"
    done = subprocess.run(
        [command[0], command[1], script],
        env={"PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines()


def test_callsim_mints_a_key_that_reads_calls_and_seats_agents_unless_given_one(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    from omnivox.api import SCOPES
    from omnivox.simulate.cli import KEY_ENV, URL_ENV
    from omnivox.simulate.remote import SCOPE, SEAT_SCOPE

    callsim = compose["services"]["callsim"]
    assert URL_ENV in callsim["environment"] and KEY_ENV not in callsim["environment"]
    minted, simulate = _run_callsim(callsim["command"], tmp_path, {})
    apikey = minted.split()
    assert apikey[:3] == ["apikey", "create", "callsim"]
    scopes = [apikey[i + 1] for i, word in enumerate(apikey) if word == "--scope"]
    # calls:read to check agent and screen_pop; agents:write to put the agents on duty
    assert sorted(scopes) == sorted({SCOPE, SEAT_SCOPE}) and set(scopes) <= set(SCOPES)
    # the suite it runs has scripts that declare their agents (they need agents:write)
    declaring = [p.name for p in sorted((REPO / "qa").glob("*.yaml")) if _declares_agents(p)]
    assert declaring, "no QA script declares agents: callsim would not check seating"
    # whose stand-in phones (Local/<ext>@agent-sim) the stack's Asterisk answers
    assert "\n[agent-sim]\n" in (ETC / "extensions.conf").read_text()
    args = simulate.split()
    assert args[:3] == ["simulate", "--against", "asterisk"]
    assert args[3:5] == ["--server", "omnivox:4573"]
    assert mounts(callsim)[args[5]] == ("./qa", True)
    assert args[-1] == "key=ovx_minted_by_the_database"  # the simulator gets the minted key
    # a key given on `docker compose run -e OMNIVOX_API_KEY=...` is used as is
    (only,) = _run_callsim(callsim["command"], tmp_path, {KEY_ENV: "ovx_given"})
    assert only.startswith("simulate ") and only.endswith("key=ovx_given")


def _declares_agents(path: Path) -> bool:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and bool(data.get("agents"))


def test_ami_reaches_asterisk_with_its_secret(
    omnivox_env: dict[str, str], asterisk_env: dict[str, str]
) -> None:
    ami = load_settings(environ=omnivox_env).ami
    assert ami is not None
    assert ami.username in conf(ETC / "manager.conf")
    # Same secret on both sides; by default the chroot's, so nothing else differs.
    assert ami.secret == asterisk_env["OMNIVOX_AMI_SECRET"]
    assert ami.secret == value(ETC / "manager.conf", ami.username, "secret")


def test_ports(
    compose: dict[str, Any], omnivox_env: dict[str, str], asterisk_env: dict[str, str]
) -> None:
    settings = load_settings(environ=omnivox_env)
    omnivox, asterisk = compose["services"]["omnivox"], compose["services"]["asterisk"]
    assert f"{settings.http_bind.port}/tcp" in published(omnivox)
    assert str(settings.fastagi_bind.port) in omnivox["expose"]  # Asterisk's side only
    ports = published(asterisk)
    assert value(ETC / "manager.conf", "general", "port") + "/tcp" in ports
    assert asterisk_env["OMNIVOX_SIP_BIND"].rpartition(":")[2] + "/udp" in ports
    # The RTP range Asterisk is told to use is the one published.
    assert ports[asterisk_env["OMNIVOX_RTP_PORTS"] + "/udp"] == asterisk_env["OMNIVOX_RTP_PORTS"]
    # The FastAGI target of the dialplan is the omnivox service's FastAGI port.
    assert asterisk_env["OMNIVOX_AGI"] == f"omnivox:{settings.fastagi_bind.port}"
    assert "OMNIVOX_AGI" in dict(conf(ETC / "extensions.conf")["globals"])


def test_shared_volumes(compose: dict[str, Any], omnivox_env: dict[str, str]) -> None:
    services = compose["services"]
    assert {"prompts", "recordings"} <= set(compose["volumes"])
    # Where the test fixture's Asterisk plays prompts from, relative to its root.
    asterisk_sounds = str(AsteriskService(root=Path("/"), process=None).sounds_dir)  # type: ignore[arg-type]
    asterisk, omnivox = mounts(services["asterisk"]), mounts(services["omnivox"])
    assert asterisk[asterisk_sounds] == ("prompts", True)
    assert omnivox[omnivox_env["OMNIVOX_SOUNDS"]] == ("prompts", False)
    assert asterisk["/var/spool/asterisk/monitor"] == ("recordings", False)
    assert ("recordings", True) in omnivox.values()
    # Both images give the prompts directory to the same uid (whichever fills the volume first).
    uids = {
        a.partition("=")[2]
        for image in (ASTERISK_IMAGE, OMNIVOX_IMAGE)
        for a in args_of(image, "ARG")
        if a.startswith("OMNIVOX_UID=")
    }
    assert len(uids) == 1
    for service in ("asterisk", "omnivox"):
        assert resolve(services[service]["build"]["args"]["OMNIVOX_UID"]) in uids
    assert any(asterisk_sounds in a and "OMNIVOX_UID" in a for a in args_of(ASTERISK_IMAGE, "RUN"))
    assert any(
        omnivox_env["OMNIVOX_SOUNDS"] in a and "-o omnivox" in a
        for a in args_of(OMNIVOX_IMAGE, "RUN")
    )


def _compose_plugin() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    found = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
    return [docker, "compose"] if found.returncode == 0 else None


@pytest.mark.parametrize("profile", [[], ["--profile", "qa"]], ids=["default", "qa"])
def test_docker_compose_config_accepts_the_file(profile: list[str]) -> None:
    command = _compose_plugin()
    if command is None:
        pytest.skip("the docker compose plugin is not installed: compose's own validation not run")
    done = subprocess.run(
        [*command, "-f", str(COMPOSE), *profile, "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
