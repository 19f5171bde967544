"""How old an amount is, said in French: a brochure's amounts are indexed after it was written.

An amount dates from its rate's `valid_from` (rates.yaml), else from its document's `updated`
(sources.yaml); older than `ASSISTANT_STALE_AFTER_MONTHS` (or undated), the answer says so in one
sentence and the amount card shows it; the advisor view lists such rates and documents. Dates are
written the Belgian French way with babel ("1er septembre 2023", "septembre 2023").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from babel.dates import format_date

from ingest.sources import SourceEntry

LOCALE = "fr_BE"


class RateLike(Protocol):
    """What the review reads of a rates.yaml rate (assistant.calculator.rates.Rate)."""

    id: str
    unit: str
    doc_id: str
    figure: str
    valid_from: date | None


def parse_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def french_date(value: date) -> str:
    """ "1er septembre 2023", "15 mai 2024"."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {format_date(value, 'MMMM y', locale=LOCALE)}"


def french_month(value: date) -> str:
    """ "septembre 2023"."""
    return format_date(value, "MMMM y", locale=LOCALE)


def months_before(today: date, months: int) -> date:
    """The same day `months` months earlier (the last day of a shorter month)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Dated:
    """When a figure dates from and where that date comes from."""

    when: date | None
    origin: str  # "rate" (its valid_from), "document" (its sources.yaml `updated`) or "none"

    def stale(self, today: date, months: int) -> bool:
        return self.when is None or self.when < months_before(today, months)

    def label(self) -> str:
        return french_date(self.when) if self.when else "non daté"


def amount_date(valid_from: str | None, source_ids: Sequence[str], documents: Mapping[str, SourceEntry]) -> Dated:
    """The date of an amount: its rate's, else the oldest of its documents' update dates."""
    when = parse_date(valid_from)
    if when is not None:
        return Dated(when, "rate")
    updated = [d for d in (parse_date(documents[s].updated) for s in source_ids if s in documents) if d]
    return Dated(min(updated), "document") if updated else Dated(None, "none")


def stale_note(dates: Iterable[Dated], today: date, months: int, body: str) -> str:
    """One sentence for the stale amounts shown ("" when none is)."""
    stale = [d for d in dates if d.stale(today, months)]
    if not stale:
        return ""
    months_named = sorted({d.when for d in stale if d.when}, reverse=False)
    labels = list(dict.fromkeys(french_month(d) for d in months_named))
    if not labels:
        return f"Ce montant n'est pas daté dans sa source ; il a pu être indexé depuis : vérifiez auprès de {body}."
    if len(labels) == 1 and len(stale) == 1:
        return f"Montant de {labels[0]} ; il a pu être indexé depuis : vérifiez auprès de {body}."
    named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " et " + labels[-1]
    return f"Montants de {named} ; ils ont pu être indexés depuis : vérifiez auprès de {body}."


@dataclass(frozen=True)
class Freshness:
    """One rate or document as the advisor view lists it."""

    kind: str  # "rate" | "document"
    id: str
    doc_id: str
    title: str  # the document's title
    dated: str  # "1er septembre 2023" or "non daté"
    date: str | None  # ISO
    origin: str  # see Dated.origin
    stale: bool
    figure: str = ""  # a rate's figure as the document writes it


def review(rates: Iterable[RateLike], entries: Iterable[SourceEntry], today: date, months: int) -> list[Freshness]:
    """Every document and every money rate with its date, the stale ones first (oldest first)."""
    documents = {e.id: e for e in entries}
    rows: list[Freshness] = []
    for entry in documents.values():
        dated = amount_date(None, [entry.id], documents)
        rows.append(Freshness("document", entry.id, entry.id, entry.title, dated.label(),
                              dated.when.isoformat() if dated.when else None, dated.origin, dated.stale(today, months)))
    for rate in rates:
        if not rate.unit.upper().startswith("EUR"):
            continue
        dated = amount_date(rate.valid_from.isoformat() if rate.valid_from else None, [rate.doc_id], documents)
        title = documents[rate.doc_id].title if rate.doc_id in documents else rate.doc_id
        rows.append(Freshness("rate", rate.id, rate.doc_id, title, dated.label(),
                              dated.when.isoformat() if dated.when else None, dated.origin,
                              dated.stale(today, months), rate.figure))
    return sorted(rows, key=lambda r: (not r.stale, r.date or "", r.kind, r.id))
