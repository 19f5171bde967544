"""Erasure (the user's DELETE, the advisor's DELETE) and retention (the server's periodic purge,
`assistant purge`), through the HTTP API and the command line; the storage side on PostgreSQL
too is in tests/test_storage.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.config import get_settings
from assistant.schemas import ChatResponse
from assistant.storage import Storage, StorageError
from tests.test_api import TOKEN, Harness, assert_error, wait_ready

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app) as c:
        wait_ready(c)
        yield c


def _conversation(client: TestClient) -> str:
    answer = client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"}).json()
    client.post("/api/feedback", json={"conversation_id": answer["conversation_id"], "rating": "down", "comment": "faux"})
    return str(answer["conversation_id"])


def test_a_user_erases_their_conversation(client: TestClient, harness: Harness) -> None:
    cid = _conversation(client)
    other = _conversation(client)
    response = client.delete(f"/api/conversations/{cid}")
    assert response.status_code == 204 and response.content == b""
    assert not harness.storage.conversation_exists(cid) and harness.storage.conversation_exists(other)
    assert_error(client.delete(f"/api/conversations/{cid}"), 404, "conversation_not_found")
    # The same id afterwards starts afresh: no history is left to load.
    client.post("/api/chat", json={"message": "Et à 21 ans ?", "conversation_id": cid})
    assert harness.assistant.requests[-1].history == []


@pytest.mark.parametrize("cid", ["a b", "x" * 101, "é", "id;drop", "%00"])
def test_a_malformed_id_is_a_clean_4xx(client: TestClient, cid: str) -> None:
    assert_error(client.delete(f"/api/conversations/{cid}"), (404, 422))


def test_an_advisor_erases_a_conversation_with_the_token_only(client: TestClient, harness: Harness) -> None:
    cid = _conversation(client)
    assert_error(client.delete(f"/api/advisor/conversations/{cid}"), 401, "unauthorized")
    assert harness.storage.conversation_exists(cid)
    assert client.delete(f"/api/advisor/conversations/{cid}", headers=AUTH).status_code == 204
    assert client.get("/api/advisor/conversations", headers=AUTH).json() == []
    assert_error(client.delete(f"/api/advisor/conversations/{cid}", headers=AUTH), 404, "conversation_not_found")


def test_the_widget_may_erase_from_a_partner_site(client: TestClient) -> None:
    preflight = {"Origin": "https://partenaire.example", "Access-Control-Request-Method": "DELETE"}
    response = client.options("/api/conversations/abc", headers=preflight)
    assert response.status_code == 200 and "DELETE" in response.headers["Access-Control-Allow-Methods"]


class FailingStorage(Storage):
    def delete_conversation(self, conversation_id: str) -> None:
        raise StorageError("database error: OperationalError")


def test_erasure_without_a_database_is_a_503(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.app.state.core.storage = FailingStorage(h.settings.db_url)
    with TestClient(h.app) as c:
        wait_ready(c)
        assert_error(c.delete("/api/conversations/abc"), 503, "storage_unavailable")
        h.app.state.core.storage = None
        assert_error(c.delete("/api/advisor/conversations/abc", headers=AUTH), 503, "storage_unavailable")


def _old_exchange(storage: Storage, conversation_id: str, days: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr("assistant.storage._now", lambda: datetime.now(UTC) - timedelta(days=days))
        storage.save_exchange(conversation_id, "question", ChatResponse(answer="réponse"))
        storage.add_feedback(conversation_id, "up")


def test_the_server_purges_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(tmp_path, retention_days=30)
    h.storage.create_tables()
    _old_exchange(h.storage, "too-old", 31, monkeypatch)
    _old_exchange(h.storage, "recent", 29, monkeypatch)
    with TestClient(h.app):
        deadline = time.monotonic() + 10
        while h.storage.conversation_exists("too-old") and time.monotonic() < deadline:
            time.sleep(0.02)
    assert not h.storage.conversation_exists("too-old") and h.storage.conversation_exists("recent")


def test_the_purge_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    storage = Storage(url)
    storage.create_tables()
    _old_exchange(storage, "a", 100, monkeypatch)
    _old_exchange(storage, "b", 40, monkeypatch)
    _old_exchange(storage, "c", 1, monkeypatch)
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        default = runner.invoke(cli, ["purge"])  # 90 days
        assert default.exit_code == 0, default.output
        assert "1 conversation(s), 1 message(s), 1 avis" in default.output and "plus de 90 jours" in default.output
        shorter = runner.invoke(cli, ["purge", "--days", "7"])
        assert shorter.exit_code == 0 and "1 conversation(s)" in shorter.output
        assert [c["conversation_id"] for c in storage.recent_conversations()] == ["c"]
        assert runner.invoke(cli, ["purge", "--days", "0"]).exit_code != 0  # at least one day
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
        get_settings.cache_clear()
        failed = runner.invoke(cli, ["purge"])
        assert failed.exit_code == 1 and "erreur" in failed.output
    finally:
        get_settings.cache_clear()
        storage.close()
