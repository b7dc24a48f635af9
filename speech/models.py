"""``omnivox models``: list, check and install Vosk models.

    omnivox models list [--dir DIR]          # every model directory under DIR
    omnivox models check [PATH]              # load it (default: the speech_model setting)
    omnivox models install SOURCE [--dir DIR] [--name NAME]
                                             # a model directory, .zip, .tar.gz or .tgz

Models come from the Vosk project (https://alphacephei.com/vosk/models, e.g.
``vosk-model-small-en-us-0.15``); download one where omnivox runs, install it, and set
``speech_model`` (``OMNIVOX_SPEECH_MODEL``) to the installed directory.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from speech.exceptions import SpeechError, SpeechModelError
from speech.recognizer import SpeechModel, check_model_dir

DEFAULT_DIR = Path("var/models")
ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")


class ModelInstallError(SpeechError):
    """A model could not be installed; the message says why."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One directory under the models directory: a usable model or the reason it is not."""

    name: str
    path: Path
    size_bytes: int
    problem: str | None = None


def list_models(directory: Path) -> list[ModelInfo]:
    """Every subdirectory of ``directory``, checked for the files of a Vosk model (not loaded)."""
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
        problem = None
        try:
            check_model_dir(path)
        except SpeechModelError as exc:
            problem = exc.reason
        out.append(ModelInfo(path.name, path, _size(path), problem))
    return out


def install_model(source: Path, directory: Path, name: str | None = None) -> Path:
    """Copy a model directory, or unpack an archive, into ``directory``; the installed path.

    The result must look like a Vosk model (``check_model_dir``); an existing model of the
    same name is never overwritten.
    """
    source = source.expanduser()
    if not source.exists():
        raise ModelInstallError(f"{source}: no such file or directory")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".installing-") as scratch:
        if source.is_dir():
            root = source
        elif source.name.lower().endswith(ARCHIVES):
            root = _unpack(source, Path(scratch))
        else:
            raise ModelInstallError(
                f"{source}: not a directory or an archive ({', '.join(ARCHIVES)})"
            )
        try:
            check_model_dir(root)
        except SpeechModelError as exc:
            raise ModelInstallError(f"{source}: {exc.reason}") from None
        target = directory / (name or _model_name(source, root))
        if target.exists():
            raise ModelInstallError(f"{target} already exists: remove it or pass another --name")
        if root == source:
            shutil.copytree(source, target)
        else:
            shutil.move(str(root), target)
    return target


def _model_name(source: Path, root: Path) -> str:
    if root.name and not root.name.startswith(".installing-") and root.name != "unpacked":
        return root.name
    name = source.name
    for suffix in ARCHIVES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _unpack(archive: Path, scratch: Path) -> Path:
    """Unpack safely (no absolute paths, no ``..``, no links out); the model's root."""
    out = scratch / "unpacked"
    out.mkdir()
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    _safe_member(member, archive)
                zf.extractall(out)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(out, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
        raise ModelInstallError(f"{archive}: cannot unpack: {exc}") from None
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]  # the usual layout: vosk-model-xx/ at the top
    return out


def _safe_member(member: str, archive: Path) -> None:
    parts = Path(member).parts
    if member.startswith(("/", "\\")) or ".." in parts:
        raise ModelInstallError(f"{archive}: unsafe path in archive: {member!r}")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: Sequence[str], default_model: Path | None) -> int:
    """The ``omnivox models`` subcommand; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="omnivox models", description="List, check and install Vosk speech models."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    where = DEFAULT_DIR if default_model is None else default_model.parent
    listing = sub.add_parser("list", help="models in the models directory")
    listing.add_argument("--dir", type=Path, default=where, help=f"default: {where}")
    check = sub.add_parser("check", help="load a model (default: the speech_model setting)")
    check.add_argument("path", nargs="?", type=Path, default=default_model)
    install = sub.add_parser("install", help="install a model directory or archive")
    install.add_argument("source", type=Path)
    install.add_argument("--dir", type=Path, default=where, help=f"default: {where}")
    install.add_argument("--name", help="directory name (default: the model's own)")
    args = parser.parse_args(list(argv))
    try:
        if args.action == "list":
            return _print_list(args.dir)
        if args.action == "check":
            if args.path is None:
                print(
                    "omnivox models check: no model given and speech_model is not set",
                    file=sys.stderr,
                )
                return 2
            model = SpeechModel.load(args.path)
            print(f"{model.path}: OK, loaded in {model.load_seconds:.1f} s")
            return 0
        target = install_model(args.source, args.dir, args.name)
        print(f"installed {target}; use it with OMNIVOX_SPEECH_MODEL={target}")
        return 0
    except (SpeechError, OSError) as exc:
        print(f"omnivox models {args.action}: {exc}", file=sys.stderr)
        return 1


def _print_list(directory: Path) -> int:
    models = list_models(directory)
    if not models:
        print(f"no models in {directory}")
        return 0
    for info in models:
        state = "ok" if info.problem is None else f"not a model: {info.problem}"
        print(f"{info.name}\t{info.size_bytes / 1e6:.0f} MB\t{state}")
    return 0
