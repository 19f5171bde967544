"""The shapes that cross module boundaries and the HTTP API (see CONTRACT.md).

Extend freely; never rename or remove a contract field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: str
    history: list[Turn] = Field(default_factory=list)
    conversation_id: str | None = Field(default=None, max_length=100)


class Passage(BaseModel):
    """A retrieved chunk with its provenance and how it was found."""

    chunk_id: str
    doc_id: str
    title: str = ""
    section: str = ""
    page: int | None = None
    text: str
    score: float = 0.0
    retrievers: list[str] = Field(default_factory=list)  # "dense", "bm25"
    schemes: list[str] = Field(default_factory=list)
    url: str | None = None


class Citation(BaseModel):
    doc_id: str
    title: str = ""
    chunk_id: str
    section: str = ""
    page: int | None = None
    snippet: str
    url: str | None = None
    score: float = 0.0
    marker: int | None = None  # the [n] used in the answer


class CalculationOut(BaseModel):
    name: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    result: float | None = None
    unit: str = "EUR"
    formula: str = ""
    source_ids: list[str] = Field(default_factory=list)
    valid_from: str | None = None
    notes: list[str] = Field(default_factory=list)
    label: str = ""
    # Extensions: the sentence shown to users, and what is missing to compute a figure.
    statement: str = ""
    date_label: str = ""
    missing: list[str] = Field(default_factory=list)
    ask: str | None = None
    # For the amount card: the documents' titles, the date in French, and whether it may be out of date.
    source_titles: list[str] = Field(default_factory=list)
    dated: str = ""  # "1er septembre 2023", "non daté"
    stale: bool = False


class ChatResponse(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    calculations: list[CalculationOut] = Field(default_factory=list)
    refused: bool = False
    conversation_id: str | None = None
    # Extensions (not in the contract's minimum): how the answer was produced.
    backend: str | None = None
    fallback: bool = False
    guard: list[str] = Field(default_factory=list)  # what the guard caught, if anything
    latency_ms: float | None = None


# --- the HTTP API's own shapes (assistant.api) ----------------------------------------------------
class CalculationView(CalculationOut):
    display: str = Field("", description="The result formatted by the server (e.g. « 848,90 € »).")


class ChatAnswer(ChatResponse):
    """The contract's response object, plus the stored message id (for feedback on one answer)."""

    calculations: list[CalculationView] = Field(default_factory=list)  # type: ignore[assignment]
    message_id: int | None = None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: str = Field(min_length=1, max_length=100)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=2000)
    message_id: int | None = None


class FeedbackSaved(BaseModel):
    status: Literal["ok"] = "ok"
    feedback_id: int
    conversation_id: str
