"""Settings: layering, and one-line errors that name the setting."""

from pathlib import Path

import pytest

from omnivox.cli import main
from omnivox.config import Bind, ConfigError, Settings, load_settings


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///./var/")
    assert settings.redis_url is None and settings.ami is None
    assert settings.fastagi_bind == Bind("127.0.0.1", 4573)
    assert settings.http_bind == Bind("127.0.0.1", 8080)


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "omnivox.toml"
    toml.write_text(
        'fastagi_bind = "0.0.0.0:5000"\nhttp_bind = "127.0.0.1:9000"\n'
        'ami_url = "ami://omni:s%40cret@pbx.local:5039"\nscenarios = "/etc/omnivox/scenarios"\n'
    )
    env = {"OMNIVOX_CONFIG": str(toml), "OMNIVOX_HTTP_BIND": "127.0.0.1:9100"}
    settings = load_settings(environ=env, overrides={"log_level": "debug"})
    assert settings.fastagi_bind == Bind("0.0.0.0", 5000)
    assert settings.http_bind == Bind("127.0.0.1", 9100)  # environment beats the file
    assert settings.ami is not None
    assert (settings.ami.host, settings.ami.port, settings.ami.username, settings.ami.secret) == (
        "pbx.local",
        5039,
        "omni",
        "s@cret",
    )
    assert "s@cret" not in repr(settings)
    assert settings.scenarios == Path("/etc/omnivox/scenarios")
    assert settings.log_level == "DEBUG"


def test_plain_scheme_urls_get_the_async_driver() -> None:
    env = {"OMNIVOX_DATABASE_URL": "postgresql://postgres@127.0.0.1/test"}
    assert load_settings(environ=env).database_url == "postgresql+asyncpg://postgres@127.0.0.1/test"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OMNIVOX_FASTAGI_BIND": "4573"}, "OMNIVOX_FASTAGI_BIND: expected host:port"),
        ({"OMNIVOX_HTTP_BIND": "localhost:http"}, "OMNIVOX_HTTP_BIND: port must be a number"),
        ({"OMNIVOX_HTTP_BIND": "localhost:70000"}, "OMNIVOX_HTTP_BIND: port must be 0-65535"),
        ({"OMNIVOX_DATABASE_URL": "mysql://x"}, "OMNIVOX_DATABASE_URL: expected sqlite"),
        ({"OMNIVOX_REDIS_URL": "http://x"}, "OMNIVOX_REDIS_URL: expected redis://"),
        ({"OMNIVOX_AMI_URL": "ami://host:5038"}, "OMNIVOX_AMI_URL: expected ami://user:secret"),
        ({"OMNIVOX_CONFIG": "/nonexistent.toml"}, "OMNIVOX_CONFIG: file not found"),
    ],
)
def test_wrong_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(")):
        load_settings(environ=env)


def test_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text('databse_url = "sqlite:///x"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: databse_url: unknown setting"):
        load_settings(toml, environ={})
    toml.write_text("fastagi_bind = [\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: "):
        load_settings(toml, environ={})


def test_cli_prints_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OMNIVOX_FASTAGI_BIND", "nonsense")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    expected = "OMNIVOX_FASTAGI_BIND: expected host:port, got 'nonsense'"
    assert err == f"omnivox: configuration error: {expected}\n"
