"""Load run: N concurrent users against a live `assistant serve`, then latency figures and errors.

    python -m bench.load                      # 20 users, 2 minutes, extractive backend (make load)
    python -m bench.load --users 5 --duration 10 --json var/load.json
    python -m bench.load --url http://127.0.0.1:8000   # an already running server instead

Without --url the run starts its own server on a free 127.0.0.1 port, on the real index of the
settings (ASSISTANT_DATA_DIR / ASSISTANT_CHROMA_*), with the extractive backend, a throwaway
SQLite database and a rate limit high enough for one client address playing every user; the
server is stopped at the end. Each simulated user loops without pause over the evaluation suites'
questions (chat, stream, search, health in a fixed mix) until the duration is up; every answer is
checked (status 200, the contract's shape, a `done` event for streams). The run is bounded:
requests time out, and the whole run stops at duration + timeout whatever happens.
Exit code 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from assistant.config import PROJECT_ROOT, get_settings
from bench.servers import HOST, Server, assistant_server, free_port

SUITES_DIR = PROJECT_ROOT / "evals" / "suites"
# What a user does on each step, with its weight (most of the traffic is chat, as in the widget).
MIX: tuple[tuple[str, int], ...] = (("chat", 14), ("stream", 3), ("search", 2), ("health", 1))


@dataclass(frozen=True)
class Question:
    message: str
    history: tuple[dict[str, str], ...] = ()


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    error: str = ""
    first_token: float | None = None  # streams: time to the first token event


@dataclass
class LoadResult:
    users: int
    duration: float  # seconds, the configured run length
    elapsed: float  # seconds, first request to last answer
    samples: list[Sample] = field(default_factory=list)
    server: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> int:
        return sum(not s.ok for s in self.samples)

    def summary(self) -> dict[str, Any]:
        """Every figure of the run (JSON-ready): overall and per kind of request."""
        ok = [s.seconds for s in self.samples if s.ok]
        kinds: dict[str, Any] = {}
        for kind in [k for k, _ in MIX]:
            mine = [s for s in self.samples if s.kind == kind]
            if mine:
                kinds[kind] = latency_figures([s.seconds for s in mine if s.ok]) | {
                    "requests": len(mine), "errors": sum(not s.ok for s in mine)}
        firsts = [s.first_token for s in self.samples if s.ok and s.first_token is not None]
        if firsts:
            kinds["stream_first_token"] = latency_figures(firsts) | {"requests": len(firsts), "errors": 0}
        return {
            "users": self.users,
            "duration_s": self.duration,
            "elapsed_s": round(self.elapsed, 1),
            "requests": self.requests,
            "errors": self.errors,
            "error_kinds": dict(Counter(s.error for s in self.samples if not s.ok).most_common(10)),
            "throughput_rps": round(self.requests / self.elapsed, 2) if self.elapsed > 0 else 0.0,
            **latency_figures(ok),
            "by_kind": kinds,
            "server": self.server,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample: a value that occurred."""
    if not values:
        raise ValueError("percentile of an empty sample")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_figures(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 / max / mean in milliseconds (None without samples)."""
    if not seconds:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 1),
    }


def load_questions(folder: Path = SUITES_DIR) -> list[Question]:
    """The evaluation suites' questions (with their history): what users really ask."""
    questions: list[Question] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases") or []:
            if isinstance(case, dict) and isinstance(case.get("question"), str) and case["question"].strip():
                history = tuple(
                    {"role": str(t["role"]), "content": str(t["content"])}
                    for t in case.get("history") or [] if isinstance(t, dict) and "role" in t and "content" in t
                )
                questions.append(Question(case["question"], history))
    if not questions:
        raise SystemExit(f"no questions found in {folder}/*.yaml")
    return questions


# --- one user ----------------------------------------------------------------------------------
def _check_answer(body: Any) -> str:
    """'' when the body is a contract response object, else what is wrong with it."""
    if not isinstance(body, dict):
        return "answer not an object"
    missing = {"answer", "citations", "calculations", "refused", "conversation_id"} - set(body)
    if missing:
        return f"answer without {sorted(missing)}"
    if not isinstance(body["answer"], str) or not body["answer"].strip():
        return "empty answer"
    return ""


async def _chat(client: httpx.AsyncClient, q: Question) -> tuple[str, float | None]:
    r = await client.post("/api/chat", json={"message": q.message, "history": list(q.history)})
    if r.status_code != 200:
        return f"chat HTTP {r.status_code}", None
    return _check_answer(r.json()), None


async def _stream(client: httpx.AsyncClient, q: Question, started: float) -> tuple[str, float | None]:
    first: float | None = None
    done: Any = None
    event = ""
    async with client.stream("POST", "/api/chat/stream", json={"message": q.message, "history": list(q.history)}) as r:
        if r.status_code != 200:
            await r.aread()
            return f"stream HTTP {r.status_code}", None
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
                if event == "token" and first is None:
                    first = time.perf_counter() - started
            elif line.startswith("data:") and event in ("done", "error"):
                if event == "error":
                    return "stream error event", first
                done = json.loads(line[5:].strip())
    if done is None:
        return "stream without done", first
    return _check_answer(done), first


async def _search(client: httpx.AsyncClient, q: Question) -> tuple[str, float | None]:
    r = await client.get("/api/search", params={"q": q.message, "k": 5})
    if r.status_code != 200:
        return f"search HTTP {r.status_code}", None
    body = r.json()
    return ("" if isinstance(body, list) and body else "search without passages"), None


async def _health(client: httpx.AsyncClient) -> tuple[str, float | None]:
    r = await client.get("/api/health")
    if r.status_code != 200:
        return f"health HTTP {r.status_code}", None
    return ("" if r.json().get("ready") else "health not ready"), None


async def _user(client: httpx.AsyncClient, questions: Sequence[Question], deadline: float, seed: int,
                samples: list[Sample]) -> None:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    while time.perf_counter() < deadline:
        kind = rng.choices(kinds, weights)[0]
        q = rng.choice(questions)
        started = time.perf_counter()
        try:
            if kind == "chat":
                error, first = await _chat(client, q)
            elif kind == "stream":
                error, first = await _stream(client, q, started)
            elif kind == "search":
                error, first = await _search(client, q)
            else:
                error, first = await _health(client)
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            error, first = f"{kind} {type(exc).__name__}", None
        samples.append(Sample(kind, time.perf_counter() - started, not error, error, first))


async def drive(base_url: str, users: int, duration: float, timeout: float = 60.0, seed: int = 7,
                questions: Sequence[Question] | None = None) -> LoadResult:
    """Run ``users`` concurrent users for ``duration`` seconds against ``base_url``."""
    questions = list(questions or load_questions())
    samples: list[Sample] = []
    # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s) can close
    # one just as it is reused (a client-side ReadError, not a server fault).
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + duration
        tasks = [asyncio.create_task(_user(client, questions, deadline, seed + i, samples)) for i in range(users)]
        # Hard bound: a request started just before the deadline has `timeout` seconds to finish.
        _, pending = await asyncio.wait(tasks, timeout=duration + timeout + 5)
        for task in pending:
            task.cancel()
        elapsed = time.perf_counter() - started
        server: dict[str, Any] = {}
        try:
            health = (await client.get("/api/health")).json()
            server = {k: health.get(k) for k in ("chunks", "documents", "llm_backend", "queue", "database")}
        except (httpx.HTTPError, ValueError):
            pass
    return LoadResult(users=users, duration=duration, elapsed=elapsed, samples=samples, server=server)


# --- the server under test -----------------------------------------------------------------------
def start_server(workdir: Path, backend: str = "extractive", workers: int = 1,
                 log_path: Path | None = None) -> tuple[Server, str]:
    """`assistant serve` on a free loopback port, the settings' index, a throwaway database."""
    port = free_port()
    env = {
        "ASSISTANT_LLM_BACKEND": backend,
        "ASSISTANT_HOST": HOST,
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_DATABASE_URL": f"sqlite:///{workdir / 'load.db'}",
        # Every simulated user comes from 127.0.0.1: the per-client limit would throttle them all.
        "ASSISTANT_RATE_LIMIT": "1000000/minute",
    }
    server = assistant_server(port, env, workers=workers, log_path=log_path or workdir / "server.log")
    return server, f"http://{HOST}:{port}"


def run(users: int = 20, duration: float = 120.0, url: str | None = None, timeout: float = 60.0,
        backend: str = "extractive", workers: int = 1, log_path: Path | None = None) -> LoadResult:
    """The whole run: start a server (unless ``url``), drive it, stop it."""
    if url:
        return asyncio.run(drive(url, users, duration, timeout))
    with tempfile.TemporaryDirectory(prefix="assistant-load-") as tmp:
        server, base_url = start_server(Path(tmp), backend, workers, log_path)
        try:
            health = httpx.get(f"{base_url}/api/health", timeout=10).json()
            if not health.get("chunks"):
                raise SystemExit(f"the index is empty ({health.get('chunks')!r} chunks): run `assistant ingest` first")
            result = asyncio.run(drive(base_url, users, duration, timeout))
        finally:
            server.stop()
        if result.errors:
            print(f"server log: {server.log_path}", file=sys.stderr)
        return result


def format_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['users']} users, {summary['duration_s']:.0f} s: {summary['requests']} requests, "
        f"{summary['errors']} errors, {summary['throughput_rps']} req/s",
        f"{'':20} {'requests':>8} {'errors':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}",
    ]

    def row(name: str, f: dict[str, Any]) -> str:
        def ms(v: float | None) -> str:
            return f"{v:9.0f}" if v is not None else f"{'-':>9}"

        return f"{name:20} {f['requests']:8d} {f['errors']:6d} {ms(f['p50_ms'])} {ms(f['p95_ms'])} {ms(f['p99_ms'])} {ms(f['max_ms'])}"

    lines.append(row("all", summary))
    for name, figures in summary["by_kind"].items():
        lines.append(row(name, figures))
    if summary["error_kinds"]:
        lines.append("errors: " + ", ".join(f"{k} ×{n}" for k, n in summary["error_kinds"].items()))
    if summary.get("server"):
        lines.append(f"server: {json.dumps(summary['server'], ensure_ascii=False)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--url", help="drive this running server instead of starting one")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    parser.add_argument("--backend", default="extractive", help="ASSISTANT_LLM_BACKEND of the started server")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the started server")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--log", type=Path, default=get_settings().data_dir / "load-server.log",
                        help="the started server's log (default: <data dir>/load-server.log)")
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0:
        parser.error("--users must be ≥ 1 and --duration > 0")
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.log.unlink(missing_ok=True)
    result = run(args.users, args.duration, args.url, args.timeout, args.backend, args.workers, args.log)
    summary = result.summary()
    print(format_summary(summary))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if result.errors or not result.requests else 0


if __name__ == "__main__":
    raise SystemExit(main())
