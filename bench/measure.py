"""What the benchmark reads off a run: latency figures, generated tokens, a server's peak memory.

Percentiles are the evaluation's (nearest rank, an observed value: evals/metrics.py), so a p50
here and a p50 in an eval report mean the same thing. Tokens are counted with a LangChain
callback attached to every run of the process (a configure hook), so the chain's own calls are
measured as they are, without a wrapper around the model. Memory is the kernel's high-water mark
of resident memory (VmHWM in /proc/<pid>/status), summed over the server and its children.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

from evals.metrics import percentile

PROC = Path("/proc")


# --- figures -----------------------------------------------------------------------------------
def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """n, p50 / p95 / mean / max in milliseconds (None without samples)."""
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "mean_ms": round(sum(ms) / len(ms), 1),
        "max_ms": round(max(ms), 1),
    }


def ratio(ours: float | None, theirs: float | None, digits: int = 2) -> float | None:
    """ours / theirs (None when either is missing or theirs is 0)."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, digits)


def points(ours: float | None, theirs: float | None) -> float | None:
    """The difference of two rates (0..1) in percentage points."""
    if ours is None or theirs is None:
        return None
    return round((ours - theirs) * 100, 1)


# --- generated tokens ----------------------------------------------------------------------------
@dataclass
class Generation:
    """One model call: when it started, its first and last token, how many tokens it streamed."""

    started: float
    first_token: float | None = None
    ended: float | None = None
    tokens: int = 0
    prompt_chars: int = 0  # characters of every message sent (the cached system prompt included)

    @property
    def prompt_seconds(self) -> float | None:
        """Start to first token: prompt evaluation (plus the model's queue, if any)."""
        return None if self.first_token is None else self.first_token - self.started

    @property
    def decode_rate(self) -> float | None:
        """Tokens per second after the first one (None for fewer than two tokens)."""
        if self.first_token is None or self.ended is None or self.tokens < 2 or self.ended <= self.first_token:
            return None
        return (self.tokens - 1) / (self.ended - self.first_token)


class TokenMeter(BaseCallbackHandler):
    """Collects a Generation per chat-model run while it is active (see `metering`)."""

    def __init__(self) -> None:
        self.generations: list[Generation] = []
        self._open: dict[Any, Generation] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any, **_: Any) -> None:
        chars = sum(len(str(getattr(m, "content", ""))) for batch in messages for m in batch)
        with self._lock:
            generation = Generation(started=time.perf_counter(), prompt_chars=chars)
            self._open[run_id] = generation
            self.generations.append(generation)

    def on_llm_new_token(self, token: str, *, run_id: Any, **_: Any) -> None:
        now = time.perf_counter()
        with self._lock:
            generation = self._open.get(run_id)
            if generation is None or not token:
                return
            if generation.first_token is None:
                generation.first_token = now
            generation.tokens += 1

    def _close(self, run_id: Any) -> None:
        with self._lock:
            generation = self._open.pop(run_id, None)
            if generation is not None:
                generation.ended = time.perf_counter()

    def on_llm_end(self, response: Any, *, run_id: Any, **_: Any) -> None:
        self._close(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: Any, **_: Any) -> None:
        self._close(run_id)

    def since(self, index: int) -> list[Generation]:
        with self._lock:
            return list(self.generations[index:])


_meter_var: ContextVar[TokenMeter | None] = ContextVar("bench_token_meter", default=None)
_hook_lock = threading.Lock()
_hook_registered = False


@contextlib.contextmanager
def metering(meter: TokenMeter) -> Iterator[TokenMeter]:
    """Every LangChain run started in this context (and the threads it spawns) reports to ``meter``."""
    global _hook_registered
    from langchain_core.tracers.context import register_configure_hook

    with _hook_lock:
        if not _hook_registered:
            register_configure_hook(_meter_var, inheritable=True)
            _hook_registered = True
    token = _meter_var.set(meter)
    try:
        yield meter
    finally:
        _meter_var.reset(token)


def generation_figures(generations: Sequence[Generation]) -> dict[str, Any]:
    """Decode speed, prompt time and length over model calls (a call without tokens is left out)."""
    streamed = [g for g in generations if g.tokens]
    rates = [r for g in streamed if (r := g.decode_rate) is not None]
    decoded_tokens = sum(g.tokens - 1 for g in streamed if g.decode_rate is not None)
    decoded_seconds = sum(g.ended - g.first_token for g in streamed  # type: ignore[operator]
                          if g.decode_rate is not None)
    prompts = [p for g in streamed if (p := g.prompt_seconds) is not None]
    return {
        "generations": len(streamed),
        "tokens_per_s_p50": round(percentile(rates, 50), 2) if rates else None,
        "tokens_per_s_overall": round(decoded_tokens / decoded_seconds, 2) if decoded_seconds > 0 else None,
        "tokens_p50": percentile([g.tokens for g in streamed], 50) if streamed else None,
        "prompt_chars_p50": percentile([g.prompt_chars for g in streamed], 50) if streamed else None,
        "prompt_eval": latency_summary(prompts),
    }


# --- threads ---------------------------------------------------------------------------------------
def timed_in_thread(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn`` in a new thread, as the chain's LCEL steps run retrieval; its result and seconds.

    Where a call runs changes CPU-bound figures under load: torch's OpenMP threads spin-wait at
    barriers as long as the process has few of them (one long-lived caller), and that spinning
    competes with other processes; the chain calls the embedder from a fresh thread per step.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        started = time.perf_counter()
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        box["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=target, name="bench-call")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value"), box["seconds"]


# --- query-embedding cache -----------------------------------------------------------------------
def clear_query_cache(embedder: Any) -> bool:
    """Empty the embedder's cache of question vectors (False when it has none to clear).

    Users rarely repeat a question, so uncached latency is the one that matters.
    """
    clear = getattr(embedder, "cache_clear", None)
    if not callable(clear):
        clear = getattr(getattr(embedder, "_query_cached", None), "cache_clear", None)
    if not callable(clear):
        return False
    clear()
    return True


def cache_hits(embedder: Any) -> int | None:
    info = getattr(embedder, "cache_info", None)
    return int(info().hits) if callable(info) else None


# --- memory of a process tree --------------------------------------------------------------------
def _status(pid: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _kib(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from the PPid fields of /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            ppid = _status(int(entry.name)).get("PPid")
            if ppid and ppid.isdigit():
                parents.setdefault(int(ppid), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def process_memory(pid: int) -> dict[str, Any]:
    """Peak (VmHWM) and current (VmRSS) resident memory in MiB of ``pid`` plus its descendants.

    A sum of peaks is an upper bound of the tree's peak (peaks need not coincide); with one
    uvicorn worker the server is one process and the figure is exact.
    """
    pids = [pid, *children(pid)]
    statuses = [s for s in (_status(p) for p in pids) if s]
    return {
        "processes": len(statuses),
        "peak_rss_mb": round(sum(_kib(s.get("VmHWM")) for s in statuses) / 1024, 1),
        "rss_mb": round(sum(_kib(s.get("VmRSS")) for s in statuses) / 1024, 1),
    }


# --- the machine -------------------------------------------------------------------------------------
# Variables that change CPU-bound figures a lot: how OpenMP threads (torch, llama.cpp) wait at
# barriers, how many there are, and the allocator's arenas.
RUNTIME_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "MALLOC_ARENA_MAX")


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, memory, load (others' work shows in the load average)."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "runtime_env": {name: os.environ[name] for name in RUNTIME_VARS if name in os.environ},
    }
    with contextlib.suppress(OSError):
        meminfo = dict(line.split(":", 1) for line in (PROC / "meminfo").read_text().splitlines() if ":" in line)
        info["memory_total_mb"] = round(_kib(meminfo.get("MemTotal", "").strip()) / 1024)
        info["memory_available_mb"] = round(_kib(meminfo.get("MemAvailable", "").strip()) / 1024)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        info["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    with contextlib.suppress(OSError):
        for line in (PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    return info

