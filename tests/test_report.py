"""Reports: JSON round-trips, Markdown lists failures, the HTML page is self-contained and escaped."""

from __future__ import annotations

import json
import re

from evals.report import latency_svg, render_html, render_markdown, write_json

HOSTILE = "<script>alert('x')</script> & \"quotes\""


def sample_report() -> dict:
    metrics = {"cases": 2, "passed": 1, "pass_rate": 0.5, "hit_at_1": 1.0, "hit_at_3": 1.0, "hit_at_5": 1.0,
               "mrr": 1.0, "fact_recall": 0.5, "amount_exactness": None, "unsupported_answers": 1,
               "unsupported_rate": 0.5, "refusal_precision": None, "refusal_recall": None,
               "latency_p50_ms": 120.0, "latency_p95_ms": 950.0, "errors": 0}
    case_ok = {"id": "ok-case", "suite": "s", "question": "q", "history": [], "expected": {}, "answer": "a",
               "passed": True, "reasons": [], "latency_ms": 120.0, "citations": [], "calculations": []}
    case_ko = {"id": "ko-case", "suite": "s", "question": HOSTILE, "history": [{"role": "user", "content": HOSTILE}],
               "expected": {"sources": ["cip-bruxelles"], "facts": [["ONEM"]], "amounts": [848.9], "forbid": [HOSTILE]},
               "answer": HOSTILE, "passed": False, "reasons": [f"texte interdit présent : « {HOSTILE} »"],
               "latency_ms": 950.0, "citations": [{"doc_id": "cisp-cefa", "section": HOSTILE}],
               "calculations": [{"name": "x", "result": 1.0}], "refused": False, "backend": "fake"}
    return {"date": "2026-11-27T10:00:00+01:00", "git_commit": "abc123", "backend": "extractive", "target": "in-process",
            "overall": metrics, "per_suite": {"s": metrics}, "cases": [case_ok, case_ko], "exit_code": 1,
            "gates": [{"scope": "overall", "metric": "pass_rate", "op": ">=", "threshold": 0.85, "value": 0.5,
                       "ok": False, "skipped": False}],
            "baseline": {"regressions": ["ko-case"], "fixes": [], "new": [], "missing": [], "inputs_changed": ["corpus/a.md"],
                         "baseline_date": "2026-11-20", "metric_deltas": {}},
            "retrieval": {"dense": {"available": True, "hit_at_1": 0.7, "mrr_at_10": 0.8, "answer_at_3": 0.6,
                                    "latency_p50_ms": 20.0, "latency_p95_ms": 40.0},
                          "bm25": {"available": False, "reason": HOSTILE}}}


def test_html_escapes_everything() -> None:
    html = render_html(sample_report())
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "&quot;quotes&quot;" in html


def test_html_is_self_contained() -> None:
    html = render_html(sample_report())
    assert "<style>" in html and "<svg" in html
    assert not re.search(r"<link|\bsrc=|@import|url\(", html)
    assert "ko-case" in html and "ok-case" in html
    assert "RATÉ" in html and "régressions (1)" in html and "n/a" in html


def test_markdown_lists_failures_and_gates() -> None:
    md = render_markdown(sample_report())
    assert "### ko-case" in md and "ok-case" not in md.split("## Cas en échec")[1]
    assert "❌ overall `pass_rate >= 0.85`" in md
    assert "| dense |" in md and "| bm25 | n/a" in md
    assert "régressions (1) : ko-case" in md


def test_json_roundtrip(tmp_path) -> None:
    path = tmp_path / "sub" / "r.json"
    write_json(sample_report(), path)
    assert json.loads(path.read_text(encoding="utf-8"))["cases"][1]["question"] == HOSTILE


def test_latency_histogram_counts_every_value() -> None:
    svg = latency_svg([10, 20, 30, 900, 1000], bins=5)
    assert svg.count("<rect") == 5
    assert [int(t) for t in re.findall(r" : (\d+)</title>", svg)] == [3, 0, 0, 0, 2]
    assert "pas de mesure" in latency_svg([])
