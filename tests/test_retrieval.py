"""Hybrid retrieval: modes, labels, scheme preference, BM25 <-> Chroma consistency.

Fast tests ingest small corpora with the hashing embedder into temporary folders (real Chroma,
real BM25, real pipeline). Slow tests use EmbeddingGemma on the project's index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import copy_corpus, make_settings
from langchain_core.retrievers import BaseRetriever

from assistant import retrieval
from assistant.config import Settings
from assistant.embeddings import HashingEmbeddings
from assistant.lexical import BM25Index
from assistant.store import get_store
from ingest.pipeline import run_ingest

SOURCES = """documents:
  - id: cip-doc
    file: cip.txt
    title: "La CIP"
    region: Bruxelles
    schemes: [cip]
  - id: ifapme-doc
    file: ifapme.txt
    title: "La convention IFAPME"
    region: Wallonie
    schemes: [ifapme]
  - id: sip-doc
    file: sip.txt
    title: "Le stage d'insertion"
    region: Belgique
    schemes: [sip]
"""
# The CIP text matches an amount question better word for word: only the scheme preference can
# put the IFAPME passage first.
TEXTS = {
    "cip.txt": "Indemnité mensuelle du stagiaire : le montant de l'indemnité mensuelle est de 848,90 € "
    "par mois, indemnité mensuelle brute.",
    "ifapme.txt": "Allocation de stage : le montant mensuel brut de l'indemnité est de 1073,49 €.",
    "sip.txt": "Le stage d'insertion professionnelle dure 310 jours. Inscription chez Actiris ou au Forem.",
}


def _ingest(settings: Settings, corpus: Path):
    report = run_ingest(corpus, settings=settings, embedder=HashingEmbeddings(), show_progress=False)
    assert not report.failed, report.summary()
    return report


@pytest.fixture
def small(tmp_path: Path) -> tuple[Settings, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    for name, text in TEXTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path)
    _ingest(settings, corpus)
    return settings, corpus


def _manifest_ids(settings: Settings) -> list[str]:
    return sorted(get_store(settings, embedding_model=HashingEmbeddings().name).live_ids())


def test_ingest_hook_writes_a_bm25_index_of_exactly_the_manifest(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    index = BM25Index.load(settings.bm25_dir)
    assert index is not None
    assert index.ids == _manifest_ids(settings) and len(index.ids) == 3
    assert index.fingerprint == retrieval.manifest_fingerprint(
        get_store(settings, embedding_model=HashingEmbeddings().name).records()
    )


def test_modes_and_retriever_labels(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    question = "montant de l'indemnité mensuelle"
    bm25 = retrieval.search(question, k=3, mode="bm25", settings=settings)
    assert bm25 and all(p.retrievers == ["bm25"] for p in bm25)
    dense = retrieval.search(question, k=3, mode="dense", settings=settings)
    assert len(dense) == 3 and all(p.retrievers == ["dense"] for p in dense)
    hybrid = retrieval.search(question, k=3, mode="hybrid", settings=settings, schemes=[])
    assert len(hybrid) == 3
    assert [p.score for p in hybrid] == sorted((p.score for p in hybrid), reverse=True)
    for p in hybrid:
        assert set(p.retrievers) <= {"dense", "bm25"} and p.retrievers
        found_by = sum(1 for ranked in (dense, bm25) if p.chunk_id in {q.chunk_id for q in ranked})
        assert found_by == len(p.retrievers)
        # No scheme named: the fused score is plain RRF.
        expected = sum(1 / (settings.rrf_k + r) for r in _ranks(p.chunk_id, dense, bm25))
        assert p.score == pytest.approx(expected)
    first = hybrid[0]
    assert first.doc_id and first.section is not None and first.schemes and first.text


def _ranks(chunk_id: str, *rankings: list) -> list[int]:
    return [i for ranked in rankings for i, p in enumerate(ranked, 1) if p.chunk_id == chunk_id]


def test_bad_mode_and_empty_query(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    with pytest.raises(ValueError):
        retrieval.search("stage", mode="sparse", settings=settings)
    with pytest.raises(ValueError):
        retrieval.get_retriever(mode="sparse")
    assert retrieval.search("  ", settings=settings) == []
    assert retrieval.search("stage", k=0, settings=settings) == []


def test_scheme_named_in_the_question_comes_first(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    question = "montant de l'indemnité mensuelle brute par mois"
    neutral = retrieval.search(question, k=3, settings=settings, schemes=[])
    assert neutral[0].doc_id == "cip-doc"  # word for word, the CIP passage wins
    named = retrieval.search(f"jsuis en 2e annee ifapme, {question}", k=3, settings=settings)
    assert named[0].doc_id == "ifapme-doc" and named[0].schemes == ["ifapme"]
    given = retrieval.search(question, k=3, settings=settings, schemes=["ifapme"])
    assert given[0].doc_id == "ifapme-doc"
    # No scheme named: passages of every scheme may come, each saying which scheme it is.
    assert {p.schemes[0] for p in neutral} == {"cip", "ifapme", "sip"}


def test_scheme_from_the_conversation(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    passages = retrieval.search(
        "et le montant de l'indemnité mensuelle ?", k=2, settings=settings, context=["je suis à l'IFAPME"]
    )
    assert passages[0].doc_id == "ifapme-doc"


def test_sms_question_reaches_bm25(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    passages = retrieval.search("c koi le sip", k=1, mode="bm25", settings=settings)
    assert (
        passages and passages[0].doc_id == "sip-doc"
    )  # "sip" expands to "stage d'insertion professionnelle"


def test_langchain_retriever(small: tuple[Settings, Path]) -> None:
    settings, _ = small
    retriever = retrieval.get_retriever(k=2, settings=settings, schemes=["ifapme"])
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("montant de l'indemnité mensuelle")
    assert len(docs) == 2 and docs[0].metadata["doc_id"] == "ifapme-doc"
    assert docs[0].id == docs[0].metadata["chunk_id"] and "text" not in docs[0].metadata
    assert docs[0].metadata["retrievers"]


def test_incremental_reingest_keeps_bm25_equal_to_the_manifest(small: tuple[Settings, Path]) -> None:
    settings, corpus = small
    before = set(_manifest_ids(settings))
    (corpus / "sip.txt").write_text(
        TEXTS["sip.txt"] + " Nouveau : la mutuelle reste celle des parents.", "utf-8"
    )
    report = _ingest(settings, corpus)
    assert report.updated == ["sip-doc"]
    after = _manifest_ids(settings)
    assert after != sorted(before)
    assert BM25Index.load(settings.bm25_dir).ids == after
    found = retrieval.search("mutuelle des parents", k=1, mode="bm25", settings=settings)
    assert found and "mutuelle" in found[0].text
    (corpus / "cip.txt").unlink()
    _ingest(settings, corpus)
    assert BM25Index.load(settings.bm25_dir).ids == _manifest_ids(settings)
    assert all(p.doc_id != "cip-doc" for p in retrieval.search("indemnité", k=5, settings=settings))


def test_stale_bm25_is_rebuilt_at_query_time(
    small: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another replica re-ingested into the shared store: this process's BM25 must notice."""
    settings, corpus = small
    assert retrieval.search("indemnité", k=1, mode="bm25", settings=settings)  # cached in memory now
    monkeypatch.setattr(retrieval, "on_index_changed", lambda store: None)  # the other replica's hook
    (corpus / "ifapme.txt").write_text(TEXTS["ifapme.txt"] + " Le préavis est de 7 jours.", "utf-8")
    _ingest(settings, corpus)
    stale = BM25Index.load(settings.bm25_dir)
    assert stale is not None and stale.ids != _manifest_ids(settings)  # on disk: the old index
    found = retrieval.search("préavis", k=1, mode="bm25", settings=settings)
    assert found and "préavis" in found[0].text
    assert BM25Index.load(settings.bm25_dir).ids == _manifest_ids(settings)  # rebuilt and saved


def test_real_corpus_ifapme_amount_question_fast(tmp_path: Path) -> None:
    """The five brochures, hashing embedder: the IFAPME amounts passage beats every other scheme's."""
    corpus = copy_corpus(tmp_path)
    settings = make_settings(tmp_path)
    _ingest(settings, corpus)
    passages = retrieval.search("jsuis en 2e annee ifapme combien je touche", k=10, settings=settings)
    amounts = [i for i, p in enumerate(passages) if "1073,49" in p.text]
    others = [i for i, p in enumerate(passages) if "848,90" in p.text or "265,59" in p.text]  # CIP, CISP
    assert amounts and all(i > amounts[0] for i in others)
    assert passages[0].schemes == ["ifapme"]


# --- slow: the real model on the project's index ---------------------------------------------


@pytest.fixture(scope="session")
def real_index() -> Settings:
    from assistant.config import get_settings

    settings = get_settings()
    report = run_ingest(settings=settings, show_progress=False)  # incremental: cheap when up to date
    assert not report.failed, report.summary()
    return settings


@pytest.mark.slow
def test_real_ifapme_amount_question_gets_the_ifapme_amounts_first(real_index: Settings) -> None:
    passages = retrieval.search("jsuis en 2e annee ifapme combien je touche", k=5, settings=real_index)
    assert passages[0].doc_id == "ifapme-convention-stage"
    assert "908,33" in passages[0].text and "1073,49" in passages[0].text


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "jsuis en 2e annee ifapme combien je touche",
        "combien on gagne en apprentissage ifapme la premiere annee qualifie",
        "IFAPME : c'est combien par mois ?",
        "je fais une convention de stage ifapme, c'est payé combien ?",
    ],
)
def test_real_ifapme_amounts_above_any_other_schemes_amounts(real_index: Settings, question: str) -> None:
    passages = retrieval.search(question, k=10, settings=real_index)
    ifapme = [i for i, p in enumerate(passages) if "1073,49" in p.text]
    others = [
        i for i, p in enumerate(passages) if any(a in p.text for a in ("848,90", "265,59", "7969", "796,9"))
    ]
    assert ifapme and ifapme[0] < 3
    assert all(i > ifapme[0] for i in others)


@pytest.mark.slow
def test_real_cip_question_gets_the_cip_amounts_first(real_index: Settings) -> None:
    passages = retrieval.search("c koi l'indemnité de la cip à 18 ans", k=3, settings=real_index)
    assert passages[0].doc_id == "cip-bruxelles" and "848,90" in passages[0].text


@pytest.mark.slow
def test_real_hybrid_labels_both_retrievers(real_index: Settings) -> None:
    passages = retrieval.search("allocs familiales", k=5, settings=real_index)
    assert any(p.retrievers == ["dense", "bm25"] for p in passages)
    assert {s for p in passages for s in p.schemes} >= {"ifapme"}  # no scheme named: several may come


@pytest.mark.slow
def test_int8_query_model_is_close_and_shares_the_token_table(real_index: Settings) -> None:
    import numpy as np
    import torch

    from assistant.embeddings import SentenceTransformerEmbeddings, get_embedder, int8_query_model

    fp32 = get_embedder(real_index)
    model = fp32.model
    int8 = SentenceTransformerEmbeddings(
        model, name=fp32.name, cache_size=0, query_model=int8_query_model(model)
    )
    tables = [m.weight.data_ptr() for m in int8.query_model.modules() if isinstance(m, torch.nn.Embedding)]
    assert tables and tables == [
        m.weight.data_ptr() for m in model.modules() if isinstance(m, torch.nn.Embedding)
    ]
    assert any(type(m) is torch.nn.Linear for m in model[0].modules())  # the float model is untouched
    for question in ("jsuis en 2e annee ifapme combien je touche", "c koi la cip", "allocs familiales"):
        a, b = np.asarray(fp32._encode_query(question)), np.asarray(int8.embed_query(question))
        assert float(a @ b) > 0.9
