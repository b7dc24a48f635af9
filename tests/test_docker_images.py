"""The two images, checked without a Docker engine: the Asterisk image installs exactly
packages.txt and the config with the shared script; the omnivox image pip-installs every package
with its dependencies, ports, command, environment and health check; .dockerignore keeps out the
chroot but nothing an image copies."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.docker_helpers import (
    ASTERISK_CONFIG,
    ASTERISK_IMAGE,
    ETC,
    OMNIVOX_IMAGE,
    REPO,
    args_of,
    assert_settings,
    copies,
    packages_txt,
    value,
)


def test_asterisk_image_installs_exactly_packages_txt() -> None:
    assert args_of(ASTERISK_IMAGE, "FROM")[0].startswith("debian:sid")
    inside = copies(ASTERISK_IMAGE)["asterisk-config/packages.txt"]
    (install,) = [a for a in args_of(ASTERISK_IMAGE, "RUN") if "apt-get install" in a]
    assert "--no-install-recommends" in install  # debootstrap --include takes no Recommends
    (listing,) = re.findall(r"\$\((.*?packages\.txt[^)]*)\)", install)
    assert inside in listing
    # The image's own command, run on the real file, lists exactly the packages.
    real = listing.replace(inside, str(ASTERISK_CONFIG / "packages.txt"))
    done = subprocess.run(["bash", "-c", real], capture_output=True, text=True, check=True)
    assert done.stdout.split() == packages_txt()


def test_asterisk_image_installs_the_config_with_the_shared_script() -> None:
    sources = copies(ASTERISK_IMAGE)
    script = sources["asterisk-config/install-config.sh"]
    assert sources["asterisk-config/etc"] == str(Path(script).parent / "etc")  # $HERE/etc
    assert any(a.startswith(f"bash {script} / ") for a in args_of(ASTERISK_IMAGE, "RUN"))
    entrypoint = sources["docker/asterisk-entrypoint.sh"]
    assert args_of(ASTERISK_IMAGE, "ENTRYPOINT") == [f'["{entrypoint}"]']
    (cmd,) = args_of(ASTERISK_IMAGE, "CMD")
    assert '"-f"' in cmd and '"-U", "asterisk"' in cmd
    rtp = "{}-{}".format(
        value(ETC / "rtp.conf", "general", "rtpstart"), value(ETC / "rtp.conf", "general", "rtpend")
    )
    (expose,) = args_of(ASTERISK_IMAGE, "EXPOSE")
    assert set(expose.split()) == {"5038/tcp", "5060/udp", f"{rtp}/udp"}
    assert "core waitfullybooted" in args_of(ASTERISK_IMAGE, "HEALTHCHECK")[0]


def test_omnivox_image_pip_installs_every_package() -> None:
    sources = copies(OMNIVOX_IMAGE)
    src = str(Path(sources["pyproject.toml"]).parent)
    assert any(f"pip install --no-deps {src}" in a for a in args_of(OMNIVOX_IMAGE, "RUN"))
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [
        p.name
        for p in REPO.iterdir()
        if (p / "__init__.py").exists() and any(fnmatch.fnmatch(p.name, pat) for pat in patterns)
    ]
    assert packages
    for package in packages:  # a package left out would be missing from the installed wheel
        assert sources.get(package) == f"{src}/{package}", package
    # The dependency layer's one-liner, run on the real pyproject.toml, lists its dependencies.
    (deps,) = [a for a in args_of(OMNIVOX_IMAGE, "RUN") if "tomllib" in a]
    code = re.search(r'python -c "(.*?)"', deps).group(1)  # type: ignore[union-attr]
    code = code.replace(sources["pyproject.toml"], str(REPO / "pyproject.toml"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == pyproject["project"]["dependencies"]


def test_omnivox_image_ports_command_environment_health(tmp_path: Path) -> None:
    assert set(args_of(OMNIVOX_IMAGE, "EXPOSE")[0].split()) == {"4573", "8080", "9092"}
    assert args_of(OMNIVOX_IMAGE, "CMD") == [
        '["sh", "-c", "omnivox migrate && exec omnivox serve"]'
    ]
    env = dict(
        pair.split("=", 1)
        for a in args_of(OMNIVOX_IMAGE, "ENV")
        for pair in a.split()
        if "=" in pair
    )
    settings = assert_settings({k: v for k, v in env.items() if k.startswith("OMNIVOX_")}, tmp_path)
    assert (settings.fastagi_bind.port, settings.http_bind.port) == (4573, 8080)
    assert copies(OMNIVOX_IMAGE)["scenarios"] == str(settings.scenarios)
    checker = copies(OMNIVOX_IMAGE)["docker/omnivox-healthcheck.py"]
    assert checker in args_of(OMNIVOX_IMAGE, "HEALTHCHECK")[0]
    assert args_of(OMNIVOX_IMAGE, "USER") == ["omnivox"]


def test_dockerignore_keeps_out_the_chroot_but_not_what_images_copy() -> None:
    patterns = [
        ln.strip() for ln in (REPO / ".dockerignore").read_text().splitlines() if ln.strip()
    ]
    patterns = [p for p in patterns if not p.startswith("#")]
    assert not any(p.startswith("!") for p in patterns)  # the matcher below has no exceptions

    def excluded(path: str) -> bool:
        parts = path.split("/")
        return any(
            fnmatch.fnmatch("/".join(parts[:i]), p)
            or (p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:]))
            for i in range(1, len(parts) + 1)
            for p in patterns
        )

    for heavy in ("var/asterisk-chroot/usr/sbin/asterisk", ".venv/bin/python", ".git/HEAD"):
        assert excluded(heavy), heavy
    for image in (ASTERISK_IMAGE, OMNIVOX_IMAGE):
        for source in copies(image):
            assert (REPO / source).exists(), source
            assert not excluded(source), f"{image.name} copies {source}, which .dockerignore drops"
