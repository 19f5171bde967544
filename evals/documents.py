"""Suites about documents that are not in the corpus: run on a throwaway corpus.

A suite that says `documents: FOLDER` (relative to the suite file) is about brochures added the way
an advisor adds them: the folder holds the files and a `sources.yaml` with their entries. The
evaluation copies the corpus and that folder into a temporary directory, merges the two
sources.yaml, indexes it from nothing with the same `run_ingest` as `assistant ingest`, and points
the settings there (embedded Chroma and SQLite, whatever the settings say: a shared server's index
is never touched); everything is deleted afterwards. Nothing of the real index or corpus changes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from assistant.config import get_settings
from ingest.sources import SOURCES_FILE, SourcesError, read_entries

# Settings that would send the throwaway index elsewhere than its temporary folder.
_REDIRECTED = ("ASSISTANT_CORPUS_DIR", "ASSISTANT_DATA_DIR", "ASSISTANT_CHROMA_HOST", "ASSISTANT_CHROMA_PATH",
               "ASSISTANT_BM25_PATH", "ASSISTANT_DATABASE_URL")


class DocumentsError(ValueError):
    """The extra documents cannot be added (no sources.yaml, an id or a file name already taken)."""


def document_ids(folder: Path) -> frozenset[str]:
    """The ids the folder's sources.yaml gives its documents."""
    if not (folder / SOURCES_FILE).is_file():
        raise DocumentsError(f"{folder}: pas de {SOURCES_FILE} (les documents ajoutés ont besoin de leur fiche)")
    try:
        entries = read_entries(folder)
    except SourcesError as exc:
        raise DocumentsError(str(exc)) from exc
    return frozenset(e.id for e in entries)


def merge_corpus(base: Path, extra: Path, target: Path) -> None:
    """Copy the corpus and the extra documents into `target`, with one sources.yaml for both."""
    def documents(folder: Path) -> list[dict]:
        data = yaml.safe_load((folder / SOURCES_FILE).read_text(encoding="utf-8")) or {}
        return list(data.get("documents") or [])

    base_docs, extra_docs = documents(base), documents(extra)
    taken_ids = {str(d.get("id")) for d in base_docs}
    taken_files = {p.name for p in base.iterdir() if p.is_file()}
    for doc in extra_docs:
        if str(doc.get("id")) in taken_ids or doc.get("file") in taken_files:
            raise DocumentsError(f"{extra}: {doc.get('id')!r} ({doc.get('file')}) existe déjà dans le corpus {base}")
    target.mkdir(parents=True, exist_ok=True)
    for folder in (base, extra):
        for path in folder.iterdir():
            if path.is_file() and path.name != SOURCES_FILE:
                shutil.copy2(path, target / path.name)
    merged = {"documents": base_docs + extra_docs}
    (target / SOURCES_FILE).write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")


@contextmanager
def throwaway_corpus(extra: Path) -> Iterator[Path]:
    """The corpus plus `extra`'s documents, indexed from nothing; the settings point to it inside
    the block and are restored after it. Raises DocumentsError when indexing fails."""
    from ingest.pipeline import run_ingest

    base = get_settings().corpus_dir
    saved = {name: os.environ.get(name) for name in _REDIRECTED}
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        corpus = Path(tmp) / "corpus"
        merge_corpus(base, extra, corpus)
        for name in _REDIRECTED:
            os.environ.pop(name, None)
        os.environ["ASSISTANT_CORPUS_DIR"] = str(corpus)
        os.environ["ASSISTANT_DATA_DIR"] = str(Path(tmp) / "var")
        get_settings.cache_clear()
        try:
            report = run_ingest(corpus_dir=corpus, rebuild=True)
            if report.failed:
                raise DocumentsError(f"indexation du corpus d'essai : {report.summary()}")
            yield corpus
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            get_settings.cache_clear()
