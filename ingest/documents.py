"""Add, replace or remove a document of the corpus folder, as an advisor does from the advisor view.

The same files as by hand (the document in `corpus/`, its entry in `sources.yaml`), then the same
incremental `run_ingest` as `assistant ingest`. A new file is checked first — loaded and cut into
passages in a temporary folder with the ingest's own code — so a bad or oversized file is refused
with a French message and neither the corpus nor the index changes. Files and sources.yaml are
written to a hidden temporary name and renamed (atomic on one file system): a crash leaves the
previous version, never half a file; the comment lines that open sources.yaml are kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.config import Settings
from ingest.loaders import EXTENSIONS, LoaderError
from ingest.pipeline import prepare_chunks
from ingest.sources import SOURCES_FILE, SourceEntry, names, slug

# The entry fields an advisor fills in (sources.yaml); `file` and `id` are set here.
FIELDS = ("title", "publisher", "updated", "url", "region", "scheme", "schemes", "contact", "synonyms")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class DocumentError(ValueError):
    """A document that cannot be added, replaced or removed; the message is for the advisor, in French."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Checked:
    """A file that passed the ingest's loader and chunker."""

    entry: SourceEntry
    passages: int
    sections: list[str]


@contextlib.contextmanager
def corpus_lock(corpus_dir: Path) -> Iterator[None]:
    """One change of the corpus folder at a time, across processes (two uvicorn workers)."""
    with (corpus_dir / ".sources.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_sources(corpus_dir: Path) -> tuple[str, list[dict]]:
    """The comment lines that open sources.yaml, and its entries as written."""
    path = corpus_dir / SOURCES_FILE
    if not path.exists():
        return "", []
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True)[: _header_end(text)])
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{SOURCES_FILE} est illisible ({exc}) : corrigez-le avant d'ajouter un document.", 409) from exc
    return header, list(data.get("documents") or [])


def _header_end(text: str) -> int:
    lines = text.splitlines()
    n = 0
    while n < len(lines) and (lines[n].startswith("#") or not lines[n].strip()):
        n += 1
    return n


def _write_sources(corpus_dir: Path, header: str, documents: list[dict]) -> None:
    body = yaml.safe_dump({"documents": documents}, allow_unicode=True, sort_keys=False, width=120)
    _write_atomic(corpus_dir / SOURCES_FILE, (header + body).encode("utf-8"))


def _clean(fields: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in FIELDS:
        value = fields.get(key)
        if key in ("schemes", "synonyms"):
            value = list(names(value))  # a list, or one string with commas, as sources.yaml reads it
        elif isinstance(value, str):
            value = value.strip()
        if value not in (None, "", []):
            out[key] = value
    if "title" not in out:
        raise DocumentError("Le titre du document est obligatoire.")
    updated = out.get("updated")
    if updated is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(updated)):
        raise DocumentError("La date de mise à jour s'écrit AAAA-MM-JJ (par exemple 2024-09-01).")
    return out


def check_file(filename: str, data: bytes, entry: SourceEntry, settings: Settings) -> Checked:
    """Load and chunk the file as the ingest would, in a temporary folder; DocumentError if it fails."""
    suffix = Path(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        raise DocumentError(f"« {filename} » : type de fichier non pris en charge ; envoyez un PDF, un Markdown "
                            f"(.md), une page HTML ou un texte (.txt).", 415)
    if len(data) > settings.max_file_mb * 1024 * 1024:
        raise DocumentError(f"« {filename} » : fichier trop lourd ({len(data) / 1048576:.1f} Mo ; au plus "
                            f"{settings.max_file_mb:g} Mo).", 413)
    with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            chunks = prepare_chunks(entry, path, settings)
        except LoaderError as exc:
            raise DocumentError(f"« {filename} » ne peut pas être indexé : {exc.french}.", 422) from exc
    sections = list(dict.fromkeys(c.section for c in chunks if c.section))
    return Checked(entry=entry, passages=len(chunks), sections=sections[:20])


def _file_name(doc_id: str, filename: str) -> str:
    return f"{doc_id}{Path(filename).suffix.lower()}"


def save_document(
    corpus_dir: Path, filename: str, data: bytes | None, fields: Mapping[str, object], settings: Settings,
    doc_id: str | None = None, replace: bool = False,
) -> Checked:
    """Add a document (`replace=False`: its id must be new) or replace one (its file, its entry, or
    both: `data=None` keeps the file). Checked before anything is written."""
    with corpus_lock(corpus_dir):
        return _save(corpus_dir, filename, data, fields, settings, doc_id, replace)


def _save(
    corpus_dir: Path, filename: str, data: bytes | None, fields: Mapping[str, object], settings: Settings,
    doc_id: str | None, replace: bool,
) -> Checked:
    header, documents = _read_sources(corpus_dir)
    values = _clean(fields)
    doc_id = doc_id or slug(str(values["title"]))
    if not _ID.match(doc_id):
        raise DocumentError("L'identifiant s'écrit en minuscules, chiffres et tirets (par exemple « pfi-forem »).")
    current = next((d for d in documents if str(d.get("id")) == doc_id), None)
    if replace and current is None:
        raise DocumentError(f"Aucun document « {doc_id} » dans le corpus.", 404)
    if not replace and current is not None:
        raise DocumentError(f"Un document « {doc_id} » existe déjà : remplacez-le ou choisissez un autre identifiant.", 409)
    old_file = str(current["file"]) if current else None
    new_file = _file_name(doc_id, filename) if data is not None else old_file
    assert new_file is not None
    if data is None:
        if old_file is None or not (corpus_dir / old_file).exists():
            raise DocumentError("Envoyez le fichier du document.")
        data = (corpus_dir / old_file).read_bytes()
        filename = old_file
    taken = {str(d.get("file")) for d in documents if d is not current}
    if new_file in taken or (new_file != old_file and (corpus_dir / new_file).exists()):
        raise DocumentError(f"Le fichier « {new_file} » existe déjà dans le corpus.", 409)
    record = {"id": doc_id, "file": new_file, **values}
    entry = SourceEntry(
        id=doc_id, file=new_file, title=str(values["title"]),
        schemes=names(values.get("schemes")),
    )
    checked = check_file(filename, data, entry, settings)
    _write_atomic(corpus_dir / new_file, data)
    documents = [record if d is current else d for d in documents] if current else [*documents, record]
    _write_sources(corpus_dir, header, documents)
    if old_file and old_file != new_file:
        (corpus_dir / old_file).unlink(missing_ok=True)
    return checked


def remove_document(corpus_dir: Path, doc_id: str) -> str:
    """Take a document out of sources.yaml and the folder; returns its file name."""
    with corpus_lock(corpus_dir):
        header, documents = _read_sources(corpus_dir)
        current = next((d for d in documents if str(d.get("id")) == doc_id), None)
        if current is None:
            raise DocumentError(f"Aucun document « {doc_id} » dans le corpus.", 404)
        _write_sources(corpus_dir, header, [d for d in documents if d is not current])
        (corpus_dir / str(current["file"])).unlink(missing_ok=True)
        return str(current["file"])
