from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ingest_support import make_settings

from assistant import store as store_module
from assistant.store import Hit, IndexStore, ManifestRecord, get_store, make_client, passage_from_hit


def _store(tmp_path: Path, model: str = "m1") -> IndexStore:
    return IndexStore(make_client(make_settings(tmp_path)), "test-col", model)


def _record(doc_id: str, ids: list[str], content_hash: str = "h") -> ManifestRecord:
    return ManifestRecord(doc_id=doc_id, file=f"{doc_id}.md", title="T", content_hash=content_hash,
                          chunk_ids=ids, ingested_at="2026-01-01T00:00:00+00:00", embedding_model="m1")


def test_cosine_collection_and_manifest_round_trip(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.chunks.metadata["hnsw:space"] == "cosine"
    assert store.manifest.name == "test-col__manifest"
    record = _record("doc", ["doc:1", "doc:2"])
    record.extra = {"note": "é"}
    store.put_record(record)
    again = _store(tmp_path).records()  # a second client of the same database sees it
    assert again == {"doc": record}
    store.delete_record("doc")
    assert store.records() == {}


def test_search_only_sees_passages_listed_in_the_manifest(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.upsert(ids=["doc:a", "doc:b", "doc:orphan"], embeddings=[[1, 0], [0, 1], [1, 0.01]],
                 documents=["A", "B", "orphelin"], metadatas=[{"doc_id": "doc"}] * 3)
    assert store.query([1, 0], k=5) == []  # nothing committed yet
    store.put_record(_record("doc", ["doc:a", "doc:b"]))
    hits = store.query([1, 0], k=5)
    assert [h.chunk_id for h in hits] == ["doc:a", "doc:b"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5) and hits[1].score == pytest.approx(0.0, abs=1e-5)
    assert store.all_ids() - set(store.live_ids()) == {"doc:orphan"}
    assert [h.chunk_id for h in store.live_chunks()] == ["doc:a", "doc:b"]


def test_existing_returns_text_and_vector(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.upsert(ids=["d:1"], embeddings=[[0.6, 0.8]], documents=["texte"], metadatas=[{"doc_id": "d"}])
    found = store.existing(["d:1", "d:absent"])
    assert list(found) == ["d:1"] and found["d:1"][0] == "texte"
    assert found["d:1"][1] == pytest.approx([0.6, 0.8])


def test_reset_and_model_mismatch(tmp_path: Path) -> None:
    store = _store(tmp_path, model="m1")
    store.upsert(ids=["d:1"], embeddings=[[1, 0]], documents=["x"], metadatas=[{"doc_id": "d"}])
    store.put_record(_record("d", ["d:1"]))
    other = _store(tmp_path, model="m2")
    assert other.indexed_model == "m1" and other.model_mismatch
    other.reset()
    assert other.count() == 0 and other.records() == {} and not other.model_mismatch
    # The first handle notices the collections were recreated and reopens them.
    assert store.records() == {}


def test_get_store_uses_a_chroma_server_when_a_host_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import chromadb

    seen: dict[str, Any] = {}

    class FakeCollection:
        metadata: dict[str, Any] = {}

    class FakeClient:
        def get_or_create_collection(self, name: str, **kw: Any) -> FakeCollection:
            seen.setdefault("collections", []).append((name, kw.get("metadata")))
            return FakeCollection()

    def fake_http(host: str, port: int, settings: Any = None, **kw: Any) -> FakeClient:
        seen.update(host=host, port=port, telemetry=settings.anonymized_telemetry)
        return FakeClient()

    monkeypatch.setattr(chromadb, "HttpClient", fake_http)
    monkeypatch.setattr(store_module, "_stores", {})
    settings = make_settings(tmp_path, chroma_host="chroma.internal", chroma_port=8123, collection="brochures")
    store = get_store(settings, embedding_model="m")
    assert seen["host"] == "chroma.internal" and seen["port"] == 8123 and seen["telemetry"] is False
    assert [name for name, _ in seen["collections"]] == ["brochures", "brochures__manifest"]
    assert seen["collections"][0][1]["hnsw:space"] == "cosine"
    assert get_store(settings, embedding_model="m") is store
    assert not (tmp_path / "var" / "chroma").exists()  # nothing embedded was created


def test_embedded_store_lives_in_the_configured_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_stores", {})
    settings = make_settings(tmp_path, chroma_path=tmp_path / "ailleurs")
    get_store(settings, embedding_model="m").put_record(_record("d", []))
    assert (tmp_path / "ailleurs").is_dir()


def test_passage_from_hit_reads_the_chunk_metadata() -> None:
    hit = Hit("ifapme:abc", "Titre — Section\ncorps", {
        "doc_id": "ifapme", "title": "Titre", "section": "Section", "page": 2, "schemes": "ifapme,cip",
        "url": "https://www.ifapme.be"}, 0.81)
    p = passage_from_hit(hit, retrievers=["dense"])
    assert (p.doc_id, p.page, p.schemes, p.url, p.score, p.retrievers) == (
        "ifapme", 2, ["ifapme", "cip"], "https://www.ifapme.be", 0.81, ["dense"])
    bare = passage_from_hit(Hit("d:1", "t", {"doc_id": "d", "page": 0, "schemes": "", "url": ""}, 0.1))
    assert bare.page is None and bare.schemes == [] and bare.url is None


def test_chroma_server_client_gets_a_request_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """chromadb's HTTP session has no timeout; a frozen server must not hang requests forever."""
    import chromadb
    import httpx

    from assistant.config import Settings

    class FakeServer:
        def __init__(self) -> None:
            self._session = httpx.Client(timeout=None)

    class FakeHttpClient:
        def __init__(self, **kwargs: object) -> None:
            self._server = FakeServer()

    monkeypatch.setattr(chromadb, "HttpClient", FakeHttpClient)
    client = make_client(Settings(chroma_host="127.0.0.1", chroma_port=1, chroma_timeout=7.5))
    assert client._server._session.timeout.read == 7.5
