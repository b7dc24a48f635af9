"""Typed, layered configuration: defaults < TOML file < ``OMNIVOX_*`` environment < command line.

Every bad value becomes a :class:`ConfigError` whose message names the setting, so the CLI can
print one line instead of a traceback.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ENV_PREFIX = "OMNIVOX_"


class ConfigError(ValueError):
    """A setting has a wrong value; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Bind:
    """A ``host:port`` to listen on."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class AMISettings:
    """Where the Asterisk Manager Interface is, from ``ami://user:secret@host:port``."""

    host: str
    port: int
    username: str
    secret: str

    def __repr__(self) -> str:  # never print the secret
        return f"AMISettings(host={self.host!r}, port={self.port}, username={self.username!r})"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything omnivox reads from its environment."""

    database_url: str = "sqlite+aiosqlite:///./var/omnivox.db"
    redis_url: str | None = None
    ami: AMISettings | None = None
    fastagi_bind: Bind = field(default_factory=lambda: Bind("127.0.0.1", 4573))
    http_bind: Bind = field(default_factory=lambda: Bind("127.0.0.1", 8080))
    scenarios: Path = Path("scenarios")
    sounds: Path = Path("var/sounds")
    sound_prefix: str = "omnivox"
    default_region: str = "US"
    # the SMS sender posts each text here (unset: texts stay queued); may hold a secret
    sms_webhook_url: str | None = field(default=None, repr=False)
    public_url: str | None = None  # base of the links texted to customers (default: http_bind)
    resume_ttl_minutes: float = 120.0  # how long an SMS link to continue in chat works
    log_level: str = "INFO"
    agi_command_timeout: float = 10.0
    routing: Path = Path("config/routing.yaml")
    # every Redis key of this deployment starts with it (routing state, pops, sessions)
    redis_prefix: str = "omnivox:"
    secret_key: str | None = field(default=None, repr=False)
    speech_model: Path | None = None
    speech_workers: int = 2  # Vosk decoding threads shared by every call
    audiosocket_bind: Bind = field(default_factory=lambda: Bind("127.0.0.1", 9092))
    audiosocket_advertise: str | None = None  # host:port Asterisk connects to (default: bind)


# setting name -> (environment variable, parser)
def _parse_bind(name: str, raw: Any) -> Bind:
    text = str(raw).strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"{name}: expected host:port, got {text!r}")
    host = host.strip("[]")
    try:
        number = int(port)
    except ValueError:
        raise ConfigError(f"{name}: port must be a number, got {port!r}") from None
    if not 0 <= number <= 65535:
        raise ConfigError(f"{name}: port must be 0-65535, got {number}")
    return Bind(host, number)


def _parse_ami(name: str, raw: Any) -> AMISettings | None:
    text = str(raw).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme != "ami":
        raise ConfigError(
            f"{name}: expected ami://user:secret@host:port, got scheme {parts.scheme or 'none'!r}"
        )
    if not parts.username or parts.password is None or not parts.hostname:
        raise ConfigError(f"{name}: expected ami://user:secret@host:port (user, secret and host)")
    try:
        port = parts.port or 5038
    except ValueError:
        raise ConfigError(f"{name}: port must be a number 0-65535") from None
    return AMISettings(parts.hostname, port, unquote(parts.username), unquote(parts.password))


def _parse_db(name: str, raw: Any) -> str:
    text = str(raw).strip()
    scheme = text.partition("://")[0]
    if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        if scheme == "sqlite":
            return "sqlite+aiosqlite" + text[len(scheme) :]
        if scheme in ("postgresql", "postgres"):
            return "postgresql+asyncpg" + text[len(scheme) :]
        raise ConfigError(
            f"{name}: expected sqlite+aiosqlite:///file or postgresql+asyncpg://..., got {text!r}"
        )
    return text


def _parse_redis(name: str, raw: Any) -> str | None:
    text = str(raw).strip()
    if not text:
        return None
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{name}: expected redis://host:port/db, got {text!r}")
    return text


def _parse_http_url(name: str, raw: Any) -> str | None:
    text = str(raw).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}: expected an http:// or https:// URL, got {text!r}")
    return text


def _parse_float(name: str, raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be positive, got {value}")
    return value


def _parse_count(name: str, raw: Any) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name}: must be at least 1, got {value}")
    return value


def _parse_level(name: str, raw: Any) -> str:
    level = str(raw).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"{name}: expected DEBUG, INFO, WARNING or ERROR, got {raw!r}")
    return level


def _parse_region(name: str, raw: Any) -> str:
    region = str(raw).upper()
    if len(region) != 2 or not region.isalpha():
        raise ConfigError(f"{name}: expected a two-letter region code like US, got {raw!r}")
    return region


def _parse_str(name: str, raw: Any) -> str:
    if not str(raw).strip():
        raise ConfigError(f"{name}: must not be empty")
    return str(raw).strip()


def _parse_secret(name: str, raw: Any) -> str:
    text = str(raw).strip()
    if len(text) < 16:
        raise ConfigError(f"{name}: must be at least 16 characters (it signs agent sessions)")
    return text


_PARSERS: dict[str, Any] = {
    "database_url": _parse_db,
    "redis_url": _parse_redis,
    "ami": _parse_ami,
    "fastagi_bind": _parse_bind,
    "http_bind": _parse_bind,
    "scenarios": lambda n, raw: Path(_parse_str(n, raw)),
    "sounds": lambda n, raw: Path(_parse_str(n, raw)),
    "sound_prefix": _parse_str,
    "default_region": _parse_region,
    "sms_webhook_url": _parse_http_url,
    "public_url": _parse_http_url,
    "resume_ttl_minutes": _parse_float,
    "log_level": _parse_level,
    "agi_command_timeout": _parse_float,
    "routing": lambda n, raw: Path(_parse_str(n, raw)),
    "redis_prefix": _parse_str,
    "secret_key": _parse_secret,
    "speech_model": lambda n, raw: Path(str(raw).strip()) if str(raw).strip() else None,
    "speech_workers": _parse_count,
    "audiosocket_bind": _parse_bind,
    "audiosocket_advertise": lambda n, raw: str(_parse_bind(n, raw)) if str(raw).strip() else None,
}
# the name a setting has in the file and the environment, where it differs
_ALIASES = {"ami": "ami_url"}
assert set(_PARSERS) == {f.name for f in fields(Settings)}


def _public_name(setting: str) -> str:
    return _ALIASES.get(setting, setting)


def _apply(settings: Settings, values: Mapping[str, Any], label: Callable[[str], str]) -> Settings:
    """Parse ``values`` (keyed by public name) onto ``settings``; errors name ``label(key)``."""
    by_public = {_public_name(name): name for name in _PARSERS}
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        setting = by_public.get(key)
        if setting is None:
            known = ", ".join(sorted(by_public))
            raise ConfigError(f"{label(key)}: unknown setting (known: {known})")
        changes[setting] = _PARSERS[setting](label(key), raw)
    return replace(settings, **changes)


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build :class:`Settings` from defaults, the TOML file, the environment and ``overrides``.

    The file is ``config_file`` or ``$OMNIVOX_CONFIG``; it is optional unless named.
    """
    env = os.environ if environ is None else environ
    settings = Settings()
    path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"OMNIVOX_CONFIG: file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        settings = _apply(settings, data, lambda key: f"{path}: {key}")
    from_env = {
        _public_name(name): env[f"{ENV_PREFIX}{_public_name(name).upper()}"]
        for name in _PARSERS
        if f"{ENV_PREFIX}{_public_name(name).upper()}" in env
    }
    settings = _apply(settings, from_env, lambda key: f"{ENV_PREFIX}{key.upper()}")
    if overrides:
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = _apply(settings, given, lambda key: "--" + key.replace("_", "-"))
    return settings
