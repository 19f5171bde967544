"""Property-based fuzzing of every documented route (schemathesis): no input ever gets a 5xx."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from assistant.api import CorpusLibrary, create_app
from assistant.config import Settings
from tests.fakes import FakeAssistant, FakePassages, FakeSearch

pytestmark = pytest.mark.slow

DATA_DIR = Path(tempfile.mkdtemp(prefix="assistant-fuzz-"))
# The advisor's document routes write to the corpus folder: fuzz them on a copy.
CORPUS = shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", DATA_DIR / "corpus")
CONFIG = Settings(data_dir=DATA_DIR, corpus_dir=CORPUS, rate_limit="1000000/minute", advisor_token="jeton",
                  embedding_backend="hashing", collection="fuzz-brochures")
APP = create_app(CONFIG, assistant=FakeAssistant(), searcher=FakeSearch(), library=CorpusLibrary(CONFIG, FakePassages()))

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=25, deterministic=True)


@pytest.fixture(scope="module", autouse=True)
def running_app() -> Iterator[None]:
    """The lifespan (storage, warm-up, generation queue) runs around the whole module."""
    with TestClient(APP) as client:
        deadline = time.monotonic() + 10
        while not client.get("/api/health").json()["ready"] and time.monotonic() < deadline:
            time.sleep(0.01)
        yield
    shutil.rmtree(DATA_DIR, ignore_errors=True)


def test_every_operation_of_the_spec_is_fuzzed() -> None:
    """No route escapes: the fuzzed operations are exactly those of the app's OpenAPI document."""
    fuzzed = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    spec = {(method.upper(), path) for path, item in APP.openapi()["paths"].items() for method in item}
    assert fuzzed == spec and len(spec) >= 9
    assert {("POST", "/api/chat"), ("POST", "/api/chat/stream"), ("GET", "/api/advisor/conversations")} <= fuzzed


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case: schemathesis.Case) -> None:
    # Advisor routes are fuzzed behind the token too (without it every input is a plain 401).
    headers = {"Authorization": "Bearer jeton"} if case.path.startswith("/api/advisor") else None
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    content_type = response.headers.get("content-type") or [""]
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert body.get("error") and body.get("message") and body.get("message_en"), body
