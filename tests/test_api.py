"""The HTTP API with a fake chain and a fake search: every route, every bad input, never a 500."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import (
    STATIC_DIR,
    CorpusLibrary,
    GenerationGate,
    PrivacyLogFilter,
    create_app,
    format_result,
)
from assistant.api.core import WARM_STEPS
from assistant.config import Settings
from assistant.privacy import MASKS
from assistant.schemas import CalculationOut
from assistant.storage import Storage, StorageError
from tests.fakes import DEFAULT_ANSWER, FakeAssistant, FakePassages, FakeSearch

TOKEN = "s3cret-advisor-token"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "rate_limit": "1000/minute",
        "advisor_token": TOKEN,
        "cors_origins": ["https://partenaire.example"],
    }
    values.update(overrides)
    return Settings(**values)


def wait_ready(client: TestClient, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/api/health").json()["ready"]:
            return
        time.sleep(0.01)
    raise AssertionError("the app never became ready")


class Harness:
    def __init__(self, tmp_path: Path, assistant: FakeAssistant | None = None, **overrides: Any) -> None:
        self.settings = make_settings(tmp_path, **overrides)
        self.assistant = assistant or FakeAssistant()
        self.search = FakeSearch()
        self.storage = Storage(self.settings.db_url)
        self.app = create_app(
            self.settings,
            assistant=self.assistant,
            searcher=self.search,
            library=CorpusLibrary(self.settings, FakePassages()),
            storage=self.storage,
        )


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Harness]]:
    """One app for the many bad-input cases (none of them reaches the chain or storage)."""
    h = Harness(tmp_path_factory.mktemp("shared"))
    with TestClient(h.app) as c:
        wait_ready(c)
        yield c, h


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app) as c:
        wait_ready(c)
        yield c


def assert_error(response: Any, status: int | tuple[int, ...], code: str | None = None) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    body = response.json()
    assert set(body) >= {"error", "message", "message_en"}
    assert body["message"] and body["message_en"] and body["message"] != body["message_en"]
    assert "Traceback" not in response.text
    if code:
        assert body["error"] == code
    return body


def read_sse(response: Any) -> list[tuple[str, Any]]:
    """Parse a Server-Sent Events body the way the widget does: blank-line separated blocks."""
    text = response.read().decode("utf-8").replace("\r\n", "\n")
    events = []
    for block in text.split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


# --- chat ---------------------------------------------------------------------------------------
def test_chat_answers_in_the_contract_shape(client: TestClient, harness: Harness) -> None:
    response = client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "citations", "calculations", "refused", "conversation_id"}
    assert body["answer"] == DEFAULT_ANSWER
    assert body["refused"] is False
    assert re.fullmatch(r"[0-9a-f-]{36}", body["conversation_id"])
    citation = body["citations"][0]
    assert set(citation) >= {"doc_id", "title", "chunk_id", "section", "page", "snippet", "url", "score"}
    calc = body["calculations"][0]
    assert set(calc) >= {"name", "inputs", "result", "unit", "formula", "source_ids", "valid_from"}
    assert calc["result"] == pytest.approx(848.90) and calc["display"] == "848,90 €"
    assert body["message_id"] is not None and body["latency_ms"] is not None
    [conv] = harness.storage.recent_conversations()
    assert conv["conversation_id"] == body["conversation_id"]
    assert conv["messages"][0]["answer"] == DEFAULT_ANSWER


def test_conversation_id_turns_into_history(client: TestClient, harness: Harness) -> None:
    first = client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"}).json()
    cid = first["conversation_id"]
    second = client.post("/api/chat", json={"message": "Et à 19 ans ?", "conversation_id": cid}).json()
    assert second["conversation_id"] == cid
    req = harness.assistant.requests[-1]
    assert [(t.role, t.content) for t in req.history] == [
        ("user", "J'ai 18 ans, combien en CIP ?"),
        ("assistant", DEFAULT_ANSWER),
    ]
    assert req.conversation_id == cid
    # History sent by the client wins over storage.
    client.post("/api/chat", json={"message": "Et ?", "conversation_id": cid, "history": [{"role": "user", "content": "x"}]})
    assert [t.content for t in harness.assistant.requests[-1].history] == ["x"]


def test_unknown_conversation_id_starts_that_conversation(client: TestClient, harness: Harness) -> None:
    body = client.post("/api/chat", json={"message": "Bonjour", "conversation_id": "widget_abc-123"}).json()
    assert body["conversation_id"] == "widget_abc-123"
    assert harness.assistant.requests[-1].history == []
    assert harness.storage.conversation_exists("widget_abc-123")


def test_personal_data_is_masked_before_the_chain_and_storage(client: TestClient, harness: Harness) -> None:
    message = "Mon NN est 85.07.30-033.28 et mon IBAN BE68 5390 0754 7034, j'ai 18 ans"
    history = [{"role": "user", "content": "écris-moi à jeune@exemple.be"}, {"role": "assistant", "content": "Appelez le 02 505 14 11."}]
    client.post("/api/chat", json={"message": message, "history": history})
    req = harness.assistant.requests[-1]
    assert req.message == f"Mon NN est {MASKS['national_number']} et mon IBAN {MASKS['iban']}, j'ai 18 ans"
    assert req.history[0].content == f"écris-moi à {MASKS['email']}"
    assert req.history[1].content == "Appelez le 02 505 14 11."  # assistant text is corpus text: kept
    stored = harness.storage.recent_conversations()[0]["messages"][0]["question"]
    assert "85.07.30" not in stored and "5390" not in stored


def test_limits_are_inclusive(client: TestClient) -> None:
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": "x"} for i in range(20)]
    response = client.post("/api/chat", json={"message": "é" * 2000, "history": history})
    assert response.status_code == 200


BAD_BODIES: list[tuple[str, str, int]] = [
    ("empty", json.dumps({"message": ""}), 422),
    ("whitespace", json.dumps({"message": "  \n\t "}), 422),
    ("too long", json.dumps({"message": "a" * 2001}), 422),
    ("21 turns", json.dumps({"message": "a", "history": [{"role": "user", "content": "x"}] * 21}), 422),
    ("system role", json.dumps({"message": "a", "history": [{"role": "system", "content": "x"}]}), 422),
    ("history not a list", json.dumps({"message": "a", "history": "user: x"}), 422),
    ("history item not an object", json.dumps({"message": "a", "history": ["x"]}), 422),
    ("turn without content", json.dumps({"message": "a", "history": [{"role": "user"}]}), 422),
    ("turn with extra field", json.dumps({"message": "a", "history": [{"role": "user", "content": "x", "x": 1}]}), 422),
    ("turn content too long", json.dumps({"message": "a", "history": [{"role": "user", "content": "x" * 8001}]}), 422),
    ("content a number", json.dumps({"message": "a", "history": [{"role": "user", "content": 3}]}), 422),
    ("message a number", json.dumps({"message": 42}), 422),
    ("message null", json.dumps({"message": None}), 422),
    ("message a list", json.dumps({"message": ["a"]}), 422),
    ("no message", json.dumps({"history": []}), 422),
    ("body a list", json.dumps([{"message": "a"}]), 422),
    ("body a string", json.dumps("a"), 422),
    ("not JSON", "{'message': 'a'", 400),
    ("empty body", "", 422),
    ("conversation id with spaces", json.dumps({"message": "a", "conversation_id": "a b"}), 422),
    ("conversation id too long", json.dumps({"message": "a", "conversation_id": "a" * 101}), 422),
    ("conversation id a number", json.dumps({"message": "a", "conversation_id": 5}), 422),
]


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream"])
@pytest.mark.parametrize(("case", "body", "status"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_input_gets_a_clear_4xx(shared: tuple[TestClient, Harness], path: str, case: str, body: str, status: int) -> None:
    client, harness = shared
    harness.assistant.requests.clear()
    response = client.post(path, content=body.encode("utf-8"), headers={"Content-Type": "application/json"})
    assert_error(response, status)
    assert harness.assistant.requests == []


def test_error_messages_say_what_is_wrong(client: TestClient) -> None:
    assert "vide" in assert_error(client.post("/api/chat", json={"message": " "}), 422, "message_empty")["message"]
    body = assert_error(client.post("/api/chat", json={"message": "a" * 2001}), 422, "message_too_long")
    assert "2000" in body["message"] and "2000" in body["message_en"]
    body = assert_error(client.post("/api/chat", json={"message": "a", "history": [{"role": "user", "content": "x"}] * 21}), 422, "history_too_long")
    assert "20" in body["message"]
    body = assert_error(client.post("/api/chat", json={"message": "a", "history": [{"role": "system", "content": "x"}]}), 422)
    assert "role" in body["message"] and body["detail"][0]["field"] == "history.0.role"
    body = assert_error(client.post("/api/chat", json={"message": 42}), 422)
    assert body["message"] == "Le champ « message » doit être un texte."
    assert_error(client.post("/api/chat", content=b"{", headers={"Content-Type": "application/json"}), 400, "invalid_json")
    form = client.post("/api/chat", content=b"message=Bonjour", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(form, 415, "unsupported_media_type")


def test_body_over_the_limit_is_413(client: TestClient, harness: Harness) -> None:
    big = json.dumps({"message": "a" * 70_000})
    assert_error(client.post("/api/chat", content=big, headers={"Content-Type": "application/json"}), 413, "payload_too_large")

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit still holds
        for _ in range(70):
            yield b"a" * 1000

    assert_error(client.post("/api/chat", content=chunked(), headers={"Content-Type": "application/json"}), 413)
    assert harness.assistant.requests == []


def test_chunked_body_under_the_limit_is_served(client: TestClient) -> None:
    def chunked() -> Iterator[bytes]:
        yield b'{"message": '
        yield b'"Bonjour"}'

    response = client.post("/api/chat", content=chunked(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200


def test_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    h = Harness(tmp_path, rate_limit="2/minute")
    with TestClient(h.app) as c:
        wait_ready(c)
        assert c.post("/api/chat", json={"message": "un"}).status_code == 200
        with c.stream("POST", "/api/chat/stream", json={"message": "deux"}) as r:
            assert r.status_code == 200
            read_sse(r)
        limited = c.post("/api/chat", json={"message": "trois"})
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        assert_error(c.post("/api/chat/stream", json={"message": "quatre"}), 429)
        assert c.get("/api/health").status_code == 200  # only the chat endpoints are limited


def test_not_ready_is_503_with_retry_after(tmp_path: Path) -> None:
    h = Harness(tmp_path, assistant=FakeAssistant(warm_seconds=1.0))
    with TestClient(h.app) as c:
        health = c.get("/api/health").json()
        assert health["ready"] is False and health["status"] == "starting"
        # What is left, in order; the fake's warm() (a second long) is the model step, the last one.
        assert health["warming"][-1:] == ["model"] and tuple(health["warming"]) == WARM_STEPS[len(WARM_STEPS) - len(health["warming"]) :]
        body = assert_error(c.post("/api/chat", json={"message": "Bonjour"}), 503, "starting")
        assert "démarre" in body["message"]
        assert_error(c.post("/api/chat", json={"message": ""}), 422)  # bad input is still a 4xx
        wait_ready(c)
        assert c.post("/api/chat", json={"message": "Bonjour"}).status_code == 200


@pytest.mark.parametrize(("backend", "answers"), [("extractive", 1), ("llamacpp", 1), ("openai", 0), ("fake", 0)])
def test_warm_up_answers_once_with_a_chain_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, answers: int
) -> None:
    """Before ready, one whole answer goes through the chain Core built (not an injected one)."""
    from assistant.api.core import WARM_QUESTION, Core

    chain = FakeAssistant()
    monkeypatch.setattr("assistant.chain.get_assistant", lambda settings: chain)
    settings = make_settings(tmp_path, llm_backend=backend)
    core = Core(settings=settings, assistant=None, searcher=FakeSearch(), library=CorpusLibrary(settings, None), storage=None)
    assert core.warming == list(WARM_STEPS)
    core.warm()
    assert core.ready and core.warming == [] and chain.warmed
    assert [r.message for r in chain.requests] == [WARM_QUESTION] * answers


def test_failed_start_is_reported(tmp_path: Path) -> None:
    class Broken(FakeAssistant):
        def warm(self) -> None:
            raise RuntimeError("model file missing")

    h = Harness(tmp_path, assistant=Broken())
    with TestClient(h.app) as c:
        for _ in range(200):
            health = c.get("/api/health").json()
            if health["status"] == "error":
                break
            time.sleep(0.01)
        assert health["status"] == "error" and not health["ready"] and "model file missing" in health["error"]
        assert health["warming"] == ["model"]
        assert_error(c.post("/api/chat", json={"message": "Bonjour"}), 503, "unavailable")


def test_queue_full_is_503_busy(tmp_path: Path) -> None:
    fake = FakeAssistant()
    h = Harness(tmp_path, assistant=fake, generation_concurrency=1, generation_queue=0)
    with TestClient(h.app) as c:
        wait_ready(c)
        fake.release.clear()  # the next answer blocks until released
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(c.post("/api/chat", json={"message": "long"}).status_code))
        worker.start()
        for _ in range(500):
            if fake.requests:
                break
            time.sleep(0.01)
        busy = c.post("/api/chat", json={"message": "encore"})
        body = assert_error(busy, 503, "busy")
        assert int(busy.headers["Retry-After"]) > 0 and "Réessayez" in body["message"]
        assert_error(c.post("/api/chat/stream", json={"message": "encore"}), 503, "busy")
        assert c.get("/api/health").json()["queue"]["running"] == 1
        fake.release.set()
        worker.join(10)
        assert results == [200]
        assert c.post("/api/chat", json={"message": "après"}).status_code == 200


def test_generation_gate_runs_at_most_n_and_queues_the_rest() -> None:
    async def scenario() -> tuple[int, list[str]]:
        gate = GenerationGate(concurrency=2, queue=1)
        peak, active, events = 0, 0, []

        async def job(name: str) -> None:
            nonlocal peak, active
            async with gate.reserve():
                active += 1
                peak = max(peak, active)
                await asyncio.sleep(0.02)
                active -= 1
                events.append(name)

        tasks = [asyncio.create_task(job(n)) for n in "abc"]
        await asyncio.sleep(0)
        try:
            gate.reserve()
            events.append("fourth accepted")
        except Exception as exc:
            events.append(type(exc).__name__)
        await asyncio.gather(*tasks)
        assert gate.pending == 0 and gate.running == 0
        return peak, events

    peak, events = asyncio.run(scenario())
    assert peak == 2
    assert events[0] == "Busy" and sorted(events[1:]) == ["a", "b", "c"]


def test_chain_failure_is_a_clean_500(tmp_path: Path) -> None:
    h = Harness(tmp_path, assistant=FakeAssistant(fail=True))
    with TestClient(h.app, raise_server_exceptions=False) as c:
        wait_ready(c)
        body = assert_error(c.post("/api/chat", json={"message": "Bonjour"}), 500, "internal_error")
        assert "model crashed" not in json.dumps(body)
        assert c.get("/api/health").json()["queue"]["running"] == 0  # the slot was given back


def test_storage_failure_never_breaks_answering(tmp_path: Path) -> None:
    class DownStorage(Storage):
        def _begin(self):  # type: ignore[override]
            self.healthy = False
            raise StorageError("database error: OperationalError")

    settings = make_settings(tmp_path)
    fake = FakeAssistant()
    app = create_app(settings, assistant=fake, searcher=FakeSearch(), library=CorpusLibrary(settings, FakePassages()), storage=DownStorage(settings.db_url))
    with TestClient(app) as c:
        wait_ready(c)
        body = c.post("/api/chat", json={"message": "Bonjour"}).json()
        assert body["answer"] == DEFAULT_ANSWER and body["message_id"] is None
        follow = c.post("/api/chat", json={"message": "Et ?", "conversation_id": body["conversation_id"]})
        assert follow.status_code == 200 and fake.requests[-1].history == []
        with c.stream("POST", "/api/chat/stream", json={"message": "Bonjour"}) as r:
            assert [e for e, _ in read_sse(r)][-1] == "done"
        assert_error(c.post("/api/feedback", json={"conversation_id": body["conversation_id"], "rating": "up"}), 503)
        assert c.get("/api/health").json()["database"]["ok"] is False


# --- stream -------------------------------------------------------------------------------------
def test_stream_events_in_order_and_done_carries_the_response(client: TestClient, harness: Harness) -> None:
    with client.stream("POST", "/api/chat/stream", json={"message": "J'ai 18 ans, combien en CIP ?"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_sse(response)
    names = [name for name, _ in events]
    tokens = [data for name, data in events if name == "token"]
    assert len(tokens) == 3 and names[: len(tokens)] == ["token"] * len(tokens)
    assert names[len(tokens):] == ["citations", "calculations", "done"]
    done = events[-1][1]
    assert "".join(tokens) == done["answer"] == DEFAULT_ANSWER  # passed through, nothing added
    assert events[len(tokens)][1][0]["doc_id"] == "cip-bruxelles"
    assert events[len(tokens) + 1][1][0]["display"] == "848,90 €"
    assert set(done) >= {"answer", "citations", "calculations", "refused", "conversation_id"}
    assert done["message_id"] is not None
    stored = harness.storage.recent_conversations()[0]
    assert stored["conversation_id"] == done["conversation_id"]
    # The stream continues the same conversation like /api/chat does.
    with client.stream("POST", "/api/chat/stream", json={"message": "Et à 19 ans ?", "conversation_id": done["conversation_id"]}) as response:
        assert read_sse(response)[-1][1]["conversation_id"] == done["conversation_id"]
    assert len(harness.assistant.requests[-1].history) == 2


def test_stream_failure_midway_sends_an_error_event(tmp_path: Path) -> None:
    h = Harness(tmp_path, assistant=FakeAssistant(fail=True))
    with TestClient(h.app) as c:
        wait_ready(c)
        with c.stream("POST", "/api/chat/stream", json={"message": "Bonjour"}) as r:
            events = read_sse(r)
        names = [n for n, _ in events]
        assert names[-1] == "error" and "done" not in names
        assert events[-1][1]["message"] and "crashed" not in json.dumps(events[-1][1])
        assert c.get("/api/health").json()["queue"] == {"running": 0, "waiting": 0, "capacity": 9}


# --- search, health, documents --------------------------------------------------------------------
def test_search_returns_ranked_passages(client: TestClient, harness: Harness) -> None:
    body = client.get("/api/search", params={"q": "indemnité CIP", "k": 2}).json()
    assert [p["chunk_id"] for p in body] == ["cip-bruxelles-0003", "ifapme-convention-stage-0002"]
    assert set(body[0]) >= {"doc_id", "chunk_id", "score", "section", "page", "text", "retrievers"}
    assert harness.search.calls[-1] == {"query": "indemnité CIP", "k": 2, "mode": "hybrid", "schemes": None}
    client.get("/api/search", params={"q": "x", "mode": "bm25"})
    assert harness.search.calls[-1]["mode"] == "bm25"


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "   "}, {"q": "a", "k": 0}, {"q": "a", "k": 51}, {"q": "a", "k": "deux"}, {"q": "a", "mode": "magic"}, {"q": "a" * 2001}],
)
def test_search_bad_input(shared: tuple[TestClient, Harness], params: dict[str, Any]) -> None:
    assert_error(shared[0].get("/api/search", params=params), 422)


def test_search_failure_is_503(tmp_path: Path) -> None:
    def broken(query: str, **kwargs: Any) -> list[Any]:
        raise FileNotFoundError("no index")

    settings = make_settings(tmp_path)
    app = create_app(settings, assistant=FakeAssistant(), searcher=broken, library=CorpusLibrary(settings, FakePassages()))
    with TestClient(app) as c:
        wait_ready(c)
        assert_error(c.get("/api/search", params={"q": "cip"}), 503, "search_unavailable")


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["ready"] is True and body["warming"] == []
    assert body["documents"] == 5 and body["chunks"] == 3
    assert body["embedding_model"] == "embeddinggemma-300m"
    assert body["llm_backend"] == "fake"
    assert body["database"] == {"backend": "sqlite", "ok": True}


def test_documents(client: TestClient) -> None:
    docs = client.get("/api/documents").json()
    assert [d["doc_id"] for d in docs] == [
        "cip-bruxelles",
        "cip-master-alternance",
        "ifapme-convention-stage",
        "stage-insertion-professionnelle",
        "cisp-cefa",
    ]
    assert docs[0]["title"] == "La convention d'immersion professionnelle" and docs[0]["passages"] == 1
    doc = client.get("/api/documents/ifapme-convention-stage").json()
    assert doc["region"] == "Wallonie" and doc["passages_available"] is True
    assert doc["passages"] == [
        {
            "chunk_id": "ifapme-convention-stage-0002",
            "section": "Rétribution",
            "page": 2,
            "text": "La rétribution mensuelle de l'apprenant varie selon l'année de formation.",
        }
    ]
    assert_error(client.get("/api/documents/nope"), 404, "document_not_found")


def test_documents_without_an_index(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, assistant=FakeAssistant(), searcher=FakeSearch(), library=CorpusLibrary(settings, None))
    with TestClient(app) as c:
        wait_ready(c)
        doc = c.get("/api/documents/cisp-cefa").json()
        assert doc["passages"] == [] and doc["passages_available"] is False
        assert c.get("/api/health").json()["chunks"] is None


# --- feedback -----------------------------------------------------------------------------------
def test_feedback(client: TestClient, harness: Harness) -> None:
    answer = client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"}).json()
    cid = answer["conversation_id"]
    response = client.post("/api/feedback", json={"conversation_id": cid, "rating": "down", "comment": "Faux ! rappelez-moi au 0470 12 34 56"})
    assert response.status_code == 201
    assert response.json()["status"] == "ok" and response.json()["conversation_id"] == cid
    [conv] = harness.storage.recent_conversations(rating="down")
    assert conv["feedback"][0]["comment"] == f"Faux ! rappelez-moi au {MASKS['phone']}"
    assert conv["feedback"][0]["message_id"] == answer["message_id"]
    # The widget sends the click first, then the comment: one opinion per answer.
    client.post("/api/feedback", json={"conversation_id": cid, "rating": "up", "message_id": answer["message_id"]})
    [conv] = harness.storage.recent_conversations()
    assert len(conv["feedback"]) == 1 and conv["feedback"][0]["rating"] == "up"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"conversation_id": "unknown-id", "rating": "down"}, 404),
        ({"conversation_id": "x", "rating": "meh"}, 422),
        ({"conversation_id": "x"}, 422),
        ({"rating": "up"}, 422),
        ({"conversation_id": "", "rating": "up"}, 422),
        ({"conversation_id": "x", "rating": "up", "comment": "a" * 2001}, 422),
        ({"conversation_id": "x", "rating": "up", "comment": 5}, 422),
        ({"conversation_id": "x", "rating": "up", "extra": 1}, 422),
        ({"conversation_id": "x", "rating": "up", "message_id": "abc"}, 422),
    ],
)
def test_feedback_bad_input(shared: tuple[TestClient, Harness], body: dict[str, Any], status: int) -> None:
    assert_error(shared[0].post("/api/feedback", json=body), status)


def test_feedback_on_a_message_of_another_conversation_is_404(client: TestClient) -> None:
    a = client.post("/api/chat", json={"message": "un"}).json()
    b = client.post("/api/chat", json={"message": "deux"}).json()
    payload = {"conversation_id": b["conversation_id"], "rating": "down", "message_id": a["message_id"]}
    assert_error(client.post("/api/feedback", json=payload), 404, "conversation_not_found")


# --- advisor ------------------------------------------------------------------------------------
def test_advisor_requires_the_token(client: TestClient) -> None:
    for path in ("/api/advisor/conversations", "/api/advisor/search?q=cip"):
        response = client.get(path)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert_error(client.get(path, headers={"Authorization": "Bearer wrong"}), 401)
        assert_error(client.get(path, headers={"Authorization": TOKEN}), 401)
        assert client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_advisor_disabled_without_a_configured_token(tmp_path: Path) -> None:
    h = Harness(tmp_path, advisor_token=None)
    with TestClient(h.app) as c:
        wait_ready(c)
        assert_error(c.get("/api/advisor/conversations", headers={"Authorization": "Bearer anything"}), 403, "advisor_disabled")


def test_advisor_conversations_and_search(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    good = client.post("/api/chat", json={"message": "CISP : combien pour 24 h par semaine ?"}).json()
    bad = client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"}).json()
    client.post("/api/feedback", json={"conversation_id": bad["conversation_id"], "rating": "down", "comment": "montant faux"})
    client.post("/api/feedback", json={"conversation_id": good["conversation_id"], "rating": "up"})
    every = client.get("/api/advisor/conversations", headers=auth).json()
    assert {c["conversation_id"] for c in every} == {good["conversation_id"], bad["conversation_id"]}
    down = client.get("/api/advisor/conversations", params={"thumbs": "down"}, headers=auth).json()
    assert [c["conversation_id"] for c in down] == [bad["conversation_id"]]
    message = down[0]["messages"][0]
    assert message["citations"][0]["doc_id"] == "cip-bruxelles" and message["calculations"][0]["name"] == "cip_indemnity"
    assert down[0]["feedback"][0]["comment"] == "montant faux"
    assert_error(client.get("/api/advisor/conversations", params={"thumbs": "sideways"}, headers=auth), 422)
    found = client.get("/api/advisor/search", params={"q": "indemnité", "mode": "dense", "k": 10}, headers=auth).json()
    assert [p["retrievers"] for p in found] == [["dense", "bm25"], ["dense"]]


# --- pages, headers, CORS -----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/advisor", "/documents/cip-bruxelles", "/docs"])
def test_pages_have_a_strict_csp(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_security_headers_on_api_and_errors(client: TestClient) -> None:
    for response in (client.get("/api/health"), client.get("/api/nope"), client.post("/api/chat", json={"message": ""})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_widget_script_is_embeddable(client: TestClient) -> None:
    for path in ("/widget.js", "/static/widget.js"):
        response = client.get(path)
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
        assert "X-Frame-Options" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/static/widget.css").status_code == 200
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200  # /docs works offline


def test_static_files_never_inject_html_nor_inline_script() -> None:
    for path in STATIC_DIR.glob("*.js"):
        code = path.read_text(encoding="utf-8")
        assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(", code), path.name
    for path in STATIC_DIR.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {path.name}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {path.name}"
        assert "style=" not in html, f"inline style in {path.name}"


def test_cors_allows_listed_origins_only(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/chat/stream", headers={"Origin": "https://partenaire.example", **preflight})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == "https://partenaire.example"
    other = client.options("/api/chat", headers={"Origin": "https://evil.example", **preflight})
    assert "Access-Control-Allow-Origin" not in other.headers
    answer = client.post("/api/chat", json={"message": "Bonjour"}, headers={"Origin": "https://partenaire.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://partenaire.example"


def test_unknown_route_and_wrong_method(client: TestClient) -> None:
    assert_error(client.get("/api/nope"), 404, "not_found")
    assert_error(client.get("/api/chat"), 405, "method_not_allowed")
    assert_error(client.delete("/api/feedback"), 405)


def test_openapi_lists_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/chat", "/api/chat/stream", "/api/search", "/api/health", "/api/documents", "/api/documents/{doc_id}", "/api/feedback"):
        assert path in paths


def test_format_result() -> None:
    assert format_result(CalculationOut(name="a", result=1035.2)) == "1.035,20 €"
    assert format_result(CalculationOut(name="a", result=20, unit="jours")) == "20 jours"
    assert format_result(CalculationOut(name="a", result=2.5, unit="mois")) == "2,5 mois"
    assert format_result(CalculationOut(name="a", result=None)) == ""


def test_access_log_lines_are_masked() -> None:
    import logging

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/search?q=mon+IBAN+BE68%205390%200754%207034&k=5", "1.1", 200), None,
    )
    assert PrivacyLogFilter().filter(record)
    line = record.getMessage()
    assert "5390" not in line and MASKS["iban"] in line and "k=5" in line
