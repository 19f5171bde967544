"""An advisor adds, replaces and removes a brochure: checked first, then indexed in the background
by the ingest's own code; a bad or oversized file is refused in French and changes nothing."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.api import CorpusLibrary, create_app
from assistant.api.core import store_passages
from assistant.config import Settings
from ingest.documents import DocumentError, remove_document, save_document
from ingest.pipeline import run_ingest
from tests.fakes import FakeAssistant, FakeSearch
from tests.ingest_support import copy_corpus, make_settings, minimal_pdf

TOKEN = "conseil-documents"
BROCHURE = (
    "# Le plan Tremplin\n\n## Durée\n\nLe plan Tremplin dure 12 semaines dans une entreprise de la commune.\n\n"
    "## Prime\n\nLe stagiaire reçoit une prime de 150 euros par mois, versée par la commune.\n"
)
FIELDS = {"title": "Le plan Tremplin", "publisher": "Commune de X", "scheme": "Plan Tremplin", "updated": "2025-09-01"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    copy_corpus(tmp_path)
    return make_settings(tmp_path)


def entries(settings: Settings) -> list[dict[str, Any]]:
    return yaml.safe_load((settings.corpus_dir / "sources.yaml").read_text(encoding="utf-8"))["documents"]


def snapshot(settings: Settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in settings.corpus_dir.iterdir() if p.is_file() and not p.name.startswith(".")}


# --- the corpus folder (ingest/documents.py) ------------------------------------------------------


def test_a_new_document_is_written_with_its_entry_and_the_comments_kept(settings: Settings) -> None:
    header = (settings.corpus_dir / "sources.yaml").read_text(encoding="utf-8").split("documents:")[0]
    checked = save_document(settings.corpus_dir, "tremplin.md", BROCHURE.encode(), FIELDS, settings)
    assert checked.entry.id == "le-plan-tremplin" and checked.passages >= 1
    assert (settings.corpus_dir / "le-plan-tremplin.md").read_text(encoding="utf-8") == BROCHURE
    assert entries(settings)[-1] == {"id": "le-plan-tremplin", "file": "le-plan-tremplin.md", **FIELDS}
    assert (settings.corpus_dir / "sources.yaml").read_text(encoding="utf-8").startswith(header)
    assert len(entries(settings)) == 6


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("cassee.pdf", b"%PDF-1.4 ceci n'est pas un PDF", 422, "PDF endommagé"),
        ("vide.md", b"", 422, "fichier vide"),
        ("brochure.docx", b"PK\x03\x04", 415, "non pris en charge"),
        ("scan.pdf", minimal_pdf([""]), 422, "PDF sans texte"),
    ],
)
def test_a_bad_file_is_refused_in_french_and_nothing_changes(
    settings: Settings, name: str, data: bytes, status: int, words: str
) -> None:
    before = snapshot(settings)
    with pytest.raises(DocumentError) as caught:
        save_document(settings.corpus_dir, name, data, FIELDS, settings)
    assert caught.value.status == status and words in str(caught.value)
    assert snapshot(settings) == before


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    copy_corpus(tmp_path)
    small = make_settings(tmp_path, max_file_mb=0.001)
    with pytest.raises(DocumentError, match="trop lourd") as caught:
        save_document(small.corpus_dir, "gros.md", b"x" * 5000, FIELDS, small)
    assert caught.value.status == 413


def test_ids_are_unique_replace_changes_the_file_and_remove_takes_it_out(settings: Settings) -> None:
    save_document(settings.corpus_dir, "t.md", BROCHURE.encode(), FIELDS, settings, doc_id="tremplin")
    with pytest.raises(DocumentError, match="existe déjà") as caught:
        save_document(settings.corpus_dir, "t.md", BROCHURE.encode(), FIELDS, settings, doc_id="tremplin")
    assert caught.value.status == 409
    save_document(settings.corpus_dir, "t.txt", BROCHURE.encode(), {**FIELDS, "title": "Tremplin 2026"}, settings,
                  doc_id="tremplin", replace=True)
    assert not (settings.corpus_dir / "tremplin.md").exists() and (settings.corpus_dir / "tremplin.txt").exists()
    assert entries(settings)[-1]["title"] == "Tremplin 2026"
    save_document(settings.corpus_dir, "", None, {**FIELDS, "contact": "le CPAS"}, settings, doc_id="tremplin",
                  replace=True)  # the entry only
    assert entries(settings)[-1]["contact"] == "le CPAS" and (settings.corpus_dir / "tremplin.txt").exists()
    assert remove_document(settings.corpus_dir, "tremplin") == "tremplin.txt"
    assert not (settings.corpus_dir / "tremplin.txt").exists() and len(entries(settings)) == 5
    with pytest.raises(DocumentError) as missing:
        remove_document(settings.corpus_dir, "tremplin")
    assert missing.value.status == 404


# --- the API (routes/corpus.py, jobs.py) ------------------------------------------------------------


@pytest.fixture
def client(settings: Settings) -> Any:
    settings = settings.model_copy(update={"advisor_token": TOKEN, "rate_limit": "1000/minute", "max_file_mb": 1.0})
    run_ingest(settings=settings, show_progress=False)
    app = create_app(settings, assistant=FakeAssistant(), searcher=FakeSearch(),
                     library=CorpusLibrary(settings, store_passages(settings)))
    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield test_client


def wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while job["state"] in ("en attente", "en cours"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get(f"/api/advisor/jobs/{job['id']}").json()
    return job


def upload(name: str, data: bytes, **fields: Any) -> dict[str, Any]:
    return {**FIELDS, **fields, "filename": name, "content_base64": base64.b64encode(data).decode()}


def test_upload_is_indexed_in_the_background_then_replaced_and_removed(client: TestClient) -> None:
    before = client.get("/api/documents").json()
    response = client.post("/api/advisor/documents", json=upload("tremplin.md", BROCHURE.encode(), id="tremplin"))
    assert response.status_code == 202, response.text
    job = wait(client, response.json())
    assert job["state"] == "terminé" and job["total"] >= 1 and job["done"] == job["total"], job
    assert "1 ajouté" in job["message"]
    docs = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    assert len(docs) == len(before) + 1 and docs["tremplin"]["passages"] >= 1
    passages = client.get("/api/documents/tremplin").json()["passages"]
    assert any("12 semaines" in p["text"] for p in passages)

    changed = BROCHURE.replace("12 semaines", "16 semaines")
    job = wait(client, client.put("/api/advisor/documents/tremplin", json=upload("t.md", changed.encode())).json())
    assert job["state"] == "terminé" and "1 mis à jour" in job["message"]
    assert any("16 semaines" in p["text"] for p in client.get("/api/documents/tremplin").json()["passages"])

    job = wait(client, client.delete("/api/advisor/documents/tremplin").json())
    assert job["state"] == "terminé" and "1 retiré" in job["message"]
    assert "tremplin" not in {d["doc_id"] for d in client.get("/api/documents").json()}
    assert [j["action"] for j in client.get("/api/advisor/jobs").json()] == ["suppression", "remplacement", "ajout"]


def test_bad_uploads_get_a_clear_error_and_the_index_stays(client: TestClient) -> None:
    before = client.get("/api/documents").json()
    corrupt = client.post("/api/advisor/documents", json=upload("x.pdf", b"%PDF-1.4 casse"))
    assert corrupt.status_code == 422 and "PDF endommagé" in corrupt.json()["message"]
    not_base64 = client.post("/api/advisor/documents", json={**FIELDS, "filename": "a.md", "content_base64": "@@"})
    assert not_base64.status_code == 400 and "base64" in not_base64.json()["message"]
    no_title = client.post("/api/advisor/documents", json={"filename": "a.md", "content_base64": "eA=="})
    assert no_title.status_code == 422
    unknown = client.put("/api/advisor/documents/inconnu", json=upload("a.md", BROCHURE.encode()))
    assert unknown.status_code == 404
    assert client.delete("/api/advisor/documents/inconnu").status_code == 404
    assert client.get("/api/documents").json() == before


def test_the_routes_need_the_advisor_token_and_a_body_within_the_limit(client: TestClient) -> None:
    anonymous = client.post("/api/advisor/documents", json=upload("a.md", BROCHURE.encode()),
                            headers={"Authorization": "Bearer faux"})
    assert anonymous.status_code == 401
    too_big = "A" * int(1.0 * 1024 * 1024 * 1.5)  # the client's max_file_mb is 1
    response = client.post("/api/advisor/documents", json={**FIELDS, "filename": "a.md", "content_base64": too_big})
    assert response.status_code == 413
    chat_limit = client.post("/api/chat", content=b"x" * (Settings().max_body_bytes + 1),
                             headers={"Content-Type": "application/json"})
    assert chat_limit.status_code == 413  # the wider limit is the upload route's only
