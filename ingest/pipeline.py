"""Incremental, crash-safe indexing of the corpus folder.

For every file: a content hash (file bytes + its sources.yaml entry + chunking settings + the
text rules); unchanged documents are skipped. A new or changed document is loaded, cleaned,
chunked and embedded; its new passages are written first, then its manifest record (the commit
point), then its stale passages are deleted (see assistant/store.py: searches only see passages
listed in the manifest, so an interrupted ingest leaves the previous index intact). Documents gone from
the folder are removed; passages no manifest record lists (left by an interrupted run) are
deleted at the end. One bad file is reported by name and does not stop the others.

After every ingest the `after_ingest` hooks run (and `assistant.retrieval.on_index_changed`
if it exists), e.g. to rebuild a lexical index from `store.live_chunks()`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.config import Settings, get_settings
from assistant.embeddings import configured_model_name, embedder_name
from assistant.store import IndexStore, ManifestRecord, StoreError, get_store
from ingest.chunking import Chunk, chunk_document
from ingest.loaders import LoaderError, load_document
from ingest.normalize import RULES_FILE, normalize
from ingest.sources import Catalog, SourceEntry, SourcesError, load_catalog

log = logging.getLogger(__name__)

# Bump when loading, cleaning or chunking changes in a way that changes passages: every
# document is then re-indexed once (its hash changes).
PIPELINE_VERSION = "1"


@dataclass
class FileFailure:
    file: str
    reason: str
    doc_id: str | None = None


@dataclass
class IngestReport:
    corpus_dir: Path
    index: str = ""
    documents: int = 0  # documents in the index after the run
    chunks: int = 0  # live passages after the run
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    embedded: int = 0  # passages whose vector was computed
    reused: int = 0  # passages whose vector was reused (same text already indexed)
    orphans_removed: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.orphans_removed or self.rebuilt)

    def summary(self) -> str:
        lines = [
            f"index: {self.documents} documents, {self.chunks} chunks — added {len(self.added)}, "
            f"updated {len(self.updated)}, removed {len(self.removed)}, unchanged {len(self.unchanged)}, "
            f"failed {len(self.failures)} ({self.seconds:.1f} s{', rebuilt' if self.rebuilt else ''})"
        ]
        for label, ids in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            if ids:
                lines.append(f"  {label}: {', '.join(ids)}")
        if self.orphans_removed:
            lines.append(f"  cleaned {self.orphans_removed} orphan chunks left by an interrupted ingest")
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  FAILED {f.file}: {f.reason}" for f in self.failures]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents, "chunks": self.chunks, "added": self.added, "updated": self.updated,
            "removed": self.removed, "unchanged": self.unchanged, "embedded": self.embedded, "reused": self.reused,
            "failures": [f.__dict__ for f in self.failures], "warnings": self.warnings,
            "orphans_removed": self.orphans_removed, "rebuilt": self.rebuilt, "seconds": round(self.seconds, 3),
        }


# --- after-ingest hooks ------------------------------------------------------------------------

AfterIngest = Callable[[IndexStore, IngestReport], None]
AFTER_INGEST: list[AfterIngest] = []


def after_ingest(hook: AfterIngest) -> AfterIngest:
    """Register a function called at the end of every ingest with (store, report)."""
    if hook not in AFTER_INGEST:
        AFTER_INGEST.append(hook)
    return hook


def _hooks(settings: Settings) -> list[tuple[str, AfterIngest]]:
    hooks = [(getattr(h, "__name__", repr(h)), h) for h in AFTER_INGEST]
    try:
        from assistant import retrieval
    except Exception as exc:  # retrieval may not import in a minimal set-up; the index is still fine
        log.debug("assistant.retrieval not importable: %s", exc)
        return hooks
    on_changed = getattr(retrieval, "on_index_changed", None)
    if callable(on_changed):
        # A hook that takes the settings learns where this index's lexical side lives (tests
        # ingest into temporary folders); a one-argument hook gets the store only.
        try:
            takes_settings = len(inspect.signature(on_changed).parameters) >= 2
        except (TypeError, ValueError):
            takes_settings = False
        if takes_settings:
            hooks.append(("assistant.retrieval.on_index_changed", lambda store, _report: on_changed(store, settings)))
        else:
            hooks.append(("assistant.retrieval.on_index_changed", lambda store, _report: on_changed(store)))
    return hooks


# --- helpers -----------------------------------------------------------------------------------

def content_hash(path: Path, entry: SourceEntry, settings: Settings) -> str:
    """Everything that determines a document's passages; a change re-indexes the document."""
    h = hashlib.sha256()
    h.update(f"ingest-v{PIPELINE_VERSION}\n".encode())
    h.update(json.dumps(entry.fingerprint(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    h.update(f"\n{settings.chunk_max_chars}:{settings.chunk_min_chars}\n".encode())
    h.update(RULES_FILE.read_bytes())
    with path.open("rb") as fh:  # in blocks: an oversized file is refused later, never held in memory
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def chunk_metadata(chunk: Chunk, entry: SourceEntry, doc_hash: str, index: int) -> dict[str, Any]:
    """Metadata stored with each passage (read back by assistant.store.passage_from_hit)."""
    return {
        "doc_id": chunk.doc_id, "title": chunk.title, "section": chunk.section,
        "page": chunk.page or 0, "page_end": chunk.page_end or 0, "start": chunk.start, "end": chunk.end,
        "chunk_index": index, "schemes": ",".join(entry.scheme_ids), "region": entry.region or "",
        "url": entry.url or "", "file": entry.file, "publisher": entry.publisher or "",
        "updated": entry.updated or "", "scheme": entry.scheme or "", "doc_hash": doc_hash,
    }


@contextlib.contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest at a time on this machine (a concurrent orphan sweep would eat fresh passages)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / "ingest.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another ingest is running; waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class _Planned:
    entry: SourceEntry
    path: Path
    doc_hash: str
    chunks: list[Chunk]
    previous: ManifestRecord | None


def prepare_chunks(entry: SourceEntry, path: Path, settings: Settings) -> list[Chunk]:
    """The passages of one file, or LoaderError (the ingest and an advisor's upload check alike)."""
    loaded = load_document(path, max_file_mb=settings.max_file_mb, max_pdf_pages=settings.max_pdf_pages)
    chunks = chunk_document(normalize(loaded), entry.id, entry.title, settings.chunk_max_chars,
                            settings.chunk_min_chars)
    if not chunks:
        raise LoaderError(path, "no text left to index after cleaning", "plus aucun texte à indexer après nettoyage")
    return chunks


def _embed(store: IndexStore, get_embedder: Callable[[], Embeddings], planned: list[_Planned], settings: Settings,
           report: IngestReport, advance: Callable[[int], None]) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Vectors of every planned passage: reused when the same text is already indexed under the
    same id, else computed in batches of similar lengths (less padding, faster on CPU).

    Returns the vectors and, per document, why its passages could not be embedded.
    """
    vectors: dict[str, list[float]] = {}
    todo: list[tuple[_Planned, Chunk]] = []
    for item in planned:
        known = store.existing([c.chunk_id for c in item.chunks])
        for c in item.chunks:
            stored = known.get(c.chunk_id)
            if stored is not None and stored[0] == c.text:
                vectors[c.chunk_id] = stored[1]
            else:
                todo.append((item, c))
    reused = sum(len(p.chunks) for p in planned) - len(todo)
    report.reused += reused
    advance(reused)
    todo.sort(key=lambda pair: len(pair[1].text))
    failed: dict[str, str] = {}
    size = max(1, settings.embedding_batch_size)
    for i in range(0, len(todo), size):
        batch = todo[i:i + size]
        try:
            computed = get_embedder().embed_documents([c.text for _, c in batch])
            if len(computed) != len(batch):
                raise ValueError(f"{len(computed)} vectors for {len(batch)} texts")
        except Exception as exc:
            log.exception("embedding a batch failed")
            for item, _ in batch:
                failed.setdefault(item.entry.id, f"embedding failed: {type(exc).__name__}: {exc}")
            advance(len(batch))
            continue
        for (_, c), v in zip(batch, computed, strict=True):
            vectors[c.chunk_id] = [float(x) for x in v]
        report.embedded += len(batch)
        advance(len(batch))
    return vectors, failed


def _write_document(store: IndexStore, item: _Planned, vectors: dict[str, list[float]]) -> None:
    """New passages first, then the manifest record (the commit point), then the stale passages.

    Until the record is written the document's previous passages are the live ones; after it, the
    new ones are. Stale passages left by a crash after the commit are orphans, swept later.
    """
    chunks = item.chunks
    ids = [c.chunk_id for c in chunks]
    store.upsert(
        ids=ids, embeddings=[vectors[i] for i in ids], documents=[c.text for c in chunks],
        metadatas=[chunk_metadata(c, item.entry, item.doc_hash, n) for n, c in enumerate(chunks)],
    )
    store.put_record(ManifestRecord(
        doc_id=item.entry.id, file=item.entry.file, title=item.entry.title, content_hash=item.doc_hash,
        chunk_ids=ids, ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        embedding_model=store.embedding_model,
    ))
    if item.previous is not None:
        keep = set(ids)
        store.delete([i for i in item.previous.chunk_ids if i not in keep])


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"),
        TimeElapsedColumn(), console=Console(stderr=True), disable=not show, transient=False,
    )


# --- entry point -------------------------------------------------------------------------------

def _plan(catalog: Catalog, records: dict[str, ManifestRecord], settings: Settings, report: IngestReport) -> list[_Planned]:
    """The documents to (re)index: new or changed ones, read and chunked; unreadable ones reported."""
    planned: list[_Planned] = []
    for entry, path in catalog.documents:
        try:
            doc_hash = content_hash(path, entry, settings)
        except OSError as exc:
            report.failures.append(FileFailure(path.name, f"cannot read the file: {exc}", entry.id))
            continue
        previous = records.get(entry.id)
        if previous is not None and previous.content_hash == doc_hash:
            report.unchanged.append(entry.id)
            continue
        try:
            chunks = prepare_chunks(entry, path, settings)
        except LoaderError as exc:
            report.failures.append(FileFailure(path.name, exc.reason, entry.id))
            continue
        except Exception as exc:  # a bug on one document must not block the others
            log.exception("unexpected error while preparing %s", path.name)
            report.failures.append(FileFailure(path.name, f"{type(exc).__name__}: {exc}", entry.id))
            continue
        planned.append(_Planned(entry, path, doc_hash, chunks, previous))
    return planned


def _remove_gone(store: IndexStore, catalog: Catalog, records: dict[str, ManifestRecord], report: IngestReport) -> None:
    """Documents no longer in the catalogue, then passages no live document lists (a crash's leftovers)."""
    present = {entry.id for entry, _ in catalog.documents}
    for doc_id, record in sorted(records.items()):
        if doc_id not in present:
            store.delete_record(doc_id)  # invisible from here on; then its passages go
            store.delete(record.chunk_ids)
            report.removed.append(doc_id)

    final = store.records()
    live = set(store.live_ids(final))
    orphans = store.all_ids() - live
    if orphans:
        store.delete(sorted(orphans))
        report.orphans_removed = len(orphans)
    report.documents = len(final)
    report.chunks = len(live)


def run_ingest(
    corpus_dir: Path | str | None = None,
    rebuild: bool = False,
    settings: Settings | None = None,
    embedder: Embeddings | None = None,
    store: IndexStore | None = None,
    show_progress: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """(Re)index the corpus folder; never raises for a bad file (see report.failures).
    `progress(done, total)` follows the passages embedded (the advisor view's progress bar)."""
    started = time.perf_counter()
    settings = settings or get_settings()
    corpus = Path(corpus_dir) if corpus_dir else settings.corpus_dir
    report = IngestReport(corpus_dir=corpus)
    show = sys.stderr.isatty() if show_progress is None else show_progress
    with ingest_lock(settings):
        try:
            catalog = load_catalog(corpus)
        except SourcesError as exc:
            report.failures.append(FileFailure(file="sources.yaml", reason=str(exc)))
            report.seconds = time.perf_counter() - started
            return report
        report.warnings.extend(catalog.warnings)
        # The model loads only if something has to be embedded (an up-to-date index costs nothing).
        model_name = embedder_name(embedder) if embedder is not None else configured_model_name(settings)

        def load_embedder() -> Embeddings:
            nonlocal embedder
            if embedder is None:
                from assistant.embeddings import get_embedder

                embedder = get_embedder(settings)
            return embedder

        report.index = f"{settings.collection} @ {settings.chroma_host or settings.chroma_dir}"
        try:
            store = store or get_store(settings, embedding_model=model_name)
        except StoreError as exc:
            report.failures.append(FileFailure(file="(index)", reason=str(exc)))
            report.seconds = time.perf_counter() - started
            return report
        if store.model_mismatch and not rebuild:
            report.warnings.append(
                f"the index was built with {store.indexed_model!r}, the settings use {model_name!r}: rebuilding"
            )
            rebuild = True
        if rebuild:
            store.reset()
            report.rebuilt = True
        records = store.records()

        planned = _plan(catalog, records, settings, report)

        total = sum(len(p.chunks) for p in planned)
        embedded = 0
        if progress is not None:
            progress(0, total)
        with _progress(show and total > 0) as bar:
            task = bar.add_task(f"embedding {len(planned)} documents", total=total)

            def advance(n: int) -> None:
                nonlocal embedded
                embedded += n
                bar.advance(task, n)
                if progress is not None:
                    progress(embedded, total)

            vectors, not_embedded = _embed(store, load_embedder, planned, settings, report, advance)
        for item in planned:
            if item.entry.id in not_embedded:
                report.failures.append(FileFailure(item.path.name, not_embedded[item.entry.id], item.entry.id))
                continue
            try:
                _write_document(store, item, vectors)
            except Exception as exc:  # the previous version of this document stays live
                log.exception("indexing %s failed", item.path.name)
                report.failures.append(FileFailure(item.path.name, f"{type(exc).__name__}: {exc}", item.entry.id))
                continue
            (report.updated if item.previous is not None else report.added).append(item.entry.id)

        _remove_gone(store, catalog, records, report)

        for name, hook in _hooks(settings):
            try:
                hook(store, report)
            except Exception as exc:
                log.exception("after-ingest hook %s failed", name)
                report.failures.append(FileFailure(f"(after_ingest {name})", f"{type(exc).__name__}: {exc}"))
    report.seconds = time.perf_counter() - started
    for failure in report.failures:
        log.error("ingest: %s: %s", failure.file, failure.reason)
    return report
