"""One answer path: every suite case gets the same answer, citations and calculations through
/api/chat (what the evaluation gates call) and /api/chat/stream (what the widget uses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.chain import Assistant
from assistant.config import Settings
from evals.suites import default_suite_paths, load_suites
from tests.real_index import search_with
from tests.test_api import read_sse, wait_ready

pytestmark = pytest.mark.slow

COMPARED = ("answer", "citations", "calculations", "refused")


@pytest.fixture(scope="module")
def client(index_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = Path(tmp_path_factory.mktemp("paths")) / "assistant.db"
    settings = index_settings.model_copy(
        update={"llm_backend": "extractive", "database_url": f"sqlite:///{db}", "rate_limit": "100000/minute"}
    )
    search = search_with(settings)
    app = create_app(settings, assistant=Assistant(settings, search=search), searcher=search)
    with TestClient(app) as test_client:
        wait_ready(test_client, timeout=120)
        yield test_client


def both_paths(client: TestClient, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    chat = client.post("/api/chat", json=body)
    assert chat.status_code == 200, chat.text
    with client.stream("POST", "/api/chat/stream", json=body) as r:
        events = read_sse(r)
    assert events[-1][0] == "done", events[-1]
    return chat.json(), events[-1][1], "".join(data for name, data in events if name == "token")


def test_every_suite_case_gets_the_same_answer_through_chat_and_stream(client: TestClient) -> None:
    differences = []
    cases = [case for suite in load_suites(default_suite_paths()) for case in suite.cases]
    for case in cases:
        body = {"message": case.question, "history": [t.model_dump() for t in case.history]}
        chat, done, tokens = both_paths(client, body)
        if tokens != done["answer"]:
            differences.append(f"{case.id}: the streamed tokens are not the final answer")
        differences += [f"{case.id}: {key} differs" for key in COMPARED if chat[key] != done[key]]
    assert len(cases) > 100
    assert not differences, "\n".join(differences)
