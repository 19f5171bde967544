"""Gates (thresholds per metric, overall and per suite, per backend) and baseline comparison.

A run fails (exit 1) when a gate is missed or when a case that passed in the baseline report
fails now (a regression), unless regressions are explicitly allowed.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.yaml")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_GATE = re.compile(r"^\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


class ThresholdError(ValueError):
    """A thresholds file that cannot be applied (bad expression, unknown metric)."""


@dataclass
class Gate:
    scope: str  # "overall", "suite:NAME" or "retrieval:MODE"
    metric: str
    op: str
    threshold: float
    value: float | None = None
    ok: bool = True
    skipped: bool = False

    def describe(self) -> str:
        shown = "n/a" if self.value is None else f"{self.value:.4g}"
        status = "ignoré (n/a)" if self.skipped else ("ok" if self.ok else "RATÉ")
        return f"{self.scope} {self.metric} {self.op} {self.threshold:g} : {shown} — {status}"


def parse_gate(expr: str | float | int) -> tuple[str, float]:
    """'>= 0.85' -> ('>=', 0.85); a bare number means '>='."""
    if isinstance(expr, int | float):
        return ">=", float(expr)
    m = _GATE.match(str(expr))
    if not m:
        raise ThresholdError(f"gate illisible : {expr!r} (attendu p. ex. '>= 0.85')")
    return m.group(1), float(m.group(2))


def load_thresholds(path: Path | None) -> dict[str, Any]:
    file = path or DEFAULT_THRESHOLDS
    if not file.exists():
        if path is not None:
            raise ThresholdError(f"{file}: fichier introuvable")
        return {}
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ThresholdError(f"{file}: un mapping est attendu")
    return data


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in (extra or {}).items():
        out[key] = _merge(out.get(key) or {}, value) if isinstance(value, Mapping) else value
    return out


def backend_rules(thresholds: Mapping[str, Any], backend: str | None) -> dict[str, Any]:
    """The '*' rules with the backend's own rules on top."""
    sections = thresholds.get("backends") or {}
    rules = _merge({}, sections.get("*") or {})
    if backend and backend in sections:
        rules = _merge(rules, sections[backend] or {})
    return rules


def _check(scope: str, rules: Mapping[str, Any], metrics: Mapping[str, Any]) -> list[Gate]:
    gates = []
    for metric, expr in (rules or {}).items():
        if metric not in metrics:
            raise ThresholdError(f"{scope}: métrique inconnue {metric!r} (connues : {', '.join(metrics)})")
        op, threshold = parse_gate(expr)
        value = metrics[metric]
        gate = Gate(scope=scope, metric=metric, op=op, threshold=threshold, value=value)
        if value is None:
            gate.skipped = True
        else:
            gate.ok = _OPS[op](float(value), threshold)
        gates.append(gate)
    return gates


def check_gates(
    thresholds: Mapping[str, Any],
    backend: str | None,
    overall: Mapping[str, Any],
    per_suite: Mapping[str, Mapping[str, Any]],
) -> list[Gate]:
    rules = backend_rules(thresholds, backend)
    gates = _check("overall", rules.get("overall") or {}, overall)
    for suite, suite_rules in (rules.get("suites") or {}).items():
        if suite in per_suite:
            gates += _check(f"suite:{suite}", suite_rules or {}, per_suite[suite])
    return gates


def check_retrieval_gates(thresholds: Mapping[str, Any], per_mode: Mapping[str, Mapping[str, Any]]) -> list[Gate]:
    gates = []
    for mode, rules in (thresholds.get("retrieval") or {}).items():
        metrics = per_mode.get(mode)
        if metrics is None or metrics.get("available") is False:
            gates += [
                Gate(scope=f"retrieval:{mode}", metric=m, op=parse_gate(e)[0], threshold=parse_gate(e)[1], skipped=True)
                for m, e in (rules or {}).items()
            ]
            continue
        gates += _check(f"retrieval:{mode}", rules or {}, metrics)
    return gates


@dataclass
class BaselineDiff:
    regressions: list[str] = field(default_factory=list)  # passed before, fail now
    fixes: list[str] = field(default_factory=list)  # failed before, pass now
    new: list[str] = field(default_factory=list)  # not in the baseline
    missing: list[str] = field(default_factory=list)  # in the baseline, not run now
    metric_deltas: dict[str, dict[str, Any]] = field(default_factory=dict)  # overall: metric -> before/after
    inputs_changed: list[str] = field(default_factory=list)  # corpus/rates/prompt files that differ
    baseline_date: str | None = None
    baseline_commit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_report(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ThresholdError(f"{path}: rapport de référence illisible ({exc})") from exc


def compare_baseline(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> BaselineDiff:
    """Case-by-case comparison of two JSON reports (see evals/report.py for their shape)."""
    before = {c["id"]: bool(c["passed"]) for c in baseline.get("cases", [])}
    now = {c["id"]: bool(c["passed"]) for c in current.get("cases", [])}
    diff = BaselineDiff(baseline_date=baseline.get("date"), baseline_commit=baseline.get("git_commit"))
    for case_id, passed in now.items():
        if case_id not in before:
            diff.new.append(case_id)
        elif before[case_id] and not passed:
            diff.regressions.append(case_id)
        elif not before[case_id] and passed:
            diff.fixes.append(case_id)
    diff.missing = [case_id for case_id in before if case_id not in now]
    old_overall, new_overall = baseline.get("overall") or {}, current.get("overall") or {}
    for metric, value in new_overall.items():
        if metric in old_overall and old_overall[metric] != value:
            diff.metric_deltas[metric] = {"before": old_overall[metric], "after": value}
    old_inputs, new_inputs = baseline.get("inputs") or {}, current.get("inputs") or {}
    diff.inputs_changed = sorted(
        name for name in set(old_inputs) | set(new_inputs) if old_inputs.get(name) != new_inputs.get(name)
    )
    return diff
