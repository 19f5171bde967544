"""The real EmbeddingGemma index of the real corpus, embedded and behind a real Chroma server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from ingest_support import CORPUS, DOC_IDS, make_settings

from assistant.config import PROJECT_ROOT, Settings
from assistant.embeddings import get_embedder
from assistant.retrieval import search
from assistant.store import get_store
from ingest.pipeline import IngestReport, run_ingest

pytestmark = pytest.mark.slow


def _real_settings(tmp: Path, **kw) -> Settings:
    return make_settings(tmp, embedding_backend="torch", **kw)


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, IngestReport]:
    tmp = tmp_path_factory.mktemp("real-index")
    settings = _real_settings(tmp)
    report = run_ingest(CORPUS, settings=settings, show_progress=False)
    return settings, report


def test_real_corpus_is_indexed(real_index: tuple[Settings, IngestReport]) -> None:
    settings, report = real_index
    assert not report.failed, report.summary()
    assert sorted(report.added) == DOC_IDS and report.documents == 5 and report.chunks > 30
    assert report.embedded == report.chunks
    store = get_store(settings, embedding_model=settings.embedding_model)
    assert store.indexed_model == "embeddinggemma-300m"


def test_ifapme_amounts_in_top_3(real_index: tuple[Settings, IngestReport]) -> None:
    settings, _ = real_index
    passages = search("combien gagne un stagiaire IFAPME en 2e année", k=3, settings=settings)
    assert any(p.doc_id == "ifapme-convention-stage" and "1073,49€ (2ème année)" in p.text for p in passages), \
        [(p.chunk_id, p.section) for p in passages]


def test_sloppy_question_finds_the_cip(real_index: tuple[Settings, IngestReport]) -> None:
    settings, _ = real_index
    passages = search("c koi la cip", k=3, settings=settings)
    assert passages[0].doc_id in ("cip-bruxelles", "cip-master-alternance")
    assert all(-1.0 <= p.score <= 1.0 for p in passages)


def test_second_run_embeds_nothing(real_index: tuple[Settings, IngestReport]) -> None:
    settings, first = real_index
    again = run_ingest(CORPUS, settings=settings, show_progress=False)
    assert sorted(again.unchanged) == DOC_IDS and again.embedded == 0 and again.chunks == first.chunks
    assert again.seconds < 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(PROJECT_ROOT / ".venv" / "bin")) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the chroma command (chromadb) is not installed")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen([chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path",
                             str(tmp_path / "server-data")], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ingest_and_search_through_a_chroma_server(tmp_path: Path, chroma_server: int) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entries = [e for e in yaml.safe_load((CORPUS / "sources.yaml").read_text(encoding="utf-8"))["documents"]
               if e["id"] in ("cip-bruxelles", "cisp-cefa")]
    for e in entries:
        shutil.copy(CORPUS / e["file"], corpus / e["file"])
    (corpus / "sources.yaml").write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True), encoding="utf-8")

    settings = _real_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=chroma_server,
                              collection="brochures-server")
    report = run_ingest(corpus, settings=settings, show_progress=False)
    assert not report.failed and sorted(report.added) == ["cip-bruxelles", "cisp-cefa"], report.summary()
    assert not (tmp_path / "var" / "chroma").exists()  # nothing was written to an embedded database

    passages = search("quelle indemnité pour une CIP à 18 ans ?", k=2, settings=settings)
    assert any(p.doc_id == "cip-bruxelles" and "848,90" in p.text for p in passages)

    # Another client (another process or machine) sees the same manifest and index.
    from assistant.store import IndexStore, make_client

    other = IndexStore(make_client(settings), "brochures-server", get_embedder(settings).name)  # type: ignore[attr-defined]
    assert sorted(other.records()) == ["cip-bruxelles", "cisp-cefa"]
    assert len(other.live_ids()) == report.chunks

    again = run_ingest(corpus, settings=settings, show_progress=False)
    assert sorted(again.unchanged) == ["cip-bruxelles", "cisp-cefa"] and again.embedded == 0
