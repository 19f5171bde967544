"""Evaluation suites: load, validate and expose the cases of ``evals/suites/*.yaml``.

The format is the one of CONTRACT.md (top-level ``cases:``); unknown fields are
rejected so that a typo ("fact:" for "facts:") fails loudly instead of silently testing nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.calculator.money import parse_number
from assistant.config import get_settings
from assistant.schemas import Turn
from evals.documents import DocumentsError, document_ids

SUITES_DIR = Path(__file__).resolve().parent / "suites"
Slot = Literal["age", "year", "qualified", "hours_per_week", "days", "months", "region"]


class SuiteError(ValueError):
    """A suite file that cannot be used as it stands (bad YAML, unknown field, duplicate id...)."""


class Case(BaseModel):
    """One question and what a correct answer must (and must not) contain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    facts: list[list[str]] = Field(default_factory=list)
    amounts: list[Decimal] = Field(default_factory=list)
    allowed: list[Decimal] = Field(default_factory=list)
    only_amounts: bool = False
    forbid: list[str] = Field(default_factory=list)
    refuse: bool = False
    tol: Decimal = Decimal("0.01")
    # Extensions (optional; the contract fields above keep their meaning).
    unanswered: bool = False  # in scope but the sources do not hold it: say so, point to a body
    may_refuse: bool = False  # declining and answering are both acceptable (prompt injections)
    asks_for: Slot | None = None  # the answer must ask the user for this missing detail
    expect_calculation: str | None = None  # a calculations[].name that must be present
    tags: list[str] = Field(default_factory=list)
    note: str = ""
    suite: str = ""  # filled by the loader: the file's stem

    @field_validator("facts", mode="before")
    @classmethod
    def _facts_as_lists(cls, value: Any) -> Any:
        """A bare string is a fact with a single phrasing."""
        if isinstance(value, list):
            return [[item] if isinstance(item, str) else item for item in value]
        return value

    @field_validator("amounts", "allowed", mode="before")
    @classmethod
    def _french_amounts(cls, value: Any) -> Any:
        """Amounts may be YAML numbers (848.90) or French strings ("1.035,20 €")."""
        if not isinstance(value, list):
            return value
        out = []
        for item in value:
            if isinstance(item, str):
                parsed = parse_number(item)
                if parsed is None:
                    raise ValueError(f"montant illisible : {item!r}")
                out.append(parsed)
            else:
                out.append(Decimal(str(item)))
        return out

    @model_validator(mode="after")
    def _coherent(self) -> Case:
        if any(not group or any(not p.strip() for p in group) for group in self.facts):
            raise ValueError("every fact needs at least one non-empty phrasing")
        if self.refuse and (self.amounts or self.sources):
            raise ValueError("a case that must be refused cannot expect amounts or sources")
        if self.refuse and self.unanswered:
            raise ValueError("refuse (out of scope) and unanswered (in scope, not in the sources) exclude each other")
        return self

    @property
    def expects_refusal(self) -> bool:
        return self.refuse

    @property
    def refusal_is_free(self) -> bool:
        """Whether the refused flag is not judged (either way is acceptable)."""
        return self.may_refuse or self.unanswered


class Suite(BaseModel):
    name: str
    path: Path
    kind: str = "chat"
    cases: list[Case]
    documents: Path | None = None  # brochures outside the corpus the suite is about (evals/documents.py)


@lru_cache
def corpus_doc_ids(corpus_dir: Path | None = None) -> frozenset[str]:
    """The document ids of corpus/sources.yaml: the only valid values of ``sources``."""
    folder = corpus_dir or get_settings().corpus_dir
    data = yaml.safe_load((folder / "sources.yaml").read_text(encoding="utf-8"))
    return frozenset(doc["id"] for doc in data["documents"])


def load_suite(path: Path, doc_ids: Iterable[str] | None = None) -> Suite:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise SuiteError(f"{path}: a suite is a mapping with a top-level 'cases:' list")
    cases = []
    for index, raw in enumerate(data["cases"]):
        try:
            cases.append(Case.model_validate({**raw, "suite": path.stem}))
        except (ValidationError, TypeError) as exc:
            label = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            raise SuiteError(f"{path}: case {label}: {exc}") from exc
    known = set(doc_ids) if doc_ids is not None else set(corpus_doc_ids())
    documents = None
    if data.get("documents"):
        documents = (path.parent / str(data["documents"])).resolve()
        try:
            known |= document_ids(documents)
        except DocumentsError as exc:
            raise SuiteError(f"{path}: documents: {exc}") from exc
    for case in cases:
        unknown = [s for s in case.sources if s not in known]
        if unknown:
            raise SuiteError(f"{path}: case {case.id}: unknown source(s) {unknown} (see corpus/sources.yaml)")
    return Suite(name=path.stem, path=path, kind=str(data.get("kind", "chat")), cases=cases, documents=documents)


def load_suites(paths: Sequence[Path], doc_ids: Iterable[str] | None = None) -> list[Suite]:
    """Load several suite files; case ids must be unique across all of them."""
    suites = [load_suite(Path(p), doc_ids) for p in paths]
    seen: dict[str, str] = {}
    for suite in suites:
        for case in suite.cases:
            if case.id in seen:
                raise SuiteError(f"duplicate case id {case.id!r} in {seen[case.id]} and {suite.name}")
            seen[case.id] = suite.name
    return suites


def default_suite_paths() -> list[Path]:
    return sorted(SUITES_DIR.glob("*.yaml"))


def select(suites: Sequence[Suite], only: Sequence[str] | None) -> list[Suite]:
    """Keep the cases whose id matches one of ``only`` (exact ids or shell patterns like 'cip-*')."""
    if not only:
        return list(suites)
    kept = []
    for suite in suites:
        cases = [c for c in suite.cases if any(fnmatch.fnmatchcase(c.id, pat) for pat in only)]
        if cases:
            kept.append(suite.model_copy(update={"cases": cases}))
    return kept
