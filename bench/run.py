"""`make bench`: the project's performance figures in one run, checked against bench/targets.yaml.

    python -m bench.run                           # everything (~30 min on 2 cores)
    python -m bench.run --skip-model              # no default model: a few minutes
    python -m bench.run --questions 10 --phases answers,reference

Phases: ingest (cold, unchanged, one changed document; child process, temp index), retrieval
(uncached and cached p50/p95 over the retrieval development suite), answers (extractive and the
default model: end-to-end latency, time to first streamed token, tokens/s, pass rate),
throughput (1/4/8 concurrent clients on a live extractive server, with its memory, then on a
default-model server with fewer requests), memory (a
live default-model server's peak resident memory), warmstart (a fresh default-model server: the
first answer once it says ready against the median of the next ten), reference (a tutorial RAG
on the same models and questions, judged the same way: bench/tutorial_rag.py).
Writes bench/results/<date>.json and .md and prints the Markdown. Exit code 1 when a phase
failed (or, with --strict, a target was missed).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, get_settings
from bench import phases as ph
from bench.measure import machine
from bench.report import check_targets, load_targets, write

PHASES = ("ingest", "retrieval", "answers", "throughput", "memory", "warmstart", "reference")
MODEL_PHASES = ("memory", "warmstart", "reference")  # nothing to measure without the default model
MODEL_BACKEND = "llamacpp"
DEFAULT_MODEL_QUESTIONS = 40
WARM_START_QUESTIONS = 11  # the first answer after ready, then the ten it is compared with
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"


def _levels(text: str) -> list[int]:
    levels = [int(x) for x in text.split(",") if x.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("concurrency levels are positive integers, e.g. 1,4,8")
    return levels


def _phases(text: str) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(PHASES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown phase(s) {unknown}; choose among {', '.join(PHASES)}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=int, default=None,
                   help=f"questions per answer run, sampled across suites (default: {DEFAULT_MODEL_QUESTIONS} "
                        "for the default model, all for extractive and retrieval)")
    p.add_argument("--skip-model", action="store_true", help="leave out every measurement of the default model")
    p.add_argument("--phases", type=_phases, default=list(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    p.add_argument("--concurrency", type=_levels, default=[1, 4, 8], help="throughput levels (default 1,4,8)")
    p.add_argument("--requests", type=int, default=32, help="requests per throughput level (at least 4 per client)")
    p.add_argument("--model-requests", type=int, default=8,
                   help="requests per throughput level with the default model (about 8 s each, one at a time)")
    p.add_argument("--memory-questions", type=int, default=3, help="requests to the default-model server before reading its memory")
    p.add_argument("--timeout", type=float, default=300.0, help="per-request timeout against servers, seconds")
    p.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="where <name>.json and <name>.md go")
    p.add_argument("--name", default=None, help="file name without extension (default: today's date)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    begun = time.perf_counter()

    def log(message: str) -> None:
        print(f"[bench {time.perf_counter() - begun:6.0f} s] {message}", file=sys.stderr, flush=True)

    from evals.runner import git_commit, settings_snapshot

    settings = get_settings()
    commit, dirty = git_commit()
    chat, retrieval_cases = ph.suite_cases("chat"), ph.suite_cases("retrieval")
    extractive_cases = ph.sample(chat, args.questions)
    model_cases = ph.sample(chat, args.questions if args.questions is not None else DEFAULT_MODEL_QUESTIONS)
    info = machine()
    results: dict[str, Any] = {
        "schema": 1,
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": dirty,
        "options": {"questions_model": 0 if args.skip_model else len(model_cases),
                    "questions_extractive": len(extractive_cases), "phases": args.phases,
                    "skip_model": args.skip_model, "concurrency": args.concurrency, "requests": args.requests},
        "machine": info | {"loadavg_start": info["loadavg"]},
        "settings": settings_snapshot() | {"llm_threads": settings.threads, "prompt_passages": settings.prompt_passages},
        "phase_seconds": {},
    }
    failed: list[str] = []

    def run(name: str, key: str, fn: Callable[[], Any]) -> Any:
        if name not in args.phases:
            return {"skipped": "phase non demandée"}
        started = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - one failed phase must not lose the others' figures
            traceback.print_exc()
            failed.append(key)
            value = {"error": f"{type(exc).__name__}: {exc}"}
        results["phase_seconds"][key] = round(time.perf_counter() - started, 1)
        return value

    no_model = {"skipped": "--skip-model"}
    log(f"machine: {info.get('uptime', '')}")
    results["ingest"] = run("ingest", "ingest", lambda: ph.bench_ingest(settings.corpus_dir, log=log))
    results["retrieval"] = run("retrieval", "retrieval", lambda: ph.bench_retrieval(
        ph.sample(retrieval_cases, args.questions), settings, log=log))
    answers: dict[str, Any] = {"extractive": run("answers", "answers.extractive", lambda: ph.bench_answers(
        "extractive", extractive_cases, settings, with_ask=True, log=log))}
    results["answers"] = answers
    throughput = run("throughput", "throughput", lambda: ph.bench_throughput(
        extractive_cases, args.concurrency, args.requests, timeout=min(args.timeout, 120.0), log=log))
    memory: dict[str, Any] = {}
    if isinstance(throughput, tuple):
        results["throughput"], memory["extractive"] = throughput
    else:
        results["throughput"] = memory["extractive"] = throughput
    model_throughput = no_model if args.skip_model else run("throughput", f"throughput.{MODEL_BACKEND}", lambda: (
        ph.bench_throughput(model_cases, args.concurrency, args.model_requests, timeout=args.timeout,
                            backend=MODEL_BACKEND, log=log, per_client=1)))
    results["throughput_model"] = model_throughput[0] if isinstance(model_throughput, tuple) else model_throughput
    memory[MODEL_BACKEND] = no_model if args.skip_model else run("memory", f"memory.{MODEL_BACKEND}", lambda: (
        ph.bench_server_memory(MODEL_BACKEND, model_cases[: args.memory_questions], args.timeout, log=log)))
    results["memory"] = memory
    results["warm_start"] = no_model if args.skip_model else run("warmstart", "warm_start", lambda: (
        ph.bench_warm_start(ph.sample(chat, WARM_START_QUESTIONS), MODEL_BACKEND, args.timeout, log=log)))
    answers[MODEL_BACKEND] = no_model if args.skip_model else run("answers", f"answers.{MODEL_BACKEND}", lambda: (
        ph.bench_answers(MODEL_BACKEND, model_cases, settings, with_ask=False, log=log)))

    def reference() -> dict[str, Any]:
        ours = answers.get(MODEL_BACKEND) or {}
        if ours.get("error"):
            raise RuntimeError(f"our answers with the default model failed: {ours['error']}")
        if "cases_detail" not in ours:  # answers phase not asked for: measure ours here, on the same questions
            ours = answers[MODEL_BACKEND] = ph.bench_answers(MODEL_BACKEND, model_cases, settings, with_ask=False, log=log)
        return ph.bench_reference(model_cases, ours, settings, settings.corpus_dir, log=log,
                                  retrieval_cases=retrieval_cases, others={"extractive": answers["extractive"]})

    results["reference"] = no_model if args.skip_model else run("reference", "reference", reference)

    results["machine"]["loadavg_end"] = machine()["loadavg"]
    results["seconds"] = round(time.perf_counter() - begun, 1)
    results["targets"] = check_targets(results, load_targets())
    results["failed_phases"] = failed
    name = args.name or datetime.now().strftime("%Y-%m-%d")
    json_path, md_path, markdown = write(results, args.out_dir, name)
    print(markdown)
    log(f"written {json_path} and {md_path}")
    missed = [t["id"] for t in results["targets"] if t["ok"] is False]
    if missed:
        log(f"targets missed: {', '.join(missed)}")
    if failed:
        log(f"phases failed: {', '.join(failed)}")
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
