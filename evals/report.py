"""Reports of an evaluation run: JSON for machines (and --baseline), Markdown for a pull request,
a self-contained HTML page (inline CSS and SVG, no external asset) for an evaluator's browser.

Every piece of text from a question, an answer or a passage is escaped (html.escape) in HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evals.metrics import LABELS, fmt

SUITE_COLUMNS = ["cases", "pass_rate", "hit_at_3", "mrr", "fact_recall", "amount_exactness",
                 "unsupported_answers", "refusal_precision", "refusal_recall", "latency_p50_ms",
                 "latency_p95_ms", "errors"]
RETRIEVAL_COLUMNS = [("hit_at_1", "hit@1"), ("hit_at_3", "hit@3"), ("mrr_at_10", "MRR@10"),
                     ("answer_at_3", "answer@3"), ("latency_p50_ms", "p50 (ms)"), ("latency_p95_ms", "p95 (ms)")]


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def failing_cases(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in report.get("cases", []) if not c["passed"]]


def _expected_text(case: Mapping[str, Any]) -> str:
    exp = case.get("expected") or {}
    parts = []
    if exp.get("refuse"):
        parts.append("refus (hors sujet)")
    if exp.get("unanswered"):
        parts.append("dire que les sources ne le donnent pas")
    if exp.get("sources"):
        parts.append("sources : " + ", ".join(exp["sources"]))
    if exp.get("facts"):
        parts.append("faits : " + " ; ".join(" | ".join(group) for group in exp["facts"]))
    if exp.get("amounts"):
        parts.append("montants : " + ", ".join(str(a) for a in exp["amounts"]))
    if exp.get("only_amounts"):
        parts.append("aucun autre montant que : " + ", ".join(str(a) for a in exp["amounts"] + exp.get("allowed", [])))
    if exp.get("forbid"):
        parts.append("interdit : " + ", ".join(exp["forbid"]))
    if exp.get("asks_for"):
        parts.append("demander : " + exp["asks_for"])
    return " · ".join(parts) or "—"


# --------------------------------------------------------------------------------- Markdown

def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def total_rows(report: Mapping[str, Any], tuned: str, blind: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The total of the suites tuned on, and apart from it the total of the blind suites."""
    rows: list[tuple[str, Mapping[str, Any]]] = [(tuned, report.get("overall") or {})]
    if report.get("blind"):
        rows.append((blind, report["blind"]))
    return rows


def render_markdown(report: Mapping[str, Any]) -> str:
    lines = [f"# Évaluation — {report.get('date', '')}", ""]
    lines.append(
        f"Backend **{report.get('backend')}** · cible {report.get('target')} · commit "
        f"`{(report.get('git_commit') or 'inconnu')[:12]}`{' (modifié)' if report.get('git_dirty') else ''}"
    )
    lines.append("")
    if report.get("overall"):
        lines += ["| suite | " + " | ".join(LABELS[c] for c in SUITE_COLUMNS) + " |",
                  "|---" * (len(SUITE_COLUMNS) + 1) + "|"]
        rows = list((report.get("per_suite") or {}).items()) + total_rows(report, "**total**", "**total (suites aveugles)**")
        for name, metrics in rows:
            lines.append(f"| {name} | " + " | ".join(fmt(c, metrics.get(c)) for c in SUITE_COLUMNS) + " |")
        lines.append("")
    if report.get("retrieval"):
        lines += ["## Recherche (modes côte à côte)", "",
                  "| mode | " + " | ".join(label for _, label in RETRIEVAL_COLUMNS) + " |",
                  "|---" * (len(RETRIEVAL_COLUMNS) + 1) + "|"]
        for mode, m in report["retrieval"].items():
            if not m.get("available", True):
                lines.append(f"| {mode} | " + " | ".join("n/a" for _ in RETRIEVAL_COLUMNS) + " |")
            else:
                lines.append(f"| {mode} | " + " | ".join(fmt(k, m.get(k)) for k, _ in RETRIEVAL_COLUMNS) + " |")
        lines.append("")
    gates = report.get("gates") or []
    if gates:
        lines += ["## Seuils", ""]
        for g in gates:
            mark = "⏭" if g["skipped"] else ("✅" if g["ok"] else "❌")
            value = "n/a" if g["value"] is None else f"{g['value']:.4g}"
            lines.append(f"- {mark} {g['scope']} `{g['metric']} {g['op']} {g['threshold']:g}` : {value}")
        lines.append("")
    base = report.get("baseline")
    if base:
        lines += [f"## Comparaison avec la référence ({base.get('baseline_date')})", ""]
        lines.append(f"- régressions ({len(base['regressions'])}) : {', '.join(base['regressions']) or 'aucune'}")
        lines.append(f"- corrections ({len(base['fixes'])}) : {', '.join(base['fixes']) or 'aucune'}")
        if base.get("inputs_changed"):
            lines.append(f"- entrées modifiées : {', '.join(base['inputs_changed'])}")
        lines.append("")
    failing = failing_cases(report)
    if failing:
        lines += [f"## Cas en échec ({len(failing)})", ""]
        for case in failing:
            lines.append(f"### {case['id']} ({case['suite']})")
            lines.append(f"- question : {_md(case['question'])}")
            lines.append(f"- réponse : {_md(case.get('answer') or '')[:600]}")
            lines.append(f"- attendu : {_md(_expected_text(case))}")
            for reason in case["reasons"]:
                lines.append(f"- ❌ {_md(reason)}")
            lines.append("")
    return "\n".join(lines)


def write_markdown(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(report), encoding="utf-8")


# ------------------------------------------------------------------------------------ HTML

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px}
.meta{color:#5a6472;margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:26px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7}
th,td{padding:6px 8px;border-bottom:1px solid #eceff3;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
th{background:#eef1f5;font-weight:600}
.ok{color:#17803d}.ko{color:#b42318;font-weight:600}.skip{color:#8a94a3}
details{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:8px 0;padding:8px 12px}
summary{cursor:pointer;font-weight:600}
.q{margin:6px 0}.answer{white-space:pre-wrap;background:#f3f5f8;border-radius:6px;padding:8px}
.reasons li{color:#b42318}
.why{font-weight:400;color:#b42318;font-size:13px;margin:2px 0 0 18px}
table.gates td,table.gates th{text-align:left}
.small{font-size:13px;color:#5a6472}
code{background:#eef1f5;border-radius:4px;padding:0 4px}
"""


def _h(value: Any) -> str:
    return escape(str(value), quote=True)


def latency_svg(latencies: Sequence[float], bins: int = 12, width: int = 560, height: int = 180) -> str:
    """A latency histogram as inline SVG (no script, no external asset)."""
    values = [v for v in latencies if v is not None]
    if not values:
        return "<p class='small'>pas de mesure de latence</p>"
    top = max(values) or 1.0
    step = top / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step) if step else 0)] += 1
    peak = max(counts)
    pad_left, pad_bottom, bar_w = 34, 28, (width - 44) / bins
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
             f"aria-label='histogramme des latences'>"]
    chart_h = height - pad_bottom - 10
    for i, count in enumerate(counts):
        h = chart_h * count / peak if peak else 0
        x = pad_left + i * bar_w
        y = 10 + chart_h - h
        parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{bar_w - 2:.1f}' height='{h:.1f}' fill='#3b6fd8'>"
                     f"<title>{i * step:.0f}–{(i + 1) * step:.0f} ms : {count}</title></rect>")
        if count:
            parts.append(f"<text x='{x + bar_w / 2:.1f}' y='{y - 2:.1f}' font-size='10' text-anchor='middle'>{count}</text>")
    for i in range(0, bins + 1, max(1, bins // 4)):
        x = pad_left + i * bar_w
        anchor = "end" if i == bins else "middle"
        parts.append(f"<text x='{x:.1f}' y='{height - 10}' font-size='10' text-anchor='{anchor}'>{i * step:.0f}</text>")
    parts.append(f"<line x1='{pad_left}' y1='{10 + chart_h}' x2='{width - 10}' y2='{10 + chart_h}' stroke='#8a94a3'/>")
    parts.append("</svg>")
    return "".join(parts) + "<div class='small'>latence par question (ms) ; survoler une barre pour son intervalle</div>"


def _metric_table(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    head = "".join(f"<th>{_h(LABELS[c])}</th>" for c in SUITE_COLUMNS)
    body = []
    for name, metrics in rows:
        cells = "".join(f"<td>{_h(fmt(c, metrics.get(c)))}</td>" for c in SUITE_COLUMNS)
        body.append(f"<tr><td>{_h(name)}</td>{cells}</tr>")
    return f"<table><tr><th>suite</th>{head}</tr>{''.join(body)}</table>"


def _short(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _case_details(case: Mapping[str, Any]) -> str:
    history = "".join(
        f"<div class='small'>{_h(t['role'])} : {_h(t['content'])}</div>" for t in case.get("history") or []
    )
    cites = ", ".join(f"{c['doc_id']} ({c.get('section', '')})" for c in case.get("citations") or []) or "aucune"
    calcs = ", ".join(f"{c['name']} = {c.get('result')}" for c in case.get("calculations") or []) or "aucun"
    reasons = "".join(f"<li>{_h(r)}</li>" for r in case["reasons"])
    return (
        f"<details><summary>{_h(case['id'])} <span class='small'>({_h(case['suite'])}, "
        f"{_h(fmt('latency_ms', case.get('latency_ms')))} ms)</span>"
        f"<div class='why'>{_h(_short(' ; '.join(case['reasons'])))}</div></summary>"
        f"{history}<div class='q'><b>Question :</b> {_h(case['question'])}</div>"
        f"<div class='answer'>{_h(case.get('answer') or '')}</div>"
        f"<div class='q'><b>Attendu :</b> {_h(_expected_text(case))}</div>"
        f"<ul class='reasons'>{reasons}</ul>"
        f"<div class='small'>citations : {_h(cites)} · calculs : {_h(calcs)} · refus : {_h(case.get('refused'))}"
        f" · backend : {_h(case.get('backend'))}</div></details>"
    )


def render_html(report: Mapping[str, Any]) -> str:
    overall = report.get("overall") or {}
    out = ["<!doctype html><html lang='fr'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width,initial-scale=1'>",
           f"<title>Évaluation {_h(report.get('date', ''))}</title><style>{CSS}</style></head><body><main>",
           "<h1>Évaluation de l'assistant</h1>",
           f"<div class='meta'>{_h(report.get('date', ''))} · backend <b>{_h(report.get('backend'))}</b> · "
           f"cible {_h(report.get('target'))} · commit <code>{_h((report.get('git_commit') or 'inconnu')[:12])}</code>"
           f"{' (modifié)' if report.get('git_dirty') else ''}</div>"]
    verdict = "ok" if report.get("exit_code", 0) == 0 else "ko"
    out.append("<div class='cards'>")
    out.append(f"<div class='card'>résultat<b class='{verdict}'>{'OK' if verdict == 'ok' else 'ÉCHEC'}</b></div>")
    for metric in ("pass_rate", "hit_at_3", "fact_recall", "amount_exactness", "unsupported_answers", "latency_p95_ms"):
        if metric in overall:
            out.append(f"<div class='card'>{_h(LABELS[metric])}<b>{_h(fmt(metric, overall[metric]))}</b></div>")
    out.append("</div>")

    gates = report.get("gates") or []
    if gates:
        out.append("<h2>Seuils</h2><table class='gates'><tr><th>portée</th><th>métrique</th><th>seuil</th><th>valeur</th><th>état</th></tr>")
        for g in gates:
            cls, status = ("skip", "n/a") if g["skipped"] else (("ok", "ok") if g["ok"] else ("ko", "RATÉ"))
            value = "n/a" if g["value"] is None else f"{g['value']:.4g}"
            threshold = f"{g['op']} {g['threshold']:g}"
            out.append(f"<tr><td>{_h(g['scope'])}</td><td>{_h(g['metric'])}</td><td>{_h(threshold)}</td>"
                       f"<td>{_h(value)}</td><td class='{cls}'>{status}</td></tr>")
        out.append("</table>")

    base = report.get("baseline")
    if base:
        out.append(f"<h2>Comparaison avec la référence du {_h(base.get('baseline_date'))}</h2><ul>")
        out.append(f"<li class='{'ko' if base['regressions'] else 'ok'}'>régressions ({len(base['regressions'])}) : "
                   f"{_h(', '.join(base['regressions']) or 'aucune')}</li>")
        out.append(f"<li>corrections ({len(base['fixes'])}) : {_h(', '.join(base['fixes']) or 'aucune')}</li>")
        if base.get("new"):
            out.append(f"<li>nouveaux cas : {_h(', '.join(base['new']))}</li>")
        if base.get("inputs_changed"):
            out.append(f"<li>entrées modifiées : {_h(', '.join(base['inputs_changed']))}</li>")
        out.append("</ul>")

    if report.get("per_suite"):
        out.append("<h2>Par suite</h2>")
        out.append(_metric_table([*report["per_suite"].items(), *total_rows(report, "total", "total (suites aveugles)")]))
        latencies = [c.get("latency_ms") for c in report.get("cases", []) if c.get("latency_ms") is not None]
        out.append(f"<h2>Latences ({len(latencies)} questions)</h2>{latency_svg(latencies, histogram_bins(len(latencies)))}")

    if report.get("retrieval"):
        out.append("<h2>Recherche : modes côte à côte</h2><table><tr><th>mode</th>")
        out.append("".join(f"<th>{_h(label)}</th>" for _, label in RETRIEVAL_COLUMNS) + "</tr>")
        for mode, m in report["retrieval"].items():
            if not m.get("available", True):
                out.append(f"<tr><td>{_h(mode)}</td><td colspan='{len(RETRIEVAL_COLUMNS)}' class='skip'>n/a — {_h(m.get('reason', ''))}</td></tr>")
            else:
                out.append(f"<tr><td>{_h(mode)}</td>" + "".join(f"<td>{_h(fmt(k, m.get(k)))}</td>" for k, _ in RETRIEVAL_COLUMNS) + "</tr>")
        out.append("</table>")

    failing = failing_cases(report)
    if report.get("cases") is not None and report.get("overall"):
        out.append(f"<h2>Cas en échec ({len(failing)})</h2>")
        out.extend(_case_details(case) for case in failing)
        passing = [c for c in report.get("cases", []) if c["passed"]]
        out.append(f"<h2>Cas réussis ({len(passing)})</h2><p class='small'>")
        out.append(", ".join(_h(c["id"]) for c in passing) + "</p>")
    out.append("</main></body></html>")
    return "\n".join(out)


def write_html(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")


def histogram_bins(n: int) -> int:
    """Bins for n values (Sturges), kept between 6 and 20."""
    return max(6, min(20, math.ceil(math.log2(max(n, 1)) + 1)))
