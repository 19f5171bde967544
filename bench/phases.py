"""The measurements of `python -m bench.run`, one function per phase, each returning JSON-ready figures.

In-process phases use the project's own entry points (assistant.retrieval.search,
get_assistant().ask/stream) on the index of the settings; server phases start a real
`assistant serve` on a free 127.0.0.1 port (bench/load.py's start_server: throwaway database,
no rate limit) and stop it by its process id. The query-embedding cache is emptied before every
timed request: users rarely repeat a question, so uncached is the latency that matters.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from assistant.config import PROJECT_ROOT, Settings
from assistant.schemas import ChatRequest, ChatResponse
from bench.measure import (
    TokenMeter,
    cache_hits,
    clear_query_cache,
    generation_figures,
    latency_summary,
    metering,
    points,
    process_memory,
    ratio,
    timed_in_thread,
)
from evals.judge import Verdict, judge, judge_error
from evals.metrics import aggregate
from evals.suites import Case, default_suite_paths, load_suites

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# --- questions ------------------------------------------------------------------------------------
def suite_cases(kind: str = "chat", paths: Sequence[Path] | None = None) -> list[Case]:
    """The cases of the suites of one kind ("chat": the answer suites; "retrieval": retrieval-dev)."""
    suites = load_suites(list(paths) if paths is not None else default_suite_paths())
    chosen = [s for s in suites if (s.kind == "retrieval") == (kind == "retrieval")]
    return [case for suite in chosen for case in suite.cases]


def sample(cases: Sequence[Case], n: int | None) -> list[Case]:
    """``n`` cases spread over the suites in proportion to their size (largest remainder), evenly
    spaced inside each suite; deterministic. None or n >= len(cases): all of them."""
    if n is None or n >= len(cases):
        return list(cases)
    if n <= 0:
        return []
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.suite, []).append(case)
    total = len(cases)
    exact = {name: n * len(group) / total for name, group in groups.items()}
    quota = {name: int(value) for name, value in exact.items()}
    order = sorted(groups, key=lambda name: -(exact[name] - quota[name]))  # stable: suite order breaks ties
    for name in order[: n - sum(quota.values())]:
        quota[name] += 1
    chosen = []
    for name, group in groups.items():
        q = quota[name]
        chosen += [group[int((i + 0.5) * len(group) / q)] for i in range(q)]
    return chosen


def request_of(case: Case) -> ChatRequest:
    return ChatRequest(message=case.question, history=list(case.history))


# --- ingest -----------------------------------------------------------------------------------------
def bench_ingest(corpus: Path, timeout: float = 1800.0, log: Log = _quiet) -> dict[str, Any]:
    """Cold / unchanged / one-changed-document ingest in a child process confined to a temp folder."""
    from bench.ingest_bench import child_env

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        out = workdir / "ingest.json"
        args = [sys.executable, "-m", "bench.ingest_bench", "--corpus", str(corpus), "--workdir", str(workdir),
                "--out", str(out)]
        log(f"ingest: three runs on a copy of {corpus} in {workdir}")
        done = subprocess.run(args, env=child_env(workdir), cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"ingest child failed ({done.returncode}): {done.stderr[-2000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


# --- retrieval ----------------------------------------------------------------------------------------
def bench_retrieval(cases: Sequence[Case], settings: Settings, log: Log = _quiet) -> dict[str, Any]:
    """Latency of query embedding + hybrid search (assistant.retrieval.search), uncached then cached."""
    from assistant.embeddings import get_embedder
    from assistant.retrieval import search
    from evals.retrieval_eval import retrieval_query

    embedder = get_embedder(settings)
    queries = [retrieval_query(c) for c in cases]
    k = settings.retrieval_k
    search(queries[0] if queries else "stage", k=k, mode="hybrid")  # warm-up: lazy indexes, not timed
    log(f"retrieval: {len(queries)} questions, uncached then cached")

    cleared = clear_query_cache(embedder)
    hits_before = cache_hits(embedder)
    uncached, embedding, cached = [], [], []
    # Each call in a new thread, as the chain's retrieval step runs (see timed_in_thread).
    for query in queries:
        clear_query_cache(embedder)
        uncached.append(timed_in_thread(lambda q=query: search(q, k=k, mode="hybrid"))[1])
    hits_after = cache_hits(embedder)
    for query in queries:  # (the loop above cleared the cache before each question: fill it)
        search(query, k=k, mode="hybrid")
    for query in queries:  # every question is now cached: the search without the embedding
        cached.append(timed_in_thread(lambda q=query: search(q, k=k, mode="hybrid"))[1])
    for query in queries:
        clear_query_cache(embedder)
        embedding.append(timed_in_thread(lambda q=query: embedder.embed_query(q))[1])
    return {
        "suite": ", ".join(sorted({c.suite for c in cases})),
        "cases": len(queries),
        "k": k,
        "mode": "hybrid",
        "called_from": "a new thread per call (as the chain's retrieval step)",
        "cache_cleared": cleared,
        "cache_hits_uncached": (hits_after - hits_before) if hits_before is not None and hits_after is not None else None,
        "uncached": latency_summary(uncached),
        "cached": latency_summary(cached),
        "embedding": latency_summary(embedding),
    }


# --- answers ------------------------------------------------------------------------------------------
def _record(case: Case, verdict: Verdict, response: ChatResponse | None, **timings: float | None) -> dict[str, Any]:
    return {
        "id": case.id,
        "suite": case.suite,
        **{k: (round(v * 1000, 1) if v is not None else None) for k, v in timings.items()},
        "passed": verdict.passed,
        "reasons": verdict.reasons,
        "unsupported": [float(u) for u in verdict.unsupported],
        "refused": response.refused if response else None,
        "fallback": response.fallback if response else None,
        "guard": response.guard if response else [],
        "calculations": len(response.calculations) if response else 0,
        "answer": response.answer if response else None,
        "error": verdict.error,
    }


def quality(cases: Sequence[Case], verdicts: Sequence[Verdict], latencies_ms: Sequence[float]) -> dict[str, Any]:
    """The evaluation's metrics (evals/metrics.py) that the benchmark reports."""
    m = aggregate(cases, verdicts, latencies_ms)
    keep = ("cases", "passed", "pass_rate", "fact_recall", "amount_exactness", "unsupported_answers",
            "refusal_precision", "refusal_recall", "errors")
    return {k: m[k] for k in keep}


def _stream(assistant: Any, req: ChatRequest) -> tuple[dict[str, Any] | None, float | None, float]:
    """The done event's response, time to the first non-empty token, total seconds."""
    started = time.perf_counter()
    first: float | None = None
    done: dict[str, Any] | None = None
    for event in assistant.stream(req):
        if event.event == "token" and first is None and str(event.data).strip():
            first = time.perf_counter() - started
        elif event.event == "done":
            done = event.data
    return done, first, time.perf_counter() - started


def bench_answers(backend: str, cases: Sequence[Case], settings: Settings, with_ask: bool,
                  log: Log = _quiet) -> dict[str, Any]:
    """End-to-end latency, time to first token and quality of one backend, in process.

    ``with_ask``: time ask() too (the response judged is then ask()'s, as /api/chat returns it);
    otherwise the latency and the response judged are the stream's (its done event).
    """
    from assistant.chain import get_assistant
    from assistant.embeddings import get_embedder

    settings = settings.model_copy(update={"llm_backend": backend})
    assistant = get_assistant(settings)
    embedder = get_embedder(settings)
    started = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - started
    log(f"answers [{backend}]: {len(cases)} questions (warm-up {warm_s:.1f} s)")

    meter = TokenMeter()
    records, verdicts, latencies = [], [], []
    asks: list[float] = []
    firsts: list[float] = []
    totals: list[float] = []
    before_model: list[float] = []
    with metering(meter):
        for index, case in enumerate(cases, 1):
            req = request_of(case)
            response: ChatResponse | None = None
            ask_s: float | None = None
            first: float | None = None
            total: float | None = None
            generations: list = []
            try:
                if with_ask:
                    clear_query_cache(embedder)
                    t0 = time.perf_counter()
                    response = assistant.ask(req)
                    ask_s = time.perf_counter() - t0
                    asks.append(ask_s)
                clear_query_cache(embedder)
                mark = len(meter.generations)
                t0 = time.perf_counter()
                done, first, total = _stream(assistant, req)
                generations = meter.since(mark)
                if generations:
                    before_model.append(generations[0].started - t0)
                totals.append(total)
                if first is not None:
                    firsts.append(first)
                if response is None:
                    if done is None:
                        raise RuntimeError("stream ended without a done event")
                    response = ChatResponse.model_validate(done)
                verdict = judge(case, response)
            except Exception as exc:  # noqa: BLE001 - one failing question must not stop the benchmark
                verdict = judge_error(case, f"{type(exc).__name__}: {exc}")
            verdicts.append(verdict)
            latency = ask_s if with_ask else total
            latencies.append((latency or 0.0) * 1000)
            records.append(_record(case, verdict, response, answer_ms=latency, first_token_ms=first, stream_ms=total)
                           | {"generations": len(generations)})
            if index % 10 == 0 or index == len(cases):
                log(f"answers [{backend}]: {index}/{len(cases)}")

    result: dict[str, Any] = {
        "backend": backend,
        "questions": len(cases),
        "warm_up_s": round(warm_s, 2),
        "answer": latency_summary(asks if with_ask else totals),
        "answer_measured_on": "ask()" if with_ask else "stream() done event",
        "first_token": latency_summary(firsts),
        # Apart, as the issue asks: an answer that opens with a calculator statement streams it
        # at once; one without waits for the model's first words.
        "first_token_no_calculation": _latencies(records, "first_token_ms", lambda r: not r["calculations"]),
        "first_token_with_calculation": _latencies(records, "first_token_ms", lambda r: bool(r["calculations"])),
        "stream": latency_summary(totals),
        # What regenerations (and follow-up rewrites) cost: answers with one model call against more.
        "one_generation": _latencies(records, "stream_ms", lambda r: r["generations"] == 1),
        "several_generations": _latencies(records, "stream_ms", lambda r: r["generations"] > 1),
        **quality(cases, verdicts, latencies),
        "fallbacks": sum(1 for r in records if r["fallback"]),
        "refused": sum(1 for r in records if r["refused"]),
        "cases_detail": records,
    }
    if meter.generations:
        result["model"] = generation_figures(meter.generations)
        result["before_model"] = latency_summary(before_model)
    return result


# --- the reference: a tutorial RAG ------------------------------------------------------------
def _latencies(records: Sequence[dict[str, Any]], key: str,
               where: Callable[[dict[str, Any]], bool] = lambda r: True) -> dict[str, Any]:
    """The latency summary of one timing (ms) of the records that have it and meet ``where``."""
    return latency_summary([r[key] / 1000 for r in records if r[key] is not None and where(r)])


def _ours(records: Sequence[dict[str, Any]], cases: Sequence[Case]) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in records}
    mine = [by_id[c.id] for c in cases if c.id in by_id]
    if len(mine) != len(cases):
        raise RuntimeError("our answers do not cover the reference's questions")
    return mine


def _compared(mine: Sequence[dict[str, Any]], theirs: dict[str, Any]) -> dict[str, Any]:
    """One of our backends against the tutorial RAG, on the same questions."""
    answer, first = _latencies(mine, "answer_ms"), _latencies(mine, "first_token_ms")
    passed = sum(r["passed"] for r in mine) / len(mine) if mine else None
    return {
        "pass_rate": passed, "unsupported_answers": sum(1 for r in mine if r["unsupported"]),
        "answer_p50_ms": answer["p50_ms"], "answer_p95_ms": answer["p95_ms"], "first_token_p50_ms": first["p50_ms"],
        "pass_rate_points": points(passed, theirs["pass_rate"]),
        "ratios": {
            "pass_rate": ratio(passed, theirs["pass_rate"]),
            "answer_p50": ratio(answer["p50_ms"], theirs["answer_p50_ms"]),
            "answer_p95": ratio(answer["p95_ms"], theirs["answer_p95_ms"]),
            "first_token_p50": ratio(first["p50_ms"], theirs["first_token_p50_ms"]),
        },
    }


def bench_reference(cases: Sequence[Case], ours: dict[str, Any], settings: Settings, corpus: Path,
                    log: Log = _quiet, retrieval_cases: Sequence[Case] = (),
                    others: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The tutorial RAG on the same questions with the same models; ours is ``ours`` (same cases,
    the model backend the tutorial shares), ``others`` our other backends' answers (a superset).

    Sanity check first: its retrieval hit@1 on ``retrieval_cases`` against our dense retrieval's
    (the same embedding model): far below it, the reference is mis-set and the comparison void."""
    from assistant.embeddings import get_embedder
    from assistant.llm import build_chat_model
    from assistant.retrieval import search
    from bench.tutorial_rag import TutorialRAG, load_documents, split_documents
    from evals.retrieval_eval import evaluate_mode

    default_backend = settings.llm_backend
    settings = settings.model_copy(update={"llm_backend": ours.get("backend", "llamacpp")})
    embedder = get_embedder(settings.model_copy(update={"embedding_query_int8": False}))
    llm = build_chat_model(settings)
    if llm is None:
        raise RuntimeError(f"the tutorial RAG needs a model; backend {settings.llm_backend!r} has none")
    chunks = split_documents(load_documents(corpus, settings.max_file_mb, settings.max_pdf_pages))
    started = time.perf_counter()
    rag = TutorialRAG.build(chunks, embedder, llm)
    index_s = time.perf_counter() - started
    log(f"reference: tutorial RAG indexed {len(chunks)} chunks in {index_s:.1f} s; {len(cases)} questions")
    sanity: dict[str, Any] = {}
    if retrieval_cases:
        theirs_dense = evaluate_mode(rag.search, retrieval_cases, "dense")
        ours_dense = evaluate_mode(lambda q, k, mode: search(q, k=k, mode=mode, settings=settings), retrieval_cases, "dense")
        # Ours embedding the question as written (no spelled-out abbreviations): the same input as
        # the tutorial's, so that a gap above says whether the reference's models are mis-set.
        plain = settings.model_copy(update={"dense_query_expansion": False})
        ours_plain = evaluate_mode(lambda q, k, mode: search(q, k=k, mode=mode, settings=plain), retrieval_cases, "dense")
        gap = (None if theirs_dense.get("hit_at_1") is None or ours_dense.get("hit_at_1") is None
               else round(theirs_dense["hit_at_1"] - ours_dense["hit_at_1"], 3))
        sanity = {"cases": theirs_dense.get("cases"), "tutorial_hit_at_1": theirs_dense.get("hit_at_1"),
                  "ours_dense_hit_at_1": ours_dense.get("hit_at_1"),
                  "ours_plain_dense_hit_at_1": ours_plain.get("hit_at_1"), "gap": gap,
                  "ok": gap is not None and gap >= -0.05}
        log(f"reference: retrieval hit@1 tutorial {sanity['tutorial_hit_at_1']} / our dense {sanity['ours_dense_hit_at_1']}")

    records, verdicts, totals, firsts = [], [], [], []
    try:
        for index, case in enumerate(cases, 1):
            clear_query_cache(embedder)
            first: list[float] = []
            t0 = time.perf_counter()
            response: ChatResponse | None = None

            def on_token(_delta: str, t0: float = t0, first: list[float] = first) -> None:
                if not first:
                    first.append(time.perf_counter() - t0)

            try:
                response = rag.ask(case.question, on_token=on_token, history=case.history)
                verdict = judge(case, response)
            except Exception as exc:  # noqa: BLE001
                verdict = judge_error(case, f"{type(exc).__name__}: {exc}")
            total = time.perf_counter() - t0
            totals.append(total)
            firsts += first[:1]
            verdicts.append(verdict)
            records.append(_record(case, verdict, response, answer_ms=total, first_token_ms=first[0] if first else None))
            if index % 10 == 0 or index == len(cases):
                log(f"reference: {index}/{len(cases)}")
    finally:
        rag.close()

    theirs_answer, theirs_first = latency_summary(totals), latency_summary(firsts)
    tutorial_summary = {**quality(cases, verdicts, [t * 1000 for t in totals]),
                        "answer_p50_ms": theirs_answer["p50_ms"], "answer_p95_ms": theirs_answer["p95_ms"],
                        "first_token_p50_ms": theirs_first["p50_ms"]}
    answered = {settings.llm_backend: _ours(ours.get("cases_detail") or [], cases)}
    for backend, section in (others or {}).items():
        if isinstance(section, Mapping) and section.get("cases_detail"):
            answered[backend] = _ours(section["cases_detail"], cases)
    by_backend = {backend: _compared(mine, tutorial_summary) for backend, mine in answered.items()}
    model = by_backend[settings.llm_backend]

    per_suite: dict[str, dict[str, Any]] = {}
    for i, (case, verdict) in enumerate(zip(cases, verdicts, strict=True)):
        s = per_suite.setdefault(case.suite, {"questions": 0, "tutorial_passed": 0,
                                              "passed": dict.fromkeys(answered, 0)})
        s["questions"] += 1
        s["tutorial_passed"] += int(verdict.passed)
        for backend, mine in answered.items():
            s["passed"][backend] += int(mine[i]["passed"])
    for s in per_suite.values():
        s["tutorial"] = s["tutorial_passed"] / s["questions"]
        s["by_backend"] = {b: n / s["questions"] for b, n in s["passed"].items()}
        s["ours"] = s["by_backend"][settings.llm_backend]

    return {
        "questions": len(cases),
        "backend": settings.llm_backend,
        "default_backend": default_backend,
        "tutorial_chunks": len(chunks),
        "tutorial_index_s": round(index_s, 2),
        "retrieval_sanity": sanity,
        "ours": {k: v for k, v in model.items() if k not in ("pass_rate_points", "ratios")},
        "tutorial": tutorial_summary,
        "pass_rate_points": model["pass_rate_points"],
        "ratios": model["ratios"],
        # What a user of the default settings gets, against the same reference.
        "default": by_backend.get(default_backend),
        "by_backend": by_backend,
        "per_suite": per_suite,
        "cases_detail": records,
    }


# --- servers -----------------------------------------------------------------------------------
def _body(case: Case) -> dict[str, Any]:
    return {"message": case.question, "history": [t.model_dump() for t in case.history]}


async def _bounded(base_url: str, bodies: Sequence[dict[str, Any]], clients: int, timeout: float) -> dict[str, Any]:
    """Send every body once to POST /api/chat with ``clients`` concurrent connections."""
    latencies: list[float] = []
    errors: list[str] = []
    pending = list(reversed(bodies))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:

        async def worker() -> None:
            while pending:
                body = pending.pop()
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/chat", json=body)
                    ok = r.status_code == 200 and bool(r.json().get("answer"))
                    reason = "" if ok else f"HTTP {r.status_code}"
                except (httpx.HTTPError, ValueError) as exc:
                    ok, reason = False, type(exc).__name__
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors.append(reason)

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(clients))),
                               timeout=timeout * (len(bodies) / clients + 2))
        elapsed = time.perf_counter() - started
    summary = latency_summary(latencies)
    return {"clients": clients, "requests": len(bodies), "errors": len(errors), "error_kinds": sorted(set(errors)),
            "seconds": round(elapsed, 2), "rps": round(len(latencies) / elapsed, 2) if elapsed > 0 else None,
            "p50_ms": summary["p50_ms"], "p95_ms": summary["p95_ms"]}


def _serve(backend: str, workdir: Path) -> tuple[Any, str, float]:
    from bench.load import start_server

    started = time.perf_counter()
    server, url = start_server(workdir, backend=backend, log_path=workdir / f"server-{backend}.log")
    return server, url, time.perf_counter() - started


def bench_throughput(cases: Sequence[Case], levels: Sequence[int], requests: int, timeout: float = 60.0,
                     backend: str = "extractive", log: Log = _quiet,
                     per_client: int = 4) -> tuple[dict[str, Any], dict[str, Any]]:
    """Requests/s and latency at each concurrency level against a live server; and its memory.
    Each level sends ``requests``, at least ``per_client`` per client."""
    if not cases:
        raise ValueError("no questions")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        server, url, ready_s = _serve(backend, Path(tmp))
        try:
            asyncio.run(_bounded(url, [_body(c) for c in cases[:2]], 1, timeout))  # warm-up, not counted
            results, offset = [], 2
            for clients in levels:
                n = max(requests, clients * per_client)
                bodies = [_body(cases[(offset + i) % len(cases)]) for i in range(n)]  # no question twice in a row
                offset += n
                log(f"throughput [{backend}]: {clients} client(s), {n} requests")
                results.append(asyncio.run(_bounded(url, bodies, clients, timeout)))
            memory = process_memory(server.pid) | {"ready_s": round(ready_s, 1),
                                                   "requests": sum(lv["requests"] for lv in results) + 2}
        finally:
            server.stop()
    return {"backend": backend, "levels": results}, memory


def bench_warm_start(cases: Sequence[Case], backend: str = "llamacpp", timeout: float = 300.0,
                     log: Log = _quiet) -> dict[str, Any]:
    """The first answer once /api/health says ready, against the median of the answers after it.

    A fresh server, then ``cases`` asked one at a time through POST /api/chat, each once (no
    cache helps): a server that says ready before its model and prompt are warm shows a first
    answer several times the next ones'.
    """
    if len(cases) < 2:
        raise ValueError("at least two questions: the first and those it is compared with")
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        log(f"warm start [{backend}]: starting a server")
        server, url, ready_s = _serve(backend, Path(tmp))
        try:
            seconds = []
            with httpx.Client(base_url=url, timeout=timeout) as client:
                for case in cases:
                    t0 = time.perf_counter()
                    response = client.post("/api/chat", json=_body(case))
                    if response.status_code != 200:
                        raise RuntimeError(f"{case.id}: HTTP {response.status_code} {response.text[:200]}")
                    seconds.append(time.perf_counter() - t0)
        finally:
            server.stop()
    first, median = seconds[0], statistics.median(seconds[1:])
    log(f"warm start [{backend}]: ready in {ready_s:.1f} s; first answer {first * 1000:.0f} ms, "
        f"median of the next {len(seconds) - 1} {median * 1000:.0f} ms, ratio {first / median:.2f}")
    return {"backend": backend, "ready_s": round(ready_s, 1), "first_ms": round(first * 1000, 1),
            "next": len(seconds) - 1, "next_median_ms": round(median * 1000, 1), "ratio": ratio(first, median),
            "answers_ms": [round(s * 1000, 1) for s in seconds], "questions": [c.id for c in cases]}


def bench_server_memory(backend: str, cases: Sequence[Case], timeout: float = 300.0,
                        log: Log = _quiet) -> dict[str, Any]:
    """Peak resident memory of a real server after it answered ``cases`` (one at a time)."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        log(f"memory [{backend}]: starting a server")
        server, url, ready_s = _serve(backend, Path(tmp))
        try:
            log(f"memory [{backend}]: ready in {ready_s:.1f} s; {len(cases)} requests")
            at_ready = process_memory(server.pid)
            level = asyncio.run(_bounded(url, [_body(c) for c in cases], 1, timeout))
            memory = process_memory(server.pid)
        finally:
            server.stop()
    return memory | {"ready_s": round(ready_s, 1), "peak_rss_at_ready_mb": at_ready["peak_rss_mb"],
                     "requests": level["requests"], "errors": level["errors"], "p50_ms": level["p50_ms"]}
