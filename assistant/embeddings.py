"""Text embeddings for the index and the questions (LangChain `Embeddings` interface).

EmbeddingGemma is asymmetric: questions and passages are encoded with different prompts
("task: search result | query: " vs "title: none | text: "), read from the model's own
`prompts`; a model without prompts is used as is. Vectors are L2-normalised, so Chroma's cosine
distance and a dot product agree. The model loads once per process (it takes seconds and ~1 GB)
and recent questions are cached, since users and evaluations repeat them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from functools import lru_cache
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.config import Settings, get_settings
from assistant.text import fold

log = logging.getLogger(__name__)


class EmbeddingError(RuntimeError):
    """The embedding model cannot be loaded (missing files, missing backend)."""


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model with its query/document prompts and a query cache."""

    def __init__(
        self, model: Any, name: str, batch_size: int = 16, cache_size: int = 512, query_model: Any = None
    ) -> None:
        self.model = model
        self.query_model = query_model if query_model is not None else model  # see int8_query_model
        self.name = name
        self.batch_size = batch_size
        prompts = getattr(model, "prompts", None) or {}
        self.query_prompt: str | None = "query" if "query" in prompts else None
        self.document_prompt: str | None = "document" if "document" in prompts else None
        self._query_cached = lru_cache(maxsize=max(cache_size, 0))(self._encode_query)

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str], kind: str) -> list[list[float]]:
        prompt_name = self.query_prompt if kind == "query" else self.document_prompt
        model = self.query_model if kind == "query" else self.model
        method = getattr(model, f"encode_{kind}", None)
        encode = method if callable(method) else model.encode
        vectors = encode(
            texts, prompt_name=prompt_name, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return [[float(x) for x in v] for v in vectors]

    def _encode_query(self, text: str) -> tuple[float, ...]:
        return tuple(self._encode([text], "query")[0])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages (document prompt), in batches of `batch_size`."""
        return self._encode(list(texts), "document") if texts else []

    def embed_query(self, text: str) -> list[float]:
        """A question (query prompt); repeated questions come from the cache."""
        return list(self._query_cached(text))

    def cache_info(self) -> Any:
        return self._query_cached.cache_info()


class HashingEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors: no model, no semantics; for tests and smoke runs."""

    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    @property
    def dimension(self) -> int:
        return self.dim

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for token in re.findall(r"\w+", fold(text)):
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            vec[index] += 1.0 if digest[4] & 1 else -1.0
        norm = sum(x * x for x in vec) ** 0.5
        if norm == 0:
            vec[0], norm = 1.0, 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


_lock = threading.Lock()
_embedders: dict[tuple[Any, ...], Embeddings] = {}


def load_sentence_transformer(settings: Settings) -> Any:
    """The model on CPU with the configured backend and thread count."""
    import torch
    from sentence_transformers import SentenceTransformer

    if settings.embedding_threads > 0:
        torch.set_num_threads(settings.embedding_threads)
    source = settings.resolve_model(settings.embedding_model)
    try:
        return SentenceTransformer(source, device="cpu", backend=settings.embedding_backend)
    except Exception as exc:
        hint = " (the ONNX backend needs `pip install optimum[onnxruntime]`)" if settings.embedding_backend == "onnx" else ""
        raise EmbeddingError(
            f"embedding model {settings.embedding_model!r} could not be loaded from {source}{hint}: {exc}. "
            "Run `assistant models fetch` or set ASSISTANT_EMBEDDING_MODEL."
        ) from exc


def int8_query_model(model: Any) -> Any:
    """A copy of the model whose transformer runs its Linear layers in int8, for questions only.

    Dynamic per-channel quantization halves the time of a question on CPU (the matrix products
    dominate); passages stay encoded by the float model, so the index does not change. The copy
    shares the token embedding table (the larger part of the weights) with the original.
    """
    import copy
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    shared = {id(p): p for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    clone = copy.deepcopy(model, memo=dict(shared))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notice: the API works in the pinned torch
        quantize_dynamic(clone[0], {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
    return clone


def get_embedder(settings: Settings | None = None) -> Embeddings:
    """The process-wide embedder for these settings (loaded on first use)."""
    settings = settings or get_settings()
    key = (settings.embedding_backend, settings.resolve_model(settings.embedding_model), settings.embedding_threads,
           settings.embedding_batch_size, settings.query_cache_size, settings.embedding_query_int8)
    with _lock:
        embedder = _embedders.get(key)
        if embedder is None:
            if settings.embedding_backend == "hashing":
                embedder = HashingEmbeddings()
            else:
                model = load_sentence_transformer(settings)
                query_model = None
                if settings.embedding_query_int8 and settings.embedding_backend == "torch":
                    query_model = int8_query_model(model)
                embedder = SentenceTransformerEmbeddings(
                    model, name=settings.embedding_model, batch_size=settings.embedding_batch_size,
                    cache_size=settings.query_cache_size, query_model=query_model,
                )
                if query_model is not None:
                    embedder.embed_query("warm-up")
                embedder.embed_documents(["warm-up"])  # the first call initialises kernels: pay it at load
                log.info("embedding model %s loaded (prompts: query=%s, document=%s)", settings.embedding_model,
                         embedder.query_prompt, embedder.document_prompt)
            _embedders[key] = embedder
        return embedder


def configured_model_name(settings: Settings) -> str:
    """The name get_embedder(settings) will report, without loading the model."""
    return HashingEmbeddings().name if settings.embedding_backend == "hashing" else settings.embedding_model


def embedder_name(embedder: Embeddings) -> str:
    """What the index records as the model that made its vectors."""
    return str(getattr(embedder, "name", type(embedder).__name__))

