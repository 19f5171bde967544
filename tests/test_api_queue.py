"""Overload and outages at the API: a bounded generation queue (503 + Retry-After, never unbounded
waiting), no queue for model-free answers, per-client rate limits, and a clear 503 when the index
is unreachable."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import CorpusLibrary, create_app
from assistant.api.queue import FIRST_ESTIMATE, GenerationGate
from assistant.availability import IndexProbe
from assistant.config import Settings
from assistant.schemas import ChatRequest, ChatResponse
from assistant.storage import Storage
from tests.fakes import FakeAssistant, FakePassages, FakeSearch
from tests.test_api import assert_error, read_sse, wait_ready


class SlowAssistant(FakeAssistant):
    """Takes ``delay`` seconds per answer and records how many answers ran at the same time."""

    def __init__(self, delay: float, backend: str = "fake") -> None:
        super().__init__()
        self.backend = backend
        self.delay_s = delay
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def ask(self, req: ChatRequest) -> ChatResponse:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay_s)
            return super().ask(req)
        finally:
            with self._lock:
                self.active -= 1


def make_app(tmp_path: Path, assistant: Any, probe: IndexProbe | None = None, **overrides: Any) -> Any:
    values: dict[str, Any] = {"data_dir": tmp_path, "rate_limit": "100000/minute", "advisor_token": "t"}
    values.update(overrides)
    settings = Settings(**values)
    return create_app(
        settings, assistant=assistant, searcher=FakeSearch(), library=CorpusLibrary(settings, FakePassages()),
        storage=Storage(settings.db_url), probe=probe,
    )


def burst(client: TestClient, n: int, path: str = "/api/chat") -> list[Any]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda i: client.post(path, json={"message": f"question {i}"}), range(n)))


def test_a_burst_beyond_the_queue_gets_503_busy_never_unbounded_waiting(tmp_path: Path) -> None:
    slow = SlowAssistant(delay=0.4)
    app = make_app(tmp_path, slow, generation_concurrency=1, generation_queue=2)
    with TestClient(app) as client:
        wait_ready(client)
        seen_waiting: list[int] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                seen_waiting.append(client.get("/api/health").json()["queue"]["waiting"])
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.monotonic()
        responses = burst(client, 12)
        stop.set()
        watcher.join(5)
        statuses = sorted(r.status_code for r in responses)
        # One answering and two waiting at most: three answers, the other nine refused at once.
        assert statuses == [200] * 3 + [503] * 9, statuses
        for r in responses:
            if r.status_code == 503:
                body = assert_error(r, 503, "busy")
                assert int(r.headers["Retry-After"]) > 0 and "Réessayez" in body["message"]
        assert slow.peak == 1  # never two generations at once
        assert max(seen_waiting) <= 2
        assert time.monotonic() - started < 0.4 * 3 + 3  # the refused ones did not wait
        queue = client.get("/api/health").json()["queue"]
        assert queue == {"running": 0, "waiting": 0, "capacity": 3}
        assert client.post("/api/chat", json={"message": "après la vague"}).status_code == 200


def test_streams_share_the_same_bounded_queue(tmp_path: Path) -> None:
    fake = FakeAssistant()
    app = make_app(tmp_path, fake, generation_concurrency=1, generation_queue=1)
    with TestClient(app) as client:
        wait_ready(client)
        fake.release.clear()  # answers block until released
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(client.post("/api/chat", json={"message": "un"}).status_code))
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while client.get("/api/health").json()["queue"]["waiting"] + client.get("/api/health").json()["queue"]["running"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert_error(client.post("/api/chat/stream", json={"message": "trois"}), 503, "busy")
        fake.release.set()
        for t in threads:
            t.join(10)
        assert results == [200, 200]
        with client.stream("POST", "/api/chat/stream", json={"message": "quatre"}) as r:
            assert [e for e, _ in read_sse(r)][-1] == "done"


def test_model_free_answers_skip_the_generation_queue(tmp_path: Path) -> None:
    slow = SlowAssistant(delay=0.2, backend="extractive")
    app = make_app(tmp_path, slow, generation_concurrency=1, generation_queue=0)
    with TestClient(app) as client:
        wait_ready(client)
        responses = burst(client, 6)
        assert [r.status_code for r in responses] == [200] * 6
        assert slow.peak > 1  # they ran side by side: nothing to serialise without a model
        assert client.get("/api/health").json()["queue"]["running"] == 0


def test_rate_limit_is_per_client(tmp_path: Path) -> None:
    app = make_app(tmp_path, FakeAssistant(), rate_limit="3/minute")
    with TestClient(app, client=("203.0.113.1", 40000)) as first:
        wait_ready(first)
        assert [first.post("/api/chat", json={"message": "q"}).status_code for _ in range(3)] == [200] * 3
        assert_error(first.post("/api/chat", json={"message": "q"}), 429, "rate_limited")
        second = TestClient(app, client=("203.0.113.2", 40000))  # another address, same app
        assert second.post("/api/chat", json={"message": "q"}).status_code == 200
        assert_error(first.post("/api/chat/stream", json={"message": "q"}), 429)


class SwitchProbe(IndexProbe):
    def __init__(self) -> None:
        self.up = True
        super().__init__(self._check, trust_seconds=0.0)

    def _check(self) -> None:
        if not self.up:
            raise ConnectionRefusedError


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[TestClient, SwitchProbe, FakeAssistant]]:
    probe, fake = SwitchProbe(), FakeAssistant()
    with TestClient(make_app(tmp_path, fake, probe=probe)) as client:
        wait_ready(client)
        yield client, probe, fake


def test_unreachable_index_is_a_clear_503_then_answers_resume(outage: tuple[TestClient, SwitchProbe, FakeAssistant]) -> None:
    client, probe, fake = outage
    probe.up = False
    for response in (
        client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"}),
        client.post("/api/chat/stream", json={"message": "J'ai 18 ans, combien en CIP ?"}),
        client.get("/api/search", params={"q": "cip"}),
    ):
        body = assert_error(response, 503, "index_unavailable")
        assert response.headers["Retry-After"] == "10" and "indisponible" in body["message"]
    assert fake.requests == []  # the chain was not asked to answer without its sources
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and health["index"] == {"server": True, "ok": False}
    assert health["chunks"] is None
    assert_error(client.post("/api/chat", json={"message": ""}), 422)  # bad input stays a 4xx
    probe.up = True
    assert client.post("/api/chat", json={"message": "J'ai 18 ans, combien en CIP ?"}).status_code == 200
    assert client.get("/api/health").json()["status"] == "ok"


def test_index_lost_during_an_answer_is_503_not_a_sourceless_answer(
    outage: tuple[TestClient, SwitchProbe, FakeAssistant],
) -> None:
    client, probe, fake = outage
    fake.citations = []  # what the chain answers when retrieval failed midway: nothing to cite

    def lose_index_then_answer(req: ChatRequest) -> ChatResponse:
        probe.up = False
        return FakeAssistant._response(fake, req)

    fake.ask = lose_index_then_answer  # type: ignore[method-assign]
    assert_error(client.post("/api/chat", json={"message": "cip ?"}), 503, "index_unavailable")
    probe.up = True
    original_stream = fake.stream

    def stream_then_lose(req: ChatRequest) -> Iterator[Any]:
        for event in original_stream(req):
            if event[0] == "done":
                probe.up = False
            yield event

    fake.stream = stream_then_lose  # type: ignore[method-assign]
    with client.stream("POST", "/api/chat/stream", json={"message": "cip ?"}) as r:
        events = read_sse(r)
    assert events[-1][0] == "error" and events[-1][1]["error"] == "index_unavailable"
    assert "done" not in [e for e, _ in events]


# --- first come, first served, with places in line ------------------------------------------------


def test_the_line_is_first_come_first_served_and_tells_each_its_place() -> None:
    async def scenario() -> tuple[list[str], dict[str, list[int]]]:
        gate = GenerationGate(concurrency=1, queue=3)
        order: list[str] = []
        places: dict[str, list[int]] = {}
        go = asyncio.Event()

        async def job(name: str) -> None:
            ticket = gate.reserve()
            places[name] = [p async for p in ticket.turns(every=0.01)]
            async with ticket:
                order.append(name)
                if name == "a":
                    await go.wait()
                await asyncio.sleep(0.01)

        tasks = []
        for name in "abcd":
            tasks.append(asyncio.create_task(job(name)))
            await asyncio.sleep(0.02)  # arrive in this order
        assert [gate.position(t) for t in gate._line] == [1, 2, 3]
        go.set()
        await asyncio.gather(*tasks)
        assert gate.pending == 0 and gate.running == 0
        return order, places

    order, places = asyncio.run(scenario())
    assert order == ["a", "b", "c", "d"]
    assert places["a"] == []  # a free slot: nothing to tell
    assert places["b"] == [1, 0]
    assert places["c"] == [2, 1, 0]  # moves up as the line moves
    assert places["d"][0] == 3 and places["d"][-1] == 0


def test_a_question_that_leaves_the_line_gives_its_place_up() -> None:
    async def scenario() -> tuple[int, int, list[str]]:
        gate = GenerationGate(concurrency=1, queue=2)
        first = gate.reserve()
        await first.enter()
        leaving, staying = gate.reserve(), gate.reserve()
        waits = [asyncio.create_task(leaving.enter()), asyncio.create_task(staying.enter())]
        await asyncio.sleep(0.01)
        assert staying.position == 2
        waits[0].cancel()  # the client went away while waiting
        await asyncio.sleep(0.01)
        moved_up = staying.position
        first.release()
        await waits[1]
        seen = [type(exc).__name__ for exc in await asyncio.gather(*waits, return_exceptions=True) if exc]
        running = gate.running
        staying.release()
        return moved_up, running, seen

    moved_up, running, seen = asyncio.run(scenario())
    assert moved_up == 1 and running == 1 and seen == ["CancelledError"]


def test_the_wait_is_estimated_from_the_last_answers() -> None:
    gate = GenerationGate(concurrency=2, queue=8)
    assert gate.wait_seconds(1) == math.ceil(FIRST_ESTIMATE)  # nothing measured yet
    for seconds in (4.0, 6.0, 100.0):
        gate._durations.append(seconds)
    assert gate.answer_seconds() == 6.0  # the median: one slow answer does not move it
    assert gate.wait_seconds(1) == 6 and gate.wait_seconds(2) == 6 and gate.wait_seconds(3) == 12
    assert gate.retry_after() == 3


def test_a_stream_that_waits_is_told_its_place_then_answered(tmp_path: Path) -> None:
    fake = FakeAssistant()
    app = make_app(tmp_path, fake, generation_concurrency=1, generation_queue=2)
    with TestClient(app) as client:
        wait_ready(client)
        fake.release.clear()
        first: list[int] = []
        worker = threading.Thread(target=lambda: first.append(client.post("/api/chat", json={"message": "un"}).status_code))
        worker.start()
        deadline = time.monotonic() + 5
        while client.get("/api/health").json()["queue"]["running"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        threading.Timer(1.5, fake.release.set).start()
        with client.stream("POST", "/api/chat/stream", json={"message": "deux"}) as r:
            events = read_sse(r)
        worker.join(10)
    names = [e for e, _ in events]
    queue = [d for e, d in events if e == "queue"]
    assert first == [200]
    assert names[0] == "queue" and names[-1] == "done" and "token" in names
    assert queue[0]["position"] == 1 and queue[0]["wait_seconds"] > 0
    assert queue[0]["message"].startswith("Votre question est 1re dans la file d'attente : réponse dans ")
    assert queue[-1]["position"] == 0 and names.index("token") > names.index("queue")


def test_a_stream_with_a_free_slot_sends_no_queue_event(tmp_path: Path) -> None:
    app = make_app(tmp_path, FakeAssistant(), generation_concurrency=1, generation_queue=2)
    with TestClient(app) as client:
        wait_ready(client)
        with client.stream("POST", "/api/chat/stream", json={"message": "seul"}) as r:
            names = [e for e, _ in read_sse(r)]
    assert "queue" not in names and names[-1] == "done"
