"""Incremental, crash-safe ingest with a hashing embedder and a temporary Chroma database."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from ingest_support import DOC_IDS, copy_corpus, make_settings, minimal_pdf
from typer.testing import CliRunner

from assistant.calculator.money import find_amounts
from assistant.config import Settings
from assistant.embeddings import HashingEmbeddings
from assistant.store import IndexStore, get_store
from ingest import pipeline
from ingest.loaders import load_document
from ingest.pipeline import IngestReport, run_ingest


class Crash(BaseException):
    """Stands for a kill -9 / power cut: nothing in the pipeline catches it."""


@pytest.fixture
def env(tmp_path: Path) -> tuple[Settings, Path]:
    corpus = copy_corpus(tmp_path)
    return make_settings(tmp_path), corpus


def _ingest(settings: Settings, corpus: Path, **kw) -> IngestReport:
    return run_ingest(corpus, settings=settings, embedder=HashingEmbeddings(), show_progress=False, **kw)


def _store(settings: Settings) -> IndexStore:
    return get_store(settings, embedding_model=HashingEmbeddings().name)


def _live_by_doc(store: IndexStore) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for hit in store.live_chunks():
        out[hit.metadata["doc_id"]].append(hit.text)
    return out


def _search_ids(store: IndexStore, text: str, k: int = 100) -> list[str]:
    return [h.chunk_id for h in store.query(HashingEmbeddings().embed_query(text), k)]


def test_first_ingest_indexes_every_document_with_every_amount(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    report = _ingest(settings, corpus)
    assert not report.failed, report.summary()
    assert sorted(report.added) == DOC_IDS and report.documents == 5
    store = _store(settings)
    live = _live_by_doc(store)
    assert report.chunks == sum(len(v) for v in live.values()) == store.count()
    for doc_id, texts in live.items():
        raw = load_document(corpus / store.records()[doc_id].file).text
        missing = Counter(find_amounts(raw)) - Counter(a for t in texts for a in find_amounts(t))
        assert missing == Counter(), (doc_id, missing)
    meta = next(h.metadata for h in store.live_chunks() if "Montants bruts" in h.text)
    assert meta["page"] == 2 and meta["schemes"] == "ifapme" and meta["region"] == "Wallonie"
    assert meta["url"] == "https://www.ifapme.be" and len(meta["doc_hash"]) == 64
    summary = report.summary()
    assert "5 documents" in summary and f"{report.chunks} chunks" in summary and "added 5" in summary


def test_second_run_changes_nothing(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    first = _ingest(settings, corpus)
    before = sorted(_store(settings).all_ids())
    second = _ingest(settings, corpus)
    assert sorted(second.unchanged) == DOC_IDS
    assert (second.added, second.updated, second.removed, second.embedded) == ([], [], [], 0)
    assert second.chunks == first.chunks and sorted(_store(settings).all_ids()) == before
    assert "unchanged 5" in second.summary() and not second.changed


def test_editing_one_file_updates_only_it(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    store = _store(settings)
    old = store.records()
    path = corpus / "cisp-cefa.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Autre protection\n", "Autre protection\n\nUne phrase ajoutée pour le test.\n"),
                    encoding="utf-8")
    report = _ingest(settings, corpus)
    assert report.updated == ["cisp-cefa"] and report.added == [] and len(report.unchanged) == 4
    new = store.records()
    for doc_id in DOC_IDS:
        if doc_id != "cisp-cefa":
            assert new[doc_id] == old[doc_id]
    gone = set(old["cisp-cefa"].chunk_ids) - set(new["cisp-cefa"].chunk_ids)
    assert gone and not gone & store.all_ids()  # the replaced passage is deleted
    assert 0 < report.embedded < len(new["cisp-cefa"].chunk_ids)  # unchanged passages reuse their vectors
    assert report.reused == len(new["cisp-cefa"].chunk_ids) - report.embedded
    assert any("Une phrase ajoutée pour le test." in t for t in _live_by_doc(store)["cisp-cefa"])
    assert store.all_ids() == set(store.live_ids())


def test_a_sources_yaml_change_reindexes_the_document(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    sources = corpus / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace(
        'title: "Le stage d\'insertion professionnelle"', 'title: "Le stage d\'insertion (nouveau titre)"'),
        encoding="utf-8")
    report = _ingest(settings, corpus)
    assert report.updated == ["stage-insertion-professionnelle"]
    texts = _live_by_doc(_store(settings))["stage-insertion-professionnelle"]
    assert all(t.startswith("Le stage d'insertion (nouveau titre) — ") for t in texts)


def test_deleting_a_file_removes_its_chunks(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    store = _store(settings)
    ids = set(store.records()["cip-bruxelles"].chunk_ids)
    (corpus / "cip-bruxelles.md").unlink()
    report = _ingest(settings, corpus)
    assert report.removed == ["cip-bruxelles"] and report.documents == 4
    assert not report.failed
    assert any("cip-bruxelles.md" in w and "missing" in w for w in report.warnings)
    assert "cip-bruxelles" not in store.records()
    assert not ids & store.all_ids()
    assert not any(h.metadata["doc_id"] == "cip-bruxelles" for h in store.live_chunks())


def test_bad_files_are_reported_by_name_and_the_others_indexed(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    (corpus / "brochure-cassee.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 200)
    (corpus / "vide.txt").write_text("", encoding="utf-8")
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    report = _ingest(settings, corpus)
    assert report.failed
    failed = {f.file: f.reason for f in report.failures}
    assert set(failed) == {"brochure-cassee.pdf", "vide.txt", "notes.docx"}
    assert "corrupt" in failed["brochure-cassee.pdf"] and failed["vide.txt"] == "empty file"
    assert "unsupported" in failed["notes.docx"]
    assert sorted(report.added) == DOC_IDS and report.documents == 5
    assert "FAILED brochure-cassee.pdf" in report.summary()


def test_a_file_that_breaks_keeps_its_previous_version(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    store = _store(settings)
    before = store.records()["ifapme-convention-stage"]
    (corpus / "ifapme-convention-stage.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = _ingest(settings, corpus)
    assert [f.file for f in report.failures] == ["ifapme-convention-stage.pdf"]
    assert store.records()["ifapme-convention-stage"] == before  # still served
    assert set(before.chunk_ids) <= store.all_ids()


def test_unlisted_file_is_indexed_with_a_warning(env: tuple[Settings, Path], caplog: pytest.LogCaptureFixture) -> None:
    settings, corpus = env
    (corpus / "Nouvelle brochure.md").write_text(
        "# Nouvelle brochure\n\n## Montant\n\nL'indemnité est de 500,00 € par mois pour ce dispositif fictif "
        "décrit ici assez longuement pour former un passage à lui seul dans l'index.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        report = _ingest(settings, corpus)
    assert "nouvelle-brochure" in report.added and not report.failed
    assert any("Nouvelle brochure.md" in w for w in report.warnings)
    assert "no entry in sources.yaml" in caplog.text
    hit = next(h for h in _store(settings).live_chunks() if h.metadata["doc_id"] == "nouvelle-brochure")
    # its scheme is its own (no vocabulary names it: it has no sources.yaml entry)
    assert hit.text.startswith("Nouvelle brochure — Montant\n") and hit.metadata["schemes"] == "nouvelle-brochure"


def test_crash_after_upsert_leaves_the_previous_index_usable(env: tuple[Settings, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    store = _store(settings)
    old = store.records()["cisp-cefa"]
    path = corpus / "cisp-cefa.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("265,59 euros", "999,99 euros"), encoding="utf-8")

    def crash(self, record) -> None:
        raise Crash("power cut after the upsert")

    monkeypatch.setattr(IndexStore, "put_record", crash)
    with pytest.raises(Crash):
        _ingest(settings, corpus)
    monkeypatch.undo()

    # The new passage was written but is not live: searches never return it.
    orphans = store.all_ids() - set(store.live_ids())
    assert orphans and all(i.startswith("cisp-cefa:") for i in orphans)
    assert store.records()["cisp-cefa"] == old
    new_text = next(d for d in store.chunks.get(ids=sorted(orphans))["documents"] if "999,99" in d)
    results = _search_ids(store, new_text)
    assert results and not set(results) & orphans and set(results) <= set(store.live_ids())
    assert any("265,59 euros" in h.text for h in store.live_chunks())

    report = _ingest(settings, corpus)  # the next run completes and cleans up
    assert report.updated == ["cisp-cefa"] and not report.failed
    assert store.all_ids() == set(store.live_ids())
    texts = _live_by_doc(store)["cisp-cefa"]
    assert any("999,99 euros" in t for t in texts) and not any("265,59 euros" in t for t in texts)


def test_crash_after_commit_leaves_orphans_that_the_next_run_removes(env: tuple[Settings, Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    store = _store(settings)
    path = corpus / "cisp-cefa.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("265,59 euros", "999,99 euros"), encoding="utf-8")
    real_delete = IndexStore.delete

    def crash_on_delete(self, ids) -> None:
        if list(ids):
            raise Crash("power cut before the stale passages were deleted")
        real_delete(self, ids)

    monkeypatch.setattr(IndexStore, "delete", crash_on_delete)
    with pytest.raises(Crash):
        _ingest(settings, corpus)
    monkeypatch.undo()
    live = set(store.live_ids())
    stale = store.all_ids() - live
    assert stale  # the old passage is still stored ...
    assert not set(_search_ids(store, "265,59 euros par mois de formation")) & stale  # ... but never returned
    assert any("999,99 euros" in t for t in _live_by_doc(store)["cisp-cefa"])
    report = _ingest(settings, corpus)
    assert report.orphans_removed == len(stale) and report.unchanged and not report.failed
    assert store.all_ids() == set(store.live_ids())


def test_an_embedding_error_fails_that_document_only(env: tuple[Settings, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    store = _store(settings)
    old = store.records()
    path = corpus / "stage-insertion-professionnelle.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne ligne de plus à la fin du document.\n",
                    encoding="utf-8")

    class Broken(HashingEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("modèle indisponible")

    report = run_ingest(corpus, settings=settings, embedder=Broken(), show_progress=False)
    assert report.failed and [f.doc_id for f in report.failures] == ["stage-insertion-professionnelle"]
    assert "modèle indisponible" in report.failures[0].reason
    assert store.records() == old and store.all_ids() == set(store.live_ids())


def test_rebuild_and_model_change(env: tuple[Settings, Path]) -> None:
    settings, corpus = env
    _ingest(settings, corpus)
    rebuilt = _ingest(settings, corpus, rebuild=True)
    assert rebuilt.rebuilt and sorted(rebuilt.added) == DOC_IDS
    other = run_ingest(corpus, settings=settings, embedder=HashingEmbeddings(dim=16), show_progress=False)
    assert other.rebuilt and sorted(other.added) == DOC_IDS
    assert any("hashing-32" in w and "hashing-16" in w for w in other.warnings)


def test_after_ingest_hooks(env: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, corpus = env
    calls: list[tuple[int, bool]] = []
    monkeypatch.setattr(pipeline, "AFTER_INGEST", [])

    @pipeline.after_ingest
    def record(store: IndexStore, report: IngestReport) -> None:
        calls.append((len(store.live_ids()), report.changed))

    first = _ingest(settings, corpus)
    _ingest(settings, corpus)
    assert calls == [(first.chunks, True), (first.chunks, False)]

    import assistant.retrieval as retrieval

    seen: list[IndexStore] = []
    monkeypatch.setattr(retrieval, "on_index_changed", seen.append, raising=False)

    @pipeline.after_ingest
    def broken(store: IndexStore, report: IngestReport) -> None:
        raise RuntimeError("bm25 en panne")

    report = _ingest(settings, corpus)
    assert len(seen) == 1 and isinstance(seen[0], IndexStore)
    assert report.failed and "bm25 en panne" in report.failures[0].reason


def test_dense_search_and_retriever(env: tuple[Settings, Path]) -> None:
    from assistant.retrieval import get_retriever, search

    settings, corpus = env
    _ingest(settings, corpus)
    passages = search("Montants bruts allocations de stage qualifié non qualifié", k=3, mode="dense", settings=settings)
    assert len(passages) == 3 and passages[0].doc_id == "ifapme-convention-stage"
    assert passages[0].page == 2 and passages[0].retrievers == ["dense"] and passages[0].schemes == ["ifapme"]
    assert passages[0].score >= passages[1].score >= passages[2].score
    assert search("   ", settings=settings) == []
    docs = get_retriever(k=2, settings=settings).invoke("Montants bruts allocations de stage")
    assert len(docs) == 2 and docs[0].metadata["chunk_id"] == docs[0].id and "text" not in docs[0].metadata


def test_cli_exit_code_follows_the_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.cli import app

    bad = IngestReport(corpus_dir=tmp_path)
    bad.failures.append(pipeline.FileFailure("x.pdf", "corrupt"))
    monkeypatch.setattr(pipeline, "run_ingest", lambda **kw: bad)
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 1 and "FAILED x.pdf: corrupt" in result.output
    monkeypatch.setattr(pipeline, "run_ingest", lambda **kw: IngestReport(corpus_dir=tmp_path))
    assert CliRunner().invoke(app, ["ingest"]).exit_code == 0


def test_page_cap_setting_reaches_the_loader(env: tuple[Settings, Path]) -> None:
    _, corpus = env
    settings = make_settings(corpus.parent, max_pdf_pages=3)
    (corpus / "long.pdf").write_bytes(minimal_pdf([f"Page {i} du document long" for i in range(1, 5)]))
    report = _ingest(settings, corpus)
    reasons = {f.file: f.reason for f in report.failures}
    assert "PDF too long (4 pages > 3" in reasons["long.pdf"]
    assert "PDF too long (5 pages > 3" in reasons["ifapme-convention-stage.pdf"]
    assert report.documents == 4


def test_an_up_to_date_index_does_not_load_the_model(env: tuple[Settings, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.embeddings as embeddings

    settings, corpus = env
    _ingest(settings, corpus)

    def no_model(*args, **kw):
        raise AssertionError("the embedding model was loaded for nothing")

    monkeypatch.setattr(embeddings, "get_embedder", no_model)
    report = run_ingest(corpus, settings=settings, show_progress=False)
    assert len(report.unchanged) == 5 and not report.failed


def test_unreachable_chroma_server_is_a_clear_failure(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket is closed
    corpus = copy_corpus(tmp_path)
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=port)
    report = _ingest(settings, corpus)
    assert report.failed and report.failures[0].file == "(index)"
    assert f"127.0.0.1:{port}" in report.failures[0].reason
