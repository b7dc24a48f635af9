"""What the container-file tests share: the files' paths and parsers for Dockerfiles, the compose
file (interpolation, ports, volumes) and Asterisk configs, without a Docker engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from omnivox.config import ENV_PREFIX, ConfigError, Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
ASTERISK_IMAGE = REPO / "docker/asterisk.Dockerfile"
OMNIVOX_IMAGE = REPO / "docker/omnivox.Dockerfile"
ASTERISK_CONFIG = REPO / "asterisk-config"
ETC = ASTERISK_CONFIG / "etc"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        word, _, args = (pending + line).strip().partition(" ")
        result.append((word.upper(), " ".join(args.split())))
        pending = ""
    return result


def args_of(dockerfile: Path, word: str) -> list[str]:
    return [args for name, args in instructions(dockerfile) if name == word]


def copies(dockerfile: Path) -> dict[str, str]:
    """COPY source -> destination."""
    return dict(args.rsplit(" ", 1) for args in args_of(dockerfile, "COPY"))  # type: ignore[misc]


def resolve(value: Any) -> str:
    """Compose interpolation with the file's own defaults (``${VAR:-default}``)."""

    def default(match: re.Match[str]) -> str:
        assert match.group(2) is not None, f"${{{match.group(1)}}} has no default"
        return match.group(2)

    return re.sub(r"\$\{(\w+):-([^}]*)\}|\$\{(\w+)\}", default, str(value))


def conf(path: Path) -> dict[str, list[tuple[str, str]]]:
    """An Asterisk config file as section -> [(key, value)] (no templates needed here)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in path.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            current = line[1 : line.index("]")]
            sections.setdefault(current, [])
        elif "=" in line:
            key, _, value = line.partition("=")
            sections[current].append((key.strip(), value.lstrip(">").strip()))
    return sections


def value(path: Path, section: str, key: str) -> str:
    values = [v for k, v in conf(path)[section] if k == key]
    assert len(values) == 1, f"{path.name} [{section}] {key}: {values}"
    return values[0]


def packages_txt() -> list[str]:
    lines = (ASTERISK_CONFIG / "packages.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def published(service: dict[str, Any]) -> dict[str, str]:
    """'target/proto' -> 'published' for a service's short-syntax ports."""
    result = {}
    for entry in service.get("ports", []):
        spec, _, proto = resolve(entry).partition("/")
        *_, host_port, target = spec.split(":")
        result[f"{target}/{proto or 'tcp'}"] = host_port
    return result


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """target -> (source, read_only) for short- and long-syntax volumes."""
    result = {}
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            result[entry["target"]] = (entry["source"], bool(entry.get("read_only")))
        else:
            source, target, *mode = entry.split(":")
            result[target] = (source, mode == ["ro"])
    return result


def assert_settings(env: dict[str, str], tmp_path: Path) -> Settings:
    """Every name is an ``OMNIVOX_<SETTING>`` of omnivox/config.py and every value parses.

    The environment layer skips names it does not know; the file layer, whose keys are the same
    names without the prefix, rejects them: so the names go through a settings file.
    """
    assert all(name.startswith(ENV_PREFIX) for name in env)
    toml = tmp_path / "names.toml"
    toml.write_text(
        "".join(
            f"{name.removeprefix(ENV_PREFIX).lower()} = {json.dumps(raw)}\n"
            for name, raw in env.items()
        )
    )
    try:
        load_settings(toml, environ={})
    except ConfigError as exc:
        pytest.fail(f"not a setting of omnivox/config.py: {exc}")
    return load_settings(environ=env)
