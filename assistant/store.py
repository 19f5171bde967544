"""The Chroma index: passages with their vectors, and the manifest that says which are live.

One process on one machine uses an embedded `PersistentClient` (ASSISTANT_CHROMA_PATH, default
var/chroma); setting ASSISTANT_CHROMA_HOST switches to a Chroma server (`chroma run`) with no
other change. The manifest lives in a second collection of the same database
(`<collection>__manifest`, one record per document) so both modes, and every process, see the same
one.

The manifest is the source of truth for what the index contains: an ingest writes a document's
new passages first, then its manifest record (the commit point), then deletes its stale
passages; searches only consider passages listed in the manifest. A crash part-way therefore
leaves the previous index fully usable; the next ingest removes the orphans.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.config import Settings, get_settings
from assistant.schemas import Passage

log = logging.getLogger(__name__)

MANIFEST_SUFFIX = "__manifest"
SPACE = "cosine"
_BATCH = 500


class StoreError(RuntimeError):
    """The index cannot be used as configured (server unreachable, model mismatch)."""


@dataclass
class ManifestRecord:
    """One indexed document: what was indexed (content hash) and which passages are live."""

    doc_id: str
    file: str
    title: str
    content_hash: str
    chunk_ids: list[str]
    ingested_at: str
    embedding_model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ManifestRecord:
        data = json.loads(text)
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity


def chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def make_client(settings: Settings) -> Any:
    """Embedded client by default; an HTTP client when ASSISTANT_CHROMA_HOST is set."""
    import chromadb
    import httpx

    if settings.chroma_host:
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings())
        except Exception as exc:
            raise StoreError(
                f"Chroma server {settings.chroma_host}:{settings.chroma_port} unreachable: {exc}"
            ) from exc
        # chromadb's HTTP session has no timeout: a frozen server would hang every request.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None:
            session.timeout = httpx.Timeout(settings.chroma_timeout)
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings())


def _chunks(items: Sequence[Any], size: int = _BATCH) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class IndexStore:
    """The passage collection (cosine space) and its manifest collection."""

    def __init__(self, client: Any, collection: str, embedding_model: str) -> None:
        self.client = client
        self.name = collection
        self.embedding_model = embedding_model
        self._open()

    def _open(self) -> None:
        self.chunks = self.client.get_or_create_collection(
            self.name, embedding_function=None,
            metadata={"hnsw:space": SPACE, "embedding_model": self.embedding_model},
        )
        self.manifest = self.client.get_or_create_collection(self.name + MANIFEST_SUFFIX, embedding_function=None)

    @property
    def location(self) -> str:
        return repr(self.client)

    @property
    def indexed_model(self) -> str | None:
        """The embedding model the existing vectors were made with."""
        return (self.chunks.metadata or {}).get("embedding_model")

    @property
    def model_mismatch(self) -> bool:
        return self.indexed_model not in (None, self.embedding_model)

    def reset(self) -> None:
        """Drop and recreate both collections (``assistant ingest --rebuild``)."""
        for name in (self.name, self.name + MANIFEST_SUFFIX):
            try:
                self.client.delete_collection(name)
            except Exception as exc:  # absent already
                log.debug("delete_collection(%s): %s", name, exc)
        self._open()

    def _fresh(self, call: Any) -> Any:
        """Run a read; if another process rebuilt the index meanwhile, reopen and retry once."""
        from chromadb.errors import NotFoundError

        try:
            return call()
        except NotFoundError:
            log.info("collection %s was recreated elsewhere; reopening", self.name)
            self._open()
            return call()

    # --- manifest ------------------------------------------------------------------------------
    def records(self) -> dict[str, ManifestRecord]:
        got = self._fresh(lambda: self.manifest.get(include=["documents"]))
        return {i: ManifestRecord.from_json(doc) for i, doc in zip(got["ids"], got["documents"] or [], strict=False)}

    def put_record(self, record: ManifestRecord) -> None:
        self.manifest.upsert(
            ids=[record.doc_id], embeddings=[[1.0]], documents=[record.to_json()],
            metadatas=[{"file": record.file, "title": record.title, "content_hash": record.content_hash,
                        "chunks": len(record.chunk_ids), "ingested_at": record.ingested_at}],
        )

    def delete_record(self, doc_id: str) -> None:
        self.manifest.delete(ids=[doc_id])

    def live_ids(self, records: dict[str, ManifestRecord] | None = None) -> list[str]:
        """Every passage id some manifest record lists, in document order."""
        records = self.records() if records is None else records
        return [cid for doc_id in sorted(records) for cid in records[doc_id].chunk_ids]

    def live_chunks(self) -> list[Hit]:
        """Text and metadata of every live passage (for lexical indexes, listings)."""
        ids = self.live_ids()
        out: list[Hit] = []
        for batch in _chunks(ids):
            got = self.chunks.get(ids=list(batch), include=["documents", "metadatas"])
            by_id = {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=False)}
            out.extend(Hit(i, by_id[i][0], dict(by_id[i][1] or {}), 0.0) for i in batch if i in by_id)
        return out

    # --- passages ------------------------------------------------------------------------------
    def upsert(self, ids: list[str], embeddings: list[list[float]], documents: list[str],
               metadatas: list[dict[str, Any]]) -> None:
        for i in range(0, len(ids), _BATCH):
            sl = slice(i, i + _BATCH)
            self.chunks.upsert(ids=ids[sl], embeddings=embeddings[sl], documents=documents[sl],
                               metadatas=metadatas[sl])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for batch in _chunks(ids):
            self.chunks.delete(ids=list(batch))

    def existing(self, ids: list[str]) -> dict[str, tuple[str, list[float]]]:
        """Stored text and vector of those ids that exist (to reuse vectors of unchanged text)."""
        out: dict[str, tuple[str, list[float]]] = {}
        for batch in _chunks(ids):
            got = self.chunks.get(ids=list(batch), include=["documents", "embeddings"])
            embeddings = got.get("embeddings")
            if embeddings is None:
                continue
            for i, doc, emb in zip(got["ids"], got["documents"], embeddings, strict=False):
                out[i] = (doc, [float(x) for x in emb])
        return out

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            got = self.chunks.get(include=[], limit=5000, offset=offset)
            ids.update(got["ids"])
            if len(got["ids"]) < 5000:
                return ids
            offset += 5000

    def count(self) -> int:
        return int(self.chunks.count())

    def query(self, embedding: list[float], k: int, ids: list[str] | None = None) -> list[Hit]:
        """Nearest live passages by cosine similarity (restricted to the manifest's ids)."""
        ids = self.live_ids() if ids is None else ids
        if not ids or k <= 0:
            return []
        got = self._fresh(lambda: self.chunks.query(
            query_embeddings=[embedding], n_results=min(k, len(ids)), ids=ids,
            include=["documents", "metadatas", "distances"],
        ))
        return [
            Hit(i, d, dict(m or {}), 1.0 - float(dist))
            for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0],
                                     strict=False)
        ]


def passage_from_hit(hit: Hit, retrievers: list[str] | None = None) -> Passage:
    """Chunk metadata (see ingest.pipeline.chunk_metadata) back to the shared Passage shape."""
    m = hit.metadata
    schemes = [s for s in str(m.get("schemes") or "").split(",") if s]
    return Passage(
        chunk_id=hit.chunk_id, doc_id=str(m.get("doc_id", hit.chunk_id.split(":")[0])), title=str(m.get("title", "")),
        section=str(m.get("section", "")), page=int(m["page"]) if m.get("page") else None, text=hit.text,
        score=hit.score, retrievers=list(retrievers or []), schemes=schemes, url=m.get("url") or None,
    )


_stores_lock = threading.Lock()
_stores: dict[tuple[Any, ...], IndexStore] = {}


def get_store(settings: Settings | None = None, embedding_model: str | None = None) -> IndexStore:
    """The process-wide store for these settings (one client per database)."""
    settings = settings or get_settings()
    model = embedding_model or settings.embedding_model
    where = (settings.chroma_host, settings.chroma_port) if settings.chroma_host else (str(settings.chroma_dir),)
    key = (*where, settings.collection, model)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = IndexStore(make_client(settings), settings.collection, model)
            _stores[key] = store
        return store
