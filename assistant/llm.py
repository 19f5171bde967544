"""Chat models by settings.llm_backend: the embedded GGUF, an OpenAI-compatible server, a scripted fake.

`extractive` has no model (None): the chain composes answers itself. The GGUF is loaded once
per process and shared; llama.cpp is not re-entrant, so generations go through one semaphore
(settings.generation_concurrency). The llama.cpp KV cache keeps the evaluated prompt between
calls and reuses its longest common prefix, so the fixed system prompt is evaluated once; a RAM
state cache (settings.llm_cache_mb) also keeps earlier prompts' states for when requests
alternate between the answer and the follow-up rewrite.
"""

from __future__ import annotations

import atexit
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.config import Settings

log = logging.getLogger(__name__)

MODEL_BACKENDS = ("llamacpp", "openai", "fake")


class ModelUnavailable(RuntimeError):
    """The configured model cannot be used (missing file, package, server): answers fall back."""


_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


@contextmanager
def generation_slot(settings: Settings) -> Iterator[None]:
    """At most settings.generation_concurrency generations at a time (llama.cpp is not re-entrant)."""
    size = max(1, settings.generation_concurrency)
    with _semaphores_lock:
        semaphore = _semaphores.setdefault(size, threading.BoundedSemaphore(size))
    with semaphore:
        yield


@lru_cache(maxsize=2)
def _llamacpp(model_path: str, threads: int, n_ctx: int, max_tokens: int, temperature: float, cache_mb: int,
              prompt_lookup: int = 0) -> BaseChatModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp
    if not Path(model_path).is_file():
        raise ModelUnavailable(f"GGUF introuvable : {model_path} (lancez `assistant models fetch`)")
    log.info("loading %s (threads=%d, n_ctx=%d, prompt lookup=%d)", model_path, threads, n_ctx, prompt_lookup)
    extra: dict[str, object] = {}
    if prompt_lookup > 0:
        from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

        extra["draft_model"] = LlamaPromptLookupDecoding(num_pred_tokens=prompt_lookup)
        # A draft model needs every position's logits; llama-cpp-python 0.3.36 sizes its buffer by
        # the logits_all argument, not by the draft model (n_batch rows: a broadcast error past 512).
        extra["logits_all"] = True
    model = ChatLlamaCpp(
        model_path=model_path,
        n_threads=threads,
        n_ctx=n_ctx,
        n_batch=512,  # the default (8) makes prompt evaluation several times slower
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=0.9,
        repeat_penalty=1.05,
        seed=42,
        verbose=False,
        model_kwargs=extra,
    )
    if cache_mb > 0:
        from llama_cpp import LlamaRAMCache

        model.client.set_cache(LlamaRAMCache(capacity_bytes=cache_mb << 20))
    # Freed before the interpreter tears llama_cpp down (else its __del__ prints a TypeError at exit).
    atexit.register(model.client.close)
    return model


def _openai(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.openai_model,
        timeout=settings.llm_timeout,
        max_retries=0,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


def fake_model(responses: list[str], sleep: float | None = None) -> BaseChatModel:
    """A scripted chat model (cycles through its responses; streams them character by character)."""
    return FakeListChatModel(responses=responses or [""], sleep=sleep)


def build_chat_model(settings: Settings, echo: Callable[[], str] | None = None) -> BaseChatModel | None:
    """The chat model of settings.llm_backend (None for `extractive`).

    For `fake` without a script (settings.fake_responses), ``echo`` gives the response: the chain
    passes the extractive answer, so the fake backend behaves like a model that answers well.
    """
    backend = settings.llm_backend
    if backend == "extractive":
        return None
    if backend == "fake":
        if settings.fake_responses:
            return fake_model(list(settings.fake_responses))
        return fake_model([echo() if echo else ""])
    if backend == "openai":
        return _openai(settings)
    if backend == "llamacpp":
        try:
            return _llamacpp(
                settings.resolve_model(settings.llm_model),
                settings.threads,
                settings.llm_context,
                settings.llm_max_tokens,
                settings.llm_temperature,
                settings.llm_cache_mb,
                settings.llm_prompt_lookup,
            )
        except ModelUnavailable:
            raise
        except Exception as exc:  # llama-cpp-python missing or the file unreadable
            raise ModelUnavailable(str(exc)) from exc
    raise ModelUnavailable(f"unknown backend {backend!r}")


def describe(settings: Settings) -> dict[str, Any]:
    """For /api/health and logs."""
    if settings.llm_backend == "llamacpp":
        return {"backend": "llamacpp", "model": settings.llm_model, "threads": settings.threads}
    if settings.llm_backend == "openai":
        return {"backend": "openai", "model": settings.openai_model, "base_url": settings.openai_base_url}
    return {"backend": settings.llm_backend}
