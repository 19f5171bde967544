"""Faults, each provoked for real: the Chroma server stops (and comes back), the model server is down
or too slow, an ingest is killed mid-way, corrupt and oversized files, the database is unreachable.

What must hold every time: a clear answer (an answer, or a 503 with a French/English error body),
never a 500 and never a hang; the previous index keeps answering; the failure is logged.
"""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from ingest_support import CORPUS, DOC_IDS, minimal_pdf

from assistant.api import CorpusLibrary, create_app
from assistant.chain import Assistant
from assistant.config import Settings
from assistant.llm import fake_model
from bench.servers import (
    HOST,
    Server,
    assistant_command,
    assistant_server,
    chroma_server,
    free_port,
    offline_env,
)
from ingest.pipeline import run_ingest
from tests.fakes import CorpusSearch, FakeAssistant, FakePassages, FakeSearch
from tests.test_api import assert_error, read_sse, wait_ready

QUESTION = "J'ai 18 ans, combien je gagne en CIP ?"


def add_source(corpus: Path, doc_id: str, file: str, title: str, schemes: list[str] | None = None) -> None:
    """One more entry in the corpus catalogue (sources.yaml)."""
    path = corpus / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["documents"].append({
        "id": doc_id, "file": file, "title": title, "publisher": "tests", "updated": None, "url": None,
        "region": "Belgique", "scheme": "CIP", "schemes": schemes or ["cip"],
    })
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def copy_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


# --- the Chroma server stops mid-run -------------------------------------------------------------
@pytest.mark.slow
def test_chroma_server_stops_then_comes_back_without_an_app_restart(tmp_path: Path) -> None:
    port, chroma_path = free_port(), tmp_path / "chroma"
    env = {
        "ASSISTANT_CHROMA_HOST": HOST, "ASSISTANT_CHROMA_PORT": str(port), "ASSISTANT_DATA_DIR": str(tmp_path / "var"),
        "ASSISTANT_EMBEDDING_BACKEND": "hashing", "ASSISTANT_LLM_BACKEND": "extractive",
        "ASSISTANT_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "ASSISTANT_RATE_LIMIT": "100000/minute",
        "ASSISTANT_INDEX_PROBE_TIMEOUT": "1.0",
    }
    chroma = chroma_server(chroma_path, port, log_path=tmp_path / "chroma.log")
    app: Server | None = None
    try:
        ingest = subprocess.run(assistant_command("ingest"), env=offline_env(env), capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        assert "5 documents" in ingest.stdout
        app_port = free_port()
        app = assistant_server(app_port, env, log_path=tmp_path / "app.log")
        base = f"http://{HOST}:{app_port}"

        def ask() -> httpx.Response:
            return httpx.post(f"{base}/api/chat", json={"message": QUESTION}, timeout=30)

        def search() -> httpx.Response:
            return httpx.get(f"{base}/api/search", params={"q": "indemnité CIP"}, timeout=30)

        assert ask().status_code == 200
        before = [p["chunk_id"] for p in search().json()]
        assert before

        chroma.kill()  # SIGKILL: no goodbye
        time.sleep(1.2)  # past the probe's trust window
        for response in (ask(), search(), httpx.post(f"{base}/api/chat/stream", json={"message": QUESTION}, timeout=30)):
            started = time.monotonic()
            assert_error(response, 503, "index_unavailable")
            assert response.headers["Retry-After"] and time.monotonic() - started < 5
        health = httpx.get(f"{base}/api/health", timeout=30).json()
        assert health["status"] == "degraded" and health["index"]["ok"] is False

        chroma = chroma_server(chroma_path, port, log_path=tmp_path / "chroma.log")  # same port, same data
        answer = ask()
        assert answer.status_code == 200, answer.text
        assert answer.json()["answer"]
        assert [p["chunk_id"] for p in search().json()] == before
        assert httpx.get(f"{base}/api/health", timeout=30).json()["status"] == "ok"

        # Frozen rather than dead (SIGSTOP): the heartbeat times out, requests do not hang.
        os.kill(chroma.pid, signal.SIGSTOP)  # type: ignore[arg-type]
        try:
            time.sleep(1.2)
            started = time.monotonic()
            assert_error(ask(), 503, "index_unavailable")
            assert time.monotonic() - started < 5
        finally:
            os.kill(chroma.pid, signal.SIGCONT)  # type: ignore[arg-type]
        assert ask().status_code == 200
        log = app.log_text()
        assert "index unavailable" in log and "Traceback" not in log
        assert " 500 " not in log
    finally:
        if app is not None:
            app.stop()
        chroma.stop()


# --- the model backend fails or times out ----------------------------------------------------------
def fallback_app(tmp_path: Path, assistant: Assistant) -> TestClient:
    settings = assistant.settings
    return TestClient(create_app(settings, assistant=assistant, searcher=FakeSearch(),
                                 library=CorpusLibrary(settings, FakePassages())))


def test_model_server_down_serves_the_extractive_answer_flagged_fallback(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, llm_backend="openai", openai_base_url=f"http://{HOST}:{free_port()}/v1",
        llm_timeout=5.0, followup_rewrite=False, rate_limit="1000/minute",
    )
    assistant = Assistant(settings, search=CorpusSearch())
    with fallback_app(tmp_path, assistant) as client:
        wait_ready(client)
        started = time.monotonic()
        body = client.post("/api/chat", json={"message": QUESTION}).json()
        assert time.monotonic() - started < 10
        assert body["fallback"] is True and body["backend"] == "openai"
        assert "848,90 €" in body["answer"] and body["citations"]
        assert any("modèle indisponible" in note for note in body["guard"])
        with client.stream("POST", "/api/chat/stream", json={"message": QUESTION}) as r:
            events = read_sse(r)
        done = events[-1][1]
        assert events[-1][0] == "done" and done["fallback"] is True and "848,90 €" in done["answer"]


def test_model_too_slow_times_out_into_the_extractive_answer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="fake", llm_timeout=0.3, followup_rewrite=False,
                        rate_limit="1000/minute")
    slow = fake_model(["À 18 ans, l'indemnité de CIP est de 848,90 € par mois [1]. " * 3], sleep=0.05)
    assistant = Assistant(settings, llm=slow, search=CorpusSearch())
    with fallback_app(tmp_path, assistant) as client:
        wait_ready(client)
        started = time.monotonic()
        body = client.post("/api/chat", json={"message": QUESTION}).json()
        assert time.monotonic() - started < 5  # 0.3 s budget, not the model's ~8 s
        assert body["fallback"] is True and "848,90 €" in body["answer"]
        assert any("TimeoutError" in note for note in body["guard"])


# --- an ingest killed mid-way ------------------------------------------------------------------------
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(rb"(\d+)/(\d+)\s+chunks")


def synthetic_document(sections: int) -> str:
    """A long, varied Markdown document (thousands of passages): an ingest takes seconds on it."""
    words = ["stage", "indemnité", "convention", "employeur", "apprenant", "formation", "contrat", "mois", "semaine", "heures", "jeune", "entreprise", "tuteur", "région", "alternance", "centre", "mission", "évaluation", "assurance", "congé", "horaire"]
    out = ["# Recueil de questions fréquentes\n"]
    for i in range(sections):
        out.append(f"\n## Question {i} : {words[i % len(words)]} et {words[(i * 7) % len(words)]}\n")
        for j in range(3):
            out.append(" ".join(words[(i * 3 + j * 5 + k * k) % len(words)] for k in range(60)).capitalize() + ".\n")
    return "".join(out)


def ingest_until(corpus: Path, env: dict[str, str], stop_when: Any, log: Path) -> tuple[int, list[tuple[int, int]]]:
    """Run `assistant ingest` on a pseudo-terminal (so it draws its progress bar) and SIGKILL it as
    soon as ``stop_when(done, total)`` holds; returns its exit status and the progress seen."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(assistant_command("ingest", "--corpus", str(corpus)), env=offline_env({**env, "TERM": "xterm"}),
                            stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=slave, start_new_session=True)
    os.close(slave)
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                continue
            try:
                data = ANSI.sub(b"", os.read(master, 65536))
            except OSError:
                break
            for m in PROGRESS.finditer(data):
                seen.append((int(m.group(1)), int(m.group(2))))
            if seen and stop_when(*seen[-1]):
                os.killpg(proc.pid, signal.SIGKILL)
                break
        return proc.wait(60), seen
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        os.close(master)


READ_INDEX = """
import json, sys
from assistant.config import Settings
from assistant.embeddings import HashingEmbeddings
from assistant.store import get_store
settings = Settings.model_validate_json(sys.argv[1])
store = get_store(settings, embedding_model="hashing-32")
records = store.records()
hits = store.query(HashingEmbeddings().embed_query("indemnité convention immersion professionnelle"), 5)
print(json.dumps({"records": {d: r.content_hash for d, r in records.items()}, "live": store.live_ids(records),
                  "all": sorted(store.all_ids()), "found": [h.chunk_id for h in hits]}))
"""


def read_index(settings: Settings) -> dict[str, Any]:
    """The index as a fresh process sees it (embedded Chroma caches state per process)."""
    out = subprocess.run([sys.executable, "-c", READ_INDEX, settings.model_dump_json()], env=offline_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_ingest_killed_midway_keeps_the_previous_index_and_the_next_run_completes(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    settings = Settings(data_dir=tmp_path / "var", corpus_dir=corpus, embedding_backend="hashing",
                        embedding_batch_size=1, collection="killed")
    env = {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_EMBEDDING_BACKEND": "hashing", "ASSISTANT_EMBEDDING_BATCH_SIZE": "1",
           "ASSISTANT_COLLECTION": "killed"}
    first = subprocess.run(assistant_command("ingest"), env=offline_env(env), capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr

    def index_state() -> tuple[dict[str, str], set[str], list[str]]:
        state = read_index(settings)
        return state["records"], set(state["live"]), state["found"]

    before_records, before_live, before_found = index_state()
    assert sorted(before_records) == DOC_IDS and before_found and set(before_found) <= before_live

    # Version 2 of the corpus: a long new document and a changed brochure.
    (corpus / "recueil.md").write_text(synthetic_document(2000), encoding="utf-8")
    add_source(corpus, "recueil-faq", "recueil.md", "Recueil de questions fréquentes")
    with (corpus / "cisp-cefa.txt").open("a", encoding="utf-8") as fh:
        fh.write("\nLe jeune peut demander conseil au CEFA à tout moment de sa formation.\n")

    # Killed during embedding: part of the passages have vectors, nothing is committed.
    status, seen = ingest_until(corpus, env, lambda done, total: 0 < done < total // 2, tmp_path / "kill1.log")
    assert status == -signal.SIGKILL, (status, seen[-3:])
    assert seen and 0 < seen[-1][0] < seen[-1][1]
    assert index_state() == (before_records, before_live, before_found)

    # Killed once the embedding is done, while passages are being written.
    status, seen = ingest_until(corpus, env, lambda done, total: done == total, tmp_path / "kill2.log")
    time.sleep(0.5)
    after_records, after_live, after_found = index_state()
    for doc_id in DOC_IDS:
        if doc_id != "cisp-cefa":
            assert after_records[doc_id] == before_records[doc_id]  # untouched documents stay as they were
    assert after_live <= set(read_index(settings)["all"])  # whatever was committed is complete
    assert set(after_found) <= after_live

    # The next ingest completes and reports the right counts.
    final = subprocess.run(assistant_command("ingest"), env=offline_env(env), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    summary = final.stdout
    assert "index: 6 documents" in summary and "failed 0" in summary
    state = read_index(settings)
    assert sorted(state["records"]) == sorted([*DOC_IDS, "recueil-faq"])
    live = set(state["live"])
    assert set(state["all"]) == live  # no orphan left by the killed runs
    assert f"{len(live)} chunks" in summary and len(live) > 2000
    unchanged = int(re.search(r"unchanged (\d+)", summary).group(1))  # type: ignore[union-attr]
    changed = sum(int(re.search(rf"{w} (\d+)", summary).group(1)) for w in ("added", "updated"))  # type: ignore[union-attr]
    assert unchanged + changed == 6 and unchanged >= 4  # at most the two changed documents were redone
    again = subprocess.run(assistant_command("ingest"), env=offline_env(env), capture_output=True, text=True, timeout=300)
    assert "unchanged 6" in again.stdout and "added 0, updated 0, removed 0" in again.stdout


# --- corrupt and oversized files --------------------------------------------------------------------
def test_corrupt_and_oversized_files_are_named_and_the_others_indexed(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    (corpus / "casse.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ngarbage\x00\xff" * 20)
    valid = minimal_pdf(["Indemnité de stage : voir la brochure."] * 3)
    (corpus / "tronque.pdf").write_bytes(valid[: len(valid) // 3])
    (corpus / "trop-long.pdf").write_bytes(minimal_pdf([f"Page {i}" for i in range(12)]))
    with (corpus / "enorme.txt").open("wb") as fh:  # 200 MB, sparse: costs no disk, would cost RAM if read
        fh.truncate(200 * 1024 * 1024)
    for doc_id, file in (("casse", "casse.pdf"), ("tronque", "tronque.pdf"), ("trop-long", "trop-long.pdf"),
                         ("enorme", "enorme.txt")):
        add_source(corpus, doc_id, file, f"Fichier de test {doc_id}")
    settings = Settings(data_dir=tmp_path / "var", corpus_dir=corpus, embedding_backend="hashing",
                        collection="faulty", max_pdf_pages=10, max_file_mb=50)
    tracemalloc.start()
    try:
        report = run_ingest(corpus, settings=settings, show_progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    failures = {f.file: f.reason for f in report.failures}
    assert set(failures) == {"casse.pdf", "tronque.pdf", "trop-long.pdf", "enorme.txt"}, report.summary()
    assert "too large" in failures["enorme.txt"] and "max_file_mb" in failures["enorme.txt"]
    assert "too long" in failures["trop-long.pdf"] and "max_pdf_pages" in failures["trop-long.pdf"]
    summary = report.summary()
    for file in failures:
        assert f"FAILED {file}:" in summary
    assert sorted(report.added) == DOC_IDS and report.documents == 5
    assert peak < 100 * 1024 * 1024, f"peak {peak / 1048576:.0f} MB"  # the 200 MB file was never read


# --- the database is unreachable -------------------------------------------------------------------
@pytest.fixture
def dead_database(tmp_path: Path) -> Iterator[tuple[TestClient, FakeAssistant]]:
    settings = Settings(data_dir=tmp_path, rate_limit="1000/minute",
                        database_url=f"postgresql+psycopg://assistant@{HOST}:{free_port()}/assistant")
    fake = FakeAssistant()
    app = create_app(settings, assistant=fake, searcher=FakeSearch(), library=CorpusLibrary(settings, FakePassages()))
    with TestClient(app) as client:
        wait_ready(client)
        yield client, fake


def test_database_unreachable_answers_still_served_and_the_failure_logged(
    dead_database: tuple[TestClient, FakeAssistant], caplog: pytest.LogCaptureFixture,
) -> None:
    client, fake = dead_database
    with caplog.at_level(logging.ERROR, logger="assistant.api"):
        started = time.monotonic()
        body = client.post("/api/chat", json={"message": QUESTION}).json()
        assert time.monotonic() - started < 10
        assert body["answer"] == fake.answer and body["message_id"] is None
        follow = client.post("/api/chat", json={"message": "Et à 19 ans ?", "conversation_id": body["conversation_id"]})
        assert follow.status_code == 200 and fake.requests[-1].history == []  # no history, still an answer
        with client.stream("POST", "/api/chat/stream", json={"message": QUESTION}) as r:
            assert read_sse(r)[-1][0] == "done"
    stored = [r.getMessage() for r in caplog.records if "cannot store the answer" in r.getMessage()]
    assert len(stored) == 3 and all("OperationalError" in m for m in stored)
    assert any("cannot load history" in r.getMessage() for r in caplog.records)
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["database"] == {"backend": "postgresql", "ok": False}
    assert_error(client.post("/api/feedback", json={"conversation_id": body["conversation_id"], "rating": "up"}), 503)
