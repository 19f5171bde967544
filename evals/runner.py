"""`assistant eval SUITE.yaml...`: run suites in-process or against a server, judge, gate, report.

Exit code: 0 all gates met and no regression; 1 a gate missed or a regression against
--baseline (unless --allow-regressions); 2 unusable input (suite, thresholds or baseline file).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.config import PROJECT_ROOT, get_settings
from assistant.schemas import ChatRequest, ChatResponse
from evals import gates as gating
from evals import report as reporting
from evals.documents import DocumentsError, throwaway_corpus
from evals.judge import Verdict, judge, judge_error
from evals.metrics import LABELS, aggregate, fmt
from evals.retrieval_eval import MODES, evaluate_retrieval
from evals.suites import Case, Suite, SuiteError, load_suites, select

Asker = Callable[[Case], ChatResponse]
# Files whose change an evaluator wants to see next to a change of results (hashed into the report).
INPUT_GLOBS = ("corpus/*", "assistant/calculator/*.yaml", "assistant/prompts.py", "assistant/vocabulary.yaml",
               "evals/suites/*.yaml", "evals/judge.yaml")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant eval",
        description="Lance des suites d'évaluation, affiche les métriques, vérifie les seuils et la référence.",
    )
    p.add_argument("suites", nargs="+", type=Path, help="fichiers de suites (evals/suites/*.yaml)")
    p.add_argument("--url", help="serveur à interroger (POST URL/api/chat) au lieu de l'assistant en processus")
    p.add_argument("--backend", help="ASSISTANT_LLM_BACKEND pour une exécution en processus (avec --url : étiquette)")
    p.add_argument("--report", type=Path, help="rapport JSON (machine ; sert de --baseline plus tard)")
    p.add_argument("--markdown", type=Path, help="rapport Markdown")
    p.add_argument("--html", type=Path, help="rapport HTML autonome")
    p.add_argument("--baseline", type=Path, help="rapport JSON d'une exécution antérieure à comparer")
    p.add_argument("--allow-regressions", action="store_true", help="ne pas échouer sur une régression")
    p.add_argument("--only", help="ids de cas séparés par des virgules (motifs acceptés : 'cip-*')")
    p.add_argument("--thresholds", type=Path, help="seuils (défaut : evals/thresholds.yaml)")
    p.add_argument("--retrieval", action="store_true",
                   help="comparer les modes de recherche (dense, bm25, hybrid) au lieu de poser les questions")
    p.add_argument("--modes", default=",".join(MODES), help="modes de recherche pour --retrieval")
    p.add_argument("--k", type=int, default=10, help="passages par recherche pour --retrieval (défaut 10)")
    p.add_argument("--timeout", type=float, default=None, help="délai HTTP par question, en secondes")
    return p


# ------------------------------------------------------------------------------ askers

def in_process_asker(backend: str | None) -> tuple[Asker, str]:
    """The assistant of assistant.chain in this process; --backend becomes ASSISTANT_LLM_BACKEND."""
    if backend:
        os.environ["ASSISTANT_LLM_BACKEND"] = backend
        get_settings.cache_clear()
    from assistant.chain import get_assistant

    cache_clear = getattr(get_assistant, "cache_clear", None)
    if backend and cache_clear:
        cache_clear()
    assistant = get_assistant()

    def ask(case: Case) -> ChatResponse:
        return assistant.ask(ChatRequest(message=case.question, history=list(case.history)))

    return ask, get_settings().llm_backend


def http_asker(url: str, timeout: float | None, retries: int = 6, transport: Any = None) -> Asker:
    """POST /api/chat; a 429 (rate limit) or a 503 with Retry-After (queue full, index restarting)
    waits as told and tries again."""
    import httpx

    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout or get_settings().llm_timeout * 2,
                          transport=transport)

    def ask(case: Case) -> ChatResponse:
        body = {"message": case.question, "history": [t.model_dump() for t in case.history]}
        for attempt in range(retries + 1):
            resp = client.post("/api/chat", json=body)
            retry_after = resp.headers.get("Retry-After")
            busy = resp.status_code == 429 or (resp.status_code == 503 and retry_after is not None)
            if busy and attempt < retries:
                time.sleep(min(float(retry_after or 2 ** attempt), 60.0))
                continue
            if resp.status_code >= 400:
                raise RuntimeError(f"HTTP {resp.status_code} : {resp.text[:300]}")
            return ChatResponse.model_validate(resp.json())
        raise RuntimeError("serveur toujours occupé (429/503) après plusieurs essais")

    return ask


def server_health(url: str) -> dict[str, Any]:
    import httpx

    try:
        return httpx.get(url.rstrip("/") + "/api/health", timeout=10).json()
    except Exception as exc:  # noqa: BLE001 - health is informative only
        return {"error": str(exc)}


# --------------------------------------------------------------------------- provenance

def git_commit() -> tuple[str | None, bool]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit or None, bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, False


def input_hashes() -> dict[str, str]:
    """sha256 (12 hex) of the corpus, rates, prompt, vocabulary and suites: what changed since a baseline."""
    out = {}
    for pattern in INPUT_GLOBS:
        for path in sorted(PROJECT_ROOT.glob(pattern)):
            if path.is_file():
                out[str(path.relative_to(PROJECT_ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return out


def settings_snapshot() -> dict[str, Any]:
    s = get_settings()
    return {name: str(getattr(s, name)) for name in (
        "llm_backend", "llm_model", "embedding_model", "retrieval_k", "dense_k", "bm25_k", "rrf_k",
        "chunk_max_chars", "llm_temperature", "llm_max_tokens")}


# -------------------------------------------------------------------------------- chat run

def case_record(case: Case, verdict: Verdict, response: ChatResponse | None, latency_ms: float) -> dict[str, Any]:
    expected = case.model_dump(mode="json", include={
        "sources", "facts", "amounts", "allowed", "only_amounts", "forbid", "refuse", "unanswered",
        "may_refuse", "asks_for", "expect_calculation", "tags"})
    record: dict[str, Any] = {
        "id": case.id,
        "suite": case.suite,
        "question": case.question,
        "history": [t.model_dump() for t in case.history],
        "expected": expected,
        "latency_ms": round(latency_ms, 1),
        "answer": response.answer if response else None,
        "citations": [c.model_dump(include={"doc_id", "chunk_id", "section", "page", "score"})
                      for c in response.citations] if response else [],
        "calculations": [c.model_dump(include={"name", "result", "unit", "inputs", "formula", "notes"})
                         for c in response.calculations] if response else [],
        "backend": response.backend if response else None,
        "fallback": response.fallback if response else None,
        "guard": response.guard if response else [],
        "server_latency_ms": response.latency_ms if response else None,
    }
    record.update(verdict.to_dict())
    record["refused"] = response.refused if response else None
    return record


def run_cases(suites: Sequence[Suite], ask: Asker, console: Console) -> list[tuple[Case, Verdict, dict[str, Any]]]:
    results = []
    total = sum(len(s.cases) for s in suites)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("questions", total=total)
        for suite in suites:
            for case in suite.cases:
                progress.update(task, description=f"{suite.name} · {case.id}")
                start = time.perf_counter()
                response: ChatResponse | None = None
                try:
                    response = ask(case)
                    latency = (time.perf_counter() - start) * 1000
                    verdict = judge(case, response)
                except Exception as exc:  # noqa: BLE001 - one failing question must not stop the run
                    latency = (time.perf_counter() - start) * 1000
                    verdict = judge_error(case, f"{type(exc).__name__}: {exc}")
                results.append((case, verdict, case_record(case, verdict, response, latency)))
                progress.advance(task)
    return results


def metrics_for(results: Sequence[tuple[Case, Verdict, dict[str, Any]]]) -> dict[str, Any]:
    return aggregate(
        [r[0] for r in results], [r[1] for r in results], [r[2]["latency_ms"] for r in results],
        [(r[2]["guard"] or [], r[2]["fallback"]) for r in results],
    )


SHORT_LABELS = {"cases": "cas", "pass_rate": "réussite", "fact_recall": "faits", "amount_exactness": "montants",
                "unsupported_answers": "non étayés", "refusal_precision": "préc. refus",
                "refusal_recall": "rappel refus", "latency_p50_ms": "p50 ms", "latency_p95_ms": "p95 ms"}


def print_chat_summary(report: dict[str, Any], console: Console) -> None:
    columns = ["cases", "pass_rate", "hit_at_3", "mrr", "fact_recall", "amount_exactness",
               "unsupported_answers", "refusal_precision", "refusal_recall", "latency_p50_ms", "latency_p95_ms"]
    table = Table(title=f"Évaluation — backend {report['backend']}")
    table.add_column("suite", no_wrap=True)
    for c in columns:
        table.add_column(SHORT_LABELS.get(c, LABELS[c]), justify="right", no_wrap=True)
    for name, m in [*report["per_suite"].items(), *reporting.total_rows(report, "TOTAL", "TOTAL aveugles")]:
        table.add_row(name, *(fmt(c, m.get(c)) for c in columns))
    console.print(table)
    failing = reporting.failing_cases(report)
    for case in failing:
        console.print(f"[red]✗ {case['id']}[/red] ({case['suite']}) : " + " ; ".join(case["reasons"]), highlight=False)


# --------------------------------------------------------------------------- retrieval run

def print_retrieval_summary(per_mode: dict[str, dict[str, Any]], console: Console) -> None:
    table = Table(title="Recherche : modes côte à côte")
    table.add_column("mode")
    for _, label in reporting.RETRIEVAL_COLUMNS:
        table.add_column(label, justify="right")
    for mode, m in per_mode.items():
        if not m.get("available"):
            table.add_row(mode, *["n/a"] * len(reporting.RETRIEVAL_COLUMNS))
        else:
            table.add_row(mode, *(fmt(k, m.get(k)) for k, _ in reporting.RETRIEVAL_COLUMNS))
    console.print(table)
    for mode, m in per_mode.items():
        if not m.get("available"):
            console.print(f"[yellow]{mode} : n/a ({m.get('reason')})[/yellow]")
    docs = sorted({d for m in per_mode.values() for d in (m.get("mrr_per_doc") or {})})
    if docs:
        per_doc = Table(title="MRR@k par document attendu")
        per_doc.add_column("document")
        available = [mode for mode, m in per_mode.items() if m.get("available")]
        for mode in available:
            per_doc.add_column(mode, justify="right")
        for doc in docs:
            per_doc.add_row(doc, *(fmt("mrr", per_mode[mode]["mrr_per_doc"].get(doc)) for mode in available))
        console.print(per_doc)


def default_search() -> Callable[..., Any]:
    try:
        from assistant.retrieval import search
    except ImportError as exc:
        reason = str(exc)

        def search(query: str, k: int = 5, mode: str = "hybrid", schemes: list[str] | None = None) -> Any:
            raise NotImplementedError(f"assistant.retrieval indisponible ({reason})")
    return search


# ------------------------------------------------------------------------------------ main

def split_by_kind(suites: Sequence[Suite], retrieval: bool) -> tuple[list[Suite], list[str]]:
    """Which suites a run uses, and the names it leaves out.

    Chat runs leave out `kind: retrieval` suites (their facts describe a good top-3, not an
    answer, and judging them through the model would double `make eval`). --retrieval uses the
    retrieval suites given, or every suite given when none is of that kind.
    """
    if retrieval:
        chosen = [s for s in suites if s.kind == "retrieval"] or list(suites)
    else:
        chosen = [s for s in suites if s.kind != "retrieval"]
    return chosen, [s.name for s in suites if s not in chosen]


def main(argv: Sequence[str] | None = None, *, asker: Asker | None = None,
         search: Callable[..., Any] | None = None, console: Console | None = None) -> int:
    """Entry point of `assistant eval`. ``asker`` and ``search`` let tests inject fakes."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if console is None:
        console = Console()
        if not console.is_terminal:  # logs and CI: wide enough for the metrics table
            console = Console(width=160)
    only = [item.strip() for item in args.only.split(",") if item.strip()] if args.only else None
    try:
        suites = select(load_suites(args.suites), only)
        thresholds = gating.load_thresholds(args.thresholds)
        baseline = gating.load_report(args.baseline) if args.baseline else None
    except (SuiteError, gating.ThresholdError) as exc:
        console.print(f"[red]erreur : {exc}[/red]", highlight=False)
        return 2
    if not suites:
        console.print("[red]erreur : aucun cas ne correspond à --only[/red]")
        return 2
    suites, skipped = split_by_kind(suites, args.retrieval)
    for name in skipped:
        console.print(f"[dim]{name} : suite de recherche, évaluée seulement avec --retrieval[/dim]", highlight=False)
    if not suites:
        console.print("[red]erreur : seulement des suites de recherche ; ajoutez --retrieval[/red]")
        return 2
    folders = {s.documents for s in suites}
    if len(folders) > 1:
        console.print("[red]erreur : ces suites portent sur des documents différents (clé `documents:`) ; "
                      "lancez-les séparément[/red]", highlight=False)
        return 2
    documents = folders.pop()
    if documents is not None and args.url:
        console.print("[red]erreur : une suite à `documents:` s'évalue en processus, sur son corpus d'essai[/red]",
                      highlight=False)
        return 2
    with ExitStack() as stack:
        if documents is not None:
            console.print(f"corpus d'essai : le corpus + {documents} (indexé de zéro)", highlight=False)
            try:
                stack.enter_context(throwaway_corpus(documents))
            except DocumentsError as exc:
                console.print(f"[red]erreur : {exc}[/red]", highlight=False)
                return 2
        return _run(args, suites, asker, search, console, thresholds, baseline)


def _run(args: argparse.Namespace, suites: Sequence[Suite], asker: Asker | None, search: Callable[..., Any] | None,
         console: Console, thresholds: dict[str, Any], baseline: dict[str, Any] | None) -> int:
    """The suites run, judged and gated, on the corpus the settings point to."""
    commit, dirty = git_commit()
    report: dict[str, Any] = {
        "schema": 1,
        "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": dirty,
        "mode": "retrieval" if args.retrieval else "chat",
        "suites": {s.name: {"path": str(s.path), "cases": len(s.cases),
                            **({"documents": str(s.documents)} if s.documents else {})} for s in suites},
        "inputs": input_hashes(),
    }

    try:
        if args.retrieval:
            gates = run_retrieval(args, suites, search, report, console, thresholds)
        else:
            gates = run_chat(args, suites, asker, report, console, thresholds)
    except gating.ThresholdError as exc:
        console.print(f"[red]erreur : {exc}[/red]", highlight=False)
        return 2
    return finish(args, report, gates, baseline, console)


def finish(args: argparse.Namespace, report: dict[str, Any], gates: list[gating.Gate],
           baseline: dict[str, Any] | None, console: Console) -> int:
    """Gates, baseline comparison, reports written, the verdict and the exit code."""
    report["gates"] = [vars(g) for g in gates]
    missed = [g for g in gates if not g.ok and not g.skipped]
    for g in gates:
        style = "dim" if g.skipped else ("green" if g.ok else "red")
        console.print(f"[{style}]seuil {g.describe()}[/{style}]", highlight=False)

    regressions: list[str] = []
    if baseline is not None:
        diff = gating.compare_baseline(baseline, report)
        report["baseline"] = diff.to_dict()
        regressions = diff.regressions
        console.print(f"référence du {diff.baseline_date} : {len(diff.regressions)} régression(s), "
                      f"{len(diff.fixes)} correction(s), {len(diff.new)} nouveau(x) cas", highlight=False)
        for case_id in diff.regressions:
            console.print(f"[red]  régression : {case_id}[/red]", highlight=False)
        for case_id in diff.fixes:
            console.print(f"[green]  correction : {case_id}[/green]", highlight=False)
        if diff.inputs_changed:
            console.print("  entrées modifiées : " + ", ".join(diff.inputs_changed), highlight=False)

    failed = bool(missed) or (bool(regressions) and not args.allow_regressions)
    report["exit_code"] = 1 if failed else 0
    if args.report:
        reporting.write_json(report, args.report)
    if args.markdown:
        reporting.write_markdown(report, args.markdown)
    if args.html:
        reporting.write_html(report, args.html)
    verdict = "[red]ÉCHEC[/red]" if failed else "[green]OK[/green]"
    why = []
    if missed:
        why.append(f"{len(missed)} seuil(s) raté(s)")
    if regressions:
        why.append(f"{len(regressions)} régression(s)" + (" (autorisées)" if args.allow_regressions else ""))
    console.print(f"{verdict} {' ; '.join(why)}", highlight=False)
    return report["exit_code"]


def run_retrieval(args: argparse.Namespace, suites: Sequence[Suite], search: Callable[..., Any] | None,
                  report: dict[str, Any], console: Console, thresholds: dict[str, Any]) -> list[gating.Gate]:
    """Dense, BM25 and hybrid side by side on the suites' questions."""
    cases = [c for s in suites for c in s.cases]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if search is None:
        # Users' questions rarely repeat: time every mode without the query-embedding cache.
        os.environ.setdefault("ASSISTANT_QUERY_CACHE_SIZE", "0")
        get_settings.cache_clear()
    per_mode = evaluate_retrieval(search or default_search(), cases, modes, args.k)
    report.update(backend="retrieval", target="in-process", settings=settings_snapshot(), retrieval=per_mode,
                  cases=[], overall={}, per_suite={})
    print_retrieval_summary(per_mode, console)
    return gating.check_retrieval_gates(thresholds, per_mode)


def run_chat(args: argparse.Namespace, suites: Sequence[Suite], asker: Asker | None,
             report: dict[str, Any], console: Console, thresholds: dict[str, Any]) -> list[gating.Gate]:
    """Every case asked (in process, or to a server with --url) and judged; the metrics per suite,
    of the suites tuned on (`overall`) and of the blind ones apart."""
    if args.url:
        ask, backend = http_asker(args.url, args.timeout), args.backend
        report.update(target=args.url, server=server_health(args.url))
    elif asker is not None:
        ask, backend = asker, args.backend or get_settings().llm_backend
        report["target"] = "in-process"
    else:
        ask, backend = in_process_asker(args.backend)
        report["target"] = "in-process"
    results = run_cases(suites, ask, console)
    if backend is None:  # a server: the backend its answers name
        names = Counter(r[2]["backend"] for r in results if r[2]["backend"])
        backend = names.most_common(1)[0][0] if names else "inconnu"
    report.update(backend=backend, settings=settings_snapshot())
    report["cases"] = [r[2] for r in results]
    # Blind suites (thresholds.yaml `blind`) are kept out of `overall`, which measures the
    # suites tuned on: each total is reported apart, the blind one never hidden in the other.
    blind = set(thresholds.get("blind") or [])
    report["overall"] = metrics_for([r for r in results if r[0].suite not in blind])
    blind_results = [r for r in results if r[0].suite in blind]
    report["blind"] = metrics_for(blind_results) if blind_results else {}
    report["per_suite"] = {s.name: metrics_for([r for r in results if r[0].suite == s.name]) for s in suites}
    print_chat_summary(report, console)
    return gating.check_gates(thresholds, backend, report["overall"], report["per_suite"])
