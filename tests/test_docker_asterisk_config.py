"""The Asterisk image's config steps, run for real on temporary trees: the shared install script
(against chroot.sh's own install-config) and the entrypoint's container-only rendering."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ETC = REPO / "asterisk-config/etc"
INSTALL = REPO / "asterisk-config/install-config.sh"
CHROOT_SH = REPO / "asterisk-config/chroot.sh"
ENTRYPOINT = REPO / "docker/asterisk-entrypoint.sh"
PRIVATE = ("10.0.0.0/255.0.0.0", "172.16.0.0/255.240.0.0", "192.168.0.0/255.255.0.0")


def fake_root(path: Path) -> Path:
    """What the packages leave behind, as far as the install step cares."""
    (path / "usr/sbin").mkdir(parents=True)
    (path / "usr/sbin/asterisk").write_text("#!/bin/sh\n")
    (path / "usr/sbin/asterisk").chmod(0o755)
    (path / "usr/share/asterisk/sounds/ru_RU_f_Voice").mkdir(parents=True)
    (path / "usr/share/asterisk/sounds/en_US_f_Allison").mkdir()
    (path / "etc/asterisk").mkdir(parents=True)
    (path / "etc/asterisk/sip.conf").write_text("; a package sample\n")
    return path


def tree(root: Path) -> dict[str, str]:
    """Relative path -> 'dir', 'link:<target>' or the file's text."""
    result = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            result[rel] = f"link:{os.readlink(path)}"
        elif path.is_dir():
            result[rel] = "dir"
        else:
            result[rel] = path.read_text()
    return result


def run(
    *command: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", *map(str, command)],
        env={"PATH": os.environ["PATH"], **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_install_config_replaces_the_samples_and_links_the_sounds(tmp_path: Path) -> None:
    root = fake_root(tmp_path / "root")
    done = run(INSTALL, root)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (root / "etc/asterisk").iterdir()) == sorted(
        p.name for p in ETC.glob("*.conf")
    )
    for conf in ETC.glob("*.conf"):
        assert filecmp.cmp(conf, root / "etc/asterisk" / conf.name, shallow=False)
    sounds = root / "usr/share/asterisk/sounds"
    assert os.readlink(sounds / "omnivox") == "/var/lib/asterisk/sounds/omnivox"
    assert os.readlink(sounds / "ru") == "ru_RU_f_Voice"
    for directory in ("var/lib/asterisk/sounds/omnivox", "var/log/asterisk", "run/asterisk"):
        assert (root / directory).is_dir()
    before = tree(root)
    assert run(INSTALL, root).returncode == 0
    assert tree(root) == before  # a second run changes nothing


def test_install_config_matches_chroot_sh(tmp_path: Path) -> None:
    """Until chroot.sh calls the script, both must install the same tree."""
    ours, chroots = fake_root(tmp_path / "ours"), fake_root(tmp_path / "chroot")
    assert run(INSTALL, ours).returncode == 0
    done = run(CHROOT_SH, "install-config", chroots)
    assert done.returncode == 0, done.stderr
    assert tree(ours) == tree(chroots)


def test_install_config_refuses_a_root_without_asterisk(tmp_path: Path) -> None:
    root = fake_root(tmp_path / "root")
    (root / "usr/sbin/asterisk").unlink()
    done = run(INSTALL, root)
    assert done.returncode != 0 and "no Asterisk in" in done.stderr
    assert (root / "etc/asterisk/sip.conf").exists()  # nothing touched
    assert run(INSTALL).returncode != 0  # no ROOT: usage, not "/"


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    copy = tmp_path / "etc"
    shutil.copytree(ETC, copy)
    return copy


def compose_asterisk_env() -> dict[str, str]:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    env = compose["services"]["asterisk"]["environment"]
    # ${VAR:-default} -> default, as compose does with VAR unset.
    return {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}


def changed_lines(etc: Path) -> dict[str, tuple[list[str], list[str]]]:
    """File -> (lines only in the original, lines only in the rendered copy)."""
    result = {}
    for conf in sorted(ETC.glob("*.conf")):
        old, new = conf.read_text().splitlines(), (etc / conf.name).read_text().splitlines()
        if old != new:
            result[conf.name] = (
                [ln for ln in old if ln not in new],
                [ln for ln in new if ln not in old],
            )
    return result


def test_render_with_the_compose_environment(etc: Path) -> None:
    env = compose_asterisk_env()
    done = run(ENTRYPOINT, "render", etc, env=env)
    assert done.returncode == 0, done.stderr
    start, end = env["OMNIVOX_RTP_PORTS"].split("-")
    assert changed_lines(etc) == {
        "extensions.conf": (
            ["OMNIVOX_AGI = 127.0.0.1:4573"],
            [f"OMNIVOX_AGI = {env['OMNIVOX_AGI']}"],
        ),
        "manager.conf": (
            ["bindaddr = 127.0.0.1"],
            ["bindaddr = 0.0.0.0", *(f"permit = {p}" for p in PRIVATE)],
        ),
        "pjsip.conf": (["bind = 127.0.0.1:5060"], ["bind = 0.0.0.0:5060"]),
        "rtp.conf": (["rtpend = 10999"], [f"rtpend = {end}"]),
    }
    assert f"rtpstart = {start}" in (etc / "rtp.conf").read_text().splitlines()
    # The loopback permit stays, and the secret is the compose one (by default the chroot's).
    manager = (etc / "manager.conf").read_text()
    assert "permit = 127.0.0.1/255.255.255.255" in manager
    assert f"secret = {env['OMNIVOX_AMI_SECRET']}" in manager
    rendered = {p.name: p.read_text() for p in etc.iterdir()}
    assert run(ENTRYPOINT, "render", etc, env=env).returncode == 0
    assert {p.name: p.read_text() for p in etc.iterdir()} == rendered  # same at every start


def test_render_defaults_keep_globals_rtp_and_secret(etc: Path) -> None:
    assert run(ENTRYPOINT, "render", etc).returncode == 0
    assert set(changed_lines(etc)) == {"manager.conf", "pjsip.conf"}


def test_render_takes_any_global_verbatim(etc: Path) -> None:
    env = {"OMNIVOX_OPERATOR": "PJSIP/1001&PJSIP/1002", "OMNIVOX_RING_TIMEOUT": "35"}
    done = run(ENTRYPOINT, "render", etc, env=env)
    assert done.returncode == 0, done.stderr
    assert changed_lines(etc)["extensions.conf"][1] == [
        "OMNIVOX_OPERATOR = PJSIP/1001&PJSIP/1002",
        "OMNIVOX_RING_TIMEOUT = 35",
    ]
    assert "global OMNIVOX_OPERATOR" in done.stderr


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("OMNIVOX_AMI_BIND", "any"),
        ("OMNIVOX_AMI_PERMIT", " "),
        ("OMNIVOX_AMI_PERMIT", "10.0.0.0"),
        ("OMNIVOX_AMI_SECRET", "two words"),
        ("OMNIVOX_SIP_BIND", "0.0.0.0"),
        ("OMNIVOX_RTP_PORTS", "20000-10000"),
        ("OMNIVOX_AGI", "omnivox:4573;x"),
    ],
)
def test_render_rejects_bad_values_and_changes_nothing(etc: Path, name: str, bad: str) -> None:
    done = run(ENTRYPOINT, "render", etc, env={name: bad})
    assert done.returncode == 2
    assert name in done.stderr
    assert changed_lines(etc) == {}


def test_render_names_a_line_it_cannot_find(etc: Path) -> None:
    manager = etc / "manager.conf"
    manager.write_text(manager.read_text().replace("bindaddr = 127.0.0.1\n", ""))
    done = run(ENTRYPOINT, "render", etc)
    assert (
        done.returncode == 2
        and "manager.conf: a line this script rewrites is missing" in done.stderr
    )
    assert changed_lines(etc) == {"manager.conf": (["bindaddr = 127.0.0.1"], [])}
