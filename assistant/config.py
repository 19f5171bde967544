"""All settings in one place: every field is an ``ASSISTANT_<NAME>`` environment variable.

Embedded defaults run on one machine (embedded Chroma, SQLite, local GGUF model); the same code
moves to a Chroma server, PostgreSQL and an OpenAI-compatible model server by settings alone.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_model_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistant-stages" / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # --- files -----------------------------------------------------------------------------
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = PROJECT_ROOT / "var"
    model_dir: Path = Field(default_factory=_default_model_dir)

    # --- models ----------------------------------------------------------------------------
    # A folder name inside model_dir, a local path, or any sentence-transformers model name.
    embedding_model: str = "embeddinggemma-300m"
    # "hashing": a deterministic model-free embedder (tests and smoke runs only, no semantics).
    embedding_backend: Literal["torch", "onnx", "hashing"] = "torch"
    embedding_batch_size: int = 16
    embedding_threads: int = 0  # 0 = torch default (all cores)
    query_cache_size: int = 512
    embedding_query_int8: bool = True  # questions through an int8 copy of the model (passages stay float): half the time, same ranking
    # A file name inside model_dir or a path to any GGUF file.
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    # extractive by default: on questions written blind the embedded model scored no better
    # (66.7 % against 67.8 % at 69eb22a) for 60 times the latency (README, "Which backend").
    llm_backend: Literal["llamacpp", "openai", "extractive", "fake"] = "extractive"
    llm_threads: int = 0  # 0 = os.cpu_count()
    llm_context: int = 4096
    llm_max_tokens: int = 320
    llm_temperature: float = 0.1
    llm_timeout: float = 60.0
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str = "not-needed"
    openai_model: str = "qwen2.5-coder-1.5b-instruct"
    generation_concurrency: int = 1
    generation_queue: int = 8

    # --- index -----------------------------------------------------------------------------
    chroma_host: str | None = None
    chroma_port: int = 8001
    chroma_timeout: float = 30.0  # seconds for one request to a Chroma server
    chroma_path: Path | None = None  # default: data_dir / "chroma"
    collection: str = "brochures"
    chunk_max_chars: int = 1200
    chunk_min_chars: int = 200
    max_file_mb: float = 50.0  # a corpus file larger than this is refused (named in the report)
    max_pdf_pages: int = 500  # a PDF with more pages is refused rather than half-indexed
    index_probe_timeout: float = 2.0  # seconds the API waits for a Chroma server heartbeat before a 503

    # --- retrieval -------------------------------------------------------------------------
    retrieval_k: int = 5
    dense_k: int = 20
    bm25_k: int = 20
    rrf_k: int = 60
    scheme_boost: float = 0.5  # fused score x (1 + boost) for passages of a scheme the user named
    expansion_weight: float = 0.5  # BM25 weight of synonym/abbreviation expansions (typed words: 1)
    dense_query_expansion: bool = True  # spell out abbreviations ("cip") in the question for the embedder
    bm25_path: Path | None = None  # default: data_dir / "bm25"
    # Sentence ranking: weight of a sentence's nearness in meaning to the question (cosine of the
    # sentence vectors, assistant/sentence_index.py) beside its words (BM25); 0 = words only.
    sentence_dense_weight: float = Field(default=0.25, ge=0.0)

    # --- answers (chain) -------------------------------------------------------------------
    # llama.cpp RAM state cache (0 = off; the KV prefix of the shared system prompt is reused anyway).
    # Off by default: llama-cpp-python counts only the KV state against this bound, not the copy of
    # the logits (512 x vocab floats, ~300 MB) each entry also keeps, so a server grew by 0.3-0.6 GB
    # per answer up to several GB (`make bench`, server memory).
    llm_cache_mb: int = 0
    # llama.cpp prompt-lookup decoding: tokens drafted from the prompt's own n-grams per step (0 =
    # off). Answers copy their sources, so drafts are often accepted; it makes llama.cpp keep the
    # logits of every position (n_ctx x vocab floats), hence off unless measured worth it (README).
    llm_prompt_lookup: int = 0
    fake_responses: list[str] | None = None  # `fake` backend script; default: echo the extractive answer
    followup_rewrite: bool = True  # let the model rewrite follow-ups (checked; rules otherwise)
    prompt_passages: int = 4  # passages shown to the model
    prompt_passage_chars: int = 600  # per passage: its best sentences (small prompt = fast on CPU)
    prompt_sentences: int = 3  # the model sees the best sentences over the passages, this many at most
    prompt_chars: int = 1500  # and at most this many characters of them
    min_sentence_support: float = 0.6  # a model sentence needs this share of its words in the passage it cites
    answer_max_words: int = 120
    answer_complement_sentences: int = 2  # the sources' best sentences added after a model's answer that lacks them
    scope_min_coverage: float = 0.6  # off-domain when fewer of the question's words occur in the passages
    scope_min_similarity: float = 0.3  # ... or when the closest passage is less near in meaning (dense cosine)
    scope_accept_similarity: float = 0.5  # a question this near to a passage is in the domain whatever its words
    support_min_coverage: float = 0.5  # an amount is "in the sources" when a euro sentence covers this share
    # An amount dated more than this many months before today (or undated) is said to be possibly
    # out of date, in the answer and on its card (assistant/freshness.py).
    stale_after_months: int = Field(default=12, ge=1)
    today: date | None = None  # the date answers are given on (default: the machine's; set it to replay an evaluation)

    # --- storage and API -------------------------------------------------------------------
    database_url: str | None = None  # default: sqlite:///data_dir/assistant.db
    # Conversations, messages and feedback are deleted this many days after they were written
    # (the server purges at start-up and every hour; `assistant purge` does it by hand).
    retention_days: int = Field(default=90, ge=1)
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = ["http://127.0.0.1:8000", "http://localhost:8000"]
    advisor_token: str | None = None
    rate_limit: str = "30/minute"
    max_message_chars: int = 2000
    max_history_turns: int = 20
    max_body_bytes: int = 64_000

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.bm25_path or self.data_dir / "bm25"

    @property
    def sentence_vectors_file(self) -> Path:
        """Beside the BM25 index, and rebuilt with it (assistant/sentence_index.py)."""
        return self.bm25_dir.with_name(f"{self.bm25_dir.name}-sentences.npz")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'assistant.db'}"

    @property
    def threads(self) -> int:
        return self.llm_threads or os.cpu_count() or 2

    def resolve_model(self, name: str) -> str:
        """A name found in model_dir wins; otherwise the name is a path or a hub model id."""
        candidate = self.model_dir / name
        return str(candidate) if candidate.exists() else name


@lru_cache
def get_settings() -> Settings:
    return Settings()
