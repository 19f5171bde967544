"""Gates and baseline diffing on hand-made metrics and reports."""

from __future__ import annotations

import pytest

from evals.gates import (
    ThresholdError,
    backend_rules,
    check_gates,
    check_retrieval_gates,
    compare_baseline,
    load_thresholds,
    parse_gate,
)

THRESHOLDS = {
    "backends": {
        "*": {"overall": {"pass_rate": ">= 0.85", "unsupported_answers": "<= 0"},
              "suites": {"refus": {"refusal_recall": ">= 0.9"}}},
        "llamacpp": {"overall": {"pass_rate": ">= 0.90"}},
    },
    "retrieval": {"hybrid": {"hit_at_1": ">= 0.6"}, "bm25": {"hit_at_1": ">= 0.5"}},
}
METRICS = {"pass_rate": 0.88, "unsupported_answers": 0, "refusal_recall": None}


def test_parse_gate() -> None:
    assert parse_gate(">= 0.85") == (">=", 0.85)
    assert parse_gate("<=0") == ("<=", 0.0)
    assert parse_gate(0.5) == (">=", 0.5)
    with pytest.raises(ThresholdError):
        parse_gate("about 0.8")


def test_backend_section_overrides_star() -> None:
    assert backend_rules(THRESHOLDS, "llamacpp")["overall"]["pass_rate"] == ">= 0.90"
    assert backend_rules(THRESHOLDS, "extractive")["overall"]["pass_rate"] == ">= 0.85"
    assert backend_rules(THRESHOLDS, "llamacpp")["overall"]["unsupported_answers"] == "<= 0"


def test_same_metrics_pass_one_backend_fail_another() -> None:
    assert all(g.ok for g in check_gates(THRESHOLDS, "extractive", METRICS, {}))
    missed = [g for g in check_gates(THRESHOLDS, "llamacpp", METRICS, {}) if not g.ok]
    assert [(g.metric, g.threshold) for g in missed] == [("pass_rate", 0.90)]


def test_unsupported_figure_gate() -> None:
    gates = check_gates(THRESHOLDS, None, {**METRICS, "unsupported_answers": 1}, {})
    assert [g.metric for g in gates if not g.ok] == ["unsupported_answers"]


def test_per_suite_gates_and_na_is_skipped() -> None:
    per_suite = {"refus": {"pass_rate": 1.0, "unsupported_answers": 0, "refusal_recall": 0.5},
                 "other": {"refusal_recall": None}}
    gates = check_gates(THRESHOLDS, None, METRICS, per_suite)
    suite_gate = next(g for g in gates if g.scope == "suite:refus")
    assert not suite_gate.ok and suite_gate.value == 0.5
    skipped = check_gates(THRESHOLDS, None, METRICS, {"refus": {"refusal_recall": None}})
    assert next(g for g in skipped if g.scope == "suite:refus").skipped


def test_suite_not_run_is_ignored() -> None:
    assert all(g.scope == "overall" for g in check_gates(THRESHOLDS, None, METRICS, {"cip": METRICS}))


def test_unknown_metric_is_an_error() -> None:
    with pytest.raises(ThresholdError, match="pass_rat"):
        check_gates({"backends": {"*": {"overall": {"pass_rat": ">= 1"}}}}, None, METRICS, {})


def test_retrieval_gates_skip_unavailable_mode() -> None:
    per_mode = {"hybrid": {"available": True, "hit_at_1": 0.5}, "bm25": {"available": False, "reason": "n/a"}}
    gates = check_retrieval_gates(THRESHOLDS, per_mode)
    hybrid = next(g for g in gates if g.scope == "retrieval:hybrid")
    bm25 = next(g for g in gates if g.scope == "retrieval:bm25")
    assert not hybrid.ok and bm25.skipped


def test_default_thresholds_file_is_valid() -> None:
    data = load_thresholds(None)
    for backend in ("extractive", "llamacpp"):
        rules = backend_rules(data, backend)
        assert rules["overall"]["unsupported_answers"] == "<= 0"
        for expr in rules["overall"].values():
            parse_gate(expr)
    assert parse_gate(backend_rules(data, "extractive")["overall"]["pass_rate"]) == (">=", 0.85)
    assert parse_gate(backend_rules(data, "llamacpp")["overall"]["pass_rate"]) == (">=", 0.90)


def test_missing_explicit_thresholds_file(tmp_path) -> None:
    with pytest.raises(ThresholdError):
        load_thresholds(tmp_path / "absent.yaml")


def report(cases: dict[str, bool], **extra) -> dict:
    return {"cases": [{"id": i, "passed": p} for i, p in cases.items()], **extra}


def test_compare_baseline_lists() -> None:
    before = report({"a": True, "b": False, "c": True, "gone": True}, overall={"pass_rate": 0.75},
                    inputs={"corpus/x.md": "1", "p.py": "2"}, date="2026-01-01")
    after = report({"a": True, "b": True, "c": False, "new": True}, overall={"pass_rate": 0.75},
                   inputs={"corpus/x.md": "9", "p.py": "2"})
    diff = compare_baseline(before, after)
    assert diff.regressions == ["c"] and diff.fixes == ["b"]
    assert diff.new == ["new"] and diff.missing == ["gone"]
    assert diff.inputs_changed == ["corpus/x.md"]
    assert diff.metric_deltas == {} and diff.baseline_date == "2026-01-01"


def test_compare_baseline_metric_deltas() -> None:
    diff = compare_baseline(report({}, overall={"pass_rate": 0.8}), report({}, overall={"pass_rate": 0.9}))
    assert diff.metric_deltas == {"pass_rate": {"before": 0.8, "after": 0.9}}
