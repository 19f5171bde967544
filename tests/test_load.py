"""The load run (bench/load.py): its statistics, its question pool, and a short real run.

The short run starts a real `assistant serve` (extractive backend, the project's index) on a free
loopback port, drives it with 5 users for 10 seconds and requires zero errors; `make load` runs the
full 20 users × 2 minutes.
"""

from __future__ import annotations

import json

import pytest

from assistant.calculator import extract_slots, route
from assistant.schemas import ChatResponse
from bench.load import (
    LoadResult,
    Sample,
    format_summary,
    latency_figures,
    load_questions,
    main,
    percentile,
    run,
)


def test_percentile_is_nearest_rank() -> None:
    values = [0.1 * i for i in range(1, 101)]  # 0.1 .. 10.0
    assert percentile(values, 50) == pytest.approx(5.0)
    assert percentile(values, 95) == pytest.approx(9.5)
    assert percentile(values, 100) == pytest.approx(10.0)
    assert percentile([3.0], 95) == 3.0
    assert percentile([2.0, 1.0], 50) == 1.0  # order of arrival does not matter
    with pytest.raises(ValueError):
        percentile([], 50)


def test_latency_figures_in_milliseconds() -> None:
    assert latency_figures([0.1, 0.2, 0.3, 0.4]) == {
        "p50_ms": 200.0, "p95_ms": 400.0, "p99_ms": 400.0, "max_ms": 400.0, "mean_ms": 250.0,
    }
    assert latency_figures([])["p95_ms"] is None


def test_summary_counts_errors_by_kind_and_excludes_them_from_latencies() -> None:
    result = LoadResult(users=2, duration=1.0, elapsed=2.0, samples=[
        Sample("chat", 0.2, True), Sample("chat", 9.0, False, "chat HTTP 500"),
        Sample("stream", 0.4, True, first_token=0.1), Sample("health", 0.01, True),
    ])
    summary = result.summary()
    assert summary["requests"] == 4 and summary["errors"] == 1 and summary["throughput_rps"] == 2.0
    assert summary["error_kinds"] == {"chat HTTP 500": 1}
    assert summary["max_ms"] == 400.0  # the failed request's 9 s is not a latency
    assert summary["by_kind"]["chat"] == latency_figures([0.2]) | {"requests": 2, "errors": 1}
    assert summary["by_kind"]["stream_first_token"]["p50_ms"] == 100.0
    text = format_summary(summary)
    assert "4 requests, 1 errors" in text and "chat HTTP 500 ×1" in text


def test_questions_come_from_the_evaluation_suites() -> None:
    questions = load_questions()
    assert len(questions) > 100
    assert all(q.message.strip() for q in questions)
    with_history = [q for q in questions if q.history]
    assert with_history and all(t["role"] in ("user", "assistant") for q in with_history for t in q.history)


def test_every_calculation_for_the_load_questions_fits_the_api_shape() -> None:
    """The first load run found /api/chat answering 500 for IFAPME leave and notice questions: their
    calculation had no date label and the API shape requires a string. Every calculation the router
    makes for the suites' questions must now serialise."""
    made = 0
    for q in load_questions():
        for calc in route(q.message, extract_slots(q.message)):
            ChatResponse(answer="x", calculations=[calc.to_api()]).model_dump_json()
            made += 1
    assert made > 50


@pytest.mark.slow
def test_short_load_run_against_a_live_server_has_no_errors() -> None:
    result = run(users=5, duration=10.0, timeout=60.0)
    summary = result.summary()
    assert summary["errors"] == 0, format_summary(summary)
    assert summary["requests"] >= 20, format_summary(summary)
    assert {"chat", "stream"} <= set(summary["by_kind"])  # the JSON answer and the SSE stream
    assert summary["p50_ms"] is not None and summary["p50_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    assert summary["server"]["llm_backend"] == "extractive" and summary["server"]["chunks"] > 0
    assert summary["elapsed_s"] < 10.0 + 60.0 + 5  # bounded: it stops by itself


def test_main_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--users", "0"])
    assert "--users" in capsys.readouterr().err


def test_main_against_a_running_server_writes_the_figures(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--url drives a server that is already running; --json keeps the figures."""
    import bench.load as load

    fake = LoadResult(users=1, duration=0.5, elapsed=0.5, samples=[Sample("chat", 0.1, True)])
    calls = {}

    def fake_run(users, duration, url, timeout, backend, workers, log_path):  # noqa: ANN001
        calls.update(users=users, duration=duration, url=url)
        return fake

    monkeypatch.setattr(load, "run", fake_run)
    out = tmp_path / "load.json"
    assert main(["--url", "http://127.0.0.1:9", "--users", "1", "--duration", "0.5", "--json", str(out),
                 "--log", str(tmp_path / "server.log")]) == 0
    assert calls == {"users": 1, "duration": 0.5, "url": "http://127.0.0.1:9"}
    assert json.loads(out.read_text())["requests"] == 1
